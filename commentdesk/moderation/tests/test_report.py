"""``commentdesk report``: counts by action and reason, median and p90 time to decision."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from commentdesk.comments.tests.factories import CommentFactory, ThreadFactory
from commentdesk.moderation.decisions import decide
from commentdesk.moderation.reports import transparency_report
from commentdesk.sites.models import Site

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_report_counts_and_times(site: Site, moderator: User) -> None:
    thread = ThreadFactory(site=site)
    # ten comments submitted at T0, decided after 1..10 minutes
    comments = [CommentFactory(thread=thread, created_at=T0) for _ in range(10)]
    for minutes, comment in enumerate(comments, start=1):
        action, reason = ("approve", "") if minutes <= 7 else ("reject", "off_topic")
        decide(site, [comment.public_id], action, moderator, reason=reason, now=T0 + timedelta(minutes=minutes))
    # a later restore of an already decided comment does not count as a new first decision
    decide(site, [comments[0].public_id], "restore", moderator, now=T0 + timedelta(hours=1))
    report = transparency_report(site, T0, T0 + timedelta(days=1))
    assert report.actions == {"approve": 7, "reject": 3, "restore": 1}
    assert report.reasons == {("approve", ""): 7, ("reject", "off_topic"): 3}
    assert report.decided_comments == 10
    assert report.median_seconds == 330.0  # between 5 and 6 minutes
    assert report.p90_seconds == pytest.approx(546.0)  # inclusive method: 9 min + 0.1 × 60 s


@pytest.mark.django_db
def test_report_command(site: Site, moderator: User) -> None:
    comment = CommentFactory(thread__site=site, created_at=T0)
    decide(site, [comment.public_id], "spam", moderator, reason="spam", now=T0 + timedelta(seconds=30))
    out = io.StringIO()
    with time_machine.travel(T0 + timedelta(days=2)):
        call_command("report", "--site", "demo", "--since", "2026-11-01", stdout=out)
    text = out.getvalue()
    assert "spam / spam: 1" in text and "median 30 s" in text
    with pytest.raises(CommandError):
        call_command("report", "--site", "demo", "--since", "yesterday")
    with pytest.raises(CommandError):
        call_command("report", "--site", "nope", "--since", "2026-11-01")
