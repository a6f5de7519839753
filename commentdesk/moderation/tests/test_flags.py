"""``POST /api/v1/comments/{id}/flags``: a reader reports a published comment
(``moderation.decisions.flag``); it stays published and enters the flagged queue."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from commentdesk.comments.models import Comment
from commentdesk.comments.tests.factories import CommentFactory, ThreadFactory
from commentdesk.moderation.models import Flag
from commentdesk.sites.models import Site

REASONS = ["abusive", "spam", "off_topic", "misinformation", "other"]


@pytest.fixture
def published(site: Site) -> Comment:
    return CommentFactory(thread=ThreadFactory(site=site, key="/a/b"), status=Comment.Status.APPROVED, body="Loud.")


def flag(client: Client, comment_id: str, **data: Any) -> Any:
    return client.post(f"/api/v1/comments/{comment_id}/flags", data, content_type="application/json")


def flagged_queue(client: Client, token: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/moderation/demo/queue", {"status": "flagged"}, headers={"Authorization": f"Token {token}"}
    )
    assert response.status_code == 200
    return response.json()["items"]


@pytest.mark.parametrize("reason", REASONS)
def test_flag_of_published_comment_answers_202(reader_client: Client, published: Comment, reason: str) -> None:
    """Each reason of API.md is accepted with 202 and stored with the comment, without the raw address."""
    response = flag(reader_client, published.public_id, reason=reason, note="see line 2")
    assert response.status_code == 202
    stored = Flag.objects.get()
    assert (stored.comment, stored.reason, stored.note) == (published, reason, "see line 2")
    assert stored.ip_hash and "203.0.113.7" not in stored.ip_hash
    assert stored.resolved_at is None


def test_note_is_optional(reader_client: Client, published: Comment) -> None:
    """A reason alone is a complete report."""
    assert flag(reader_client, published.public_id, reason="abusive").status_code == 202
    assert Flag.objects.get().note == ""


def test_flagged_comment_stays_published(client: Client, reader_client: Client, published: Comment) -> None:
    """A flag hides nothing: readers still see the comment and its count; the ETag is unchanged."""
    before = client.get("/api/v1/threads/demo/comments", {"key": "/a/b"})
    assert flag(reader_client, published.public_id, reason="abusive").status_code == 202
    after = client.get("/api/v1/threads/demo/comments", {"key": "/a/b"})
    assert [c["id"] for c in after.json()["comments"]] == [published.public_id]
    assert after.json()["thread"]["comment_count"] == 1
    assert after["ETag"] == before["ETag"]
    published.refresh_from_db()
    assert published.status == Comment.Status.APPROVED


def test_flag_shows_in_the_flagged_queue(client: Client, reader_client: Client, published: Comment, moderator_token: str) -> None:
    """The moderator's flagged queue lists the comment with each report's reason and note."""
    CommentFactory(thread=published.thread, status=Comment.Status.APPROVED)  # not flagged
    assert flagged_queue(client, moderator_token) == []
    flag(reader_client, published.public_id, reason="misinformation", note="The date is wrong.")
    flag(Client(REMOTE_ADDR="198.51.100.4"), published.public_id, reason="abusive")
    [item] = flagged_queue(client, moderator_token)
    assert item["id"] == published.public_id
    assert item["status"] == "approved"
    assert [(f["reason"], f["note"]) for f in item["flags"]] == [("misinformation", "The date is wrong."), ("abusive", "")]
    assert all(f["created_at"].endswith("Z") for f in item["flags"])


def test_decision_clears_the_flagged_queue(client: Client, reader_client: Client, published: Comment, moderator_token: str, publish: Any) -> None:
    """Once a moderator decides on a flagged comment it leaves the flagged queue."""
    flag(reader_client, published.public_id, reason="spam")
    assert len(flagged_queue(client, moderator_token)) == 1
    publish(published, action="reject", reason="spam")
    assert flagged_queue(client, moderator_token) == []


def test_same_reader_flagging_twice_adds_one_flag(reader_client: Client, published: Comment) -> None:
    """A repeated report from the same address and reason is not counted again."""
    for _ in range(3):
        assert flag(reader_client, published.public_id, reason="abusive").status_code == 202
    assert Flag.objects.count() == 1
    assert flag(reader_client, published.public_id, reason="spam").status_code == 202
    assert Flag.objects.count() == 2


@pytest.mark.parametrize("status", [Comment.Status.PENDING, Comment.Status.REJECTED, Comment.Status.SPAM])
def test_unpublished_comment_answers_404(reader_client: Client, site: Site, status: str) -> None:
    """Only approved comments can be flagged; others are unknown to readers (404 ``unknown_comment``)."""
    hidden = CommentFactory(thread__site=site, status=status)
    response = flag(reader_client, hidden.public_id, reason="abusive")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_comment"
    assert Flag.objects.count() == 0


def test_hidden_comment_answers_404_even_with_a_bad_reason(reader_client: Client, site: Site) -> None:
    """A pending comment's existence is not confirmed by a different error."""
    hidden = CommentFactory(thread__site=site)
    response = flag(reader_client, hidden.public_id, reason="nonsense")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_comment"


