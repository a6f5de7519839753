"""``moderation.decide``: approve, reject, spam, restore; bulk; all-or-nothing; audit log."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from commentdesk.comments.models import Comment
from commentdesk.comments.tests.factories import CommentFactory, ThreadFactory
from commentdesk.lib.errors import CommentdeskError, Invalid, NotFound
from commentdesk.moderation.decisions import decide
from commentdesk.moderation.models import AuditLogEntry
from commentdesk.sites.models import Site


def shown(client: Client, site: Site, key: str) -> list[str]:
    return [c["id"] for c in client.get(f"/api/v1/threads/{site.slug}/comments", {"key": key}).json()["comments"]]


@pytest.mark.django_db
def test_approve_publishes_and_logs(site: Site, moderator: User, client: Client, django_capture_on_commit_callbacks) -> None:
    """Approval sets status and published_at, writes the audit entry, and readers see it at once."""
    comment = CommentFactory(thread__site=site)
    assert shown(client, site, comment.thread.key) == []
    with django_capture_on_commit_callbacks(execute=True):
        decide(site, [comment.public_id], "approve", moderator)
    comment.refresh_from_db()
    assert comment.status == "approved" and comment.published_at is not None
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.from_status, entry.to_status, entry.comment_public_id) == (
        "approve", moderator, "pending", "approved", comment.public_id
    )
    assert shown(client, site, comment.thread.key) == [comment.public_id]


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["reject", "spam"])
def test_reject_and_spam_need_a_reason_from_the_site_list(site: Site, moderator: User, action: str) -> None:
    comment = CommentFactory(thread__site=site)
    with pytest.raises(Invalid) as missing:
        decide(site, [comment.public_id], action, moderator)
    assert "reason" in missing.value.fields
    with pytest.raises(Invalid):
        decide(site, [comment.public_id], action, moderator, reason="not_a_code")
    decide(site, [comment.public_id], action, moderator, reason="off_topic", note="see ToU 3")
    comment.refresh_from_db()
    assert comment.status == action + ("ed" if action == "reject" else "")
    entry = AuditLogEntry.objects.get()
    assert (entry.reason, entry.note) == ("off_topic", "see ToU 3")


@pytest.mark.django_db
def test_withdrawing_an_approved_comment_hides_it_at_once(
    site: Site, moderator: User, client: Client, django_capture_on_commit_callbacks
) -> None:
    """A snapshot cached while the comment was published is replaced as soon as it is rejected."""
    comment = CommentFactory(thread__site=site)
    with django_capture_on_commit_callbacks(execute=True):
        decide(site, [comment.public_id], "approve", moderator)
    assert shown(client, site, comment.thread.key) == [comment.public_id]
    with django_capture_on_commit_callbacks(execute=True):
        decide(site, [comment.public_id], "reject", moderator, reason="personal_attack")
    assert shown(client, site, comment.thread.key) == []


@pytest.mark.django_db
def test_restore_puts_a_decided_comment_back_in_the_queue(site: Site, moderator: User) -> None:
    comment = CommentFactory(thread__site=site)
    decide(site, [comment.public_id], "spam", moderator, reason="spam")
    decide(site, [comment.public_id], "restore", moderator)
    comment.refresh_from_db()
    assert comment.status == "pending" and comment.decided_at is None
    assert list(AuditLogEntry.objects.order_by("id").values_list("action", flat=True)) == ["spam", "restore"]


@pytest.mark.django_db
def test_bulk_decision_of_500(site: Site, moderator: User) -> None:
    thread = ThreadFactory(site=site)
    comments = CommentFactory.create_batch(500, thread=thread)
    result = decide(site, [c.public_id for c in comments], "spam", moderator, reason="spam")
    assert len(result) == 500
    assert Comment.objects.filter(status="spam").count() == 500
    assert AuditLogEntry.objects.filter(action="spam").count() == 500


@pytest.mark.django_db
def test_more_than_500_is_refused(site: Site, moderator: User) -> None:
    comment = CommentFactory(thread__site=site)
    with pytest.raises(Invalid):
        decide(site, [comment.public_id] + [f"c_{i}" for i in range(500)], "approve", moderator)
    assert Comment.objects.get().status == "pending"


@pytest.mark.django_db
def test_one_unknown_or_foreign_id_refuses_the_whole_decision(site: Site, other_site: Site, moderator: User) -> None:
    """All or nothing: nothing changes and nothing is logged."""
    mine = CommentFactory.create_batch(3, thread__site=site)
    foreign = CommentFactory(thread__site=other_site)
    for bad in ("c_doesnotexist", foreign.public_id):
        with pytest.raises(NotFound):
            decide(site, [c.public_id for c in mine] + [bad], "approve", moderator)
    assert set(Comment.objects.values_list("status", flat=True)) == {"pending"}
    assert not AuditLogEntry.objects.exists()


@pytest.mark.django_db
def test_moderator_of_another_site_cannot_decide(site: Site, other_moderator: User) -> None:
    comment = CommentFactory(thread__site=site)
    with pytest.raises(CommentdeskError) as refused:
        decide(site, [comment.public_id], "approve", other_moderator)
    assert refused.value.status == 403
    comment.refresh_from_db()
    assert comment.status == "pending"


@pytest.mark.django_db
def test_republishing_keeps_the_first_publication_time(site: Site, moderator: User) -> None:
    comment = CommentFactory(thread__site=site)
    decide(site, [comment.public_id], "approve", moderator)
    comment.refresh_from_db()
    first = comment.published_at
    decide(site, [comment.public_id], "restore", moderator)
    decide(site, [comment.public_id], "approve", moderator)
    comment.refresh_from_db()
    assert comment.published_at == first


@pytest.mark.django_db
def test_keeping_a_flagged_comment_resolves_its_flags_and_is_logged(site: Site, moderator: User) -> None:
    from commentdesk.moderation.models import Flag

    comment = CommentFactory(thread__site=site, status="approved")
    Flag.objects.create(comment=comment, reason="abusive")
    decide(site, [comment.public_id], "approve", moderator, note="fair criticism")
    assert not Flag.objects.filter(resolved_at__isnull=True).exists()
    entry = AuditLogEntry.objects.get()
    assert (entry.from_status, entry.to_status, entry.note) == ("approved", "approved", "fair criticism")
    decide(site, [comment.public_id], "approve", moderator)
    assert AuditLogEntry.objects.count() == 1


@pytest.mark.django_db
def test_an_authors_edit_after_the_moderator_looked_is_not_published_unseen(
    site: Site, moderator: User, client: Client, moderator_token: str
) -> None:
    """The decision names the version the moderator saw; a later edit refuses it with 409."""
    from commentdesk.comments.submission import author_edit

    comment = CommentFactory(thread__site=site, body="I like lanterns.")
    token = comment.issue_edit_token()
    comment.save()
    headers = {"Authorization": f"Token {moderator_token}"}
    seen = client.get("/api/v1/moderation/demo/queue", headers=headers).json()["items"][0]
    author_edit(comment, token, "ABUSIVE TEXT the moderator never saw")
    response = client.post("/api/v1/moderation/demo/decisions", {
        "comment_ids": [seen["id"]], "action": "approve", "versions": {seen["id"]: seen["version"]}},
        content_type="application/json", headers=headers)
    assert response.status_code == 409 and response.json()["error"]["code"] == "changed_since_viewed"
    comment.refresh_from_db()
    assert comment.status == "pending" and not AuditLogEntry.objects.exists()


@pytest.mark.django_db
def test_a_second_moderator_does_not_silently_override_the_first(site: Site, moderator: User) -> None:
    comment = CommentFactory(thread__site=site)
    seen = comment.version
    decide(site, [comment.public_id], "approve", moderator, versions={comment.public_id: seen})
    with pytest.raises(CommentdeskError) as late:
        decide(site, [comment.public_id], "reject", moderator, reason="spam", versions={comment.public_id: seen})
    assert late.value.code == "changed_since_viewed"
    comment.refresh_from_db()
    assert comment.status == "approved"
