"""Moderators' decisions: the one entry point the desk, the API and commands call.

Every function takes the acting user (never a request), checks their rights,
and writes the change and its audit-log entry in one transaction; readers'
snapshots are refreshed after the commit (``comments.signals.thread_changed``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from commentdesk.comments.models import Comment, Commenter, CommentRevision, Thread
from commentdesk.comments.signals import comment_edited, comments_published, thread_changed
from commentdesk.comments.submission import clean_body
from commentdesk.lib.errors import CommentdeskError, Invalid, NotFound
from commentdesk.moderation.models import AuditLogEntry, Ban, Flag
from commentdesk.moderation.permissions import User, allowed_languages, in_languages, language_q, require_moderator
from commentdesk.sites.models import Site

MAX_BULK = 500


class SystemActor:
    """A part of commentdesk that decides on its own (``TRIAGE``: triage's
    automation), passed to :func:`decide` in place of a moderator. It has every
    site's rights, is no user (the audit log's ``actor`` is null) and is named
    in the entry's ``actor_name``; its decisions are undone like anyone's."""

    is_authenticated = False
    is_active = True
    is_superuser = False

    def __init__(self, name: str) -> None:
        self.name = name

    def get_username(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"SystemActor({self.name!r})"


TRIAGE = SystemActor("triage")


def _require_rights(actor: User | SystemActor, site: Site) -> None:
    """403 ``forbidden`` unless ``actor`` is a system actor or may moderate ``site``."""
    if not isinstance(actor, SystemActor):
        require_moderator(actor, site)

# action → status the comments end in
ACTIONS = {
    "approve": Comment.Status.APPROVED,
    "reject": Comment.Status.REJECTED,
    "spam": Comment.Status.SPAM,
    "restore": Comment.Status.PENDING,
}
NEEDS_REASON = {"reject", "spam"}


def check_reason(site: Site, reason: str, required: bool, field: str = "reason") -> str:
    """Validate a Terms-of-Use reason code against the site's list; raises ``Invalid``."""
    reason = (reason or "").strip()
    if not reason:
        if required:
            raise Invalid({field: ["A reason code from the site's list is required."]})
        return ""
    if reason not in site.reason_codes:
        raise Invalid({field: [f"Unknown reason {reason!r}; use one of: {', '.join(site.reason_codes)}."]})
    return reason


def refresh_after_commit(thread_ids: set[int] | list[int]) -> None:
    """Have ``publishing`` rebuild these threads' snapshots once the transaction commits."""
    for thread_id in sorted(set(thread_ids)):
        transaction.on_commit(lambda t=thread_id: thread_changed.send(sender=Thread, thread_id=t))


