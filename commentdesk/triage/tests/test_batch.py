"""The batch path: many comments scored at once give what one at a time gives;
failures stay per comment; rescore, the background task and imports use it."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from commentdesk.comments.models import Comment
from commentdesk.comments.tests.factories import (
    CommentFactory,
    SiteFactory,
    ThreadFactory,
)
from commentdesk.triage import classifier, pipeline, tasks
from commentdesk.triage.models import ClassifierModel, Score, TriagePolicy, WordList
from commentdesk.triage.tests.conftest import TEST
from commentdesk.triage.tests.test_classifier import HAM, KO_BAD, KO_OK, SPAM, write_csv
from commentdesk.triage.tests.test_pipeline import BAD_INPUTS

pytestmark = pytest.mark.django_db

CAMPAIGN = "The minister lied about the budget again, share this before they delete it! Vote them out in {n}."
BODIES = [
    "buy cheap pills now at pharma7.example, best casino bonus 7",
    "The council vote on the budget 3 seems fair; the reporter explained it well.",
    "이 기자 진짜 쓰레기네 꺼져라",
    "좋은 기사 감사합니다 잘 읽었어요",
    "this is a scam, see http://bit.ly/x and https://blocked.example/a and www.c.example",
    "s.p.a.m everywhere",
    *[CAMPAIGN.format(n=2026 + i) for i in range(3)],
    *[f"opinion number {i} on a different matter entirely, nothing alike {i * 7}" for i in range(6)],
    *BAD_INPUTS,
]


@pytest.fixture
def shared_model(tmp_path: Path, site: Any) -> ClassifierModel:
    """One classifier shared by every site (``site`` null), trained on small seed sets."""
    write_csv(tmp_path / "en" / "train.csv", [(t, 1) for t in SPAM] + [(t, 0) for t in HAM])
    write_csv(tmp_path / "ko" / "train.csv", [(t, 1) for t in KO_BAD] + [(t, 0) for t in KO_OK])
    row = classifier.train_for_site(site, tmp_path)
    row.site = None
    row.save()
    return row


def furnish(site: Any) -> list[Comment]:
    """Word lists, a link policy and BODIES as comments of ``site``, a minute apart, the
    opinions from one address."""
    WordList.objects.create(site=site, kind="banned", terms="spam\n씨발\nzzz")
    WordList.objects.create(site=site, kind="suspect", language="ko", terms="쓰레기")
    TriagePolicy.objects.create(site=site, blocked_domains="blocked.example", max_links=2)
    start = timezone.now() - timedelta(minutes=len(BODIES))
    threads = [ThreadFactory(site=site) for _ in range(3)]
    comments = []
    for i, body in enumerate(BODIES):
        storable = body.encode("utf-8", "replace").decode("utf-8") == body and "\x00" not in body
        comment = CommentFactory(thread=threads[i % 3], body=body if storable else "placeholder",
                                 created_at=start + timedelta(minutes=i),
                                 ip_hash="same" if body.startswith("opinion") else f"ip{i}")
        comment.body = body  # unnormalised, as an import might hand it over
        comments.append(comment)
    return comments


def comparable(score: Score) -> dict[str, Any]:
    """A Score's content, without the campaign's id (each site has its own campaigns)."""
    details = {name: dict(d) for name, d in score.details.items()}
    details.get("campaign", {}).pop("campaign_id", None)
    return {"state": score.state, "risk": score.risk, "scores": score.scores, "reasons": score.reasons,
            "details": details, "skipped": score.skipped, "model_version": score.model_version}


def fail_to_store(monkeypatch: Any, poison: Comment) -> None:
    """Make every batch holding ``poison`` fail as a whole, as a Score that cannot
    be stored does (``DatabaseError``); the others are scored as usual."""
    from django.db import DatabaseError

    original = pipeline._score_comments

    def score(batch: list[Comment], stage: str, *more: Any) -> Any:
        if poison in batch:
            raise DatabaseError("value too long")
        return original(batch, stage, *more)

    monkeypatch.setattr(pipeline, "_score_comments", score)


def overlap_only() -> None:
    """Skip the test where batches do not overlap (anything but PostgreSQL)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("batches overlap on PostgreSQL only")


def test_a_batch_scores_as_one_at_a_time(site: Any, other_site: Any, shared_model: ClassifierModel) -> None:
    """The same comments on two sites with the same settings: one by one on one site,
    one shuffled batch on the other, give equal Scores (campaigns, bursts, classifier,
    word lists, links and languages included)."""
    one_by_one = [pipeline.score_comment(c) for c in furnish(site)]
    batch_comments = furnish(other_site)
    order = np.random.default_rng(7).permutation(len(batch_comments))
    batch = pipeline.score_comments([batch_comments[i] for i in order])
    in_order = [None] * len(batch)
    for position, i in enumerate(order):
        in_order[i] = batch[position]
    assert [comparable(s) for s in in_order] == [comparable(s) for s in one_by_one]
    assert one_by_one[8].scores["campaign"] == 0.5
    assert "6 comments from one address in 10 min" in one_by_one[14].reasons
    assert all(s.skipped == {} and s.state == "scored" for s in in_order)
    assert {c.language for c in Comment.objects.filter(site=other_site)} >= {"en", "ko"}


@pytest.mark.django_db(transaction=True)
def test_overlapped_batches_store_what_one_at_a_time_does(site: Any, other_site: Any,
                                                          shared_model: ClassifierModel) -> None:
    """On PostgreSQL, where batches overlap (the campaign scorer's fingerprints and
    same-address counts worked out before the lock, while the previous batch is
    written): the same Scores as one comment at a time, campaigns and bursts
    across batches included."""

    overlap_only()
    one_by_one = [pipeline.score_comment(c) for c in furnish(site)]
    comments = furnish(other_site)
    assert pipeline.score_batches(comments, batch=4) == {"scored": len(comments), "not_scored": 0}
    stored = {s.comment_id: s for s in Score.objects.filter(comment__site=other_site)}
    assert [comparable(stored[c.pk]) for c in comments] == [comparable(s) for s in one_by_one]
    assert stored[comments[8].pk].scores["campaign"] == 0.5
    assert "6 comments from one address in 10 min" in stored[comments[14].pk].reasons


