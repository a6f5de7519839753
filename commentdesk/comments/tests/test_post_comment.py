"""``POST /api/v1/threads/{site}/comments``: a reader submits a comment (API.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from commentdesk.comments.models import IdempotencyRecord, Comment, Commenter, Thread
from commentdesk.comments.tests.factories import CommentFactory, ThreadFactory
from commentdesk.sites.models import Site

URL = "/api/v1/threads/demo/comments"


def error_of(response: Any) -> dict[str, Any]:
    """The ``error`` object of an answer, checking API.md's error shape on the way."""
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    return body["error"]


def shown(client: Client, key: str = "/a/b") -> list[dict[str, Any]]:
    response = client.get(URL, {"key": key})
    assert response.status_code == 200
    return response.json()["comments"]


# --- accepted ---------------------------------------------------------------------


def test_valid_comment_is_stored_pending_and_answered_202(post_comment: Any, site: Site) -> None:
    """A valid comment answers 202 pending with an edit token, and is stored pending with no raw IP."""
    response = post_comment(email="Reader@Example.org", url="https://news.example/a/b", title="A B")
    assert response.status_code == 202
    data = response.json()
    assert set(data) == {"comment", "message", "edit_token", "commenter_token"}
    assert data["comment"]["status"] == "pending"
    assert data["comment"]["id"].startswith("c_")
    assert data["comment"]["body"] == "A comment."
    assert data["comment"]["author_name"] == "Reader"
    assert data["comment"]["parent_id"] is None
    assert data["comment"]["created_at"].endswith("Z")
    assert "moderat" in data["message"]
    assert len(data["edit_token"]) >= 32
    comment = Comment.objects.get(public_id=data["comment"]["id"])
    assert comment.status == Comment.Status.PENDING
    assert comment.site == site
    assert (comment.thread.key, comment.thread.url, comment.thread.title) == ("/a/b", "https://news.example/a/b", "A B")
    assert comment.commenter.email == "reader@example.org"
    assert "203.0.113.7" not in (comment.ip_hash, comment.commenter.ip_hash)
    assert comment.ip_hash and comment.edit_token_hash != data["edit_token"]


def test_pending_comment_is_not_shown_to_readers(post_comment: Any, client: Client) -> None:
    """A 202-accepted comment stays out of the thread until a moderator approves it."""
    assert post_comment().status_code == 202
    assert shown(client) == []


def test_post_moderated_site_publishes_at_once(post_comment: Any, site: Site, client: Client, django_capture_on_commit_callbacks: Any) -> None:
    """Under a post-moderation policy the answer says approved and readers see the comment at once."""
    site.policy = Site.Policy.POST
    site.save()
    assert shown(client) == []  # cache an empty snapshot first
    with django_capture_on_commit_callbacks(execute=True):
        response = post_comment()
    assert response.status_code == 202
    assert response.json()["comment"]["status"] == "approved"
    assert [c["id"] for c in shown(client)] == [response.json()["comment"]["id"]]


def test_body_of_exactly_5000_characters_is_accepted(post_comment: Any) -> None:
    """5,000 characters is the default limit, inclusive."""
    response = post_comment(body="x" * 5000)
    assert response.status_code == 202
    assert len(Comment.objects.get().body) == 5000


def test_limit_counts_characters_not_bytes(post_comment: Any) -> None:
    """5,000 Korean syllables (15,000 bytes of UTF-8) fit the 5,000-character limit."""
    response = post_comment(body="한" * 5000)
    assert response.status_code == 202


def test_reply_to_an_approved_comment_carries_parent_id(post_comment: Any, site: Site) -> None:
    """A reply names a published comment of the same thread as its parent."""
    parent = CommentFactory(thread=ThreadFactory(site=site, key="/a/b"), status=Comment.Status.APPROVED)
    response = post_comment(parent_id=parent.public_id)
    assert response.status_code == 202
    assert response.json()["comment"]["parent_id"] == parent.public_id
    assert Comment.objects.get(public_id=response.json()["comment"]["id"]).parent == parent


def test_url_key_is_normalised_on_submission(post_comment: Any) -> None:
    """A comment posted with a full URL as key lands in the thread of its path."""
    assert post_comment(key="https://example.org/a/b/?utm=x#c").status_code == 202
    assert post_comment(key="/a/b/").status_code == 202
    assert list(Thread.objects.values_list("key", flat=True)) == ["/a/b"]


