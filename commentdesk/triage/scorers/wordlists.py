"""Word-list scorer: a site's banned and suspect terms (model ``WordList``)."""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import datetime

from commentdesk.triage import sitecache
from commentdesk.triage.models import WordList
from commentdesk.triage.scorers.base import Context, Result, Scorer
from commentdesk.triage.wordmatch import Pattern, compile_term, find_terms, skeleton


@functools.lru_cache(maxsize=256)
def _patterns(list_id: int, updated_at: datetime, terms: str) -> list[Pattern]:
    """Compiled terms of one list version (keyed by its id and change time)."""
    compiled = (compile_term(t) for t in WordList(terms=terms).term_list())
    return [p for p in compiled if p is not None]


# {language: [(kind, patterns)]} of one site, banned lists before suspect ones.
SiteLists = dict[str, list[tuple[str, list[Pattern]]]]


def site_lists(site_ids: list[int]) -> dict[int, SiteLists]:
    """The compiled word lists of each site, by language ("" for every language);
    remembered per process (:mod:`commentdesk.triage.sitecache`), one query for
    the sites not remembered."""

    def load(missing: list[int]) -> dict[int, SiteLists]:
        out: dict[int, SiteLists] = {i: defaultdict(list) for i in missing}
        rows = WordList.objects.filter(site_id__in=missing).order_by("kind", "pk")  # banned before suspect
        for w in rows:
            out[w.site_id][w.language].append((w.kind, _patterns(w.pk, w.updated_at, w.terms)))
        return {i: dict(lists) for i, lists in out.items()}

    return sitecache.get_many("words", site_ids, load)


class WordListScorer(Scorer):
    """Finds the site's terms for the comment's language (and its every-language
    lists) with evasion-robust matching (:mod:`commentdesk.triage.wordmatch`).

    Score: ``banned_score`` (option, default 0.95) when a banned term matches,
    else ``suspect_score`` (default 0.3) when a suspect term does, else 0.
    The lists searched are those of the comment's language and the
    every-language ones; all of the site's when no language was detected.
    Reasons: ``banned term: <term> ("<as written>")``. Details: ``{"matches":
    [{"term", "kind", "start", "end"}]}`` — code point offsets into the body, for
    highlighting. Lists are read once per process and batch, not per comment.
    """

    name = "words"

    def __init__(self, *, banned_score: float = 0.95, suspect_score: float = 0.3, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.banned_score, self.suspect_score = float(banned_score), float(suspect_score)

    def score_many(self, contexts: list[Context]) -> list[Result | Exception]:
        """One Result per context (see the class); lists of every site in one read."""
        lists = site_lists([c.comment.site_id for c in contexts])
        return [self._one(c, lists[c.comment.site_id]) for c in contexts]

    def _one(self, context: Context, lists: SiteLists) -> Result:
        # An undetected language (a fallback of "") could be any of the site's:
        # every list then, else a banned term of a mixed-language text went unseen.
        wanted = (sorted({"", context.language, context.language.split("-")[0]}) if context.language
                  else sorted(lists))
        chosen = sorted((entry for lang in wanted for entry in lists.get(lang, [])), key=lambda e: e[0])
        matches, reasons, kinds = [], [], set()
        if chosen:
            letters = skeleton(context.text)
            for kind, patterns in chosen:
                for m in find_terms(context.text, patterns, letters):
                    kinds.add(kind)
                    matches.append({"term": m.term, "kind": kind, "start": m.start, "end": m.end})
                    reasons.append(f'{kind} term: {m.term} ("{context.text[m.start:m.end]}")')
        value = (self.banned_score if WordList.Kind.BANNED in kinds
                 else self.suspect_score if kinds else 0.0)
        return Result(score=value, reasons=reasons, details={"matches": matches})
