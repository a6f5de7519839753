"""Background scoring and retraining (Django's tasks framework; the database
backend by default, run by ``commentdesk db_worker``)."""

from __future__ import annotations

import logging

from django.tasks import task

from commentdesk.comments.models import Comment

logger = logging.getLogger(__name__)


@task
def score_in_background(comment_id: int) -> str:
    """Run the background-stage scorers over comment ``comment_id``, then the
    site's automation (:func:`commentdesk.triage.automation.automate`) on the
    finished score.

    Returns the Score's state (``scored``/``not_scored``), or ``"gone"`` when
    the comment was deleted before the task ran. Never raises: a failure is
    recorded as "not scored: <why>" so that the desk sees it.
    """
    from commentdesk.triage import automation, pipeline

    comment = Comment.objects.select_related("site").filter(pk=comment_id).first()
    if comment is None:
        return "gone"
    try:
        score = pipeline.score_comment(comment, "background")
    except Exception as exc:
        logger.exception("triage background scoring failed on comment %s", comment_id)
        pipeline.mark_not_scored(comment_id, f"background scoring failed ({type(exc).__name__})")
        return "not_scored"
    if score.state == score.State.SCORED:
        automation.automate(comment, score)
    return score.state


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