def test_second_comment_of_same_email_reuses_commenter(post_comment: Any) -> None:
    """One commenter per site and e-mail address, whatever the case of the address."""
    assert post_comment(email="ann@example.org").status_code == 202
    assert post_comment(email="ANN@example.org", body="Again.").status_code == 202
    assert Commenter.objects.count() == 1
    assert Comment.objects.count() == 2


# --- text handling ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("<b>Bold</b> & co", "<p>Hello <a href='x'>link</a> &amp; &lt;</p>"),
        ("<script>alert('name')</script>", "<script>alert(document.cookie)</script>\n<img src=x onerror=alert(1)>"),
        ("**md**", "# Not a heading\n*not emphasis* [not](a link)"),
    ],
)
def test_markup_is_stored_and_returned_as_plain_text(
    post_comment: Any, publish: Any, client: Client, name: str, body: str
) -> None:
    """HTML, <script> and Markdown in name and body are kept verbatim as text, never escaped or stripped."""
    response = post_comment(author_name=name, body=body)
    assert response.status_code == 202
    assert (response.json()["comment"]["author_name"], response.json()["comment"]["body"]) == (name, body)
    comment = Comment.objects.get()
    assert (comment.author_name, comment.body) == (name, body)
    publish(comment)
    [item] = shown(client)
    assert (item["author_name"], item["body"]) == (name, body)


def test_bidi_override_characters_are_removed(post_comment: Any) -> None:
    """Embedding, override and isolate controls (Trojan Source) are removed from body and name."""
    response = post_comment(
        author_name="Eve\u202etxt.exe", body="abc\u202edef\u202c \u2066ghi\u2069 \u202a\u202b\u202d\u2067\u2068end"
    )
    assert response.status_code == 202
    comment = Comment.objects.get()
    assert comment.body == "abcdef ghi end"
    assert comment.author_name == "Evetxt.exe"
    assert response.json()["comment"]["body"] == "abcdef ghi end"


def test_right_to_left_marks_are_kept(post_comment: Any) -> None:
    """LRM/RLM marks are not bidi overrides: Arabic and Hebrew text needs them."""
    body = "שלום\u200f world \u200eمرحبا"
    assert post_comment(body=body).status_code == 202
    assert Comment.objects.get().body == body


def test_emoji_and_korean_are_kept_intact(post_comment: Any, publish: Any, client: Client) -> None:
    """Astral emoji, ZWJ families, skin tones, flags and Hangul survive storage and reading byte for byte."""
    body = "좋은 기사입니다 👍🏽 👨‍👩‍👧‍👦 🇰🇷 ❤️ 😀"
    response = post_comment(author_name="김민준 🐯", body=body)
    assert response.status_code == 202
    comment = Comment.objects.get()
    assert (comment.author_name, comment.body) == ("김민준 🐯", body)
    publish(comment)
    [item] = shown(client)
    assert item["body"] == body
    assert item["author_name"] == "김민준 🐯"


def test_crlf_and_cr_become_lf(post_comment: Any) -> None:
    """Windows and old-Mac line ends are stored as LF; tabs stay."""
    assert post_comment(body="one\r\ntwo\rthree\n\tfour").status_code == 202
    assert Comment.objects.get().body == "one\ntwo\nthree\n\tfour"


def test_control_characters_are_removed(post_comment: Any) -> None:
    """NUL, BEL, ESC and other C0/C1 controls are dropped, on SQLite and PostgreSQL alike."""
    assert post_comment(body="a\x00b\x07c\x1bd\x85e\x7f", author_name="N\x00ame").status_code == 202
    comment = Comment.objects.get()
    assert (comment.body, comment.author_name) == ("abcde", "Name")


def test_decomposed_text_is_nfc_normalised(post_comment: Any) -> None:
    """Combining sequences are composed (NFC): e + U+0301 is stored as é, and Hangul jamo as syllables."""
    assert post_comment(body="Cafe\u0301 \u1100\u1161").status_code == 202
    assert Comment.objects.get().body == "Caf\u00e9 \uac00"


def test_leading_and_trailing_whitespace_is_trimmed(post_comment: Any) -> None:
    """Blank lines around the text go; the inner line structure stays."""
    assert post_comment(body="\n\n  first\n\nsecond  \n\n").status_code == 202
    assert Comment.objects.get().body == "first\n\nsecond"


