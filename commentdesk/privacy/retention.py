"""Retention of readers' identifiers: after a site's ``retention_days``, forget
the keyed IP hashes and the e-mail addresses nobody verified.

Run by :func:`commentdesk.privacy.tasks.apply_retention`, queued by
``commentdesk housekeeping`` (cron, every few minutes) for each site with
``retention_days`` > 0. Comments are never removed or changed otherwise:
only the identifiers that let moderators link comments to one network address
(bursts, matching an anonymous commenter) or to an unconfirmed mailbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from commentdesk.comments.models import Comment, Commenter
from commentdesk.moderation.models import Flag
from commentdesk.sites.models import Site


class RetentionResult(TypedDict):
    """Rows changed by one run: ``comments``/``flags``/``commenters`` that lost
    their IP hash, ``emails``: unverified addresses removed."""

    comments: int
    flags: int
    commenters: int
    emails: int


def apply(site: Site, now: datetime | None = None) -> RetentionResult:
    """Forget ``site``'s identifiers older than ``site.retention_days`` days:

    1. IP hashes of comments and of flags made before the cutoff;
    2. a commenter's IP hash, and their e-mail address unless verified (with
       notifications off, since they need one), once the record is older than
       the cutoff and they have written no comment since.

    A verified address stays: the reader confirmed it to get notifications.
    ``retention_days`` 0 keeps everything (all counts 0). One transaction.
    """
    result: RetentionResult = {"comments": 0, "flags": 0, "commenters": 0, "emails": 0}
    if site.retention_days <= 0:
        return result
    now = now or timezone.now()
    cutoff = now - timedelta(days=site.retention_days)
    with transaction.atomic():
        result["comments"] = (
            Comment.objects.filter(site=site, created_at__lt=cutoff).exclude(ip_hash="").update(ip_hash="")
        )
        result["flags"] = (
            Flag.objects.filter(comment__site=site, created_at__lt=cutoff).exclude(ip_hash="").update(ip_hash="")
        )
        recent = Comment.objects.filter(commenter=OuterRef("pk"), created_at__gte=cutoff)
        idle = Commenter.objects.filter(site=site, created_at__lt=cutoff).exclude(Exists(recent))
        result["commenters"] = idle.exclude(ip_hash="").update(ip_hash="")
        result["emails"] = idle.filter(email_verified=False).exclude(email="").update(email="", notify=False)
    return result
