"""Signed, expiring tokens in e-mail links (Django's signing: HMAC-SHA256 with the secret key).

Nothing is stored: a token carries whom it is for (a commenter's ``u_…`` id or
a membership id), the address it was sent to, and its purpose; a changed
address invalidates old links.
"""

from __future__ import annotations

from django.core import signing

SALT = "commentdesk.notifications"
MAX_AGE = {"verify": 7 * 24 * 3600, "unsubscribe": 365 * 24 * 3600, "digest-off": 365 * 24 * 3600}  # seconds


def make(purpose: str, ident: str, email: str) -> str:
    """A URL-safe token for ``purpose`` (a key of ``MAX_AGE``)."""
    return signing.dumps({"i": ident, "e": email, "p": purpose}, salt=SALT, compress=True)


def read(token: str, purpose: str) -> tuple[str, str] | None:
    """``(ident, email)`` of a valid, unexpired token of ``purpose``, else None."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE[purpose])
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("p") != purpose:
        return None
    return str(data.get("i", "")), str(data.get("e", ""))
