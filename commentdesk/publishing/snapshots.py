"""Thread snapshots: what readers see of one thread, built once per change.

A snapshot is a dict kept in Django's cache under the thread's site and key:

``{"thread": {...API.md thread...}, "comments": [...approved, oldest first...],
"sort_keys": ["<published_at µs ISO>|<created_at µs ISO>|<id>", ...], "etag": '"<32 hex>"'}``

``sort_keys`` are unique and ascending as Python compares strings (the order
the comments are listed in), so a cursor is simply the sort key of the last
comment of a page. Comments approved in one bulk decision share
``published_at``; they follow in writing order (``created_at``).

Only approved comments ever enter it (``Comment.objects.approved()``), so the
reader API cannot show anything else, except a removed comment's tombstone
("[removed]", no author, no text) where it holds the place of approved replies. Readers fill a missing snapshot with
``cache.add`` (never overwriting); a change rebuilds it under a row lock on the
thread with ``cache.set``, so a slow reader can never put back an older one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from commentdesk.comments.models import Comment, Thread
from commentdesk.lib.errors import Invalid
from commentdesk.sites.models import Site

Snapshot = dict[str, Any]
# Safety net (seconds): a snapshot is rebuilt at least this often even if an
# invalidation were ever missed.
SNAPSHOT_TTL = 600


def cache_key(site_id: int, key: str) -> str:
    """Cache key of a thread's snapshot (the thread key is hashed: any length, any bytes)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"snap:v2:{site_id}:{digest}"  # v2: sort keys with created_at


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def sort_key(comment: Comment) -> str:
    """``"<published_at>|<created_at>|<public id>"`` (UTC, microseconds): the
    reader order of an approved comment, unique, as a string."""
    published = comment.published_at or comment.created_at
    return f"{_stamp(published)}|{_stamp(comment.created_at)}|{comment.public_id}"


_STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}"
_SORT_KEY = re.compile(rf"{_STAMP}\|{_STAMP}\|c_[a-z0-9]{{1,40}}", re.ASCII)


def with_answered_tombstones(comments: list[Comment]) -> list[Comment]:
    """The approved comments of ``comments``, plus each removed one (a tombstone,
    see ``Comment.Status.REMOVED``) that still has an approved reply below it,
    directly or through other such tombstones; a tombstone nobody sees an answer
    to is left out, so readers get "[removed]" only where it holds a reply's place."""
    kept = [c for c in comments if c.status == Comment.Status.APPROVED]
    tombstones = {c.pk: c for c in comments if c.status == Comment.Status.REMOVED}
    parents = {c.parent_id for c in kept}
    while True:
        answered = [c for pk, c in tombstones.items() if pk in parents]
        if not answered:
            return kept
        for c in answered:
            del tombstones[c.pk]
            kept.append(c)
            parents.add(c.parent_id)


def build(site: Site, key: str) -> Snapshot:
    """Build the snapshot of ``site``'s thread ``key`` from the database (2 queries)."""
    thread = Thread.objects.filter(site=site, key=key).first()
    comments: list[Comment] = []
    if thread is not None:
        comments = list(
            thread.comments.filter(status__in=[Comment.Status.APPROVED, Comment.Status.REMOVED]).select_related("parent")
        )
    comments = with_answered_tombstones(comments)
    # Sorted here, not by the database: PostgreSQL's collation may order ids
    # differently from Python, and paging bisects these very strings.
    keyed = sorted((sort_key(c), c) for c in comments)
    visible = {c.pk for c in comments}
    replies = Counter(c.parent_id for c in comments if c.parent_id in visible)
    items = []
    sort_keys = []
    for key_, c in keyed:
        item = c.to_public_dict(reply_count=replies.get(c.pk, 0))
        if c.parent_id not in visible:
            item["parent_id"] = None  # never point at a comment readers cannot see
        if item["published_at"] is None:  # approved outside moderation.decide (a raw update)
            item["published_at"] = item["created_at"]
        items.append(item)
        sort_keys.append(key_)
    snapshot: Snapshot = {
        "thread": {
            "site": site.slug,
            "key": key,
            # Title and URL come from readers' submissions: shown only once a
            # moderator has approved a comment of the thread (and so seen them).
            "title": thread.title if thread and items else "",
            "url": thread.url if thread and items else "",
            "is_closed": thread.is_closed if thread else False,
            "comment_count": sum(c.status == Comment.Status.APPROVED for _, c in keyed),
        },
        "comments": items,
        "sort_keys": sort_keys,
    }
    body = json.dumps([snapshot["thread"], items], sort_keys=True, ensure_ascii=False)
    snapshot["etag"] = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    return snapshot


