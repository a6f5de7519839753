"""Moderation endpoints of API.md (queue, decisions, edit, bans) and readers' flags.

Moderators authenticate with ``Authorization: Token <token>`` (see
``commentdesk createmoderator --print-token``) or the desk's session cookie
plus CSRF token.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.security import APIKeyHeader, SessionAuth

from commentdesk.comments.api import ErrorOut
from commentdesk.comments.models import Comment, rfc3339
from commentdesk.lib.errors import Invalid, NotFound
from commentdesk.lib.iphash import request_ip_hash
from commentdesk.moderation import decisions
from commentdesk.moderation.models import APIToken
from commentdesk.moderation.permissions import allowed_languages, can_moderate, site_for_moderator
from commentdesk.moderation.queues import QueueFilter, queue_page

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


class DeskSessionAuth(SessionAuth):
    """The desk's login session (django-ninja's ``SessionAuth``, CSRF-checked on
    writes). A request without a logged-in session (no session cookie, or an
    empty or expired one) is not a session request: it gets the 401 that asks
    for a login or a token, not a 403 about a CSRF cookie it never needed (a
    token client with a wrong or missing token). CSRF guards what a logged-in
    session may do; without one there is nothing to guard. A request that sent
    ``Authorization: Token …`` is a token request too: a wrong token gets the
    401, even beside a session cookie (another scheme, such as a proxy's Basic
    login in front of the desk, leaves the session request as it is)."""

    def __call__(self, request: HttpRequest) -> Any:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES or not request.user.is_authenticated:
            return None
        if request.headers.get("Authorization", "").split(" ", 1)[0].lower() == "token":
            return None
        return super().__call__(request)


moderator_auth = [TokenAuth(), DeskSessionAuth()]


class DecisionIn(Schema):
    comment_ids: list[str] = Field(..., max_length=500)
    action: Literal["approve", "reject", "spam", "restore"]
    reason: str = ""
    note: str = Field("", max_length=2000)
    versions: dict[str, str] | None = Field(
        None, description="comment id → the `version` the moderator saw (from the queue); 409 if the text changed since"
    )


class DecidedComment(Schema):
    id: str
    status: str
    entry_id: int | None = Field(None, description="audit-log entry of this decision, for undo; null if unchanged")


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
    # Checked by decisions.flag after the comment (so a hidden comment answers 404 whatever the reason).
    reason: str = Field(..., json_schema_extra={"enum": ["abusive", "spam", "off_topic", "misinformation", "other"]})
    note: str = Field("", description="at most 500 characters")


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


class QueueCampaign(Schema):
    id: int
    size: int


class QueueItem(Schema):
    id: str
    status: str
    body: str
    version: str = Field(description="fingerprint of the text; send it back in a decision's `versions`")
    author_name: str
    parent_id: str | None
    created_at: str
    language: str
    edited_by_moderator: bool
    thread: QueueThread
    commenter: QueueCommenter
    flags: list[QueueFlag]
    triage: dict[str, Any] | None
    campaign: QueueCampaign | None = Field(description="the near-duplicate campaign the comment belongs to")
    nudge: Literal["revised", "posted_anyway"] | None = Field(
        description="the reader's choice after triage's nudge before posting, if nudged")


class QueueOut(Schema):
    items: list[QueueItem]
    next: str | None


def json(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


@router.get("/{site}/queue", auth=moderator_auth, response={200: QueueOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def queue(
    request: HttpRequest,
    site: str,
    status: Literal["pending", "flagged", "approved", "rejected", "spam", "all"] = "pending",
    order: Literal["oldest", "newest", "risk"] = "oldest",
    language: str | None = None,
    thread: str | None = Query(None, description="a thread key"),
    commenter: str | None = Query(None, description="a commenter id (u_…)"),
    since: date | None = Query(None, description="first day, UTC"),
    until: date | None = Query(None, description="last day, UTC (inclusive)"),
    q: str | None = Query(None, max_length=200, description="text search in bodies"),
    campaign: int | None = Query(None, ge=1, le=2**63 - 1, description="a triage campaign's id (its near-duplicates)"),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = None,
) -> HttpResponse:
    """One page of a site's moderation queue, filtered; a language desk sees its languages only."""
    obj = site_for_moderator(request.user, site)
    filters = QueueFilter(status=status, language=language, thread=thread, commenter=commenter, since=since,
                          until=until, q=q, languages=allowed_languages(request.user, obj), campaign=campaign)
    items, next_cursor = queue_page(obj, filters, order=order, limit=limit, cursor=cursor)
    return json({"items": items, "next": next_cursor})


class CampaignOut(Schema):
    id: int
    size: int = Field(description="members now, any status")
    sample: str = Field(description="the text of its oldest pending comment the moderator may see")
    pending: int = Field(description="members waiting in the pending queue (the moderator's languages)")
    threads: int
    commenters: int
    first_pending_at: str
    last_pending_at: str


class CampaignsOut(Schema):
    campaigns: list[CampaignOut]


