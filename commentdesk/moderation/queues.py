"""The moderation queue: one page of a site's comments with the context a
moderator needs (article, parent, commenter history, flags)."""

from __future__ import annotations

import base64
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from commentdesk.comments.models import Comment, rfc3339
from commentdesk.lib.errors import Invalid
from commentdesk.moderation.models import Flag
from commentdesk.sites.models import Site

STATUSES = ("pending", "flagged", "approved", "rejected", "spam")


def queue_queryset(site: Site, status: str = "pending", language: str | None = None) -> QuerySet[Comment]:
    """Comments of ``site`` in queue ``status``; ``flagged`` means approved comments
    with open reader flags. Raises ``Invalid`` for an unknown status."""
    if status not in STATUSES:
        raise Invalid({"status": [f"Use one of: {', '.join(STATUSES)}."]})
    qs = Comment.objects.filter(site=site)
    if status == "flagged":
        qs = qs.filter(pk__in=Flag.objects.filter(comment__site=site, resolved_at__isnull=True).values("comment_id"))
    else:
        qs = qs.filter(status=status)
    if language:
        qs = qs.filter(language=language)
    return qs


def _encode(created_at: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{pk}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")).decode()
        when, pk = raw.rsplit("|", 1)
        return datetime.fromisoformat(when), int(pk)
    except (ValueError, UnicodeError) as exc:
        raise Invalid({"cursor": ["This cursor is not valid."]}) from exc


def queue_page(
    site: Site,
    status: str = "pending",
    order: str = "oldest",
    language: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    ids: list[int] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the queue as API.md's items, and the next cursor (or None).

    ``order``: ``oldest`` (default), ``newest``; ``risk`` falls back to oldest
    until triage scores exist. ``ids`` restricts to given primary keys (one item
    after an edit). A fixed number of queries whatever ``limit`` is.
    """
    qs = queue_queryset(site, status, language) if ids is None else Comment.objects.filter(site=site, pk__in=ids)
    newest = order == "newest"
    if cursor:
        when, pk = _decode(cursor)
        if newest:
            qs = qs.filter(Q(created_at__lt=when) | Q(created_at=when, pk__lt=pk))
        else:
            qs = qs.filter(Q(created_at__gt=when) | Q(created_at=when, pk__gt=pk))
    qs = qs.order_by("-created_at", "-id") if newest else qs.order_by("created_at", "id")
    rows = list(qs.select_related("thread", "commenter", "parent")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    history: dict[int, dict[str, int]] = defaultdict(dict)
    for commenter_id, st, n in (
        Comment.objects.filter(commenter_id__in={c.commenter_id for c in rows})
        .values_list("commenter_id", "status")
        .annotate(n=Count("id"))
    ):
        history[commenter_id][st] = n
    flags: dict[int, list[dict[str, str]]] = defaultdict(list)
    for f in Flag.objects.filter(comment__in=rows, resolved_at__isnull=True).order_by("created_at"):
        flags[f.comment_id].append({"reason": f.reason, "note": f.note, "created_at": rfc3339(f.created_at) or ""})
    items = []
    for c in rows:
        h = history[c.commenter_id]
        items.append(
            {
                "id": c.public_id,
                "status": c.status,
                "body": c.body,
                "author_name": c.author_name,
                "parent_id": c.parent.public_id if c.parent else None,
                "parent": {"id": c.parent.public_id, "author_name": c.parent.author_name, "body": c.parent.body,
                           "status": c.parent.status} if c.parent else None,
                "created_at": rfc3339(c.created_at),
                "language": c.language,
                "edited_by_moderator": c.edited_by_moderator,
                "thread": {"key": c.thread.key, "title": c.thread.title, "url": c.thread.url},
                "commenter": {
                    "id": c.commenter.public_id,
                    "approved_count": h.get("approved", 0),
                    "rejected_count": h.get("rejected", 0),
                    "spam_count": h.get("spam", 0),
                    "banned": c.commenter.is_banned(),
                },
                "flags": flags.get(c.pk, []),
                "triage": None,
            }
        )
    next_cursor = _encode(rows[-1].created_at, rows[-1].pk) if more and rows else None
    return items, next_cursor
