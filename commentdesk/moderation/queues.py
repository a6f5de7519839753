"""The moderation queue: one page of a site's comments with the context a
moderator needs (article, parent, commenter history, flags)."""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Count, F, Q, QuerySet
from django.db.models.expressions import RawSQL

from commentdesk.comments.models import Comment, rfc3339
from commentdesk.lib.errors import Invalid
from commentdesk.lib.text import normalise_thread_key
from commentdesk.moderation.models import Flag
from commentdesk.moderation.permissions import language_q
from commentdesk.sites.models import Site

STATUSES = ("pending", "flagged", "approved", "rejected", "spam", "all")


@dataclass
class QueueFilter:
    """What a moderator narrows a queue to. ``status`` is one of STATUSES
    (``flagged``: comments with open reader flags; ``all``: every status);
    ``thread``: a thread key (normalised); ``commenter``: a ``u_…`` id;
    ``since``/``until``: days (UTC; ``until`` inclusive); ``q``: text search;
    ``languages``: the moderator's language desk (None = all languages);
    ``campaign``: a triage campaign's id (its near-duplicate members only)."""

    status: str = "pending"
    language: str | None = None
    thread: str | None = None
    commenter: str | None = None
    since: date | None = None
    until: date | None = None
    q: str | None = None
    languages: list[str] | None = None
    campaign: int | None = None


def prefix_tsquery(q: str) -> str:
    """A PostgreSQL tsquery matching every word of ``q`` as a prefix (``a:* & b:*``),
    or "" when ``q`` has no word characters. Prefixes let "대통령" find
    "대통령이" (Korean particles attach to words) and "bridg" find "bridges".

    >>> prefix_tsquery("대통령 bridge's (new)")
    '대통령:* & bridge:* & s:* & new:*'
    """
    words = re.findall(r"\w+", q.lower())[:10]
    return " & ".join(f"{w}:*" for w in words)


def text_search(qs: QuerySet[Comment], q: str) -> QuerySet[Comment]:
    """Comments whose body matches ``q``: on PostgreSQL every word as a prefix
    against the stored ``search_vector`` column and its GIN index (migration
    comments 0005); a case-insensitive substring on SQLite."""
    terms = prefix_tsquery(q)
    if connection.vendor == "postgresql" and terms:
        match = RawSQL("comments_comment.search_vector @@ to_tsquery('simple', %s)", [terms],
                       output_field=BooleanField())
        return qs.filter(match)
    return qs.filter(body__icontains=q)


def queue_queryset(site: Site, filters: QueueFilter | None = None) -> QuerySet[Comment]:
    """Comments of ``site`` matching ``filters``. Raises ``Invalid`` for an unknown status."""
    f = filters or QueueFilter()
    if f.status not in STATUSES:
        raise Invalid({"status": [f"Use one of: {', '.join(STATUSES)}."]})
    # Removed comments (tombstones of erased ones) hold no text and await no decision.
    qs = Comment.objects.filter(site=site).exclude(status=Comment.Status.REMOVED)
    if f.status == "flagged":
        qs = qs.filter(pk__in=Flag.objects.filter(comment__site=site, resolved_at__isnull=True).values("comment_id"))
    elif f.status != "all":
        qs = qs.filter(status=f.status)
    if f.languages is not None:
        qs = qs.filter(language_q(f.languages))
    if f.language:
        qs = qs.filter(language=f.language)
    if f.thread:
        qs = qs.filter(thread__key=normalise_thread_key(f.thread))
    if f.commenter:
        qs = qs.filter(commenter__public_id=f.commenter)
    if f.since:
        qs = qs.filter(created_at__gte=datetime.combine(f.since, time.min, tzinfo=UTC))
    if f.until and f.until < date.max:
        qs = qs.filter(created_at__lt=datetime.combine(f.until + timedelta(days=1), time.min, tzinfo=UTC))
    if f.q and f.q.strip():
        qs = text_search(qs, f.q.strip())
    if f.campaign is not None:
        qs = qs.filter(triage_fingerprint__campaign_id=f.campaign)
    return qs


def queue_counts(site: Site, filters: QueueFilter) -> dict[str, int]:
    """Count of each queue tab under the same filters (one query for the statuses)."""
    from dataclasses import replace

    base = queue_queryset(site, replace(filters, status="all"))
    by_status = dict(base.order_by().values_list("status").annotate(n=Count("id")))
    counts = {s: by_status.get(s, 0) for s in STATUSES if s not in ("flagged", "all")}
    counts["flagged"] = queue_queryset(site, replace(filters, status="flagged")).count()
    counts["all"] = sum(by_status.values())
    return counts


