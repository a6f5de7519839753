"""How long triage keeps what it derived from comments' texts.

MinHash fingerprints and their LSH bands exist to find near-duplicates among
recent comments (campaigns span minutes to days); kept forever they would only
grow and keep a trace of every text. :func:`purge_fingerprints` deletes those
older than ``TRIAGE_FINGERPRINT_DAYS`` (default 90) and campaigns that have
had no member since; ``commentdesk housekeeping`` runs it. Scores stay (they
are the moderators' record of why a comment was queued where it was).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from commentdesk.triage.campaigns import forget
from commentdesk.triage.models import Campaign, Fingerprint, FingerprintBand


def purge_fingerprints(now: datetime | None = None, days: int | None = None) -> tuple[int, int]:
    """Delete fingerprints (and their bands) created more than ``days`` days
    before ``now`` (default: ``settings.TRIAGE_FINGERPRINT_DAYS``), and campaigns
    not updated since then. Returns ``(fingerprints, campaigns)`` deleted.
    Raises ``ValueError`` for ``days`` < 1. Comments and Scores are untouched."""
    days = settings.TRIAGE_FINGERPRINT_DAYS if days is None else days
    if days < 1:
        raise ValueError("keep fingerprints for at least one day")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic():
        # Bands first: nothing refers to them, so Django deletes them in one query.
        FingerprintBand.objects.filter(created_at__lt=cutoff).delete()
        fingerprints = forget(Fingerprint.objects.filter(created_at__lt=cutoff))
        _total, by_model = Campaign.objects.filter(updated_at__lt=cutoff).delete()
        campaigns = by_model.get(Campaign._meta.label, 0)
    return fingerprints, campaigns