def test_a_background_batch_over_partial_scores_stores_what_one_at_a_time_does(
        site: Any, other_site: Any, shared_model: ClassifierModel) -> None:
    """As a burst of submissions: each comment's request stage alone, then the
    background stage one by one on one site and as one batch on the other (the
    stored Scores updated in one statement); the Scores read back are equal."""
    stored = []
    for target, batched in ((site, False), (other_site, True)):
        comments = furnish(target)
        for c in comments:
            pipeline.score_comment(c, "request")
        if batched:
            pipeline.score_comments(comments, "background")
        else:
            for c in comments:
                pipeline.score_comment(c, "background")
        by_id = {s.comment_id: s for s in Score.objects.filter(comment__site=target)}
        stored.append([comparable(by_id[c.pk]) for c in comments])
    assert stored[0] == stored[1]
    # Scored, but for the bodies that could not be stored as given (the stored text is
    # another: left for an edit's own scoring).
    bodies = dict(Comment.objects.filter(site=other_site).values_list("pk", "body"))
    assert [s["state"] == "scored" and "classifier" in s["scores"] for s in stored[1]] == [
        bodies[c.pk] == c.body for c in comments]


def test_every_bad_text_in_one_batch_is_scored(site: Any, shared_model: ClassifierModel) -> None:
    """Empty, whitespace, emoji-only, huge, control-character and broken texts in one
    batch pass every default scorer; each gets its own scored Score."""
    comments = furnish(site)[-len(BAD_INPUTS):]
    scores = pipeline.score_comments(comments)
    assert [s.comment_id for s in scores] == [c.pk for c in comments]
    assert all(s.state == "scored" and s.skipped == {} for s in scores)
    assert Score.objects.filter(comment__in=comments, state="scored").count() == len(BAD_INPUTS)


def test_a_nul_in_a_matched_span_does_not_fail_the_batch(site: Any, scorers: Any, make_comment: Any) -> None:
    """A banned term written around a NUL (an imported body) is found and shown
    without the NUL, which PostgreSQL's JSON could not store; the batch is stored."""
    scorers({"NAME": "commentdesk.triage.scorers.wordlists.WordListScorer"})
    WordList.objects.create(site=site, kind="banned", terms="spam")
    comments = [make_comment("placeholder"), make_comment("fine")]
    comments[0].body = "sp\x00am here"
    scores = pipeline.score_comments(comments)
    assert scores[0].reasons == ['banned term: spam ("sp\ufffdam")'] and scores[1].reasons == []
    assert Score.objects.get(comment=comments[0]).scores == {"words": 0.95}


def test_failing_scorer_is_skipped_for_each_comment_of_a_batch(scorers: Any, make_comment: Any) -> None:
    """A scorer that raises on every comment is skipped with its reason on each; the others count."""
    scorers({"NAME": TEST + "BrokenScorer"}, {"NAME": TEST + "FixedScorer", "OPTIONS": {"value": 0.6}})
    scores = pipeline.score_comments([make_comment(f"comment {i}") for i in range(4)])
    assert [s.skipped for s in scores] == [{"broken": "failed: RuntimeError: boom"}] * 4
    assert [s.risk for s in scores] == [0.6] * 4


def test_one_bad_comment_costs_only_its_own_score(scorers: Any, make_comment: Any) -> None:
    """A batch call that fails is retried comment by comment: only the comment that
    fails alone is skipped."""
    scorers({"NAME": TEST + "PickyScorer"})
    scores = pipeline.score_comments([make_comment("fine"), make_comment("poison here"), make_comment("also fine")])
    assert [s.scores.get("picky") for s in scores] == [0.2, None, 0.2]
    assert scores[1].skipped == {"picky": "failed: ValueError: poison in the batch"}


def test_scorer_giving_too_few_results_is_skipped(scorers: Any, make_comment: Any, monkeypatch: Any) -> None:
    """A batch answer of the wrong length counts as a failure of each comment, not a shifted result."""
    from commentdesk.triage.tests.scorers import FixedScorer

    scorers({"NAME": TEST + "FixedScorer"})
    monkeypatch.setattr(FixedScorer, "score_many", lambda self, contexts: [])
    scores = pipeline.score_comments([make_comment("a"), make_comment("b")])
    assert [s.skipped["fixed"] for s in scores] == ["failed: ValueError: gave 0 results for 1 comments"] * 2


def test_settings_changed_reach_the_next_score(site: Any, scorers: Any, make_comment: Any) -> None:
    """Word lists and link policies are remembered per process, yet an edit counts from the next comment on."""
    scorers({"NAME": "commentdesk.triage.scorers.wordlists.WordListScorer"},
            {"NAME": "commentdesk.triage.scorers.links.LinkScorer"})
    assert pipeline.score_comment(make_comment("zzz top at https://x.example")).scores == {"words": 0.0,
                                                                                           "links": 0.1}
    words = WordList.objects.create(site=site, kind="banned", terms="zzz")
    TriagePolicy.objects.create(site=site, blocked_domains="x.example")
    assert pipeline.score_comment(make_comment("zzz top at https://x.example")).scores == {"words": 0.95,
                                                                                           "links": 0.95}
    words.terms = "other"
    words.save()
    assert pipeline.score_comment(make_comment("zzz again")).scores["words"] == 0.0


def test_retrained_classifier_is_used_at_once(site: Any, tmp_path: Path, make_comment: Any, scorers: Any) -> None:
    """A new version replaces the remembered one for the next comment."""
    scorers({"NAME": "commentdesk.triage.scorers.classifier.ClassifierScorer", "OPTIONS": {"stage": "request"}})
    write_csv(tmp_path / "en" / "train.csv", [(t, 1) for t in SPAM] + [(t, 0) for t in HAM])
    first = classifier.train_for_site(site, tmp_path)
    assert pipeline.score_comment(make_comment("casino bonus")).model_version == first.version
    second = classifier.train_for_site(site, tmp_path)
    assert pipeline.score_comment(make_comment("casino bonus")).model_version == second.version


