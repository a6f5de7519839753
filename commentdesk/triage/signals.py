"""Receivers: score each submitted comment and each author's edit, forget
built scorers when the setting changes (tests use ``override_settings``), and
forget a site's remembered triage settings when they change (:mod:`.sitecache`)."""

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
    Score, and never reaches the reader's answer. The Score and the queued task
    are written in one transaction (one commit: the largest part of the
    latency this adds to the reader's request; see ``bench/triage.py``), which
    on PostgreSQL does not wait for the disk (:func:`~.pipeline.relaxed_commit`;
    what a crash loses, ``housekeeping`` queues again). After an edit, a failure
    also drops the old text's scores, which the first stage would have replaced.
    """
    from commentdesk.triage import automation, pipeline, tasks
    from commentdesk.triage.models import Score

    step = "scoring failed"

    def score_and_queue() -> Score:
        nonlocal step
        step = "scoring failed"
        score = pipeline.score_comment(comment, "request")
        if score.state == score.State.PARTIAL:
            step = "background queue unavailable"
            tasks.score_in_background.enqueue(comment.pk)
        return score

    try:
        # Once more when PostgreSQL ends it to break a deadlock with another writer (a
        # batch scoring this comment).
        score = pipeline.in_transaction_twice(score_and_queue)
    except Exception as exc:
        # Both undone (no savepoint: two round trips fewer per submission); the
        # Score says why.
        logger.exception("triage failed on comment %s (%s)", comment.pk, step)
        pipeline.mark_not_scored(comment.pk, f"{step} ({type(exc).__name__})", forget_scores=True)
        return
    if score.state == score.State.SCORED:
        automation.automate(comment, score)


def on_comment_edited(sender: Any, comment: Comment, **kwargs: Any) -> None:
    """The text of a comment changed (the author's edit or a moderator's): score
    the new text again, exactly as a new submission (the Score is replaced stage
    by stage), so that a Score is always of the current text, also of a decided
    comment a moderator edited that an undo may put back into the queue.

    What triage derived from the old text goes first: the detected language
    (else the old text's language chose the word lists: a banned term of
    another language slipped through, and the comment stayed in the old
    language's desk) and the near-duplicate fingerprint (else a comment
    rewritten into a text of its own stayed in the old text's campaign, and a
    bulk decision on the campaign took it along). Automation never decides a
    comment a moderator edited, nor one that is not pending
    (:func:`~commentdesk.triage.automation.automate`)."""
    from commentdesk.triage.campaigns import forget
    from commentdesk.triage.models import Fingerprint

    try:
        forget(Fingerprint.objects.filter(comment_id=comment.pk))
        Comment.objects.filter(pk=comment.pk).update(language="")
        comment.language = ""
    except Exception:
        logger.exception("triage could not forget what it derived from comment %s", comment.pk)
    on_comment_submitted(sender, comment)


def on_comments_imported(sender: Any, comment_ids: list[int], **kwargs: Any) -> None:
    """An import stored these pending comments: queue their scoring in batches
    (:func:`commentdesk.triage.tasks.score_many_in_background`). A queue that
    cannot be reached is logged; the comments wait unscored, never lost."""
    from commentdesk.triage import tasks

    try:
        tasks.score_many_in_background.enqueue(list(comment_ids))
    except Exception:
        logger.exception("triage could not queue the scoring of %d imported comments", len(comment_ids))


def on_setting_changed(setting: str, **kwargs: Any) -> None:
    """Rebuild the scorers after ``TRIAGE_SCORERS`` changes."""
    if setting == "TRIAGE_SCORERS":
        from commentdesk.triage.pipeline import get_scorers

        get_scorers.cache_clear()


def on_triage_settings_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A WordList, TriagePolicy, ClassifierModel or Site was saved or deleted: drop what
    :mod:`commentdesk.triage.sitecache` remembers of its site (of every site for a
    shared classifier, whose ``site`` is None)."""
    from commentdesk.sites.models import Site
    from commentdesk.triage import sitecache

    sitecache.changed(instance.pk if isinstance(instance, Site) else instance.site_id)
