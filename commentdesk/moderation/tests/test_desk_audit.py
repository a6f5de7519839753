"""The audit-log page: filters (action, moderator, comment, dates) and the CSV link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import lxml.html
import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from commentdesk.comments.tests.factories import CommentFactory
from commentdesk.moderation.decisions import ban, decide
from commentdesk.moderation.models import AuditLogEntry, Membership
from commentdesk.sites.models import Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(site: Site, moderator: User) -> dict[str, Any]:
    """Mo approves on 1 Nov, Ben rejects on 3 Nov, Mo bans on 5 Nov."""
    ben = User.objects.create_user("ben")
    Membership.objects.create(user=ben, site=site)
    first, second = CommentFactory(thread__site=site), CommentFactory(thread__site=site)
    with time_machine.travel(datetime(2026, 11, 1, 9, tzinfo=UTC), tick=False):
        decide(site, [first.public_id], "approve", moderator)
    with time_machine.travel(datetime(2026, 11, 3, 9, tzinfo=UTC), tick=False):
        decide(site, [second.public_id], "reject", ben, reason="off_topic", note="about football")
    with time_machine.travel(datetime(2026, 11, 5, 9, tzinfo=UTC), tick=False):
        ban(site, second.commenter.public_id, moderator, "spam")
    return {"first": first, "second": second}


def rows(response: Any) -> list[list[str]]:
    page = lxml.html.fromstring(response.content.decode())
    return [[" ".join(td.text_content().split()) for td in tr.xpath("./td")]
            for tr in page.xpath("//table[@class='audit']/tbody/tr")]


def actions(response: Any) -> list[str]:
    return [row[2] for row in rows(response)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Ban", "Reject", "Approve"]),
        ({"action": "reject"}, ["Reject"]),
        ({"actor": "ben"}, ["Reject"]),
        ({"actor": "mo"}, ["Ban", "Approve"]),
        ({"comment": "FIRST"}, ["Approve"]),
        ({"since": "2026-11-03"}, ["Ban", "Reject"]),
        ({"until": "2026-11-03"}, ["Approve"]),
        ({"since": "2026-11-02", "until": "2026-11-04"}, ["Reject"]),
    ],
)
def test_filters_narrow_the_log(desk: Client, history: dict[str, Any], query: dict[str, str],
                                expected: list[str]) -> None:
    if query.get("comment") == "FIRST":
        query = {"comment": history["first"].public_id}
    assert actions(desk.get("/desk/demo/audit/", query)) == expected


def test_rows_show_who_what_why(desk: Client, history: dict[str, Any]) -> None:
    reject = rows(desk.get("/desk/demo/audit/", {"action": "reject"}))[0]
    assert reject[0] == "2026-11-03 09:00:00"
    assert reject[1] == "ben"
    assert reject[3].startswith(history["second"].public_id)
    assert reject[4:7] == ["pending → rejected", "off_topic", "about football"]


def test_filter_form_keeps_its_values_and_the_csv_link_keeps_the_filters(desk: Client, history: dict[str, Any]) -> None:
    page = lxml.html.fromstring(desk.get("/desk/demo/audit/", {"action": "reject", "since": "2026-11-02"})
                                .content.decode())
    assert page.xpath("//select[@name='action']/option[@selected]/@value") == ["reject"]
    assert page.xpath("//input[@name='since']/@value") == ["2026-11-02"]
    link = page.xpath("//a[starts-with(normalize-space(), 'Download CSV')]/@href")[0]
    assert link == "/desk/demo/audit.csv?action=reject&since=2026-11-02"
    csv_rows = b"".join(desk.get(link).streaming_content).decode().strip().splitlines()
    assert len(csv_rows) == 2 and ",reject," in csv_rows[1]


def test_an_empty_result_says_so(desk: Client, history: dict[str, Any]) -> None:
    assert rows(desk.get("/desk/demo/audit/", {"actor": "nobody"})) == [["No actions match these filters."]]
    assert AuditLogEntry.objects.count() == 3


@pytest.mark.parametrize("query", [{"since": "2026-02-30"}, {"until": "2026-13-01"}, {"comment": "c_\x00"},
                                   {"actor": "\x00"}, {"since": "9999-12-31", "until": "0001-01-01"}])
def test_impossible_filter_values_are_ignored_not_errors(desk: Client, history: dict[str, Any],
                                                         query: dict[str, str]) -> None:
    response = desk.get("/desk/demo/audit/", query)
    assert response.status_code == 200
    assert desk.get("/desk/demo/audit.csv", query).status_code == 200
