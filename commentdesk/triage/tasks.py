"""Background scoring and retraining (Django's tasks framework; the database
backend by default, run by ``commentdesk db_worker``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.tasks import task

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
    Returns ``{"scored": n, "not_scored": n, "gone": n}``; never raises."""
    from commentdesk.triage import pipeline

    ids = sorted(set(comment_ids))
    found = [0]

    def comments() -> Iterator[Comment]:
        for start in range(0, len(ids), pipeline.BATCH):
            for comment in Comment.objects.select_related("site").filter(pk__in=ids[start:start + pipeline.BATCH]):
                found[0] += 1
                yield comment

    counts = pipeline.score_batches(comments(), stage)
    return counts | {"gone": len(ids) - found[0]}


@task
def retrain_classifier(site_id: int) -> str:
    """Train a new classifier version for site ``site_id`` when it is still due
    (:func:`commentdesk.triage.retraining.is_due`: enough new decisions since
    its active version), from ``TRIAGE_DATA_DIR`` and the site's decisions.

    Returns the new version, ``"not due"`` (a twin task trained it already, or
    the site is gone), or ``"nothing to learn: <why>"``. Never raises for data
    problems (``ValueError`` of training is returned as text).
    """
    from commentdesk.sites.models import Site
    from commentdesk.triage import classifier, retraining

    site = Site.objects.filter(pk=site_id).first()
    if site is None or not retraining.is_due(site):
        return "not due"
    try:
        return classifier.train_for_site(site).version
    except ValueError as exc:
        logger.warning("triage could not retrain the classifier of %s: %s", site.slug, exc)
        return f"nothing to learn: {exc}"