# --- refused: 400 invalid ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"body": ""}, "body", id="empty-body"),
        pytest.param({"body": "   \n\t \r\n  "}, "body", id="whitespace-only-body"),
        pytest.param({"body": "\u200b\u200c\u200d\u2060\ufeff"}, "body", id="zero-width-only-body"),
        pytest.param({"body": " \u200b \u00ad \u3164\n"}, "body", id="invisible-and-space-body"),
        pytest.param({"body": "\x00\x07\u202e"}, "body", id="controls-only-body"),
        pytest.param({"body": "x" * 5001}, "body", id="body-5001-characters"),
        pytest.param({"body": "😀" * 5001}, "body", id="body-5001-emoji"),
        pytest.param({"body": "  " + "x" * 5001 + "  "}, "body", id="body-5001-after-trim"),
        pytest.param({"author_name": "n" * 81}, "author_name", id="name-81-characters"),
        pytest.param({"author_name": "   "}, "author_name", id="blank-name"),
        pytest.param({"email": "not-an-email"}, "email", id="email-no-at"),
        pytest.param({"email": "a@b@example.org"}, "email", id="email-two-ats"),
        pytest.param({"email": "ann@"}, "email", id="email-no-domain"),
        pytest.param({"email": "ann@example.org\nBcc: x@example.org"}, "email", id="email-header-injection"),
        pytest.param({"email": "a" * 250 + "@example.org"}, "email", id="email-too-long"),
        pytest.param({"key": ""}, "key", id="empty-key"),
        pytest.param({"key": " \u200b "}, "key", id="invisible-key"),
        pytest.param({"key": "/" + "é" * 400}, "key", id="key-too-long-after-encoding"),
        pytest.param({"url": "javascript:alert(1)"}, "url", id="javascript-url"),
        pytest.param({"body": 42}, "body", id="body-number"),
        pytest.param({"body": None}, "body", id="body-null"),
        pytest.param({"body": ["a", "b"]}, "body", id="body-list"),
        pytest.param({"author_name": {"first": "A"}}, "author_name", id="name-object"),
        pytest.param({"key": 7}, "key", id="key-number"),
        pytest.param({"parent_id": 123}, "parent_id", id="parent-id-number"),
        pytest.param({"email": True}, "email", id="email-bool"),
        pytest.param({"website": 1}, "website", id="honeypot-number"),
    ],
)
def test_invalid_field_answers_400_and_stores_nothing(
    post_comment: Any, stored: Any, fields: dict[str, Any], field: str
) -> None:
    """Each field problem answers 400 ``invalid`` naming the field, and nothing is stored."""
    before = stored()
    response = post_comment(**fields)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert all(isinstance(p, str) and p for p in error["fields"][field])
    assert stored() == before


def test_missing_body_field_answers_400(reader_client: Client, site: Site, stored: Any) -> None:
    """A request without ``body`` names the missing field."""
    before = stored()
    response = reader_client.post(URL, {"key": "/a/b", "author_name": "R"}, content_type="application/json")
    assert response.status_code == 400
    assert "body" in error_of(response)["fields"]
    assert stored() == before


def test_every_problem_is_listed_at_once(post_comment: Any, stored: Any) -> None:
    """Several bad fields are all reported in one answer."""
    before = stored()
    response = post_comment(body=" ", author_name="n" * 81, email="nope")
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) >= {"body", "author_name", "email"}
    assert stored() == before


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        pytest.param(b"", "application/json", id="empty-request"),
        pytest.param(b'{"key": "/a/b", "body": "x"', "application/json", id="truncated-json"),
        pytest.param(b"{'key': '/a/b'}", "application/json", id="single-quotes"),
        pytest.param(b'{"key": "/a/b", "body": "\xff\xfe bad", "author_name": "R"}', "application/json", id="invalid-utf8"),
        pytest.param(b'{"key": "/a/b", "body": "caf\xe9", "author_name": "R"}', "application/json", id="latin-1"),
        pytest.param(b'\xef\xbb\xbf{"key": "/a/b", "body": "x", "author_name": "R"}', "application/json", id="utf8-bom"),
        pytest.param(b'[{"key": "/a/b", "body": "x", "author_name": "R"}]', "application/json", id="json-array"),
        pytest.param(b'"just a string"', "application/json", id="json-string"),
        pytest.param(b"null", "application/json", id="json-null"),
        pytest.param(b"42", "application/json", id="json-number"),
        pytest.param(b"[" * 5000 + b"]" * 5000, "application/json", id="deep-nesting"),
        pytest.param(b'{"key": "/a/b", "body": NaN, "author_name": "R"}', "application/json", id="nan"),
    ],
)
def test_unparseable_request_answers_400_and_stores_nothing(
    reader_client: Client, site: Site, stored: Any, raw: bytes, content_type: str
) -> None:
    """A body that is not one UTF-8 JSON object answers 400 ``invalid`` with ``fields``, never 5xx."""
    before = stored()
    response = reader_client.generic("POST", URL, raw, content_type=content_type)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["fields"]
    assert stored() == before


