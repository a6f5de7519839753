"""Nudge before posting: ``POST /api/v1/threads/{site}/nudge`` and the
submission's ``nudge`` field; an author's edit is scored again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client

from commentdesk.comments.models import Comment
from commentdesk.triage import classifier
from commentdesk.triage.models import Nudge, Score, TriagePolicy, WordList
from commentdesk.triage.tests.conftest import LANGUAGE
from commentdesk.triage.tests.test_classifier import seed_dir  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

WORDS = {"NAME": "commentdesk.triage.scorers.wordlists.WordListScorer"}
LINKS = {"NAME": "commentdesk.triage.scorers.links.LinkScorer"}
CLASSIFIER = {"NAME": "commentdesk.triage.scorers.classifier.ClassifierScorer"}
CAMPAIGN = {"NAME": "commentdesk.triage.scorers.campaigns.CampaignScorer"}
GUIDELINES = "Be kind to each other. Stay on topic. No advertising."
KO_GUIDELINES = "서로 존중해 주세요."


@pytest.fixture
def nudging(site: Any, scorers: Any) -> Any:
    """The site with nudges on, word lists (banned "scam", "사기"), a blocked domain and guidelines in ko."""
    TriagePolicy.objects.create(site=site, nudge_enabled=True, blocked_domains="bad.example")
    WordList.objects.create(site=site, language="", kind="banned", terms="scam\n사기")
    WordList.objects.create(site=site, language="", kind="suspect", terms="stupid")
    site.guidelines = GUIDELINES
    site.languages = ["en", "ko"]
    site.translations = {"ko": {"guidelines": KO_GUIDELINES}}
    site.save()
    scorers(LANGUAGE, WORDS, LINKS, CLASSIFIER, CAMPAIGN)
    return site


def ask(client: Client, body: Any, slug: str = "demo", **extra: Any) -> Any:
    return client.post(f"/api/v1/threads/{slug}/nudge", {"body": body, **extra}, content_type="application/json")


def nothing_stored() -> tuple[int, int, int]:
    from commentdesk.triage.models import Fingerprint

    return Comment.objects.count(), Score.objects.count(), Fingerprint.objects.count()


def test_off_by_default(site: Any, reader_client: Client) -> None:
    """A site that did not turn nudges on answers {"nudge": false}, even for a banned term."""
    WordList.objects.create(site=site, kind="banned", terms="scam")
    answer = ask(reader_client, "this is a scam")
    assert answer.status_code == 200
    assert answer.json() == {"nudge": False}
    assert reader_client.get("/api/v1/sites/demo").json()["nudge"] is False


def test_banned_term_nudges_with_guidelines_and_a_generic_reason(nudging: Any, reader_client: Client) -> None:
    """The answer quotes the guidelines and says "wording", never the term itself; nothing is stored."""
    answer = ask(reader_client, "What a s c a m this article is")
    assert answer.status_code == 200
    data = answer.json()
    assert data == {"nudge": True, "message": GUIDELINES, "reasons": ["wording"]}
    assert "scam" not in answer.content.decode()
    assert nothing_stored() == (0, 0, 0)
    assert reader_client.get("/api/v1/sites/demo").json()["nudge"] is True


def test_guidelines_in_the_readers_language(nudging: Any, reader_client: Client) -> None:
    """``lang`` picks the translation; without it the draft's detected language does."""
    assert ask(reader_client, "이건 사기야", lang="ko").json()["message"] == KO_GUIDELINES
    assert ask(reader_client, "이건 완전히 사기 기사입니다 정말로", lang="").json()["message"] == KO_GUIDELINES
    assert ask(reader_client, "what a scam", lang="en-GB").json()["message"] == GUIDELINES


@pytest.mark.parametrize(
    ("body", "reasons"),
    [
        ("Read more at https://bad.example/x", ["links"]),
        ("a http://a.example b http://b.example c http://c.example", ["links"]),
        ("scam, see https://shop.bad.example", ["wording", "links"]),
        ("check https://bit.ly/abc", ["links"]),
    ],
)
def test_links_nudge(nudging: Any, reader_client: Client, body: str, reasons: list[str]) -> None:
    """A blocked domain (subdomains too), more links than the site allows, or a URL shortener nudge with "links"."""
    assert ask(reader_client, body).json() == {"nudge": True, "message": GUIDELINES, "reasons": reasons}


