"""``PATCH /api/v1/comments/{id}`` with ``Authorization: Bearer <edit_token>``: the author
edits their own pending comment within the edit window (API.md)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from commentdesk.comments.models import Comment, CommentRevision
from commentdesk.sites.models import Site

START = "2026-03-01 12:00:00Z"


@pytest.fixture
def written(post_comment: Any) -> dict[str, Any]:
    """A pending comment posted at START: ``{"id", "token"}``."""
    with time_machine.travel(START, tick=False):
        data = post_comment(body="Original text.").json()
    return {"id": data["comment"]["id"], "token": data["edit_token"]}


def patch(client: Client, comment_id: str, body: Any, token: str | None, raw: bytes | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    data = raw if raw is not None else {"body": body}
    return client.patch(f"/api/v1/comments/{comment_id}", data, content_type="application/json", headers=headers)


def test_author_edits_within_the_window_and_a_revision_is_kept(client: Client, written: dict[str, Any]) -> None:
    """Within 15 minutes the edit replaces the text, keeps the old one as an author revision, and stays pending."""
    with time_machine.travel("2026-03-01 12:14:00Z", tick=False):
        response = patch(client, written["id"], "Corrected text.", written["token"])
    assert response.status_code == 200
    data = response.json()
    assert data["comment"]["id"] == written["id"]
    assert data["comment"]["body"] == "Corrected text."
    assert data["comment"]["status"] == "pending"
    comment = Comment.objects.get(public_id=written["id"])
    assert comment.body == "Corrected text."
    assert comment.status == Comment.Status.PENDING
    assert comment.edited_at is not None
    [revision] = CommentRevision.objects.filter(comment=comment)
    assert (revision.body, revision.editor) == ("Original text.", CommentRevision.Editor.AUTHOR)


def test_each_edit_keeps_the_text_before_it(client: Client, written: dict[str, Any]) -> None:
    """Two edits keep two revisions, oldest first."""
    with time_machine.travel("2026-03-01 12:05:00Z", tick=False):
        assert patch(client, written["id"], "Second.", written["token"]).status_code == 200
        assert patch(client, written["id"], "Third.", written["token"]).status_code == 200
    bodies = list(CommentRevision.objects.filter(comment__public_id=written["id"]).values_list("body", flat=True))
    assert bodies == ["Original text.", "Second."]
    assert Comment.objects.get(public_id=written["id"]).body == "Third."


def test_unchanged_text_keeps_no_revision(client: Client, written: dict[str, Any]) -> None:
    """Sending the same text again is a no-op."""
    with time_machine.travel("2026-03-01 12:01:00Z", tick=False):
        assert patch(client, written["id"], "  Original text.\r\n", written["token"]).status_code == 200
    assert CommentRevision.objects.count() == 0


def test_edit_is_normalised_like_a_submission(client: Client, written: dict[str, Any]) -> None:
    """CRLF, bidi overrides and controls are handled as on submission; markup stays text."""
    with time_machine.travel("2026-03-01 12:01:00Z", tick=False):
        response = patch(client, written["id"], "<b>a</b>\r\nb\u202e\x00c", written["token"])
    assert response.status_code == 200
    assert Comment.objects.get(public_id=written["id"]).body == "<b>a</b>\nbc"


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong-token", "Bearer ", "Token {token}", "{token}", "Bearer {token}x", "Bearer{token}"],
)
def test_wrong_or_missing_token_answers_401(client: Client, written: dict[str, Any], header: str | None) -> None:
    """Without the comment's own edit token the answer is 401 ``invalid_token`` and nothing changes."""
    headers = {"Authorization": header.format(token=written["token"])} if header is not None else {}
    with time_machine.travel("2026-03-01 12:01:00Z", tick=False):
        response = client.patch(
            f"/api/v1/comments/{written['id']}", {"body": "Hacked."}, content_type="application/json", headers=headers
        )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    assert Comment.objects.get(public_id=written["id"]).body == "Original text."
    assert CommentRevision.objects.count() == 0


