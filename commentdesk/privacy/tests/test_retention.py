"""Retention: a site's ``retention_days`` removes old IP hashes and unverified e-mail addresses."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from commentdesk.comments.models import Comment, Commenter
from commentdesk.comments.tests.factories import CommenterFactory, CommentFactory
from commentdesk.moderation.models import Flag
from commentdesk.privacy import retention
from commentdesk.sites.models import Site

HASH = "ab" * 32


def make(site: Site, days_ago: int, **commenter: object) -> Comment:
    """A comment written ``days_ago`` days ago by a new commenter of that age, both with an IP hash."""
    when = timezone.now() - timedelta(days=days_ago)
    person = CommenterFactory(site=site, ip_hash=HASH, created_at=when, **commenter)
    return CommentFactory(thread__site=site, commenter=person, ip_hash=HASH, created_at=when,
                          status=Comment.Status.APPROVED)


@pytest.mark.django_db
def test_old_hashes_and_unverified_addresses_go_new_ones_stay(site: Site) -> None:
    site.retention_days = 30
    site.save()
    old = make(site, 40, email="old@example.org")
    verified = make(site, 40, email="kept@example.org", email_verified=True, notify=True)
    new = make(site, 5, email="new@example.org")
    returning = make(site, 40, email="back@example.org")  # wrote again yesterday
    CommentFactory(thread=returning.thread, commenter=returning.commenter, ip_hash=HASH,
                   created_at=timezone.now() - timedelta(days=1))
    old_flag = Flag.objects.create(comment=new, reason="spam", ip_hash=HASH,
                                   created_at=timezone.now() - timedelta(days=31))
    new_flag = Flag.objects.create(comment=new, reason="spam", ip_hash=HASH)

    result = retention.apply(site)

    assert result == {"comments": 3, "flags": 1, "commenters": 2, "emails": 1}
    for c in (old, verified, returning):
        c.refresh_from_db()
        assert c.ip_hash == "" and c.body  # the comment itself stays
    new.refresh_from_db()
    assert new.ip_hash == HASH
    assert Comment.objects.filter(commenter=returning.commenter).exclude(ip_hash="").count() == 1
    person = Commenter.objects.get(pk=old.commenter_id)
    assert (person.ip_hash, person.email, person.notify) == ("", "", False)
    kept = Commenter.objects.get(pk=verified.commenter_id)
    assert (kept.ip_hash, kept.email, kept.notify) == ("", "kept@example.org", True)
    assert Commenter.objects.get(pk=new.commenter_id).email == "new@example.org"
    back = Commenter.objects.get(pk=returning.commenter_id)
    assert (back.ip_hash, back.email) == (HASH, "back@example.org")
    assert Flag.objects.get(pk=old_flag.pk).ip_hash == "" and Flag.objects.get(pk=new_flag.pk).ip_hash == HASH
    assert retention.apply(site) == {"comments": 0, "flags": 0, "commenters": 0, "emails": 0}


@pytest.mark.django_db
def test_zero_days_keeps_everything_and_other_sites_are_untouched(site: Site, other_site: Site) -> None:
    other_site.retention_days = 1
    other_site.save()
    old = make(site, 400, email="old@example.org")
    assert retention.apply(site) == {"comments": 0, "flags": 0, "commenters": 0, "emails": 0}
    assert retention.apply(other_site) == {"comments": 0, "flags": 0, "commenters": 0, "emails": 0}
    old.refresh_from_db()
    assert old.ip_hash == HASH and old.commenter.email == "old@example.org"


@pytest.mark.django_db(transaction=True)
def test_housekeeping_queues_the_retention_task(site: Site, other_site: Site) -> None:
    """cron runs housekeeping; the task worker applies each site's setting."""
    site.retention_days = 7
    site.save()
    old = make(site, 8)
    untouched = make(other_site, 8)
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    assert "queued 1 retention run(s)" in out.getvalue()
    old.refresh_from_db()
    assert old.ip_hash == HASH  # queued, not yet run
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=io.StringIO(), stderr=io.StringIO())
    old.refresh_from_db()
    untouched.refresh_from_db()
    assert old.ip_hash == "" and old.commenter.ip_hash == ""
    assert untouched.ip_hash == HASH