@pytest.mark.parametrize(
    "body",
    [
        "This is a stupid decision by the council.",  # a suspect term only
        "🙂🙂🙂",
        "a\u0007b\u202ec\u0000d",  # control and bidi characters
        "Привет мир hello 世界 안녕",  # mixed scripts
        "x" * 5000,  # the site's limit
        "\U0001F600" * 5000,
    ],
)
def test_harmless_and_odd_drafts_are_not_nudged(nudging: Any, reader_client: Client, body: str) -> None:
    """Suspect terms, emoji, control characters, mixed scripts and limit-sized drafts answer 200 {"nudge": false}."""
    answer = ask(reader_client, body)
    assert answer.status_code == 200
    assert answer.json() == {"nudge": False}


def test_classifier_nudges_from_the_sites_probability(
    nudging: Any, reader_client: Client, seed_dir: Path  # noqa: F811
) -> None:
    """With a trained model a draft at or above ``nudge_above`` is nudged with "tone"."""
    classifier.train_for_site(nudging, seed_dir)
    spam = "buy cheap pills at pharma99.example casino bonus"
    assert ask(reader_client, spam).json() == {"nudge": True, "message": GUIDELINES, "reasons": ["tone"]}
    assert ask(reader_client, "The reporter explained the council budget vote well.").json() == {"nudge": False}
    TriagePolicy.objects.filter(site=nudging).update(nudge_above=1.0)
    assert ask(reader_client, spam).json() == {"nudge": False}


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"body": ""}, 422, "body"),
        ({"body": " \n\t "}, 422, "body"),
        ({"body": "x" * 5001}, 422, "body"),
        ({}, 400, "body"),
        ({"body": 12}, 400, "body"),
        ({"body": "fine", "lang": "x" * 40}, 400, "lang"),
    ],
)
def test_bad_bodies(nudging: Any, reader_client: Client, payload: dict[str, Any], status: int, field: str) -> None:
    """Empty, blank and over-long drafts answer 422 (malformed ones 400), naming the field."""
    answer = reader_client.post("/api/v1/threads/demo/nudge", payload, content_type="application/json")
    assert answer.status_code == status
    assert field in answer.json()["error"]["fields"]


