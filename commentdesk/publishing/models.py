"""The default cache's table (no Redis configured)."""

from __future__ import annotations

from django.db import models


class CacheEntry(models.Model):
    """One entry of Django's database cache, the default cache when
    ``COMMENTDESK_CACHE_URL`` is not set: the server, the task worker and every
    command share it, so a snapshot rebuilt by a command (an erasure, an import)
    or by the worker (triage's automatic decisions) reaches readers at once.

    Made by a migration with the columns ``createcachetable`` would give it;
    only :class:`django.core.cache.backends.db.DatabaseCache` reads and writes it.
    """

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "commentdesk_cache"

    def __str__(self) -> str:
        return self.cache_key
