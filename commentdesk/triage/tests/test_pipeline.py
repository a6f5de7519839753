"""The scoring pipeline: configured scorers, skips, stages, failures."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from commentdesk.comments.models import Comment
from commentdesk.triage import pipeline
from commentdesk.triage.checks import check_scorers
from commentdesk.triage.models import Score
from commentdesk.triage.tests.conftest import LANGUAGE, TEST
from commentdesk.triage.tests.scorers import SlowScorer

pytestmark = pytest.mark.django_db


def test_submitted_comment_is_scored_after_commit(
    scorers: Any, post_comment: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A comment posted through the API gets a Score and a language once its transaction commits."""
    scorers(LANGUAGE, {"NAME": TEST + "FixedScorer", "OPTIONS": {"value": 0.25}})
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_comment(body="This article explains the budget very clearly, thank you.")
    assert answer.status_code == 202
    comment = Comment.objects.get(public_id=answer.json()["comment"]["id"])
    score = comment.triage_score
    assert (score.state, score.risk, score.scores) == ("scored", 0.25, {"language": None, "fixed": 0.25})
    assert score.reasons == ["fixed 0.25"]
    assert comment.language == "en"


def test_failing_scorer_is_skipped_and_the_others_still_count(scorers: Any, make_comment: Any) -> None:
    """A scorer that raises is recorded as skipped with its error; the risk comes from the rest."""
    scorers({"NAME": TEST + "BrokenScorer"}, {"NAME": TEST + "FixedScorer", "OPTIONS": {"value": 0.6}})
    score = pipeline.score_comment(make_comment())
    assert score.state == "scored" and score.risk == 0.6
    assert score.skipped == {"broken": "failed: RuntimeError: boom"}
    assert score.reasons == ["fixed 0.6", "broken skipped: failed: RuntimeError: boom"]


def test_scorer_over_its_budget_is_skipped(scorers: Any, make_comment: Any, monkeypatch: Any) -> None:
    """A result that arrives after the scorer's time budget is discarded with the time it took."""
    monkeypatch.setattr(pipeline.time, "monotonic", lambda: SlowScorer.CLOCK[0])
    scorers({"NAME": TEST + "SlowScorer", "OPTIONS": {"budget": 0.5}})
    score = pipeline.score_comment(make_comment())
    assert score.risk is None
    assert score.skipped == {"slow": "over its time budget (1.50 s > 0.50 s)"}


@pytest.mark.django_db(transaction=True)
def test_background_scorers_run_in_a_task(scorers: Any, post_comment: Any) -> None:
    """Cheap scorers score in the request (state partial); the task adds the background ones."""
    scorers(
        {"NAME": TEST + "FixedScorer", "OPTIONS": {"value": 0.5}},
        {"NAME": TEST + "FixedScorer", "OPTIONS": {"name": "later", "value": 0.5, "stage": "background"}},
    )
    answer = post_comment()  # a real commit: the receiver runs at once
    score = Score.objects.get(comment__public_id=answer.json()["comment"]["id"])
    assert (score.state, score.risk) == ("partial", 0.5)
    assert score.to_dict()["reasons"] == ["fixed 0.5", "background scorers still queued"]
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=io.StringIO(), stderr=io.StringIO())
    score.refresh_from_db()
    assert (score.state, score.risk, score.scores) == ("scored", 0.75, {"fixed": 0.5, "later": 0.5})
    assert score.to_dict()["reasons"] == ["fixed 0.5", "fixed 0.5"]


