"""The moderation queue with triage: ``order=risk`` and each item's ``triage`` field (API.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from commentdesk.comments.tests.factories import CommentFactory, ThreadFactory
from commentdesk.moderation.queues import queue_page
from commentdesk.sites.models import Site
from commentdesk.triage.models import Score

pytestmark = pytest.mark.django_db


def scored(comment: Any, risk: float | None, reasons: list[str] | None = None) -> Any:
    Score.objects.create(comment=comment, state="scored", risk=risk, scores={"fixed": risk},
                         reasons=reasons or [], scored_at=timezone.now())
    return comment


def queue(client: Client, token: str, query: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/moderation/demo/queue?{query}", headers={"Authorization": f"Token {token}"})
    assert answer.status_code == 200
    return answer.json()


@pytest.fixture
def ranked(site: Site) -> list[Any]:
    """Seven comments, created oldest first: risks 0.2, none, 0.9, 0.5, 0.9, none, not scored at all."""
    thread = ThreadFactory(site=site)
    comments = CommentFactory.create_batch(7, thread=thread)
    for comment, risk in zip(comments, [0.2, None, 0.9, 0.5, 0.9, None]):
        scored(comment, risk)
    return comments


def test_risk_order_puts_the_highest_first_and_unscored_last(client: Client, moderator_token: str,
                                                             ranked: list[Any]) -> None:
    """Highest risk first, ties oldest first, comments without a risk last (oldest first)."""
    items = queue(client, moderator_token, "order=risk")["items"]
    assert [i["id"] for i in items] == [ranked[k].public_id for k in (2, 4, 3, 0, 1, 5, 6)]


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_risk_order_pages_with_cursor(client: Client, moderator_token: str, ranked: list[Any], limit: int) -> None:
    """Following ``next`` visits every comment once, in risk order, whatever the page size."""
    seen, cursor = [], None
    while True:
        page = queue(client, moderator_token, f"order=risk&limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        seen += [i["id"] for i in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert seen == [ranked[k].public_id for k in (2, 4, 3, 0, 1, 5, 6)]


@pytest.mark.parametrize("cursor", ["%%%", "eA", "MS41fDIwMjYtMDEtMDFUMDA6MDA6MDArMDA6MDB8MQ"])
def test_bad_risk_cursor_is_a_400(client: Client, moderator_token: str, ranked: list[Any], cursor: str) -> None:
    """A malformed cursor, or one with a risk outside 0..1 ("1.5|…"), answers 400 invalid."""
    answer = client.get(f"/api/v1/moderation/demo/queue?order=risk&cursor={cursor}",
                        headers={"Authorization": f"Token {moderator_token}"})
    assert answer.status_code == 400


def test_items_carry_triage(client: Client, moderator_token: str, site: Site) -> None:
    """``triage`` holds risk, scores and reasons; null before scoring; "not scored: why" when it failed."""
    thread = ThreadFactory(site=site)
    risky = scored(CommentFactory(thread=thread), 0.93, ["banned term: scam (\"s.c.a.m\")"])
    unscored = CommentFactory(thread=thread)
    failed = CommentFactory(thread=thread)
    Score.objects.create(comment=failed, state="not_scored", not_scored_reason="scoring failed (OSError)")
    items = {i["id"]: i["triage"] for i in queue(client, moderator_token, "order=oldest")["items"]}
    assert items[risky.public_id] == {"risk": 0.93, "scores": {"fixed": 0.93},
                                      "reasons": ["banned term: scam (\"s.c.a.m\")"]}
    assert items[unscored.public_id] is None
    assert items[failed.public_id] == {"risk": None, "scores": {}, "reasons": ["not scored: scoring failed (OSError)"]}


def test_triage_costs_no_extra_query(site: Site, django_assert_max_num_queries: Any) -> None:
    """Scores come with the page's main query, however many comments are scored."""
    thread = ThreadFactory(site=site)
    for comment in CommentFactory.create_batch(20, thread=thread):
        scored(comment, 0.5)
    with django_assert_max_num_queries(3):
        items, _ = queue_page(site, order="risk", limit=20)
    assert all(i["triage"]["risk"] == 0.5 for i in items)
