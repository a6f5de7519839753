"""A reader's submission and a reader's own edit: validation, storage, signals.

Both raise :class:`commentdesk.lib.errors.CommentdeskError` subclasses and store
nothing when they do.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from commentdesk.comments.models import Comment, Commenter, CommentRevision, Thread
from commentdesk.comments.signals import comment_edited, comment_submitted, comments_published, thread_changed
from commentdesk.lib.errors import CommentdeskError, Forbidden, Invalid
from commentdesk.lib.text import is_blank, normalise_body, normalise_line, normalise_thread_key
from commentdesk.sites.models import Site

NAME_MAX = 80
EMAIL_MAX = 254
KEY_MAX = 500
URL_MAX = 2000
TITLE_MAX = 300


@dataclass
class Draft:
    """What a reader sent (API.md's submission request), before validation."""

    key: str
    body: str
    author_name: str
    email: str = ""
    url: str = ""
    title: str = ""
    parent_id: str | None = None
    website: str = ""
    notify: bool = False
    commenter_token: str = ""


@dataclass
class Submitted:
    """A stored submission: the comment, the author's edit token (shown once),
    and for a first-time commenter their commenter token (shown once)."""

    comment: Comment
    edit_token: str
    commenter_token: str = ""


def clean_body(raw: str, site: Site, field: str, errors: dict[str, list[str]]) -> str:
    """Normalise a body and record problems under ``errors[field]``."""
    body = normalise_body(raw)
    if is_blank(body):
        errors.setdefault(field, []).append("The comment is empty.")
    elif len(body) > site.body_max_length:
        errors.setdefault(field, []).append(
            f"The comment is {len(body)} characters long; the limit is {site.body_max_length}."
        )
    return body


def key_problem(key: str) -> str | None:
    """What is wrong with a normalised thread key (blank, over 500 characters), or None."""
    if is_blank(key):
        return "The thread key is missing."
    if len(key) > KEY_MAX:
        return f"The thread key is over {KEY_MAX} characters."
    return None


def clean_key(raw: str) -> str:
    """A reader's thread key, normalised; raises ``Invalid`` (field ``key``) when unusable."""
    key = normalise_thread_key(raw)
    if problem := key_problem(key):
        raise Invalid({"key": [problem]})
    return key


def clean_draft(site: Site, draft: Draft) -> tuple[str, str, str, str, str, str]:
    """Validate and normalise ``draft``; returns (key, body, name, email, url, title).

    Raises :class:`Invalid` listing every problem at once.
    """
    errors: dict[str, list[str]] = {}
    key = normalise_thread_key(draft.key or "")
    if problem := key_problem(key):
        errors["key"] = [problem]
    body = clean_body(draft.body or "", site, "body", errors)
    name = normalise_line(draft.author_name or "")
    if is_blank(name):
        errors["author_name"] = ["Please give a name (any name you like)."]
    elif len(name) > NAME_MAX:
        errors["author_name"] = [f"The name is over {NAME_MAX} characters."]
    email = (draft.email or "").strip()
    if email:
        try:
            if len(email) > EMAIL_MAX:
                raise ValidationError("too long")
            EmailValidator()(email)
        except ValidationError:
            errors["email"] = ["This is not an e-mail address."]
    url = (draft.url or "").strip()
    if url and (len(url) > URL_MAX or not url.startswith(("http://", "https://"))):
        errors["url"] = ["The article URL must start with http:// or https:// and be under 2,000 characters."]
    title = normalise_line(draft.title or "")[:TITLE_MAX]
    if errors:
        raise Invalid(errors)
    return key, body, name, email.lower(), url, title


def find_commenter(site: Site, name: str, email: str, ip_hash: str, token: str = "") -> tuple[Commenter | None, bool]:
    """The commenter a submission belongs to, and whether the submission proved it
    with the commenter's token. By token when it is valid, else by e-mail when
    given, else by the same name from the same address hash; None for a
    first-time commenter."""
    qs = Commenter.objects.filter(site=site)
    if token and len(token) < 200:
        by_token = qs.filter(token_hash=hashlib.sha256(token.encode()).hexdigest()).first()
        if by_token is not None:
            return by_token, True
    return _match(qs, name, email, ip_hash), False


def _match(qs: QuerySet[Commenter], name: str, email: str, ip_hash: str) -> Commenter | None:
    # Never by an e-mail address alone: anyone can type someone else's, and comments
    # filed under a victim's record could get the victim banned. The same address
    # from the same network is the same person; anything else starts a new record.
    if email:
        return qs.filter(email=email, ip_hash=ip_hash).order_by("id").first()
    return qs.filter(email="", name=name, ip_hash=ip_hash).order_by("id").first()


def submit(site: Site, draft: Draft, ip_hash: str, now: datetime | None = None) -> Submitted:
    """Store a reader's comment as ``pending`` (``approved`` under post-moderation).

    Raises ``Invalid`` (400) for bad fields or a parent outside the thread,
    ``Forbidden`` (403) ``thread_closed`` / ``commenter_banned``. A filled-in
    honeypot (``website``) is stored as ``spam``: accepted, never shown, and
    visible to moderators in the spam queue.
    """
    now = now or timezone.now()
    key, body, name, email, url, title = clean_draft(site, draft)
    with transaction.atomic():
        thread = Thread.objects.filter(site=site, key=key).first()
        if thread is not None and thread.is_closed:
            raise Forbidden("thread_closed", "Comments on this article are closed.")
        parent = None
        if draft.parent_id is not None:
            # (An empty id, or junk that is empty once NUL and lone surrogates are dropped,
            # is no parent either: a reply must not be published as a new top-level comment.)
            parent = (
                Comment.objects.filter(public_id=str(draft.parent_id), thread=thread, status=Comment.Status.APPROVED)
                .first()
                if thread is not None
                else None
            )
            if parent is None:
                raise Invalid({"parent_id": ["There is no published comment with this id in this thread."]})
        commenter, proven = find_commenter(site, name, email, ip_hash, draft.commenter_token)
        if commenter is not None and commenter.is_banned(now):
            raise Forbidden("commenter_banned", "You can no longer comment on this site.")
        honeypot = bool(draft.website.strip())
        described = {"url": url, "title": title} if not honeypot else {"url": "", "title": ""}
        if thread is None:
            thread, _created = Thread.objects.get_or_create(site=site, key=key, defaults={**described, "created_at": now})
        elif not honeypot and (url or title) and (thread.url, thread.title) != (url, title):
            # Until a comment is published the description is only a proposal, hidden from
            # readers; the latest reader's page describes the article.
            if not thread.comments.approved().exists():
                Thread.objects.filter(pk=thread.pk).update(url=url or thread.url, title=title or thread.title)
        commenter_token = ""
        wants_mail = bool(email and draft.notify)
        if commenter is None:
            commenter = Commenter(site=site, name=name, email=email, ip_hash=ip_hash, created_at=now,
                                  notify=wants_mail)
            commenter_token = commenter.issue_token()
            commenter.save()
        else:
            changes = {"ip_hash": ip_hash, "name": name}
            if wants_mail and not commenter.notify:
                changes["notify"] = True
            if email and email != commenter.email:  # a new address must be verified again
                changes.update(email=email, email_verified=False)
            if any(getattr(commenter, k) != v for k, v in changes.items()):
                Commenter.objects.filter(pk=commenter.pk).update(**changes)
                for k, v in changes.items():
                    setattr(commenter, k, v)
        comment = Comment(
            site=site,
            thread=thread,
            parent=parent,
            commenter=commenter,
            author_name=name,
            body=body,
            created_at=now,
            ip_hash=ip_hash,
        )
        if honeypot:
            comment.transition(Comment.Status.SPAM, now)
        elif site.policy == Site.Policy.POST or (proven and commenter.trusted and site.trusted_skip_premoderation):
            comment.transition(Comment.Status.APPROVED, now)
        token = comment.issue_edit_token()
        comment.save()
        transaction.on_commit(lambda: comment_submitted.send(sender=Comment, comment=comment))
        if comment.status == Comment.Status.APPROVED:
            thread_id = thread.pk
            transaction.on_commit(lambda: thread_changed.send(sender=Thread, thread_id=thread_id))
        if comment.status == Comment.Status.APPROVED:
            transaction.on_commit(lambda: comments_published.send(sender=Comment, comment_ids=[comment.pk]))
    return Submitted(comment=comment, edit_token=token, commenter_token=commenter_token)


# Why an author may not edit a comment a moderator edited.
EDITED_BY_MODERATOR = "A moderator has edited this comment; it can no longer be edited."


def not_pending(status: str) -> str:
    """Why a comment of ``status`` (not pending) can no longer be edited, for its author."""
    if status == Comment.Status.REMOVED:
        return "This comment was removed; it can no longer be edited."
    return "A moderator has already decided on this comment; it can no longer be edited."


def author_edit(comment: Comment, token: str, body: str, now: datetime | None = None) -> Comment:
    """Replace the text of the author's own pending comment, keeping a revision;
    sends ``comment_edited`` after the commit when the text changed.

    Raises ``CommentdeskError`` 401 ``invalid_token`` for a wrong token, 403
    ``edit_closed`` once the site's edit window (minutes) has passed, the
    comment was decided or a moderator edited it (else the author could put
    back, unlogged, what the moderator took out under the Terms of Use),
    ``Invalid`` for a bad body.
    """
    now = now or timezone.now()
    if not comment.check_edit_token(token):
        raise CommentdeskError(401, "invalid_token", "This edit token does not belong to the comment.")
    site = comment.site
    if comment.status != Comment.Status.PENDING:
        raise Forbidden("edit_closed", not_pending(comment.status))
    if comment.edited_by_moderator:
        raise Forbidden("edit_closed", EDITED_BY_MODERATOR)
    if now > comment.created_at + timedelta(minutes=site.edit_window):
        raise Forbidden("edit_closed", f"Comments can be edited for {site.edit_window} minutes only.")
    errors: dict[str, list[str]] = {}
    new_body = clean_body(body, site, "body", errors)
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.status != Comment.Status.PENDING:
            raise Forbidden("edit_closed", not_pending(locked.status))
        if locked.edited_by_moderator:
            raise Forbidden("edit_closed", EDITED_BY_MODERATOR)
        if locked.body != new_body:
            CommentRevision.objects.create(
                comment=locked, body=locked.body, created_at=now, editor=CommentRevision.Editor.AUTHOR
            )
            locked.body = new_body
            locked.edited_at = now
            locked.save(update_fields=["body", "edited_at"])
            transaction.on_commit(lambda: comment_edited.send(sender=Comment, comment=locked, editor="author"))
    return locked