def test_background_task_scores_the_waiting_comments_together(scorers: Any, make_comment: Any) -> None:
    """The first task scores every later comment still waiting; their tasks find them scored."""
    scorers({"NAME": TEST + "FixedScorer", "OPTIONS": {"value": 0.5}},
            {"NAME": TEST + "FixedScorer", "OPTIONS": {"name": "later", "value": 0.5, "stage": "background"}})
    comments = [make_comment(f"comment {i}") for i in range(3)]
    for c in comments:
        assert pipeline.score_comment(c, "request").state == "partial"
    assert tasks.score_in_background.call(comments[0].pk) == "scored"
    assert list(Score.objects.order_by("comment_id").values_list("state", "risk")) == [("scored", 0.75)] * 3
    assert tasks.score_in_background.call(comments[2].pk) == "already scored"


def test_task_for_many_comments_counts_the_gone(scorers: Any, make_comment: Any) -> None:
    """``score_many_in_background`` (for importers) scores what exists and counts the
    deleted and the erased (a tombstone: nothing to score) as gone."""
    scorers({"NAME": TEST + "FixedScorer"})
    comments = [make_comment(f"imported {i}") for i in range(4)]
    Comment.objects.filter(pk=comments[3].pk).update(status=Comment.Status.REMOVED, body="")
    assert tasks.score_many_in_background.call([c.pk for c in comments] + [10**9]) == {
        "scored": 3, "not_scored": 0, "gone": 2}
    assert not Score.objects.filter(comment=comments[3]).exists()
    assert Score.objects.filter(state="scored").count() == 3


@pytest.mark.parametrize("edited_at", [True, False], ids=["author", "moderator"])
def test_a_batch_does_not_finish_a_score_whose_text_was_edited_meanwhile(
    scorers: Any, make_comment: Any, edited_at: bool
) -> None:
    """The worker loaded the old text; an edit restarted the Score: the batch leaves that one
    partial for the edit's own task, and scores the others (from an attack). An author's edit
    sets ``edited_at``; a moderator's does not, so the texts themselves are compared."""
    scorers({"NAME": TEST + "FixedScorer", "OPTIONS": {"value": 0.5}},
            {"NAME": TEST + "FixedScorer", "OPTIONS": {"name": "later", "value": 0.5, "stage": "background"}})
    comments = [make_comment(f"comment {i}") for i in range(3)]
    for c in comments:
        pipeline.score_comment(c, "request")
    loaded = list(Comment.objects.filter(pk__in=[c.pk for c in comments]).order_by("pk"))
    Comment.objects.filter(pk=comments[1].pk).update(
        body="edited meanwhile", **({"edited_at": timezone.now()} if edited_at else {}))
    pipeline.score_comments(loaded, "background")
    assert list(Score.objects.order_by("comment_id").values_list("state", flat=True)) == [
        "scored", "partial", "scored"]


def test_a_batch_stores_nothing_of_a_comment_erased_meanwhile(site: Any, scorers: Any, make_comment: Any) -> None:
    """The worker loaded the texts; commenters' erasures then removed one comment (answered:
    a tombstone stays) and deleted another, with their Scores and fingerprints: the batch
    stores neither again and scores the rest (from an attack)."""
    from commentdesk.privacy.rights import erase
    from commentdesk.triage.models import Fingerprint

    scorers({"NAME": TEST + "FixedScorer", "OPTIONS": {"value": 0.5}},
            {"NAME": "commentdesk.triage.scorers.campaigns.CampaignScorer", "OPTIONS": {"stage": "background"}})
    erased, kept, deleted = (make_comment(f"My own story about the harbour renovation, number {i}.")
                             for i in range(3))
    make_comment("A reply to the erased one.", parent=erased)  # so that the erasure leaves a tombstone
    for c in (erased, kept, deleted):
        pipeline.score_comment(c, "request")
    loaded = list(Comment.objects.select_related("site").filter(pk__in=[erased.pk, kept.pk, deleted.pk])
                  .order_by("pk"))
    erase(erased.commenter, "delete")
    erase(deleted.commenter, "delete")
    assert Comment.objects.get(pk=erased.pk).status == "removed"
    assert not Comment.objects.filter(pk=deleted.pk).exists()
    pipeline.score_comments(loaded, "background")
    assert not Score.objects.filter(comment__in=[erased, deleted]).exists()
    assert not Fingerprint.objects.filter(comment=erased).exists()
    assert Score.objects.get(comment=kept).state == "scored" and Fingerprint.objects.filter(comment=kept).exists()


@pytest.mark.django_db(transaction=True)
def test_an_edit_during_a_batch_waits_for_it_and_its_own_scoring_follows(
    site: Any, scorers: Any, make_comment: Any, moderator: Any, monkeypatch: Any
) -> None:
    """An import's batch is storing its Scores when a moderator edits one of its comments
    in another connection. On PostgreSQL the batch holds its comments until it commits:
    the edit waits, then its own scoring replaces the batch's Score of the old text
    (before, the two met: the edit's Score made the batch's insert conflict, and an
    erasure or an edit at that moment left the old text's fingerprint behind)."""
    import threading

    from django.db import connection

    from commentdesk.moderation.decisions import edit

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")
    scorers({"NAME": TEST + "FixedScorer", "OPTIONS": {"value": 0.5}},
            {"NAME": TEST + "FixedScorer", "OPTIONS": {"name": "later", "value": 0.5, "stage": "background"}})
    comments = [make_comment(f"Imported comment number {i}.", import_source="disqus", import_id=str(i))
                for i in range(5)]
    target, original, calls, threads = comments[2], pipeline._store_new, [], []

    def other() -> None:
        try:
            edit(Comment.objects.select_related("site").get(pk=target.pk), "Edited by the desk.", moderator, "other")
        finally:
            connection.close()  # this thread's own connection

    def store_new(scores: list[Score]) -> None:
        calls.append(len(scores))
        if len(calls) == 1:
            threads.append(threading.Thread(target=other))
            threads[0].start()
            threads[0].join(0.5)
            assert threads[0].is_alive()  # waiting for the batch's lock on the comment
        original(scores)

    monkeypatch.setattr(pipeline, "_store_new", store_new)
    assert tasks.score_many_in_background.call([c.pk for c in comments]) == {
        "scored": 5, "not_scored": 0, "gone": 0}
    threads[0].join(30)
    assert not threads[0].is_alive() and calls == [5]
    assert Comment.objects.get(pk=target.pk).body == "Edited by the desk."
    assert Score.objects.get(comment=target).state == "partial"  # the edit's own scoring started afresh
    assert Score.objects.exclude(comment=target).filter(state="scored").count() == 4
    assert tasks.score_in_background.call(target.pk) == "scored"