@pytest.mark.parametrize("comment_id", ["c_doesnotexist0000", "x", "c_" + "z" * 300])
def test_unknown_comment_answers_404(reader_client: Client, site: Site, comment_id: str) -> None:
    """An id nobody has answers 404."""
    response = flag(reader_client, comment_id, reason="spam")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_comment"


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "rude"},
        {"reason": ""},
        {"reason": "SPAM"},
        {"reason": 1},
        {"reason": None},
        {"reason": ["spam"]},
        {"note": "no reason"},
        {"reason": "other", "note": "n" * 501},
        {"reason": "other", "note": 5},
    ],
)
def test_bad_reason_or_note_answers_400(reader_client: Client, published: Comment, data: dict[str, Any]) -> None:
    """A reason outside API.md's list, a missing one, or a note over 500 characters answers 400 ``invalid``."""
    response = flag(reader_client, published.public_id, **data)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) & {"reason", "note"}
    assert Flag.objects.count() == 0


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b'{"reason": "\xff"}'])
def test_unparseable_request_answers_400(reader_client: Client, published: Comment, raw: bytes) -> None:
    """Invalid JSON, non-UTF-8 and non-objects answer 400 with ``fields``."""
    response = reader_client.generic(
        "POST", f"/api/v1/comments/{published.public_id}/flags", raw, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]
    assert Flag.objects.count() == 0


def test_note_is_normalised_plain_text(reader_client: Client, published: Comment) -> None:
    """The note loses controls and bidi overrides like a comment body; NUL never reaches the database."""
    response = flag(reader_client, published.public_id, reason="other", note="<b>x</b>\u202e\u0000\r\ny")
    assert response.status_code == 202
    assert Flag.objects.get().note == "<b>x</b>\ny"


def test_note_of_500_characters_is_accepted(reader_client: Client, published: Comment) -> None:
    """500 characters is the note's limit, inclusive."""
    assert flag(reader_client, published.public_id, reason="other", note="n" * 500).status_code == 202


def test_flags_are_rate_limited(reader_client: Client, published: Comment, settings: Any, still_clock: None) -> None:
    """A reader flooding reports gets 429 ``rate_limited`` with Retry-After."""
    settings.COMMENTS_RATE_LIMIT = 1  # flags allow three times the comment limit
    reasons = iter(REASONS)
    for _ in range(3):
        assert flag(reader_client, published.public_id, reason=next(reasons)).status_code == 202
    response = flag(reader_client, published.public_id, reason=next(reasons))
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert response.json()["error"]["message"].startswith("Too many reports from your network")
    assert int(response["Retry-After"]) >= 1
    assert Flag.objects.count() == 3


def test_flag_function_refuses_unpublished_comment(site: Site) -> None:
    """``decisions.flag`` raises 404 ``unknown_comment`` for a pending comment and stores nothing."""
    from commentdesk.lib.errors import NotFound
    from commentdesk.moderation.decisions import flag as flag_comment

    pending = CommentFactory(thread__site=site)
    with pytest.raises(NotFound) as refused:
        flag_comment(pending.public_id, "abusive", "", "hash")
    assert refused.value.code == "unknown_comment"
    assert Flag.objects.count() == 0