def test_invalid_utf8_is_named_in_the_answer(reader_client: Client, site: Site) -> None:
    """The answer to non-UTF-8 bytes says so, under ``fields.request``."""
    response = reader_client.generic("POST", URL, b'{"body": "\xc3\x28"}', content_type="application/json")
    assert response.status_code == 400
    assert "UTF-8" in " ".join(error_of(response)["fields"]["request"])


def test_json_array_is_named_in_the_answer(reader_client: Client, site: Site) -> None:
    """The answer to a JSON array says an object was expected."""
    response = reader_client.generic("POST", URL, b"[]", content_type="application/json")
    assert response.status_code == 400
    assert "object" in " ".join(error_of(response)["fields"]["request"])


def test_nul_and_lone_surrogates_in_any_field_never_cause_a_5xx(post_comment: Any) -> None:
    """``\\u0000`` and unpaired surrogates, which no database stores, are removed from every string."""
    response = post_comment(
        key="/a/\u0000b",
        body="x\u0000y\ud800z",
        author_name="R\ud83d",
        url="https://news.example/\u0000\udfff",
        title="T\u0000",
        website="",
    )
    assert response.status_code == 202
    comment = Comment.objects.get()
    assert comment.body == "xyz"
    assert comment.author_name == "R"
    assert comment.thread.url == "https://news.example/"
    assert "\x00" not in comment.thread.key + comment.thread.title


def test_nul_in_parent_id_answers_400(post_comment: Any, site: Site, stored: Any) -> None:
    """A parent id with a NUL is just an unknown parent, not a database error."""
    ThreadFactory(site=site, key="/a/b")
    before = stored()
    response = post_comment(parent_id="c_\u0000x")
    assert response.status_code == 400
    assert "parent_id" in error_of(response)["fields"]
    assert stored() == before


def test_parent_in_another_thread_is_refused(post_comment: Any, site: Site, stored: Any) -> None:
    """A reply must stay in its parent's thread: a parent of another thread answers 400 ``parent_id``."""
    ThreadFactory(site=site, key="/a/b")
    elsewhere = CommentFactory(thread=ThreadFactory(site=site, key="/c/d"), status=Comment.Status.APPROVED)
    before = stored()
    response = post_comment(parent_id=elsewhere.public_id)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid" and "parent_id" in error["fields"]
    assert stored() == before


def test_parent_of_another_site_is_refused(post_comment: Any, site: Site, other_site: Site, stored: Any) -> None:
    """A comment id of another publication is unknown here."""
    ThreadFactory(site=site, key="/a/b")
    foreign = CommentFactory(thread=ThreadFactory(site=other_site, key="/a/b"), status=Comment.Status.APPROVED)
    before = stored()
    response = post_comment(parent_id=foreign.public_id)
    assert response.status_code == 400
    assert "parent_id" in error_of(response)["fields"]
    assert stored() == before


@pytest.mark.parametrize("status", [Comment.Status.PENDING, Comment.Status.REJECTED, Comment.Status.SPAM])
def test_parent_not_published_is_refused(post_comment: Any, site: Site, stored: Any, status: str) -> None:
    """Nobody can reply to a comment readers cannot see (its id must not be confirmed either)."""
    hidden = CommentFactory(thread=ThreadFactory(site=site, key="/a/b"), status=status)
    before = stored()
    response = post_comment(parent_id=hidden.public_id)
    assert response.status_code == 400
    assert "parent_id" in error_of(response)["fields"]
    assert stored() == before


@pytest.mark.parametrize("parent_id", ["c_doesnotexist0000", "", "\ud800", "\x00"])
@pytest.mark.parametrize("thread_exists", [True, False])
def test_unknown_parent_is_refused(post_comment: Any, site: Site, stored: Any, thread_exists: bool,
                                   parent_id: str) -> None:
    """An unknown ``parent_id`` answers 400, whether or not the thread exists yet; so does an empty
    one, or one that is empty once NUL and lone surrogates are dropped (it was stored as a top-level
    comment); ``null`` is the top level."""
    if thread_exists:
        ThreadFactory(site=site, key="/a/b")
    before = stored()
    response = post_comment(parent_id=parent_id)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid" and "parent_id" in error["fields"]
    assert stored() == before