@pytest.mark.django_db(transaction=True)
def test_a_submissions_scoring_during_a_batch_waits_for_it_without_a_deadlock(
    scorers: Any, make_comment: Any, monkeypatch: Any
) -> None:
    """A batch holds its comments (PostgreSQL) when one of them is scored again in
    another connection (an edit's scoring, as a submission's). That scoring takes the
    comment's row before its Score's, as the batch does, so it waits and then both
    finish. The other way round the two took the rows in opposite orders: PostgreSQL
    broke the deadlock by failing one, and a rescore lost a batch of 500 or the edit
    ended "not scored"."""
    import threading

    from django.db import connection

    from commentdesk.triage import signals
    from commentdesk.triage.tests.conftest import LANGUAGE

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")
    scorers(LANGUAGE, {"NAME": TEST + "FixedScorer", "OPTIONS": {"name": "later", "value": 0.5,
                                                                  "stage": "background"}})
    comments = [make_comment(f"This is a perfectly ordinary English comment, number {i}.") for i in range(4)]
    target = comments[1]
    pipeline.score_comment(target, "request")  # its Score exists, as after a submission
    Comment.objects.filter(pk=target.pk).update(language="")  # as an edit leaves it
    original, threads, failures = pipeline.run_scorers_many, [], []

    def other() -> None:
        try:
            signals.on_comment_submitted(sender=Comment, comment=Comment.objects.select_related("site").get(
                pk=target.pk))
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connection.close()  # this thread's own connection

    def run_scorers_many(chosen: Any, contexts: Any, spent: Any = None) -> Any:
        if not threads:  # the batch holds its comments now
            threads.append(threading.Thread(target=other))
            threads[0].start()
            threads[0].join(0.5)
            assert threads[0].is_alive()  # waiting for the batch's lock on the comment
        return original(chosen, contexts, spent)

    monkeypatch.setattr(pipeline, "run_scorers_many", run_scorers_many)
    deadlocks: list[BaseException] = []  # transactions PostgreSQL ended to break a deadlock
    retryable = pipeline.retryable
    monkeypatch.setattr(pipeline, "retryable", lambda exc: deadlocks.append(exc) or retryable(exc))
    batch = list(Comment.objects.select_related("site").filter(pk__in=[c.pk for c in comments]).order_by("pk"))
    scores = pipeline.score_comments(batch, "background")
    threads[0].join(30)
    assert not threads[0].is_alive() and failures == [] and deadlocks == []
    assert [s.state for s in scores] == ["scored"] * 4
    # The submission's scoring came after the batch: its own first stage, its background queued.
    assert Score.objects.get(comment=target).state == "partial"
    assert not Score.objects.filter(state="not_scored").exists()
    assert Comment.objects.get(pk=target.pk).language == "en"


@pytest.mark.django_db(transaction=True)
def test_a_batch_ended_by_a_deadlock_is_scored_again(scorers: Any, make_comment: Any, monkeypatch: Any) -> None:
    """PostgreSQL ends one transaction of a deadlock (SQLSTATE 40P01): a batch, and a
    submission's scoring, so ended run once more and store everything, languages
    included (the first attempt's language was rolled back with it)."""
    from django.db import OperationalError, connection

    from commentdesk.triage import signals
    from commentdesk.triage.tests.conftest import LANGUAGE

    class Deadlock(Exception):
        sqlstate = "40P01"

    def deadlock() -> OperationalError:
        error = OperationalError("deadlock detected")
        error.__cause__ = Deadlock()
        return error

    scorers(LANGUAGE, {"NAME": TEST + "FixedScorer", "OPTIONS": {"value": 0.5, "stage": "background"}})
    first, second = (make_comment(f"An ordinary English comment about the budget, number {i}.") for i in range(2))
    # A submission: the Score's upsert, after the language is written, is ended once.
    original_bulk_create, calls = Score.objects.bulk_create, []

    def bulk_create(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise deadlock()
        return original_bulk_create(*args, **kwargs)

    monkeypatch.setattr(Score.objects, "bulk_create", bulk_create)
    signals.on_comment_submitted(sender=Comment, comment=first)
    assert len(calls) == 2 and Score.objects.get(comment=first).state == "partial"
    assert Comment.objects.get(pk=first.pk).language == "en" and first.language == "en"
    if connection.vendor != "postgresql":
        return  # a batch runs again on PostgreSQL only (SQLite's single writer cannot deadlock)
    original_store_new, stored = pipeline._store_new, []

    def store_new(scores: list[Score]) -> None:
        stored.append(len(scores))
        if len(stored) == 1:
            raise deadlock()
        original_store_new(scores)

    monkeypatch.setattr(pipeline, "_store_new", store_new)
    second = Comment.objects.select_related("site").get(pk=second.pk)
    assert pipeline.score_batches([second]) == {"scored": 1, "not_scored": 0}
    assert stored == [1, 1] and Score.objects.get(comment=second).state == "scored"
    assert Comment.objects.get(pk=second.pk).language == "en"


@pytest.mark.django_db(transaction=True)
def test_housekeeping_queues_what_triage_left_unfinished(scorers: Any, make_comment: Any) -> None:
    """A Score left partial (a lost task, a crash; of a decided comment too, whose Score
    an undo puts back in the queue), a Score recorded "not scored" (a database error, the
    task queue down at a submission or an edit; of any status) and comments left without a
    Score (a lost task, an import whose task is lost) are scored by the worker after
    housekeeping; recent ones, finished ones and removed ones are left alone."""
    scorers({"NAME": TEST + "FixedScorer", "OPTIONS": {"value": 0.5}},
            {"NAME": TEST + "FixedScorer", "OPTIONS": {"name": "later", "value": 0.5, "stage": "background"}})
    old = timezone.now() - timedelta(minutes=20)
    stuck, recent, done, decided, removed = (make_comment(f"comment {i}", created_at=old) for i in range(5))
    for c in (stuck, recent, done, decided, removed):
        pipeline.score_comment(c, "request")
    failed, failed_decided = (make_comment(f"failed {i}", created_at=old) for i in range(2))
    for c in (failed, failed_decided):
        pipeline.mark_not_scored(c.pk, "background queue unavailable (OperationalError)")
    Score.objects.exclude(comment=recent).update(scored_at=old)
    pipeline.score_comment(done, "background")
    Score.objects.filter(comment=done).update(scored_at=old)
    Comment.objects.filter(pk__in=[decided.pk, failed_decided.pk]).update(status="rejected")
    Comment.objects.filter(pk=removed.pk).update(status="removed")
    lost = make_comment("never scored", created_at=old)
    make_comment("imported", created_at=old, import_source="disqus", import_id="1")
    make_comment("just posted")
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    assert "queued 6 unfinished scoring(s)" in out.getvalue()
    call_command("housekeeping", stdout=out)  # no worker ran yet: nothing queued twice
    assert "queued 0 unfinished scoring(s)" in out.getvalue().splitlines()[-1]
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=io.StringIO(), stderr=io.StringIO())
    states = dict(Score.objects.values_list("comment__body", "state"))
    assert states == {"comment 0": "scored", "comment 1": "partial", "comment 2": "scored", "comment 3": "scored",
                      "comment 4": "partial", "failed 0": "scored", "failed 1": "scored",
                      "never scored": "scored", "imported": "scored"}
    assert Score.objects.get(comment=lost).scores == {"fixed": 0.5, "later": 0.5}
    assert Score.objects.get(comment=failed).scores == {"fixed": 0.5, "later": 0.5}
    call_command("housekeeping", stdout=out)
    assert "queued 0 unfinished scoring(s)" in out.getvalue().splitlines()[-1]
    make_comment("lost after the worker ran", created_at=old)
    call_command("housekeeping", stdout=out)  # the tasks queued before have run: queued again
    assert "queued 1 unfinished scoring(s)" in out.getvalue().splitlines()[-1]


