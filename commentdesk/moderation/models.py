"""Who may moderate which site, readers' flags, bans, API tokens and the audit log."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commentdesk.comments.models import Comment, Commenter
from commentdesk.sites.models import Site, validate_languages


class MembershipQuerySet(models.QuerySet["Membership"]):
    def sites_for(self, user: settings.AUTH_USER_MODEL) -> models.QuerySet[Site]:  # type: ignore[name-defined]
        """The sites ``user`` may moderate (every site for a superuser)."""
        if user.is_superuser:
            return Site.objects.all()
        return Site.objects.filter(memberships__user=user).distinct()


class Membership(models.Model):
    """A moderator's rights on one site."""

    class Role(models.TextChoices):
        MODERATOR = "moderator", _("Moderator")
        ADMIN = "admin", _("Site admin")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role, default=Role.MODERATOR)
    # Language desks: the comment languages this moderator handles; empty = all.
    languages = models.JSONField(default=list, blank=True, validators=[validate_languages])
    # E-mail a digest when comments wait longer than the site's threshold.
    digest = models.BooleanField(default=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "site"], name="membership_unique")]


class APIToken(models.Model):
    """A moderator's token for ``Authorization: Token …``; only its SHA-256 is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    @classmethod
    def issue(cls, user: settings.AUTH_USER_MODEL, label: str = "") -> str:  # type: ignore[name-defined]
        """Create a token for ``user`` and return it (shown once, never stored)."""
        token = "cdt_" + secrets.token_urlsafe(32)
        cls.objects.create(user=user, token_hash=cls.digest(token), label=label)
        return token

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class Flag(models.Model):
    """A reader's report of an approved comment; it stays published until decided."""

    class Reason(models.TextChoices):
        ABUSIVE = "abusive", _("Abusive")
        SPAM = "spam", _("Spam")
        OFF_TOPIC = "off_topic", _("Off topic")
        MISINFORMATION = "misinformation", _("Misinformation")
        OTHER = "other", _("Other")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=20, choices=Reason)
    note = models.CharField(max_length=500, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["comment", "resolved_at"], name="flag_open")]


class Ban(models.Model):
    """A ban of a commenter on a site: permanent when ``until`` is None."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="bans")
    commenter = models.ForeignKey(Commenter, on_delete=models.CASCADE, related_name="bans")
    reason = models.CharField(max_length=40)
    note = models.TextField(blank=True)
    until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)


class AppendOnlyError(Exception):
    """Raised on an attempt to change or delete an audit-log entry."""


class AuditLogEntry(models.Model):
    """One moderation action: who, when, what, why, and the text before/after.

    Append-only: :meth:`save` refuses updates and :meth:`delete` refuses always.
    ``comment_public_id`` keeps the comment's id even if the row goes away.
    """

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")
        SPAM = "spam", _("Mark as spam")
        RESTORE = "restore", _("Restore to pending")
        UNDO = "undo", _("Undo")
        EDIT = "edit", _("Edit")
        BAN = "ban", _("Ban")
        UNBAN = "unban", _("Unban")
        TRUST = "trust", _("Trust commenter")
        UNTRUST = "untrust", _("Withdraw trust")
        CLOSE = "close", _("Close thread")
        REOPEN = "reopen", _("Reopen thread")
        SETTINGS = "settings", _("Change site settings")
        MEMBERSHIP = "membership", _("Change desk rights")
        IMPORT = "import", _("Import")
        EXPORT = "export", _("Export a commenter's data")
        ERASE = "erase", _("Erase a commenter's data")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="audit_log")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=10, choices=Action)
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    comment_public_id = models.CharField(max_length=24, blank=True)
    commenter = models.ForeignKey(Commenter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    thread = models.ForeignKey("comments.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # For an undo: the entry it reverts.
    undoes = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="undone_by")
    from_status = models.CharField(max_length=8, blank=True)
    to_status = models.CharField(max_length=8, blank=True)
    reason = models.CharField(max_length=40, blank=True)
    note = models.TextField(blank=True)
    before_text = models.TextField(blank=True)
    after_text = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit log entries"

    @classmethod
    def build(cls, site: Site, actor: Any, action: str, **fields: Any) -> AuditLogEntry:
        """An unsaved entry by ``actor`` (a user, or None/anonymous for the system,
        named by ``fields["actor_name"]`` or "system")."""
        user = actor if actor is not None and actor.is_authenticated else None
        name = fields.pop("actor_name", None) or (user.get_username() if user else "system")
        return cls(site=site, actor=user, actor_name=name, action=action, **fields)

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit-log entries are never changed")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit-log entries are never deleted")