def test_overlong_idempotency_key_is_refused(post_comment: Any, stored: Any) -> None:
    """An ``Idempotency-Key`` over 200 characters answers 400 naming the header."""
    before = stored()
    response = post_comment(headers={"Idempotency-Key": "k" * 201})
    assert response.status_code == 400
    assert "Idempotency-Key" in error_of(response)["fields"]
    assert stored() == before


# --- refused: 403, 404, 413 ------------------------------------------------------------


@pytest.mark.parametrize("slug", ["nope", "DEMO", "demo2", "dé mo", "x" * 300])
def test_unknown_site_answers_404(post_comment: Any, stored: Any, slug: str) -> None:
    """A site slug that does not exist answers 404 ``unknown_site`` and stores nothing."""
    before = stored()
    response = post_comment(slug=slug)
    assert response.status_code == 404
    assert error_of(response)["code"] == "unknown_site"
    assert stored() == before


@pytest.mark.parametrize("slug", ["%00", "de%00mo"])
def test_nul_in_the_path_answers_400(post_comment: Any, stored: Any, slug: str) -> None:
    """``%00`` in the address answers 400 ``invalid`` instead of reaching the database."""
    before = stored()
    response = post_comment(slug=slug)
    assert response.status_code == 400
    assert "request" in error_of(response)["fields"]
    assert stored() == before


def test_closed_thread_answers_403(post_comment: Any, site: Site, stored: Any) -> None:
    """Comments on a closed article are refused with ``thread_closed``, even ones to a URL form of its key."""
    ThreadFactory(site=site, key="/a/b", is_closed=True)
    before = stored()
    response = post_comment(key="https://news.example/a/b/?ref=home")
    assert response.status_code == 403
    assert error_of(response)["code"] == "thread_closed"
    assert stored() == before


def test_banned_commenter_answers_403(post_comment: Any, banned_commenter: Commenter, stored: Any) -> None:
    """A banned commenter (same e-mail in any case, same network) gets ``commenter_banned``; nothing is stored."""
    before = stored()
    response = post_comment(author_name="Someone Else", email="TROLL@example.org")
    assert response.status_code == 403
    assert error_of(response)["code"] == "commenter_banned"
    assert stored() == before


def test_someone_else_typing_a_banned_address_is_not_the_banned_commenter(
    banned_commenter: Commenter, site: Site
) -> None:
    """An e-mail address proves nothing: from another network it is a new commenter, so nobody
    can file comments under someone else's record (and get them banned)."""
    other = Client(REMOTE_ADDR="198.51.100.20").post(
        "/api/v1/threads/demo/comments", {"key": "/a/b", "author_name": "Troll", "email": "troll@example.org",
                                          "body": "Not the troll."}, content_type="application/json")
    assert other.status_code == 202
    assert Comment.objects.get().commenter_id != banned_commenter.pk


def test_banned_anonymous_commenter_answers_403(post_comment: Any, site: Site, stored: Any) -> None:
    """Without an e-mail, the same name from the same address is the same (banned) commenter."""
    from django.utils import timezone

    assert post_comment(author_name="Anon").status_code == 202
    Commenter.objects.update(banned_at=timezone.now())
    before = stored()
    response = post_comment(author_name="Anon", body="Again")
    assert response.status_code == 403
    assert error_of(response)["code"] == "commenter_banned"
    assert stored() == before


def test_expired_ban_lets_the_commenter_write_again(post_comment: Any, banned_commenter: Commenter) -> None:
    """A ban that ended no longer refuses comments."""
    from datetime import timedelta

    from django.utils import timezone

    banned_commenter.banned_until = timezone.now() - timedelta(minutes=1)
    banned_commenter.save()
    assert post_comment(email="troll@example.org").status_code == 202


def test_request_over_64_kib_answers_413(post_comment: Any, stored: Any) -> None:
    """A 70 KiB request body answers 413 ``too_large`` before anything is parsed or stored."""
    before = stored()
    response = post_comment(body="x" * (70 * 1024))
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    assert stored() == before


def test_oversized_garbage_answers_413_not_400(reader_client: Client, site: Site, stored: Any) -> None:
    """The size check comes first: 70 KiB of garbage is 413, not 400."""
    before = stored()
    response = reader_client.generic("POST", URL, b"\xff" * (70 * 1024), content_type="application/json")
    assert response.status_code == 413
    assert stored() == before


# --- honeypot ---------------------------------------------------------------------------