def test_housekeeping_gives_up_on_a_comment_that_always_fails(scorers: Any, make_comment: Any,
                                                             monkeypatch: Any) -> None:
    """Each failure counts; after ``MAX_FAILURES`` in a row housekeeping no longer
    queues the comment (it was tried, with a traceback, at every run for good);
    scoring it by hand still works and starts the count again."""
    from django.core.cache import cache

    scorers({"NAME": TEST + "FixedScorer"})
    old = timezone.now() - timedelta(minutes=20)
    poison = make_comment("always fails", created_at=old)
    fail_to_store(monkeypatch, poison)
    pipeline.mark_not_scored(poison.pk, "scoring failed (DatabaseError)")
    queued = []
    for _ in range(Score.MAX_FAILURES + 1):
        Score.objects.filter(comment=poison).update(scored_at=old)
        cache.delete(tasks.REQUEUED_KEY)  # as after a worker took the tasks queued before
        queued.append(tasks.requeue_unfinished())
        if queued[-1]:  # the queued task's work
            assert tasks.score_many_in_background.call([poison.pk]) == {"scored": 0, "not_scored": 1, "gone": 0}
    assert queued == [1] * (Score.MAX_FAILURES - 1) + [0, 0]
    score = Score.objects.get(comment=poison)
    assert (score.state, score.failures) == ("not_scored", Score.MAX_FAILURES)
    assert score.summary == ("not scored: scoring failed (DatabaseError); failed 5 times, no longer tried again "
                             "(`commentdesk triage rescore --site …` tries it)")
    monkeypatch.undo()
    assert pipeline.score_comment(poison).failures == 0
    assert Score.objects.get(comment=poison).failures == 0


def test_a_batch_that_fails_is_scored_one_by_one(site: Any, scorers: Any, make_comment: Any,
                                                  monkeypatch: Any) -> None:
    """One comment whose Score cannot be stored fails its whole batch: the others are
    then scored one by one, and only that one is recorded "not scored"."""

    scorers({"NAME": TEST + "FixedScorer"})
    comments = [make_comment(f"comment {i}") for i in range(5)]
    poison = comments[3]
    fail_to_store(monkeypatch, poison)
    assert pipeline.score_batches(comments, batch=3) == {"scored": 4, "not_scored": 1}
    states = dict(Score.objects.values_list("comment_id", "state"))
    assert states == {**{c.pk: "scored" for c in comments if c != poison}, poison.pk: "not_scored"}