def test_scoring_failure_never_loses_the_comment(
    scorers: Any, post_comment: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    """When scoring fails as a whole the comment is stored, answered 202 and marked "not scored: why"."""
    scorers(LANGUAGE)

    def explode(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pipeline, "score_comment", explode)
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_comment()
    assert answer.status_code == 202
    comment = Comment.objects.get(public_id=answer.json()["comment"]["id"])
    assert comment.status == "pending"
    score = comment.triage_score
    assert score.summary == "not scored: scoring failed (OSError)"
    assert score.to_dict() == {"risk": None, "scores": {}, "reasons": ["not scored: scoring failed (OSError)"]}


def test_an_edit_whose_scoring_fails_shows_nothing_of_the_old_text(
    scorers: Any, make_comment: Any, monkeypatch: Any
) -> None:
    """The old text was scored (0.9, a reason); the edit's scoring fails: the Score
    says "not scored" and keeps no score nor reason of the old text (the desk showed
    the old text's risk for the new one)."""
    from commentdesk.triage import signals

    scorers({"NAME": TEST + "FixedScorer", "OPTIONS": {"value": 0.9}})
    comment = make_comment("the old text")
    assert pipeline.score_comment(comment).risk == 0.9

    def explode(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pipeline, "score_comment", explode)
    Comment.objects.filter(pk=comment.pk).update(body="the new text")
    comment.body = "the new text"
    signals.on_comment_edited(sender=Comment, comment=comment)
    score = Score.objects.get(comment=comment)
    assert score.to_dict() == {"risk": None, "scores": {}, "reasons": ["not scored: scoring failed (OSError)"]}
    assert (score.details, score.skipped, score.model_version) == ({}, {}, "")


def test_queue_failure_is_recorded(
    scorers: Any, post_comment: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    """When the background task cannot be queued the Score says so; the reader still gets 202."""
    from commentdesk.triage import tasks

    scorers({"NAME": TEST + "FixedScorer", "OPTIONS": {"stage": "background"}})

    class Refusing:
        def enqueue(self, *args: Any) -> None:
            raise ConnectionError("no queue")

    monkeypatch.setattr(tasks, "score_in_background", Refusing())
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_comment()
    assert answer.status_code == 202
    score = Score.objects.get(comment__public_id=answer.json()["comment"]["id"])
    assert score.summary == "not scored: background queue unavailable (ConnectionError)"


def test_task_for_a_deleted_comment_does_nothing(make_comment: Any) -> None:
    """A queued task whose comment was deleted meanwhile ends quietly."""
    from commentdesk.triage.tasks import score_in_background

    comment = make_comment()
    pk = comment.pk
    comment.delete()
    assert score_in_background.call(pk) == "gone"
    assert not Score.objects.filter(comment_id=pk).exists()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"NAME": "commentdesk.triage.nowhere.Scorer"}, "cannot import"),
        ({"NAME": "commentdesk.triage.models.Score"}, "is not a Scorer subclass"),
        ({"NAME": TEST + "FixedScorer", "OPTIONS": {"stage": "later"}}, "bad OPTIONS"),
        ({"NAME": TEST + "FixedScorer", "OPTIONS": {"weight": 2}}, "bad OPTIONS"),
        ({"NAME": TEST + "FixedScorer", "OPTIONS": {"colour": "red"}}, "bad OPTIONS"),
    ],
)
def test_bad_configuration_is_refused_and_reported(settings: Any, entry: dict[str, Any], message: str) -> None:
    """Every broken TRIAGE_SCORERS entry raises ImproperlyConfigured and fails check triage.E001."""
    with pytest.raises(ImproperlyConfigured, match=message):
        pipeline.build_scorers([entry])
    settings.TRIAGE_SCORERS = [entry]
    assert [e.id for e in check_scorers()] == ["triage.E001"]


def test_default_configuration_passes_the_check() -> None:
    """The shipped TRIAGE_SCORERS builds."""
    assert check_scorers() == []


def test_weights_scale_each_scorer(scorers: Any, make_comment: Any) -> None:
    """A scorer's weight scales its share of the combined risk; reasons come strongest first."""
    scorers(
        {"NAME": TEST + "FixedScorer", "OPTIONS": {"name": "weak", "value": 0.9, "weight": 0.1}},
        {"NAME": TEST + "FixedScorer", "OPTIONS": {"name": "strong", "value": 0.5}},
    )
    score = pipeline.score_comment(make_comment())
    assert score.risk == pytest.approx(1 - (1 - 0.09) * 0.5)
    assert score.reasons == ["fixed 0.5", "fixed 0.9"]


BAD_INPUTS = [
    "",
    " \n\t ",
    "😀🔥💯" * 50,
    "x" * 100_000,
    "가" * 30_000 + " spam",
    "abc\x00\x07\x1b[31m\u202edef\ufeff\u200b",
    "이거 진짜 fake news 아님? 😂 http://bit.ly/x",
    "Z\u0301\u0302\u0303\u0304" * 500,
    "\ud800 lone surrogate",
]


@pytest.mark.parametrize("body", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_bad_input_never_crashes_the_default_scorers(site: Any, make_comment: Any, body: str, tmp_path: Any) -> None:
    """Empty, whitespace, emoji-only, huge, control and mixed-script bodies pass every default scorer
    (a classifier trained, a word list and a link policy in place) without one failing."""
    from commentdesk.triage import classifier
    from commentdesk.triage.models import TriagePolicy, WordList
    from commentdesk.triage.tests.test_classifier import HAM, KO_BAD, KO_OK, SPAM, write_csv

    write_csv(tmp_path / "seed" / "train.csv", [(t, 1) for t in SPAM] + [(t, 0) for t in HAM])
    write_csv(tmp_path / "ko_seed" / "train.csv", [(t, 1) for t in KO_BAD] + [(t, 0) for t in KO_OK])
    classifier.train_for_site(site, tmp_path)  # both of the site's languages: every body is scored
    WordList.objects.create(site=site, kind="banned", terms="spam\n씨발\nzzz")
    TriagePolicy.objects.create(site=site, blocked_domains="bit.ly")
    comment = make_comment("placeholder")
    comment.body = body  # as an import might store it, unnormalised
    score = pipeline.score_comment(comment)
    assert score.state == "scored" and score.skipped == {}