@router.get("/{site}/campaigns", auth=moderator_auth, response={200: CampaignsOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def campaigns(request: HttpRequest, site: str, limit: int = Query(50, ge=1, le=500)) -> HttpResponse:
    """Near-duplicate campaigns with pending comments, most pending first; decide on
    one's comments by listing them with the queue's ``campaign`` filter."""
    from commentdesk.triage.campaigns import pending_campaigns

    obj = site_for_moderator(request.user, site)
    rows = pending_campaigns(obj, allowed_languages(request.user, obj), limit=limit)
    return json({"campaigns": [
        {"id": r.campaign.pk, "size": r.size, "sample": r.sample, "pending": r.pending,
         "threads": r.threads, "commenters": r.commenters, "first_pending_at": rfc3339(r.first),
         "last_pending_at": rfc3339(r.last)} for r in rows]})


@router.post("/{site}/decisions", auth=moderator_auth, response={200: DecisionOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def post_decisions(request: HttpRequest, site: str, payload: DecisionIn) -> HttpResponse:
    """Approve, reject, mark spam or restore up to 500 comments, all or nothing."""
    obj = site_for_moderator(request.user, site)
    comments = decisions.decide(obj, payload.comment_ids, payload.action, request.user, payload.reason, payload.note,
                                versions=payload.versions)
    return json({"comments": [{"id": c.public_id, "status": c.status, "entry_id": c.audit_entry_id} for c in comments]})


@router.patch("/comments/{comment_id}", auth=moderator_auth, response={200: QueueItem, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def moderator_edit(request: HttpRequest, comment_id: str, payload: ModeratorEditIn) -> HttpResponse:
    """Edit a comment under the Terms of Use; the earlier text is kept as a revision."""
    comment = Comment.objects.select_related("site").filter(public_id=comment_id).first()
    if comment is None or not can_moderate(request.user, comment.site):
        # Same answer for "no such comment" and "not yours": ids of other sites stay secret.
        raise NotFound("unknown_comment", "There is no comment with this id on a site you moderate.")
    comment = decisions.edit(comment, payload.body, request.user, payload.reason, payload.note)
    items, _ = queue_page(comment.site, ids=[comment.pk])
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


class UndoIn(Schema):
    entry_id: int


class UndoOut(Schema):
    id: str
    status: str


@router.post("/{site}/undo", auth=moderator_auth, response={200: UndoOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def post_undo(request: HttpRequest, site: str, payload: UndoIn) -> HttpResponse:
    """Undo one decision by its audit-log entry id (the undo is logged too)."""
    obj = site_for_moderator(request.user, site)
    comment = decisions.undo(obj, payload.entry_id, request.user)
    return json({"id": comment.public_id, "status": comment.status})


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class CommenterStateOut(Schema):
    commenter_id: str
    banned: bool
    trusted: bool


def _commenter_state(commenter: Any) -> JsonResponse:
    return json({"commenter_id": commenter.public_id, "banned": commenter.is_banned(), "trusted": commenter.trusted})


@router.delete("/{site}/bans/{commenter_id}", auth=moderator_auth, response={200: CommenterStateOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def delete_ban(request: HttpRequest, site: str, commenter_id: str) -> HttpResponse:
    """Lift a commenter's ban."""
    obj = site_for_moderator(request.user, site)
    return _commenter_state(decisions.unban(obj, commenter_id, request.user))


@router.put("/{site}/trusted/{commenter_id}", auth=moderator_auth, response={200: CommenterStateOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def put_trusted(request: HttpRequest, site: str, commenter_id: str, payload: NoteIn) -> HttpResponse:
    """Trust a commenter: where the site allows it, their comments publish without waiting."""
    obj = site_for_moderator(request.user, site)
    return _commenter_state(decisions.set_trusted(obj, commenter_id, True, request.user, payload.note))


@router.delete("/{site}/trusted/{commenter_id}", auth=moderator_auth, response={200: CommenterStateOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def delete_trusted(request: HttpRequest, site: str, commenter_id: str) -> HttpResponse:
    """Withdraw trust from a commenter."""
    obj = site_for_moderator(request.user, site)
    return _commenter_state(decisions.set_trusted(obj, commenter_id, False, request.user))


class ThreadStateIn(Schema):
    key: str = Field(..., max_length=2000)
    closed: bool
    note: str = Field("", max_length=2000)


class ThreadStateOut(Schema):
    key: str
    is_closed: bool


@router.post("/{site}/threads/state", auth=moderator_auth, response={200: ThreadStateOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def post_thread_state(request: HttpRequest, site: str, payload: ThreadStateIn) -> HttpResponse:
    """Close (``closed: true``) or reopen an article's comments."""
    from commentdesk.comments.models import Thread
    from commentdesk.lib.text import normalise_thread_key
    from commentdesk.moderation.threads import set_closed

    obj = site_for_moderator(request.user, site)
    thread = Thread.objects.filter(site=obj, key=normalise_thread_key(payload.key)).first()
    if thread is None:
        raise NotFound("unknown_thread", "This site has no thread with this key.")
    thread = set_closed(thread, payload.closed, request.user, payload.note)
    return json({"key": thread.key, "is_closed": thread.is_closed})


@reader_router.post("/comments/{comment_id}/flags", response={202: FlagOut, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut})
def post_flag(request: HttpRequest, comment_id: str, payload: FlagIn) -> HttpResponse:
    """A reader reports a published comment; it stays published until a moderator decides."""
    from django.conf import settings

    from commentdesk.lib import ratelimit

    ip_hash = request_ip_hash(request)
    ratelimit.hit("flag", ip_hash, settings.COMMENTS_RATE_LIMIT * 3, settings.COMMENTS_RATE_WINDOW, what="reports")
    decisions.flag(comment_id, payload.reason, payload.note, ip_hash)
    return json({"status": "received"}, status=202)

