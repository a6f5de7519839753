"""Nudge before posting: tell a reader, before they send it, that their draft
is likely to be rejected, with the site's guidelines (off by default; a site
turns it on with ``TriagePolicy.nudge_enabled``).

:func:`assess` runs the side-effect-free scorers (``NUDGE_SCORERS``: language,
word lists, links, classifier; never the campaign scorer, which stores
fingerprints) over the draft and stores nothing. Its answer names only generic
categories (``REASONS``), never the matched term, the domain or the model's
numbers: telling a reader which word tripped the list would teach evasion.

The reader's choice after a nudge travels with the submission (field
``nudge``: ``revised`` / ``posted_anyway``) and is kept as a :class:`Nudge`
row beside the comment (:func:`record_choice`), shown in the desk.
"""

from __future__ import annotations

import logging
from typing import TypedDict

from commentdesk.comments.models import Comment
from commentdesk.sites.models import Site
from commentdesk.triage.models import Nudge, TriagePolicy, WordList

logger = logging.getLogger(__name__)

# Scorers (by name) that may run over a draft: they read, never write.
NUDGE_SCORERS = ("language", "words", "links", "classifier")
# The generic categories a reader may be told, in this order.
REASONS = {
    "wording": "words the site's guidelines do not allow",
    "links": "links the site holds back",
    "tone": "a tone comments like it are often rejected for",
}
# A link score from this value up is a blocked domain (LinkScorer's blocked_score is 0.95).
LINK_BLOCKED_AT = 0.9
# The guidelines excerpt is cut to about this many characters, at a word boundary.
EXCERPT = 600


class NudgeDict(TypedDict, total=False):
    """The nudge endpoint's answer: ``nudge``; with ``nudge`` true also ``message``
    (the site's guidelines, excerpt) and ``reasons`` (keys of ``REASONS``)."""

    nudge: bool
    message: str
    reasons: list[str]


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """``text`` stripped, cut to at most ``limit`` characters at a word boundary with "…".

    >>> excerpt("Be kind. Stay on topic.", 12)
    'Be kind.…'
    >>> excerpt("  short  ")
    'short'
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def categories(outcomes: dict[str, object], policy: TriagePolicy) -> list[str]:
    """The keys of ``REASONS`` that ``outcomes`` (:func:`~.pipeline.run_scorers`'s
    answer over a draft) point to: a banned term (``wording``), a blocked domain
    or more links than the site allows or a URL shortener, whose target the reader
    could give instead (``links``), a classifier probability of at
    least ``policy.nudge_above`` (``tone``). Skipped scorers point to nothing."""
    from commentdesk.triage.scorers.base import Result

    found: list[str] = []
    words = outcomes.get("words")
    if isinstance(words, Result) and any(m.get("kind") == WordList.Kind.BANNED
                                         for m in words.details.get("matches", [])):
        found.append("wording")
    links = outcomes.get("links")
    if isinstance(links, Result) and ((links.score or 0.0) >= LINK_BLOCKED_AT or links.details.get("hold")
                                      or links.details.get("shorteners")):
        found.append("links")
    model = outcomes.get("classifier")
    if isinstance(model, Result) and model.score is not None and model.score >= policy.nudge_above:
        found.append("tone")
    return found


def assess(site: Site, text: str, language: str = "") -> NudgeDict:
    """Whether to nudge a reader about draft ``text`` (already validated: not
    blank, within the site's limit) on ``site``; ``language`` picks the
    guidelines' translation (the reader's page language; else the draft's detected one).

    ``{"nudge": false}`` when the site has nudges off or nothing points to a
    rejection; else ``{"nudge": true, "message": guidelines excerpt, "reasons":
    [categories]}``. Stores nothing; scorer failures count as "no opinion"
    (a draft is never nudged because triage broke). Never raises for any text.
    """
    policy = TriagePolicy.for_site(site.pk)
    if not policy.nudge_enabled:
        return {"nudge": False}
    from commentdesk.triage.pipeline import MAX_TEXT, get_scorers, run_scorers
    from commentdesk.triage.scorers.base import Context

    draft = Comment(site=site, body=text)  # never saved
    safe = text[:MAX_TEXT].encode("utf-8", "replace").decode("utf-8")
    context = Context(comment=draft, text=safe)
    try:
        outcomes = run_scorers([s for s in get_scorers() if s.name in NUDGE_SCORERS], context)
    except Exception:  # run_scorers never raises; building the scorers might
        logger.exception("triage could not assess a draft of site %s", site.slug)
        return {"nudge": False}
    found = categories(outcomes, policy)
    if not found:
        return {"nudge": False}
    guidelines, _disclaimer = site.texts(language or context.language or None)
    return {"nudge": True, "message": excerpt(guidelines), "reasons": found}


def record_choice(comment: Comment, choice: str) -> Nudge | None:
    """Keep that the author of ``comment`` was nudged and chose ``choice``
    (``revised`` or ``posted_anyway``; raises ``ValueError`` otherwise), and
    return the record; None, keeping nothing, when the site's nudges are off
    (no reader of it was nudged: the desk must not say so). Call it in the
    submission's transaction, so the comment and its record are stored together."""
    if choice not in Nudge.Choice.values:
        raise ValueError(f"unknown nudge choice {choice!r}")
    if not TriagePolicy.for_site(comment.site_id).nudge_enabled:
        return None
    return Nudge.objects.create(comment=comment, choice=choice)
