"""``commentdesk housekeeping``: the periodic jobs; run it from cron every few minutes.

1. Close threads older than their site's ``auto_close_days``.
2. Queue a digest e-mail for each site whose comments wait too long.
3. Forget ``Idempotency-Key`` answers older than 24 hours.
4. Triage: forget MinHash fingerprints older than ``TRIAGE_FINGERPRINT_DAYS``,
   queue a classifier retraining for each site with enough new decisions, and
   queue again the scoring of pending comments left unscored for 15 minutes
   (``commentdesk.triage.tasks.requeue_unfinished``).
5. Queue the retention task for each site with ``retention_days`` > 0 (IP hashes
   and unverified e-mail addresses; see ``commentdesk.privacy.retention``).
Prints one line with what it did. E-mails are sent by ``commentdesk db_worker``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from commentdesk.comments.models import IdempotencyRecord
from commentdesk.moderation.threads import auto_close
from commentdesk.notifications import tasks
from commentdesk.notifications.digests import due_sites
from commentdesk.privacy.tasks import apply_retention
from commentdesk.sites.models import Site
from commentdesk.triage import retention, retraining
from commentdesk.triage import tasks as triage_tasks


class Command(BaseCommand):
    help = ("Close old threads, queue moderator digests, prune idempotency keys and old fingerprints, "
            "queue retraining and retention runs.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        closed = auto_close(now)
        sites = due_sites(now)
        for site in sites:
            tasks.send_digest.enqueue(site.pk)
        pruned, _ = IdempotencyRecord.objects.filter(
            created_at__lt=now - timedelta(seconds=settings.COMMENTS_IDEMPOTENCY_TTL)
        ).delete()
        fingerprints, _campaigns = retention.purge_fingerprints(now)
        retrain = retraining.due_sites()
        for site in retrain:
            triage_tasks.retrain_classifier.enqueue(site.pk)
        requeued = triage_tasks.requeue_unfinished(now)
        retained = list(Site.objects.filter(retention_days__gt=0).values_list("pk", flat=True))
        for site_id in retained:
            apply_retention.enqueue(site_id)
        self.stdout.write(f"closed {closed} thread(s); queued {len(sites)} digest(s); pruned {pruned} idempotency key(s); "
                          f"purged {fingerprints} fingerprint(s); queued {len(retrain)} retraining(s); "
                          f"queued {requeued} unfinished scoring(s); "
                          f"queued {len(retained)} retention run(s)")