def test_honeypot_is_stored_as_spam_but_answers_like_pending(post_comment: Any, client: Client, site: Site) -> None:
    """A filled ``website`` field is accepted with the usual 202 pending answer, stored as spam, never shown."""
    post_comment(body="First, from a new commenter (the answer carries a commenter token).")
    genuine = post_comment(body="Genuine.")
    response = post_comment(body="Buy now", website="https://spam.example")
    assert response.status_code == genuine.status_code == 202
    data = response.json()
    assert set(data) == set(genuine.json())
    assert data["comment"]["status"] == "pending"
    assert data["message"] == genuine.json()["message"]
    assert data["edit_token"]
    comment = Comment.objects.get(public_id=data["comment"]["id"])
    assert comment.status == Comment.Status.SPAM
    assert shown(client) == []
    counts = client.get("/api/v1/threads/demo/counts", {"key": "/a/b"}).json()
    assert counts == {"counts": {"/a/b": 0}}


def test_honeypot_catch_is_in_the_spam_queue(
    post_comment: Any, client: Client, moderator_token: str
) -> None:
    """Moderators can still find the caught comment in the spam queue."""
    data = post_comment(body="Buy now", website="x").json()
    queue = client.get(
        "/api/v1/moderation/demo/queue", {"status": "spam"}, headers={"Authorization": f"Token {moderator_token}"}
    )
    assert queue.status_code == 200
    assert [i["id"] for i in queue.json()["items"]] == [data["comment"]["id"]]


def test_honeypot_on_post_moderated_site_is_not_published(
    post_comment: Any, site: Site, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """Even where comments publish at once, a honeypot catch stays hidden (and says pending)."""
    site.policy = Site.Policy.POST
    site.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_comment(website="filled")
    assert response.status_code == 202
    assert response.json()["comment"]["status"] == "pending"
    assert Comment.objects.get().status == Comment.Status.SPAM
    assert shown(client) == []


# --- rate limit -------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(post_comment: Any, settings: Any, stored: Any,
                                                still_clock: None) -> None:
    """Past ``COMMENTS_RATE_LIMIT`` submissions per window, 429 ``rate_limited`` with Retry-After seconds."""
    settings.COMMENTS_RATE_LIMIT = 2
    settings.COMMENTS_RATE_WINDOW = 60
    assert post_comment(body="one").status_code == 202
    assert post_comment(body="two").status_code == 202
    before = stored()
    response = post_comment(body="three")
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 61
    assert stored() == before


def test_rate_limit_is_per_address(post_comment: Any, settings: Any, still_clock: None) -> None:
    """Another reader's address has its own allowance."""
    settings.COMMENTS_RATE_LIMIT = 1
    assert post_comment().status_code == 202
    assert post_comment(body="again").status_code == 429
    assert post_comment(client=Client(REMOTE_ADDR="198.51.100.9"), body="other reader").status_code == 202


def test_rate_limit_ends_with_the_window(post_comment: Any, settings: Any) -> None:
    """After the window the reader may post again."""
    import time_machine

    settings.COMMENTS_RATE_LIMIT = 1
    settings.COMMENTS_RATE_WINDOW = 60
    with time_machine.travel("2026-03-01 12:00:05Z", tick=False):
        assert post_comment().status_code == 202
        assert post_comment(body="again").status_code == 429
    with time_machine.travel("2026-03-01 12:01:05Z", tick=False):
        assert post_comment(body="later").status_code == 202


# --- Idempotency-Key ---------------------------------------------------------------------


def test_same_idempotency_key_twice_stores_one_comment(post_comment: Any, stored: Any) -> None:
    """A retried submission with the same key answers the first answer again and stores nothing new."""
    first = post_comment(headers={"Idempotency-Key": "k-123"})
    assert first.status_code == 202
    after_first = stored()
    second = post_comment(headers={"Idempotency-Key": "k-123"})
    assert second.status_code == 202 and second["Idempotent-Replayed"] == "true"
    replay, original = second.json(), first.json()
    assert replay["comment"] == original["comment"] and replay["message"] == original["message"]
    assert stored() == after_first
    assert Comment.objects.count() == 1
    # The tokens are not kept at rest: the replay carries fresh ones, and they work.
    assert replay["edit_token"] != original["edit_token"]
    comment = Comment.objects.get()
    assert comment.check_edit_token(replay["edit_token"]) and not comment.check_edit_token(original["edit_token"])
    record = IdempotencyRecord.objects.get()
    assert "edit_token" not in record.response and "commenter_token" not in record.response


