"""Which sites' moderators are due a digest."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Max, Min

from commentdesk.comments.models import Comment
from commentdesk.notifications.models import Digest
from commentdesk.sites.models import Site


def due_sites(now: datetime) -> list[Site]:
    """Sites with ``digest_after_minutes`` > 0 whose oldest pending comment has
    waited longer than that, and which got no digest within that many minutes."""
    oldest = dict(
        Comment.objects.filter(status=Comment.Status.PENDING).values_list("site_id").annotate(t=Min("created_at"))
    )
    last = dict(Digest.objects.values_list("site_id").annotate(t=Max("sent_at")))
    due = []
    for site in Site.objects.filter(pk__in=oldest, digest_after_minutes__gt=0):
        window = timedelta(minutes=site.digest_after_minutes)
        if oldest[site.pk] <= now - window and (site.pk not in last or last[site.pk] <= now - window):
            due.append(site)
    return due
