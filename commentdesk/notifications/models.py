"""What notifications remember: when each site's moderators last got a digest."""

from __future__ import annotations

from django.db import models

from commentdesk.sites.models import Site


class Digest(models.Model):
    """One digest e-mail to a site's moderators about waiting comments."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="digests")
    sent_at = models.DateTimeField()
    pending = models.PositiveIntegerField(help_text="comments waiting when it was sent")
    recipients = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["site", "-sent_at"], name="digest_latest")]
