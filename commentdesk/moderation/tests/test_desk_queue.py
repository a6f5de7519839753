"""The desk's queue page without JavaScript: tabs and counts, the filter bar,
language desks, context beside each comment, decisions, bulk confirmation,
undo, closing an article."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import lxml.html
import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from commentdesk.comments.models import Comment, Thread
from commentdesk.comments.tests.factories import CommentFactory, CommenterFactory, ThreadFactory
from commentdesk.moderation.decisions import decide
from commentdesk.moderation.models import AuditLogEntry, Flag, Membership
from commentdesk.moderation.views import COUNTS_CACHE_SECONDS, PAGE_SIZE
from commentdesk.sites.models import Site

pytestmark = pytest.mark.django_db


def tree(response: Any) -> Any:
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.content.decode())


def has_class(name: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {name} ")'


def item_ids(page: Any) -> list[str]:
    return page.xpath(f'//ol[{has_class("queue")}]/li[{has_class("item")}]/@data-comment-id')


def counts(page: Any) -> dict[str, int]:
    return {el.get("data-count-for"): int(el.text) for el in page.xpath("//nav[@aria-label='Queues']//span[@data-count-for]")}


def item(page: Any, comment: Comment) -> Any:
    found = page.xpath(f'//li[@data-comment-id="{comment.public_id}"]')
    assert len(found) == 1
    return found[0]


def history(li: Any) -> str:
    """The commenter's counts beside a queue item."""
    return " · ".join(li.xpath(f".//p[{has_class('history')}]/span[starts-with(@class, 'n-')]/text()"))


def status_messages(response: Any) -> str:
    return " ".join(lxml.html.fromstring(response.content.decode()).xpath("//*[@role='status']//text()"))


def alert_messages(response: Any) -> str:
    return " ".join(lxml.html.fromstring(response.content.decode()).xpath("//*[@role='alert']//text()"))


# --- tabs and counts ---------------------------------------------------------------------


def test_tabs_count_every_queue(desk: Client, site: Site, moderator: User) -> None:
    """Six tabs, each with its count; the current one is marked for assistive technology."""
    CommentFactory.create_batch(2, thread__site=site)
    for status in ("approved", "rejected", "spam"):
        CommentFactory(thread__site=site, status=status)
    reported = CommentFactory(thread__site=site, status="approved")
    Flag.objects.create(comment=reported, reason="abusive")
    page = tree(desk.get("/desk/demo/"))
    assert counts(page) == {"pending": 2, "flagged": 1, "approved": 2, "rejected": 1, "spam": 1, "all": 6}
    current = page.xpath("//nav[@aria-label='Queues']/a[@aria-current='page']")
    assert [a.text_content().split()[0] for a in current] == ["Pending"]
    assert page.xpath("//h1")[0].text_content() == "Pending comments"


def test_pending_count_is_exact_while_the_others_are_cached_briefly(desk: Client, site: Site, settings: Any) -> None:
    """Counting a million rows per page view is too slow: only pending is counted
    every time; the other tabs' counts are at most COUNTS_CACHE_SECONDS old."""
    # A local-memory cache follows the frozen clock (Redis expires keys in real time).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "counts"}}
    CommentFactory(thread__site=site)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert counts(tree(desk.get("/desk/demo/")))["approved"] == 0
        CommentFactory(thread__site=site)
        CommentFactory(thread__site=site, status="approved")
        clock.shift(COUNTS_CACHE_SECONDS - 1)
        seen = counts(tree(desk.get("/desk/demo/")))
        assert (seen["pending"], seen["approved"]) == (2, 0)
        clock.shift(2)
        seen = counts(tree(desk.get("/desk/demo/")))
        assert (seen["pending"], seen["approved"]) == (2, 1)


