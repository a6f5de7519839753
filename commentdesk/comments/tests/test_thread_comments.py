"""``GET /api/v1/threads/{site}/comments?key=…``: what readers see of one thread (API.md)."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from commentdesk.comments.models import Comment, Thread
from commentdesk.comments.tests.factories import CommentFactory, ThreadFactory
from commentdesk.lib.text import normalise_thread_key
from commentdesk.sites.models import Site

URL = "/api/v1/threads/demo/comments"


def get(client: Client, key: str = "/a/b", **params: Any) -> Any:
    return client.get(URL, {"key": key, **params})


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [c["id"] for c in response.json()["comments"]]


def all_pages(client: Client, order: str, limit: int, key: str = "/a/b") -> tuple[list[str], int]:
    """Follow ``next`` to the end; returns (ids in order, number of pages)."""
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"order": order, "limit": limit} | ({"cursor": cursor} if cursor else {})
        response = get(client, key, **params)
        page = ids(response)
        assert len(page) <= limit
        seen += page
        pages += 1
        cursor = response.json()["next"]
        if cursor is None:
            return seen, pages
        assert pages < 100, "paging does not end"


@pytest.fixture
def thread(site: Site) -> Thread:
    return ThreadFactory(site=site, key="/a/b", title="Workers in groups", url="https://news.example/a/b")


def approved(thread: Thread, minutes_ago: int = 0, **kwargs: Any) -> Comment:
    """An approved comment of ``thread`` published ``minutes_ago``."""
    when = timezone.now() - timedelta(minutes=minutes_ago)
    return CommentFactory(
        thread=thread, status=Comment.Status.APPROVED, published_at=when, created_at=when - timedelta(minutes=1), **kwargs
    )


# --- the answer -------------------------------------------------------------------------


def test_thread_answer_has_the_contract_shape(client: Client, thread: Thread) -> None:
    """Thread metadata, approved comments in API.md's fields, ``next`` null, JSON with ETag and Cache-Control."""
    comment = approved(thread, body="plain text\nsecond line", author_name="Reader")
    response = get(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["thread"] == {
        "site": "demo",
        "key": "/a/b",
        "title": "Workers in groups",
        "url": "https://news.example/a/b",
        "is_closed": False,
        "comment_count": 1,
    }
    assert data["next"] is None
    [item] = data["comments"]
    assert set(item) == {
        "id", "parent_id", "author_name", "body", "created_at", "published_at", "edited", "edited_by_moderator",
        "reply_count", "removed",
    }
    assert item["id"] == comment.public_id
    assert (item["author_name"], item["body"], item["parent_id"]) == ("Reader", "plain text\nsecond line", None)
    assert item["created_at"].endswith("Z") and item["published_at"].endswith("Z")
    assert (item["edited"], item["edited_by_moderator"], item["reply_count"], item["removed"]) == (False, False, 0, False)
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    assert response["Cache-Control"].startswith("public, max-age=")


def test_no_private_data_in_the_answer(client: Client, thread: Thread) -> None:
    """Neither e-mail, address hash, status nor commenter id reaches readers."""
    comment = approved(thread, ip_hash="a1b2c3d4e5f60718293a4b5c6d7e8f90")
    comment.commenter.email = "secret@example.org"
    comment.commenter.save()
    content = get(client).content.decode()
    assert comment.public_id in content
    for secret in ("secret@example.org", comment.ip_hash, comment.commenter.public_id, "approved"):
        assert secret not in content


def test_closed_thread_says_so(client: Client, thread: Thread) -> None:
    """A closed thread is still readable and says ``is_closed``."""
    thread.is_closed = True
    thread.save()
    approved(thread)
    response = get(client)
    assert response.json()["thread"]["is_closed"] is True
    assert len(ids(response)) == 1


# --- approved only ------------------------------------------------------------------------


def test_only_approved_comments_are_shown_and_counted(client: Client, thread: Thread) -> None:
    """Pending, rejected and spam comments never appear in the list or in ``comment_count``."""
    shown = approved(thread)
    for status in (Comment.Status.PENDING, Comment.Status.REJECTED, Comment.Status.SPAM):
        CommentFactory(thread=thread, status=status, body=f"hidden {status}")
    response = get(client)
    assert ids(response) == [shown.public_id]
    assert response.json()["thread"]["comment_count"] == 1
    assert "hidden" not in response.content.decode()


def test_rejected_after_publication_disappears_at_once(client: Client, thread: Thread, publish: Any) -> None:
    """Withdrawing a published comment removes it from the (cached) answer and the count right away."""
    keep, withdraw = approved(thread, 2), approved(thread, 1)
    assert ids(get(client)) == [keep.public_id, withdraw.public_id]
    publish(withdraw, action="reject", reason="off_topic")
    response = get(client)
    assert ids(response) == [keep.public_id]
    assert response.json()["thread"]["comment_count"] == 1


def test_comments_of_another_site_with_the_same_key_are_not_shown(client: Client, thread: Thread, other_site: Site) -> None:
    """Threads are per site: the same key elsewhere is another thread."""
    mine = approved(thread)
    approved(ThreadFactory(site=other_site, key="/a/b"))
    assert ids(get(client)) == [mine.public_id]


# --- ordering --------------------------------------------------------------------------------


def test_oldest_first_by_published_at_by_default(client: Client, thread: Thread) -> None:
    """Order is publication order, not writing order."""
    written_first_published_last = approved(thread, 1)
    written_first_published_last.created_at = timezone.now() - timedelta(days=1)
    written_first_published_last.save()
    second, first = approved(thread, 5), approved(thread, 10)
    assert ids(get(client)) == [first.public_id, second.public_id, written_first_published_last.public_id]


def test_order_newest_reverses(client: Client, thread: Thread) -> None:
    """``order=newest`` lists the latest publication first."""
    a, b, c = approved(thread, 30), approved(thread, 20), approved(thread, 10)
    assert ids(get(client, order="newest")) == [c.public_id, b.public_id, a.public_id]


def test_unknown_order_answers_400(client: Client, thread: Thread) -> None:
    """Only ``oldest`` and ``newest`` are orders."""
    response = get(client, order="random")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "order" in response.json()["error"]["fields"]


# --- replies -----------------------------------------------------------------------------------


def test_replies_carry_parent_id_and_parents_their_reply_count(client: Client, thread: Thread) -> None:
    """A reply names its parent; the parent counts its approved replies only."""
    parent = approved(thread, 10)
    reply1 = approved(thread, 5, parent=parent)
    reply2 = approved(thread, 4, parent=parent)
    CommentFactory(thread=thread, parent=parent, status=Comment.Status.PENDING)
    CommentFactory(thread=thread, parent=parent, status=Comment.Status.REJECTED)
    nested = approved(thread, 3, parent=reply1)
    items = {c["id"]: c for c in get(client).json()["comments"]}
    assert items[parent.public_id]["reply_count"] == 2
    assert items[parent.public_id]["parent_id"] is None
    assert items[reply1.public_id]["parent_id"] == parent.public_id
    assert items[reply1.public_id]["reply_count"] == 1
    assert items[reply2.public_id]["parent_id"] == parent.public_id
    assert items[nested.public_id]["parent_id"] == reply1.public_id


@pytest.mark.parametrize("status", [Comment.Status.PENDING, Comment.Status.REJECTED, Comment.Status.SPAM])
def test_reply_to_a_hidden_parent_does_not_point_at_it(client: Client, thread: Thread, status: str) -> None:
    """A published reply whose parent readers cannot see shows ``parent_id: null`` and leaks nothing of it."""
    parent = CommentFactory(thread=thread, status=status, body="the hidden parent")
    reply = approved(thread, parent=parent)
    response = get(client)
    [item] = response.json()["comments"]
    assert item["id"] == reply.public_id
    assert item["parent_id"] is None
    assert parent.public_id not in response.content.decode()
    assert "hidden parent" not in response.content.decode()


def test_reply_is_re_attached_when_its_parent_is_approved(client: Client, thread: Thread, publish: Any) -> None:
    """Approving the parent later makes the reply point at it (and the ETag change)."""
    parent = CommentFactory(thread=thread)
    reply = approved(thread, parent=parent)
    first = get(client)
    assert first.json()["comments"][0]["parent_id"] is None
    publish(parent)
    second = get(client)
    items = {c["id"]: c for c in second.json()["comments"]}
    assert items[reply.public_id]["parent_id"] == parent.public_id
    assert items[parent.public_id]["reply_count"] == 1
    assert second["ETag"] != first["ETag"]


def test_approved_comment_without_publication_time_is_listed_by_writing_time(client: Client, thread: Thread) -> None:
    """A comment approved by a raw database update (no ``published_at``) is still shown, dated when written."""
    odd = CommentFactory(thread=thread, status=Comment.Status.APPROVED, published_at=None)
    later = approved(thread, -5)
    response = get(client)
    assert ids(response) == [odd.public_id, later.public_id]
    assert response.json()["comments"][0]["published_at"] == response.json()["comments"][0]["created_at"]


# --- edits ---------------------------------------------------------------------------------------


def test_edited_comments_say_so_and_by_whom(client: Client, thread: Thread) -> None:
    """An edited comment says ``edited``; a moderator's edit also ``edited_by_moderator``."""
    by_author = approved(thread, 2, edited_at=timezone.now())
    by_moderator = approved(thread, 1, edited_by_moderator=True)
    items = {c["id"]: c for c in get(client).json()["comments"]}
    assert (items[by_author.public_id]["edited"], items[by_author.public_id]["edited_by_moderator"]) == (True, False)
    assert (items[by_moderator.public_id]["edited"], items[by_moderator.public_id]["edited_by_moderator"]) == (True, True)


# --- ETag and 304 ---------------------------------------------------------------------------------


def test_if_none_match_with_current_etag_answers_304_without_body(client: Client, thread: Thread) -> None:
    """Revalidation with the current ETag costs no body."""
    approved(thread)
    first = get(client)
    again = client.get(URL, {"key": "/a/b"}, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == first["Cache-Control"]


@pytest.mark.parametrize("header", ['"other", {etag}', "W/{etag}", "*"])
def test_if_none_match_forms_that_match(client: Client, thread: Thread, header: str) -> None:
    """A list containing the ETag, its weak form (as proxies send it), and ``*`` all answer 304."""
    approved(thread)
    etag = get(client)["ETag"]
    response = client.get(URL, {"key": "/a/b"}, headers={"If-None-Match": header.format(etag=etag)})
    assert response.status_code == 304


def test_stale_etag_gets_the_full_answer(client: Client, thread: Thread) -> None:
    """An ETag that is not current answers 200 with the comments."""
    approved(thread)
    response = client.get(URL, {"key": "/a/b"}, headers={"If-None-Match": '"0123456789abcdef0123456789abcdef"'})
    assert response.status_code == 200
    assert len(ids(response)) == 1


def test_etag_is_stable_while_nothing_changes(client: Client, thread: Thread) -> None:
    """Two reads of an unchanged thread carry one ETag, even across a rebuilt snapshot."""
    from django.core.cache import cache

    approved(thread)
    first = get(client)["ETag"]
    assert get(client)["ETag"] == first
    cache.clear()
    assert get(client)["ETag"] == first


def test_etag_changes_right_after_an_approval(client: Client, thread: Thread, publish: Any) -> None:
    """``moderation.decide`` approving a comment changes the thread's ETag and content at once."""
    old = approved(thread, 5)
    pending = CommentFactory(thread=thread)
    before = get(client)
    assert ids(before) == [old.public_id]
    publish(pending)
    revalidated = client.get(URL, {"key": "/a/b"}, headers={"If-None-Match": before["ETag"]})
    assert revalidated.status_code == 200
    assert revalidated["ETag"] != before["ETag"]
    assert ids(revalidated) == [old.public_id, pending.public_id]
    assert revalidated.json()["thread"]["comment_count"] == 2


def test_decision_that_changes_nothing_visible_keeps_the_etag(client: Client, thread: Thread, publish: Any) -> None:
    """Rejecting a pending comment does not change what readers see, nor the ETag."""
    approved(thread)
    pending = CommentFactory(thread=thread)
    before = get(client)["ETag"]
    publish(pending, action="reject", reason="off_topic")
    assert get(client)["ETag"] == before


def test_etag_differs_between_pages_and_orders(client: Client, thread: Thread) -> None:
    """A page or another order is another representation with its own ETag."""
    for minutes in range(3):
        approved(thread, minutes)
    etags = {get(client)["ETag"], get(client, order="newest")["ETag"], get(client, limit=1)["ETag"]}
    assert len(etags) == 3


def test_304_of_a_paged_answer(client: Client, thread: Thread) -> None:
    """Revalidating one page with its ETag answers 304."""
    for minutes in range(3):
        approved(thread, minutes)
    first = get(client, limit=1, order="newest")
    again = client.get(URL, {"key": "/a/b", "limit": 1, "order": "newest"}, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304


# --- paging --------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["oldest", "newest"])
@pytest.mark.parametrize("limit", [1, 2, 3, 7, 10])
def test_pages_hold_every_approved_comment_exactly_once(client: Client, thread: Thread, order: str, limit: int) -> None:
    """Following ``next`` visits each approved comment once, in order, and skips hidden ones."""
    expected = [approved(thread, 100 - i).public_id for i in range(7)]
    for status in (Comment.Status.PENDING, Comment.Status.SPAM):
        CommentFactory(thread=thread, status=status)
    if order == "newest":
        expected.reverse()
    seen, pages = all_pages(client, order, limit)
    assert seen == expected
    assert pages == max(1, -(-7 // limit))


@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_paging_comments_published_in_one_bulk_decision(
    client: Client, thread: Thread, publish: Any, order: str
) -> None:
    """Comments approved together share a publication time and still page exactly once each."""
    early = approved(thread, 60)
    late = approved(thread, -1)  # published a minute after the batch
    batch = [CommentFactory(thread=thread) for _ in range(12)]
    publish(*batch)
    full = ids(get(client, order=order))
    assert len(full) == 14 and len(set(full)) == 14
    assert full[0 if order == "oldest" else -1] == early.public_id
    assert full[-1 if order == "oldest" else 0] == late.public_id
    for limit in (1, 2, 5):
        seen, _ = all_pages(client, order, limit)
        assert seen == full


def test_default_limit_is_100(client: Client, thread: Thread) -> None:
    """Without ``limit`` a page holds 100 comments and names the next one."""
    for i in range(101):
        approved(thread, 200 - i)
    response = get(client)
    assert len(ids(response)) == 100
    assert response.json()["next"] is not None
    rest = get(client, cursor=response.json()["next"])
    assert len(ids(rest)) == 1
    assert rest.json()["next"] is None


def test_limit_500_is_allowed(client: Client, thread: Thread) -> None:
    """500 is the largest page."""
    approved(thread)
    assert len(ids(get(client, limit=500))) == 1


@pytest.mark.parametrize("limit", ["0", "-1", "501", "1000000", "ten", "1.5", ""])
def test_bad_limit_answers_400(client: Client, thread: Thread, limit: str) -> None:
    """``limit`` must be 1…500."""
    response = get(client, limit=limit)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "limit" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!!",
        "%%%",
        "Zm9v",  # "foo": no separator
        base64.urlsafe_b64encode(b"garbage|x").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe|").decode(),
        base64.urlsafe_b64encode(b"2026-01-01T00:00:00|c_x|y").decode(),
        "é",
        "a" * 5000,
    ],
)
def test_bad_cursor_answers_400(client: Client, thread: Thread, cursor: str) -> None:
    """A cursor this server did not make answers 400 ``invalid`` naming ``cursor``."""
    approved(thread)
    response = get(client, cursor=cursor)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "cursor" in error["fields"]


def test_cursor_of_a_withdrawn_comment_still_pages_on(client: Client, thread: Thread, publish: Any) -> None:
    """If the last comment of a page is withdrawn, its cursor still leads to the rest."""
    a, b, c = approved(thread, 3), approved(thread, 2), approved(thread, 1)
    cursor = get(client, limit=2).json()["next"]
    publish(b, action="reject", reason="off_topic")
    assert ids(get(client, limit=2, cursor=cursor)) == [c.public_id]
    assert a.public_id not in ids(get(client, limit=2, cursor=cursor))


# --- unknown thread, unknown site, keys -----------------------------------------------------------


def test_unknown_thread_answers_200_empty(client: Client, site: Site) -> None:
    """A thread nobody commented on yet is an empty list with count 0, and is not created."""
    response = get(client, key="/never/commented")
    assert response.status_code == 200
    data = response.json()
    assert data["comments"] == [] and data["next"] is None
    assert data["thread"]["comment_count"] == 0
    assert data["thread"]["key"] == "/never/commented"
    assert Thread.objects.count() == 0
    assert response["ETag"]


def test_reader_supplied_title_shows_only_once_a_comment_is_published(
    client: Client, post_comment: Any, publish: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A pending (or honeypot-caught) submission's title and URL never reach readers, nor change the ETag."""
    empty = get(client)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_comment(title="BUY PILLS", url="https://evil.example/", website="bot").status_code == 202
        assert post_comment(title="Workers", url="https://news.example/a/b").status_code == 202
    pending = get(client)
    assert pending.json() == empty.json() and pending["ETag"] == empty["ETag"]
    publish(Comment.objects.get(status=Comment.Status.PENDING))
    after = get(client).json()
    assert (after["thread"]["title"], after["thread"]["url"]) == ("Workers", "https://news.example/a/b")
    assert after["thread"]["comment_count"] == 1


def test_unknown_site_answers_404(client: Client, site: Site) -> None:
    """An unknown site slug answers 404 ``unknown_site``."""
    response = client.get("/api/v1/threads/nope/comments", {"key": "/a/b"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_site"


@pytest.mark.parametrize("key", ["", "   ", "\u200b"])
def test_blank_key_answers_400(client: Client, site: Site, key: str) -> None:
    """A missing or blank key names ``key``."""
    response = get(client, key=key)
    assert response.status_code == 400
    assert "key" in response.json()["error"]["fields"]


def test_missing_key_parameter_answers_400(client: Client, site: Site) -> None:
    """``key`` is required."""
    response = client.get(URL)
    assert response.status_code == 400
    assert "key" in response.json()["error"]["fields"]


def test_nul_in_the_query_answers_400(client: Client, site: Site) -> None:
    """``%00`` in a query parameter is refused before any database lookup."""
    response = client.get(URL + "?key=/a%00b")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("key", ["https://example.org/a/b/?utm=x#c", "/a/b", "/a/b/", "/a//b", "/a/%62", "http://other.host/a/b"])
def test_key_forms_name_the_same_thread(client: Client, thread: Thread, key: str) -> None:
    """URL, path and trailing-slash forms of one article read one thread with one ETag."""
    comment = approved(thread)
    response = get(client, key=key)
    assert ids(response) == [comment.public_id]
    assert response.json()["thread"]["key"] == "/a/b"
    assert response["ETag"] == get(client, key="/a/b")["ETag"]


def test_article_ids_are_kept_as_given(client: Client, site: Site) -> None:
    """A key that is not a path is an article id: case and punctuation matter."""
    thread = ThreadFactory(site=site, key="Article-42")
    comment = approved(thread)
    assert ids(get(client, key="Article-42")) == [comment.public_id]
    assert ids(get(client, key="article-42")) == []


def test_posted_comment_is_read_under_every_key_form(client: Client, post_comment: Any, publish: Any) -> None:
    """A comment posted with a full URL key is read with the bare path, with or without slash."""
    response = post_comment(key="https://example.org/a/b/?utm=x#c")
    comment = Comment.objects.get(public_id=response.json()["comment"]["id"])
    publish(comment)
    for key in ("/a/b", "/a/b/", "https://example.org/a/b/?utm=x#c"):
        assert ids(get(client, key=key)) == [comment.public_id]


def test_overlong_key_is_refused(client: Client, site: Site) -> None:
    """A key over 500 characters (after normalisation) answers 400, as a submission would;
    nothing is built or cached for it."""
    response = get(client, key="/" + "x" * 3000)
    assert response.status_code == 400 and "key" in response.json()["error"]["fields"]


def test_korean_key_and_text_are_returned_unescaped(client: Client, site: Site) -> None:
    """Non-ASCII keys are percent-normalised; bodies come back as UTF-8 text."""
    thread = ThreadFactory(site=site, key=normalise_thread_key("/뉴스/1"))
    approved(thread, body="좋아요 👍")
    response = get(client, key="/%EB%89%B4%EC%8A%A4/1")
    assert [c["body"] for c in response.json()["comments"]] == ["좋아요 👍"]
    assert "좋아요 👍".encode() in response.content


def test_put_answers_405(client: Client, site: Site) -> None:
    """PUT is not an operation here: a 405, never a 5xx."""
    response = client.put(URL + "?key=/a/b")
    assert response.status_code == 405


def test_read_costs_no_database_query_once_cached(client: Client, thread: Thread) -> None:
    """A second read of a thread is served from its snapshot: only the site lookup
    touches the database's own tables (the default cache is a table too: its one
    read is the snapshot)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    approved(thread)
    get(client)
    with CaptureQueriesContext(connection) as queries:
        assert len(ids(get(client))) == 1
    own = [q["sql"] for q in queries.captured_queries if "commentdesk_cache" not in q["sql"]]
    assert len(own) == 1 and "sites_site" in own[0]
