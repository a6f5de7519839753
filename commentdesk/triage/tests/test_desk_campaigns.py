"""Campaigns in the desk and the API: the campaign page lists the near-duplicate
campaigns with pending comments, the queue filters to one, and a moderator
decides on all of a campaign's pending comments at once (confirmed, logged,
undoable)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from commentdesk.comments.models import Comment
from commentdesk.comments.tests.factories import CommenterFactory, CommentFactory, ThreadFactory
from commentdesk.moderation.models import AuditLogEntry, Membership
from commentdesk.moderation.tests.test_desk_queue import alert_messages, item, item_ids, status_messages, tree
from commentdesk.triage import pipeline
from commentdesk.triage.models import Campaign

pytestmark = pytest.mark.django_db

CAMPAIGN = {"NAME": "commentdesk.triage.scorers.campaigns.CampaignScorer", "OPTIONS": {"stage": "request"}}
TEXT = "The minister lied about the budget again, share this before they delete it! Vote them out in {n}."
OTHER = "이 기사는 완전히 조작된 것입니다. 모두 공유해서 진실을 알립시다, 언론은 거짓말만 합니다 {n}."
URL = "/desk/demo/campaigns/"


def wave(site: Any, text: str, n: int, language: str = "") -> list[Comment]:
    """``n`` near-identical pending comments in ``n`` threads, scored (so clustered)."""
    comments = [CommentFactory(thread=ThreadFactory(site=site), body=text.format(n=2026 + i), language=language,
                               created_at=timezone.now() - timedelta(minutes=30 - i)) for i in range(n)]
    for c in comments:
        pipeline.score_comment(c)
    return comments


@pytest.fixture
def two_campaigns(site: Any, scorers: Any) -> tuple[list[Comment], list[Comment]]:
    scorers(CAMPAIGN)
    return wave(site, TEXT, 4, "en"), wave(site, OTHER, 3, "ko")


def test_campaign_page_lists_campaigns_with_pending_comments(desk: Client, site: Any, two_campaigns: Any) -> None:
    """Most pending first, with sample, counts and a link to the queue filtered to it; the header links the page."""
    english, korean = two_campaigns
    Comment.objects.filter(pk=korean[0].pk).update(status="approved")
    page = tree(desk.get(URL))
    ids = [int(i.split("-")[1]) for i in page.xpath("//li[contains(@class, 'campaign')]/@id")]
    first, second = (Campaign.objects.get(members__comment=c[0]) for c in (english, korean))
    assert ids == [first.pk, second.pk]
    counts = page.xpath(f"//li[@id='campaign-{second.pk}']//p[@class='campaign-counts']")[0].text_content()
    assert "2 pending of 3 comments · 2 articles · 2 commenters" in counts  # of the pending ones
    assert "The minister lied" in page.xpath(f"//li[@id='campaign-{first.pk}']//p[@class='campaign-sample']")[0].text
    assert page.xpath(f"//a[@href='/desk/demo/?status=pending&campaign={first.pk}']")
    assert page.xpath("//nav[@aria-label='Desk sections']//a[@href='/desk/demo/campaigns/']")


def test_campaign_page_without_campaigns_says_so(desk: Client, site: Any, scorers: Any) -> None:
    scorers(CAMPAIGN)
    wave(site, TEXT, 1)
    assert tree(desk.get(URL)).xpath("//p[@id='campaigns-empty']")


def test_queue_filters_to_one_campaign_and_shows_each_comments_campaign(
        desk: Client, site: Any, two_campaigns: Any) -> None:
    english, korean = two_campaigns
    campaign = Campaign.objects.get(members__comment=english[0])
    page = tree(desk.get(f"/desk/demo/?campaign={campaign.pk}"))
    assert item_ids(page) == [c.public_id for c in english]
    assert "campaign" in page.xpath("//p[@class='lede']")[0].text_content()
    li = item(tree(desk.get("/desk/demo/?order=risk")), korean[0])
    korean_campaign = Campaign.objects.get(members__comment=korean[0])
    # The queue's order goes along (a new user's trial: "Only this article" lost it).
    assert li.xpath(".//a[@class='campaign-link']/@href") == [
        f"?status=pending&order=risk&campaign={korean_campaign.pk}"]
    assert li.xpath(".//a[text()='Only this article']/@href")[0].startswith("?status=pending&order=risk&thread=")
    assert "3 near-duplicate comments" in li.xpath(".//span[@class='campaign-size']")[0].text


def test_queue_campaign_filter_refuses_bad_values_and_shows_nothing_of_an_unknown_campaign(
        desk: Client, site: Any, two_campaigns: Any) -> None:
    """A bad number is reported and ignored (the whole queue shows); an unknown campaign has no comments."""
    page = tree(desk.get("/desk/demo/?campaign=abc"))
    assert len(item_ids(page)) == 7 and page.xpath("//ul[@class='errorlist']")
    assert item_ids(tree(desk.get("/desk/demo/?campaign=99999999"))) == []


def test_deciding_a_campaign_confirms_lists_decides_and_undoes(desk: Client, site: Any, two_campaigns: Any) -> None:
    """Spam all pending: a confirmation listing the comments, then one bulk decision (logged, noted with
    the campaign) that leaves the other campaign alone, and an undo that restores all."""
    english, korean = two_campaigns
    Comment.objects.filter(pk=english[0].pk).update(status="approved")
    campaign = Campaign.objects.get(members__comment=english[0])
    response = desk.post(f"/desk/demo/campaigns/{campaign.pk}/decide/", {"action": "spam", "reason": "spam"})
    page = tree(response)
    assert page.xpath("//form[contains(@class, 'confirm')]/p")[0].text == "Mark 3 comments as spam (spam)?"
    assert len(page.xpath("//ol[@class='confirm-members']/li")) == 3
    assert not Comment.objects.filter(status="spam").exists()  # nothing decided before the confirmation
    form = page.xpath("//form[contains(@class, 'confirm')]")[0]
    data = {}
    for field in form.xpath(".//input[@name]"):
        data.setdefault(field.get("name"), []).append(field.get("value"))
    response = desk.post(form.get("action"), data, follow=True)
    assert "Marked 3 comments as spam (spam)." in status_messages(response)
    assert set(Comment.objects.filter(pk__in=[c.pk for c in english[1:]]).values_list("status", flat=True)) == {"spam"}
    assert set(Comment.objects.filter(pk__in=[c.pk for c in korean]).values_list("status", flat=True)) == {"pending"}
    assert set(AuditLogEntry.objects.filter(action="spam").values_list("note", flat=True)) == {f"campaign {campaign.pk}"}
    # Back on the campaign page: only the other campaign is left, and the decision can be undone there.
    page = tree(response)
    assert page.xpath("//li[contains(@class, 'campaign')]/@id") == [
        f"campaign-{Campaign.objects.get(members__comment=korean[0]).pk}"]
    undo = page.xpath("//form[@class='undo-form']")[0]
    desk.post(undo.get("action"), {"entry_ids": undo.xpath(".//input[@name='entry_ids']/@value")})
    assert Comment.objects.filter(status="pending").count() == 6


def test_an_edit_after_the_confirmation_was_drawn_refuses_the_campaign_decision(
        desk: Client, site: Any, two_campaigns: Any) -> None:
    english, _ = two_campaigns
    campaign = Campaign.objects.get(members__comment=english[0])
    page = tree(desk.post(f"/desk/demo/campaigns/{campaign.pk}/decide/", {"action": "reject", "reason": "spam"}))
    form = page.xpath("//form[contains(@class, 'confirm')]")[0]
    data: dict[str, list[str]] = {}
    for field in form.xpath(".//input[@name]"):
        data.setdefault(field.get("name"), []).append(field.get("value"))
    Comment.objects.filter(pk=english[2].pk).update(body="Changed by its author meanwhile.")
    response = desk.post(form.get("action"), data, follow=True)
    assert "Nothing was changed" in alert_messages(response)
    assert set(Comment.objects.values_list("status", flat=True)) == {"pending"}


def test_a_member_a_moderator_rewrote_leaves_the_campaign(
        desk: Client, site: Any, moderator: User, two_campaigns: Any, django_capture_on_commit_callbacks: Any) -> None:
    """A moderator rewrites one of a campaign's comments into a text of its own: it is no
    longer a member, so the campaign's bulk decision does not take it along (from a new
    user's trial)."""
    from commentdesk.moderation.decisions import edit

    english, _ = two_campaigns
    campaign = Campaign.objects.get(members__comment=english[0])
    with django_capture_on_commit_callbacks(execute=True):
        edit(english[1], "Thanks for covering the bus route changes in such detail.", moderator, "other")
    assert not Campaign.objects.filter(members__comment=english[1]).exists()
    page = tree(desk.post(f"/desk/demo/campaigns/{campaign.pk}/decide/", {"action": "spam", "reason": "spam"}))
    assert page.xpath("//form[contains(@class, 'confirm')]/p")[0].text == "Mark 3 comments as spam (spam)?"
    assert "bus route" not in page.xpath("//ol[@class='confirm-members']")[0].text_content()


