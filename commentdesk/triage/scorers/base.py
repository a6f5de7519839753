"""The scorer interface: what ``TRIAGE_SCORERS`` entries name.

A scorer is a class; the pipeline makes one instance per entry with the entry's
``OPTIONS`` as keyword arguments (the pattern of
``django/contrib/auth/password_validation.py``) and calls
:meth:`Scorer.score_many` once per batch of comments (a batch of one for a
single comment). A scorer implements :meth:`Scorer.score` (one comment) or,
when a batch is cheaper than its parts (one model call, one query),
:meth:`Scorer.score_many`; each base method falls back on the other. Any
exception it raises, and any result it returns after its time budget, is
recorded as a skip: a scorer can never lose or block a comment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from commentdesk.comments.models import Comment

STAGES = ("request", "background")


class Skip(Exception):
    """Raised by a scorer that has nothing to say about this comment for an
    expected reason ("no classifier trained for this site"); the message is
    recorded as the skip reason, without the "failed:" of an error."""


@dataclass
class Result:
    """What one scorer says about one comment.

    ``score``: 0..1, how strongly this scorer thinks a moderator should reject
    (None: no opinion, e.g. language detection). ``reasons``: sentences for the
    moderator ("banned term: …"), only when they matter. ``details``: JSON-able
    data kept on the Score (spans, language, cluster id). ``model_version``:
    the model that produced it, if any.
    """

    score: float | None = None
    reasons: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    model_version: str = ""


@dataclass
class Context:
    """Shared state of one pipeline run over one comment.

    ``text``: the comment's body; ``language``: set by the language scorer
    (ISO 639-1/3 code, "" unknown) so that later scorers can pick word lists
    by language; ``deadline``: ``time.monotonic()`` value after which a long
    scorer should stop early (cooperative: Python cannot interrupt it);
    ``ready``: what a locked scorer's :meth:`Scorer.before_lock` worked out,
    by scorer name; ``changed``: for the locked scorers, when the pipeline
    read it under the comment's lock, whether the comment changed since it was
    loaded (``"edited"``, ``"removed"``, ``""`` not; see
    :func:`~commentdesk.triage.rows.changed_since`), else None (not read).
    """

    comment: Comment
    text: str
    language: str = ""
    deadline: float = float("inf")
    ready: dict[str, Any] = field(default_factory=dict)
    changed: str | None = None

    def out_of_time(self) -> bool:
        """True once the running scorer's budget is spent."""
        return time.monotonic() > self.deadline


class Scorer:
    """Base class of scorers.

    Options every scorer accepts (keyword arguments from ``OPTIONS``):

    - ``name``: key in ``Score.scores`` (default: the class's ``name``);
    - ``stage``: ``"request"`` runs while the reader's request finishes (keep it
      to microseconds-to-milliseconds work), ``"background"`` in a task;
    - ``weight``: 0..1 multiplier of this scorer's score in the combined risk;
    - ``budget``: seconds; a result that took longer is discarded as
      "over its time budget" (the run is not interrupted: see :class:`Context`).

    Raises ``ValueError`` for an unknown stage or a weight outside 0..1.

    Class attribute ``locked``: True for a scorer that stores rows derived from
    a comment's text (the campaign scorer's fingerprints), which an edit or an
    erasure must find and remove. It runs inside the batch's transaction, with
    the batch's comments locked, after the others. Unlocked scorers (the
    default) may run before that transaction, while the previous batch is
    being written (:func:`~commentdesk.triage.pipeline.score_batches`); their
    results for a comment edited or erased meanwhile are dropped.
    """

    name = "scorer"
    stage = "request"
    budget = 0.5
    locked = False

    def __init__(self, *, name: str | None = None, stage: str | None = None, weight: float = 1.0,
                 budget: float | None = None) -> None:
        self.name = name or type(self).name
        self.stage = stage or type(self).stage
        if self.stage not in STAGES:
            raise ValueError(f"{self.name}: stage must be one of {STAGES}, got {self.stage!r}")
        if not 0.0 <= float(weight) <= 1.0:
            raise ValueError(f"{self.name}: weight must be between 0 and 1, got {weight!r}")
        self.weight = float(weight)
        self.budget = float(budget if budget is not None else type(self).budget)

    def prepare(self) -> None:
        """Load what the scorer needs once per process (a model file), before its
        first budgeted call; override. Errors here skip the scorer like any other."""

    def before_lock(self, contexts: list[Context]) -> None:
        """For a ``locked`` scorer: work on the comments' texts alone (no database
        writes) that can be done before the batch's transaction, while another
        batch is being written (:func:`~commentdesk.triage.pipeline.score_batches`
        on PostgreSQL); keep it in ``context.ready[self.name]`` for
        :meth:`score_many`, which must do it itself where nothing is there (it is
        not called everywhere). Its time counts against the scorer's budget
        (``context.deadline`` is set as for :meth:`score_many`). An exception
        here is logged and otherwise ignored. The default does nothing."""

    def score(self, context: Context) -> Result:
        """Score ``context.comment``; override this or :meth:`score_many`. May raise
        anything (recorded as a skip)."""
        if type(self).score_many is Scorer.score_many:
            raise NotImplementedError(f"{type(self).__name__} implements neither score nor score_many")
        outcome = self.score_many([context])[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def score_many(self, contexts: list[Context]) -> list[Result | Exception]:
        """Score several comments: one Result, or the exception that stopped it
        (a :class:`Skip` for an expected reason), per context, in order.

        The default calls :meth:`score` for each. An override may also raise for
        the whole batch; the pipeline then tries each comment alone, so that one
        bad comment costs only its own score.
        """
        out: list[Result | Exception] = []
        for context in contexts:
            try:
                out.append(self.score(context))
            except Exception as exc:  # noqa: BLE001 - recorded per comment by the pipeline
                out.append(exc)
        return out
