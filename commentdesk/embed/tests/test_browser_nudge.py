"""Nudge before posting, in a real browser: where the site turns it on, a draft
with a banned term gets a gentle note with the site's guidelines (as plain
text); the reader edits it or posts anyway, and moderators see the choice."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from commentdesk.comments.models import Comment
from commentdesk.embed.tests.test_browser_flow import AWAITS, desk_login, open_demo, queue_item
from commentdesk.sites.models import Site
from commentdesk.triage.models import Nudge, TriagePolicy, WordList
from commentdesk.triage.pipeline import get_scorers

pytestmark = pytest.mark.browser

GUIDELINES = "Be kind. <b>No</b> advertising, no scams."


@pytest.fixture
def nudging(demo_site: Site) -> Site:
    demo_site.guidelines = GUIDELINES
    demo_site.save()
    TriagePolicy.objects.create(site=demo_site, nudge_enabled=True)
    WordList.objects.create(site=demo_site, kind="banned", terms="fraudster")
    get_scorers()  # prepared once per process (language model): done before the page waits on it
    return demo_site


def write(page: Page, name: str, body: str) -> Any:
    form = page.locator("#commentdesk form.cd-form")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Comment", exact=True).fill(body)
    form.get_by_role("button", name="Send for moderation").click()
    return form


def test_reader_revises_or_posts_anyway_and_the_desk_shows_it(
    page: Page, nudging: Site, desk_moderator: User
) -> None:
    """Banned term → note (guidelines as text, no term) → edit or post anyway; both choices in the desk."""
    open_demo(page)
    # 1. A draft with a banned term is not sent: the note shows the guidelines as text.
    form = write(page, "Min", "The mayor is a f.r.a.u.d.s.t.e.r!")
    note = form.get_by_role("region", name="Before you post")
    expect(note).to_be_visible()
    expect(note).to_contain_text("its wording")
    expect(note.locator(".cd-nudge-guidelines")).to_have_text(GUIDELINES)
    expect(note.locator("b")).to_have_count(0)
    expect(note).not_to_contain_text("fraudster")
    assert Comment.objects.count() == 0

    # 2. "Edit my comment": back to the text; the revised comment is sent and marked "revised".
    note.get_by_role("button", name="Edit my comment").click()
    expect(note).to_be_hidden()
    expect(form.get_by_label("Comment", exact=True)).to_be_focused()
    form.get_by_label("Comment", exact=True).fill("I disagree with the mayor's plan.")
    form.get_by_role("button", name="Send for moderation").click()
    expect(form.get_by_role("status")).to_contain_text(AWAITS)
    revised = Comment.objects.get(body="I disagree with the mayor's plan.")
    assert revised.triage_nudge.choice == "revised"

    # 3. "Post anyway": sent as written and marked "posted_anyway".
    write(page, "Min", "Still, a fraudster.")
    expect(note).to_be_visible()
    note.get_by_role("button", name="Post anyway").click()
    expect(form.get_by_role("status")).to_contain_text(AWAITS)
    anyway = Comment.objects.get(body="Still, a fraudster.")
    assert anyway.triage_nudge.choice == "posted_anyway"

    # 4. A harmless comment is sent at once, with no note and no record.
    write(page, "Min", "Thanks for the report.")
    expect(form.get_by_role("status")).to_contain_text(AWAITS)
    expect(note).to_be_hidden()
    assert Comment.objects.filter(body="Thanks for the report.").exists()
    assert not Nudge.objects.filter(comment__body="Thanks for the report.").exists()

    # 5. Moderators see the reader's choice beside each comment.
    desk_login(page)
    expect(queue_item(page, "Still, a fraudster.").locator(".nudge-note")).to_contain_text("posted anyway")
    expect(queue_item(page, "I disagree").locator(".nudge-note")).to_contain_text("revised the comment")
    expect(queue_item(page, "Thanks for the report").locator(".nudge-note")).to_have_count(0)


def test_sites_without_nudge_never_ask(page: Page, demo_site: Site) -> None:
    """With nudges off (the default) the widget posts at once, even with a banned term."""
    WordList.objects.create(site=demo_site, kind="banned", terms="fraudster")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if re.search(r"/nudge$", r.url) else None)
    open_demo(page)
    form = write(page, "Min", "A fraudster wrote this.")
    expect(form.get_by_role("status")).to_contain_text(AWAITS)
    assert asked == []
    assert Comment.objects.filter(body="A fraudster wrote this.").exists()
    assert not Nudge.objects.exists()
