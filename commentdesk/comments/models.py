"""Threads, commenters, comments and their revisions.

This app knows nothing about moderation: ``moderation`` changes a comment's
status through :meth:`Comment.transition` and keeps its own audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import TypedDict

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commentdesk.lib.ids import new_public_id
from commentdesk.sites.models import Site


def rfc3339(value: datetime | None) -> str | None:
    """Format an aware datetime as RFC 3339 UTC with a ``Z`` suffix (API.md), or None.

    Microseconds are kept when present, so two comments of one second still sort.
    """
    if value is None:
        return None
    utc = value.astimezone(UTC)
    # isoformat pads the year to four digits (strftime's %Y does not, for years < 1000).
    text = utc.replace(tzinfo=None).isoformat(timespec="microseconds" if utc.microsecond else "seconds")
    return text + "Z"


# What readers see in place of a removed comment's text (a fixed marker, not a
# translation, so that a widget may recognise it).
REMOVED_BODY = "[removed]"
# The name an erased commenter's kept comments are shown under (privacy.rights).
FORMER_COMMENTER = _("former commenter")


class ThreadQuerySet(models.QuerySet["Thread"]):
    def for_key(self, site: Site, key: str) -> Thread | None:
        """The thread of ``site`` with normalised ``key``, or None."""
        return self.filter(site=site, key=key).first()


class Thread(models.Model):
    """The comments under one article; ``key`` is normalised (lib.text)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="threads")
    key = models.CharField(max_length=500)
    url = models.URLField(max_length=2000, blank=True)
    title = models.CharField(max_length=300, blank=True)
    is_closed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    import_source = models.CharField(max_length=20, blank=True)
    import_id = models.CharField(max_length=100, blank=True)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "key"], name="thread_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.site.slug}:{self.key}"


