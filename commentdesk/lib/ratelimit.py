"""A fixed-window rate limit kept in Django's cache (shared when the cache is Redis)."""

from __future__ import annotations

import time

from django.core.cache import cache

from commentdesk.lib.errors import CommentdeskError


def hit(scope: str, ident: str, limit: int, window: int, what: str = "comments") -> None:
    """Count one event of ``ident`` in ``scope``; raise 429 ``rate_limited`` past
    ``limit`` events in the current ``window`` (seconds), with ``Retry-After``
    set to the seconds left in the window. ``limit <= 0`` disables the limit.

    ``what`` names the events counted (plural) in the error's message:
    "Too many <what> from your network in a short time; …"."""
    if limit <= 0:
        return
    now = time.time()
    bucket = int(now // window)
    key = f"rl:{scope}:{ident}:{bucket}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        retry_after = max(1, int((bucket + 1) * window - now) + 1)
        raise CommentdeskError(
            429,
            "rate_limited",
            f"Too many {what} from your network in a short time; please wait and try again.",
            headers={"Retry-After": str(retry_after)},
        )
