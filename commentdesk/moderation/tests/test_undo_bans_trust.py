"""Undo of decisions, unban, trusted commenters."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from commentdesk.comments.tests.factories import CommentFactory, CommenterFactory
from commentdesk.lib.errors import CommentdeskError
from commentdesk.moderation.decisions import ban, decide, set_trusted, undo, unban
from commentdesk.moderation.models import AuditLogEntry
from commentdesk.sites.models import Site


def last_entry() -> AuditLogEntry:
    return AuditLogEntry.objects.order_by("-id").first()  # type: ignore[return-value]


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "reason", "before"), [
    ("approve", "", "pending"), ("reject", "off_topic", "pending"), ("spam", "spam", "pending"),
])
def test_undo_returns_the_comment_to_its_earlier_status(
    site: Site, moderator: User, action: str, reason: str, before: str
) -> None:
    comment = CommentFactory(thread__site=site)
    decide(site, [comment.public_id], action, moderator, reason=reason)
    decision = last_entry()
    undo(site, decision.pk, moderator)
    comment.refresh_from_db()
    assert comment.status == before
    entry = last_entry()
    assert entry.action == "undo" and entry.undoes_id == decision.pk and entry.to_status == before


@pytest.mark.django_db
def test_undo_of_a_rejection_after_approval_republishes(site: Site, moderator: User) -> None:
    comment = CommentFactory(thread__site=site)
    decide(site, [comment.public_id], "approve", moderator)
    decide(site, [comment.public_id], "reject", moderator, reason="hate_speech")
    undo(site, last_entry().pk, moderator)
    comment.refresh_from_db()
    assert comment.status == "approved"


@pytest.mark.django_db
def test_undo_twice_or_after_a_later_decision_is_refused(site: Site, moderator: User) -> None:
    comment = CommentFactory(thread__site=site)
    decide(site, [comment.public_id], "approve", moderator)
    first = last_entry()
    decide(site, [comment.public_id], "spam", moderator, reason="spam")
    with pytest.raises(CommentdeskError) as stale:
        undo(site, first.pk, moderator)
    assert stale.value.code == "stale_undo"
    second = last_entry()
    undo(site, second.pk, moderator)
    with pytest.raises(CommentdeskError) as twice:
        undo(site, second.pk, moderator)
    assert twice.value.code == "already_undone"
    comment.refresh_from_db()
    assert comment.status == "approved"


@pytest.mark.django_db
def test_undo_of_another_sites_entry_is_not_found(site: Site, other_site: Site, moderator: User,
                                                  other_moderator: User) -> None:
    foreign = CommentFactory(thread__site=other_site)
    decide(other_site, [foreign.public_id], "approve", other_moderator)
    with pytest.raises(CommentdeskError) as missing:
        undo(site, last_entry().pk, moderator)
    assert missing.value.status == 404
    foreign.refresh_from_db()
    assert foreign.status == "approved"


@pytest.mark.django_db
def test_unban_lets_the_commenter_comment_again(site: Site, moderator: User) -> None:
    commenter = CommenterFactory(site=site)
    ban(site, commenter.public_id, moderator, reason="personal_attack")
    commenter.refresh_from_db()
    assert commenter.is_banned()
    unban(site, commenter.public_id, moderator, note="appeal accepted")
    commenter.refresh_from_db()
    assert not commenter.is_banned() and last_entry().action == "unban"
    assert commenter.bans.get().lifted_at is not None
    with pytest.raises(CommentdeskError) as again:
        unban(site, commenter.public_id, moderator)
    assert again.value.code == "not_banned"


@pytest.mark.django_db
def test_trust_is_logged_once(site: Site, moderator: User) -> None:
    commenter = CommenterFactory(site=site)
    set_trusted(site, commenter.public_id, True, moderator)
    set_trusted(site, commenter.public_id, True, moderator)
    commenter.refresh_from_db()
    assert commenter.trusted
    assert list(AuditLogEntry.objects.values_list("action", flat=True)) == ["trust"]
