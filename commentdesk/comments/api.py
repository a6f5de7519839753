"""Reader endpoints of API.md: thread comments, submission, counts, author edit,
and the nudge before posting.

Views are thin: parse, call ``comments.submission`` / ``publishing.snapshots``,
serialise. Errors are ``CommentdeskError``s rendered by ``commentdesk.api``.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from commentdesk.comments.models import Comment, IdempotencyRecord
from commentdesk.comments.submission import Draft, author_edit, clean_body, clean_key, submit
from commentdesk.lib import ratelimit
from commentdesk.lib.errors import CommentdeskError, Invalid, NotFound, unknown_site
from commentdesk.lib.http import etag_matches
from commentdesk.lib.iphash import request_ip_hash
from commentdesk.publishing import snapshots
from commentdesk.sites.models import Site, SiteDict
from commentdesk.triage.models import TriagePolicy
from commentdesk.triage.nudge import assess, record_choice

router = Router(tags=["reader"])

AWAITS_MODERATION = "Thank you. Your comment awaits moderation and will appear once a moderator approves it."
PUBLISHED = "Thank you. Your comment is published."


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] | None = None


class ErrorOut(Schema):
    error: ErrorBody


class ThreadOut(Schema):
    site: str
    key: str
    title: str
    url: str
    is_closed: bool
    comment_count: int


class CommentOut(Schema):
    id: str
    parent_id: str | None
    author_name: str
    body: str = Field(description="Plain text; render as text, never as HTML")
    created_at: str
    published_at: str
    edited: bool
    edited_by_moderator: bool
    reply_count: int
    removed: bool = Field(False, description='A placeholder for an erased comment that others answered: body "[removed]", no author')


class ThreadCommentsOut(Schema):
    thread: ThreadOut
    comments: list[CommentOut]
    next: str | None


class CommentIn(Schema):
    key: str = Field(max_length=2000, description="Article id or URL path; normalised")
    body: str = Field(description="Plain text, at most the site's limit (default 5,000 characters)")
    author_name: str = ""
    email: str = ""
    url: str = ""
    title: str = ""
    parent_id: str | None = None
    website: str = Field("", description="Honeypot: leave empty")
    notify: bool = Field(False, description="e-mail me when my comment is published or answered (needs email; "
                                            "a confirmation link is sent first)")
    commenter_token: str = Field("", max_length=200, description="the commenter_token an earlier answer gave")
    nudge: Literal["revised", "posted_anyway"] | None = Field(
        None, description="the reader was nudged before posting (POST …/nudge) and chose to revise or to post anyway"
    )


class StoredComment(Schema):
    id: str
    status: Literal["pending", "approved", "rejected", "spam"]
    parent_id: str | None
    author_name: str
    body: str
    created_at: str


class SubmitOut(Schema):
    comment: StoredComment
    message: str
    edit_token: str
    commenter_token: str | None = Field(
        None, description="only to a first-time commenter: keep it and send it with later comments"
    )


class CountsOut(Schema):
    counts: dict[str, int]


class AuthorEditIn(Schema):
    body: str


class NudgeIn(Schema):
    body: str = Field(description="the reader's draft, plain text")
    lang: str = Field("", max_length=35, description="the page's language, for the guidelines' translation")


class NudgeOut(Schema):
    nudge: bool
    message: str | None = Field(None, description="the site's guidelines (excerpt), with nudge true")
    reasons: list[Literal["wording", "links", "tone"]] | None = Field(
        None, description="generic categories, with nudge true"
    )


def get_site(slug: str) -> Site:
    """The site ``slug``; raises 404 ``unknown_site``."""
    site = Site.objects.filter(slug=slug).first()
    if site is None:
        raise unknown_site(slug)
    return site


@router.get("/sites/{site}", response={200: SiteDict, 404: ErrorOut})
def site_info(request: HttpRequest, site: str, lang: str = Query("", max_length=35)) -> HttpResponse:
    """The site's public settings for the widget: guidelines and disclaimer (in
    ``lang`` when the site has them, e.g. ``ko``), body limit, Terms of Use, and
    ``nudge`` (bool: the widget may ask ``POST /threads/{site}/nudge`` before posting)."""
    obj = get_site(site)
    info = {**obj.to_public_dict(lang or None), "nudge": TriagePolicy.for_site(obj.pk).nudge_enabled}
    response = JsonResponse(info, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = f"public, max-age={snapshots.max_age()}"
    return response


@router.get("/threads/{site}/comments", response={200: ThreadCommentsOut, 304: None, 400: ErrorOut, 404: ErrorOut})
def thread_comments(
    request: HttpRequest,
    site: str,
    key: str,
    order: Literal["oldest", "newest"] = "oldest",
    limit: int = Query(100, ge=1, le=500),
    cursor: str | None = None,
) -> HttpResponse:
    """Approved comments of one thread, oldest first (or ``order=newest``), with
    ``ETag``; ``If-None-Match`` with the current ETag answers 304."""
    obj = get_site(site)
    normal = clean_key(key)
    snapshot = snapshots.get(obj, normal)
    etag = snapshot["etag"]
    if order != "oldest" or limit != 100 or cursor:
        etag = '"' + hashlib.sha256(f"{etag}|{order}|{limit}|{cursor}".encode()).hexdigest()[:32] + '"'
    cache_control = f"public, max-age={snapshots.max_age()}"
    if etag_matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponse(status=304)
    else:
        items, next_cursor = snapshots.page(snapshot, order, limit, cursor)
        response = JsonResponse(
            {"thread": snapshot["thread"], "comments": items, "next": next_cursor},
            json_dumps_params={"ensure_ascii": False},
        )
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response


def _replay(record: IdempotencyRecord, fingerprint: str) -> JsonResponse:
    """The first answer again, with fresh tokens for the same comment (the first
    ones are not kept). Raises 422 ``idempotency_key_reused`` for another request."""
    if record.fingerprint != fingerprint or record.comment is None:
        raise CommentdeskError(422, "idempotency_key_reused",
                               "This Idempotency-Key was used for another request; use a new key.")
    body = dict(record.response)
    comment = record.comment
    body["edit_token"] = comment.issue_edit_token()
    comment.save(update_fields=["edit_token_hash"])
    if record.commenter_created:
        commenter = comment.commenter
        body["commenter_token"] = commenter.issue_token()
        commenter.save(update_fields=["token_hash"])
    response = JsonResponse(body, status=record.status_code, json_dumps_params={"ensure_ascii": False})
    response["Idempotent-Replayed"] = "true"
    return response


def _previous(site: Site, key: str) -> IdempotencyRecord | None:
    since = timezone.now() - timedelta(seconds=settings.COMMENTS_IDEMPOTENCY_TTL)
    return IdempotencyRecord.objects.select_related("comment__commenter").filter(
        site=site, key=key, created_at__gte=since
    ).first()


@router.post("/threads/{site}/comments", response={202: SubmitOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut, 429: ErrorOut})
def post_comment(request: HttpRequest, site: str, payload: CommentIn) -> HttpResponse:
    """Submit a comment; it waits for a moderator (202 ``pending``).

    ``Idempotency-Key`` (≤ 200 printable characters): the same key with the same
    request within 24 hours returns the first answer (with fresh tokens) and
    stores nothing new; the same key with another request answers 422."""
    obj = get_site(site)
    idem_key = request.headers.get("Idempotency-Key", "").strip()
    if len(idem_key) > 200 or not idem_key.isprintable():
        raise Invalid({"Idempotency-Key": ["At most 200 printable characters."]})
    fingerprint = hashlib.sha256(request.body).hexdigest()
    if idem_key:
        record = _previous(obj, idem_key)
        if record is not None:
            return _replay(record, fingerprint)
    ip_hash = request_ip_hash(request)
    ratelimit.hit(f"post:{obj.pk}", ip_hash, settings.COMMENTS_RATE_LIMIT, settings.COMMENTS_RATE_WINDOW)
    draft = Draft(**payload.dict(exclude={"nudge"}))
    try:
        with transaction.atomic():
            record = None
            if idem_key:
                since = timezone.now() - timedelta(seconds=settings.COMMENTS_IDEMPOTENCY_TTL)
                IdempotencyRecord.objects.filter(site=obj, key=idem_key, created_at__lt=since).delete()
                # Claim the key before storing anything: a concurrent twin fails here.
                record = IdempotencyRecord.objects.create(
                    site=obj, key=idem_key, fingerprint=fingerprint, status_code=202, response={}
                )
            result = submit(obj, draft, ip_hash)
            comment = result.comment
            if payload.nudge:
                record_choice(comment, payload.nudge)
            status = "pending" if comment.status == Comment.Status.SPAM else comment.status
            body = {
                # A honeypot catch is not told it was caught: it reads "pending".
                "comment": comment.to_author_dict(shown_status=status),
                "message": PUBLISHED if status == Comment.Status.APPROVED else AWAITS_MODERATION,
            }
            if record is not None:
                record.response = dict(body)
                record.comment = comment
                record.commenter_created = bool(result.commenter_token)
                record.save(update_fields=["response", "comment", "commenter_created"])
            body["edit_token"] = result.edit_token
            if result.commenter_token:
                body["commenter_token"] = result.commenter_token
    except IntegrityError:
        # A request with the same Idempotency-Key got there first: replay its answer.
        record = _previous(obj, idem_key) if idem_key else None
        if record is None:
            raise
        return _replay(record, fingerprint)
    return JsonResponse(body, status=202, json_dumps_params={"ensure_ascii": False})


@router.post("/threads/{site}/nudge", response={200: NudgeOut, 400: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut, 429: ErrorOut})
def nudge(request: HttpRequest, site: str, payload: NudgeIn) -> HttpResponse:
    """Before posting: is the draft ``body`` likely to be rejected? Stores nothing.

    ``{"nudge": false}`` when the site has nudges off or nothing points to a
    rejection; else ``{"nudge": true, "message": <the site's guidelines, in
    lang when translated>, "reasons": ["wording"|"links"|"tone"]}`` (never the
    matched term). 422 ``invalid`` for an empty body or one over the site's
    limit; rate-limited like submissions (three times as many per window)."""
    obj = get_site(site)
    ratelimit.hit(f"nudge:{obj.pk}", request_ip_hash(request), settings.COMMENTS_RATE_LIMIT * 3,
                  settings.COMMENTS_RATE_WINDOW, what="draft checks")
    errors: dict[str, list[str]] = {}
    body = clean_body(payload.body, obj, "body", errors)
    if errors:
        raise CommentdeskError(422, "invalid", "This draft cannot be checked.", errors)
    return JsonResponse(assess(obj, body, payload.lang.strip()), json_dumps_params={"ensure_ascii": False})


@router.get("/threads/{site}/counts", response={200: CountsOut, 400: ErrorOut, 404: ErrorOut})
def thread_counts(request: HttpRequest, site: str, key: list[str] = Query(...)) -> HttpResponse:
    """Approved-comment counts of up to 100 threads: ``?key=a&key=b``."""
    obj = get_site(site)
    if len(key) > 100:
        raise Invalid({"key": ["At most 100 keys."]})
    normal = {k: clean_key(k) for k in key}
    found = snapshots.counts(obj, sorted(set(normal.values())))
    response = JsonResponse({"counts": {k: found.get(n, 0) for k, n in normal.items()}})
    response["Cache-Control"] = f"public, max-age={snapshots.max_age()}"
    return response


@router.patch("/comments/{comment_id}", response={200: SubmitOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def edit_own_comment(request: HttpRequest, comment_id: str, payload: AuthorEditIn) -> HttpResponse:
    """The author edits their still-pending comment with ``Authorization: Bearer <edit_token>``."""
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    token = credentials.strip() if scheme.lower() == "bearer" else ""
    comment = Comment.objects.select_related("site").filter(public_id=comment_id).first()
    if comment is None:
        raise NotFound("unknown_comment", "There is no comment with this id.")
    comment = author_edit(comment, token, payload.body)
    return JsonResponse(
        {
            "comment": comment.to_author_dict(),
            "message": AWAITS_MODERATION,
            "edit_token": token,
        },
        json_dumps_params={"ensure_ascii": False},
    )