class Commenter(models.Model):
    """A reader who commented on one site. Nothing identifies them beyond what
    they typed: a name, an optional e-mail, and keyed hashes of their address."""

    public_id = models.CharField(max_length=24, unique=True, editable=False)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="commenters")
    name = models.CharField(max_length=80)
    email = models.EmailField(blank=True)
    email_verified = models.BooleanField(default=False)
    # Opted in to e-mail when their comment is published or answered (needs a verified address).
    notify = models.BooleanField(default=False)
    ip_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set by moderators: with the site's trusted_skip_premoderation, published at once
    # (only when the submission proves it is this commenter with their token).
    trusted = models.BooleanField(default=False)
    # SHA-256 of the secret the widget keeps for a commenter it created (see submission).
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # Kept by moderation.bans; the Ban rows there hold the history and reasons.
    banned_at = models.DateTimeField(null=True, blank=True)
    banned_until = models.DateTimeField(null=True, blank=True)
    import_source = models.CharField(max_length=20, blank=True)
    import_id = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["site", "email"], name="commenter_email"),
            models.Index(fields=["site", "name", "ip_hash"], name="commenter_anon"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.public_id:
            self.public_id = new_public_id("u")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def issue_token(self) -> str:
        """Create the commenter's secret (kept by their browser); only its SHA-256 is stored."""
        token = secrets.token_urlsafe(32)
        self.token_hash = hashlib.sha256(token.encode()).hexdigest()
        return token

    def is_banned(self, now: datetime | None = None) -> bool:
        """True while a ban is in force (permanent when ``banned_until`` is None)."""
        if self.banned_at is None:
            return False
        return self.banned_until is None or self.banned_until > (now or timezone.now())


class CommentQuerySet(models.QuerySet["Comment"]):
    def approved(self) -> CommentQuerySet:
        """The only comments readers may ever see."""
        return self.filter(status=Comment.Status.APPROVED)

    def queue(self, site: Site, status: str = "pending", order: str = "oldest") -> CommentQuerySet:
        """A site's moderation queue of ``status``, ``oldest`` or ``newest`` first."""
        qs = self.filter(site=site, status=status).select_related("thread", "commenter", "parent")
        return qs.order_by("-created_at", "-id") if order == "newest" else qs.order_by("created_at", "id")


class Comment(models.Model):
    """One reader's plain-text comment. Only ``approved`` ones are ever shown."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SPAM = "spam", _("Spam")
        # Erased at the author's request but answered by others: a tombstone that
        # keeps the thread's nesting; readers see "[removed]" with no author (privacy.rights).
        REMOVED = "removed", _("Removed")

    public_id = models.CharField(max_length=24, unique=True, editable=False)
    # No single-column indexes on site, thread and commenter: the composite indexes
    # below start with each (every index is one more write per insert and per
    # update that cannot stay on its page).
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="comments", db_index=False)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments", db_index=False)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    commenter = models.ForeignKey(Commenter, on_delete=models.CASCADE, related_name="comments", db_index=False)
    author_name = models.CharField(max_length=80)
    body = models.TextField()
    status = models.CharField(max_length=8, choices=Status, default=Status.PENDING)
    language = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    edited_by_moderator = models.BooleanField(default=False)
    ip_hash = models.CharField(max_length=64, blank=True)
    edit_token_hash = models.CharField(max_length=64, blank=True)
    import_source = models.CharField(max_length=20, blank=True)
    import_id = models.CharField(max_length=100, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["site", "status", "created_at"], name="comment_queue"),
            models.Index(fields=["thread", "status", "published_at"], name="comment_published"),
            # Covers the desk's commenter history (counts by status for a page's commenters).
            models.Index(fields=["commenter", "status"], name="comment_commenter_status"),
            # Only comments still holding an IP hash: triage's burst count reads one
            # address's recent comments (triage.campaigns.burst_many), and the retention
            # task (privacy.retention) finds the old ones without reading every comment
            # it already cleared.
            models.Index(fields=["site", "ip_hash", "created_at"], condition=~Q(ip_hash=""),
                         name="comment_ip_hash_held"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "import_source", "import_id"],
                condition=~Q(import_id=""),
                name="comment_unique_import",
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.public_id:
            self.public_id = new_public_id("c")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def issue_edit_token(self) -> str:
        """Create the author's edit token; only its SHA-256 is kept. Returns the token."""
        token = secrets.token_urlsafe(32)
        self.edit_token_hash = hashlib.sha256(token.encode()).hexdigest()
        return token

    def check_edit_token(self, token: str) -> bool:
        """Constant-time check of an author's edit token."""
        if not self.edit_token_hash or not token:
            return False
        digest = hashlib.sha256(token.encode()).hexdigest()
        return secrets.compare_digest(digest, self.edit_token_hash)

    def transition(self, status: str, at: datetime) -> str:
        """Set ``status`` at time ``at`` and keep ``published_at``/``decided_at``
        consistent; returns the previous status. The caller saves and audits.

        ``published_at`` is set the first time a comment is approved and kept if
        it is later restored and approved again, so a thread keeps its order.
        """
        previous = self.status
        self.status = status
        if status == Comment.Status.PENDING:
            self.decided_at = None
        else:
            self.decided_at = at
        if status == Comment.Status.APPROVED and self.published_at is None:
            self.published_at = at
        return previous

    def to_public_dict(self, reply_count: int = 0) -> PublicCommentDict:
        """The reader API's shape of an approved comment (API.md); a removed
        comment (a tombstone, emptied by ``privacy.rights``) shows ``REMOVED_BODY``
        and no author name."""
        removed = self.status == Comment.Status.REMOVED
        return {
            "id": self.public_id,
            "parent_id": self.parent.public_id if self.parent_id and self.parent else None,
            "author_name": "" if removed else self.author_name,
            "body": REMOVED_BODY if removed else self.body,
            "created_at": rfc3339(self.created_at),
            "published_at": rfc3339(self.published_at),
            "edited": self.edited_at is not None or self.edited_by_moderator,
            "edited_by_moderator": self.edited_by_moderator,
            "reply_count": reply_count,
            "removed": removed,
        }

    @property
    def version(self) -> str:
        """A short fingerprint of the status and text (16 hex digits of SHA-256): a
        moderator's decision may name the version it saw, so that neither an
        author's later edit nor another moderator's decision is overridden unseen."""
        return hashlib.sha256(f"{self.status}\n{self.body}".encode()).hexdigest()[:16]

    def to_author_dict(self, shown_status: str | None = None) -> AuthorCommentDict:
        """What the author is told about their own comment after sending or editing it."""
        return {
            "id": self.public_id,
            "status": shown_status or self.status,
            "parent_id": self.parent.public_id if self.parent_id and self.parent else None,
            "author_name": self.author_name,
            "body": self.body,
            "created_at": rfc3339(self.created_at),
        }


class AuthorCommentDict(TypedDict):
    id: str
    status: str
    parent_id: str | None
    author_name: str
    body: str
    created_at: str | None


class PublicCommentDict(TypedDict):
    id: str
    parent_id: str | None
    author_name: str
    body: str
    created_at: str | None
    published_at: str | None
    edited: bool
    edited_by_moderator: bool
    reply_count: int
    removed: bool


class CommentRevision(models.Model):
    """An earlier text of a comment, kept whenever its author or a moderator edits it."""

    class Editor(models.TextChoices):
        AUTHOR = "author", _("Author")
        MODERATOR = "moderator", _("Moderator")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    editor = models.CharField(max_length=10, choices=Editor)
    editor_user = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class IdempotencyRecord(models.Model):
    """The first answer to a submission with an ``Idempotency-Key`` (replayed for 24 h).

    ``fingerprint``: SHA-256 of the request body, so a key reused for another
    request is refused. ``response`` holds the answer without its tokens: they
    are never kept at rest; a replay issues fresh ones for the same comment.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64, default="")
    comment = models.ForeignKey(Comment, null=True, on_delete=models.CASCADE, related_name="+")
    commenter_created = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "key"], name="idempotency_unique_key")]
