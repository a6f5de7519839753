"""Retraining as decisions accumulate, and the purge of old fingerprints, both
run from ``commentdesk housekeeping``."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from commentdesk.comments.models import Comment
from commentdesk.moderation.decisions import TRIAGE, decide
from commentdesk.triage import classifier, pipeline, retention, retraining
from commentdesk.triage.models import Campaign, ClassifierModel, Fingerprint, FingerprintBand, Score, TriagePolicy
from commentdesk.triage.tasks import retrain_classifier
from commentdesk.triage.tests.test_classifier import HAM, SPAM, seed_dir  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

CLASSIFIER = {"NAME": "commentdesk.triage.scorers.classifier.ClassifierScorer", "OPTIONS": {"stage": "request"}}
CAMPAIGN = {"NAME": "commentdesk.triage.scorers.campaigns.CampaignScorer", "OPTIONS": {"stage": "request"}}


def housekeeping() -> str:
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    return out.getvalue()


def run_tasks() -> None:
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=io.StringIO(), stderr=io.StringIO())


def decide_some(site: Any, make_comment: Any, publish: Any, n: int, start: int = 0) -> None:
    """``n`` decisions by Mo: every other one approves a fair comment, the others reject spam."""
    for i in range(start, start + n):
        if i % 2:
            publish(make_comment(HAM[i % len(HAM)] + f" #{i}"))
        else:
            publish(make_comment(SPAM[i % len(SPAM)] + f" #{i}"), action="reject", reason="spam")


@pytest.fixture
def small_n(site: Any, settings: Any, seed_dir: Path) -> Any:  # noqa: F811
    """Retrain after 4 decisions, from the small seed sets."""
    settings.TRIAGE_DATA_DIR = seed_dir
    return TriagePolicy.objects.create(site=site, retrain_after=4)


def test_due_after_n_decisions_by_people_since_the_active_version(
    site: Any, small_n: Any, make_comment: Any, publish: Any, seed_dir: Path  # noqa: F811
) -> None:
    """Decisions before the active version, triage's own decisions and restores do not count."""
    decide_some(site, make_comment, publish, 3)
    classifier.train_for_site(site, seed_dir)
    assert retraining.new_decisions(site) == 0
    decide_some(site, make_comment, publish, 3, start=3)
    decide(site, [make_comment("auto").public_id], "approve", TRIAGE)
    assert (retraining.new_decisions(site), retraining.is_due(site)) == (3, False)
    decide_some(site, make_comment, publish, 1, start=6)
    assert retraining.is_due(site) and retraining.due_sites() == [site]


def test_never_when_retrain_after_is_zero(site: Any, small_n: Any, make_comment: Any, publish: Any) -> None:
    """``retrain_after`` 0 turns retraining off however many decisions there are."""
    small_n.retrain_after = 0
    small_n.save()
    decide_some(site, make_comment, publish, 6)
    assert not retraining.is_due(site)


@pytest.mark.django_db(transaction=True)
def test_housekeeping_queues_a_retraining_that_keeps_versions(
    site: Any, small_n: Any, make_comment: Any, publish: Any, scorers: Any, seed_dir: Path  # noqa: F811
) -> None:
    """housekeeping queues the task; the worker trains a new active version from seed data plus
    decisions; the old version stays; a new Score names the new version; nothing is due afterwards."""
    first = classifier.train_for_site(site, seed_dir)
    decide_some(site, make_comment, publish, 4)
    assert "queued 1 retraining(s)" in housekeeping()
    run_tasks()
    newest = ClassifierModel.objects.get(site=site, is_active=True)
    assert newest.version != first.version
    assert ClassifierModel.objects.filter(version=first.version, is_active=False).exists()
    assert newest.trained_on["sources"]["decisions"] == 4
    scorers(CLASSIFIER)
    assert pipeline.score_comment(make_comment("buy cheap pills now")).model_version == newest.version
    assert "queued 0 retraining(s)" in housekeeping()


