"""Keyed hashes of readers' IP addresses: the raw address is never stored."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The reader's address: ``REMOTE_ADDR``, or the last ``X-Forwarded-For`` hop
    when ``COMMENTS_TRUST_X_FORWARDED_FOR`` is on (only behind a proxy you run)."""
    address = request.META.get("REMOTE_ADDR", "") or ""
    if settings.COMMENTS_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            address = forwarded.split(",")[-1].strip()
    return address


def hash_ip(address: str) -> str:
    """HMAC-SHA256 of the address under ``IP_HASH_KEY``, 32 hex characters.

    IPv6 addresses are reduced to their /64 network first, since one household
    or phone holds a whole /64 and rotates addresses inside it.
    """
    try:
        ip = ipaddress.ip_address(address)
        if ip.version == 6 and not ip.ipv4_mapped:
            address = str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
        elif ip.version == 6 and ip.ipv4_mapped:
            address = str(ip.ipv4_mapped)
    except ValueError:
        pass
    digest = hmac.new(settings.IP_HASH_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def request_ip_hash(request: HttpRequest) -> str:
    """Shortcut: the keyed hash of ``request``'s client address."""
    return hash_ip(client_ip(request))
