"""Scorers for tests, named by dotted path in ``TRIAGE_SCORERS`` overrides."""

from __future__ import annotations

import threading
import time

from commentdesk.triage.scorers.base import Context, Result, Scorer


class FixedScorer(Scorer):
    """Gives ``value`` (option) with the reason "fixed <value>"."""

    name = "fixed"

    def __init__(self, *, value: float = 0.5, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.value = value

    def score(self, context: Context) -> Result:
        return Result(score=self.value, reasons=[f"fixed {self.value}"])


class BrokenScorer(Scorer):
    """Always raises."""

    name = "broken"

    def score(self, context: Context) -> Result:
        raise RuntimeError("boom")


class SlowScorer(Scorer):
    """Moves the pipeline's clock (``CLOCK``, patched in by the test) past its budget.
    Option ``before_lock_sleep`` (seconds): a locked scorer whose before_lock sleeps that
    long, really (the pipeline's clock is not patched), and whose score is then quick."""

    name = "slow"
    CLOCK = [0.0]

    def __init__(self, *, before_lock_sleep: float = 0.0, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.before_lock_sleep = float(before_lock_sleep)
        self.locked = self.before_lock_sleep > 0

    def before_lock(self, contexts: list[Context]) -> None:
        time.sleep(self.before_lock_sleep)
        for context in contexts:
            context.ready[self.name] = True

    def score(self, context: Context) -> Result:
        if not context.ready.get(self.name):
            SlowScorer.CLOCK[0] += self.budget + 1.0
        return Result(score=0.9, reasons=["slow but sure"])


class PickyScorer(Scorer):
    """Scores in batches, but a batch holding "poison" fails as a whole; alone, only
    the poisoned comment fails (as a scorer whose batch call hit one bad comment)."""

    name = "picky"

    def score_many(self, contexts: list[Context]) -> list[Result | Exception]:
        if any("poison" in c.text for c in contexts):
            raise ValueError("poison in the batch")
        return [Result(score=0.2, reasons=["picky 0.2"]) for _ in contexts]


class ThreadScorer(Scorer):
    """Gives no score; details ``{"thread": name of the thread it ran in, "ready":
    the thread its before_lock ran in, or None}``. Options ``locked``: run as a
    locked scorer (:attr:`Scorer.locked`); ``fail_before_lock``: before_lock raises."""

    name = "thread"

    def __init__(self, *, locked: bool = False, fail_before_lock: bool = False, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.locked, self.fail_before_lock = bool(locked), bool(fail_before_lock)

    def before_lock(self, contexts: list[Context]) -> None:
        for context in contexts:
            context.ready[self.name] = threading.current_thread().name
        if self.fail_before_lock:
            raise RuntimeError("before_lock failed half-way")

    def score(self, context: Context) -> Result:
        return Result(details={"thread": threading.current_thread().name, "ready": context.ready.get(self.name)})