def test_task_trains_only_when_still_due(site: Any, small_n: Any, make_comment: Any, publish: Any) -> None:
    """A twin task queued before the first one trained finds nothing to do."""
    decide_some(site, make_comment, publish, 4)
    version = retrain_classifier.call(site.pk)
    assert ClassifierModel.objects.get(is_active=True).version == version
    assert retrain_classifier.call(site.pk) == "not due"
    assert ClassifierModel.objects.count() == 1


def test_nothing_to_learn_is_reported_not_raised(site: Any, make_comment: Any, publish: Any, settings: Any,
                                                 tmp_path: Path) -> None:
    """Without seed data and with decisions of one kind only the task answers why and trains nothing."""
    settings.TRIAGE_DATA_DIR = tmp_path
    TriagePolicy.objects.create(site=site, retrain_after=2)
    publish(make_comment("one"), make_comment("two"))
    assert retrain_classifier.call(site.pk).startswith("nothing to learn: training needs comments of both kinds")
    assert not ClassifierModel.objects.exists()


def test_triage_decisions_are_not_training_examples(site: Any, make_comment: Any, publish: Any) -> None:
    """Only people's decisions teach the classifier."""
    publish(make_comment("by a person"))
    decide(site, [make_comment("by triage").public_id], "reject", TRIAGE, reason="spam")
    assert classifier.decision_examples(site)[:2] == (["by a person"], [0])


def test_purge_forgets_old_fingerprints_keeps_comments_and_scores(
    site: Any, scorers: Any, make_comment: Any, settings: Any
) -> None:
    """Fingerprints, bands and campaigns older than TRIAGE_FINGERPRINT_DAYS go; recent ones, comments and Scores stay."""
    settings.TRIAGE_FINGERPRINT_DAYS = 30
    scorers(CAMPAIGN)
    text = "Vote for the new bridge today, everyone must sign the petition at city hall now."
    old = [make_comment(text) for _ in range(3)]
    for c in old:
        pipeline.score_comment(c)
    fresh = make_comment("A completely different and recent comment about the weather in spring.")
    pipeline.score_comment(fresh)
    assert Campaign.objects.count() == 1
    long_ago = timezone.now() - timedelta(days=31)
    Fingerprint.objects.filter(comment__in=old).update(created_at=long_ago)
    FingerprintBand.objects.filter(fingerprint__comment__in=old).update(created_at=long_ago)
    Campaign.objects.update(updated_at=long_ago)
    assert "purged 3 fingerprint(s)" in housekeeping()
    assert list(Fingerprint.objects.values_list("comment_id", flat=True)) == [fresh.pk]
    assert set(FingerprintBand.objects.values_list("fingerprint__comment_id", flat=True)) == {fresh.pk}
    assert not Campaign.objects.exists()
    assert Comment.objects.count() == 4 and Score.objects.count() == 4
    assert retention.purge_fingerprints() == (0, 0)


def test_a_purge_recounts_the_campaigns_its_fingerprints_left(make_comment: Any, scorers: Any) -> None:
    """Old members purged from a campaign that is still growing leave its count."""
    scorers(CAMPAIGN)
    text = "Share this before they delete it, the minister lied about the budget again {n}."
    copies = [make_comment(text.format(n=i)) for i in range(4)]
    pipeline.score_comments(copies)
    assert Campaign.objects.get().size == 4
    Fingerprint.objects.filter(comment__in=copies[:3]).update(created_at=timezone.now() - timedelta(days=91))
    assert retention.purge_fingerprints() == (3, 0)
    assert Campaign.objects.get().size == 1


def test_purge_refuses_a_window_under_one_day() -> None:
    """Keeping fingerprints for less than a day would break near-duplicate search: refused."""
    with pytest.raises(ValueError, match="at least one day"):
        retention.purge_fingerprints(days=0)
