"""Word-list scorer: a site's banned and suspect terms (model ``WordList``)."""

from __future__ import annotations

import functools
import unicodedata
from collections import defaultdict
from datetime import datetime

from commentdesk.lib.text import CharTable
from commentdesk.triage import sitecache
from commentdesk.triage.models import WordList
from commentdesk.triage.scorers.base import Context, Result, Scorer
from commentdesk.triage.wordmatch import Pattern, compile_term, find_terms, skeleton


@functools.lru_cache(maxsize=256)
def _patterns(list_id: int, updated_at: datetime, terms: str) -> tuple[list[Pattern], frozenset[str]]:
    """Compiled terms of one list version (keyed by its id and change time), and
    the scripts they are written in (:func:`scripts_of`)."""
    compiled = [p for p in (compile_term(t) for t in WordList(terms=terms).term_list()) if p is not None]
    return compiled, scripts_of(" ".join(p.term for p in compiled))


# One character per script (its Unicode name's first word: HANGUL, CYRILLIC, CJK, ARABIC…).
_SCRIPT_CODES: dict[str, str] = {}


def _script_code(ch: str) -> str:
    """The code of the script of letter ``ch`` (after NFKC: a full-width letter is
    its letter's), "" for Latin and for anything not a letter."""
    ch = unicodedata.normalize("NFKC", ch)[:1]
    if not ch.isalpha():
        return ""
    script = unicodedata.name(ch, "LATIN").split(" ", 1)[0]
    return "" if script == "LATIN" else _SCRIPT_CODES.setdefault(script, chr(0xE000 + len(_SCRIPT_CODES)))


_SCRIPTS = CharTable(_script_code)


def scripts_of(text: str) -> frozenset[str]:
    """The scripts other than Latin that ``text``'s letters are written in, as opaque
    codes (compare them with each other only)."""
    return frozenset(text.translate(_SCRIPTS))


# {language: [(kind, patterns, scripts)]} of one site, banned lists before suspect ones.
SiteLists = dict[str, list[tuple[str, list[Pattern], frozenset[str]]]]


def site_lists(site_ids: list[int]) -> dict[int, SiteLists]:
    """The compiled word lists of each site, by language ("" for every language);
    remembered per process (:mod:`commentdesk.triage.sitecache`), one query for
    the sites not remembered."""

    def load(missing: list[int]) -> dict[int, SiteLists]:
        out: dict[int, SiteLists] = {i: defaultdict(list) for i in missing}
        rows = WordList.objects.filter(site_id__in=missing).order_by("kind", "pk")  # banned before suspect
        for w in rows:
            out[w.site_id][w.language].append((w.kind, *_patterns(w.pk, w.updated_at, w.terms)))
        return {i: dict(lists) for i, lists in out.items()}

    return sitecache.get_many("words", site_ids, load)


class WordListScorer(Scorer):
    """Finds the site's terms for the comment's language (and its every-language
    lists) with evasion-robust matching (:mod:`commentdesk.triage.wordmatch`).

    Score: ``banned_score`` (option, default 0.95) when a banned term matches,
    else ``suspect_score`` (default 0.3) when a suspect term does, else 0.
    The lists searched are those of the comment's language and the
    every-language ones; all of the site's when no language was detected; and
    any list whose terms are written in a script other than Latin that the text
    uses (a Korean insult inside an English comment, a Russian one in Korean).
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
        wanted = {"", context.language, context.language.split("-")[0]} if context.language else set(lists)
        entries = [entry for lang in sorted(wanted) for entry in lists.get(lang, [])]
        others = [entry for lang in sorted(set(lists) - wanted) for entry in lists[lang] if entry[2]]
        if others and (written := scripts_of(context.text)):
            entries += [entry for entry in others if entry[2] & written]
        chosen = sorted(entries, key=lambda e: e[0])
        matches, reasons, kinds = [], [], set()
        if chosen:
            letters = skeleton(context.text)
            for kind, patterns, _scripts in chosen:
                for m in find_terms(context.text, patterns, letters):
                    kinds.add(kind)
                    matches.append({"term": m.term, "kind": kind, "start": m.start, "end": m.end})
                    reasons.append(f'{kind} term: {m.term} ("{context.text[m.start:m.end]}")')
        value = (self.banned_score if WordList.Kind.BANNED in kinds
                 else self.suspect_score if kinds else 0.0)
        return Result(score=value, reasons=reasons, details={"matches": matches})
