"""The commenter page: history, ban (permanent or until a day, optionally
rejecting their pending comments), unban, trust and withdrawn trust."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import lxml.html
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from commentdesk.comments.models import Comment, Commenter
from commentdesk.comments.tests.factories import CommentFactory, CommenterFactory, ThreadFactory
from commentdesk.moderation.models import AuditLogEntry, Ban, Membership
from commentdesk.sites.models import Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def troll(site: Site) -> Commenter:
    from commentdesk.lib.iphash import hash_ip

    # Writing from the reader_client's address, so that their next comment is theirs.
    person = CommenterFactory(site=site, name="CheapWatches", email="troll@example.org",
                              ip_hash=hash_ip("203.0.113.7"))
    thread = ThreadFactory(site=site, title="Bridge vote", url="https://news.example/bridge")
    for status in ("pending", "pending", "approved", "rejected", "spam"):
        CommentFactory(thread=thread, commenter=person, status=status, body=f"A {status} comment.")
    return person


def tree(response: Any) -> Any:
    return lxml.html.fromstring(response.content.decode())


def url(person: Commenter, action: str = "") -> str:
    return f"/desk/demo/commenters/{person.public_id}/{action + '/' if action else ''}"


def test_page_shows_counts_recent_comments_and_links(desk: Client, troll: Commenter) -> None:
    response = desk.get(url(troll), {"next": "/desk/demo/?status=pending"})
    assert response.status_code == 200
    page = tree(response)
    assert page.xpath("//h1/text()") == ["CheapWatches"]
    stats = {li.xpath(".//span[@class='stat-label']/text()")[0]: int(li.xpath(".//span[@class='stat-n']/text()")[0])
             for li in page.xpath("//ul[@class='stats']/li")}
    assert stats == {"pending": 2, "approved": 1, "rejected": 1, "spam": 1}
    recent = page.xpath("//ol[@class='recent']/li")
    assert len(recent) == 5  # every status
    assert {li.xpath(".//span[contains(@class, 'state')]/text()")[0] for li in recent} == {
        "pending", "approved", "rejected", "spam"}
    first = recent[0]
    assert first.xpath(".//a[text()='Bridge vote']/@href") == ["https://news.example/bridge"]
    assert first.xpath(".//a[text()='Edit']/@href")[0].startswith("/desk/demo/comments/c_")
    assert page.xpath("//a[starts-with(normalize-space(), 'All 5 in the queue')]/@href") == [
        f"/desk/demo/?status=all&commenter={troll.public_id}"]
    assert page.xpath("//p[@class='crumbs']/a/@href") == ["/desk/demo/?status=pending"]
    assert "Never banned." in page.xpath("//section[@aria-labelledby='bans-title']")[0].text_content()


def test_permanent_ban_rejecting_pending_comments_then_the_commenter_is_refused(
    desk: Client, troll: Commenter, post_comment: Any
) -> None:
    response = desk.post(url(troll, "ban"), {"reason": "spam", "duration": "permanent", "reject_pending": "on",
                                             "note": "watch adverts"}, follow=True)
    assert response.redirect_chain[-1][0] == url(troll)
    assert "CheapWatches is banned permanently." in " ".join(tree(response).xpath("//*[@role='status']//text()"))
    troll.refresh_from_db()
    assert troll.is_banned() and troll.banned_until is None
    assert troll.comments.filter(status="pending").count() == 0
    assert troll.comments.filter(status="rejected").count() == 3
    ban = Ban.objects.get()
    assert (ban.reason, ban.note, ban.until) == ("spam", "watch adverts", None)
    assert AuditLogEntry.objects.filter(action="ban", commenter=troll).count() == 1
    assert AuditLogEntry.objects.filter(action="reject", reason="spam", note="ban").count() == 2
    page = tree(response)
    assert page.xpath("//h2[@id='ban-title']/text()") == ["Banned"]
    assert "spam" in page.xpath("//ol[@class='ban-history']/li")[0].text_content()
    # Their next comment is refused.
    refused = post_comment(author_name="CheapWatches", email="troll@example.org", body="Buy now")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "commenter_banned"


def test_ban_until_a_day_keeps_pending_comments(desk: Client, troll: Commenter) -> None:
    day = (timezone.now() + timedelta(days=7)).date()
    response = desk.post(url(troll, "ban"), {"reason": "off_topic", "duration": "until", "until": day.isoformat()})
    assert response.status_code == 302
    troll.refresh_from_db()
    assert troll.banned_until == datetime(day.year, day.month, day.day, tzinfo=UTC)
    assert troll.comments.filter(status="pending").count() == 2
    assert f"until {day:%Y-%m-%d}" in AuditLogEntry.objects.get(action="ban").note


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        ({"reason": "", "duration": "permanent"}, "reason", "required"),
        ({"reason": "nonsense", "duration": "permanent"}, "reason", "valid choice"),
        ({"reason": "spam", "duration": "until"}, "until", "Give the day the ban ends"),
        ({"reason": "spam", "duration": "until", "until": "2001-01-01"}, "until", "in the future"),
    ],
)
def test_bad_ban_is_refused_with_the_form_again(
    desk: Client, troll: Commenter, data: dict[str, str], field: str, problem: str
) -> None:
    response = desk.post(url(troll, "ban"), data)
    assert response.status_code == 400
    assert problem in response.content.decode()
    troll.refresh_from_db()
    assert not troll.is_banned() and not Ban.objects.exists() and not AuditLogEntry.objects.exists()


def test_unban_lifts_the_ban_and_is_logged(desk: Client, site: Site, moderator: User, troll: Commenter) -> None:
    from commentdesk.moderation.decisions import ban

    ban(site, troll.public_id, moderator, "spam")
    response = desk.post(url(troll, "unban"), {"note": "appealed"}, follow=True)
    assert "The ban of CheapWatches is lifted." in response.content.decode()
    troll.refresh_from_db()
    assert not troll.is_banned()
    assert Ban.objects.get().lifted_at is not None
    assert AuditLogEntry.objects.get(action="unban").note == "appealed"
    assert "lifted" in tree(response).xpath("//ol[@class='ban-history']/li")[0].text_content()
    # Unbanning again says so and logs nothing.
    response = desk.post(url(troll, "unban"), follow=True)
    assert "not banned" in " ".join(tree(response).xpath("//*[@role='alert']//text()"))
    assert AuditLogEntry.objects.filter(action="unban").count() == 1


def test_trust_and_withdraw_trust(desk: Client, troll: Commenter) -> None:
    response = desk.post(url(troll, "trust"), {"trusted": "1"}, follow=True)
    assert "CheapWatches is trusted." in response.content.decode()
    troll.refresh_from_db()
    assert troll.trusted
    assert tree(response).xpath("//button[text()='Withdraw trust']")
    queue = tree(desk.get("/desk/demo/"))
    assert queue.xpath("//li[contains(@class, 'item')]//span[contains(@class, 'trusted')]/text()") == [
        "trusted", "trusted"]
    desk.post(url(troll, "trust"), {"trusted": "0"})
    troll.refresh_from_db()
    assert not troll.trusted
    assert list(AuditLogEntry.objects.order_by("id").values_list("action", flat=True)) == ["trust", "untrust"]


def test_commenter_of_another_site_is_not_found(desk: Client, site: Site, other_site: Site) -> None:
    foreign = CommenterFactory(site=other_site)
    assert desk.get(url(foreign)).status_code == 404
    assert desk.post(url(foreign, "ban"), {"reason": "spam", "duration": "permanent"}).status_code == 404
    foreign.refresh_from_db()
    assert not foreign.is_banned()


def test_language_desk_sees_only_its_languages_comments(site: Site, troll: Commenter) -> None:
    CommentFactory(thread__site=site, commenter=troll, language="en", body="English words")
    CommentFactory(thread__site=site, commenter=troll, language="ko", body="한국어")
    user = User.objects.create_user("ji")
    Membership.objects.create(user=user, site=site, languages=["ko"])
    client = Client()
    client.force_login(user)
    html = client.get(url(troll)).content.decode()
    assert "한국어" in html and "English words" not in html
    assert Comment.objects.filter(commenter=troll).count() == 7


def test_the_way_back_to_the_queue_is_kept_and_only_on_this_host(desk: Client, troll: Commenter) -> None:
    back = "/desk/demo/?status=pending&q=watch"
    response = desk.post(url(troll, "trust"), {"trusted": "1", "next": back})
    assert response["Location"] == url(troll) + "?next=%2Fdesk%2Fdemo%2F%3Fstatus%3Dpending%26q%3Dwatch"
    assert tree(desk.get(response["Location"])).xpath("//p[@class='crumbs']/a/@href") == [back]
    for elsewhere in ("javascript:alert(1)", "https://evil.example/desk/"):
        page = tree(desk.get(url(troll), {"next": elsewhere}))
        assert page.xpath("//p[@class='crumbs']") == []
        assert elsewhere not in desk.get(url(troll), {"next": elsewhere}).content.decode()
