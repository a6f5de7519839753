"""Evasion-robust matching of word-list terms in comment text.

Both the term and the text are reduced to a *skeleton* of letters, and the term
becomes a pattern over it:

1. per character: NFKD (so "ｆ" is "f", "ü" is "u" plus a mark, and a Hangul
   syllable is its jamo), case folding;
2. dropped: combining marks, zero-width and joiner characters, and every
   character that is not a letter — spaces, punctuation, digits, emoji — so
   "s p a m", "s.p.a.m", "sp\u200bam", "씨1발" and "씨 발" all close up;
3. Latin look-alikes from Cyrillic and Greek ("ѕраm" with Cyrillic letters)
   become the Latin letter (after Unicode's confusables.txt, the subset of
   lower-case letters that are drawn identically);
4. Korean: conjoining jamo are unified (a final ᆨ is the initial ᄀ) so that
   spelled-out jamo ("ㅆㅣ발") equal the syllable ("씨발");
5. each run of one letter in the term matches a run at least as long in the
   text ("fuuuuck" matches "fuck"; "as" does not match "ass"); runs longer
   than 3 count as 3, which keeps the search linear in the text's length.

A term without Hangul, kana or Han characters must also begin and end on a
word boundary of the original text, so "ass" is not found in "class"
(the Scunthorpe problem), and may span more words (white space or an
apostrophe between them) than it has only when each is one letter, spaced
out ("s h i t", not followed or preceded by another letter standing alone:
"H E L L O" is no "hell"): "Let's hit", "an all", "a SS", "he'll" and "Bulls
hit" are words of their own, not "shit", "anal", "ass", "hell" and
"bullshit" (a term of two words, "bull shit", finds that split). Korean and
Chinese/Japanese terms match inside words, since particles and endings attach
to them — but a match across white space may not begin or end with one letter
cut from a longer word ("서울시 발표"), nor end on a syllable's first consonant
("병 시내" is no 병신). Two kinds of Korean term are narrower: one of a single syllable
("좆", or spelt out "ㅈㅗㅈ") matches whole syllables only (좆같네, not the
ㅈㅗ + ㅈ of 조작); and one of consonants alone, an abbreviation ("ㅅㅂ"),
matches only consonants written alone, never the consonants inside syllables
("것보다", "입시").

Spans are Python string indices (code points) into the original text:
``text[start:end]`` is what a moderator should see highlighted.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from commentdesk.lib.text import INVISIBLE, CharTable

# Characters that draw nothing (lib.text's: zero-width, joiners, soft hyphen, the Hangul
# fillers, which are letters to Unicode and look like a blank, the braille blank) and the
# invisible mathematical operators: dropped, as if not written.
ZERO_WIDTH = INVISIBLE | frozenset("\u2061\u2062\u2063\u2064")

# Cyrillic and Greek lower-case letters drawn like a Latin one (confusables.txt, MA class subset).
CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "ɡ": "g", "ӏ": "l", "һ": "h", "ս": "u", "օ": "o",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    # Read as the Latin letter too: dotless i and the Latin small capitals.
    "ı": "i", "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i",
    "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t",
    "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
})

# Upper bound of a text searched (characters); bodies are at most 20,000.
MAX_TEXT = 20_000
# Runs of one letter are kept up to this length in skeletons (terms and texts alike).
MAX_RUN = 3


@functools.cache
def _unify_jamo(ch: str) -> str:
    """A final consonant (jongseong) as its initial (choseong) form; others unchanged."""
    if "\u11a8" <= ch <= "\u11ff":
        name = unicodedata.name(ch, "")
        if name.startswith("HANGUL JONGSEONG "):
            try:
                return unicodedata.lookup(name.replace("JONGSEONG", "CHOSEONG"))
            except KeyError:
                return ch
    return ch


def _letters_of_char(ch: str) -> str:
    """The skeleton letters one character turns into (steps 1–4 of the module
    docstring): "" for a space, digit, mark or zero-width character; "ss" for "ß"."""
    if ch in ZERO_WIDTH:
        return ""
    out = []
    for part in unicodedata.normalize("NFKD", ch).casefold():
        if part in ZERO_WIDTH or unicodedata.category(part)[0] != "L":
            continue
        out.append(_unify_jamo(part.translate(CONFUSABLES)))
    return "".join(out)


# Each character's skeleton letters, as a str.translate table.
_LETTERS = CharTable(_letters_of_char)
# A run of one letter longer than MAX_RUN.
_LONG_RUN = re.compile(r"(.)\1{%d,}" % MAX_RUN, re.DOTALL)


class Origin(Sequence[int]):
    """For each letter of a skeleton, the index in the text it came from; worked
    out on first use (most texts match no term, and need none)."""

    def __init__(self, text: str) -> None:
        self._text, self._list = text, None

    def _origin(self) -> list[int]:
        if self._list is None:
            origin: list[int] = []
            last, run = "", 0
            for i, ch in enumerate(self._text):
                for part in _LETTERS[ord(ch)]:
                    if part == last:
                        run += 1
                        if run > MAX_RUN:
                            continue
                    else:
                        last, run = part, 1
                    origin.append(i)
            self._list = origin
        return self._list

    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        return self._origin()[i]

    def __len__(self) -> int:
        return len(self._origin())


def skeleton(text: str) -> tuple[str, Origin]:
    """``(letters, origin)``: the matching form of ``text`` and, for each of its
    characters, the index in ``text`` it came from (a sequence of ints, worked
    out on first use). The letters are each character's (``str.translate``),
    runs of one letter cut to ``MAX_RUN``, which keeps regex work linear on "aaaa…".

    >>> skeleton("S.p-a m!")[0]
    'spam'
    >>> list(skeleton("a-b")[1])
    [0, 2]
    >>> skeleton("씨1발")[0] == skeleton("ㅆㅣ발")[0]
    True
    """
    text = text[:MAX_TEXT]
    letters = _LONG_RUN.sub("\\1" * MAX_RUN, text.translate(_LETTERS))
    return letters, Origin(text)


def _is_cjk(term: str) -> bool:
    """Hangul, kana or Han in ``term``: such terms match inside words."""
    return any(
        "\u1100" <= c <= "\u11ff" or "\u3040" <= c <= "\u30ff" or "\u3130" <= c <= "\u318f"
        or "\u4e00" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af" for c in term
    )


# Between the words of a span: white space and apostrophes ("he'll" is two words here).
_WORD_GAP = re.compile(r"[\s'\u2018\u2019\u02bc\u2032`\u00b4]+")
# Conjoining Hangul vowels (the skeleton's jamo: a syllable has exactly one).
_HANGUL_VOWELS = re.compile("[\u1160-\u11a7\ud7b0-\ud7c6]")


@dataclass(frozen=True)
class Pattern:
    """A compiled term: ``term`` as written, ``regex`` over skeletons, ``bounded``
    (must start and end on word boundaries), ``open_start``/``open_end`` (a
    ``*`` written there: the word may go on that side, "дурак*" finds "дураки"),
    ``words``: how many words the term has (a bounded match may span more only
    when each is one letter), ``jamo_only``: Korean consonants written alone
    ("ㅅㅂ"), matched only where the text writes them alone; ``syllable``: one
    Korean syllable, matched only as whole syllables of the text."""

    term: str
    regex: re.Pattern[str]
    bounded: bool
    open_start: bool = False
    open_end: bool = False
    words: int = 1
    jamo_only: bool = False
    syllable: bool = False


def compile_term(term: str) -> Pattern | None:
    """The pattern of ``term``, or None when it has no letters (nothing to find).
    A ``*`` at either end lets a word of a term that must stand alone go on
    there: "idiot*" finds "idiotic", "*head" finds "dickhead".

    >>> compile_term("ass").regex.pattern
    'a+s{2,}'
    >>> compile_term("idiot*").open_end
    True
    """
    letters, _ = skeleton(term)
    if not letters:
        return None
    parts = [f"{re.escape(m.group(1))}{'+' if len(m.group(0)) == 1 else '{%d,}' % len(m.group(0))}"
             for m in re.finditer(r"(.)\1*", letters)]
    written = term.strip()
    vowels = len(_HANGUL_VOWELS.findall(letters))
    hangul = any("\u1100" <= c <= "\u11ff" or "\ua960" <= c <= "\ua97f" or "\ud7b0" <= c <= "\ud7ff"
                 for c in letters)
    syllable = hangul and vowels == 1 and all(_is_cjk(c) for c in letters)
    bounded = not _is_cjk(term)
    words = max(1, sum(1 for piece in _WORD_GAP.split(written.strip("*")) if skeleton(piece)[0]))
    # "*" opens a bounded term's end; the others match inside words already (and keep their rule across spaces).
    return Pattern(term, re.compile("".join(parts)), bounded, bounded and written.startswith("*"),
                   bounded and written.endswith("*"), words, hangul and vowels == 0, syllable)


@dataclass(frozen=True)
class Match:
    """``term`` found at ``text[start:end]`` (code point indices)."""

    term: str
    start: int
    end: int


# Refused candidates of one term searched past by one letter (see find_terms).
OVERLAP_RETRIES = 32


def _is_letter(ch: str) -> bool:
    return ch not in ZERO_WIDTH and unicodedata.category(ch)[0] in "LM"


def find_terms(text: str, patterns: list[Pattern],
               skeleton_of_text: tuple[str, Origin] | None = None) -> list[Match]:
    """Every match of ``patterns`` in ``text``, in text order, at most one per term.
    ``skeleton_of_text``: ``skeleton(text)`` when the caller already has it
    (several lists searched in one text).

    A match is the narrowest span that satisfies the pattern ("и идиoт" shows
    "идиoт", not the word "и" before it). A Korean or Chinese/Japanese term
    found across white space may not begin or end with a single letter that is
    the edge of a longer word: otherwise "서울시 발표" (the city's announcement)
    and "3시 발표" would be "시발" ("이 개 새끼야" still is "개새끼"). Spelled with
    digits or dots inside ("씨1발") or without a gap, such a term matches inside
    words.

    >>> [(m.term, m.start, m.end) for m in find_terms("Buy ѕ р а m now", [compile_term("spam")])]
    [('spam', 4, 11)]
    >>> find_terms("서울시 발표에 따르면", [compile_term("시발")])
    []
    """
    letters, origin = skeleton_of_text or skeleton(text)
    found: list[Match] = []
    for pattern in patterns:
        # A candidate refused (no word boundary) is searched past by one letter,
        # not by its length: "twa twat" holds "twat" overlapping "twatwat". After
        # OVERLAP_RETRIES refusals, by its length (a text made of near-misses,
        # "abab…" against many terms, took 16 times as long).
        position, refused = 0, 0
        while (m := pattern.regex.search(letters, position)) is not None:
            span = _narrowest(pattern, letters, origin, text, m.start(), m.end())
            if span is not None:
                found.append(Match(pattern.term, *span))
                break
            refused += 1
            position = m.start() + 1 if refused <= OVERLAP_RETRIES else max(m.end(), m.start() + 1)
    return sorted(found, key=lambda m: (m.start, m.end))


def _narrowest(pattern: Pattern, letters: str, origin: Origin, text: str, start: int, end: int
               ) -> tuple[int, int] | None:
    """The narrowest ``(start, end)`` in ``text`` of a skeleton match
    ``letters[start:end]`` that keeps the pattern and its boundaries, or None
    when none does. A match may be cut only where a run of one letter at either
    end is longer than the pattern needs (at most ``MAX_RUN`` letters each end)."""
    starts, ends = [start], [end]
    while starts[-1] + 1 < end and letters[starts[-1] + 1] == letters[start] \
            and pattern.regex.fullmatch(letters, starts[-1] + 1, end):
        starts.append(starts[-1] + 1)
    while ends[-1] - 1 > start and letters[ends[-1] - 2] == letters[end - 1] \
            and pattern.regex.fullmatch(letters, start, ends[-1] - 1):
        ends.append(ends[-1] - 1)
    for s in reversed(starts):
        for e in reversed(ends):
            if e <= s or not pattern.regex.fullmatch(letters, s, e):
                continue
            first, last = origin[s], origin[e - 1] + 1
            before = not pattern.open_start and first > 0 and _is_letter(text[first - 1])
            after = not pattern.open_end and last < len(text) and _is_letter(text[last])
            if pattern.bounded and (before or after):
                continue
            if pattern.bounded and not _words_fit(text, first, last, pattern.words):
                continue
            if pattern.syllable and _inside_a_syllable(origin, s, e, len(letters)):
                continue  # "좆" in "조작": the ㅈ of 작 is no final consonant
            if pattern.jamo_only and any(_is_syllable(text[origin[k]]) for k in range(s, e)):
                continue  # "ㅅㅂ" in "것보다": consonants of syllables, not an abbreviation
            if not pattern.bounded and (before or after):
                pieces = text[first:last].split()
                # Across white space, a piece of one letter may not be the edge of a longer word.
                if len(pieces) > 1 and ((before and _letter_count(pieces[0]) < 2)
                                        or (after and _letter_count(pieces[-1]) < 2)):
                    continue
            if _splits_a_syllable(origin, s, e, len(letters)) and len(text[first:last].split()) > 1:
                # Across white space, a term may not end on the first consonant of a syllable
                # (nor begin on the last): "이 병 시내에서" (a bottle, downtown) is not 병신.
                # Without a space it may ("병시나", 병신아 spelt as it sounds).
                continue
            return first, last
    return None


def _splits_a_syllable(origin: Origin, start: int, end: int, length: int) -> bool:
    """Whether the skeleton span ``start:end`` takes only the first letter of the
    character it ends in (a Hangul syllable's initial consonant, its vowel left out)
    or only the last letter of the character it begins in (a final consonant)."""
    ends_early = (end < length and origin[end] == origin[end - 1]
                  and (end - 1 == start or origin[end - 2] != origin[end - 1]))
    begins_late = (start > 0 and origin[start - 1] == origin[start]
                   and (start + 1 == end or origin[start + 1] != origin[start]))
    return ends_early or begins_late


def _letter_count(piece: str) -> int:
    return sum(1 for ch in piece if _is_letter(ch))


# Another letter standing alone just before or after a span of spaced-out letters
# (but for the words "a" and "I": "what a s c a m").
_LONE_LETTER_AFTER = re.compile(r"[\W_]{1,8}([^\W\d_])(?![^\W\d_])")
_LONE_LETTER_BEFORE = re.compile(r"(?<![^\W\d_])([^\W\d_])[\W_]{1,8}$")
_LONE_WORDS = frozenset("ai")


def _words_fit(text: str, first: int, last: int, words: int) -> bool:
    """Whether ``text[first:last]``, a match of a bounded term of ``words``
    words, is no more words (white space or apostrophes between); or is
    letters spaced out one by one ("s h i t", "s. h. i. t."), with no letter
    but "a" or "I" standing alone just outside ("H E L L O" is spaced out
    "hello")."""
    pieces = [piece for piece in _WORD_GAP.split(text[first:last]) if piece]
    if len(pieces) <= words:
        return True
    if any(_letter_count(piece) != 1 for piece in pieces):
        return False
    around = (_LONE_LETTER_AFTER.match(text, last), _LONE_LETTER_BEFORE.search(text[max(0, first - 10):first]))
    return not any(m and m.group(1).casefold() not in _LONE_WORDS for m in around)


def _inside_a_syllable(origin: Origin, start: int, end: int, length: int) -> bool:
    """Whether the skeleton span ``start:end`` begins after the first letter of the
    character it begins in, or ends before the last letter of the one it ends in
    (a whole syllable, or whole spelt-out jamo, is neither)."""
    return (start > 0 and origin[start - 1] == origin[start]) or (end < length and origin[end] == origin[end - 1])


def _is_syllable(ch: str) -> bool:
    """A precomposed Hangul syllable (가–힣)."""
    return "\uac00" <= ch <= "\ud7a3"
