"""The moderation desk in a real browser (Debian's chromium, Playwright).

Keys only: approve, reject with a reason chosen by digit, bulk spam of a
selection, undo; the help dialog; a ban from the commenter page that the reader
API then enforces; an edit and its word diff; site separation seen from the
browser; the desk without JavaScript. Fixtures (``page``, ``demo_site``,
``desk_moderator``, ``browser_problems``) come from ``commentdesk.tests.browser``.

Set ``COMMENTDESK_SCREENSHOTS=/tmp/some/dir`` to keep screenshots of the queue,
the reason picker, the help dialog, the commenter page and the edit diff.
"""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from commentdesk.comments.models import Comment, Commenter, Thread
from commentdesk.comments.tests.factories import CommentFactory, SiteFactory, ThreadFactory
from commentdesk.moderation.models import AuditLogEntry, Membership
from commentdesk.moderation.views import PAGE_SIZE
from commentdesk.sites.models import Site
from commentdesk.tests.browser import MODERATOR_PASSWORD, BrowserProblems

pytestmark = pytest.mark.browser


# --- helpers -------------------------------------------------------------------------------


def screenshot(page: Page, name: str, full_page: bool = False) -> None:
    folder = os.environ.get("COMMENTDESK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"desk-{name}.png"), full_page=full_page)


def log_in(page: Page, username: str = "mo", landing: str = r"/desk/demo/$") -> None:
    page.goto("/desk/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(MODERATOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(landing))
    page.wait_for_load_state("load")  # desk.js (deferred) has run: the keys work


def items(page: Page) -> Locator:
    return page.locator("ol.queue > li.item")


def item(page: Page, comment: Comment) -> Locator:
    return page.locator(f"ol.queue > li.item[data-comment-id='{comment.public_id}']")


def count(page: Page, tab: str) -> Locator:
    return page.locator(f"nav.tabs [data-count-for='{tab}']")


def status_of(*comments: Comment) -> list[str]:
    return [Comment.objects.get(pk=c.pk).status for c in comments]


def press_and_wait(page: Page, key: str, endpoint: str = "/decisions") -> Any:
    """Press ``key`` and wait for the desk's API call it makes; returns its JSON answer."""
    with page.expect_response(lambda r: r.url.endswith(endpoint) and r.request.method == "POST") as answer:
        page.keyboard.press(key)
    assert answer.value.ok, answer.value.text()
    return answer.value.json()


@pytest.fixture
def pending(demo_site: Site) -> list[Comment]:
    """Eight pending comments under one article, oldest first."""
    thread = ThreadFactory(site=demo_site, key="/2026/bridge-vote", title="Council votes on the footbridge",
                           url="https://news.example/2026/bridge-vote")
    start = timezone.now() - timedelta(hours=2)
    bodies = ["A wider bridge would be safer.", "Fix the lights first.", "Cyclists need their own lane.",
              "You are all idiots.", "BUY WATCHES cheap-watch.example", "Make $$$ at home cheap-watch.example",
              "What about the ferry?", "The vote was rushed."]
    return [CommentFactory(thread=thread, body=body, created_at=start + timedelta(minutes=i))
            for i, body in enumerate(bodies)]


# --- keys only ----------------------------------------------------------------------------


def test_keyboard_flow_approve_reject_and_bulk_spam(
    page: Page, demo_site: Site, desk_moderator: User, pending: list[Comment]
) -> None:
    """Three approvals, a rejection with a reason picked by digit, and a bulk spam of
    a selection: keys only, no page reload, focus always on the next comment."""
    log_in(page)
    page.evaluate("window.deskMarker = 'same page'")
    first = item(page, pending[0])
    expect(first).to_be_focused()
    expect(first).to_have_class(re.compile(r"\bis-current\b"))
    expect(count(page, "pending")).to_have_text("8")
    screenshot(page, "queue")

    # a, a, a: three approvals; each time the next comment has the focus.
    for done, following in zip(pending[:3], pending[1:4], strict=True):
        answer = press_and_wait(page, "a")
        assert answer["comments"][0]["id"] == done.public_id and answer["comments"][0]["entry_id"]
        expect(item(page, done)).to_have_count(0)
        expect(item(page, following)).to_be_focused()
    assert status_of(*pending[:3]) == ["approved"] * 3
    expect(count(page, "pending")).to_have_text("5")
    expect(count(page, "approved")).to_have_text("3")
    expect(page.get_by_role("status")).to_contain_text("Approved 1 comment. 5 left in pending.")

    # r opens the reason picker; 4 picks "off topic" and decides at once.
    page.keyboard.press("r")
    picker = page.get_by_role("dialog", name="Reject: choose a reason")
    expect(picker).to_be_visible()
    expect(picker.get_by_role("radio", name="personal attack")).to_be_focused()
    screenshot(page, "reason-picker")
    answer = press_and_wait(page, "4")
    expect(picker).to_be_hidden()
    assert answer["comments"][0] == {"id": pending[3].public_id, "status": "rejected",
                                     "entry_id": answer["comments"][0]["entry_id"]}
    assert AuditLogEntry.objects.get(comment_public_id=pending[3].public_id).reason == "off_topic"
    expect(page.get_by_role("status")).to_contain_text("Rejected 1 comment (off topic).")
    expect(item(page, pending[4])).to_be_focused()

    # Esc in the picker cancels: nothing changes, the comment keeps the focus.
    page.keyboard.press("r")
    expect(picker).to_be_visible()
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(item(page, pending[4])).to_be_focused()
    assert status_of(pending[4]) == ["pending"]

    # x, j, x selects two; s offers "spam" preselected; Enter, then Enter to confirm.
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("#selected-count")).to_contain_text("2 comments selected")
    expect(item(page, pending[4]).locator("input.select")).to_be_checked()
    page.keyboard.press("s")
    spam_picker = page.get_by_role("dialog", name="Mark as spam 2 comments: choose a reason")
    expect(spam_picker.get_by_role("radio", name="3 spam", exact=True)).to_be_checked()
    page.keyboard.press("Enter")
    confirm = page.get_by_role("dialog", name="Please confirm")
    expect(confirm).to_contain_text("Mark 2 comments as spam (spam)?")
    expect(confirm.get_by_role("button", name="Mark 2 comments as spam")).to_be_focused()
    answer = press_and_wait(page, "Enter")
    assert sorted(c["id"] for c in answer["comments"]) == sorted(c.public_id for c in pending[4:6])
    assert status_of(*pending) == ["approved"] * 3 + ["rejected", "spam", "spam", "pending", "pending"]
    expect(page.get_by_role("status")).to_contain_text("Marked 2 comments as spam (spam).")
    expect(items(page)).to_have_count(2)
    expect(item(page, pending[6])).to_be_focused()
    expect(page.locator("#selected-count")).to_contain_text("Tick comments")
    for tab, n in {"pending": "2", "approved": "3", "rejected": "1", "spam": "2", "all": "8"}.items():
        expect(count(page, tab)).to_have_text(n)
    assert page.evaluate("window.deskMarker") == "same page"  # never reloaded


def test_shift_x_selects_the_page_and_more_comments_come_without_a_reload(
    page: Page, demo_site: Site, desk_moderator: User
) -> None:
    """Select all (shift+x) and approve the page: the next ones appear by themselves."""
    thread = ThreadFactory(site=demo_site)
    start = timezone.now() - timedelta(hours=1)
    comments = [CommentFactory(thread=thread, body=f"Comment {i:02}", created_at=start + timedelta(seconds=i))
                for i in range(PAGE_SIZE + 3)]
    log_in(page)
    expect(items(page)).to_have_count(PAGE_SIZE)
    page.keyboard.press("X")
    expect(page.locator("#selected-count")).to_contain_text(f"{PAGE_SIZE} comments selected")
    expect(page.locator("#select-all")).to_be_checked()
    page.keyboard.press("a")
    confirm = page.get_by_role("dialog", name="Please confirm")
    expect(confirm).to_contain_text(f"Approve {PAGE_SIZE} comments?")
    answer = press_and_wait(page, "Enter")
    assert len(answer["comments"]) == PAGE_SIZE
    expect(items(page)).to_have_count(3)
    expect(item(page, comments[PAGE_SIZE])).to_be_focused()
    assert Comment.objects.filter(status="approved").count() == PAGE_SIZE
    expect(count(page, "pending")).to_have_text("3")


def test_undo_puts_the_comment_back(page: Page, demo_site: Site, desk_moderator: User,
                                    pending: list[Comment]) -> None:
    log_in(page)
    page.keyboard.press("j")
    page.keyboard.press("r")
    page.keyboard.press("ArrowDown")  # arrows move through the reasons, Enter decides
    expect(page.get_by_role("radio", name="hate speech")).to_be_checked()
    press_and_wait(page, "Enter")
    assert status_of(pending[1]) == ["rejected"]
    status = page.get_by_role("status")
    expect(status).to_contain_text("Rejected 1 comment (hate speech).")
    expect(status.get_by_role("button", name="Undo")).to_be_visible()
    expect(count(page, "pending")).to_have_text("7")

    answer = press_and_wait(page, "u", "/undo")
    assert answer == {"id": pending[1].public_id, "status": "pending"}
    assert status_of(pending[1]) == ["pending"]
    expect(status).to_contain_text("Undone: 1 comment back to pending.")
    expect(item(page, pending[1])).to_be_focused()
    expect(items(page).nth(1)).to_have_attribute("data-comment-id", pending[1].public_id)  # in its place
    expect(count(page, "pending")).to_have_text("8")
    expect(count(page, "rejected")).to_have_text("0")
    undo = AuditLogEntry.objects.get(action="undo")
    assert undo.undoes.action == "reject" and undo.actor.username == "mo"

    # The Undo button does the same for a click on "Approve".
    item(page, pending[2]).get_by_role("button", name="Approve").click()
    expect(status).to_contain_text("Approved 1 comment.")
    assert status_of(pending[2]) == ["approved"]
    status.get_by_role("button", name="Undo").click()
    expect(status).to_contain_text("Undone: 1 comment back to pending.")
    assert status_of(pending[2]) == ["pending"]
    # Nothing left to undo.
    page.keyboard.press("u")
    expect(status).to_contain_text("Nothing to undo.")


def test_a_refused_decision_changes_nothing_and_says_why(
    page: Page, demo_site: Site, desk_moderator: User, pending: list[Comment], browser_problems: BrowserProblems
) -> None:
    """All or nothing: when the server refuses, the comment comes back with the reason."""
    browser_problems.expect("status of 404")
    log_in(page)
    Comment.objects.filter(pk=pending[0].pk).update(site=SiteFactory(slug="elsewhere"))  # gone from this site
    with page.expect_response(lambda r: r.url.endswith("/decisions")) as answer:
        page.keyboard.press("a")
    assert answer.value.status == 404
    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed")
    expect(item(page, pending[0])).to_be_focused()
    expect(count(page, "pending")).to_have_text("8")
    assert not AuditLogEntry.objects.exists()


def test_text_edited_by_its_author_after_the_page_was_drawn_is_not_decided_unseen(
    page: Page, demo_site: Site, desk_moderator: User, pending: list[Comment], browser_problems: BrowserProblems
) -> None:
    """The desk sends the text version it shows; the author's later edit refuses the
    decision, and the comment is drawn again with its new text to be read first."""
    browser_problems.expect("status of 409")
    log_in(page)
    Comment.objects.filter(pk=pending[0].pk).update(body="A wider bridge. Visit cheap-watch.example")
    with page.expect_response(lambda r: r.url.endswith("/decisions")) as answer:
        page.keyboard.press("a")
    assert answer.value.status == 409
    expect(page.get_by_role("alert")).to_contain_text("the author edited this comment since you saw it")
    expect(item(page, pending[0]).locator("p.body")).to_have_text("A wider bridge. Visit cheap-watch.example")
    expect(item(page, pending[0])).to_be_focused()
    assert status_of(pending[0]) == ["pending"]
    page.keyboard.press("s")
    press_and_wait(page, "Enter")  # spam, now that it has been read
    assert status_of(pending[0]) == ["spam"]


def test_help_dialog_lists_the_shortcuts(page: Page, demo_site: Site, desk_moderator: User,
                                         pending: list[Comment]) -> None:
    log_in(page)
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Close the shortcuts")).to_be_focused()
    for words in ("Next comment", "Reject, with a reason", "Select all on this page", "Undo the last decision",
                  "The commenter's history"):
        expect(dialog).to_contain_text(words)
    screenshot(page, "help")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(item(page, pending[0])).to_be_focused()
    # The header's button opens it too; ? closes it again.
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(dialog).to_be_visible()
    page.keyboard.press("?")
    expect(dialog).to_be_hidden()
    assert status_of(*pending) == ["pending"] * 8  # keys inside dialogs decide nothing


def test_slash_searches_and_esc_comes_back(page: Page, demo_site: Site, desk_moderator: User,
                                           pending: list[Comment]) -> None:
    log_in(page)
    page.keyboard.press("/")
    search = page.get_by_label("Search text")
    expect(search).to_be_focused()
    page.keyboard.type("lane")
    page.keyboard.press("a")  # typed, not a decision
    expect(search).to_have_value("lanea")
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=lane"))
    expect(items(page)).to_have_count(1)
    expect(item(page, pending[2])).to_be_focused()
    assert status_of(*pending) == ["pending"] * 8


def test_close_the_articles_comments_with_c(page: Page, demo_site: Site, desk_moderator: User,
                                            pending: list[Comment]) -> None:
    log_in(page)
    page.keyboard.press("c")
    confirm = page.get_by_role("dialog", name="Close comments?")
    expect(confirm).to_contain_text("Council votes on the footbridge")
    press_and_wait(page, "Enter", "/threads/state")
    assert Thread.objects.get(pk=pending[0].thread_id).is_closed
    expect(page.get_by_role("status")).to_contain_text("are closed.")
    expect(items(page).locator(".badge.closed:visible")).to_have_count(8)
    expect(item(page, pending[0]).get_by_role("button", name="Reopen comments")).to_be_visible()
    assert AuditLogEntry.objects.get().action == "close"


# --- the commenter page --------------------------------------------------------------------


def post_as_reader(live_server: Any, **fields: str) -> tuple[int, dict[str, Any]]:
    body = {"key": "/2026/bridge-vote", "author_name": "CheapWatches", "email": "watches@example.org"} | fields
    request = Request(f"{live_server.url}/api/v1/threads/demo/comments", json.dumps(body).encode(),
                      {"Content-Type": "application/json"}, method="POST")
    try:
        with urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


def test_ban_from_the_commenter_page(page: Page, live_server: Any, demo_site: Site, desk_moderator: User) -> None:
    ThreadFactory(site=demo_site, key="/2026/bridge-vote", title="Council votes on the footbridge")
    for text in ("BUY WATCHES now", "Cheap watches here"):
        assert post_as_reader(live_server, body=text)[0] == 202
    troll = Commenter.objects.get(email="watches@example.org")
    log_in(page)
    page.keyboard.press("h")
    expect(page).to_have_url(re.compile(rf"/desk/demo/commenters/{troll.public_id}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("CheapWatches")
    expect(page.locator("ul.stats .stat-pending")).to_have_text("2 pending")
    expect(page.locator("ol.recent > li")).to_have_count(2)
    screenshot(page, "commenter", full_page=True)

    page.get_by_label("Reason (Terms of Use)").select_option("spam")
    expect(page.get_by_label("Ban ends on (00:00 UTC)")).to_be_hidden()  # permanent is chosen
    page.get_by_label("Also reject their pending comments").check()
    page.get_by_label("Note for the audit log").fill("watch adverts")
    page.get_by_role("button", name="Ban CheapWatches").click()
    expect(page.get_by_role("status")).to_contain_text("CheapWatches is banned permanently.")
    expect(page.locator(".page-head .badge.banned")).to_have_text("banned permanently")
    expect(page.locator("ol.ban-history > li")).to_contain_text("spam")
    expect(page.locator("ol.recent .badge.state-rejected")).to_have_count(2)
    troll.refresh_from_db()
    assert troll.is_banned()
    assert list(AuditLogEntry.objects.filter(action="ban").values_list("reason", "note")) == [("spam", "watch adverts")]

    # The reader API now refuses them.
    status, answer = post_as_reader(live_server, body="One more time")
    assert status == 403 and answer["error"]["code"] == "commenter_banned"
    assert Comment.objects.filter(commenter=troll).count() == 2

    # Back in the queue, nothing of theirs waits any more.
    page.get_by_role("navigation", name="Desk sections").get_by_role("link", name="Queue").click()
    expect(page.locator("#queue-empty")).to_contain_text("Nothing in this queue")


# --- edits -------------------------------------------------------------------------------------


def test_edit_with_a_reason_and_its_diff(page: Page, demo_site: Site, desk_moderator: User) -> None:
    comment = CommentFactory(thread=ThreadFactory(site=demo_site), status="approved",
                             body="You are an idiot. Call me at 555-0100.")
    log_in(page)
    page.goto("/desk/demo/?status=approved")
    expect(item(page, comment)).to_be_focused()
    page.keyboard.press("e")
    expect(page).to_have_url(re.compile(rf"/desk/demo/comments/{comment.public_id}/edit/\?next="))
    text = page.get_by_label("Text")
    text.fill("You are wrong. [phone number removed]")
    page.get_by_role("button", name="Save edit").click()
    expect(page.locator("select[name=reason] + .errorlist, .errorlist").first).to_contain_text("required")
    assert Comment.objects.get(pk=comment.pk).body.startswith("You are an idiot")  # a reason is required
    page.get_by_label("Reason (Terms of Use)").select_option("personal_attack")
    page.get_by_label("Text").press("Control+Enter")
    expect(page).to_have_url(re.compile(r"/desk/demo/\?status=approved$"))
    expect(page.get_by_role("status")).to_contain_text("Edited")
    expect(item(page, comment).locator(".edited")).to_have_text("edited by moderator")
    assert Comment.objects.get(pk=comment.pk).body == "You are wrong. [phone number removed]"

    page.keyboard.press("e")
    versions = page.locator("ol.version-list > li")
    expect(versions).to_have_count(2)
    expect(versions.nth(0).locator("h3")).to_have_text("Version 2 · current text")
    change = versions.nth(1)
    expect(change.locator("del").first).to_have_text("an idiot")
    expect(change.locator("ins").first).to_have_text("wrong")
    expect(change.locator("del", has_text="555-0100")).to_have_count(1)
    expect(change.locator("ins", has_text="removed")).to_have_count(1)
    # Read without the marks, the diff is the old text with the new words beside it.
    assert "".join(change.locator("p.diff > del, p.diff > ins").all_text_contents()).startswith("an idiotwrong")
    expect(change.locator(".change-meta")).to_contain_text("by the moderator mo · reason: personal attack")
    screenshot(page, "edit-diff", full_page=True)


# --- site separation ---------------------------------------------------------------------------


def test_a_moderator_of_another_site_can_neither_see_nor_act(
    page: Page, demo_site: Site, pending: list[Comment], browser_problems: BrowserProblems
) -> None:
    browser_problems.expect("status of 403")
    browser_problems.expect("status of 404")
    other = SiteFactory(slug="other", name="Other Gazette")
    otto = User.objects.create_user("otto", password=MODERATOR_PASSWORD)
    Membership.objects.create(user=otto, site=other)
    log_in(page, "otto", r"/desk/other/$")
    for path in ("/desk/demo/", "/desk/demo/audit/", f"/desk/demo/comments/{pending[0].public_id}/edit/",
                 f"/desk/demo/commenters/{pending[0].commenter.public_id}/", "/desk/demo/settings/"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
        expect(page.locator("body")).not_to_contain_text("Council votes")
    # Through the API with Otto's own session and CSRF token: 403 for the site, 404 for its comment.
    page.goto("/desk/other/")
    answers = page.evaluate(
        """async ([comment]) => {
            const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
            const call = (method, url, body) => fetch(url, {method, headers: {"Content-Type": "application/json",
                "X-CSRFToken": token}, body: body && JSON.stringify(body)}).then(r => r.status);
            return [
                await call("GET", "/api/v1/moderation/demo/queue"),
                await call("POST", "/api/v1/moderation/demo/decisions",
                           {comment_ids: [comment], action: "spam", reason: "spam"}),
                await call("POST", "/api/v1/moderation/other/decisions",
                           {comment_ids: [comment], action: "spam", reason: "spam"}),
                await call("PATCH", "/api/v1/moderation/comments/" + comment, {body: "x", reason: "other"}),
                await call("POST", "/api/v1/moderation/demo/threads/state", {key: "/2026/bridge-vote", closed: true}),
            ];
        }""",
        [pending[0].public_id],
    )
    assert answers == [403, 403, 404, 404, 403]
    assert status_of(*pending) == ["pending"] * 8
    assert Comment.objects.get(pk=pending[0].pk).body == "A wider bridge would be safer."
    assert not Thread.objects.get(pk=pending[0].thread_id).is_closed
    assert not AuditLogEntry.objects.exists()


# --- without JavaScript -------------------------------------------------------------------------


def test_the_desk_works_without_javascript(browser: Any, live_server: Any, demo_site: Site,
                                           desk_moderator: User, pending: list[Comment]) -> None:
    """Progressive enhancement: the same page, its forms posting and reloading."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page)
        expect(page.get_by_role("button", name="Keyboard shortcuts")).to_be_hidden()
        row = item(page, pending[0])
        row.get_by_label("Reason").select_option("off_topic")
        row.get_by_role("button", name="Reject").click()
        expect(page.get_by_role("status")).to_contain_text("Rejected 1 comment (off topic).")
        assert status_of(pending[0]) == ["rejected"]
        page.get_by_role("status").get_by_role("button", name="Undo").click()
        expect(page.get_by_role("status")).to_contain_text("Undone: 1 comment back as before.")
        assert status_of(pending[0]) == ["pending"]
        # Bulk: tick two, choose, confirm on a page of its own.
        item(page, pending[1]).get_by_role("checkbox").check()
        item(page, pending[2]).get_by_role("checkbox").check()
        page.get_by_role("button", name="Approve selected").click()
        expect(page.get_by_role("heading", name="Please confirm")).to_be_visible()
        page.get_by_role("button", name="Confirm").click()
        expect(page.get_by_role("status")).to_contain_text("Approved 2 comments.")
        assert status_of(*pending[:3]) == ["pending", "approved", "approved"]
    finally:
        context.close()