def test_idempotency_key_reused_for_another_request_is_refused(post_comment: Any, stored: Any) -> None:
    """The same key with a different body answers 422 and stores nothing, and reveals nothing of the first."""
    post_comment(headers={"Idempotency-Key": "k-9"}, author_name="Victim", body="First text.")
    before = stored()
    other = post_comment(headers={"Idempotency-Key": "k-9"}, author_name="Attacker", body="Other text.")
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert "edit_token" not in other.content.decode() and stored() == before


@pytest.mark.django_db(transaction=True)
def test_concurrent_twins_with_one_key_store_one_comment(site: Site) -> None:
    """Two simultaneous requests with one key (a double click) store one comment."""
    import threading

    from django.db import connection


    barrier = threading.Barrier(4)
    answers: list[int] = []

    def send() -> None:
        barrier.wait()
        response = Client(REMOTE_ADDR="198.51.100.9").post(
            "/api/v1/threads/demo/comments", {"key": "/twins", "author_name": "A", "body": "Same click"},
            content_type="application/json", headers={"Idempotency-Key": "twin"},
        )
        answers.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [202, 202, 202, 202]
    assert Comment.objects.filter(thread__key="/twins").count() == 1


def test_idempotent_replay_does_not_count_against_the_rate_limit(post_comment: Any, settings: Any,
                                                                still_clock: None) -> None:
    """Retries of one submission are not new submissions."""
    settings.COMMENTS_RATE_LIMIT = 1
    for _ in range(3):
        assert post_comment(headers={"Idempotency-Key": "retry"}).status_code == 202
    assert Comment.objects.count() == 1


def test_different_idempotency_keys_store_two_comments(post_comment: Any) -> None:
    """Two keys are two submissions."""
    a = post_comment(headers={"Idempotency-Key": "a"})
    b = post_comment(headers={"Idempotency-Key": "b"})
    assert a.json()["comment"]["id"] != b.json()["comment"]["id"]
    assert Comment.objects.count() == 2


def test_idempotency_key_is_per_site(post_comment: Any, other_site: Site) -> None:
    """The same key on two sites names two submissions."""
    a = post_comment(headers={"Idempotency-Key": "same"})
    b = post_comment(slug="other", headers={"Idempotency-Key": "same"})
    assert (a.status_code, b.status_code) == (202, 202)
    assert a.json()["comment"]["id"] != b.json()["comment"]["id"]


def test_idempotency_key_expires_after_24_hours(post_comment: Any) -> None:
    """After 24 h the same key is a new submission."""
    import time_machine

    with time_machine.travel("2026-03-01 12:00Z", tick=False):
        first = post_comment(headers={"Idempotency-Key": "k"})
    with time_machine.travel("2026-03-02 12:01Z", tick=False):
        second = post_comment(headers={"Idempotency-Key": "k"})
    assert second.status_code == 202
    assert second.json()["comment"]["id"] != first.json()["comment"]["id"]
    assert Comment.objects.count() == 2


def test_refused_submission_is_not_remembered_under_its_key(post_comment: Any) -> None:
    """A 400 is not replayed: the corrected retry with the same key is stored."""
    assert post_comment(body=" ", headers={"Idempotency-Key": "fix"}).status_code == 400
    response = post_comment(body="Fixed.", headers={"Idempotency-Key": "fix"})
    assert response.status_code == 202
    assert Comment.objects.get().body == "Fixed."


def test_idempotency_key_with_nul_is_refused(post_comment: Any, stored: Any) -> None:
    """A key with control characters answers 400, not a database error."""
    before = stored()
    response = post_comment(headers={"Idempotency-Key": "a\x00b"})
    assert response.status_code == 400
    assert "Idempotency-Key" in error_of(response)["fields"]
    assert stored() == before


# --- misc --------------------------------------------------------------------------------


def test_moderator_token_does_not_publish_a_submission(post_comment: Any, moderator_token: str) -> None:
    """Submission is anonymous: even with a moderator's token the comment waits in the queue."""
    response = post_comment(headers={"Authorization": f"Token {moderator_token}"})
    assert response.status_code == 202
    assert response.json()["comment"]["status"] == "pending"
    assert Comment.objects.get().status == Comment.Status.PENDING


def test_delete_on_the_collection_answers_405(reader_client: Client, site: Site) -> None:
    """DELETE on the collection is 405, a client error."""
    response = reader_client.delete(URL)
    assert response.status_code == 405


def test_extra_unknown_fields_are_ignored(post_comment: Any) -> None:
    """Fields the contract does not name (a newer widget's) do not break submission."""
    response = post_comment(extra={"nested": [1, 2]}, rating=5)
    assert response.status_code == 202
    assert json.loads(response.content)["comment"]["status"] == "pending"


