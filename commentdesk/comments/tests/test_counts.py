"""``GET /api/v1/threads/{site}/counts?key=a&key=b``: approved-comment counts (API.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from commentdesk.comments.models import Comment, Thread
from commentdesk.comments.tests.factories import CommentFactory, ThreadFactory
from commentdesk.sites.models import Site

URL = "/api/v1/threads/demo/counts"


def counts(client: Client, *keys: str) -> dict[str, int]:
    response = client.get(URL, {"key": list(keys)})
    assert response.status_code == 200, response.content
    return response.json()["counts"]


def test_counts_approved_comments_only(client: Client, site: Site) -> None:
    """Pending, rejected and spam comments are not counted."""
    thread = ThreadFactory(site=site, key="/a")
    CommentFactory.create_batch(3, thread=thread, status=Comment.Status.APPROVED)
    for status in (Comment.Status.PENDING, Comment.Status.REJECTED, Comment.Status.SPAM):
        CommentFactory(thread=thread, status=status)
    assert counts(client, "/a") == {"/a": 3}


def test_counts_answer_has_one_entry_per_key_asked(client: Client, site: Site) -> None:
    """Each key is answered under the spelling it was asked with; unknown threads count 0."""
    CommentFactory.create_batch(2, thread=ThreadFactory(site=site, key="/a"), status=Comment.Status.APPROVED)
    CommentFactory(thread=ThreadFactory(site=site, key="article-7"), status=Comment.Status.APPROVED)
    response = client.get(URL, {"key": ["/a", "article-7", "/none"]})
    assert response.status_code == 200
    assert response.json() == {"counts": {"/a": 2, "article-7": 1, "/none": 0}}
    assert response["Cache-Control"].startswith("public, max-age=")
    assert Thread.objects.count() == 2


def test_key_forms_are_normalised(client: Client, site: Site) -> None:
    """URL, slash and bare forms of one article all get its count."""
    CommentFactory.create_batch(2, thread=ThreadFactory(site=site, key="/a/b"), status=Comment.Status.APPROVED)
    keys = ("https://example.org/a/b/?utm=x#c", "/a/b", "/a/b/")
    assert counts(client, *keys) == {k: 2 for k in keys}


def test_counts_are_per_site(client: Client, site: Site, other_site: Site) -> None:
    """Another site's thread with the same key is not counted."""
    CommentFactory(thread=ThreadFactory(site=other_site, key="/a"), status=Comment.Status.APPROVED)
    assert counts(client, "/a") == {"/a": 0}


def test_count_follows_a_decision_at_once(client: Client, site: Site, publish: Any) -> None:
    """After a cached read, an approval shows in the count immediately."""
    thread = ThreadFactory(site=site, key="/a")
    pending = CommentFactory(thread=thread)
    assert client.get("/api/v1/threads/demo/comments", {"key": "/a"}).status_code == 200  # cache the snapshot
    assert counts(client, "/a") == {"/a": 0}
    publish(pending)
    assert counts(client, "/a") == {"/a": 1}
    publish(pending, action="spam", reason="spam")
    assert counts(client, "/a") == {"/a": 0}


def test_counts_agree_with_the_thread_answer(client: Client, site: Site) -> None:
    """The count equals the thread answer's ``comment_count``, cached or not."""
    thread = ThreadFactory(site=site, key="/a")
    CommentFactory.create_batch(4, thread=thread, status=Comment.Status.APPROVED)
    CommentFactory(thread=thread)
    uncached = counts(client, "/a")["/a"]
    thread_count = client.get("/api/v1/threads/demo/comments", {"key": "/a"}).json()["thread"]["comment_count"]
    cached = counts(client, "/a")["/a"]
    assert uncached == thread_count == cached == 4


def test_100_keys_are_answered(client: Client, site: Site) -> None:
    """Up to 100 keys in one request."""
    keys = [f"/article/{i}" for i in range(100)]
    result = counts(client, *keys)
    assert len(result) == 100 and set(result.values()) == {0}


def test_101_keys_answer_400(client: Client, site: Site) -> None:
    """More than 100 keys answers 400 ``invalid`` naming ``key``."""
    response = client.get(URL, {"key": [f"/article/{i}" for i in range(101)]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "key" in error["fields"]


def test_missing_key_answers_400(client: Client, site: Site) -> None:
    """At least one key is required."""
    response = client.get(URL)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "key" in response.json()["error"]["fields"]


def test_unknown_site_answers_404(client: Client, site: Site) -> None:
    """An unknown site is 404 ``unknown_site``, not a map of zeros."""
    response = client.get("/api/v1/threads/nope/counts", {"key": "/a"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_site"


@pytest.mark.parametrize("key", ["한국어/기사", "%ZZ"])
def test_odd_keys_count_zero_without_error(client: Client, site: Site, key: str) -> None:
    """Non-ASCII or badly encoded keys answer 200 with 0."""
    assert counts(client, key) == {key: 0}


@pytest.mark.parametrize("key", ["", "   ", "/" + "x" * 3000])
def test_blank_or_overlong_keys_are_refused(client: Client, site: Site, key: str) -> None:
    """As everywhere else, a blank key or one over 500 characters answers 400 on ``key``."""
    response = client.get("/api/v1/threads/demo/counts", {"key": key})
    assert response.status_code == 400 and "key" in response.json()["error"]["fields"]
