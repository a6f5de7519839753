"""E-mails: verification, published and reply notices, moderator digests, unsubscribe."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from commentdesk.comments.models import Commenter
from commentdesk.comments.tests.factories import CommentFactory, CommenterFactory
from commentdesk.moderation.decisions import decide
from commentdesk.moderation.models import Membership
from commentdesk.notifications import tasks
from commentdesk.notifications.models import Digest
from commentdesk.sites.models import Site


def run_tasks() -> None:
    """Run every queued task with the database worker, as production does."""
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=io.StringIO(), stderr=io.StringIO())


def link(message: mail.EmailMessage, kind: str) -> str:
    return re.search(rf"http://testserver(/notifications/{kind}/[^/\s]+/)", message.body).group(1)  # type: ignore[union-attr]


@pytest.fixture(autouse=True)
def _base_url(settings) -> None:  # type: ignore[no-untyped-def]
    settings.COMMENTDESK_BASE_URL = "http://testserver"


@pytest.mark.django_db(transaction=True)
def test_verify_then_published_and_reply_mails(site: Site, moderator: User) -> None:
    """Only a verified, opted-in address gets mail; the reply notice goes to the parent's author."""
    ann = CommenterFactory(site=site, email="ann@example.org", notify=True)
    tasks.send_verification.enqueue(ann.pk)
    run_tasks()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@example.org"]
    client = Client()
    assert client.get(link(mail.outbox[0], "verify")).status_code == 200
    ann.refresh_from_db()
    assert ann.email_verified
    parent = CommentFactory(thread__site=site, commenter=ann, body="first")
    bob = CommenterFactory(site=site, email="bob@example.org", notify=False)
    reply = CommentFactory(thread=parent.thread, commenter=bob, parent=parent, body="an answer")
    decide(site, [parent.public_id], "approve", moderator)
    decide(site, [reply.public_id], "approve", moderator)
    run_tasks()
    subjects = sorted(m.subject for m in mail.outbox[1:])
    assert subjects == [f"{reply.author_name} replied to your comment on {site.name}",
                        f"Your comment on {site.name} is published"]
    assert all(m.to == ["ann@example.org"] for m in mail.outbox[1:])
    assert all(m.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in mail.outbox)


@pytest.mark.django_db(transaction=True)
def test_one_click_unsubscribe_stops_mail(site: Site, moderator: User) -> None:
    ann = CommenterFactory(site=site, email="ann@example.org", notify=True, email_verified=True)
    first = CommentFactory(thread__site=site, commenter=ann)
    decide(site, [first.public_id], "approve", moderator)
    run_tasks()
    assert len(mail.outbox) == 1
    url = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>").replace("http://testserver", "")
    assert Client().post(url).status_code == 200  # a mail client's one-click POST, no CSRF cookie
    ann.refresh_from_db()
    assert not ann.notify
    second = CommentFactory(thread__site=site, commenter=ann)
    decide(site, [second.public_id], "approve", moderator)
    run_tasks()
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_bad_or_forged_links_are_refused(site: Site) -> None:
    ann = CommenterFactory(site=site, email="ann@example.org", notify=True)
    client = Client()
    assert client.get("/notifications/verify/not-a-token/").status_code == 400
    from commentdesk.notifications import tokens

    unsub = tokens.make("unsubscribe", ann.public_id, ann.email)
    assert client.get(f"/notifications/verify/{unsub}/").status_code == 400  # wrong purpose
    Commenter.objects.filter(pk=ann.pk).update(email="new@example.org")
    assert client.post(f"/notifications/unsubscribe/{unsub}/").status_code == 400  # address changed since
    ann.refresh_from_db()
    assert ann.notify and not ann.email_verified


@pytest.mark.django_db(transaction=True)
def test_digest_when_comments_wait_too_long(site: Site, moderator: User) -> None:
    moderator.email = "mo@example.org"
    moderator.save()
    site.digest_after_minutes = 30
    site.save()
    CommentFactory(thread__site=site, created_at=timezone.now() - timedelta(minutes=10))
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    assert "queued 0 digest(s)" in out.getvalue()
    CommentFactory(thread__site=site, created_at=timezone.now() - timedelta(minutes=45))
    call_command("housekeeping", stdout=out)
    run_tasks()
    assert len(mail.outbox) == 1 and "2 comments" in mail.outbox[0].subject
    assert Digest.objects.get().recipients == 1
    call_command("housekeeping", stdout=io.StringIO())  # not again within the window
    run_tasks()
    assert len(mail.outbox) == 1
    off = re.search(r"http://testserver(/notifications/digest-off/[^/\s]+/)", mail.outbox[0].body).group(1)  # type: ignore[union-attr]
    assert Client().post(off).status_code == 200
    assert not Membership.objects.get(user=moderator).digest
