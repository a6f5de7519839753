"""Transparency report: what a site's moderators decided in a period, and how fast."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from commentdesk.moderation.models import AuditLogEntry
from commentdesk.sites.models import Site

DECISIONS = ("approve", "reject", "spam")


@dataclass
class Report:
    """Counts of actions (``action`` → n) and of decisions by ``(action, reason)``,
    and seconds from submission to a comment's first decision in the period
    (``median_seconds``, ``p90_seconds``; None without decisions)."""

    site: str
    since: datetime
    until: datetime
    actions: Counter[str] = field(default_factory=Counter)
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)
    decided_comments: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None

    def lines(self) -> list[str]:
        """The report as text lines, for the command line."""
        out = [f"Transparency report for {self.site}, {self.since.isoformat()} to {self.until.isoformat()}"]
        out.append("Actions: " + (", ".join(f"{a} {n}" for a, n in sorted(self.actions.items())) or "none"))
        for (action, reason), n in sorted(self.reasons.items()):
            out.append(f"  {action} / {reason or '(no reason)'}: {n}")
        if self.median_seconds is None:
            out.append("Time to decision: no decisions in this period")
        else:
            out.append(
                f"Time to decision over {self.decided_comments} comments: median {_human(self.median_seconds)}, "
                f"90th percentile {_human(self.p90_seconds or 0)}"
            )
        return out


def _human(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def transparency_report(site: Site, since: datetime, until: datetime) -> Report:
    """Summarise ``site``'s audit log for ``since <= time < until`` (aware datetimes).

    The 90th percentile uses :func:`statistics.quantiles` with ``n=10`` and the
    inclusive method (the 9th of 9 cut points)."""
    report = Report(site=site.slug, since=since, until=until)
    entries = (
        AuditLogEntry.objects.filter(site=site, created_at__gte=since, created_at__lt=until)
        .select_related("comment")
        .order_by("created_at", "id")
    )
    first_decision: dict[int, float] = {}
    for entry in entries.iterator(chunk_size=2000):
        report.actions[entry.action] += 1
        if entry.action in DECISIONS:
            report.reasons[(entry.action, entry.reason)] += 1
            if entry.comment is not None and entry.comment_id not in first_decision:
                waited = (entry.created_at - entry.comment.created_at).total_seconds()
                first_decision[entry.comment_id] = max(0.0, waited)
    waits = sorted(first_decision.values())
    report.decided_comments = len(waits)
    if waits:
        report.median_seconds = statistics.median(waits)
        report.p90_seconds = waits[0] if len(waits) == 1 else statistics.quantiles(waits, n=10, method="inclusive")[8]
    return report
