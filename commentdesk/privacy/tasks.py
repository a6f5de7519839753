"""Background tasks of ``privacy`` (Django's tasks framework, as in
``notifications.tasks``; run by ``commentdesk db_worker``)."""

from __future__ import annotations

from django.tasks import task

from commentdesk.privacy import retention
from commentdesk.sites.models import Site


@task
def apply_retention(site_id: int) -> retention.RetentionResult | None:
    """Apply the site's retention setting now (see :func:`retention.apply`);
    returns the rows changed, or None when the site no longer exists."""
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        return None
    return retention.apply(site)
