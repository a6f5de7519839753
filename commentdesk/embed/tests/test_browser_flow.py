"""The pre-moderated flow end to end, in a real browser (Debian's chromium).

A reader writes under the demo article, the comment waits unseen, a moderator
approves (or edits) it in the desk, and the reader then sees it, as plain text.
Fixtures (``browser``, ``page``, ``demo_site``, ``desk_moderator``) come from the
plugin ``commentdesk.tests.browser``; it skips these tests when /usr/bin/chromium is missing.

Set ``COMMENTDESK_SCREENSHOTS=/some/dir`` to keep screenshots of the demo page
and the desk taken along the way.
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
import unicodedata
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.request import urlopen

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Locator, Page, expect

from commentdesk.comments.models import Comment, Thread
from commentdesk.comments.tests.factories import CommentFactory, ThreadFactory
from commentdesk.tests.browser import MODERATOR_PASSWORD, BrowserProblems
from commentdesk.embed.views import DEMO_KEY
from commentdesk.sites.models import Site

pytestmark = pytest.mark.browser

ARTICLE_TITLE = "A river of small lights"
AWAITS = "awaits moderation"
# A line break, Korean, an emoji and HTML that must stay literal text.
FIRST_BODY = "Keep the lanterns on the small river.\n작은 강이 더 아름다워요 🏮 <b>x</b> & <i>y</i>"


# --- helpers ---------------------------------------------------------------------


def screenshot(page: Page, name: str) -> None:
    """Keep a full-page screenshot in $COMMENTDESK_SCREENSHOTS, when it is set."""
    folder = os.environ.get("COMMENTDESK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def open_demo(page: Page) -> Locator:
    """Open the demo article and wait until the widget has drawn the thread."""
    page.goto("/")
    widget = page.locator("#commentdesk")
    expect(widget).to_have_attribute("data-state", "ready")
    return widget


def published(page: Page, text: str) -> Locator:
    """The reader's view of the published comment whose text contains ``text``
    (its ``article.cd-item``: author line, body and buttons, without its replies)."""
    return page.locator("#commentdesk .cd-item").filter(has=page.locator(".cd-body", has_text=text))


def send_comment(page: Page, name: str, body: str) -> None:
    """Fill the widget's form as a reader and send it; assert the reader is told it awaits moderation."""
    form = page.locator("#commentdesk form.cd-form")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Comment", exact=True).fill(body)
    form.get_by_role("button", name="Send for moderation").click()
    status = form.get_by_role("status")
    expect(status).to_contain_text(AWAITS)
    expect(status).to_have_class(re.compile(r"\bcd-ok\b"))
    expect(form.get_by_label("Comment", exact=True)).to_have_value("")


def reader_api(live_server: Any, key: str = DEMO_KEY) -> dict[str, Any]:
    """What any reader gets from ``GET /api/v1/threads/demo/comments``."""
    with urlopen(f"{live_server.url}/api/v1/threads/demo/comments?key={quote(key, safe='')}", timeout=10) as r:
        assert r.status == 200
        data: dict[str, Any] = json.loads(r.read().decode("utf-8"))
    return data


