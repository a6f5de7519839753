"""Background scoring (Django's tasks framework; the database backend by
default, run by ``commentdesk db_worker``)."""

from __future__ import annotations

import logging

from django.tasks import task

from commentdesk.comments.models import Comment

logger = logging.getLogger(__name__)


@task
def score_in_background(comment_id: int) -> str:
    """Run the background-stage scorers over comment ``comment_id``.

    Returns the Score's state (``scored``/``not_scored``), or ``"gone"`` when
    the comment was deleted before the task ran. Never raises: a failure is
    recorded as "not scored: <why>" so that the desk sees it.
    """
    from commentdesk.triage import pipeline

    comment = Comment.objects.select_related("site").filter(pk=comment_id).first()
    if comment is None:
        return "gone"
    try:
        return pipeline.score_comment(comment, "background").state
    except Exception as exc:
        logger.exception("triage background scoring failed on comment %s", comment_id)
        pipeline.mark_not_scored(comment_id, f"background scoring failed ({type(exc).__name__})")
        return "not_scored"
