"""The audit log is append-only."""

import pytest

from commentdesk.moderation.models import AppendOnlyError, AuditLogEntry
from commentdesk.sites.models import Site


@pytest.mark.django_db
def test_entries_cannot_be_changed_or_deleted(site: Site) -> None:
    entry = AuditLogEntry.objects.create(site=site, actor_name="mo", action="approve")
    entry.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert AuditLogEntry.objects.get(pk=entry.pk).note == ""
