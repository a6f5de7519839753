"""Closing and reopening threads (an article's comments), by hand or after the site's period."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from commentdesk.comments.models import Thread
from commentdesk.moderation.decisions import refresh_after_commit
from commentdesk.moderation.models import AuditLogEntry
from commentdesk.moderation.permissions import User, require_moderator
from commentdesk.sites.models import Site


def set_closed(thread: Thread, closed: bool, moderator: User, note: str = "", now: datetime | None = None) -> Thread:
    """Close (``closed=True``) or reopen a thread; new comments then get 403
    ``thread_closed`` and the widget says so. Logged; a no-op when already so.
    Raises 403 ``forbidden`` without rights on the thread's site."""
    now = now or timezone.now()
    require_moderator(moderator, thread.site)
    with transaction.atomic():
        locked = Thread.objects.select_for_update().get(pk=thread.pk)
        if locked.is_closed == closed:
            return locked
        locked.is_closed = closed
        locked.save(update_fields=["is_closed"])
        action = AuditLogEntry.Action.CLOSE if closed else AuditLogEntry.Action.REOPEN
        AuditLogEntry.build(locked.site, moderator, action, created_at=now, thread=locked, note=note).save()
        refresh_after_commit([locked.pk])
    return locked


def auto_close(now: datetime | None = None) -> int:
    """Close every open thread older than its site's ``auto_close_days`` (sites
    with 0 never auto-close). Each closure is logged as done by ``auto-close``.
    Returns the number of threads closed."""
    now = now or timezone.now()
    closed = 0
    for site in Site.objects.filter(auto_close_days__gt=0):
        cutoff = now - timedelta(days=site.auto_close_days)
        while True:
            with transaction.atomic():
                batch = list(
                    Thread.objects.select_for_update(skip_locked=True)
                    .filter(site=site, is_closed=False, created_at__lt=cutoff)
                    .order_by("id")[:500]
                )
                if not batch:
                    break
                Thread.objects.filter(pk__in=[t.pk for t in batch]).update(is_closed=True)
                AuditLogEntry.objects.bulk_create(
                    AuditLogEntry.build(site, None, AuditLogEntry.Action.CLOSE, actor_name="auto-close",
                                        created_at=now, thread=t,
                                        note=f"open for more than {site.auto_close_days} days")
                    for t in batch
                )
                refresh_after_commit([t.pk for t in batch])
            closed += len(batch)
    return closed