def desk_login(page: Page) -> None:
    page.goto("/desk/login/")
    page.get_by_label("User name").fill("mo")
    page.get_by_label("Password").fill(MODERATOR_PASSWORD)
    screenshot(page, "desk-login")
    page.get_by_role("button", name="Log in").click()
    # One site only: the desk opens its pending queue at once.
    expect(page).to_have_url(re.compile(r"/desk/demo/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pending")


def queue_item(page: Page, text: str) -> Locator:
    """The desk's queue entry whose comment text contains ``text``."""
    return page.locator("ol.queue > li.item").filter(has=page.locator("p.body", has_text=text))


def approve(page: Page, text: str) -> None:
    """In the desk's pending queue, approve the comment containing ``text``."""
    page.goto("/desk/demo/?status=pending")
    item = queue_item(page, text)
    expect(item).to_have_count(1)
    item.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("Approved 1 comment.")
    expect(queue_item(page, text)).to_have_count(0)


def stored(text: str) -> Comment:
    return Comment.objects.select_related("thread", "parent").get(body__contains=text)


# --- the flow of the issue ----------------------------------------------------------


def test_reader_comment_waits_for_approval_then_shows_as_plain_text(
    page: Page, live_server: Any, demo_site: Site, desk_moderator: User
) -> None:
    # 1. A reader writes under the demo article and is told it awaits moderation.
    widget = open_demo(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(ARTICLE_TITLE)
    expect(widget.locator(".cd-count")).to_have_text("0 comments")
    guidelines = widget.get_by_role("complementary", name="Before you comment")
    expect(guidelines).to_contain_text("Be respectful")
    expect(guidelines.get_by_role("link", name="Terms of Use")).to_have_attribute("href", f"{live_server.url}/#terms")
    send_comment(page, "Ji-woo 🌊", FIRST_BODY)
    screenshot(page, "01-demo-sent")
    comment = stored("Keep the lanterns")
    assert comment.status == Comment.Status.PENDING
    assert comment.body == unicodedata.normalize("NFC", FIRST_BODY)
    assert comment.thread.key == DEMO_KEY
    assert comment.thread.title == ARTICLE_TITLE

    # 2. Unapproved: not on the page after a reload, not in the reader API.
    widget = open_demo(page)
    expect(widget.locator(".cd-count")).to_have_text("0 comments")
    expect(widget.locator(".cd-comment")).to_have_count(0)
    expect(widget).not_to_contain_text("Keep the lanterns")
    data = reader_api(live_server)
    assert data["thread"]["comment_count"] == 0
    assert data["comments"] == []

    # 3. The moderator finds it in the pending queue, with its article, and approves it.
    desk_login(page)
    item = queue_item(page, "Keep the lanterns")
    expect(item).to_have_count(1)
    expect(item.locator("a.article")).to_have_text(ARTICLE_TITLE)
    expect(item.locator(".author")).to_contain_text("Ji-woo 🌊")
    expect(item.locator("p.body")).to_have_text(unicodedata.normalize("NFC", FIRST_BODY))
    expect(item.locator("p.body b")).to_have_count(0)
    screenshot(page, "02-desk-pending")
    approve(page, "Keep the lanterns")
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    assert comment.published_at is not None

    # 4. The reader sees it: the line break kept, the HTML shown as text.
    widget = open_demo(page)
    expect(widget.locator(".cd-count")).to_have_text("1 comment")
    shown = published(page, "Keep the lanterns")
    expect(shown).to_have_count(1)
    expect(shown.locator(".cd-author")).to_have_text("Ji-woo 🌊")
    body = shown.locator(".cd-body")
    assert body.text_content() == unicodedata.normalize("NFC", FIRST_BODY)
    # innerText follows the rendering: the line break is shown, not folded into a space.
    assert body.inner_text().split("\n") == unicodedata.normalize("NFC", FIRST_BODY).split("\n")
    expect(widget.locator("b, i")).to_have_count(0)
    assert "&lt;b&gt;x&lt;/b&gt;" in body.inner_html()
    expect(shown.locator(".cd-edited")).to_have_count(0)
    screenshot(page, "03-demo-published")
    data = reader_api(live_server)
    assert data["thread"]["comment_count"] == 1
    assert [c["body"] for c in data["comments"]] == [unicodedata.normalize("NFC", FIRST_BODY)]

    # 5. A second comment: approved, then edited by the moderator under the Terms of Use.
    send_comment(page, "Ji-woo 🌊", "Call the mayor at 555-0100 about it.")
    approve(page, "Call the mayor")
    page.goto("/desk/demo/?status=approved")
    item = queue_item(page, "Call the mayor")
    item.get_by_role("link", name="Edit").click()
    expect(page).to_have_url(re.compile(r"/desk/demo/comments/c_[^/]+/edit/"))
    expect(page.get_by_label("Text")).to_have_value("Call the mayor at 555-0100 about it.")
    page.get_by_label("Text").fill("Call the mayor about it. [phone number removed by the moderator]")
    page.get_by_label("Reason (Terms of Use)").select_option("personal_data")
    screenshot(page, "desk-edit")
    page.get_by_role("button", name="Save edit").click()
    expect(page.get_by_role("status")).to_contain_text("Edited")
    expect(page).to_have_url(re.compile(r"/desk/demo/\?status=approved"))
    expect(queue_item(page, "Call the mayor").locator(".edited")).to_have_text("edited by moderator")
    screenshot(page, "desk-approved")
    edited = stored("Call the mayor")
    assert edited.edited_by_moderator
    assert edited.revisions.get().body == "Call the mayor at 555-0100 about it."

    widget = open_demo(page)
    expect(widget.locator(".cd-count")).to_have_text("2 comments")
    shown = published(page, "Call the mayor")
    expect(shown.locator(".cd-body")).to_have_text("Call the mayor about it. [phone number removed by the moderator]")
    expect(shown.locator(".cd-edited")).to_have_text("edited by moderator")
    expect(widget).not_to_contain_text("555-0100")
    # The first comment keeps its place (oldest first) and has no marker.
    expect(widget.locator(".cd-comments > .cd-comment .cd-body").first).to_contain_text("Keep the lanterns")
    expect(published(page, "Keep the lanterns").locator(".cd-edited")).to_have_count(0)
    screenshot(page, "04-demo-edited")


def test_reply_is_nested_under_its_parent_once_approved(
    page: Page, live_server: Any, demo_site: Site, desk_moderator: User
) -> None:
    thread = ThreadFactory(site=demo_site, key=DEMO_KEY, title=ARTICLE_TITLE, url=f"{live_server.url}/")
    parent = CommentFactory(
        thread=thread, author_name="Hana", body="Move it below the weir.", status=Comment.Status.APPROVED
    )
    widget = open_demo(page)
    expect(widget.locator(".cd-count")).to_have_text("1 comment")
    published(page, "Move it below the weir.").get_by_role("button", name="Reply").click()
    form = widget.locator("form.cd-form")
    expect(form.get_by_role("heading")).to_have_text("Reply to Hana")
    expect(form.get_by_label("Comment", exact=True)).to_be_focused()
    expect(form.get_by_role("button", name="Cancel reply")).to_be_visible()
    screenshot(page, "05a-demo-replying")
    send_comment(page, "Tomas", "The reeds would eat every lantern.")
    # Once sent, the form is for a new comment again.
    expect(form.get_by_role("heading")).to_have_text("Write a comment")
    reply = stored("The reeds")
    assert reply.parent_id == parent.pk
    assert reply.status == Comment.Status.PENDING

    desk_login(page)
    item = queue_item(page, "The reeds")
    expect(item.locator(".parent")).to_contain_text("In reply to Hana")
    expect(item.locator(".parent")).to_contain_text("Move it below the weir.")
    approve(page, "The reeds")

    widget = open_demo(page)
    expect(widget.locator(".cd-count")).to_have_text("2 comments")
    # One comment at the top level, the reply inside its parent's list of replies.
    expect(widget.locator("ol.cd-comments > li.cd-comment")).to_have_count(1)
    nested = widget.locator(f"#cd-{parent.public_id} > ol.cd-replies > li.cd-comment")
    expect(nested).to_have_count(1)
    expect(nested.locator(".cd-author")).to_have_text("Tomas")
    expect(nested.locator(".cd-body")).to_have_text("The reeds would eat every lantern.")
    screenshot(page, "05-demo-reply")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    expect(nested.locator(".cd-body")).to_be_visible()
    screenshot(page, "05b-demo-reply-phone")


def test_closed_thread_shows_no_form(page: Page, live_server: Any, demo_site: Site) -> None:
    thread = ThreadFactory(site=demo_site, key=DEMO_KEY, title=ARTICLE_TITLE, is_closed=True)
    CommentFactory(thread=thread, author_name="Hana", body="Last word.", status=Comment.Status.APPROVED)
    widget = open_demo(page)
    expect(widget.locator(".cd-count")).to_have_text("1 comment")
    expect(published(page, "Last word.")).to_have_count(1)
    expect(widget.locator(".cd-closed")).to_have_text("Comments on this article are closed.")
    expect(widget.locator("form")).to_have_count(0)
    expect(widget.locator("textarea")).to_have_count(0)
    expect(widget.get_by_role("button", name="Reply")).to_have_count(0)
    screenshot(page, "06-demo-closed")


def test_thread_closed_while_reader_writes(
    page: Page, live_server: Any, demo_site: Site, browser_problems: BrowserProblems
) -> None:
    """The server refuses with 403 thread_closed; the widget says so and drops the form."""
    browser_problems.expect("status of 403")
    widget = open_demo(page)
    Thread.objects.create(site=demo_site, key=DEMO_KEY, title=ARTICLE_TITLE, is_closed=True)
    form = widget.locator("form.cd-form")
    form.get_by_label("Name", exact=True).fill("Late reader")
    form.get_by_label("Comment", exact=True).fill("Too late?")
    form.get_by_role("button", name="Send for moderation").click()
    expect(widget.locator(".cd-closed")).to_have_text("Comments on this article are closed.")
    expect(widget.locator("form")).to_have_count(0)
    assert not Comment.objects.filter(body="Too late?").exists()


def test_thread_closed_after_it_was_shown(
    page: Page, live_server: Any, demo_site: Site, desk_moderator: User
) -> None:
    """A moderator closes a thread readers have already loaded: the next view says so."""
    from commentdesk.moderation.threads import set_closed

    thread = ThreadFactory(site=demo_site, key=DEMO_KEY, title=ARTICLE_TITLE)
    CommentFactory(thread=thread, body="Early word.", status=Comment.Status.APPROVED)
    widget = open_demo(page)
    expect(widget.locator("form.cd-form")).to_have_count(1)
    set_closed(thread, True, desk_moderator)
    widget = open_demo(page)
    expect(widget.locator(".cd-closed")).to_have_text("Comments on this article are closed.")
    expect(widget.locator("form")).to_have_count(0)
    expect(published(page, "Early word.")).to_have_count(1)


def test_invalid_comment_marks_the_fields(
    page: Page, live_server: Any, demo_site: Site, browser_problems: BrowserProblems
) -> None:
    """A refused comment (400) names its problems beside the fields, and nothing is stored."""
    browser_problems.expect("status of 400")
    widget = open_demo(page)
    form = widget.locator("form.cd-form")
    form.get_by_label("Comment", exact=True).fill("   ")
    form.get_by_label("E-mail (optional)").fill("not-an-address")
    form.get_by_role("button", name="Send for moderation").click()
    expect(form.locator(".cd-status")).to_have_class(re.compile(r"\bcd-error\b"))
    expect(form.locator(".cd-status")).to_contain_text("Please correct the marked fields.")
    name = form.get_by_label("Name", exact=True)
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_be_focused()
    expect(form.get_by_label("E-mail (optional)")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Comment", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".cd-field-error:visible")).to_have_count(3)
    screenshot(page, "07-demo-invalid")
    assert not Comment.objects.exists()
    # Corrected, it goes through and the marks go away.
    name.fill("Hana")
    form.get_by_label("E-mail (optional)").fill("")
    send_comment(page, "Hana", "Fixed it.")
    expect(form.locator("[aria-invalid]")).to_have_count(0)
    expect(form.locator(".cd-field-error:visible")).to_have_count(0)
    assert stored("Fixed it.").status == Comment.Status.PENDING


@pytest.fixture
def publisher_page(live_server: Any) -> Iterator[str]:
    """A publisher's article page with the one-<script> embed, served on
    127.0.0.1 by a server of its own: an origin other than the live server's
    (``localhost``). Both are loopback addresses, so Chromium's Local Network
    Access rules let the page call the commentdesk host. Yields the page's URL."""
    article = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Weir plan · News</title>
        <meta property="og:title" content="The weir plan"><link rel="icon" href="data:,"></head>
        <body><h1>The weir plan</h1>
        <div id="commentdesk" data-site="demo" data-key="/2026/weir-plan"></div>
        <script src="{live_server.url}/embed.js" defer></script></body></html>""".encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(article)))
            self.end_headers()
            self.wfile.write(article)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_widget_on_a_publisher_page_of_another_origin(
    page: Page, live_server: Any, demo_site: Site, publisher_page: str
) -> None:
    """The one-<script> embed on a publisher's own page: CORS to the commentdesk host."""
    demo_site.allowed_origins = [publisher_page]
    demo_site.save()
    page.goto(f"{publisher_page}/2026/weir-plan/?utm_source=x")
    widget = page.locator("#commentdesk")
    expect(widget).to_have_attribute("data-state", "ready")
    expect(widget.locator(".cd-count")).to_have_text("0 comments")
    send_comment(page, "Tomas", "From the publisher's page.")
    comment = stored("From the publisher's page.")
    assert comment.thread.key == "/2026/weir-plan"
    assert comment.thread.title == "The weir plan"
    assert comment.thread.url == f"{publisher_page}/2026/weir-plan/?utm_source=x"


def test_origin_the_site_does_not_allow_gets_no_widget(
    page: Page, live_server: Any, demo_site: Site, publisher_page: str, browser_problems: BrowserProblems
) -> None:
    """A page on an origin the site does not list gets no CORS headers: the browser
    keeps the thread from it, and the widget says so instead of showing a form."""
    browser_problems.expect("CORS policy")
    browser_problems.expect("net::ERR_FAILED")
    demo_site.allowed_origins = ["https://news.example"]
    demo_site.save()
    page.goto(f"{publisher_page}/2026/weir-plan")
    widget = page.locator("#commentdesk")
    expect(widget).to_have_attribute("data-state", "error")
    expect(widget.locator(".cd-count")).to_have_text("Comments could not be loaded.")
    expect(widget.locator("form")).to_have_count(0)


def test_an_erased_comment_that_was_answered_shows_as_removed(
    page: Page, live_server: Any, demo_site: Site
) -> None:
    """After ``commenter erase --mode delete``, the answered comment is a "[removed]"
    placeholder with no author, nothing to reply to or report, and the reply keeps its place."""
    from django.core.management import call_command

    thread = ThreadFactory(site=demo_site, key=DEMO_KEY, title=ARTICLE_TITLE)
    ann = CommentFactory(thread=thread, author_name="Ann", commenter__email="ann@example.org",
                         body="Call me at 555-0100.", status=Comment.Status.APPROVED)
    CommentFactory(thread=thread, parent=ann, author_name="Bob", body="Agreed.", status=Comment.Status.APPROVED)
    call_command("commenter", "erase", "ann@example.org", "--mode", "delete", "--no-input", stdout=io.StringIO())
    widget = open_demo(page)
    expect(widget.locator(".cd-count")).to_have_text("1 comment")
    removed = widget.locator(f"#cd-{ann.public_id} > article")
    expect(removed.locator(".cd-body")).to_have_text("[removed]")
    expect(removed.locator(".cd-author")).to_have_text("")
    expect(removed.get_by_role("button")).to_have_count(0)
    expect(widget.get_by_text("555-0100")).to_have_count(0)
    reply = widget.locator(f"#cd-{ann.public_id} > ol.cd-replies > li.cd-comment")
    expect(reply.locator(".cd-body")).to_have_text("Agreed.")
    expect(reply.get_by_role("button", name="Reply")).to_have_count(1)