@pytest.mark.django_db(transaction=True)
def test_overlapped_batches_score_as_one_at_a_time(scorers: Any, make_comment: Any, moderator: Any,
                                                   monkeypatch: Any) -> None:
    """On PostgreSQL, outside a transaction, batches overlap: the unlocked scorers run
    in the calling thread, the locked ones (the campaign's fingerprints) and the writes
    in the writer thread, batch after batch. Every comment is scored; near-duplicates
    in earlier batches are found; a comment edited after the unlocked scorers read it
    gets nothing of its old text; a batch that cannot be stored is scored one by one."""
    import threading

    from commentdesk.moderation.decisions import edit
    from commentdesk.triage import campaigns
    from commentdesk.triage.scorers import campaigns as campaign_scorer

    overlap_only()
    scorers({"NAME": TEST + "FixedScorer", "OPTIONS": {"value": 0.2}},
            {"NAME": TEST + "ThreadScorer", "OPTIONS": {"name": "early"}},
            {"NAME": "commentdesk.triage.scorers.campaigns.CampaignScorer"},
            {"NAME": TEST + "ThreadScorer", "OPTIONS": {"name": "late", "locked": True}},
            {"NAME": TEST + "ThreadScorer", "OPTIONS": {"name": "broken", "locked": True, "fail_before_lock": True}})
    start = timezone.now() - timedelta(minutes=30)
    comments = [make_comment(CAMPAIGN.format(n=2026 + i), created_at=start + timedelta(minutes=i))
                for i in range(7)]
    edited, poison = comments[4], comments[6]
    ahead = pipeline.score_ahead

    def score_ahead(batch: list[Comment], stage: str) -> Any:
        found = ahead(batch, stage)
        if edited in batch:  # an edit commits after the unlocked scorers read the text
            edit(Comment.objects.select_related("site").get(pk=edited.pk), "Rewritten by the desk.", moderator, "other")
        return found

    # Where the campaign scorer's MinHash fingerprints are worked out: its before_lock,
    # or record_many when it was handed none.
    printed: list[tuple[str, str]] = []
    for module, where in ((campaign_scorer, "before_lock"), (campaigns, "record_many")):
        def fingerprints(texts: list[str], _real: Any = module.fingerprints, _where: str = where) -> Any:
            printed.append((_where, threading.current_thread().name))
            return _real(texts)
        monkeypatch.setattr(module, "fingerprints", fingerprints)
    monkeypatch.setattr(pipeline, "score_ahead", score_ahead)
    fail_to_store(monkeypatch, poison)
    assert pipeline.score_batches(comments, batch=3) == {"scored": 6, "not_scored": 1}
    assert printed.count(("before_lock", "MainThread")) == 3
    assert not [p for p in printed if p[1] != "MainThread"]  # never again in the writer
    scores = {s.comment_id: s for s in Score.objects.all()}
    assert scores[poison.pk].state == "not_scored"
    # The edit's own Score (its background stage queued), with nothing of the old text.
    assert scores[edited.pk].state == "partial" and "campaign" not in scores[edited.pk].scores
    written = [c for c in comments if c not in (edited, poison)]
    assert all(scores[c.pk].state == "scored" for c in written)
    threads = {(scores[c.pk].details["early"]["thread"], scores[c.pk].details["late"]["thread"])
               for c in written[:4]}  # the first two batches, written by the writer thread
    assert len(threads) == 1 and threads.pop()[1].startswith("triage-writer")
    assert scores[comments[0].pk].details["early"]["thread"] == "MainThread"
    # A locked scorer's before_lock runs with the unlocked scorers, in the calling thread;
    # one that failed left nothing half-done: its scorer did the work itself.
    assert {scores[c.pk].details["late"]["ready"] for c in written} == {"MainThread"}
    assert {scores[c.pk].details["broken"]["ready"] for c in written} == {None}
    assert all(scores[c.pk].details["broken"]["thread"].startswith("triage-writer") for c in written)
    assert [scores[c.pk].scores["campaign"] for c in written] == [0.0, 0.4, 0.5, 0.6, 0.7]
    assert set(scores[comments[5].pk].details) == {"fixed", "early", "campaign", "late", "broken"}


@pytest.mark.django_db(transaction=True)
def test_overlapped_batches_count_no_same_address_comment_erased_before_the_lock(
        site: Any, scorers: Any, monkeypatch: Any) -> None:
    """A commenter erased after the unlocked scorers ran, before the batch's lock: their
    comments from the same address are not counted as a burst (the count is read under
    the lock; read before it, it was kept with its reason until the next scoring)."""

    from commentdesk.comments.tests.factories import CommenterFactory
    from commentdesk.privacy.rights import erase

    overlap_only()
    scorers({"NAME": "commentdesk.triage.scorers.campaigns.CampaignScorer"})
    thread, start = ThreadFactory(site=site), timezone.now() - timedelta(minutes=8)
    gone = CommenterFactory(site=site)
    for i in range(5):
        CommentFactory(thread=thread, commenter=gone, body=f"an opinion of my own, number {i}", ip_hash="shared",
                       created_at=start + timedelta(minutes=i))
    comment = CommentFactory(thread=thread, body="another reader behind the same address", ip_hash="shared")
    ahead = pipeline.score_ahead

    def score_ahead(batch: list[Comment], stage: str) -> Any:
        found = ahead(batch, stage)
        erase(gone, "delete")  # commits after the unlocked scorers, before the lock
        return found

    monkeypatch.setattr(pipeline, "score_ahead", score_ahead)
    assert pipeline.score_batches([Comment.objects.select_related("site").get(pk=comment.pk)]) == {
        "scored": 1, "not_scored": 0}
    score = Score.objects.get(comment=comment)
    assert not Comment.objects.filter(commenter=gone).exists()
    assert score.details["campaign"]["same_address"] == 0 and score.scores["campaign"] == 0.0


@pytest.mark.django_db(transaction=True)
def test_a_locked_scorers_time_before_the_lock_counts_against_its_budget(scorers: Any, make_comment: Any) -> None:
    """Work moved into before_lock is not free of the budget: over it, the scorer is
    skipped where batches overlap as it would be where they do not."""

    overlap_only()
    scorers({"NAME": TEST + "FixedScorer", "OPTIONS": {"value": 0.2}},
            {"NAME": TEST + "SlowScorer", "OPTIONS": {"budget": 0.01, "before_lock_sleep": 0.2}})
    comments = [make_comment(f"comment number {i}") for i in range(4)]
    assert pipeline.score_batches(comments, batch=2) == {"scored": 4, "not_scored": 0}
    for score in Score.objects.all():
        assert score.scores == {"fixed": 0.2, "slow": None}
        assert score.skipped["slow"].startswith("over its time budget (0.1")


@pytest.mark.django_db(transaction=True)
def test_overlapped_batches_settle_the_last_batch_when_the_comments_fail(scorers: Any, make_comment: Any,
                                                                         monkeypatch: Any) -> None:
    """The comments' iterator raising (a database error reading the next ones) while a
    failed batch is in flight: that batch is still scored one by one, and the error
    goes on (before, the batch's failure was never looked at: no Score, no log)."""

    overlap_only()
    scorers({"NAME": TEST + "FixedScorer", "OPTIONS": {"value": 0.2}})
    comments = [make_comment(f"comment number {i}") for i in range(6)]
    poison = comments[1]

    def loaded() -> Any:
        yield from comments[:4]
        raise OperationalError("server closed the connection unexpectedly")

    from django.db import OperationalError

    fail_to_store(monkeypatch, poison)
    with pytest.raises(OperationalError):
        pipeline.score_batches(loaded(), batch=3)
    states = dict(Score.objects.values_list("comment_id", "state"))
    assert states == {comments[0].pk: "scored", poison.pk: "not_scored", comments[2].pk: "scored"}


