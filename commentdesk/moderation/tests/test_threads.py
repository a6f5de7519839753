"""Closing and reopening threads, by hand and automatically."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from commentdesk.comments.models import Comment
from commentdesk.comments.tests.factories import ThreadFactory
from commentdesk.lib.errors import CommentdeskError
from commentdesk.moderation.models import AuditLogEntry
from commentdesk.moderation.threads import auto_close, set_closed
from commentdesk.sites.models import Site


def post(client: Client, key: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/threads/demo/comments", {"key": key, "author_name": "A", "body": "hello"},
                       content_type="application/json")


@pytest.mark.django_db
def test_closed_thread_refuses_comments_until_reopened(site: Site, moderator: User, reader_client: Client,
                                                       django_capture_on_commit_callbacks) -> None:
    thread = ThreadFactory(site=site, key="/a")
    with django_capture_on_commit_callbacks(execute=True):
        set_closed(thread, True, moderator, note="legal hold")
    response = post(reader_client, "/a")
    assert response.status_code == 403 and response.json()["error"]["code"] == "thread_closed"
    shown = reader_client.get("/api/v1/threads/demo/comments", {"key": "/a"}).json()["thread"]
    assert shown["is_closed"] is True
    set_closed(thread, False, moderator)
    assert post(reader_client, "/a").status_code == 202
    assert list(AuditLogEntry.objects.order_by("id").values_list("action", "note")) == [
        ("close", "legal hold"), ("reopen", "")
    ]


@pytest.mark.django_db
def test_other_sites_moderator_cannot_close(site: Site, other_moderator: User) -> None:
    thread = ThreadFactory(site=site)
    with pytest.raises(CommentdeskError):
        set_closed(thread, True, other_moderator)
    thread.refresh_from_db()
    assert not thread.is_closed


@pytest.mark.django_db
def test_auto_close_after_the_sites_period(site: Site, other_site: Site) -> None:
    site.auto_close_days = 3
    site.save()
    now = timezone.now()
    old = ThreadFactory(site=site, created_at=now - timedelta(days=4))
    fresh = ThreadFactory(site=site, created_at=now - timedelta(days=1))
    never = ThreadFactory(site=other_site, created_at=now - timedelta(days=400))
    assert auto_close(now) == 1
    old.refresh_from_db(), fresh.refresh_from_db(), never.refresh_from_db()
    assert old.is_closed and not fresh.is_closed and not never.is_closed
    assert AuditLogEntry.objects.get().actor_name == "auto-close"
    assert auto_close(now) == 0
    assert not Comment.objects.exists()
