"""Retraining as decisions accumulate: a site gets a new classifier version once
``TriagePolicy.retrain_after`` new decisions by people were made since its
active version was trained (``commentdesk housekeeping`` queues the task
:func:`commentdesk.triage.tasks.retrain_classifier`; versions are kept, and each
Score names the version that scored it).

Triage's own automatic decisions do not count, and are not training examples
(:func:`commentdesk.triage.classifier.decision_examples`): a model must not
learn from its own verdicts.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from commentdesk.sites.models import Site
from commentdesk.triage.models import ClassifierModel, TriagePolicy

DECISIONS = ("approve", "reject", "spam")


def people_decisions(site: Site) -> QuerySet:
    """The site's approve/reject/spam audit-log entries made by people (not by
    triage's automation)."""
    from commentdesk.moderation.decisions import TRIAGE
    from commentdesk.moderation.models import AuditLogEntry

    return (AuditLogEntry.objects.filter(site=site, action__in=DECISIONS, comment__isnull=False)
            .exclude(actor__isnull=True, actor_name=TRIAGE.name))


def last_trained(site: Site) -> datetime | None:
    """When the site's active classifier version was trained, or None when it has none of its own."""
    return (ClassifierModel.objects.filter(site=site, is_active=True)
            .order_by("-created_at").values_list("created_at", flat=True).first())


def new_decisions(site: Site) -> int:
    """Decisions by people since the site's active version was trained (all of them without one)."""
    since = last_trained(site)
    qs = people_decisions(site)
    return (qs.filter(created_at__gt=since) if since else qs).count()


def is_due(site: Site) -> bool:
    """True when ``retrain_after`` (> 0) new decisions have accumulated."""
    n = TriagePolicy.for_site(site.pk).retrain_after
    return n > 0 and new_decisions(site) >= n


def due_sites() -> list[Site]:
    """Every site due for a new classifier version (a few queries per site)."""
    return [site for site in Site.objects.all() if is_due(site)]