def test_rescore_scores_every_comment_of_the_status(site: Any, scorers: Any, make_comment: Any) -> None:
    """``triage rescore`` scores the site's comments of that status, in batches, and says how many."""
    scorers({"NAME": TEST + "FixedScorer"})
    for i in range(3):
        make_comment(f"pending {i}")
    make_comment("approved", status="approved")
    CommentFactory(thread=ThreadFactory(site=SiteFactory(slug="elsewhere")), body="other site")
    out = io.StringIO()
    call_command("triage", "rescore", "--site", site.slug, stdout=out)
    assert out.getvalue().strip() == "3 comments scored"
    assert Score.objects.count() == 3
    out = io.StringIO()
    call_command("triage", "rescore", "--site", site.slug, "--status", "approved", stdout=out)
    assert out.getvalue().strip() == "1 comment scored"


def test_rescore_all_scores_every_status_but_removed(site: Any, scorers: Any, make_comment: Any) -> None:
    """``--status all`` scores an imported history too (approved, rejected, spam), never a removed placeholder."""
    scorers({"NAME": TEST + "FixedScorer"})
    kept = [make_comment(status) for status in ("pending", "approved", "rejected", "spam")]
    make_comment("", status="removed")
    out = io.StringIO()
    call_command("triage", "rescore", "--site", site.slug, "--status", "all", stdout=out)
    assert out.getvalue().strip() == "4 comments scored"
    assert set(Score.objects.values_list("comment_id", flat=True)) == {c.pk for c in kept}


