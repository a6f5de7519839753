"""The desk's pages: log-in, queue, decisions, edit, audit log; site separation."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from commentdesk.comments.models import Comment
from commentdesk.comments.tests.factories import CommentFactory
from commentdesk.moderation.models import AuditLogEntry
from commentdesk.sites.models import Site


@pytest.mark.django_db
def test_desk_needs_login(client: Client, site: Site) -> None:
    response = client.get("/desk/demo/")
    assert response.status_code == 302 and response["Location"].startswith("/desk/login/")


@pytest.mark.django_db
def test_login_page_logs_a_moderator_in(client: Client, moderator: User) -> None:
    response = client.post("/desk/login/", {"username": "mo", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert client.get("/desk/", follow=True).redirect_chain[-1][0] == "/desk/demo/"


@pytest.mark.django_db
def test_queue_lists_pending_comments_with_article_and_author(desk: Client, site: Site) -> None:
    comment = CommentFactory(thread__site=site, thread__title="Lanterns on the river", author_name="Ann <b>",
                             body="Line one\n<script>alert(1)</script>")
    CommentFactory(thread__site=site, status="approved", body="already published")
    html = desk.get("/desk/demo/").content.decode()
    assert comment.public_id in html and "Lanterns on the river" in html
    assert "Ann &lt;b&gt;" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html and "already published" not in html


@pytest.mark.django_db
def test_decide_from_the_desk(desk: Client, site: Site) -> None:
    comment = CommentFactory(thread__site=site)
    response = desk.post("/desk/demo/decide/", {"comment_ids": [comment.public_id], "action": "approve",
                                                "next": "/desk/demo/?status=pending"})
    assert response.status_code == 302 and response["Location"] == "/desk/demo/?status=pending"
    comment.refresh_from_db()
    assert comment.status == "approved"
    assert AuditLogEntry.objects.get().actor.username == "mo"


@pytest.mark.django_db
def test_reject_without_reason_is_refused_with_a_message(desk: Client, site: Site) -> None:
    comment = CommentFactory(thread__site=site)
    response = desk.post("/desk/demo/decide/", {"comment_ids": [comment.public_id], "action": "reject"}, follow=True)
    assert "reason" in response.content.decode()
    comment.refresh_from_db()
    assert comment.status == "pending"


@pytest.mark.django_db
def test_external_next_is_ignored(desk: Client, site: Site) -> None:
    comment = CommentFactory(thread__site=site)
    response = desk.post("/desk/demo/decide/", {"comment_ids": [comment.public_id], "action": "approve",
                                                "next": "https://evil.example/"})
    assert response["Location"] == "/desk/demo/"


@pytest.mark.django_db
def test_edit_page_keeps_revisions(desk: Client, site: Site) -> None:
    comment = CommentFactory(thread__site=site, status="approved", body="You are an idiot and wrong.")
    url = f"/desk/demo/comments/{comment.public_id}/edit/"
    assert desk.get(url).status_code == 200
    response = desk.post(url, {"body": "You are wrong.", "reason": "personal_attack", "note": ""})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "You are wrong." and comment.edited_by_moderator
    page = desk.get(url).content.decode()
    assert "You are an idiot and wrong." in page  # the earlier text, listed as a revision


@pytest.mark.django_db
def test_edit_without_reason_shows_the_form_again(desk: Client, site: Site) -> None:
    comment = CommentFactory(thread__site=site, body="original")
    response = desk.post(f"/desk/demo/comments/{comment.public_id}/edit/", {"body": "changed", "reason": ""})
    assert response.status_code == 200
    comment.refresh_from_db()
    assert comment.body == "original"


@pytest.mark.django_db
def test_audit_log_page_lists_actions(desk: Client, site: Site, moderator: User) -> None:
    from commentdesk.moderation.decisions import decide

    comment = CommentFactory(thread__site=site)
    decide(site, [comment.public_id], "spam", moderator, reason="spam", note="casino link")
    html = desk.get("/desk/demo/audit/").content.decode()
    assert comment.public_id in html and "casino link" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/desk/other/"), ("get", "/desk/other/audit/"), ("post", "/desk/other/decide/")],
)
def test_moderator_of_one_site_cannot_use_anothers_desk(desk: Client, other_site: Site, method: str, path: str) -> None:
    foreign = CommentFactory(thread__site=other_site)
    response = getattr(desk, method)(path, {"comment_ids": [foreign.public_id], "action": "approve"})
    assert response.status_code == 403
    assert Comment.objects.get(pk=foreign.pk).status == "pending"


@pytest.mark.django_db
def test_foreign_comment_cannot_be_edited_through_own_site(desk: Client, site: Site, other_site: Site) -> None:
    foreign = CommentFactory(thread__site=other_site, body="theirs")
    response = desk.post(f"/desk/demo/comments/{foreign.public_id}/edit/", {"body": "x", "reason": "other"})
    assert response.status_code == 404
    assert Comment.objects.get(pk=foreign.pk).body == "theirs"


@pytest.mark.django_db
def test_audit_log_csv_export_filters_and_defuses_formulas(desk: Client, site: Site, moderator: User) -> None:
    import csv
    import io

    from commentdesk.moderation.decisions import decide

    a, b = CommentFactory(thread__site=site), CommentFactory(thread__site=site)
    decide(site, [a.public_id], "reject", moderator, reason="spam", note="=HYPERLINK(\"x\")")
    decide(site, [b.public_id], "approve", moderator)
    response = desk.get("/desk/demo/audit.csv?action=reject")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["created_at", "actor_name", "action"]
    assert len(rows) == 2 and rows[1][2] == "reject" and rows[1][3] == a.public_id
    assert rows[1][7] == "'=HYPERLINK(\"x\")"


@pytest.mark.django_db
def test_audit_csv_of_another_site_is_forbidden(desk: Client, other_site: Site) -> None:
    assert desk.get("/desk/other/audit.csv").status_code == 403


@pytest.mark.django_db
def test_password_guessing_is_braked(client: Client, moderator: User) -> None:
    """After 10 wrong passwords for one name from one network, even the right one is refused for a while."""
    for _ in range(10):
        assert client.post("/desk/login/", {"username": "mo", "password": "wrong"}).status_code == 200
    refused = client.post("/desk/login/", {"username": "mo", "password": "correct horse battery staple"})
    assert refused.status_code == 429 and "Too many failed log-ins" in refused.content.decode()
    other = Client(REMOTE_ADDR="198.51.100.44")
    assert other.post("/desk/login/", {"username": "mo", "password": "correct horse battery staple"}).status_code == 302