def test_a_long_pending_queue_is_counted_from_the_cache(
    desk: Client, site: Site, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above PENDING_EXACT_UP_TO the pending count comes from the cached counts,
    never below what the capped count saw, and its tooltip stops saying "Exact"."""
    queue_views = importlib.import_module("commentdesk.moderation.views.queue")  # the package exports a view named queue
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cap"}}
    monkeypatch.setattr(queue_views, "PENDING_EXACT_UP_TO", 3)
    for _ in range(3):
        CommentFactory(thread__site=site)
    page = tree(desk.get("/desk/demo/"))
    assert counts(page)["pending"] == 3
    assert page.xpath("//span[@data-count-for='pending']/@title") == ["Exact"]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(2):
            CommentFactory(thread__site=site)
        cache.clear()
        page = tree(desk.get("/desk/demo/"))
        assert counts(page)["pending"] == 5
        assert page.xpath("//span[@data-count-for='pending']/@title") != ["Exact"]
        CommentFactory(thread__site=site)  # the cached count (5) lags; the figure shown is still 5
        assert counts(tree(desk.get("/desk/demo/")))["pending"] == 5
        clock.shift(COUNTS_CACHE_SECONDS + 1)
        assert counts(tree(desk.get("/desk/demo/")))["pending"] == 6


def test_counts_follow_the_filters(desk: Client, site: Site) -> None:
    thread = ThreadFactory(site=site, key="/a")
    CommentFactory(thread=thread)
    CommentFactory(thread=thread, status="approved")
    CommentFactory(thread__site=site)
    page = tree(desk.get("/desk/demo/", {"thread": "/a"}))
    assert counts(page)["pending"] == 1 and counts(page)["all"] == 2


def test_queue_page_costs_the_same_queries_for_5_or_40_comments(desk: Client, site: Site) -> None:
    """Context beside each comment (history, flags, badges) is fetched per page, not per comment."""
    def queries_for_one_page() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        cache.clear()  # count the tab counts too
        with CaptureQueriesContext(connection) as ctx:
            assert desk.get("/desk/demo/").status_code == 200
        return len(ctx.captured_queries)

    for _ in range(5):
        CommentFactory(thread__site=site, parent=CommentFactory(thread__site=site, status="approved"))
    small = queries_for_one_page()
    for _ in range(35):
        CommentFactory(thread__site=site, parent=CommentFactory(thread__site=site, status="approved"))
    assert queries_for_one_page() == small


# --- the filter bar ------------------------------------------------------------------------


@pytest.fixture
def mixed(site: Site) -> dict[str, Comment]:
    site.languages = ["en", "ko"]
    site.save()
    election = ThreadFactory(site=site, key="/politics/election", title="Election night")
    final = ThreadFactory(site=site, key="/sport/final")
    alice = CommenterFactory(site=site, name="Alice")
    return {
        "ko": CommentFactory(thread=election, language="ko", body="대통령이 오늘 발표했습니다",
                             created_at=datetime(2026, 11, 1, 10, tzinfo=UTC)),
        "en": CommentFactory(thread=election, commenter=alice, language="en", body="The president spoke today",
                             created_at=datetime(2026, 11, 2, 10, tzinfo=UTC)),
        "unknown": CommentFactory(thread=final, language="", body="Great final match",
                                  created_at=datetime(2026, 11, 3, 10, tzinfo=UTC)),
        "approved": CommentFactory(thread=final, commenter=alice, language="en", status="approved", body="old news",
                                   created_at=datetime(2026, 11, 4, 10, tzinfo=UTC)),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["ko", "en", "unknown"]),
        ({"language": "ko"}, ["ko"]),
        ({"thread": "https://news.example/politics/election/"}, ["ko", "en"]),
        ({"status": "all", "commenter": "ALICE"}, ["en", "approved"]),
        ({"since": "2026-11-02"}, ["en", "unknown"]),
        ({"until": "2026-11-02"}, ["ko", "en"]),
        ({"q": "president"}, ["en"]),
        ({"q": "대통령"}, ["ko"]),
        ({"order": "newest"}, ["unknown", "en", "ko"]),
        ({"status": "approved"}, ["approved"]),
        ({"status": "all", "order": "newest"}, ["approved", "unknown", "en", "ko"]),
    ],
)
def test_filter_bar_narrows_and_orders_the_queue(
    desk: Client, mixed: dict[str, Comment], query: dict[str, str], expected: list[str]
) -> None:
    if query.get("commenter") == "ALICE":
        query = query | {"commenter": mixed["en"].commenter.public_id}
    assert item_ids(tree(desk.get("/desk/demo/", query))) == [mixed[k].public_id for k in expected]


def test_filter_bar_offers_the_sites_languages_and_keeps_filters_across_tabs(
    desk: Client, mixed: dict[str, Comment]
) -> None:
    page = tree(desk.get("/desk/demo/", {"language": "ko", "q": "x y"}))
    assert page.xpath("//select[@name='language']/option/@value") == ["", "en", "ko"]
    assert page.xpath("//select[@name='language']/option[@selected]/@value") == ["ko"]
    assert page.xpath("//input[@name='q']/@value") == ["x y"]
    approved_tab = page.xpath("//nav[@aria-label='Queues']/a[starts-with(normalize-space(), 'Approved')]/@href")[0]
    assert parse_qs(approved_tab[1:]) == {"status": ["approved"], "q": ["x y"], "language": ["ko"]}
    assert page.xpath("//a[normalize-space()='Clear filters']")


def test_bad_filter_values_are_reported_and_ignored(desk: Client, mixed: dict[str, Comment]) -> None:
    page = tree(desk.get("/desk/demo/", {"since": "yesterday", "language": "fr", "status": "nonsense"}))
    assert len(item_ids(page)) == 3  # the pending queue, unfiltered
    errors = " ".join(page.xpath(f"//form[@role='search']//ul[{has_class('errorlist')}]//text()"))
    assert "Since" in errors and "Language" in errors


def test_risk_order_puts_the_riskiest_first_and_unscored_last(desk: Client, mixed: dict[str, Comment]) -> None:
    """Scored comments by risk, highest first; the ones triage has not scored, oldest first, after them."""
    from commentdesk.triage.models import Score

    Score.objects.create(comment=mixed["unknown"], state=Score.State.SCORED, risk=0.9, reasons=["banned term: x"])
    Score.objects.create(comment=mixed["en"], state=Score.State.SCORED, risk=0.2)
    page = tree(desk.get("/desk/demo/", {"order": "risk"}))
    assert item_ids(page) == [mixed[k].public_id for k in ("unknown", "en", "ko")]
    assert "not scored yet come last" in page.xpath("//p[@id='risk-note']")[0].text_content()
    assert not tree(desk.get("/desk/demo/")).xpath("//p[@id='risk-note']")


def test_language_desk_sees_only_its_languages(site: Site, mixed: dict[str, Comment]) -> None:
    """A Korean desk: Korean comments and undetected ones, and no English in the language filter."""
    user = User.objects.create_user("ji")
    Membership.objects.create(user=user, site=site, languages=["ko"])
    client = Client()
    client.force_login(user)
    page = tree(client.get("/desk/demo/"))
    assert item_ids(page) == [mixed["ko"].public_id, mixed["unknown"].public_id]
    assert counts(page)["pending"] == 2
    assert not page.xpath("//select[@name='language']")  # one language only: nothing to choose
    assert item_ids(tree(client.get("/desk/demo/", {"language": "en"}))) == item_ids(page)


# --- context beside each comment ------------------------------------------------------------


def test_each_comment_shows_article_parent_and_commenter_history(desk: Client, site: Site, moderator: User) -> None:
    thread = ThreadFactory(site=site, title="Lanterns on the river", url="https://news.example/lanterns")
    regular = CommenterFactory(site=site, name="Hana", trusted=True)
    parent = CommentFactory(thread=thread, commenter=regular, body="Move them below the weir.", status="approved")
    CommentFactory(thread=thread, commenter=regular, status="rejected")
    reply = CommentFactory(thread=thread, author_name="Tomas", body="The reeds would eat them.", parent=parent)
    page = tree(desk.get("/desk/demo/"))
    li = item(page, reply)
    article = li.xpath(".//a[@class='article']")[0]
    assert (article.text, article.get("href")) == ("Lanterns on the river", "https://news.example/lanterns")
    assert article.get("rel") == "noopener noreferrer"
    assert li.xpath(f".//blockquote[{has_class('parent')}]")[0].text_content() == (
        "In reply to Hana: Move them below the weir.")
    assert li.xpath(f".//p[{has_class('body')}]")[0].text == "The reeds would eat them."
    assert history(li) == "0 approved · 0 rejected · 0 spam"
    link = li.xpath(".//a[@aria-keyshortcuts='h']/@href")[0]
    assert link.startswith(f"/desk/demo/commenters/{reply.commenter.public_id}/?next=")
    # Hana's own history, with the trusted badge.
    regular_item = tree(desk.get("/desk/demo/", {"status": "all", "commenter": regular.public_id}))
    row = item(regular_item, parent)
    assert history(row) == "1 approved · 1 rejected · 0 spam"
    assert row.xpath(f".//span[{has_class('trusted')}]/text()") == ["trusted"]


def test_banned_commenter_and_closed_article_are_marked(desk: Client, site: Site, banned_commenter: Any) -> None:
    thread = ThreadFactory(site=site, is_closed=True)
    comment = CommentFactory(thread=thread, commenter=banned_commenter)
    li = item(tree(desk.get("/desk/demo/")), comment)
    assert li.xpath(f".//span[{has_class('banned')}]/text()") == ["banned"]
    assert li.xpath(f".//span[{has_class('closed')}]/@hidden") == []
    assert li.xpath(".//form[@class='thread-state']//button")[0].text == "Reopen comments"


def test_flagged_comments_show_the_reports_with_reasons(desk: Client, site: Site) -> None:
    comment = CommentFactory(thread__site=site, status="approved", body="He lives at 12 Elm Street.")
    Flag.objects.create(comment=comment, reason="abusive", note="a home address")
    Flag.objects.create(comment=comment, reason="abusive")
    Flag.objects.create(comment=comment, reason="other")
    page = tree(desk.get("/desk/demo/", {"status": "flagged"}))
    li = item(page, comment)
    flags = li.xpath(f".//div[{has_class('flags')}]")[0]
    assert "Reported 3 times:" in flags.text_content()
    assert flags.xpath(f".//span[{has_class('flag')}]/text()") == ["abusive ×2", "other"]
    assert "“a home address”" in flags.text_content()
    # A reported comment is published: "approve" keeps it.
    assert li.get("data-status") == "approved" and li.get("data-flagged") is not None
    assert li.xpath(".//button[@value='approve']/span[@class='when-published']/text()") == ["Keep published"]


def test_text_of_readers_is_escaped(desk: Client, site: Site) -> None:
    thread = ThreadFactory(site=site, title="<i>Title</i>")
    CommentFactory(thread=thread, author_name="<b>Ann</b>", body="<script>alert(1)</script>")
    html = desk.get("/desk/demo/").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Ann</b>" not in html and "<i>Title</i>" not in html


def test_desk_pages_have_no_inline_script_or_style(desk: Client, site: Site) -> None:
    """The CSP allows scripts and styles from this host only: desk.js and desk.css."""
    CommentFactory(thread__site=site)
    response = desk.get("/desk/demo/")
    page = tree(response)
    assert page.xpath("//script/@src") == ["/static/desk/desk.js"]
    assert not page.xpath("//script[not(@src)]") and not page.xpath("//style") and not page.xpath("//*[@style]")
    assert "script-src 'self'" in response["Content-Security-Policy"]


# --- deciding without JavaScript -------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "reason", "status", "message"),
    [
        ("approve", "", "approved", "Approved 1 comment."),
        ("reject", "personal_attack", "rejected", "Rejected 1 comment (personal attack)."),
        ("spam", "spam", "spam", "Marked 1 comment as spam (spam)."),
    ],
)
def test_one_decision_from_the_queue(
    desk: Client, site: Site, action: str, reason: str, status: str, message: str
) -> None:
    comment = CommentFactory(thread__site=site)
    response = desk.post("/desk/demo/decide/", {"comment_ids": [comment.public_id], "action": action,
                                                "reason": reason, "next": "/desk/demo/?status=pending"}, follow=True)
    comment.refresh_from_db()
    assert comment.status == status
    assert message in status_messages(response)
    assert comment.public_id not in item_ids(tree(response))


def test_a_decision_on_text_the_author_changed_since_is_refused(desk: Client, site: Site) -> None:
    """The form names the text version it showed: an author's edit since then refuses the decision."""
    comment = CommentFactory(thread__site=site, body="Nice bridge.")
    li = item(tree(desk.get("/desk/demo/")), comment)
    shown = li.xpath(".//form[@class='decide']/input[@name='versions']/@value")
    assert shown == [f"{comment.public_id}:{comment.version}"]
    Comment.objects.filter(pk=comment.pk).update(body="Nice bridge. Visit cheap-watch.example")
    response = desk.post("/desk/demo/decide/", {"comment_ids": [comment.public_id], "action": "approve",
                                                "versions": shown}, follow=True)
    assert "Changed since you saw it" in alert_messages(response)
    assert Comment.objects.get(pk=comment.pk).status == "pending"
    assert not AuditLogEntry.objects.exists()


def test_bulk_confirmation_keeps_the_versions_shown(desk: Client, site: Site) -> None:
    comments = CommentFactory.create_batch(2, thread__site=site)
    page = tree(desk.get("/desk/demo/"))
    versions = page.xpath("//input[@form='bulk' and @name='versions']/@value")
    assert len(versions) == 2
    confirm = tree(desk.post("/desk/demo/decide/", {"comment_ids": [c.public_id for c in comments],
                                                    "action": "approve", "versions": versions}))
    assert sorted(confirm.xpath("//input[@name='versions']/@value")) == sorted(versions)
    Comment.objects.filter(pk=comments[1].pk).update(body="changed")
    response = desk.post("/desk/demo/decide/", {"comment_ids": [c.public_id for c in comments], "action": "approve",
                                                "versions": versions, "confirm": "1"}, follow=True)
    assert "Changed since you saw it" in alert_messages(response)
    assert set(Comment.objects.values_list("status", flat=True)) == {"pending"}


def test_decided_queues_offer_restore_to_pending(desk: Client, site: Site) -> None:
    for status in ("approved", "rejected", "spam"):
        comment = CommentFactory(thread__site=site, status=status)
        li = item(tree(desk.get("/desk/demo/", {"status": status})), comment)
        assert li.xpath(".//button[@value='restore']")[0].text_content().startswith("Restore to pending")
        response = desk.post("/desk/demo/decide/", {"comment_ids": [comment.public_id], "action": "restore"},
                             follow=True)
        assert "Restored 1 comment to pending." in status_messages(response)
        comment.refresh_from_db()
        assert comment.status == "pending"


def test_bulk_decision_asks_for_confirmation_first(desk: Client, site: Site) -> None:
    """More than one comment without JavaScript: a confirmation page, then the decision."""
    comments = CommentFactory.create_batch(3, thread__site=site)
    data = {"comment_ids": [c.public_id for c in comments], "action": "spam", "reason": "spam",
            "next": "/desk/demo/?status=pending"}
    response = desk.post("/desk/demo/decide/", data)
    page = tree(response)
    assert page.xpath("//form[contains(@class, 'confirm')]//p/text()")[0] == "Mark 3 comments as spam (spam)?"
    assert sorted(page.xpath("//input[@name='comment_ids']/@value")) == sorted(c.public_id for c in comments)
    assert Comment.objects.filter(status="pending").count() == 3
    response = desk.post("/desk/demo/decide/", data | {"confirm": "1"}, follow=True)
    assert Comment.objects.filter(status="spam").count() == 3
    assert "Marked 3 comments as spam (spam)." in status_messages(response)


def test_bulk_decision_is_all_or_nothing(desk: Client, site: Site, other_site: Site) -> None:
    mine = CommentFactory(thread__site=site)
    foreign = CommentFactory(thread__site=other_site)
    response = desk.post("/desk/demo/decide/", {"comment_ids": [mine.public_id, foreign.public_id],
                                                "action": "approve", "confirm": "1"}, follow=True)
    assert "Nothing was changed" in alert_messages(response)
    assert Comment.objects.get(pk=mine.pk).status == "pending"
    assert Comment.objects.get(pk=foreign.pk).status == "pending"


def test_a_decision_offers_undo_which_restores_the_comment(desk: Client, site: Site) -> None:
    comments = CommentFactory.create_batch(2, thread__site=site)
    response = desk.post("/desk/demo/decide/", {"comment_ids": [c.public_id for c in comments], "action": "reject",
                                                "reason": "off_topic", "confirm": "1"}, follow=True)
    undo_form = tree(response).xpath("//*[@role='status']//form[@class='undo-form']")[0]
    entry_ids = undo_form.xpath(".//input[@name='entry_ids']/@value")
    assert sorted(map(int, entry_ids)) == sorted(
        AuditLogEntry.objects.filter(action="reject").values_list("id", flat=True))
    # Offered once: the next page view has no undo any more.
    assert not tree(desk.get("/desk/demo/")).xpath("//form[@class='undo-form']")
    response = desk.post("/desk/demo/undo/", {"entry_ids": entry_ids, "next": "/desk/demo/"}, follow=True)
    assert "Undone: 2 comments back as before." in status_messages(response)
    assert set(Comment.objects.values_list("status", flat=True)) == {"pending"}
    assert AuditLogEntry.objects.filter(action="undo").count() == 2


def test_a_decision_that_changes_nothing_says_so(desk: Client, site: Site) -> None:
    """Deciding again what is already decided offers no undo and says nothing changed; a mix counts both."""
    done = CommentFactory(thread__site=site, status="rejected")
    response = desk.post("/desk/demo/decide/", {"comment_ids": [done.public_id], "action": "reject",
                                                "reason": "spam"}, follow=True)
    assert "Nothing changed: it was already rejected." in status_messages(response)
    assert not tree(response).xpath("//form[@class='undo-form']") and not AuditLogEntry.objects.exists()
    fresh = CommentFactory(thread__site=site)
    response = desk.post("/desk/demo/decide/", {"comment_ids": [done.public_id, fresh.public_id], "action": "reject",
                                                "reason": "spam", "confirm": "1"}, follow=True)
    assert "Rejected 1 comment (spam). 1 was already rejected." in status_messages(response)


@pytest.mark.parametrize("entry_id", ["²", "٣", "9" * 5000, "-1", "1.5", ""])
def test_undo_refuses_what_is_not_an_entry_id(desk: Client, site: Site, entry_id: str) -> None:
    """Superscript and other non-ASCII digits, a huge number, signs: "Nothing to undo.", not a 500."""
    response = desk.post("/desk/demo/undo/", {"entry_ids": [entry_id]}, follow=True)
    assert response.status_code == 200 and "Nothing to undo." in alert_messages(response)


def test_undo_refuses_entries_of_another_site_and_changes_nothing(
    desk: Client, site: Site, other_site: Site, other_moderator: User
) -> None:
    foreign = CommentFactory(thread__site=other_site)
    [done] = decide(other_site, [foreign.public_id], "approve", other_moderator)
    response = desk.post("/desk/demo/undo/", {"entry_ids": [done.audit_entry_id]}, follow=True)
    assert "Could not undo" in alert_messages(response)
    assert Comment.objects.get(pk=foreign.pk).status == "approved"


def test_close_and_reopen_an_article_from_the_queue(desk: Client, site: Site) -> None:
    comment = CommentFactory(thread__site=site, thread__title="Bridge vote")
    key = comment.thread.key
    response = desk.post("/desk/demo/threads/state/", {"key": key, "closed": "1", "next": "/desk/demo/"}, follow=True)
    assert "Comments on “Bridge vote” are closed." in status_messages(response)
    assert Thread.objects.get(pk=comment.thread_id).is_closed
    li = item(tree(response), comment)
    assert li.xpath(".//form[@class='thread-state']//button/@value") == ["0"]
    desk.post("/desk/demo/threads/state/", {"key": key, "closed": "0"})
    assert not Thread.objects.get(pk=comment.thread_id).is_closed
    assert list(AuditLogEntry.objects.order_by("id").values_list("action", flat=True)) == ["close", "reopen"]


def test_closing_an_unknown_article_answers_404(desk: Client, site: Site) -> None:
    assert desk.post("/desk/demo/threads/state/", {"key": "/nope", "closed": "1"}).status_code == 404


def test_next_page_link_and_a_stale_cursor(desk: Client, site: Site) -> None:
    base = timezone.now() - timedelta(hours=1)
    comments = [CommentFactory(thread__site=site, created_at=base + timedelta(seconds=i))
                for i in range(PAGE_SIZE + 2)]
    page = tree(desk.get("/desk/demo/"))
    assert item_ids(page) == [c.public_id for c in comments[:PAGE_SIZE]]
    link = page.xpath("//nav[@class='pager']/a[@rel='next']/@href")[0]
    second = tree(desk.get("/desk/demo/" + link))
    assert item_ids(second) == [c.public_id for c in comments[PAGE_SIZE:]]
    assert second.xpath("//nav[@class='pager']/a[normalize-space()='← First page']")
    response = desk.get("/desk/demo/", {"cursor": "not-a-cursor"})
    assert len(item_ids(tree(response))) == PAGE_SIZE
    assert "no longer valid" in alert_messages(response)