def test_unknown_site_huge_request_and_rate_limit(nudging: Any, reader_client: Client, settings: Any,
                                                 still_clock: None) -> None:
    """404 unknown_site (a long slug quoted in part); 413 over 64 KiB; 429 with Retry-After past
    three times the submission limit."""
    assert ask(reader_client, "hello", slug="nowhere").json()["error"]["code"] == "unknown_site"
    long = ask(reader_client, "hello", slug="s" * 3000).json()["error"]
    assert long["code"] == "unknown_site" and long["message"] == f"There is no site {'s' * 60!r}…."
    assert ask(reader_client, "y" * 70_000).status_code == 413
    settings.COMMENTS_RATE_LIMIT = 1
    answers = [ask(reader_client, "hello").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_rate_limit_answer_speaks_of_draft_checks(nudging: Any, reader_client: Client, settings: Any,
                                                 still_clock: None) -> None:
    """The 429 names what was counted (checks of drafts, not comments), in API.md's error shape."""
    settings.COMMENTS_RATE_LIMIT = 1
    answers = [ask(reader_client, "hello") for _ in range(4)]
    assert answers[-1].status_code == 429 and answers[-1]["Retry-After"]
    assert answers[-1].json() == {"error": {
        "code": "rate_limited",
        "message": "Too many draft checks from your network in a short time; please wait and try again."}}


def test_cors_follows_the_sites_origins(nudging: Any, reader_client: Client) -> None:
    """An allowed origin gets Access-Control-Allow-Origin; another origin's POST is refused."""
    ok = reader_client.post("/api/v1/threads/demo/nudge", {"body": "hi"}, content_type="application/json",
                            headers={"Origin": "https://news.example"})
    assert ok["Access-Control-Allow-Origin"] == "https://news.example"
    refused = reader_client.post("/api/v1/threads/demo/nudge", {"body": "hi"}, content_type="application/json",
                                 headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused


@pytest.mark.parametrize("choice", ["revised", "posted_anyway"])
def test_submission_records_the_readers_choice(nudging: Any, post_comment: Any, choice: str, desk: Client) -> None:
    """The submission's ``nudge`` is kept with the comment and shown beside it in the desk queue."""
    answer = post_comment(body="What a scam.", nudge=choice)
    assert answer.status_code == 202
    comment = Comment.objects.get(public_id=answer.json()["comment"]["id"])
    assert comment.triage_nudge.choice == choice
    page = desk.get("/desk/demo/").content.decode()
    label = "posted anyway" if choice == "posted_anyway" else "revised the comment"
    assert f"the reader was shown the guidelines and {label}" in page
    items = desk.get("/api/v1/moderation/demo/queue").json()["items"]
    assert [(i["id"], i["nudge"]) for i in items] == [(comment.public_id, choice)]  # the API carries it too


def test_a_nudge_claimed_on_a_site_without_nudges_is_not_kept(site: Any, post_comment: Any, desk: Client) -> None:
    """With nudges off no reader was nudged: a submission saying so is stored without the claim,
    and the desk does not show "the reader was shown the guidelines"."""
    answer = post_comment(body="What a scam.", nudge="posted_anyway")
    assert answer.status_code == 202
    assert not Nudge.objects.exists()
    assert "the reader was shown the guidelines" not in desk.get("/desk/demo/").content.decode()


def test_submission_without_nudge_and_with_a_bad_one(nudging: Any, post_comment: Any, stored: Any) -> None:
    """No ``nudge`` stores no record; an unknown choice answers 400 and stores nothing."""
    assert post_comment(body="Fine.").status_code == 202
    assert not Nudge.objects.exists()
    before = stored()
    answer = post_comment(body="Fine again.", nudge="ignored")
    assert answer.status_code == 400 and "nudge" in answer.json()["error"]["fields"]
    assert stored() == before and not Nudge.objects.exists()


def test_author_edit_is_scored_again(
    site: Any, scorers: Any, post_comment: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """After the author's edit the Score reflects the new text (a banned term added → high risk)."""
    WordList.objects.create(site=site, kind="banned", terms="scam")
    scorers(LANGUAGE, WORDS)
    with time_machine.travel("2026-03-01 12:00:00Z", tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            data = post_comment(body="A fair article.").json()
        comment = Comment.objects.get(public_id=data["comment"]["id"])
        assert comment.triage_score.risk == 0.0
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.patch(f"/api/v1/comments/{comment.public_id}", {"body": "A scam article."},
                                  content_type="application/json",
                                  headers={"Authorization": f"Bearer {data['edit_token']}"})
    assert answer.status_code == 200
    score = Score.objects.get(comment=comment)
    assert score.risk == 0.95 and score.reasons[0].startswith("banned term: scam")


def test_author_edit_into_another_language_meets_that_languages_list(
    site: Any, scorers: Any, post_comment: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """The old text's language goes with it: an edit into Korean is matched against the Korean
    banned terms, and the comment's fingerprint is made again from the new text (from an attack)."""
    from commentdesk.triage.models import Fingerprint

    WordList.objects.create(site=site, kind="banned", language="ko", terms="바보")
    scorers(LANGUAGE, WORDS, {"NAME": "commentdesk.triage.scorers.campaigns.CampaignScorer",
                              "OPTIONS": {"stage": "request"}})
    with django_capture_on_commit_callbacks(execute=True):
        data = post_comment(body="Thanks for the article, I found the part about the harbour renovation "
                                 "informative.").json()
    comment = Comment.objects.get(public_id=data["comment"]["id"])
    assert comment.language == "en" and comment.triage_score.scores["words"] == 0.0
    old_signature = bytes(Fingerprint.objects.get(comment=comment).signature)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.patch(f"/api/v1/comments/{comment.public_id}",
                              {"body": "기사 잘 읽었습니다 항구 재개발 부분이 정말 유익했어요 감사합니다 바보"},
                              content_type="application/json", headers={"Authorization": f"Bearer {data['edit_token']}"})
    assert answer.status_code == 200
    comment.refresh_from_db()
    score = Score.objects.get(comment=comment)
    assert comment.language == "ko" and score.scores["words"] == 0.95
    assert bytes(Fingerprint.objects.get(comment=comment).signature) != old_signature


def test_moderator_edit_of_a_pending_comment_is_scored_again(
    site: Any, scorers: Any, post_comment: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A moderator who rewrites a pending comment sees the risk, reasons, language and
    fingerprint of the new text: the English banned term's reason goes, the Korean list
    meets the Korean text (from a new user's trial)."""
    from commentdesk.moderation.decisions import edit
    from commentdesk.triage.models import Fingerprint

    WordList.objects.create(site=site, kind="banned", terms="scam")
    WordList.objects.create(site=site, kind="banned", language="ko", terms="바보")
    scorers(LANGUAGE, WORDS, {"NAME": "commentdesk.triage.scorers.campaigns.CampaignScorer",
                              "OPTIONS": {"stage": "request"}})
    with django_capture_on_commit_callbacks(execute=True):
        data = post_comment(body="This article about the harbour renovation is a scam, read it twice.").json()
    comment = Comment.objects.get(public_id=data["comment"]["id"])
    assert comment.language == "en" and comment.triage_score.reasons[0].startswith("banned term: scam")
    signature = bytes(Fingerprint.objects.get(comment=comment).signature)
    with django_capture_on_commit_callbacks(execute=True):
        edit(comment, "기사 잘 읽었습니다 항구 재개발 부분이 정말 유익했어요 감사합니다 바보", moderator, "other")
    comment.refresh_from_db()
    score = Score.objects.get(comment=comment)
    assert comment.language == "ko" and score.state == "scored" and score.scores["words"] == 0.95
    assert [r for r in score.reasons if r.startswith("banned term")] == ['banned term: 바보 ("바보")']
    assert bytes(Fingerprint.objects.get(comment=comment).signature) != signature


def test_an_edit_while_the_task_queue_is_down_is_scored_after_housekeeping(
    site: Any, scorers: Any, post_comment: Any, moderator: Any, monkeypatch: Any,
    django_capture_on_commit_callbacks: Any
) -> None:
    """The edit forgets the old text's language; with the task queue down it is not scored
    and shows in every language desk, until housekeeping queues it again: then it has the
    new text's language and Score (before, it stayed "not scored" for good, since its own
    task answered "already scored")."""
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    from commentdesk.moderation.decisions import edit
    from commentdesk.triage import tasks

    WordList.objects.create(site=site, kind="banned", language="ko", terms="바보")
    scorers(LANGUAGE, WORDS, {**CAMPAIGN, "OPTIONS": {"stage": "background"}})
    with django_capture_on_commit_callbacks(execute=True):
        data = post_comment(body="Thanks for the article about the harbour renovation, very informative.").json()
    comment = Comment.objects.get(public_id=data["comment"]["id"])
    assert comment.language == "en"

    class Refusing:
        def enqueue(self, *args: Any) -> None:
            raise ConnectionError("no queue")

    with monkeypatch.context() as patch:
        patch.setattr(tasks, "score_in_background", Refusing())
        with django_capture_on_commit_callbacks(execute=True):
            edit(comment, "기사 잘 읽었습니다 항구 재개발 부분이 정말 유익했어요 감사합니다 바보", moderator, "other")
    comment.refresh_from_db()
    assert comment.language == ""
    assert Score.objects.get(comment=comment).summary == "not scored: background queue unavailable (ConnectionError)"
    assert tasks.requeue_unfinished(timezone.now() + timedelta(minutes=20)) == 1
    (queued,) = cache.get(tasks.REQUEUED_KEY)
    result = tasks.score_many_in_background.get_result(queued)
    assert tasks.score_many_in_background.call(*result.args) == {"scored": 1, "not_scored": 0, "gone": 0}
    comment.refresh_from_db()
    score = Score.objects.get(comment=comment)
    assert comment.language == "ko" and score.state == "scored" and score.scores["words"] == 0.95


@pytest.mark.parametrize("action", ["approve", "reject", "spam"])
def test_moderator_edit_of_a_decided_comment_is_scored_again(
    site: Any, scorers: Any, post_comment: Any, moderator: Any, publish: Any,
    django_capture_on_commit_callbacks: Any, action: str
) -> None:
    """A decided comment a moderator edits is scored again (and not decided by triage), so
    that putting it back into the queue shows the risk of the text it now has (from an attack)."""
    from commentdesk.moderation.decisions import edit

    WordList.objects.create(site=site, kind="banned", terms="scam")
    scorers(LANGUAGE, WORDS)
    with django_capture_on_commit_callbacks(execute=True):
        data = post_comment(body="This article is a scam.").json()
    comment = Comment.objects.get(public_id=data["comment"]["id"])
    publish(comment, action=action, reason="" if action == "approve" else "other")
    with django_capture_on_commit_callbacks(execute=True):
        edit(comment, "This article is [removed].", moderator, "other")
    publish(comment, action="restore")
    score = Score.objects.get(comment=comment)
    assert comment.status == "pending" and score.risk == 0.0 and score.reasons == []


def test_unchanged_edit_sends_no_signal(site: Any, post_comment: Any, client: Client,
                                        django_capture_on_commit_callbacks: Any) -> None:
    """An edit to the same text changes nothing, so nothing is scored again."""
    from commentdesk.comments.signals import comment_edited

    seen: list[str] = []

    def listen(sender: Any, comment: Comment, **kwargs: Any) -> None:
        seen.append(comment.body)

    comment_edited.connect(listen, dispatch_uid="test.listen")
    try:
        data = post_comment(body="Same.").json()
        headers = {"Authorization": f"Bearer {data['edit_token']}"}
        url = f"/api/v1/comments/{data['comment']['id']}"
        with django_capture_on_commit_callbacks(execute=True):
            client.patch(url, {"body": "Same."}, content_type="application/json", headers=headers)
        with django_capture_on_commit_callbacks(execute=True):
            client.patch(url, {"body": "Different."}, content_type="application/json", headers=headers)
    finally:
        comment_edited.disconnect(dispatch_uid="test.listen")
    assert seen == ["Different."]
