"""triage.rows: many rows in one statement (PostgreSQL) or one executemany (SQLite)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError
from django.utils import timezone

from commentdesk.sites.models import Site
from commentdesk.triage import rows
from commentdesk.triage.models import Campaign, WordList

pytestmark = pytest.mark.django_db


def test_insert_many_in_chunks_stores_every_row_as_the_orm_would(site: Site, monkeypatch: Any) -> None:
    """Seven rows with room for two per statement: all stored, times and text intact."""
    monkeypatch.setattr(rows, "MAX_PARAMS", 10)  # 5 columns: two rows a statement on PostgreSQL
    now = timezone.now()
    rows.insert_many(Campaign, ["site", "created_at", "updated_at", "size", "sample"],
                     [(site.pk, now, now, n, f"sample {n} 한국어") for n in range(7)])
    stored = list(Campaign.objects.order_by("size").values_list("size", "sample", "created_at"))
    assert stored == [(n, f"sample {n} 한국어", now) for n in range(7)]


def test_insert_many_skips_or_raises_on_conflicts(site: Site) -> None:
    WordList.objects.create(site=site, language="en", kind="banned", terms="old")
    fields = ["site", "language", "kind", "terms", "updated_at"]
    now = timezone.now()
    rows.insert_many(WordList, fields, [(site.pk, "en", "banned", "new", now), (site.pk, "ko", "banned", "x", now)],
                     skip_conflicts=True)
    assert dict(WordList.objects.values_list("language", "terms")) == {"en": "old", "ko": "x"}
    with pytest.raises(IntegrityError):
        rows.insert_many(WordList, fields, [(site.pk, "ko", "banned", "again", now)])
