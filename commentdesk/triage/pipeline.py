"""The scoring pipeline: build the scorers named in ``TRIAGE_SCORERS``, run them
over a comment, combine their scores into one risk and store the Score.

Settings (read when needed, so ``override_settings`` reaches them)::

    TRIAGE_SCORERS = [
        {"NAME": "commentdesk.triage.scorers.language.LanguageScorer",
         "OPTIONS": {"fallback": ""}},
        {"NAME": "commentdesk.triage.scorers.classifier.ClassifierScorer",
         "OPTIONS": {"stage": "background", "budget": 2.0}},
    ]

Each entry's ``NAME`` is a dotted path to a :class:`~.scorers.base.Scorer`
subclass, ``OPTIONS`` its keyword arguments (the shape of
``AUTH_PASSWORD_VALIDATORS``). Scorers run in list order: put the language
scorer first, since word lists are chosen by language.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from commentdesk.comments.models import Comment
from commentdesk.triage.models import Score
from commentdesk.triage.scorers.base import Context, Result, Scorer, Skip

logger = logging.getLogger(__name__)

# Scorers see at most this many characters of a body (bodies are limited to
# 20,000 by the site settings; imports may bring longer ones).
MAX_TEXT = 20_000
# A reason names at most this many characters of a scorer's exception.
MAX_REASON = 200


def build_scorers(config: list[dict[str, Any]]) -> list[Scorer]:
    """Instances of the scorers named in ``config`` (``TRIAGE_SCORERS``'s shape).

    Raises ``ImproperlyConfigured`` naming the entry when a path cannot be
    imported, is not a Scorer, its options are refused, or two scorers share a name.
    """
    scorers: list[Scorer] = []
    for entry in config:
        path = entry.get("NAME", "") if isinstance(entry, dict) else ""
        try:
            klass = import_string(path)
        except ImportError as exc:
            raise ImproperlyConfigured(f"TRIAGE_SCORERS: cannot import {path!r}: {exc}") from exc
        if not (isinstance(klass, type) and issubclass(klass, Scorer)):
            raise ImproperlyConfigured(f"TRIAGE_SCORERS: {path!r} is not a Scorer subclass")
        try:
            scorers.append(klass(**entry.get("OPTIONS", {})))
        except (TypeError, ValueError) as exc:
            raise ImproperlyConfigured(f"TRIAGE_SCORERS: bad OPTIONS for {path!r}: {exc}") from exc
    names = [s.name for s in scorers]
    if len(set(names)) != len(names):
        raise ImproperlyConfigured(f"TRIAGE_SCORERS: two scorers share a name: {names}")
    return scorers


@functools.cache
def get_scorers() -> tuple[Scorer, ...]:
    """The configured scorers, built and prepared once per process (cleared when the
    setting changes). A scorer whose :meth:`~.Scorer.prepare` fails is still
    returned: it fails again, and is skipped, when it scores."""
    scorers = tuple(build_scorers(settings.TRIAGE_SCORERS))
    for scorer in scorers:
        try:
            scorer.prepare()
        except Exception:
            logger.warning("triage scorer %s could not prepare", scorer.name, exc_info=True)
    return scorers


def combine(scores: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """One 0..1 risk from per-scorer scores: a weighted noisy-OR,
    ``1 - Π(1 - wᵢ·sᵢ)`` over the scorers that gave a score. None when none did.

    Noisy-OR (Pearl 1988, "Probabilistic Reasoning in Intelligent Systems",
    §4.3.2) lets any one strong signal (a banned term) carry the risk on its own
    while weak signals add up, and stays within 0..1. A scorer missing from
    ``weights`` counts fully.

    >>> combine({"words": 0.9, "links": 0.5, "language": None}, {"links": 0.4})
    0.92
    >>> combine({"language": None}, {}) is None
    True
    """
    given = {name: s for name, s in scores.items() if s is not None}
    if not given:
        return None
    keep = 1.0
    for name, s in given.items():
        keep *= 1.0 - weights.get(name, 1.0) * min(max(float(s), 0.0), 1.0)
    return round(1.0 - keep, 4)


def run_scorers(scorers: list[Scorer] | tuple[Scorer, ...], context: Context) -> dict[str, Result | str]:
    """Run each scorer over ``context``: {name: its Result, or why it was skipped}.

    A scorer that raises :class:`~.scorers.base.Skip` is skipped with its
    message; one that raises anything else with ``"failed: <Error>: <message>"``
    (and a logged warning); one
    whose result came after its budget with ``"over its time budget (0.62 s >
    0.50 s)"``; a result out of range with ``"gave an invalid score"``.
    Never raises (except ``KeyboardInterrupt``/``SystemExit``).
    """
    out: dict[str, Result | str] = {}
    for scorer in scorers:
        started = time.monotonic()
        context.deadline = started + scorer.budget
        try:
            result = scorer.score(context)
        except Skip as exc:
            out[scorer.name] = str(exc)[:MAX_REASON]
            continue
        except Exception as exc:  # a scorer must never lose a comment
            logger.warning("triage scorer %s failed on comment %s", scorer.name, context.comment.pk, exc_info=True)
            out[scorer.name] = f"failed: {type(exc).__name__}: {exc}"[:MAX_REASON]
            continue
        took = time.monotonic() - started
        if took > scorer.budget:
            out[scorer.name] = f"over its time budget ({took:.2f} s > {scorer.budget:.2f} s)"
        elif not isinstance(result, Result) or (
            result.score is not None and not 0.0 <= result.score <= 1.0
        ):
            out[scorer.name] = "gave an invalid score"
        else:
            out[scorer.name] = result
    return out


def _reasons(score: Score, weights: dict[str, float]) -> list[str]:
    """Every scorer's reasons, strongest weighted score first, then the skips."""
    ranked = sorted(
        (name for name in score.details if score.details[name].get("reasons")),
        key=lambda n: -(weights.get(n, 1.0) * (score.scores.get(n) or 0.0)),
    )
    reasons = [r for name in ranked for r in score.details[name]["reasons"]]
    reasons += [f"{name} skipped: {why}" for name, why in score.skipped.items()]
    return reasons


