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
import gc
import logging
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, InterfaceError, OperationalError, connections, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from commentdesk.comments.models import Comment
from commentdesk.triage.models import Score
from commentdesk.triage.rows import changed_since, chunks, insert_many, update_many
from commentdesk.triage.scorers.base import Context, Result, Scorer, Skip

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Scorers see at most this many characters of a body (bodies are limited to
# 20,000 by the site settings; imports may bring longer ones).
MAX_TEXT = 20_000
# A reason names at most this many characters of a scorer's exception.
MAX_REASON = 200
# Comments scored together by score_batches (the background task, rescore,
# imports): large enough to share each query and model call, small enough to
# keep one transaction short (about 0.2 s; bench/triage.py).
BATCH = 500


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
    One context of :func:`run_scorers_many`."""
    return run_scorers_many(scorers, [context])[0]


def run_scorers_many(scorers: list[Scorer] | tuple[Scorer, ...], contexts: list[Context],
                     spent: dict[str, float] | None = None) -> list[dict[str, Result | str]]:
    """Run each scorer over all ``contexts`` (one :meth:`~.Scorer.score_many` call
    per scorer): for each context, {scorer name: its Result, or why it was skipped}.
    ``spent``: seconds a scorer already took over these contexts (its
    :meth:`~.Scorer.before_lock`), counted against its budget.

    A comment whose scorer raised :class:`~.scorers.base.Skip` is skipped with
    its message; one whose scorer raised anything else with ``"failed: <Error>:
    <message>"`` (and a logged warning). When ``score_many`` raises for the whole
    batch, each comment is tried alone, so that one bad comment costs only its
    own score. A batch that took longer than the scorer's budget per comment
    is skipped as a whole with ``"over its time budget (0.62 s > 0.50 s)"`` (the
    mean per comment); a result out of range with ``"gave an invalid score"``.
    Never raises (except ``KeyboardInterrupt``/``SystemExit``).
    """
    out: list[dict[str, Result | str]] = [{} for _ in contexts]
    if not contexts:
        return out
    for scorer in scorers:
        for outcomes, outcome in zip(out, _run_one(scorer, contexts, (spent or {}).get(scorer.name, 0.0))):
            outcomes[scorer.name] = outcome
    return out


def _failed(scorer: Scorer, context: Context, exc: Exception) -> str:
    if isinstance(exc, Skip):
        return str(exc)[:MAX_REASON]
    logger.warning("triage scorer %s failed on comment %s", scorer.name, context.comment.pk,
                   exc_info=(type(exc), exc, exc.__traceback__))
    return f"failed: {type(exc).__name__}: {exc}"[:MAX_REASON]


def _run_one(scorer: Scorer, contexts: list[Context], spent: float = 0.0) -> list[Result | str]:
    """One scorer over a batch: a Result or a skip reason per context; ``spent``:
    seconds it already took over them (see :func:`run_scorers_many`)."""
    n = len(contexts)
    started = time.monotonic() - spent
    for context in contexts:
        context.deadline = started + scorer.budget * n
    try:
        results = scorer.score_many(contexts)
        if len(results) != n:
            raise ValueError(f"gave {len(results)} results for {n} comments")
    except Skip as exc:
        return [str(exc)[:MAX_REASON]] * n
    except Exception as exc:  # a scorer must never lose a comment
        if n > 1:
            return [outcome for context in contexts for outcome in _run_one(scorer, [context], spent / n)]
        return [_failed(scorer, contexts[0], exc)]
    took = time.monotonic() - started
    if took > scorer.budget * n:
        return [f"over its time budget ({took / n:.2f} s > {scorer.budget:.2f} s)"] * n
    out: list[Result | str] = []
    for context, result in zip(contexts, results):
        if isinstance(result, Exception):
            out.append(_failed(scorer, context, result))
        elif not isinstance(result, Result) or (
            result.score is not None and not 0.0 <= result.score <= 1.0
        ):
            out.append("gave an invalid score")
        else:
            out.append(result)
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
    One comment of :func:`score_comments` (the same code, a batch of one)."""
    return score_comments([comment], stage)[0]


def _text(comment: Comment) -> str:
    """What scorers read: at most MAX_TEXT characters; lone surrogates (possible in
    imported text) cannot be encoded, "?" instead; NUL, which PostgreSQL cannot
    store in the Score's JSON (a matched span, a sample), "\ufffd" instead. One
    character for one, so spans still index the body."""
    return (comment.body or "")[:MAX_TEXT].encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def score_comments(comments: list[Comment], stage: str = "all") -> list[Score]:
    """Run the scorers of ``stage`` over ``comments`` (one batch: each scorer sees
    them all at once) and store the merged Scores; one Score per comment, in order.

    ``stage``: ``"request"`` (the cheap scorers, during the reader's request;
    it starts the Score afresh), ``"background"`` (the others, in a task) or
    ``"all"`` (both, e.g. to rescore). Results of an earlier stage are kept
    and merged. A Score ends
    ``partial`` while background scorers have yet to run, else ``scored``.
    A detected language is written to ``Comment.language`` when that is blank.
    Scorer failures are recorded per comment, never raised; database errors do
    raise (the caller records "not scored"). Writes: the Scores of the batch
    with one insert and one update (:mod:`.rows`), languages with one update.
    Keep batches to a few hundred comments (``BATCH``; :func:`score_batches`
    cuts any number into such batches).

    Outside the request, on PostgreSQL, the batch is one transaction whose
    commit does not wait for the disk (:func:`relaxed_commit`), scored once
    more when another transaction stored a Score of one of its comments first
    (``IntegrityError``; raised if that happens twice); on SQLite the
    scorers run outside any transaction, so that the database's single write
    lock is held only while the rows are written.
    """
    if len(comments) > 1 and gc.isenabled():
        # A batch allocates many short-lived objects (n-grams, rows); the cyclic
        # collector walking every live object again and again cost about 15 %
        # (bench/triage.py). Reference counting still frees them; cycles wait
        # for the end of the batch.
        gc.disable()
        try:
            return score_comments(comments, stage)
        finally:
            gc.enable()
    return _score_in_transaction(comments, stage)


def _score_in_transaction(comments: list[Comment], stage: str, ahead: Ahead | None = None) -> list[Score]:
    """:func:`_score_comments` in its own transaction where that is wanted (see
    :func:`score_comments`), with ``ahead``: what the unlocked scorers already said."""
    connection = connections[router.db_for_write(Score)]
    if stage != "request" and connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Once more after an IntegrityError too: another transaction stored a Score for
        # one of these comments between this one's read of the Scores and its insert (an
        # edit's scoring, a second task); the second run reads what it wrote. (SQLite's
        # writes take the database's lock before that read, so they cannot meet.)
        return in_transaction_twice(lambda: _score_comments(comments, stage, ahead), connection.alias,
                                    also=(IntegrityError,))
    return _score_comments(comments, stage, ahead)


def in_transaction_twice(work: Callable[[], T], using: str | None = None,
                         also: tuple[type[Exception], ...] = ()) -> T:
    """``work()`` in a transaction of database ``using`` whose commit does not wait
    for the disk (:func:`relaxed_commit`), run once more when PostgreSQL ended
    it to break a deadlock with another writer (:func:`retryable`) or when it
    raised one of ``also``; what the second run raises is raised. Returns what
    ``work`` returns."""
    try:
        with transaction.atomic(using=using):
            relaxed_commit(transaction.get_connection(using))
            return work()
    except (OperationalError, *also) as exc:
        if not (isinstance(exc, also) or retryable(exc)):
            raise
        logger.info("triage met another writer (%s); running its transaction again",
                    type(exc.__cause__ or exc).__name__)
    with transaction.atomic(using=using):
        relaxed_commit(transaction.get_connection(using))
        return work()


# PostgreSQL's SQLSTATEs of a transaction ended to break a deadlock or a serialization
# conflict: the same work succeeds when run again ("Deadlocks", PostgreSQL manual 13.3.4).
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def retryable(exc: BaseException) -> bool:
    """Whether ``exc`` (a Django database error) ended the transaction only because
    it met another one (a deadlock, a serialization failure): run it again, it is
    not the data's fault nor a lost server."""
    return getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES


def relaxed_commit(connection: Any) -> None:
    """Let the current transaction's commit return before its WAL is on disk
    (PostgreSQL's ``SET LOCAL synchronous_commit TO OFF``; see "Asynchronous
    Commit" in the PostgreSQL manual). For triage's derived rows only:
    a crash within about 0.6 s of the commit (three ``wal_writer_delay``) may
    lose them, never the comments themselves, and any later synchronous commit
    (the task worker's record that the task finished) flushes them first, since
    the WAL is written in order; ``commentdesk housekeeping`` queues again what
    was lost (:func:`~commentdesk.triage.tasks.requeue_unfinished`). A batch of
    500 waited about 30 ms for each commit here (``bench/triage.py``). Does
    nothing on other databases."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


@dataclass
class Ahead:
    """What the unlocked scorers (``Scorer.locked`` false) said of a batch, before
    its transaction: the batch's contexts (languages detected) and, per context,
    {scorer name: Result or skip reason}; ``spent``: seconds each locked scorer's
    ``before_lock`` took (counted against its budget). See :func:`score_ahead`."""

    contexts: list[Context]
    outcomes: list[dict[str, Result | str]]
    spent: dict[str, float] = field(default_factory=dict)


def _chosen(stage: str) -> list[Scorer]:
    """The configured scorers that ``stage`` runs, in list order."""
    return [s for s in get_scorers() if stage == "all" or s.stage == stage]


def _contexts(comments: list[Comment], stage: str) -> list[Context]:
    """One Context per comment; in the background stage a blank language is read
    again (the request stage may have stored one since the comments were loaded)."""
    contexts = [Context(comment=c, text=_text(c), language=c.language) for c in comments]
    if stage == "background" and (blank := [c.comment.pk for c in contexts if not c.language]):
        stored = dict(Comment.objects.filter(pk__any=blank).exclude(language="").values_list("pk", "language"))
        for context in contexts:
            context.language = context.language or stored.get(context.comment.pk, "")
    return contexts


def score_ahead(comments: list[Comment], stage: str) -> Ahead:
    """Run the scorers of ``stage`` that need no lock (``Scorer.locked`` false:
    they store nothing derived from a comment) over ``comments``, outside any
    transaction; :func:`_score_comments` runs the locked ones and stores the
    Scores later. What the text said is checked after the lock
    (:func:`~.rows.changed_since`): a comment edited or erased meanwhile gets
    none of it. The locked scorers' :meth:`~.Scorer.before_lock` runs too.
    Reads only (the classifier's version, blank languages)."""
    contexts = _contexts(comments, stage)
    chosen = _chosen(stage)
    outcomes = run_scorers_many([s for s in chosen if not s.locked], contexts)
    spent: dict[str, float] = {}
    for scorer in chosen:
        if scorer.locked:
            started = time.monotonic()
            for context in contexts:  # as _run_one sets it, for a scorer that stops early
                context.deadline = started + scorer.budget * len(contexts)
            try:
                scorer.before_lock(contexts)
            except Exception:  # score_many does the work itself
                logger.warning("triage scorer %s failed before the lock", scorer.name, exc_info=True)
                for context in contexts:
                    context.ready.pop(scorer.name, None)
            spent[scorer.name] = time.monotonic() - started
    return Ahead(contexts, outcomes, spent)


def _score_comments(comments: list[Comment], stage: str, ahead: Ahead | None = None) -> list[Score]:
    connection = connections[router.db_for_write(Comment)]
    changed: dict[int, str] | None = None
    if stage != "request" and connection.vendor == "postgresql" and connection.in_atomic_block and comments:
        # (Not in the reader's request: a new comment's own first scoring, kept short.)
        # The batch's comments are held until its fingerprints and Scores are committed
        # (FOR NO KEY UPDATE: other tables' keys to them stay free). An edit or an
        # erasure meanwhile waits, then finds and removes what was derived from the old
        # text; one committed before is seen here, in the same query. Without it, an
        # erased text's MinHash outlived the erasure, and a rewritten comment kept the
        # old text's fingerprint and campaign. (SQLite: one writer at a time.)
        changed = changed_since(comments, lock=True)
    scorers, chosen = get_scorers(), _chosen(stage)
    contexts = _contexts(comments, stage) if ahead is None else ahead.contexts
    if changed is not None:
        for context in contexts:  # for the locked scorers (campaigns.record_many)
            context.changed = changed.get(context.comment.pk, "")
    if ahead is None:
        outcomes = run_scorers_many(chosen, contexts)
    else:
        # The locked scorers now; every outcome in the scorers' list order.
        locked = run_scorers_many([s for s in chosen if s.locked], contexts, ahead.spent)
        outcomes = [{s.name: (late if s.locked else early)[s.name] for s in chosen}
                    for early, late in zip(ahead.outcomes, locked)]
    weights = {s.name: s.weight for s in scorers}
    waiting = stage == "request" and any(s.stage == "background" for s in scorers)
    now = timezone.now()
    ids = list(dict.fromkeys(c.pk for c in comments))
    # No savepoint inside a caller's transaction: a failure here fails the caller's work too.
    stale: set[int] = set()
    with transaction.atomic(savepoint=False):
        if stage == "request":
            # The language first: the comment's row is locked before the Score's, in the
            # order a batch (which locks its comments first) takes them; the other way
            # round an edit's scoring and a rescore deadlocked.
            languages = _store_languages(contexts, stale)
            # The first stage starts the Score afresh (after an author's edit, what the
            # background scorers said of the old text goes; they run again): one
            # INSERT … ON CONFLICT UPDATE, no read first.
            scores = {c.pk: Score(comment_id=c.pk) for c in comments}
            for context, outcome in zip(contexts, outcomes):
                _merge(scores[context.comment.pk], outcome, weights, waiting, now)
            Score.objects.bulk_create(list(scores.values()), update_conflicts=True, unique_fields=["comment"],
                                      update_fields=UPDATED)
        else:
            scores = {s.comment_id: s for s in Score.objects.select_for_update().filter(comment_id__any=ids)}
            # An edit (the author's or a moderator's) while the batch was scored started
            # that Score afresh and queued its own task: what the old text gave is not
            # merged into it. An erasure removed the comment and its Score: what the
            # erased text gave is not stored again. (Read under the lock above on PostgreSQL.)
            if changed is None:
                changed = changed_since(comments)
            stale = {pk for pk, why in changed.items() if why == "removed" or pk in scores}
            old, new = set(scores) - stale, []
            for context, outcome in zip(contexts, outcomes):
                if context.comment.pk in stale:
                    scores.setdefault(context.comment.pk, Score(comment_id=context.comment.pk))
                    continue
                score = scores.get(context.comment.pk)
                if score is None:
                    score = scores[context.comment.pk] = Score(comment_id=context.comment.pk)
                    new.append(score)
                _merge(score, outcome, weights, waiting, now)
            _store_new(new)
            update_many(Score, UPDATED, [(*(getattr(scores[pk], f) for f in UPDATED), scores[pk].pk)
                                         for pk in ids if pk in old])
        if stage != "request":
            languages = _store_languages(contexts, stale)
    # Only now on the loaded comments: a transaction run again (a deadlock) writes them again.
    for context in contexts:
        if context.comment.pk in languages:
            context.comment.language = languages[context.comment.pk]
    return [scores[c.pk] for c in comments]


def _store_languages(contexts: list[Context], stale: set[int]) -> dict[int, str]:
    """Write each detected language to its comment where the comment has none
    (as loaded and as stored), except the comments of ``stale`` (ids), in one
    statement (one per language was a round trip for each of the 20-odd
    languages of a batch where a site allows any). Returns {comment id: language}
    of those written."""
    languages: dict[int, str] = {}
    for context in contexts:
        if context.language and not context.comment.language and context.comment.pk not in stale:
            languages[context.comment.pk] = context.language
    update_many(Comment, ["language"], [(language, pk) for pk, language in languages.items()],
                where={"language": ""})
    return languages


def _store_new(scores: list[Score]) -> None:
    """Insert new Scores and give them their ids: a few (a submission) with Django's
    ``bulk_create``, one statement that returns the ids; a batch with
    :func:`.rows.insert_many` (cheaper per row), which returns them on
    PostgreSQL, with one query for the ids elsewhere."""
    if len(scores) <= FEW:
        Score.objects.bulk_create(scores)
        return
    returned = insert_many(Score, ["comment", *UPDATED], [(s.comment_id, *(getattr(s, f) for f in UPDATED))
                                                          for s in scores], returning=["comment", "id"])
    db = router.db_for_write(Score)
    ids: dict[int, int] = dict(returned or [])
    for chunk in chunks(Score, [] if returned is not None else [s.comment_id for s in scores]):
        ids.update(Score.objects.using(db).filter(comment_id__any=chunk).values_list("comment_id", "pk"))
    for s in scores:
        s.pk = ids[s.comment_id]
        s._state.adding, s._state.db = False, db


# Up to this many new Scores are inserted with bulk_create (see _store_new).
FEW = 10
# Score fields a scoring run writes.
UPDATED = ["state", "risk", "scores", "reasons", "details", "skipped", "not_scored_reason", "model_version",
           "scored_at", "failures"]


def _merge(score: Score, outcome: dict[str, Result | str], weights: dict[str, float], waiting: bool,
           now: Any) -> None:
    """Fold one comment's outcomes into its Score (kept results of other scorers stay)."""
    for name, result in outcome.items():
        if isinstance(result, Result):
            score.scores[name] = result.score
            score.details[name] = {**result.details, "reasons": result.reasons}
            score.skipped.pop(name, None)
            if result.model_version:
                score.model_version = result.model_version
        else:
            score.scores[name] = None
            score.details.pop(name, None)
            score.skipped[name] = result
    score.risk = combine(score.scores, weights)
    score.reasons = _reasons(score, weights)
    score.state = Score.State.PARTIAL if waiting else Score.State.SCORED
    score.not_scored_reason = ""
    score.failures = 0
    score.scored_at = now


def score_batches(comments: Iterable[Comment], stage: str = "all", batch: int = BATCH) -> dict[str, int]:
    """Score any number of ``comments`` (load them with ``select_related("site")``)
    in batches of ``batch`` with :func:`score_comments`. When a batch fails as a
    whole (a database error), its comments are scored one by one, so that one
    comment that cannot be stored costs only its own score (not after an
    ``OperationalError`` or ``InterfaceError``: the connection or the server,
    not a comment); a comment that fails alone too is recorded "not scored"
    (``commentdesk housekeeping`` queues it again), and the next goes on.
    Returns ``{"scored": n, "not_scored": n}``.

    On PostgreSQL, outside a transaction, the batches overlap: while one thread
    (with its own connection) locks, runs the locked scorers and writes batch N,
    the calling thread runs the other scorers over batch N+1
    (:func:`score_ahead`), so that waiting for the database is not idle time.
    One process, still one core's worth of Python (the GIL); batches are
    written in order, one at a time.
    """
    counts = {"scored": 0, "not_scored": 0}
    connection = connections[router.db_for_write(Score)]
    overlap = stage != "request" and connection.vendor == "postgresql" and not connection.in_atomic_block

    def alone(comments: list[Comment], failure: Exception) -> None:
        """After a batch failed: each comment alone (here, without overlap)."""
        if len(comments) > 1:
            logger.error("triage failed on a batch of %d comments", len(comments),
                         exc_info=(type(failure), failure, failure.__traceback__))
        # A lost connection or a server gone fails each comment alike: not tried alone
        # (a deadlock met twice is no such thing: each is tried alone).
        alike = isinstance(failure, (OperationalError, InterfaceError)) and not retryable(failure)
        for comment in comments:
            why: Exception | None = failure
            if len(comments) > 1 and not alike:
                try:
                    score_comments([comment], stage)
                    why = None
                except Exception as exc:
                    logger.warning("triage failed on comment %s: %s: %s", comment.pk, type(exc).__name__, exc)
                    why = exc
            elif len(comments) == 1:
                logger.error("triage failed on comment %s", comment.pk,
                             exc_info=(type(failure), failure, failure.__traceback__))
            if why is None:
                counts["scored"] += 1
            else:
                mark_not_scored(comment.pk, f"scoring failed ({type(why).__name__})")
                counts["not_scored"] += 1

    def settle(chunk: list[Comment], outcome: Future[Any] | Exception | None) -> None:
        failure = outcome.exception() if isinstance(outcome, Future) else outcome
        if failure is not None and not isinstance(failure, Exception):
            raise failure  # SystemExit, KeyboardInterrupt in the writer: not a comment's fault
        if failure is None:
            counts["scored"] += len(chunk)
        else:
            alone(chunk, failure)  # type: ignore[arg-type]

    def in_batches() -> Iterable[list[Comment]]:
        chunk: list[Comment] = []
        for comment in comments:
            chunk.append(comment)
            if len(chunk) >= batch:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    if not overlap:
        for chunk in in_batches():
            try:
                score_comments(chunk, stage)
                settle(chunk, None)
            except Exception as exc:
                settle(chunk, exc)
        return counts

    was_enabled = gc.isenabled()
    gc.disable()  # as score_comments does for one batch, for both threads
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="triage-writer") as writer:
            pending: tuple[list[Comment], Future[Any] | Exception] | None = None
            try:
                for chunk in in_batches():
                    try:
                        ahead: Ahead | Exception = score_ahead(chunk, stage)
                    except Exception as exc:  # a database error reading languages, versions
                        ahead = exc
                    if pending:
                        done, pending = pending, None
                        settle(*done)
                    pending = (chunk, ahead if isinstance(ahead, Exception)
                               else writer.submit(_score_in_transaction, chunk, stage, ahead))
            finally:
                # The batch in flight is examined whatever ended the loop: the last
                # batch, or an error of the comments' iterator (a database error),
                # which then goes on. After Ctrl+C (no Exception) it is only waited for.
                if pending:
                    stopping = sys.exc_info()[1]
                    if stopping is None or isinstance(stopping, Exception):
                        settle(*pending)
                    elif isinstance(pending[1], Future) and (lost := pending[1].exception()) is not None:
                        logger.error("triage failed on a batch of %d comments", len(pending[0]),
                                     exc_info=(type(lost), lost, lost.__traceback__))
                writer.submit(connections.close_all).result()  # the writer thread's connection
    finally:
        if was_enabled:
            gc.enable()
    return counts


def mark_not_scored(comment_id: int, reason: str, *, forget_scores: bool = False) -> None:
    """Record that scoring of comment ``comment_id`` failed as a whole (one more
    of its ``failures`` in a row), keeping any scores already stored, or with
    ``forget_scores`` dropping them (they are of an older text: the first stage
    failed after an edit). Logs and returns quietly when even that fails (the
    comment itself is never touched)."""
    defaults: dict[str, Any] = {"state": Score.State.NOT_SCORED, "not_scored_reason": reason[:300],
                                "scored_at": timezone.now()}
    if forget_scores:
        defaults |= {"risk": None, "scores": {}, "reasons": [], "details": {}, "skipped": {}, "model_version": ""}
    try:
        with transaction.atomic():
            if not Score.objects.filter(comment_id=comment_id).update(failures=F("failures") + 1, **defaults):
                Score.objects.create(comment_id=comment_id, failures=1, **defaults)
    except Exception:
        logger.exception("triage could not record 'not scored' for comment %s", comment_id)
