"""Background scoring and retraining (Django's tasks framework; the database
backend by default, run by ``commentdesk db_worker``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from commentdesk.comments.models import Comment

logger = logging.getLogger(__name__)


@task
def score_in_background(comment_id: int) -> str:
    """Run the background-stage scorers over comment ``comment_id``, together with
    up to ``pipeline.BATCH - 1`` comments submitted after it that still wait for
    them (Score ``partial``), so that a worker behind on a burst of comments
    scores them in batches; their own tasks then find them scored. Each finished
    score then goes to the site's automation
    (:func:`commentdesk.triage.automation.automate`).

    Returns the Score's state (``scored``/``not_scored``), ``"gone"`` when the
    comment was deleted before the task ran, or ``"already scored"``. Never
    raises: a failure is recorded as "not scored: <why>" so that the desk sees it.
    """
    from commentdesk.triage import automation, pipeline
    from commentdesk.triage.models import Score

    comment = Comment.objects.select_related("site").filter(pk=comment_id).first()
    if comment is None:
        return "gone"
    state = Score.objects.filter(comment_id=comment_id).values_list("state", flat=True).first()
    if state in (Score.State.SCORED, Score.State.NOT_SCORED):
        return "already scored"
    # Comments submitted after it: walking the ids up from here costs no more than
    # the backlog itself (the Score's state has no index to search by).
    waiting = list(Comment.objects.select_related("site")
                   .filter(pk__gt=comment_id, triage_score__state=Score.State.PARTIAL)
                   .order_by("pk")[: pipeline.BATCH - 1])
    failure: Exception | None = None
    for batch in ([comment, *waiting], [comment]) if waiting else ([comment],):
        try:
            scores = pipeline.score_comments(batch, "background")
        except Exception as exc:
            # Alone next: one comment of the batch may be the cause. The others
            # keep their partial Scores and their own queued tasks.
            logger.exception("triage background scoring failed on comment %s (batch of %d)", comment_id,
                             len(batch))
            failure = exc
            continue
        for scored, score in zip(batch, scores, strict=True):
            if score.state == Score.State.SCORED:
                automation.automate(scored, score)
        return scores[0].state
    pipeline.mark_not_scored(comment_id, f"background scoring failed ({type(failure).__name__})")
    return "not_scored"


@task
def score_many_in_background(comment_ids: list[int], stage: str = "all") -> dict[str, int]:
    """Run the scorers of ``stage`` over the comments ``comment_ids`` in batches
    (:func:`commentdesk.triage.pipeline.score_batches`), e.g. after an import.
    Returns ``{"scored": n, "not_scored": n, "gone": n}`` (``gone``: deleted,
    erased (a tombstone), or scored meanwhile by another task); never raises. A
    comment recorded "not scored" is tried again."""
    from commentdesk.triage import pipeline

    from commentdesk.triage.models import Score

    ids = sorted(set(comment_ids))
    found = [0]
    # What another task scored meanwhile is left alone (an import's own task and
    # housekeeping's may both queue a comment).
    rows = (Comment.objects.select_related("site").exclude(triage_score__state=Score.State.SCORED)
            .exclude(status=Comment.Status.REMOVED))

    def comments() -> Iterator[Comment]:
        for start in range(0, len(ids), pipeline.BATCH):
            for comment in rows.filter(pk__in=ids[start:start + pipeline.BATCH]):
                found[0] += 1
                yield comment

    counts = pipeline.score_batches(comments(), stage)
    return counts | {"gone": len(ids) - found[0]}


@task
def retrain_classifier(site_id: int, when_due: bool = True) -> str:
    """Train a new classifier version for site ``site_id`` when it is still due
    (:func:`commentdesk.triage.retraining.is_due`: enough new decisions since
    its active version), or at once with ``when_due=False`` (the demo's first
    model), from ``TRIAGE_DATA_DIR`` and the site's decisions.

    Returns the new version, ``"not due"`` (a twin task trained it already, or
    the site is gone), or ``"nothing to learn: <why>"``. Never raises for data
    problems (``ValueError`` of training is returned as text).
    """
    from commentdesk.sites.models import Site
    from commentdesk.triage import classifier, retraining

    site = Site.objects.filter(pk=site_id).first()
    if site is None or (when_due and not retraining.is_due(site)):
        return "not due"
    try:
        return classifier.train_for_site(site).version
    except ValueError as exc:
        logger.warning("triage could not retrain the classifier of %s: %s", site.slug, exc)
        return f"nothing to learn: {exc}"


# A Score left partial this long, or a submitted comment left without one, is
# taken as lost by triage (see requeue_unfinished); at most REQUEUE_LIMIT a run.
UNFINISHED_AFTER = timedelta(minutes=15)
REQUEUE_LIMIT = 5_000


def requeue_unfinished(now: datetime | None = None) -> int:
    """Queue the scoring of comments that triage left unfinished, so that none
    waits unscored for good. Taken as unfinished ``UNFINISHED_AFTER`` after
    their Score was last written:

    - a Score still ``partial`` (its background task was lost: a worker killed
      in the middle, a database crash before the commit reached the disk), of a
      comment of any status but removed (an edited approved comment's Score is
      what an undo puts back in the queue);
    - a Score ``not scored`` (a database error failed its batch, the task queue
      was down when the comment was submitted or edited, which also left an
      edited comment's language blank), of any status but removed: scored
      again, every stage, at each run until it is scored, or until it failed
      ``Score.MAX_FAILURES`` times in a row (a comment that always fails was tried,
      with a traceback in the log, at every run for good; ``commentdesk triage
      rescore`` still tries it);
    - a pending comment with no Score at all, submitted that long ago or
      imported (an import's own task may still be queued: the comment is
      scored once, by whichever task comes first).

    At most ``REQUEUE_LIMIT`` comments a run, oldest first, and nothing while
    the tasks of the run before have not started (:func:`_still_queued`);
    ``commentdesk housekeeping`` calls it. Returns how many were queued."""
    from commentdesk.triage.models import Score

    if _still_queued():
        return 0
    cutoff = (now or timezone.now()) - UNFINISHED_AFTER
    unfinished = Score.objects.filter(scored_at__lt=cutoff).order_by("comment_id").values_list("comment_id", flat=True)
    partial = list(unfinished.filter(state=Score.State.PARTIAL).exclude(comment__status=Comment.Status.REMOVED)
                   [:REQUEUE_LIMIT])
    failed = list(unfinished.filter(state=Score.State.NOT_SCORED, failures__lt=Score.MAX_FAILURES)
                  .exclude(comment__status=Comment.Status.REMOVED)[:REQUEUE_LIMIT - len(partial)])
    pending = Comment.objects.filter(status=Comment.Status.PENDING).order_by("pk")
    missing = list(pending.filter(Q(created_at__lt=cutoff) | ~Q(import_source=""), triage_score__isnull=True)
                   .values_list("pk", flat=True)[:REQUEUE_LIMIT - len(partial) - len(failed)])
    queued = []
    if partial:
        queued.append(score_many_in_background.enqueue(partial, "background").id)
    if failed or missing:
        queued.append(score_many_in_background.enqueue(failed + missing, "all").id)
    cache.set(REQUEUED_KEY, queued, REQUEUED_KEPT)
    return len(partial) + len(failed) + len(missing)


# The cache key of the ids of the tasks requeue_unfinished queued last, kept a week.
REQUEUED_KEY = "triage:requeued"
REQUEUED_KEPT = 7 * 24 * 3600


def _still_queued() -> bool:
    """Whether a task that :func:`requeue_unfinished` queued before has not started
    yet (no worker runs, or it is behind): then the same comments are not queued
    again, so that tasks do not pile up run after run. A task the backend no
    longer knows (or a backend that keeps no results) counts as gone."""
    from django.tasks import TaskResultStatus

    for result_id in cache.get(REQUEUED_KEY) or []:
        try:
            if score_many_in_background.get_result(result_id).status == TaskResultStatus.READY:
                return True
        except Exception:  # unknown id, results not kept: queue again
            continue
    return False