def test_rescore_refuses_an_unknown_status(site: Any) -> None:
    """A status that does not exist is a clear error, and nothing is scored."""
    with pytest.raises(CommandError, match="--status must be one of"):
        call_command("triage", "rescore", "--site", site.slug, "--status", "pendng", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--status must be one of"):
        call_command("triage", "rescore", "--site", site.slug, "--status", "removed", stdout=io.StringIO())
    assert not Score.objects.exists()


def test_rescore_reports_a_batch_that_failed(site: Any, scorers: Any, make_comment: Any, monkeypatch: Any) -> None:
    """When a batch cannot be stored its comments are marked "not scored" and the command fails."""
    scorers({"NAME": TEST + "FixedScorer"})
    make_comment("one")

    def explode(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pipeline, "score_comments", explode)
    with pytest.raises(CommandError, match="^1 comment could not be scored"):
        call_command("triage", "rescore", "--site", site.slug, stdout=io.StringIO())
    assert Score.objects.get().summary == "not scored: scoring failed (OSError)"


TEXTS = [*SPAM[:5], *HAM[:5], *KO_BAD[:5], *KO_OK[:5], *BAD_INPUTS[:-1], "tab\tsep\nline  two \u00a0nbsp\u2003em"]


@pytest.fixture
def model(tmp_path: Path) -> Any:
    write_csv(tmp_path / "en" / "train.csv", [(t, 1) for t in SPAM + KO_BAD] + [(t, 0) for t in HAM + KO_OK])
    return classifier.fit(classifier.seed_examples([], tmp_path))


def test_hashed_columns_are_scikit_learns(model: Any) -> None:
    """The columns found per n-gram are FeatureHasher's, for every kind of text."""
    from sklearn.feature_extraction import FeatureHasher

    grams = sorted({g for t in TEXTS for g in model.named_steps["ngrams"].transformer_list[0][1].build_analyzer()(t)})
    expected = FeatureHasher(n_features=classifier.N_FEATURES, input_type="string",
                             alternate_sign=False).transform([[g] for g in grams]).indices
    assert classifier.hashed_columns(grams, classifier.N_FEATURES).tolist() == expected.tolist()


def test_ngram_counts_from_remembered_words_are_scikit_learns(model: Any) -> None:
    """Counting n-grams word by word from the per-process table gives the matrix
    scikit-learn's own transform gives, on a cold table and on a warm one."""
    union = model.named_steps["ngrams"]
    expected = union.transform(np.array(TEXTS, dtype=object))
    classifier._words.clear()
    for _ in range(2):
        assert (classifier._ngram_counts(union, TEXTS) != expected).nnz == 0


@pytest.mark.parametrize("limit", ["WORDS_KEPT", "GRAMS_KEPT"])
def test_a_full_word_table_starts_again_with_every_word_of_the_batch(model: Any, monkeypatch: Any,
                                                                    limit: str) -> None:
    """When a batch's new words overflow the table (its words or its n-grams), it
    starts again with all the batch's words, known ones too (they were lost with
    the rest before), learnt in slices; the counts and explanations stay
    scikit-learn's."""
    union = model.named_steps["ngrams"]
    classifier._words.clear()
    classifier._ngram_counts(union, TEXTS[:10])
    table = next(iter(classifier._words.values()))
    before = table.number
    known = len(table.number) if limit == "WORDS_KEPT" else table.grams_used
    monkeypatch.setattr(classifier, limit, known + 3)
    monkeypatch.setattr(classifier, "LEARN_SLICE", 50)
    expected = union.transform(np.array(TEXTS, dtype=object))
    assert (classifier._ngram_counts(union, TEXTS) != expected).nnz == 0  # a KeyError before
    explained = [classifier.explain(model, t) for t in TEXTS]
    assert table.number is not before  # it started again
    classifier._words.clear()
    monkeypatch.undo()
    assert explained == [classifier.explain(model, t) for t in TEXTS]


def test_a_table_started_again_learns_every_word_in_slices(monkeypatch: Any) -> None:
    """A full table starting again learns the batch's every word, not only its new
    ones, in slices of ``LEARN_SLICE`` n-grams (it took them in one piece when the
    new ones alone were few)."""
    table = classifier._WordTable((None, None, (2, 4), 2**20))
    known = [f"word{n:02d}" for n in range(20)]
    for word in known:
        table.learn([word])
    monkeypatch.setattr(classifier, "WORDS_KEPT", 21)
    monkeypatch.setattr(classifier, "LEARN_SLICE", 50)
    learnt, learn = [], classifier._WordTable._learn

    def spy(self: Any, missing: list[str]) -> None:
        learnt.append(sum(len(w) + 2 for w in missing) * 3)  # n-grams of 2 to 4 characters, at most
        learn(self, missing)

    monkeypatch.setattr(classifier._WordTable, "_learn", spy)
    table.learn([*known, "new1", "new2"])
    assert len(table.number) == 22 and len(learnt) > 1 and max(learnt) < 50 + 8 * 3
    assert table.gram_columns_of(["word05"])[0].tolist() == classifier.hashed_columns(
        [classifier._word_ngram("word05", (2, 4), i) for i in range(18)], 2**20).tolist()


def test_explanations_are_the_strongest_ngrams(model: Any) -> None:
    """``explain`` names what a direct dense computation of each n-gram's contribution
    (tf-idf × log-count ratio × coefficient) ranks first."""
    from sklearn.feature_extraction import FeatureHasher

    def direct(text: str) -> list[str]:
        vectorizer = model.named_steps["ngrams"].transformer_list[0][1]
        grams = sorted(set(vectorizer.build_analyzer()(text)))
        if not grams:
            return []
        row = model[:-1].transform(np.array([text], dtype=object)).toarray()[0]
        columns = FeatureHasher(n_features=vectorizer.n_features, input_type="string",
                                alternate_sign=False).transform([[g] for g in grams]).indices
        coef = model.named_steps["linear"].coef_[0]
        chosen: list[str] = []
        for value, gram in sorted(((row[c] * coef[c], g.strip()) for g, c in zip(grams, columns)), reverse=True):
            if value <= 0 or len(chosen) >= 3:
                break
            if len(gram) > 1 and not any(gram in c for c in chosen):
                chosen.append(gram)
        return chosen

    found = [classifier.explain(model, t) for t in TEXTS]
    assert found == [direct(t) for t in TEXTS]
    assert found[0]  # a spam text has reasons to show


@pytest.mark.parametrize("columns", [1, 2, 3])
def test_explanations_past_the_first_columns_are_the_same(model: Any, monkeypatch: Any, columns: int) -> None:
    """A text whose explanation needs more than its first ``EXPLAIN_COLUMNS``
    columns (one-letter n-grams, ties cut at the limit) is searched whole and
    explained as with every column looked at first."""
    whole = [classifier.explain(model, t) for t in TEXTS]
    monkeypatch.setattr(classifier, "EXPLAIN_COLUMNS", columns)
    searched: list[int] = []  # how many columns each call looked at
    choose = classifier._choose

    def spy(cols: list[int], *args: Any) -> tuple[list[str], bool]:
        searched.append(len(cols))
        return choose(cols, *args)

    monkeypatch.setattr(classifier, "_choose", spy)
    assert [classifier.explain(model, t) for t in TEXTS] == whole
    assert max(searched) > columns  # some text was searched whole


def test_vectorised_murmurhash_and_ngram_spans_are_scikit_learns() -> None:
    """The array MurmurHash3 gives scikit-learn's ``murmurhash3_32`` for keys of 0 to
    48 bytes with characters of every UTF-8 width, and the n-gram spans, and each
    n-gram cut alone, are scikit-learn's char_wb n-grams of each word, short words
    and one-length recipes included."""
    import random

    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.utils import murmurhash3_32

    rnd = random.Random(7)
    pools = [(0x20, 0x7E), (0x80, 0x7FF), (0x800, 0xD7FF), (0xE000, 0xFFFF), (0x10000, 0x10FFFF)]

    def text(n: int) -> str:
        return "".join(chr(rnd.randint(*rnd.choice(pools))) for _ in range(n))

    keys = ["", "a", "ab", "abc", "abcd", "abcde", *(text(rnd.randint(0, 12)) for _ in range(3000))]
    data, offsets = classifier._utf8("".join(keys))
    lengths = np.array([len(k) for k in keys])
    ends = np.cumsum(lengths)
    found = classifier._murmur3_32(data, offsets[ends - lengths], offsets[ends] - offsets[ends - lengths])
    assert found.tolist() == [murmurhash3_32(k, 0) for k in keys]

    # Words as str.split() cuts them: no white space, never empty.
    words = ["a", "ab", "abcde", "씨발", *("".join(text(rnd.randint(1, 9)).split()) or "x" for _ in range(300))]
    joined = "".join(f" {w} " for w in words)
    for ngram_range in [(1, 5), (2, 6), (1, 1), (4, 9)]:
        analyzer = HashingVectorizer(analyzer="char_wb", ngram_range=ngram_range, lowercase=False).build_analyzer()
        expected = [analyzer(w) for w in words]
        starts, spans, per_word = classifier._ngram_spans(words, ngram_range)
        assert [joined[a:a + n] for a, n in zip(starts.tolist(), spans.tolist())] == [
            g for grams in expected for g in grams]
        assert per_word.tolist() == [len(grams) for grams in expected]
        assert [[classifier._word_ngram(w, ngram_range, i) for i in range(len(grams))]
                for w, grams in zip(words, expected)] == expected
        with pytest.raises(IndexError):
            classifier._word_ngram("ab", ngram_range, len(expected[1]))


def test_a_long_batch_is_vectorised_in_slices_with_the_same_results(model: Any, monkeypatch: Any) -> None:
    """Cut into slices of a few characters, a batch gets the same probabilities and
    n-grams as in one piece."""
    whole = classifier.predict_explained(model, TEXTS, explain_at=0.0)
    monkeypatch.setattr(classifier, "TEXT_SLICE", 40)
    sliced = classifier.predict_explained(model, TEXTS, explain_at=0.0)
    assert sliced[0].tolist() == whole[0].tolist() and sliced[1] == whole[1]
    assert len(sliced[0]) == len(TEXTS)
    assert classifier.predict_explained(model, [])[1] == []
