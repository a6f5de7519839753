"""CORS of the reader API (``lib.http.ReaderCorsMiddleware``): only a site's allowed
origins may call it from a browser; ``site`` allows ``https://news.example``."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from commentdesk.comments.models import Comment
from commentdesk.comments.tests.factories import CommentFactory, ThreadFactory
from commentdesk.sites.models import Site

ALLOWED = "https://news.example"
COMMENTS = "/api/v1/threads/demo/comments"


def preflight(client: Client, path: str, origin: str, method: str = "POST") -> Any:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type, idempotency-key",
        },
    )


@pytest.fixture
def published(site: Site) -> Comment:
    return CommentFactory(thread=ThreadFactory(site=site, key="/a/b"), status=Comment.Status.APPROVED)


@pytest.mark.parametrize(
    "path",
    [COMMENTS, "/api/v1/threads/demo/counts", "/api/v1/sites/demo", "/api/v1/comments/{id}", "/api/v1/comments/{id}/flags"],
)
def test_preflight_from_allowed_origin_is_allowed(client: Client, published: Comment, path: str) -> None:
    """A preflight from the site's origin answers 204 allowing that origin, the widget's methods and headers."""
    response = preflight(client, path.format(id=published.public_id), ALLOWED)
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    methods = {m.strip() for m in response["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST", "PATCH"} <= methods
    headers = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "idempotency-key", "authorization", "if-none-match"} <= headers
    assert int(response["Access-Control-Max-Age"]) > 0
    assert "Origin" in response["Vary"]
    assert Comment.objects.count() == 1


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://news.example", "https://news.example:8443", "https://sub.news.example", "null"]
)
def test_preflight_from_other_origin_is_not_allowed(client: Client, site: Site, origin: str) -> None:
    """Another scheme, port, subdomain or an opaque origin gets no Access-Control-Allow-Origin."""
    response = preflight(client, COMMENTS, origin)
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Methods" not in response


def test_post_from_allowed_origin_is_stored_and_readable(post_comment: Any) -> None:
    """The widget on an allowed page posts and may read the 202 answer."""
    response = post_comment(headers={"Origin": ALLOWED})
    assert response.status_code == 202
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://news.example"])
def test_post_from_disallowed_origin_answers_403_and_stores_nothing(post_comment: Any, stored: Any, origin: str) -> None:
    """A submission from a page the site does not allow is refused with ``origin_not_allowed`` before the view."""
    before = stored()
    response = post_comment(headers={"Origin": origin})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response
    assert stored() == before


def test_post_from_disallowed_origin_does_not_spend_the_idempotency_key(post_comment: Any) -> None:
    """A refused cross-origin attempt leaves the key free for the real submission."""
    assert post_comment(headers={"Origin": "https://evil.example", "Idempotency-Key": "k"}).status_code == 403
    assert post_comment(headers={"Origin": ALLOWED, "Idempotency-Key": "k"}).status_code == 202
    assert Comment.objects.count() == 1


def test_author_edit_from_disallowed_origin_answers_403(client: Client, post_comment: Any) -> None:
    """PATCH of a comment of ``site`` from another origin is refused and the text stays."""
    data = post_comment(body="Original.").json()
    response = client.patch(
        f"/api/v1/comments/{data['comment']['id']}",
        {"body": "Changed."},
        content_type="application/json",
        headers={"Origin": "https://evil.example", "Authorization": f"Bearer {data['edit_token']}"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    assert Comment.objects.get().body == "Original."


def test_flag_from_disallowed_origin_answers_403(client: Client, published: Comment) -> None:
    """Flags of a comment follow its site's origins."""
    from commentdesk.moderation.models import Flag

    response = client.post(
        f"/api/v1/comments/{published.public_id}/flags",
        {"reason": "spam"},
        content_type="application/json",
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert Flag.objects.count() == 0


def test_get_from_allowed_origin_carries_cors_headers(client: Client, published: Comment) -> None:
    """Reads from the site's pages may see the body and the ETag."""
    response = client.get(COMMENTS, {"key": "/a/b"}, headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "ETag" in response["Access-Control-Expose-Headers"]
    assert "Origin" in response["Vary"]


def test_get_from_disallowed_origin_is_not_readable_by_the_page(client: Client, published: Comment) -> None:
    """Other origins get the public answer without CORS headers, so their scripts cannot read it."""
    response = client.get(COMMENTS, {"key": "/a/b"}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_every_reader_answer_varies_on_origin(client: Client, published: Comment) -> None:
    """Answers without an Origin header say ``Vary: Origin`` too, so caches keep one copy per origin."""
    for path in (COMMENTS + "?key=/a/b", "/api/v1/threads/demo/counts?key=/a/b", "/api/v1/sites/demo"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Origin" in response["Vary"]
        assert "Access-Control-Allow-Origin" not in response


def test_site_without_origin_list_allows_every_origin(post_comment: Any, site: Site) -> None:
    """An empty allowed-origins list means any page may embed the widget."""
    site.allowed_origins = []
    site.save()
    response = post_comment(headers={"Origin": "https://anywhere.example"})
    assert response.status_code == 202
    assert response["Access-Control-Allow-Origin"] == "https://anywhere.example"


def test_allowed_origin_with_trailing_slash_in_settings_matches(post_comment: Any, site: Site) -> None:
    """``https://news.example/`` in the site's list allows ``https://news.example``."""
    site.allowed_origins = ["https://news.example/"]
    site.save()
    assert post_comment(headers={"Origin": ALLOWED}).status_code == 202


def test_origins_are_per_site(post_comment: Any, other_site: Site, stored: Any) -> None:
    """One site's allowed origin may not post to another site."""
    before = stored()
    response = post_comment(slug="other", headers={"Origin": ALLOWED})
    assert response.status_code == 403
    assert stored() == before
    assert post_comment(slug="other", headers={"Origin": "https://other.example"}).status_code == 202


def test_same_origin_request_needs_no_cors(post_comment: Any) -> None:
    """The demo page served by commentdesk itself posts from its own origin."""
    response = post_comment(headers={"Origin": "http://testserver"})
    assert response.status_code == 202
    assert "Access-Control-Allow-Origin" not in response


def test_unknown_site_from_any_origin_answers_404_readably(client: Client, site: Site) -> None:
    """A page may learn that its site slug is wrong: 404 ``unknown_site`` with CORS headers."""
    response = client.get("/api/v1/threads/nope/comments", {"key": "/a"}, headers={"Origin": "https://x.example"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_site"
    assert response["Access-Control-Allow-Origin"] == "https://x.example"


def test_moderation_api_gets_no_cors_headers(client: Client, moderator_token: str) -> None:
    """The moderation API is never callable from other origins' pages."""
    response = client.get(
        "/api/v1/moderation/demo/queue",
        headers={"Origin": ALLOWED, "Authorization": f"Token {moderator_token}"},
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Origin" not in preflight(client, "/api/v1/moderation/demo/decisions", ALLOWED)