def get(site: Site, key: str) -> Snapshot:
    """The current snapshot of a thread, from the cache or built (and cached)."""
    ck = cache_key(site.pk, key)
    snapshot = cache.get(ck)
    if snapshot is None:
        snapshot = build(site, key)
        cache.add(ck, snapshot, timeout=SNAPSHOT_TTL)
    return snapshot


def refresh(thread_id: int) -> None:
    """Rebuild and store a thread's snapshot now, holding the thread's row lock so
    two refreshes (or a refresh and a decision) never interleave."""
    with transaction.atomic():
        thread = Thread.objects.select_for_update().select_related("site").filter(pk=thread_id).first()
        if thread is None:
            return
        snapshot = build(thread.site, thread.key)
        cache.set(cache_key(thread.site_id, thread.key), snapshot, timeout=SNAPSHOT_TTL)


def counts(site: Site, keys: list[str]) -> dict[str, int]:
    """Approved-comment counts of ``site``'s threads named by normalised ``keys``."""
    found = cache.get_many([cache_key(site.pk, k) for k in keys])
    result: dict[str, int] = {}
    missing = []
    for k in keys:
        snap = found.get(cache_key(site.pk, k))
        if snap is not None:
            result[k] = snap["thread"]["comment_count"]
        else:
            missing.append(k)
    if missing:
        from django.db.models import Count, Q

        rows = (
            Thread.objects.filter(site=site, key__in=missing)
            .annotate(n=Count("comments", filter=Q(comments__status=Comment.Status.APPROVED)))
            .values_list("key", "n")
        )
        known = dict(rows)
        for k in missing:
            result[k] = known.get(k, 0)
    return result


def encode_cursor(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The sort key a cursor holds (see :func:`sort_key`).

    Raises ``Invalid`` (400, field ``cursor``) for a cursor this server did not make.
    """
    try:
        if len(cursor) > 200:
            raise ValueError("too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        value = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
    except (ValueError, UnicodeError) as exc:
        raise Invalid({"cursor": ["This cursor is not valid."]}) from exc
    if not _SORT_KEY.fullmatch(value):
        raise Invalid({"cursor": ["This cursor is not valid."]})
    return value


def page(snapshot: Snapshot, order: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a snapshot's comments: ``limit`` items after ``cursor``, in
    ``order`` (``oldest``/``newest``); returns (items, next cursor or None)."""
    import bisect

    keys: list[str] = snapshot["sort_keys"]
    items: list[dict[str, Any]] = snapshot["comments"]
    if order == "newest":
        keys = keys[::-1]
        items = items[::-1]
    start = 0
    if cursor:
        after = decode_cursor(cursor)
        if order == "newest":
            # keys descending: first index whose key is < after
            start = len(keys) - bisect.bisect_left(keys[::-1], after)
        else:
            start = bisect.bisect_right(keys, after)
    chunk = items[start : start + limit]
    end = start + len(chunk)
    next_cursor = encode_cursor(keys[end - 1]) if chunk and end < len(items) else None
    return chunk, next_cursor


def max_age() -> int:
    return settings.COMMENTS_CACHE_MAX_AGE