def _encode(created_at: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{pk}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")).decode()
        when, pk = raw.rsplit("|", 1)
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None:
            raise ValueError("a cursor time has a zone")
        return moment.astimezone(UTC), int(pk)
    except (ValueError, UnicodeError, OverflowError) as exc:
        raise Invalid({"cursor": ["This cursor is not valid."]}) from exc


def _encode_risk(risk: float | None, created_at: datetime, pk: int) -> str:
    """A cursor of the ``risk`` order: the last item's risk ("" for none), time and id."""
    raw = f"{'' if risk is None else repr(risk)}|{created_at.isoformat()}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_risk(cursor: str) -> tuple[float | None, datetime, int]:
    """The inverse of :func:`_encode_risk`; raises ``Invalid`` for a malformed cursor."""
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")).decode()
        risk, when, pk = raw.split("|")
        value = float(risk) if risk else None
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None or (value is not None and not 0.0 <= value <= 1.0):
            raise ValueError("a cursor time has a zone and a risk is within 0..1")
        return value, moment.astimezone(UTC), int(pk)
    except (ValueError, UnicodeError, OverflowError) as exc:
        raise Invalid({"cursor": ["This cursor is not valid."]}) from exc


def queue_page(
    site: Site,
    filters: QueueFilter | None = None,
    order: str = "oldest",
    limit: int = 50,
    cursor: str | None = None,
    ids: list[int] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the queue as API.md's items, and the next cursor (or None).

    ``order``: ``oldest`` (default), ``newest``, ``risk`` (triage's combined
    risk, highest first; unscored comments last; ties oldest first). ``ids``
    restricts to given primary keys (one item after an edit). A fixed number of queries whatever ``limit`` is.
    """
    qs = queue_queryset(site, filters) if ids is None else Comment.objects.filter(site=site, pk__in=ids)
    newest, by_risk = order == "newest", order == "risk"
    if cursor and by_risk:
        risk, when, pk = _decode_risk(cursor)
        later = Q(created_at__gt=when) | Q(created_at=when, pk__gt=pk)
        if risk is None:
            qs = qs.filter(Q(triage_score__risk__isnull=True) & later)
        else:
            qs = qs.filter(Q(triage_score__risk__lt=risk) | Q(triage_score__risk=risk) & later
                           | Q(triage_score__risk__isnull=True))
    elif cursor:
        when, pk = _decode(cursor)
        if newest:
            qs = qs.filter(Q(created_at__lt=when) | Q(created_at=when, pk__lt=pk))
        else:
            qs = qs.filter(Q(created_at__gt=when) | Q(created_at=when, pk__gt=pk))
    if by_risk:
        qs = qs.order_by(F("triage_score__risk").desc(nulls_last=True), "created_at", "id")
    else:
        qs = qs.order_by("-created_at", "-id") if newest else qs.order_by("created_at", "id")
    rows = list(qs.select_related("thread", "commenter", "parent", "triage_score",
                                  "triage_fingerprint__campaign", "triage_nudge")[: limit + 1])
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
        score = getattr(c, "triage_score", None)  # None until triage stored a Score
        fingerprint = getattr(c, "triage_fingerprint", None)
        campaign = fingerprint.campaign if fingerprint is not None else None
        if campaign is not None and campaign.size < 2:
            campaign = None  # its other members left (edited, erased, purged): no campaign now
        items.append(
            {
                "id": c.public_id,
                "status": c.status,
                "body": c.body,
                "version": c.version,
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
                "triage": score.to_dict() if score is not None else None,
                "campaign": {"id": campaign.pk, "size": campaign.size} if campaign is not None else None,
                "nudge": nudge.choice if (nudge := getattr(c, "triage_nudge", None)) is not None else None,
            }
        )
    next_cursor = None
    if more and rows:
        last = rows[-1]
        if by_risk:
            last_score = getattr(last, "triage_score", None)
            next_cursor = _encode_risk(last_score.risk if last_score else None, last.created_at, last.pk)
        else:
            next_cursor = _encode(last.created_at, last.pk)
    return items, next_cursor