def decide(
    site: Site,
    comment_ids: Sequence[str],
    action: str,
    moderator: User | SystemActor,
    reason: str = "",
    note: str = "",
    now: datetime | None = None,
    versions: Mapping[str, str] | None = None,
) -> list[Comment]:
    """Apply ``action`` (approve, reject, spam, restore) to up to 500 comments of ``site``.

    ``versions`` maps comment ids to the :attr:`Comment.version` the moderator
    saw; when any comment changed since (its author edited it, or another
    moderator decided it), the whole decision is refused with 409
    ``changed_since_viewed``.

    All or nothing: raises ``Invalid`` (400) for a bad action, reason or list,
    ``NotFound`` (404 ``unknown_comment``) when any id is unknown or belongs to
    another site, 403 ``forbidden`` without rights; nothing changes then.
    ``moderator`` may be a :class:`SystemActor` (``TRIAGE``): the entries then
    name it as actor. Returns the comments in the order given; each one changed carries
    ``audit_entry_id`` (the id to pass to :func:`undo`), the others None.
    Resolves open reader flags of each
    comment; approving a flagged, published comment keeps it and is logged. A
    comment already in the target status without open flags is left alone and
    not logged again.
    """
    now = now or timezone.now()
    _require_rights(moderator, site)
    if action not in ACTIONS:
        raise Invalid({"action": [f"Unknown action {action!r}; use approve, reject, spam or restore."]})
    reason = check_reason(site, reason, required=action in NEEDS_REASON)
    ids = list(dict.fromkeys(str(i) for i in comment_ids))
    if not ids:
        raise Invalid({"comment_ids": ["Give at least one comment id."]})
    if len(ids) > MAX_BULK:
        raise Invalid({"comment_ids": [f"At most {MAX_BULK} comments in one decision."]})
    target = ACTIONS[action]
    with transaction.atomic():
        # By the unique public_id index alone: with "site = …" in the same query SQLite's
        # planner walks the site's index instead (seconds at a million comments).
        found = {
            c.public_id: c
            for c in Comment.objects.select_for_update().filter(public_id__in=ids)
            # A removed comment (erased at its author's request) is nobody's to decide again.
            if c.site_id == site.pk and c.status != Comment.Status.REMOVED
        }
        languages = allowed_languages(moderator, site)
        # Another language desk's comments are not this moderator's to see or decide.
        found = {k: c for k, c in found.items() if in_languages(c.language, languages)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound("unknown_comment", f"No comment of this site has the id(s): {', '.join(missing[:10])}.")
        changed_text = [i for i, v in (versions or {}).items() if i in found and found[i].version != v]
        if changed_text:
            raise CommentdeskError(409, "changed_since_viewed",
                                   f"Changed since you saw it (edited, or decided by another moderator); look again: "
                                   f"{', '.join(changed_text[:10])}.")
        flagged = set(
            Flag.objects.filter(comment__in=[c.pk for c in found.values()], resolved_at__isnull=True)
            .values_list("comment_id", flat=True)
        )
        changed_threads: set[int] = set()
        entries = []
        changed = []
        for public_id in ids:
            comment = found[public_id]
            comment.audit_entry_id = None  # type: ignore[attr-defined]
            if comment.status == target and comment.pk not in flagged:
                continue
            if comment.status == target:
                previous = comment.status  # keeping a flagged comment is a decision too
            else:
                previous = comment.transition(target, now)
                changed.append(comment)
            if Comment.Status.APPROVED in (previous, target):
                changed_threads.add(comment.thread_id)
            entries.append(
                AuditLogEntry.build(
                    site,
                    moderator,
                    action,
                    actor_name=moderator.name if isinstance(moderator, SystemActor) else None,
                    created_at=now,
                    comment=comment,
                    comment_public_id=comment.public_id,
                    commenter_id=comment.commenter_id,
                    from_status=previous,
                    to_status=target,
                    reason=reason,
                    note=note,
                )
            )
        first_published = [
            c.pk for c in changed if c.status == Comment.Status.APPROVED and c.published_at == now
        ]
        # One UPDATE for the lot (all go to one status), as transition() did in memory.
        changed_pks = [c.pk for c in changed]
        Comment.objects.filter(pk__in=changed_pks).update(
            status=target, decided_at=None if target == Comment.Status.PENDING else now
        )
        if target == Comment.Status.APPROVED:
            Comment.objects.filter(pk__in=changed_pks, published_at__isnull=True).update(published_at=now)
        if first_published:
            transaction.on_commit(lambda: comments_published.send(sender=Comment, comment_ids=first_published))
        AuditLogEntry.objects.bulk_create(entries, batch_size=500)
        for entry in entries:  # so callers can offer "undo" right after the decision
            found[entry.comment_public_id].audit_entry_id = entry.pk  # type: ignore[attr-defined]
        Flag.objects.filter(comment__in=flagged, resolved_at__isnull=True).update(resolved_at=now)
        refresh_after_commit(changed_threads)
    return [found[i] for i in ids]


def edit(
    comment: Comment, body: str, moderator: User, reason: str, note: str = "", now: datetime | None = None
) -> Comment:
    """A moderator's edit under the Terms of Use: keeps the earlier text as a
    revision, marks the comment ``edited_by_moderator`` and logs before/after.
    Sends ``comment_edited`` (editor ``"moderator"``) after the commit, so that
    triage scores the new text: the Score of a comment in the queue, or put
    back into it by an undo, is always of its current text.

    ``reason`` is a code of the site's list (required). Raises ``Invalid`` for a
    bad body or reason, 403 ``forbidden`` without rights.
    """
    now = now or timezone.now()
    site = comment.site
    require_moderator(moderator, site)
    if not in_languages(comment.language, allowed_languages(moderator, site)):
        raise NotFound("unknown_comment", "There is no comment with this id on a site you moderate.")
    errors: dict[str, list[str]] = {}
    new_body = clean_body(body or "", site, "body", errors)
    if errors:
        raise Invalid(errors)
    reason = check_reason(site, reason, required=True)
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.status == Comment.Status.REMOVED:
            raise NotFound("unknown_comment", "There is no comment with this id on a site you moderate.")
        before = locked.body
        if before == new_body:
            return locked
        CommentRevision.objects.create(
            comment=locked,
            body=before,
            created_at=now,
            editor=CommentRevision.Editor.MODERATOR,
            editor_user=moderator if moderator.is_authenticated else None,
            reason=reason,
        )
        locked.body = new_body
        locked.edited_by_moderator = True
        locked.save(update_fields=["body", "edited_by_moderator"])
        AuditLogEntry.build(
            site,
            moderator,
            AuditLogEntry.Action.EDIT,
            created_at=now,
            comment=locked,
            comment_public_id=locked.public_id,
            commenter_id=locked.commenter_id,
            from_status=locked.status,
            to_status=locked.status,
            reason=reason,
            note=note,
            before_text=before,
            after_text=new_body,
        ).save()
        if locked.status == Comment.Status.APPROVED:
            refresh_after_commit({locked.thread_id})
        transaction.on_commit(lambda: comment_edited.send(sender=Comment, comment=locked, editor="moderator"))
    return locked


def ban(
    site: Site,
    commenter_id: str,
    moderator: User,
    reason: str,
    until: datetime | None = None,
    reject_pending: bool = False,
    note: str = "",
    now: datetime | None = None,
) -> Ban:
    """Ban a commenter of ``site`` (permanently when ``until`` is None); their new
    submissions get 403 ``commenter_banned``. With ``reject_pending`` their
    pending comments are rejected with the same reason, in the same transaction
    (those of the moderator's language desk; the rest wait for their desks).

    Raises ``NotFound`` (404 ``unknown_commenter``), ``Invalid`` for a bad reason
    or an ``until`` in the past, 403 ``forbidden`` without rights.
    """
    now = now or timezone.now()
    require_moderator(moderator, site)
    reason = check_reason(site, reason, required=True)
    if until is not None:
        try:
            until = until.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise Invalid({"until": ["This time is out of range."]}) from exc
        if until <= now:
            raise Invalid({"until": ["A ban must end in the future (or give null for a permanent ban)."]})
    with transaction.atomic():
        commenter = Commenter.objects.select_for_update().filter(site=site, public_id=commenter_id).first()
        if commenter is None:
            raise NotFound("unknown_commenter", f"No commenter of this site has the id {commenter_id!r}.")
        record = Ban.objects.create(
            site=site,
            commenter=commenter,
            reason=reason,
            note=note,
            until=until,
            created_by=moderator if moderator.is_authenticated else None,
            created_at=now,
        )
        commenter.banned_at = now
        commenter.banned_until = until
        commenter.save(update_fields=["banned_at", "banned_until"])
        AuditLogEntry.build(
            site,
            moderator,
            AuditLogEntry.Action.BAN,
            created_at=now,
            commenter=commenter,
            reason=reason,
            note=note if until is None else f"until {until.isoformat()} {note}".strip(),
        ).save()
        if reject_pending:
            # Those of the moderator's language desk: the others are another desk's to decide.
            pending = list(
                commenter.comments.filter(language_q(allowed_languages(moderator, site)), status=Comment.Status.PENDING)
                .values_list("public_id", flat=True)
            )
            for start in range(0, len(pending), MAX_BULK):
                decide(site, pending[start : start + MAX_BULK], "reject", moderator, reason, "ban", now)
    return record


def flag(comment_id: str, reason: str, note: str, ip_hash: str, now: datetime | None = None) -> Flag:
    """A reader's report of an approved comment (it stays published).

    Raises ``NotFound`` (404 ``unknown_comment``) for an unknown or unpublished
    comment, ``Invalid`` for a bad reason or a note over 500 characters. A
    second report from the same address hash for the same reason adds nothing.
    """
    from commentdesk.lib.text import normalise_body

    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if reason not in Flag.Reason.values:
        errors["reason"] = [f"Use one of: {', '.join(Flag.Reason.values)}."]
    note = normalise_body(note or "")
    if len(note) > 500:
        errors["note"] = ["The note is over 500 characters."]
    comment = Comment.objects.approved().filter(public_id=comment_id).first()
    if comment is None:
        raise NotFound("unknown_comment", "There is no published comment with this id.")
    if errors:
        raise Invalid(errors)
    existing = Flag.objects.filter(comment=comment, reason=reason, ip_hash=ip_hash, resolved_at__isnull=True).first()
    if existing is not None:
        return existing
    return Flag.objects.create(comment=comment, reason=reason, note=note, ip_hash=ip_hash, created_at=now)


def undo(site: Site, entry_id: int, moderator: User, now: datetime | None = None) -> Comment:
    """Revert one decision (approve, reject, spam, restore or an earlier undo) of
    ``site``: the comment goes back to the status it had before, and the undo is
    itself logged (``undoes`` points at the reverted entry).

    Raises 404 ``unknown_entry`` for an entry of another site, not a decision,
    or about a comment outside the moderator's language desk,
    409 ``already_undone`` when it was undone before, 409 ``stale_undo`` when the
    comment was decided again since (undo the later decision instead), 403
    ``forbidden`` without rights.
    """
    now = now or timezone.now()
    require_moderator(moderator, site)
    with transaction.atomic():
        entry = (
            AuditLogEntry.objects.filter(site=site, pk=entry_id, action__in=[*ACTIONS, "undo"], comment__isnull=False)
            .select_related("comment")
            .first()
        )
        if entry is None or not in_languages(entry.comment.language, allowed_languages(moderator, site)):
            raise NotFound("unknown_entry", "There is no decision with this id on this site.")
        if entry.undone_by.exists():
            raise CommentdeskError(409, "already_undone", "This decision was already undone.")
        comment = Comment.objects.select_for_update().get(pk=entry.comment_id)
        if comment.status != entry.to_status:
            raise CommentdeskError(409, "stale_undo", "The comment was decided again since; undo that decision instead.")
        previous = comment.status
        if entry.from_status != previous:
            comment.transition(entry.from_status, now)
            comment.save(update_fields=["status", "decided_at", "published_at"])
        AuditLogEntry.build(
            site, moderator, AuditLogEntry.Action.UNDO, created_at=now, comment=comment,
            comment_public_id=comment.public_id, commenter_id=comment.commenter_id,
            from_status=previous, to_status=entry.from_status, undoes=entry,
            note=f"undo of {entry.action} #{entry.pk}",
        ).save()
        if Comment.Status.APPROVED in (previous, entry.from_status):
            refresh_after_commit([comment.thread_id])
    return comment


def unban(site: Site, commenter_id: str, moderator: User, note: str = "", now: datetime | None = None) -> Commenter:
    """Lift a commenter's ban (logged). Raises 404 ``unknown_commenter``, 409
    ``not_banned`` when no ban is in force, 403 ``forbidden`` without rights."""
    now = now or timezone.now()
    require_moderator(moderator, site)
    with transaction.atomic():
        commenter = Commenter.objects.select_for_update().filter(site=site, public_id=commenter_id).first()
        if commenter is None:
            raise NotFound("unknown_commenter", f"No commenter of this site has the id {commenter_id!r}.")
        if not commenter.is_banned(now):
            raise CommentdeskError(409, "not_banned", "This commenter is not banned.")
        commenter.banned_at = None
        commenter.banned_until = None
        commenter.save(update_fields=["banned_at", "banned_until"])
        Ban.objects.filter(commenter=commenter, lifted_at__isnull=True).update(lifted_at=now)
        AuditLogEntry.build(site, moderator, AuditLogEntry.Action.UNBAN, created_at=now, commenter=commenter,
                            note=note).save()
    return commenter


def set_trusted(site: Site, commenter_id: str, trusted: bool, moderator: User, note: str = "",
                now: datetime | None = None) -> Commenter:
    """Trust a commenter (their comments publish at once where the site allows
    it) or withdraw trust; logged. Raises 404 ``unknown_commenter``, 403 ``forbidden``."""
    now = now or timezone.now()
    require_moderator(moderator, site)
    with transaction.atomic():
        commenter = Commenter.objects.select_for_update().filter(site=site, public_id=commenter_id).first()
        if commenter is None:
            raise NotFound("unknown_commenter", f"No commenter of this site has the id {commenter_id!r}.")
        if commenter.trusted != trusted:
            commenter.trusted = trusted
            commenter.save(update_fields=["trusted"])
            action = AuditLogEntry.Action.TRUST if trusted else AuditLogEntry.Action.UNTRUST
            AuditLogEntry.build(site, moderator, action, created_at=now, commenter=commenter, note=note).save()
    return commenter
