"""The edit page: a reason is required, every revision is listed, and the word
differences between consecutive versions are shown with <del>/<ins>."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from django.contrib.auth.models import User
from django.test import Client

from commentdesk.comments.models import Comment
from commentdesk.comments.tests.factories import CommentFactory
from commentdesk.moderation.decisions import edit
from commentdesk.moderation.models import AuditLogEntry, Membership
from commentdesk.sites.models import Site

pytestmark = pytest.mark.django_db


def tree(response: Any) -> Any:
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def edit_url(comment: Comment) -> str:
    return f"/desk/demo/comments/{comment.public_id}/edit/"


def test_edit_needs_a_reason_from_the_sites_list(desk: Client, site: Site) -> None:
    comment = CommentFactory(thread__site=site, body="Call me at 555-0100.")
    page = tree(desk.get(edit_url(comment)))
    assert page.xpath("//select[@name='reason']/option/@value") == ["", *site.reason_codes]
    for reason in ("", "made_up"):
        response = desk.post(edit_url(comment), {"body": "Call me.", "reason": reason})
        assert response.status_code == 200
        assert tree(response).xpath("//ul[@class='errorlist']")
    comment.refresh_from_db()
    assert comment.body == "Call me at 555-0100." and not AuditLogEntry.objects.exists()


def test_edit_is_saved_logged_and_returns_to_the_queue(desk: Client, site: Site) -> None:
    comment = CommentFactory(thread__site=site, body="Call me at 555-0100.")
    response = desk.post(edit_url(comment), {"body": "Call me.", "reason": "personal_data", "note": "phone",
                                             "next": "/desk/demo/?status=pending"})
    assert response.status_code == 302 and response["Location"] == "/desk/demo/?status=pending"
    comment.refresh_from_db()
    assert comment.body == "Call me." and comment.edited_by_moderator
    entry = AuditLogEntry.objects.get(action="edit")
    assert (entry.before_text, entry.after_text, entry.reason, entry.note) == (
        "Call me at 555-0100.", "Call me.", "personal_data", "phone")


def test_a_body_over_the_limit_is_refused_with_the_reason(desk: Client, site: Site) -> None:
    site.body_max_length = 10
    site.save()
    comment = CommentFactory(thread__site=site, body="short")
    response = desk.post(edit_url(comment), {"body": "far too long for this site", "reason": "other"})
    assert response.status_code == 200
    assert tree(response).xpath("//ul[@class='errorlist']//text()")
    comment.refresh_from_db()
    assert comment.body == "short"


def test_every_revision_is_listed_with_word_differences(desk: Client, site: Site, moderator: User) -> None:
    comment = CommentFactory(thread__site=site, status="approved", body="You are an idiot. <b>Really</b>.")
    edit(comment, "You are wrong. <b>Really</b>.", moderator, "personal_attack")
    edit(Comment.objects.get(pk=comment.pk), "You are wrong.", moderator, "other")
    page = tree(desk.get(edit_url(comment)))
    versions = page.xpath("//ol[@class='version-list']/li")
    assert [v.get("id") for v in versions] == ["version-3", "version-2", "version-1"]
    assert versions[0].xpath(".//h3/text()") == ["Version 3 · current text"]
    assert versions[0].xpath(".//p[@class='body']/text()") == ["You are wrong."]
    # Version 1 → 2: "an idiot" became "wrong".
    first_change = versions[2]
    assert first_change.xpath(".//del/text()") == ["an idiot"]
    assert first_change.xpath(".//ins/text()") == ["wrong"]
    assert "reason: personal attack" in first_change.xpath(".//p[@class='change-meta']")[0].text_content()
    assert "mo" in first_change.xpath(".//p[@class='change-meta']/strong/text()")
    # Version 2 → 3: the markup-looking text was removed, and stays text.
    assert versions[1].xpath(".//del/text()") == [" <b>Really</b>."]
    assert versions[1].xpath(".//del/*") == []
    html = desk.get(edit_url(comment)).content.decode()
    assert "<b>Really</b>" not in html and "&lt;b&gt;Really&lt;/b&gt;" in html
    # Each earlier version's full text is there too.
    assert versions[2].xpath(".//details/p[@class='body']/text()") == ["You are an idiot. <b>Really</b>."]


def test_a_never_edited_comment_says_so(desk: Client, site: Site) -> None:
    comment = CommentFactory(thread__site=site)
    page = tree(desk.get(edit_url(comment)))
    assert "Never edited" in page.xpath("//section[@aria-labelledby='versions-title']")[0].text_content()


def test_language_desk_cannot_open_another_languages_comment(site: Site) -> None:
    comment = CommentFactory(thread__site=site, language="en", body="English")
    user = User.objects.create_user("ji")
    Membership.objects.create(user=user, site=site, languages=["ko"])
    client = Client()
    client.force_login(user)
    assert client.get(edit_url(comment)).status_code == 404
    assert client.post(edit_url(comment), {"body": "x", "reason": "other"}).status_code == 404
    assert Comment.objects.get(pk=comment.pk).body == "English"


@pytest.mark.parametrize(
    ("before", "after", "removed", "added"),
    [
        ("Call me at 555-0100.", "[phone number removed]", ["Call me at 555-0100."], ["[phone number removed]"]),
        ("You are an idiot. Really.", "You are wrong. Really.", ["an idiot"], ["wrong"]),
        ("one two", "one two three", [], [" three"]),
        ("a b c d", "a x c y", ["b", "d"], ["x", "y"]),
        ("", "new", [], ["new"]),
    ],
)
def test_diff_reads_as_whole_phrases_and_still_joins_to_both_texts(
    before: str, after: str, removed: list[str], added: list[str]
) -> None:
    from commentdesk.lib.diff import word_diff
    from commentdesk.moderation.views import readable_diff

    segments = readable_diff(word_diff(before, after))
    assert [s.text for s in segments if s.kind == "removed"] == removed
    assert [s.text for s in segments if s.kind == "added"] == added
    assert "".join(s.text for s in segments if s.kind != "added") == before
    assert "".join(s.text for s in segments if s.kind != "removed") == after
