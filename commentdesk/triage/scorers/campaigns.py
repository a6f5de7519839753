"""Campaign scorer: near-duplicates across threads and commenters; bursts from one IP hash."""

from __future__ import annotations

from datetime import timedelta

from commentdesk.triage.campaigns import (
    Found,
    burst_many,
    describe,
    fingerprints,
    minutes,
    record_many,
)
from commentdesk.triage.scorers.base import Context, Result, Scorer


# The highest score a burst from one address gives on its own (see CampaignScorer).
BURST_MAX = 0.5


class CampaignScorer(Scorer):
    """Score: ``0.3 + 0.1·n`` (at most 0.9) for ``n`` near-duplicates within
    ``window`` seconds (option, default 3600); ``0.3 + 0.05·(k - burst_count)``
    (at most ``BURST_MAX``, 0.5) when ``k`` ≥ ``burst_count`` (default 5) other
    comments came from the same IP hash within ``burst_window`` seconds (default
    600); the larger counts. A burst alone stays moderate: readers behind one
    office or mobile-carrier address, or every reader behind a proxy whose
    ``X-Forwarded-For`` is not trusted, share an address. Reasons: "5 near-duplicates in 60 min (3 threads, 4
    commenters)", "6 comments from one address in 10 min". Runs in the
    background (a few queries per batch; see :func:`~commentdesk.triage.campaigns.record_many`).
    """

    name = "campaign"
    stage = "background"
    budget = 2.0
    locked = True  # stores fingerprints of the text

    def __init__(self, *, window: int = 3600, burst_window: int = 600, burst_count: int = 5,
                 **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.window, self.burst_window = timedelta(seconds=window), timedelta(seconds=burst_window)
        self.burst_count = int(burst_count)

    def before_lock(self, contexts: list[Context]) -> None:
        """The bodies' MinHash fingerprints (:func:`~commentdesk.triage.campaigns.fingerprints`).
        (Not the same-address counts: they are read under the lock, so that a comment
        erased meanwhile is not counted.)"""
        for context, printed in zip(contexts, fingerprints([c.comment.body or "" for c in contexts]), strict=True):
            context.ready[self.name] = printed

    def score_many(self, contexts: list[Context]) -> list[Result | Exception]:
        """One Result per context; details: :func:`~commentdesk.triage.campaigns.describe`
        plus ``same_address``."""
        comments = [c.comment for c in contexts]
        prints = [c.ready[self.name] for c in contexts] if all(self.name in c.ready for c in contexts) else None
        changed = (None if any(c.changed is None for c in contexts)
                   else {c.comment.pk: c.changed for c in contexts if c.changed})
        return [self._one(found, k) for found, k in zip(record_many(comments, self.window, prints, changed),
                                                         burst_many(comments, self.burst_window))]

    def _one(self, found: Found, k: int) -> Result:
        reasons, value = [], 0.0
        if found.near:
            n = len(found.near)
            value = min(0.9, 0.3 + 0.1 * n)
            t, c = found.threads, found.commenters
            reasons.append(f"{n} near-duplicate{'s' if n > 1 else ''} in {minutes(self.window)} "
                           f"({t} thread{'s' if t > 1 else ''}, {c} commenter{'s' if c > 1 else ''})")
        if k >= self.burst_count:
            value = max(value, min(BURST_MAX, 0.3 + 0.05 * (k - self.burst_count)))
            reasons.append(f"{k + 1} comments from one address in {minutes(self.burst_window)}")
        details = describe(found, self.window) | {"same_address": k}
        return Result(score=round(value, 4), reasons=reasons, details=details)
