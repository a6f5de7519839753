"""Receivers: score each submitted comment and each author's edit, and forget
built scorers when the setting changes (tests use ``override_settings``)."""

from __future__ import annotations

import logging
from typing import Any

from commentdesk.comments.models import Comment

logger = logging.getLogger(__name__)


def on_comment_submitted(sender: Any, comment: Comment, **kwargs: Any) -> None:
    """Run the in-request scorers, then queue the background ones; when no
    background scorer is configured, the finished score goes to the site's
    automation (:func:`commentdesk.triage.automation.automate`).

    Sent after the comment's transaction committed, so the comment is already
    safe: any failure here is logged and recorded as "not scored: <why>" on the
    Score, and never reaches the reader's answer.
    """
    from commentdesk.triage import automation, pipeline, tasks

    try:
        score = pipeline.score_comment(comment, "request")
    except Exception as exc:
        logger.exception("triage failed on comment %s", comment.pk)
        pipeline.mark_not_scored(comment.pk, f"scoring failed ({type(exc).__name__})")
        return
    if score.state == score.State.SCORED:
        automation.automate(comment, score)
    elif score.state == score.State.PARTIAL:
        try:
            tasks.score_in_background.enqueue(comment.pk)
        except Exception as exc:
            logger.exception("triage could not queue comment %s", comment.pk)
            pipeline.mark_not_scored(comment.pk, f"background queue unavailable ({type(exc).__name__})")


def on_comment_edited(sender: Any, comment: Comment, **kwargs: Any) -> None:
    """The author changed the text of a pending comment: score the new text
    again, exactly as a new submission (the Score is replaced stage by stage)."""
    on_comment_submitted(sender, comment)


def on_setting_changed(setting: str, **kwargs: Any) -> None:
    """Rebuild the scorers after ``TRIAGE_SCORERS`` changes."""
    if setting == "TRIAGE_SCORERS":
        from commentdesk.triage.pipeline import get_scorers

        get_scorers.cache_clear()
