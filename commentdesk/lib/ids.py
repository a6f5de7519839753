"""Opaque public ids (``c_…`` for comments, ``u_…`` for commenters).

Database primary keys never leave the server: counting them would tell how many
comments a site holds, pending ones included.
"""

from __future__ import annotations

import secrets

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def new_public_id(prefix: str, length: int = 16) -> str:
    """Return ``prefix + "_" + length`` random base-36 characters (≈82 bits at 16)."""
    return prefix + "_" + "".join(secrets.choice(ALPHABET) for _ in range(length))