def test_token_of_another_comment_answers_401(client: Client, written: dict[str, Any], post_comment: Any) -> None:
    """An edit token opens its own comment only."""
    with time_machine.travel(START, tick=False):
        mine = post_comment(body="Mine.").json()
        response = patch(client, written["id"], "Hacked.", mine["edit_token"])
    assert response.status_code == 401
    assert Comment.objects.get(public_id=written["id"]).body == "Original text."


@pytest.mark.parametrize("when", ["2026-03-01 12:15:01Z", "2026-03-01 13:00:00Z", "2026-03-08 12:00:00Z"])
def test_edit_after_the_window_answers_403(client: Client, written: dict[str, Any], when: str) -> None:
    """Past the site's edit window (15 minutes) the answer is 403 ``edit_closed``."""
    with time_machine.travel(when, tick=False):
        response = patch(client, written["id"], "Too late.", written["token"])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "edit_closed"
    assert Comment.objects.get(public_id=written["id"]).body == "Original text."
    assert CommentRevision.objects.count() == 0


def test_window_is_the_sites_setting(client: Client, site: Site, written: dict[str, Any]) -> None:
    """A site with a 60-minute window lets its authors edit after 59 minutes."""
    site.edit_window = 60
    site.save()
    with time_machine.travel("2026-03-01 12:59:00Z", tick=False):
        assert patch(client, written["id"], "Still in time.", written["token"]).status_code == 200


@pytest.mark.parametrize(("action", "reason"), [("approve", ""), ("reject", "off_topic"), ("spam", "spam")])
def test_edit_after_a_decision_answers_403(
    client: Client, written: dict[str, Any], publish: Any, action: str, reason: str
) -> None:
    """Once a moderator decided, the author can no longer change the text, even within the
    window, and is told why (not which decision)."""
    comment = Comment.objects.get(public_id=written["id"])
    with time_machine.travel("2026-03-01 12:02:00Z", tick=False):
        publish(comment, action=action, reason=reason)
        response = patch(client, written["id"], "Sneaky change.", written["token"])
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "edit_closed", "message": "A moderator has already decided on this comment; it can no longer be edited."}
    assert Comment.objects.get(public_id=written["id"]).body == "Original text."


def test_edit_after_a_moderators_edit_answers_403(client: Client, written: dict[str, Any], moderator: Any) -> None:
    """A moderator took a line out of the still-pending comment: the author cannot put it
    back within the window (before, the author's edit overwrote the moderator's, unlogged)."""
    from commentdesk.moderation.decisions import edit

    comment = Comment.objects.select_related("site").get(public_id=written["id"])
    with time_machine.travel("2026-03-01 12:02:00Z", tick=False):
        edit(comment, "Original [removed].", moderator, "other")
        response = patch(client, written["id"], "Original text, put back.", written["token"])
    assert response.status_code == 403
    assert response.json()["error"] == {"code": "edit_closed",
                                        "message": "A moderator has edited this comment; it can no longer be edited."}
    comment.refresh_from_db()
    assert comment.body == "Original [removed]." and comment.status == "pending"
    assert list(CommentRevision.objects.filter(comment=comment).values_list("editor", flat=True)) == ["moderator"]


def test_approved_comment_text_cannot_be_swapped(client: Client, written: dict[str, Any], publish: Any) -> None:
    """Readers keep seeing what the moderator approved."""
    comment = Comment.objects.get(public_id=written["id"])
    with time_machine.travel("2026-03-01 12:02:00Z", tick=False):
        publish(comment)
        patch(client, written["id"], "Now something else.", written["token"])
    shown = client.get("/api/v1/threads/demo/comments", {"key": "/a/b"}).json()["comments"]
    assert [c["body"] for c in shown] == ["Original text."]