def score_comment(comment: Comment, stage: str = "all") -> Score:
    """Run the scorers of ``stage`` over ``comment`` and store the merged Score.

    ``stage``: ``"request"`` (the cheap scorers, during the reader's request),
    ``"background"`` (the others, in a task) or ``"all"`` (both, e.g. to
    rescore). Results of an earlier stage are kept and merged. The Score ends
    ``partial`` while background scorers have yet to run, else ``scored``.
    A detected language is written to ``Comment.language`` when that is blank.
    Scorer failures are recorded, never raised; database errors do raise
    (the caller records "not scored").
    """
    scorers = get_scorers()
    chosen = [s for s in scorers if stage == "all" or s.stage == stage]
    # Lone surrogates (possible in imported text) cannot be encoded: "?" instead.
    text = (comment.body or "")[:MAX_TEXT].encode("utf-8", "replace").decode("utf-8")
    context = Context(comment=comment, text=text, language=comment.language)
    if stage == "background" and not comment.language:
        # The request stage may have stored a language since this instance was loaded.
        context.language = Comment.objects.filter(pk=comment.pk).values_list("language", flat=True).first() or ""
    outcomes = run_scorers(chosen, context)
    weights = {s.name: s.weight for s in scorers}
    waiting = stage == "request" and any(s.stage == "background" for s in scorers)
    with transaction.atomic():
        score, _created = Score.objects.select_for_update().get_or_create(comment=comment)
        for name, outcome in outcomes.items():
            if isinstance(outcome, Result):
                score.scores[name] = outcome.score
                score.details[name] = {**outcome.details, "reasons": outcome.reasons}
                score.skipped.pop(name, None)
                if outcome.model_version:
                    score.model_version = outcome.model_version
            else:
                score.scores[name] = None
                score.details.pop(name, None)
                score.skipped[name] = outcome
        score.risk = combine(score.scores, weights)
        score.reasons = _reasons(score, weights)
        score.state = Score.State.PARTIAL if waiting else Score.State.SCORED
        score.not_scored_reason = ""
        score.scored_at = timezone.now()
        score.save()
        if context.language and not comment.language:
            Comment.objects.filter(pk=comment.pk, language="").update(language=context.language)
            comment.language = context.language
    return score


def mark_not_scored(comment_id: int, reason: str) -> None:
    """Record that scoring of comment ``comment_id`` failed as a whole, keeping any
    scores already stored. Logs and returns quietly when even that fails (the
    comment itself is never touched)."""
    try:
        Score.objects.update_or_create(
            comment_id=comment_id,
            defaults={"state": Score.State.NOT_SCORED, "not_scored_reason": reason[:300], "scored_at": timezone.now()},
        )
    except Exception:
        logger.exception("triage could not record 'not scored' for comment %s", comment_id)
