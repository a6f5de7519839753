"""Link scorer: link count, blocked domains, URL shorteners (per-site ``TriagePolicy``)."""

from __future__ import annotations

from dataclasses import dataclass

from commentdesk.triage import sitecache
from commentdesk.triage.links import (
    MAX_LINKS,
    bare_hosts,
    domain_of,
    domain_set,
    find_links,
    in_domains,
    readable,
)
from commentdesk.triage.models import TriagePolicy
from commentdesk.triage.scorers.base import Context, Result, Scorer


@dataclass(frozen=True)
class LinkPolicy:
    """A site's TriagePolicy as sets: ``max_links``, ``blocked`` and ``shorteners`` domains."""

    max_links: int
    blocked: frozenset[str]
    shorteners: frozenset[str]


def link_policies(site_ids: list[int]) -> dict[int, LinkPolicy]:
    """Each site's policy (the defaults for a site without one), remembered per
    process (:mod:`commentdesk.triage.sitecache`); one query for the others."""

    def load(missing: list[int]) -> dict[int, LinkPolicy]:
        rows = {p.site_id: p for p in TriagePolicy.objects.filter(site_id__in=missing)}
        out = {}
        for site_id in missing:
            p = rows.get(site_id) or TriagePolicy(site_id=site_id)
            out[site_id] = LinkPolicy(p.max_links, frozenset(domain_set(p.blocked_domains)),
                                      frozenset(domain_set(p.shorteners)))
        return out

    return sitecache.get_many("links", site_ids, load)


# Characters of a domain a reason names (a 5,000-character host came back whole).
NAMED = 80


def _named(domain: str) -> str:
    """``domain`` as a reason names it: readable (:func:`~.links.readable`), at most
    ``NAMED`` characters (then "…")."""
    text = readable(domain)
    return text if len(text) <= NAMED else text[:NAMED - 1] + "…"


class LinkScorer(Scorer):
    """Score: ``blocked_score`` (0.95) for a link to a blocked domain, else
    ``hold_score`` (0.6) for more links than the site's ``max_links``, else
    ``shortener_score`` (0.5) for a URL shortener, else 0.1 per link up to 0.3,
    else 0; reasons name each of these ("1 link: example.org" for the small
    score). Details: ``{"count", "domains", "hold", "shorteners"}``. A blocked
    domain or shortener written bare with any ending ("casino.example/win") is
    found too, without counting as a link (bare hosts count only with a common
    ending: "node.js" is no link). Policies are read once per process and batch,
    and only for comments with links or host-like words.
    """

    name = "links"

    def __init__(self, *, blocked_score: float = 0.95, hold_score: float = 0.6, shortener_score: float = 0.5,
                 **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.blocked_score, self.hold_score = float(blocked_score), float(hold_score)
        self.shortener_score = float(shortener_score)

    def score_many(self, contexts: list[Context]) -> list[Result | Exception]:
        """One Result per context (see the class)."""
        found = [(find_links(c.text), bare_hosts(c.text)) for c in contexts]
        sites = [c.comment.site_id for c, (links, hosts) in zip(contexts, found) if links or hosts]
        policies = link_policies(sites) if sites else {}
        return [self._one(links, hosts, policies[c.comment.site_id]) if links or hosts
                else Result(score=0.0, details={"count": 0, "domains": [], "hold": False, "shorteners": []})
                for c, (links, hosts) in zip(contexts, found)]

    def _one(self, links: list[str], hosts: set[str], policy: LinkPolicy) -> Result:
        """``links``: counted; ``hosts``: bare host names of any ending, checked
        against the blocked domains and shorteners only ("casino.example/win")."""
        domains = sorted({d for d in (domain_of(link) for link in links[:MAX_LINKS]) if d})
        named = set(domains) | {d for d in map(domain_of, hosts) if d}
        blocked = sorted({b for d in named if (b := in_domains(d, policy.blocked))})
        shorteners = sorted({s for d in named if (s := in_domains(d, policy.shorteners))})
        hold = len(links) > policy.max_links
        reasons = [f"blocked domain: {_named(b)}" for b in blocked]
        if hold:
            reasons.append(f"{len(links)} links (the site holds more than {policy.max_links} for review)")
        reasons += [f"URL shortener: {_named(s)}" for s in shorteners]
        if links and not reasons:  # the small score a link gives has its reason too
            shown = ", ".join(_named(d) for d in domains[:3]) + (", …" if len(domains) > 3 else "")
            reasons.append(f"{len(links)} link{'s' if len(links) > 1 else ''}" + (f": {shown}" if shown else ""))
        value = (self.blocked_score if blocked else self.hold_score if hold
                 else self.shortener_score if shorteners else min(0.1 * len(links), 0.3))
        return Result(score=value, reasons=reasons, details={"count": len(links), "domains": domains, "hold": hold,
                                                             "shorteners": shorteners})
