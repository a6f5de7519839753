"""Word-list scorer: a site's banned and suspect terms (model ``WordList``)."""

from __future__ import annotations

import functools
from datetime import datetime

from commentdesk.triage.models import WordList
from commentdesk.triage.scorers.base import Context, Result, Scorer
from commentdesk.triage.wordmatch import Pattern, compile_term, find_terms


@functools.lru_cache(maxsize=256)
def _patterns(list_id: int, updated_at: datetime, terms: str) -> list[Pattern]:
    """Compiled terms of one list version (keyed by its id and change time)."""
    compiled = (compile_term(t) for t in WordList(terms=terms).term_list())
    return [p for p in compiled if p is not None]


class WordListScorer(Scorer):
    """Finds the site's terms for the comment's language (and its every-language
    lists) with evasion-robust matching (:mod:`commentdesk.triage.wordmatch`).

    Score: ``banned_score`` (option, default 0.95) when a banned term matches,
    else ``suspect_score`` (default 0.3) when a suspect term does, else 0.
    Reasons: ``banned term: <term> ("<as written>")``. Details: ``{"matches":
    [{"term", "kind", "start", "end"}]}`` — code point offsets into the body, for
    highlighting. One query per comment.
    """

    name = "words"

    def __init__(self, *, banned_score: float = 0.95, suspect_score: float = 0.3, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.banned_score, self.suspect_score = float(banned_score), float(suspect_score)

    def score(self, context: Context) -> Result:
        languages = {"", context.language, context.language.split("-")[0]}
        lists = WordList.objects.filter(site_id=context.comment.site_id, language__in=languages)
        matches, reasons, kinds = [], [], set()
        for wordlist in sorted(lists, key=lambda w: w.kind):  # banned before suspect
            for m in find_terms(context.text, _patterns(wordlist.pk, wordlist.updated_at, wordlist.terms)):
                kinds.add(wordlist.kind)
                matches.append({"term": m.term, "kind": wordlist.kind, "start": m.start, "end": m.end})
                reasons.append(f'{wordlist.kind} term: {m.term} ("{context.text[m.start:m.end]}")')
        value = (self.banned_score if WordList.Kind.BANNED in kinds
                 else self.suspect_score if kinds else 0.0)
        return Result(score=value, reasons=reasons, details={"matches": matches})