def test_a_campaign_is_recounted_when_members_leave_and_one_left_is_no_campaign(
        desk: Client, site: Any, moderator: User, two_campaigns: Any, django_capture_on_commit_callbacks: Any) -> None:
    """Members rewritten into texts of their own or erased leave the count at once, not at
    the campaign's next new member; a campaign of one member left is neither listed nor
    shown beside that comment in the queue (from a helper's trial: "3 near-duplicate
    comments" stood beside a comment whose copies were all gone)."""
    from commentdesk.moderation.decisions import edit
    from commentdesk.privacy.rights import erase

    _, korean = two_campaigns
    campaign = Campaign.objects.get(members__comment=korean[0])
    with django_capture_on_commit_callbacks(execute=True):
        edit(korean[1], "버스 노선 변경을 자세히 다뤄 주셔서 감사합니다.", moderator, "other")
    campaign.refresh_from_db()
    assert campaign.size == 2
    li = item(tree(desk.get("/desk/demo/")), korean[0])
    assert "2 near-duplicate comments" in li.xpath(".//span[@class='campaign-size']")[0].text
    erase(korean[2].commenter, "delete")
    campaign.refresh_from_db()
    assert campaign.size == 1
    assert not tree(desk.get(URL)).xpath(f"//li[@id='campaign-{campaign.pk}']")
    assert not item(tree(desk.get("/desk/demo/")), korean[0]).xpath(".//div[contains(@class, 'ctx-campaign')]")
    english = Campaign.objects.exclude(pk=campaign.pk).get()
    assert english.size == 4 and tree(desk.get(URL)).xpath(f"//li[@id='campaign-{english.pk}']")


