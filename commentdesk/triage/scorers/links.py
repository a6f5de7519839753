"""Link scorer: link count, blocked domains, URL shorteners (per-site ``TriagePolicy``)."""

from __future__ import annotations

from commentdesk.triage.links import MAX_LINKS, domain_of, domain_set, find_links, in_domains
from commentdesk.triage.models import TriagePolicy
from commentdesk.triage.scorers.base import Context, Result, Scorer


class LinkScorer(Scorer):
    """Score: ``blocked_score`` (0.95) for a link to a blocked domain, else
    ``hold_score`` (0.6) for more links than the site's ``max_links``, else
    ``shortener_score`` (0.5) for a URL shortener, else 0.1 per link up to 0.3,
    else 0. Details: ``{"count", "domains", "hold"}``. One query per comment.
    """

    name = "links"

    def __init__(self, *, blocked_score: float = 0.95, hold_score: float = 0.6, shortener_score: float = 0.5,
                 **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.blocked_score, self.hold_score = float(blocked_score), float(hold_score)
        self.shortener_score = float(shortener_score)

    def score(self, context: Context) -> Result:
        links = find_links(context.text)
        if not links:
            return Result(score=0.0, details={"count": 0, "domains": [], "hold": False})
        policy = TriagePolicy.for_site(context.comment.site_id)
        domains = sorted({d for d in (domain_of(link) for link in links[:MAX_LINKS]) if d})
        blocked = sorted({b for d in domains if (b := in_domains(d, domain_set(policy.blocked_domains)))})
        shorteners = sorted({s for d in domains if (s := in_domains(d, domain_set(policy.shorteners)))})
        hold = len(links) > policy.max_links
        reasons = [f"blocked domain: {b}" for b in blocked]
        if hold:
            reasons.append(f"{len(links)} links (the site holds more than {policy.max_links} for review)")
        reasons += [f"URL shortener: {s}" for s in shorteners]
        value = (self.blocked_score if blocked else self.hold_score if hold
                 else self.shortener_score if shorteners else min(0.1 * len(links), 0.3))
        return Result(score=value, reasons=reasons, details={"count": len(links), "domains": domains, "hold": hold})
