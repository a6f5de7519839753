"""Queue filters (language, thread, commenter, dates, text), counts, and language desks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client

from commentdesk.comments.tests.factories import CommentFactory, CommenterFactory, ThreadFactory
from commentdesk.lib.errors import NotFound
from commentdesk.moderation.decisions import decide
from commentdesk.moderation.models import Membership
from commentdesk.moderation.queues import QueueFilter, queue_counts, queue_queryset
from commentdesk.sites.models import Site


@pytest.fixture
def mixed(site: Site) -> dict:
    a = ThreadFactory(site=site, key="/politics/election")
    b = ThreadFactory(site=site, key="/sport/final")
    alice = CommenterFactory(site=site, name="Alice")
    return {
        "ko": CommentFactory(thread=a, language="ko", body="대통령이 오늘 발표했습니다",
                             created_at=datetime(2026, 11, 1, 10, tzinfo=UTC)),
        "en": CommentFactory(thread=a, commenter=alice, language="en", body="The president spoke today",
                             created_at=datetime(2026, 11, 2, 10, tzinfo=UTC)),
        "unknown": CommentFactory(thread=b, language="", body="Great final match",
                                  created_at=datetime(2026, 11, 3, 10, tzinfo=UTC)),
        "approved": CommentFactory(thread=b, commenter=alice, language="en", status="approved", body="old news"),
    }


def ids(qs) -> set[str]:  # type: ignore[no-untyped-def]
    return set(qs.values_list("public_id", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (QueueFilter(), {"ko", "en", "unknown"}),
        (QueueFilter(language="ko"), {"ko"}),
        (QueueFilter(thread="https://news.example/politics/election/"), {"ko", "en"}),
        (QueueFilter(status="all", commenter="ALICE"), {"en", "approved"}),
        (QueueFilter(since=date(2026, 11, 2)), {"en", "unknown"}),
        (QueueFilter(until=date(2026, 11, 2)), {"ko", "en"}),
        (QueueFilter(q="president"), {"en"}),
        (QueueFilter(q="대통령"), {"ko"}),  # a Korean word with its particle attached in the text
        (QueueFilter(languages=["ko"]), {"ko", "unknown"}),  # a Korean desk also sees undetected ones
        (QueueFilter(status="approved"), {"approved"}),
    ],
)
def test_filters(site: Site, mixed: dict, filters: QueueFilter, expected: set[str]) -> None:
    if filters.commenter == "ALICE":
        filters.commenter = mixed["en"].commenter.public_id
    assert ids(queue_queryset(site, filters)) == {mixed[k].public_id for k in expected}


@pytest.mark.django_db
def test_counts_per_tab(site: Site, mixed: dict) -> None:
    counts = queue_counts(site, QueueFilter())
    assert counts == {"pending": 3, "approved": 1, "rejected": 0, "spam": 0, "flagged": 0, "all": 4}


@pytest.mark.django_db
def test_language_desk_cannot_decide_other_languages(site: Site, moderator: User, mixed: dict) -> None:
    Membership.objects.filter(user=moderator).update(languages=["en"])
    with pytest.raises(NotFound):
        decide(site, [mixed["ko"].public_id], "approve", moderator)
    decide(site, [mixed["en"].public_id, mixed["unknown"].public_id], "approve", moderator)
    mixed["ko"].refresh_from_db()
    assert mixed["ko"].status == "pending"


@pytest.mark.django_db
def test_language_desk_cannot_undo_other_languages_decisions(site: Site, moderator: User, mixed: dict) -> None:
    """An English desk may not undo the Korean desk's takedown (it would publish the comment again)."""
    from commentdesk.moderation.decisions import undo

    korean_desk = User.objects.create_user("ji")
    Membership.objects.create(user=korean_desk, site=site, languages=["ko"])
    Membership.objects.filter(user=moderator).update(languages=["en"])
    [done] = decide(site, [mixed["ko"].public_id], "reject", korean_desk, reason="personal_data")
    with pytest.raises(NotFound):
        undo(site, done.audit_entry_id, moderator)
    mixed["ko"].refresh_from_db()
    assert mixed["ko"].status == "rejected"
    assert undo(site, done.audit_entry_id, korean_desk).status == "pending"


@pytest.mark.django_db
def test_language_desk_bans_and_rejects_its_languages_pending_only(site: Site, moderator: User) -> None:
    """A ban with reject_pending by the English desk rejects the English comment; the Korean one waits."""
    from commentdesk.moderation.decisions import ban

    Membership.objects.filter(user=moderator).update(languages=["en"])
    troll = CommenterFactory(site=site)
    english = CommentFactory(thread__site=site, commenter=troll, language="en")
    korean = CommentFactory(thread__site=site, commenter=troll, language="ko")
    ban(site, troll.public_id, moderator, "spam", reject_pending=True)
    english.refresh_from_db()
    korean.refresh_from_db()
    assert (english.status, korean.status) == ("rejected", "pending")


