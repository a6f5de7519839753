"""Moderation endpoints of API.md (queue, decisions, edit, bans) and readers' flags.

Moderators authenticate with ``Authorization: Token <token>`` (see
``commentdesk createmoderator --print-token``) or the desk's session cookie
plus CSRF token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.security import APIKeyHeader, SessionAuth

from commentdesk.comments.api import ErrorOut
from commentdesk.comments.models import Comment
from commentdesk.lib.errors import CommentdeskError, Invalid, NotFound
from commentdesk.lib.iphash import request_ip_hash
from commentdesk.moderation import decisions
from commentdesk.moderation.models import APIToken
from commentdesk.moderation.permissions import can_moderate, site_for_moderator
from commentdesk.moderation.queues import queue_page

router = Router(tags=["moderation"])
reader_router = Router(tags=["reader"])


class TokenAuth(APIKeyHeader):
    """``Authorization: Token <token>``: a moderator's API token."""

    param_name = "Authorization"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key or not key.startswith("Token "):
            return None
        token = APIToken.objects.select_related("user").filter(token_hash=APIToken.digest(key[6:].strip())).first()
        if token is None or not token.user.is_active:
            return None
        APIToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        request.user = token.user
        return token.user


moderator_auth = [TokenAuth(), SessionAuth()]


class DecisionIn(Schema):
    comment_ids: list[str] = Field(..., max_length=500)
    action: Literal["approve", "reject", "spam", "restore"]
    reason: str = ""
    note: str = Field("", max_length=2000)


class DecidedComment(Schema):
    id: str
    status: str


class DecisionOut(Schema):
    comments: list[DecidedComment]


class ModeratorEditIn(Schema):
    body: str
    reason: str
    note: str = Field("", max_length=2000)


class BanIn(Schema):
    commenter_id: str
    reason: str
    until: datetime | None = None
    reject_pending: bool = False
    note: str = Field("", max_length=2000)


class BanOut(Schema):
    commenter_id: str
    until: str | None
    reason: str


class FlagIn(Schema):
    reason: str
    note: str = ""


class FlagOut(Schema):
    status: str


class QueueCommenter(Schema):
    id: str
    approved_count: int
    rejected_count: int
    spam_count: int
    banned: bool


class QueueThread(Schema):
    key: str
    title: str
    url: str


class QueueFlag(Schema):
    reason: str
    note: str
    created_at: str


class QueueItem(Schema):
    id: str
    status: str
    body: str
    author_name: str
    parent_id: str | None
    created_at: str
    language: str
    edited_by_moderator: bool
    thread: QueueThread
    commenter: QueueCommenter
    flags: list[QueueFlag]
    triage: dict[str, Any] | None


class QueueOut(Schema):
    items: list[QueueItem]
    next: str | None


def json(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


@router.get("/{site}/queue", auth=moderator_auth, response={200: QueueOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def queue(
    request: HttpRequest,
    site: str,
    status: Literal["pending", "flagged", "approved", "rejected", "spam"] = "pending",
    order: Literal["oldest", "newest", "risk"] = "oldest",
    language: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = None,
) -> HttpResponse:
    """One page of a site's moderation queue."""
    obj = site_for_moderator(request.user, site)
    items, next_cursor = queue_page(obj, status=status, order=order, language=language, limit=limit, cursor=cursor)
    return json({"items": items, "next": next_cursor})


@router.post("/{site}/decisions", auth=moderator_auth, response={200: DecisionOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def post_decisions(request: HttpRequest, site: str, payload: DecisionIn) -> HttpResponse:
    """Approve, reject, mark spam or restore up to 500 comments, all or nothing."""
    obj = site_for_moderator(request.user, site)
    comments = decisions.decide(obj, payload.comment_ids, payload.action, request.user, payload.reason, payload.note)
    return json({"comments": [{"id": c.public_id, "status": c.status} for c in comments]})


@router.patch("/comments/{comment_id}", auth=moderator_auth, response={200: QueueItem, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def moderator_edit(request: HttpRequest, comment_id: str, payload: ModeratorEditIn) -> HttpResponse:
    """Edit a comment under the Terms of Use; the earlier text is kept as a revision."""
    comment = Comment.objects.select_related("site").filter(public_id=comment_id).first()
    if comment is None or not can_moderate(request.user, comment.site):
        # Same answer for "no such comment" and "not yours": ids of other sites stay secret.
        raise NotFound("unknown_comment", "There is no comment with this id on a site you moderate.")
    comment = decisions.edit(comment, payload.body, request.user, payload.reason, payload.note)
    items, _ = queue_page(comment.site, status=comment.status, ids=[comment.pk])
    return json(items[0])


@router.post("/{site}/bans", auth=moderator_auth, response={201: BanOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def post_ban(request: HttpRequest, site: str, payload: BanIn) -> HttpResponse:
    """Ban a commenter (until a time, or permanently with ``until: null``)."""
    obj = site_for_moderator(request.user, site)
    until = payload.until
    if until is not None and timezone.is_naive(until):
        raise Invalid({"until": ["Give the time with a zone, e.g. 2026-12-31T00:00:00Z."]})
    record = decisions.ban(
        obj, payload.commenter_id, request.user, payload.reason, until, payload.reject_pending, payload.note
    )
    return json(
        {
            "commenter_id": record.commenter.public_id,
            "until": record.until.isoformat().replace("+00:00", "Z") if record.until else None,
            "reason": record.reason,
        },
        status=201,
    )


@reader_router.post("/comments/{comment_id}/flags", response={202: FlagOut, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut})
def post_flag(request: HttpRequest, comment_id: str, payload: FlagIn) -> HttpResponse:
    """A reader reports a published comment; it stays published until a moderator decides."""
    from django.conf import settings

    from commentdesk.lib import ratelimit

    ip_hash = request_ip_hash(request)
    ratelimit.hit("flag", ip_hash, settings.COMMENTS_RATE_LIMIT * 3, settings.COMMENTS_RATE_WINDOW)
    decisions.flag(comment_id, payload.reason, payload.note, ip_hash)
    return json({"status": "received"}, status=202)


__all__ = ["router", "reader_router", "CommentdeskError"]
