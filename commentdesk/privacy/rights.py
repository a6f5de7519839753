"""Readers' data rights: export all data held about a commenter, or erase it.

A commenter exists per site (``Commenter.site``): one e-mail address may have
records on several sites. :func:`find_commenters` finds them (every site, or
one); :func:`export` gives everything held about them as JSON-ready data;
:func:`plan_erasure` says what :func:`erase` would do and :func:`erase` does it.
``commentdesk commenter export|erase`` calls these.

Erasure, in both modes, empties the commenter record (name "former commenter",
no e-mail, IP hash, token or import id; notifications off) and the notes of
their bans, and removes every comment of theirs that is not approved: a reader
who asks for erasure withdraws what is unpublished (pending comments leave the
queue). Then:

- ``anonymise`` keeps the approved comments' texts, shown under "former
  commenter", without IP hash or edit token; the author's own earlier versions
  (revisions) go, a moderator's revisions stay (see the audit log below).
- ``delete`` removes the approved comments too.

A removed comment that has replies by others stays as a tombstone
(``Comment.Status.REMOVED``: no text, no author, no IP hash, no revisions,
flags or triage data), which readers see as "[removed]" so the thread's nesting
holds; one without replies is deleted with everything attached to it. Thread
snapshots are rebuilt after the commit, so counts and lists are right at once.

The audit log is append-only and the application never edits it: older entries
keep the before/after texts of decisions and edits on the erased comments,
because they are the publisher's record of what its moderators did (and are
shown only to moderators). Each erasure adds one entry per site, holding no
personal data: the commenter's public id and counts. An operator who must
remove those older texts too does so by hand in the database, knowingly.

Flags are recorded by the reporter's IP hash, never by commenter, so the flags
a commenter made cannot be told apart from those of others on the same network:
the export says so and lists only flags on the commenter's own comments (reason
and dates; the reporters' notes and hashes belong to the reporters).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from commentdesk.comments.models import (
    FORMER_COMMENTER,
    Comment,
    Commenter,
    CommentRevision,
    IdempotencyRecord,
    rfc3339,
)
from commentdesk.lib.errors import Invalid, NotFound
from commentdesk.moderation.decisions import refresh_after_commit
from commentdesk.moderation.models import AuditLogEntry, Ban, Flag
from commentdesk.sites.models import Site
from commentdesk.triage.campaigns import forget
from commentdesk.triage.models import Fingerprint, Score

MODES = ("anonymise", "delete")

FLAGS_MADE_NOTE = (
    "Flags (reports) are stored with the reporter's IP hash, not with a commenter, so the flags this "
    "person made cannot be told apart from those of others on the same network; none are listed. "
    "Flags on this person's comments are listed with each comment."
)


def find_commenters(who: str, site_slug: str | None = None) -> list[Commenter]:
    """The commenter records of ``who`` (an e-mail address, matched without regard
    to case, or a commenter's public id ``u_…``) on every site, or only on the
    site ``site_slug``; ordered by site slug, then creation.

    Raises ``Invalid`` (field ``who``) for something that is neither an e-mail
    address nor a public id, ``NotFound`` ``unknown_site`` / ``unknown_commenter``.
    """
    who = (who or "").strip()
    qs = Commenter.objects.select_related("site").order_by("site__slug", "created_at", "id")
    if site_slug is not None:
        site = Site.objects.filter(slug=site_slug).first()
        if site is None:
            raise NotFound("unknown_site", f"There is no site {site_slug!r}.")
        qs = qs.filter(site=site)
    if who.startswith("u_") and "@" not in who:
        qs = qs.filter(public_id=who)
    else:
        try:
            validate_email(who)
        except ValidationError as exc:
            raise Invalid({"who": [f"{who!r} is neither an e-mail address nor a commenter id (u_…)."]}) from exc
        qs = qs.filter(email__iexact=who)
    found = list(qs)
    if not found:
        where = f" on site {site_slug!r}" if site_slug is not None else ""
        raise NotFound("unknown_commenter", f"No commenter{where} has the e-mail address or id {who!r}.")
    return found


# --- export ---


def _comment_data(comment: Comment) -> dict[str, Any]:
    score = getattr(comment, "triage_score", None)
    return {
        "id": comment.public_id,
        "thread": {"key": comment.thread.key, "url": comment.thread.url, "title": comment.thread.title},
        "parent_id": comment.parent.public_id if comment.parent else None,
        "status": comment.status,
        "author_name": comment.author_name,
        "body": comment.body,
        "language": comment.language,
        "created_at": rfc3339(comment.created_at),
        "published_at": rfc3339(comment.published_at),
        "decided_at": rfc3339(comment.decided_at),
        "edited_at": rfc3339(comment.edited_at),
        "edited_by_moderator": comment.edited_by_moderator,
        "ip_hash": comment.ip_hash,
        "import_source": comment.import_source,
        "import_id": comment.import_id,
        "revisions": [
            {"body": r.body, "created_at": rfc3339(r.created_at), "editor": r.editor, "reason": r.reason}
            for r in comment.revisions.all()
        ],
        "flags_on_it": [
            {"reason": f.reason, "created_at": rfc3339(f.created_at), "resolved_at": rfc3339(f.resolved_at)}
            for f in comment.flags.all()
        ],
        "triage": {"risk": score.risk, "reasons": list(score.reasons)} if score is not None else None,
    }


def _audit_data(entry: AuditLogEntry) -> dict[str, Any]:
    # Moderators are named by role only: their names are theirs, not the reader's.
    return {
        "created_at": rfc3339(entry.created_at),
        "action": entry.action,
        "by": "moderator" if entry.actor_id else "system",
        "comment_id": entry.comment_public_id,
        "from_status": entry.from_status,
        "to_status": entry.to_status,
        "reason": entry.reason,
        "note": entry.note,
        "before_text": entry.before_text,
        "after_text": entry.after_text,
    }


def export_commenter(commenter: Commenter) -> dict[str, Any]:
    """Everything held about one commenter record, as JSON-ready data.

    Shape: ``{"site", "id", "name", "email", "email_verified", "notify",
    "trusted", "created_at", "ip_hash", "has_token", "banned_at",
    "banned_until", "import_source", "import_id", "comments": [...every status,
    with "revisions", "flags_on_it" and "triage"...], "bans": [...],
    "audit_log": [...entries about them or their comments...]}``. Times are
    RFC 3339 UTC strings; secrets appear only as whether one is set.
    """
    comments = list(
        commenter.comments.select_related("thread", "parent", "triage_score")
        .prefetch_related("revisions", "flags").order_by("created_at", "id")
    )
    public_ids = [c.public_id for c in comments]
    entries = AuditLogEntry.objects.filter(
        Q(commenter=commenter) | Q(site=commenter.site, comment_public_id__in=public_ids)
    ).order_by("created_at", "id")
    return {
        "site": commenter.site.slug,
        "id": commenter.public_id,
        "name": commenter.name,
        "email": commenter.email,
        "email_verified": commenter.email_verified,
        "notify": commenter.notify,
        "trusted": commenter.trusted,
        "created_at": rfc3339(commenter.created_at),
        "ip_hash": commenter.ip_hash,
        "has_token": bool(commenter.token_hash),
        "banned_at": rfc3339(commenter.banned_at),
        "banned_until": rfc3339(commenter.banned_until),
        "import_source": commenter.import_source,
        "import_id": commenter.import_id,
        "comments": [_comment_data(c) for c in comments],
        "bans": [
            {"reason": b.reason, "note": b.note, "created_at": rfc3339(b.created_at), "until": rfc3339(b.until),
             "lifted_at": rfc3339(b.lifted_at)}
            for b in Ban.objects.filter(commenter=commenter).order_by("created_at", "id")
        ],
        "audit_log": [_audit_data(e) for e in entries],
    }


def export(commenters: Iterable[Commenter], operator: str = "system", now: datetime | None = None) -> dict[str, Any]:
    """All data held about ``commenters`` (from :func:`find_commenters`):
    ``{"exported_at": RFC 3339, "commenters": [export_commenter(...)...],
    "flags_made": FLAGS_MADE_NOTE}``; records one ``export`` audit-log entry per
    commenter record, by ``operator``, holding only the public id."""
    now = now or timezone.now()
    commenters = list(commenters)
    data = {
        "exported_at": rfc3339(now),
        "commenters": [export_commenter(c) for c in commenters],
        "flags_made": FLAGS_MADE_NOTE,
    }
    AuditLogEntry.objects.bulk_create([
        AuditLogEntry.build(c.site, None, AuditLogEntry.Action.EXPORT, actor_name=operator, created_at=now,
                            commenter=c, note=f"data of commenter {c.public_id} exported")
        for c in commenters
    ])
    return data


# --- erasure ---


@dataclass
class ErasurePlan:
    """What erasing one commenter record does; comment primary keys by fate.

    ``kept``: approved comments kept under "former commenter" (``anonymise``);
    ``tombstones``: removed but kept as "[removed]" because others answered them
    (directly or below); ``deleted``: removed with everything attached.
    ``threads``: threads whose readers' snapshot changes.
    """

    commenter: Commenter
    mode: str
    kept: list[int] = field(default_factory=list)
    tombstones: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    threads: set[int] = field(default_factory=set)

    def summary(self) -> str:
        """One line for people, with no personal data."""
        return (f"commenter {self.commenter.public_id} on {self.commenter.site.slug} ({self.mode}): "
                f"{len(self.kept)} approved comment(s) kept anonymised, "
                f"{len(self.tombstones)} removed and shown as [removed] (answered), "
                f"{len(self.deleted)} deleted")


def plan_erasure(commenter: Commenter, mode: str) -> ErasurePlan:
    """What :func:`erase` would do to ``commenter`` in ``mode`` (``anonymise`` or
    ``delete``); changes nothing. Raises ``Invalid`` (field ``mode``) for another mode."""
    if mode not in MODES:
        raise Invalid({"mode": [f"Use one of: {', '.join(MODES)}."]})
    rows = list(commenter.comments.values_list("pk", "status", "parent_id", "thread_id"))
    plan = ErasurePlan(commenter=commenter, mode=mode)
    keep = {pk for pk, status, _, _ in rows if mode == "anonymise" and status == Comment.Status.APPROVED}
    drop = {pk for pk, _, _, _ in rows} - keep
    parent_of = {pk: parent for pk, _, parent, _ in rows}
    # Answered: a dropped comment with a reply that stays (someone else's, a kept
    # one, or a tombstone itself), followed up the chain of dropped parents.
    answered = set(
        Comment.objects.filter(parent_id__in=drop).exclude(pk__in=drop).values_list("parent_id", flat=True)
    )
    tombstones: set[int] = set()
    while answered:
        pk = answered.pop()
        if pk in tombstones:
            continue
        tombstones.add(pk)
        parent = parent_of.get(pk)
        if parent in drop:
            answered.add(parent)
    plan.kept = sorted(keep)
    plan.tombstones = sorted(tombstones)
    plan.deleted = sorted(drop - tombstones)
    shown = {Comment.Status.APPROVED, Comment.Status.REMOVED}
    plan.threads = {thread for _, status, _, thread in rows if status in shown}
    return plan


def erase(commenter: Commenter, mode: str, operator: str = "system", now: datetime | None = None) -> ErasurePlan:
    """Erase ``commenter`` in ``mode`` (see the module's docstring) in one
    transaction, record one ``erase`` audit-log entry (by ``operator``; the
    public id and counts only) and rebuild the affected threads' snapshots after
    the commit. Returns the plan carried out. Raises ``Invalid`` for a bad mode;
    nothing changes then."""
    now = now or timezone.now()
    with transaction.atomic():
        # The commenter's row only (not the site's, which every write of the site checks).
        locked = Commenter.objects.select_for_update(of=("self",)).select_related("site").get(pk=commenter.pk)
        plan = plan_erasure(locked, mode)
        # The comments first, in id order: a triage batch scoring one of them holds it
        # until its fingerprint and Score are committed (pipeline.score_comments), so
        # they are seen, and deleted, below; and the locks come in triage's order
        # (comments, campaigns, Scores), so the two cannot deadlock.
        gone = plan.tombstones + plan.deleted
        list(Comment.objects.select_for_update(of=("self",)).filter(pk__in=gone).order_by("pk").values_list("pk"))
        # Their campaigns are recounted: the desk's "3 near-duplicate comments" counts the members left.
        forget(Fingerprint.objects.filter(comment_id__in=gone))
        # Tombstones: the row keeps its place in the thread, nothing else.
        CommentRevision.objects.filter(comment_id__in=plan.tombstones).delete()
        Flag.objects.filter(comment_id__in=plan.tombstones).delete()
        Score.objects.filter(comment_id__in=plan.tombstones).delete()
        Comment.objects.filter(pk__in=plan.tombstones).update(
            status=Comment.Status.REMOVED, body="", author_name="", ip_hash="", edit_token_hash="",
            edited_at=None, edited_by_moderator=False, decided_at=now,
        )
        # Deleted: revisions, flags, triage data and idempotency answers go with them.
        Comment.objects.filter(pk__in=plan.deleted).delete()
        # Kept (anonymise): the published text stays under "former commenter".
        CommentRevision.objects.filter(comment_id__in=plan.kept, editor=CommentRevision.Editor.AUTHOR).delete()
        Comment.objects.filter(pk__in=plan.kept).update(
            author_name=str(FORMER_COMMENTER), ip_hash="", edit_token_hash=""
        )
        # Stored answers to submissions repeat the name and text.
        IdempotencyRecord.objects.filter(comment_id__in=plan.kept + plan.tombstones).delete()
        Ban.objects.filter(commenter=locked).update(note="")
        Commenter.objects.filter(pk=locked.pk).update(
            name=str(FORMER_COMMENTER), email="", email_verified=False, notify=False, ip_hash="", token_hash="",
            import_id="",
        )
        AuditLogEntry.build(
            locked.site, None, AuditLogEntry.Action.ERASE, actor_name=operator, created_at=now, commenter=locked,
            note=(f"{mode}: commenter {locked.public_id}; {len(plan.kept)} kept anonymised, "
                  f"{len(plan.tombstones)} kept as [removed], {len(plan.deleted)} deleted"),
        ).save()
        refresh_after_commit(plan.threads)
    plan.commenter = locked
    return plan