def test_bad_campaign_decisions_change_nothing(desk: Client, site: Any, other_site: Any, two_campaigns: Any,
                                               other_moderator: User, scorers: Any) -> None:
    """No reason, an unknown action, an unknown or another site's campaign, another site's moderator."""
    english, _ = two_campaigns
    campaign = Campaign.objects.get(members__comment=english[0])
    url = f"/desk/demo/campaigns/{campaign.pk}/decide/"
    response = desk.post(url, {"action": "reject"}, follow=True)
    assert "Choose a reason" in alert_messages(response)
    response = desk.post(url, {"action": "delete", "reason": "spam"}, follow=True)
    assert "delete" in alert_messages(response)
    assert desk.post("/desk/demo/campaigns/99999999999999999999/decide/",
                     {"action": "spam", "reason": "spam"}).status_code == 404
    foreign = wave(other_site, TEXT, 2)
    foreign_campaign = Campaign.objects.get(members__comment=foreign[0])
    assert desk.post(f"/desk/demo/campaigns/{foreign_campaign.pk}/decide/",
                     {"action": "spam", "reason": "spam"}).status_code == 404
    otto = Client()
    otto.force_login(other_moderator)
    assert otto.post(url, {"action": "spam", "reason": "spam"}).status_code == 403
    assert otto.get(URL).status_code == 403
    assert desk.get(url).status_code == 405
    assert set(Comment.objects.values_list("status", flat=True)) == {"pending"}
    assert not AuditLogEntry.objects.exists()


def test_a_language_desk_sees_and_decides_its_languages_only(site: Any, two_campaigns: Any) -> None:
    english, korean = two_campaigns
    user = User.objects.create_user("kim")
    Membership.objects.create(user=user, site=site, languages=["ko"])
    kim = Client()
    kim.force_login(user)
    korean_campaign = Campaign.objects.get(members__comment=korean[0])
    assert tree(kim.get(URL)).xpath("//li[contains(@class, 'campaign')]/@id") == [f"campaign-{korean_campaign.pk}"]
    english_campaign = Campaign.objects.get(members__comment=english[0])
    response = kim.post(f"/desk/demo/campaigns/{english_campaign.pk}/decide/", {"action": "spam", "reason": "spam"},
                        follow=True)
    assert f"No comment of campaign {english_campaign.pk} in your languages (ko) is waiting" in status_messages(response)


