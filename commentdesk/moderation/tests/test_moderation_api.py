"""Moderation endpoints of API.md: queue, decisions, moderator edit, bans; who may call them."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from commentdesk.comments.models import Comment, CommentRevision
from commentdesk.comments.tests.factories import CommentFactory, CommenterFactory, ThreadFactory
from commentdesk.moderation.models import AuditLogEntry
from commentdesk.sites.models import Site


def call(client: Client, method: str, path: str, token: str | None = None, body: dict | None = None):
    headers = {"Authorization": f"Token {token}"} if token else {}
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(path, data=data, content_type="application/json", headers=headers)


@pytest.fixture
def pending(site: Site) -> Comment:
    return CommentFactory(thread__site=site, body="Waiting for a moderator.")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("bad_token", 401), ("other_moderator", 403), ("moderator", 200)],
)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/moderation/demo/queue", None),
        ("post", "/api/v1/moderation/demo/decisions", "decision"),
        ("post", "/api/v1/moderation/demo/bans", "ban"),
    ],
)
def test_permission_matrix(
    request: pytest.FixtureRequest, pending: Comment, who: str, status: int,
    method: str, path: str, body: str | None,
) -> None:
    """Only a moderator of the site may read its queue, decide, or ban; nothing changes otherwise.
    Without a (valid) token or a session, a write is 401, not a 403 about CSRF: CSRF is
    checked as a browser would be (a new user's trial)."""
    client = Client(enforce_csrf_checks=True)
    token = {
        "anonymous": None,
        "bad_token": "cdt_nope",
        "other_moderator": request.getfixturevalue("other_token"),
        "moderator": request.getfixturevalue("moderator_token"),
    }[who]
    payload = {
        None: None,
        "decision": {"comment_ids": [pending.public_id], "action": "approve"},
        "ban": {"commenter_id": pending.commenter.public_id, "reason": "spam"},
    }[body]
    response = call(client, method, path, token, payload)
    expected = 201 if (body == "ban" and status == 200) else status
    assert response.status_code == expected, response.content
    if status != 200:
        assert response.json()["error"]["code"] == ("unauthorized" if status == 401 else "forbidden")
        pending.refresh_from_db()
        assert pending.status == "pending" and pending.commenter.banned_at is None
        assert not AuditLogEntry.objects.exists()


@pytest.mark.django_db
def test_queue_shape_and_order(client: Client, site: Site, moderator_token: str) -> None:
    """Items carry thread, commenter history and flags; oldest first by default, newest on request."""
    thread = ThreadFactory(site=site, key="/a/b", title="An article")
    commenter = CommenterFactory(site=site)
    CommentFactory(thread=thread, commenter=commenter, status="approved")
    CommentFactory(thread=thread, commenter=commenter, status="rejected")
    first = CommentFactory(thread=thread, commenter=commenter, body="first")
    second = CommentFactory(thread=thread, commenter=commenter, body="second")
    data = call(client, "get", "/api/v1/moderation/demo/queue", moderator_token).json()
    assert [i["id"] for i in data["items"]] == [first.public_id, second.public_id]
    item = data["items"][0]
    assert item["thread"] == {"key": "/a/b", "title": "An article", "url": thread.url}
    assert item["commenter"]["approved_count"] == 1 and item["commenter"]["rejected_count"] == 1
    assert item["flags"] == [] and item["triage"] is None and item["status"] == "pending"
    newest = call(client, "get", "/api/v1/moderation/demo/queue?order=newest", moderator_token).json()
    assert [i["id"] for i in newest["items"]] == [second.public_id, first.public_id]


@pytest.mark.django_db
def test_queue_pages_with_cursor(client: Client, site: Site, moderator_token: str) -> None:
    thread = ThreadFactory(site=site)
    ids = [c.public_id for c in CommentFactory.create_batch(7, thread=thread)]
    seen, cursor = [], None
    while True:
        url = "/api/v1/moderation/demo/queue?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = call(client, "get", url, moderator_token).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert seen == ids
    bad = call(client, "get", "/api/v1/moderation/demo/queue?cursor=%%%", moderator_token)
    assert bad.status_code == 400


@pytest.mark.django_db
def test_decisions_endpoint_bulk_and_all_or_nothing(client: Client, site: Site, moderator_token: str) -> None:
    comments = CommentFactory.create_batch(3, thread__site=site)
    ids = [c.public_id for c in comments]
    refused = call(client, "post", "/api/v1/moderation/demo/decisions", moderator_token,
                   {"comment_ids": ids + ["c_unknown"], "action": "approve"})
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "unknown_comment"
    assert set(Comment.objects.values_list("status", flat=True)) == {"pending"}
    no_reason = call(client, "post", "/api/v1/moderation/demo/decisions", moderator_token,
                     {"comment_ids": ids, "action": "reject"})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    done = call(client, "post", "/api/v1/moderation/demo/decisions", moderator_token,
                {"comment_ids": ids, "action": "reject", "reason": "off_topic"})
    assert done.status_code == 200
    entries = dict(AuditLogEntry.objects.values_list("comment_public_id", "pk"))
    assert done.json() == {"comments": [{"id": i, "status": "rejected", "entry_id": entries[i]} for i in ids]}
    bad_action = call(client, "post", "/api/v1/moderation/demo/decisions", moderator_token,
                      {"comment_ids": ids, "action": "delete"})
    assert bad_action.status_code == 400


@pytest.mark.django_db
def test_moderator_edit_keeps_revision_and_shows_readers(
    client: Client, site: Site, moderator_token: str, django_capture_on_commit_callbacks
) -> None:
    comment = CommentFactory(thread__site=site, status="approved", body="My phone is 555-0100, call me")
    with django_capture_on_commit_callbacks(execute=True):
        response = call(client, "patch", f"/api/v1/moderation/comments/{comment.public_id}", moderator_token,
                        {"body": "My phone is [removed], call me", "reason": "personal_data", "note": "phone"})
    assert response.status_code == 200 and response.json()["edited_by_moderator"] is True
    revision = CommentRevision.objects.get(comment=comment)
    assert revision.body == "My phone is 555-0100, call me" and revision.reason == "personal_data"
    entry = AuditLogEntry.objects.get(action="edit")
    assert (entry.before_text, entry.after_text) == ("My phone is 555-0100, call me", "My phone is [removed], call me")
    shown = client.get("/api/v1/threads/demo/comments", {"key": comment.thread.key}).json()["comments"][0]
    assert shown["body"] == "My phone is [removed], call me" and shown["edited_by_moderator"] is True


@pytest.mark.django_db
def test_moderator_edit_needs_reason_and_valid_body(client: Client, site: Site, moderator_token: str) -> None:
    comment = CommentFactory(thread__site=site)
    url = f"/api/v1/moderation/comments/{comment.public_id}"
    assert call(client, "patch", url, moderator_token, {"body": "x", "reason": ""}).status_code == 400
    assert call(client, "patch", url, moderator_token, {"body": " ", "reason": "other"}).status_code == 400
    comment.refresh_from_db()
    assert not comment.edited_by_moderator and not CommentRevision.objects.exists()


@pytest.mark.django_db
def test_moderator_cannot_edit_another_sites_comment(client: Client, other_site: Site, moderator_token: str) -> None:
    foreign = CommentFactory(thread__site=other_site, body="theirs")
    response = call(client, "patch", f"/api/v1/moderation/comments/{foreign.public_id}", moderator_token,
                    {"body": "mine now", "reason": "other"})
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.body == "theirs"


@pytest.mark.django_db
def test_ban_blocks_new_comments_and_rejects_pending(
    client: Client, reader_client: Client, site: Site, moderator_token: str
) -> None:
    from commentdesk.lib.iphash import hash_ip

    commenter = CommenterFactory(site=site, name="Troll", email="troll@example.org", ip_hash=hash_ip("203.0.113.7"))
    CommentFactory.create_batch(2, thread__site=site, commenter=commenter)
    response = call(client, "post", "/api/v1/moderation/demo/bans", moderator_token,
                    {"commenter_id": commenter.public_id, "reason": "personal_attack", "until": None,
                     "reject_pending": True})
    assert response.status_code == 201 and response.json()["until"] is None
    assert set(commenter.comments.values_list("status", flat=True)) == {"rejected"}
    post = reader_client.post("/api/v1/threads/demo/comments", {
        "key": "/x", "author_name": "Troll", "email": "troll@example.org", "body": "I am back"},
        content_type="application/json")
    assert post.status_code == 403 and post.json()["error"]["code"] == "commenter_banned"
    assert commenter.comments.count() == 2


@pytest.mark.django_db
def test_ban_with_a_past_end_or_unknown_commenter_is_refused(client: Client, site: Site, moderator_token: str) -> None:
    commenter = CommenterFactory(site=site)
    past = call(client, "post", "/api/v1/moderation/demo/bans", moderator_token,
                {"commenter_id": commenter.public_id, "reason": "spam", "until": "2001-01-01T00:00:00Z"})
    assert past.status_code == 400
    unknown = call(client, "post", "/api/v1/moderation/demo/bans", moderator_token,
                   {"commenter_id": "u_nobody", "reason": "spam"})
    assert unknown.status_code == 404
    commenter.refresh_from_db()
    assert commenter.banned_at is None


@pytest.mark.django_db
def test_session_login_needs_csrf(site: Site, moderator: User, pending: Comment) -> None:
    """The desk's session cookie works for the API only with the CSRF token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    url = "/api/v1/moderation/demo/decisions"
    body = json.dumps({"comment_ids": [pending.public_id], "action": "approve"})
    assert client.post(url, body, content_type="application/json").status_code == 403
    client.get("/desk/demo/")
    token = client.cookies["csrftoken"].value
    ok = client.post(url, body, content_type="application/json", headers={"X-CSRFToken": token})
    assert ok.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("cookie", ["", "expired-or-unknown-session-key", "logged out"])
def test_a_session_cookie_without_a_login_gets_401_not_a_csrf_403(
        site: Site, moderator: User, pending: Comment, cookie: str) -> None:
    """A script holding an empty, unknown or logged-out session cookie and no token is asked
    to log in or send a token (401), not told about CSRF; nothing changes."""
    from django.conf import settings

    client = Client(enforce_csrf_checks=True)
    if cookie == "logged out":
        client.force_login(moderator)
        client.logout()
        client.cookies[settings.SESSION_COOKIE_NAME] = client.session.session_key or "gone"
    else:
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    body = json.dumps({"comment_ids": [pending.public_id], "action": "approve"})
    response = client.post("/api/v1/moderation/demo/decisions", body, content_type="application/json")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
    pending.refresh_from_db()
    assert pending.status == "pending" and not AuditLogEntry.objects.exists()


@pytest.mark.django_db
def test_a_wrong_token_beside_a_live_session_gets_401_not_a_csrf_403(
        site: Site, moderator: User, pending: Comment) -> None:
    """A script that sends ``Authorization: Token`` with a wrong token is told its token
    is not accepted (401), even when it also holds a logged-in session cookie (not a
    403 about CSRF it never meant to use); a Basic header (a proxy's login in front of
    the desk) leaves the session request as it is: CSRF still guards it."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    url = "/api/v1/moderation/demo/decisions"
    body = json.dumps({"comment_ids": [pending.public_id], "action": "approve"})
    wrong = client.post(url, body, content_type="application/json", headers={"Authorization": "Token not-a-token"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthorized"
    basic = client.post(url, body, content_type="application/json", headers={"Authorization": "Basic dTpw"})
    assert basic.status_code == 403
    pending.refresh_from_db()
    assert pending.status == "pending" and not AuditLogEntry.objects.exists()