@pytest.mark.django_db
def test_language_desk_audit_log_leaves_out_other_languages_comments(site: Site, moderator: User,
                                                                    mixed: dict) -> None:
    """The page and the CSV: entries about Korean comments (and deleted ones) are not the English desk's."""
    from commentdesk.moderation.decisions import edit

    korean_desk = User.objects.create_user("ji")
    Membership.objects.create(user=korean_desk, site=site, languages=["ko"])
    Membership.objects.filter(user=moderator).update(languages=["en"])
    edit(mixed["ko"], "전화번호 010-1234-5678 삭제", korean_desk, "personal_data")
    decide(site, [mixed["en"].public_id], "approve", moderator)
    gone = CommentFactory(thread__site=site, language="ko", body="삭제될 댓글 010-9999-0000")
    decide(site, [gone.public_id], "reject", korean_desk, reason="spam")
    gone.delete()
    client = Client()
    client.force_login(moderator)
    for url in ("/desk/demo/audit/", "/desk/demo/audit.csv"):
        text = b"".join(client.get(url)).decode() if url.endswith(".csv") else client.get(url).content.decode()
        assert "010-" not in text and mixed["ko"].public_id not in text and gone.public_id not in text
        assert mixed["en"].public_id in text
    korean = Client()
    korean.force_login(korean_desk)
    assert "010-1234-5678" in korean.get("/desk/demo/audit/").content.decode()


@pytest.mark.django_db
def test_queue_api_filters_and_language_desk(client: Client, site: Site, moderator: User,
                                              moderator_token: str, mixed: dict) -> None:
    headers = {"Authorization": f"Token {moderator_token}"}
    page = client.get("/api/v1/moderation/demo/queue", {"q": "president"}, headers=headers).json()
    assert [i["id"] for i in page["items"]] == [mixed["en"].public_id]
    Membership.objects.filter(user=moderator).update(languages=["ko"])
    page = client.get("/api/v1/moderation/demo/queue", headers=headers).json()
    assert {i["id"] for i in page["items"]} == {mixed["ko"].public_id, mixed["unknown"].public_id}
    bad = client.get("/api/v1/moderation/demo/queue", {"since": "yesterday"}, headers=headers)
    assert bad.status_code == 400


@pytest.mark.django_db
def test_undo_unban_trust_and_close_through_the_api(client: Client, site: Site, moderator_token: str,
                                                     other_token: str) -> None:
    from commentdesk.moderation.models import AuditLogEntry

    headers = {"Authorization": f"Token {moderator_token}"}
    comment = CommentFactory(thread__site=site, thread__key="/a")
    decided = client.post("/api/v1/moderation/demo/decisions", {"comment_ids": [comment.public_id],
                          "action": "approve"}, content_type="application/json", headers=headers)
    assert decided.status_code == 200
    entry = AuditLogEntry.objects.get(action="approve")
    foreign = client.post("/api/v1/moderation/demo/undo", {"entry_id": entry.pk}, content_type="application/json",
                          headers={"Authorization": f"Token {other_token}"})
    assert foreign.status_code == 403
    undone = client.post("/api/v1/moderation/demo/undo", {"entry_id": entry.pk}, content_type="application/json",
                         headers=headers)
    assert undone.json() == {"id": comment.public_id, "status": "pending"}
    cid = comment.commenter.public_id
    assert client.put(f"/api/v1/moderation/demo/trusted/{cid}", {}, content_type="application/json",
                      headers=headers).json()["trusted"] is True
    assert client.delete(f"/api/v1/moderation/demo/bans/{cid}", headers=headers).status_code == 409
    client.post("/api/v1/moderation/demo/bans", {"commenter_id": cid, "reason": "spam"},
                content_type="application/json", headers=headers)
    assert client.delete(f"/api/v1/moderation/demo/bans/{cid}", headers=headers).json()["banned"] is False
    closed = client.post("/api/v1/moderation/demo/threads/state", {"key": "/a/", "closed": True},
                         content_type="application/json", headers=headers)
    assert closed.json() == {"key": "/a", "is_closed": True}
    missing = client.post("/api/v1/moderation/demo/threads/state", {"key": "/nope", "closed": True},
                          content_type="application/json", headers=headers)
    assert missing.status_code == 404
