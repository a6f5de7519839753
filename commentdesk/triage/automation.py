"""Optional automation: a site may let triage approve very low-risk comments and
reject (or mark as spam) very high-risk ones, per its ``TriagePolicy``
thresholds. Off by default (both thresholds null).

Triage decides through :func:`commentdesk.moderation.decisions.decide` with the
system actor ``TRIAGE``, so the audit log (actor "triage"), readers' snapshots,
e-mails and undo in the desk work exactly as after a moderator's decision.

Only a finished score counts: state ``scored`` with every scorer's result (none
skipped, none failed), a risk, and a comment still pending with the very text
that was scored (the decision names the scored version; an edit or a
moderator's decision in between wins). A partial or failed score is never acted on,
nor a comment a moderator edited: a person is handling it.
"""

from __future__ import annotations

import logging

from django.db import transaction

from commentdesk.comments.models import Comment
from commentdesk.lib.errors import CommentdeskError
from commentdesk.triage.models import Score, TriagePolicy

logger = logging.getLogger(__name__)

NOTE = "triage automation: risk {risk:.2f} {side} threshold {threshold:.2f}"


def choose_action(policy: TriagePolicy, score: Score) -> tuple[str, str] | None:
    """``(action, note)`` the policy asks for on ``score``, or None.

    ``approve`` when ``risk < auto_approve_below``; ``policy.auto_action``
    (``reject``/``spam``) when ``risk > auto_reject_above``; None when neither
    threshold applies or the score is not complete (see the module docstring).

    >>> p = TriagePolicy(auto_approve_below=0.1, auto_reject_above=0.9, auto_action="spam")
    >>> choose_action(p, Score(state="scored", risk=0.95))
    ('spam', 'triage automation: risk 0.95 above threshold 0.90')
    >>> choose_action(p, Score(state="partial", risk=0.95)) is None
    True
    """
    if score.state != Score.State.SCORED or score.risk is None or score.skipped:
        return None
    low, high = policy.auto_approve_below, policy.auto_reject_above
    if low is not None and score.risk < low:
        return "approve", NOTE.format(risk=score.risk, side="below", threshold=low)
    if high is not None and score.risk > high:
        return policy.auto_action, NOTE.format(risk=score.risk, side="above", threshold=high)
    return None


def automate(comment: Comment, score: Score) -> str | None:
    """Apply the site's automation to ``comment`` after ``score`` was stored for
    the text in ``comment.body``. Returns the action taken, or None.

    Never raises: a refusal (the comment changed or was decided since it was
    scored: 409; a reason code the site no longer has: 400) or any error is
    logged and leaves the comment pending for a moderator.
    """
    try:
        if comment.status != Comment.Status.PENDING or comment.edited_by_moderator:
            return None
        policy = TriagePolicy.for_site(comment.site_id)
        if not policy.automates:
            return None
        chosen = choose_action(policy, score)
        if chosen is None:
            return None
        action, note = chosen
        from commentdesk.moderation.decisions import TRIAGE, decide

        reason = policy.auto_reason if action != "approve" else ""
        with transaction.atomic():
            # Read again under the row's lock: ``comment`` was loaded before scoring,
            # and a moderator's edit since (even back to the scored text, which the
            # version below cannot tell) leaves the comment to people.
            edited = (Comment.objects.select_for_update().filter(pk=comment.pk)
                      .values_list("edited_by_moderator", flat=True).first())
            if edited is not False:
                return None
            decide(comment.site, [comment.public_id], action, TRIAGE, reason=reason, note=note,
                   versions={comment.public_id: comment.version})
        return action
    except CommentdeskError as exc:
        logger.info("triage automation left comment %s to moderators: %s", comment.pk, exc.message)
    except Exception:
        logger.exception("triage automation failed on comment %s", comment.pk)
    return None