def test_api_lists_campaigns_and_filters_the_queue(client: Client, site: Any, two_campaigns: Any,
                                                   moderator_token: str) -> None:
    english, korean = two_campaigns
    auth = {"HTTP_AUTHORIZATION": f"Token {moderator_token}"}
    body = client.get("/api/v1/moderation/demo/campaigns", **auth).json()
    assert [(c["pending"], c["size"], c["threads"]) for c in body["campaigns"]] == [(4, 4, 4), (3, 3, 3)]
    first = body["campaigns"][0]
    assert first["sample"].startswith("The minister lied") and first["first_pending_at"].endswith("Z")
    queue = client.get(f"/api/v1/moderation/demo/queue?campaign={first['id']}", **auth).json()
    assert [i["id"] for i in queue["items"]] == [c.public_id for c in english]
    assert queue["items"][0]["campaign"] == {"id": first["id"], "size": 4}
    assert client.get("/api/v1/moderation/demo/queue?campaign=0", **auth).status_code in (400, 422)
    assert client.get("/api/v1/moderation/demo/campaigns?limit=0", **auth).status_code in (400, 422)
    assert client.get("/api/v1/moderation/demo/campaigns").status_code == 401


@pytest.mark.parametrize("url", ["/desk/demo/", URL])
def test_no_empty_toast_without_news(desk: Client, site: Any, url: str) -> None:
    """The status region is empty (CSS :empty hides it) when there is nothing to say or undo."""
    assert '<div id="desk-status" class="toast" role="status"></div>' in desk.get(url).content.decode()


def test_a_campaign_of_more_than_500_pending_decides_its_oldest_500(desk: Client, site: Any) -> None:
    """The confirmation carries 500 ids and versions (over Django's default field limit) and decides
    them; the newest one stays pending for the next decision."""
    from commentdesk.triage.models import Fingerprint

    thread, commenter = ThreadFactory(site=site), CommenterFactory(site=site)
    start = timezone.now() - timedelta(hours=1)
    comments = Comment.objects.bulk_create([
        Comment(site=site, thread=thread, commenter=commenter, body=f"Buy now {i}", created_at=start + timedelta(seconds=i),
                public_id=f"c_bulk{i:012d}") for i in range(501)])
    campaign = Campaign.objects.create(site=site, size=501)
    Fingerprint.objects.bulk_create([Fingerprint(comment=c, site=site, created_at=c.created_at, signature=b"",
                                                 campaign=campaign) for c in comments])
    page = tree(desk.post(f"/desk/demo/campaigns/{campaign.pk}/decide/", {"action": "spam", "reason": "spam"}))
    form = page.xpath("//form[contains(@class, 'confirm')]")[0]
    data: dict[str, list[str]] = {}
    for field in form.xpath(".//input[@name]"):
        data.setdefault(field.get("name"), []).append(field.get("value"))
    assert len(data["comment_ids"]) == 500 and len(data["versions"]) == 500
    response = desk.post(form.get("action"), data, follow=True)
    assert "Marked 500 comments as spam (spam)." in status_messages(response)
    assert list(Comment.objects.filter(status="pending").values_list("public_id", flat=True)) == ["c_bulk000000000500"]


def test_campaigns_keep_no_text_of_their_own(client: Client, desk: Client, site: Any, two_campaigns: Any,
                                            moderator_token: str) -> None:
    """The sample is a pending member's text as it reads now: an edit shows, an erased member leaves
    nothing behind, a language desk sees its languages' texts only, and the queue names a campaign by number."""
    from commentdesk.privacy.rights import erase

    english, korean = two_campaigns
    auth = {"HTTP_AUTHORIZATION": f"Token {moderator_token}"}
    Comment.objects.filter(pk=english[0].pk).update(body="Edited: call me at 555-0100, the minister lied again!")
    samples = {c["pending"]: c["sample"] for c in client.get("/api/v1/moderation/demo/campaigns", **auth).json()["campaigns"]}
    assert samples[4].startswith("Edited: call me")
    erase(english[0].commenter, "delete")
    body = client.get("/api/v1/moderation/demo/campaigns", **auth).json()
    assert "555-0100" not in str(body) and "555-0100" not in desk.get(URL).content.decode()
    assert [(c["pending"], c["size"]) for c in body["campaigns"]] == [(3, 3), (3, 3)]
    user = User.objects.create_user("kim")
    Membership.objects.create(user=user, site=site, languages=["ko"])
    kim = Client()
    kim.force_login(user)
    english_campaign = Campaign.objects.get(members__comment=english[1])
    page = kim.get(URL).content.decode() + kim.get(f"/desk/demo/?campaign={english_campaign.pk}").content.decode()
    assert "minister" not in page and "이 기사는" in page