# --- commenter tokens, trusted commenters, e-mail opt-in ------------------------------


def _post(client, **fields):  # type: ignore[no-untyped-def]
    payload = {"key": "/trust", "author_name": "Ann", "body": "Hello there", **fields}
    return client.post("/api/v1/threads/demo/comments", payload, content_type="application/json")


@pytest.mark.django_db
def test_first_comment_gets_a_commenter_token_and_later_ones_do_not(site, reader_client):  # type: ignore[no-untyped-def]
    """A new commenter is given a token once; sending it back names the same commenter."""
    first = _post(reader_client).json()
    assert first["commenter_token"]
    again = _post(reader_client, commenter_token=first["commenter_token"], author_name="Ann B.").json()
    assert "commenter_token" not in again
    from commentdesk.comments.models import Comment as C

    a, b = C.objects.order_by("id")
    assert a.commenter_id == b.commenter_id and b.author_name == "Ann B."


@pytest.mark.django_db
def test_trusted_commenter_with_token_is_published_at_once(site, reader_client):  # type: ignore[no-untyped-def]
    """Only with the site's setting, the trusted status, and the commenter's own token."""
    from commentdesk.comments.models import Comment as C, Commenter as P

    token = _post(reader_client, email="ann@example.org").json()["commenter_token"]
    P.objects.update(trusted=True)
    assert _post(reader_client, commenter_token=token).json()["comment"]["status"] == "pending"
    site.trusted_skip_premoderation = True
    site.save()
    assert _post(reader_client, commenter_token=token).json()["comment"]["status"] == "approved"
    # the same e-mail without the token proves nothing: it waits for a moderator
    assert _post(reader_client, email="ann@example.org").json()["comment"]["status"] == "pending"
    assert C.objects.filter(status="approved").count() == 1


@pytest.mark.django_db
def test_notify_opt_in_needs_an_email(site, reader_client):  # type: ignore[no-untyped-def]
    from commentdesk.comments.models import Commenter as P

    _post(reader_client, notify=True)
    assert not P.objects.get().notify
    _post(reader_client, notify=True, email="bo@example.org", author_name="Bo")
    assert P.objects.get(email="bo@example.org").notify


@pytest.mark.django_db
def test_site_info_in_the_readers_language(site, client):  # type: ignore[no-untyped-def]
    site.translations = {"ko": {"guidelines": "서로 존중해 주세요.", "disclaimer": "댓글은 작성자의 의견입니다."}}
    site.save()
    ko = client.get("/api/v1/sites/demo", {"lang": "ko-KR"}).json()
    assert ko["guidelines"] == "서로 존중해 주세요." and ko["disclaimer"] == "댓글은 작성자의 의견입니다."
    assert client.get("/api/v1/sites/demo", {"lang": "fr"}).json()["guidelines"] == site.guidelines


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"content_type": "text/plain"}, 415),
        ({"content_type": ""}, 415),  # no Content-Type at all
        ({"content_type": "application/x-www-form-urlencoded"}, 415),
        ({"content_type": "application/json", "HTTP_CONTENT_ENCODING": "gzip"}, 415),
    ],
)
def test_bodies_that_are_not_plain_json_answer_415(site: Site, stored: Any, headers: dict, status: int) -> None:
    """Form posts, text, untyped and compressed bodies are refused as such, and store nothing."""
    before = stored()
    response = Client().post("/api/v1/threads/demo/comments", '{"key":"/a","author_name":"A","body":"x"}', **headers)
    assert response.status_code == status and response.json()["error"]["code"] == "unsupported_media_type"
    assert stored() == before


def test_unknown_api_paths_and_methods_answer_json(site: Site) -> None:
    """Even Django's own 404 and 405 answers under /api/ are API.md's JSON errors."""
    missing = Client().get("/api/v1/nothing/here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = Client().put("/api/v1/threads/demo/comments", "{}", content_type="application/json")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_sqlite_connections_write_ahead_and_checkpoint_every_4000_pages() -> None:
    """On SQLite every connection uses the WAL, commits without waiting for the
    disk, and checkpoints every 4,000 pages (settings.py says why)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings")
    with connection.cursor() as cursor:
        found = [cursor.execute(f"PRAGMA {name}").fetchone()[0]
                 for name in ("journal_mode", "synchronous", "wal_autocheckpoint")]
    assert found == ["wal", 1, 4000]