@pytest.mark.parametrize(
    ("body", "field"),
    [("", "body"), ("   \n ", "body"), ("\u200b\u200d", "body"), ("x" * 5001, "body"), (123, "body"), (None, "body")],
)
def test_bad_body_answers_400(client: Client, written: dict[str, Any], body: Any, field: str) -> None:
    """An empty, invisible, overlong or non-string body answers 400 ``invalid`` naming ``body``."""
    with time_machine.travel("2026-03-01 12:01:00Z", tick=False):
        response = patch(client, written["id"], body, written["token"])
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert Comment.objects.get(public_id=written["id"]).body == "Original text."


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b'{"body": "\xff"}', b'{"text": "x"}'])
def test_unparseable_request_answers_400(client: Client, written: dict[str, Any], raw: bytes) -> None:
    """Invalid JSON, non-UTF-8, an array or a missing ``body`` answer 400 with ``fields``."""
    with time_machine.travel("2026-03-01 12:01:00Z", tick=False):
        response = client.generic(
            "PATCH",
            f"/api/v1/comments/{written['id']}",
            raw,
            content_type="application/json",
            headers={"Authorization": f"Bearer {written['token']}"},
        )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"]
    assert Comment.objects.get(public_id=written["id"]).body == "Original text."


def test_exactly_5000_characters_is_accepted(client: Client, written: dict[str, Any]) -> None:
    """The edit has the submission's limit, inclusive."""
    with time_machine.travel("2026-03-01 12:01:00Z", tick=False):
        assert patch(client, written["id"], "y" * 5000, written["token"]).status_code == 200


@pytest.mark.parametrize("comment_id", ["c_doesnotexist0000", "nothing", "c_" + "x" * 500])
def test_unknown_comment_answers_404(client: Client, site: Site, comment_id: str) -> None:
    """An unknown comment id answers 404 ``unknown_comment``."""
    response = patch(client, comment_id, "x", "whatever")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_comment"


def test_nul_in_comment_id_answers_400(client: Client, site: Site) -> None:
    """``%00`` in the id is refused before it reaches the database."""
    response = client.patch("/api/v1/comments/c_%00", {"body": "x"}, content_type="application/json")
    assert response.status_code == 400


def test_imported_comment_without_token_cannot_be_edited(client: Client, site: Site) -> None:
    """A comment with no edit token (imported) refuses every token."""
    from commentdesk.comments.tests.factories import CommentFactory

    comment = CommentFactory(thread__site=site)
    assert comment.edit_token_hash == ""
    response = patch(client, comment.public_id, "x", "")
    assert response.status_code == 401
    assert patch(client, comment.public_id, "x", "anything").status_code == 401


def test_edit_window_counts_from_writing_not_from_first_edit(client: Client, written: dict[str, Any]) -> None:
    """Editing does not extend the window."""
    with time_machine.travel("2026-03-01 12:10:00Z", tick=False):
        assert patch(client, written["id"], "Edit one.", written["token"]).status_code == 200
    with time_machine.travel("2026-03-01 12:16:00Z", tick=False):
        assert patch(client, written["id"], "Edit two.", written["token"]).status_code == 403
    assert Comment.objects.get(public_id=written["id"]).body == "Edit one."


def test_bearer_scheme_is_case_insensitive(client: Client, written: dict[str, Any]) -> None:
    """``bearer`` and ``BEARER`` are the Bearer scheme (RFC 9110 auth schemes ignore case)."""
    with time_machine.travel("2026-03-01 12:01:00Z", tick=False):
        for scheme in ("bearer", "BEARER"):
            response = client.patch(
                f"/api/v1/comments/{written['id']}",
                {"body": f"By {scheme}."},
                content_type="application/json",
                headers={"Authorization": f"{scheme}  {written['token']}"},
            )
            assert response.status_code == 200
            assert Comment.objects.get(public_id=written["id"]).body == f"By {scheme}."
