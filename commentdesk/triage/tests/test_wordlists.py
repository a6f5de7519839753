"""Word lists: banned terms suggest rejecting, suspect terms are highlighted, evasions are seen through."""

from __future__ import annotations

from typing import Any

import pytest

from commentdesk.triage import pipeline
from commentdesk.triage.models import WordList
from commentdesk.triage.tests.conftest import LANGUAGE
from commentdesk.triage.wordmatch import compile_term, find_terms

WORDS = {"NAME": "commentdesk.triage.scorers.wordlists.WordListScorer"}
TERMS = ["fuck", "ass", "spam", "씨발", "병신", "scam", "시발", "개새끼", "идиот", "twat", "tit"]


def found(text: str) -> list[tuple[str, str]]:
    patterns = [p for p in map(compile_term, TERMS) if p]
    return [(m.term, text[m.start:m.end]) for m in find_terms(text, patterns)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what the FUUUUCK", [("fuck", "FUUUUCK")]),
        ("f u c k this", [("fuck", "f u c k")]),
        ("f.u-c_k", [("fuck", "f.u-c_k")]),
        ("ｆｕｃｋ", [("fuck", "ｆｕｃｋ")]),  # full-width (NFKC)
        ("fück", [("fuck", "fück")]),  # accent
        ("fu\u200bc\u200dk", [("fuck", "fu\u200bc\u200dk")]),  # zero-width and joiner
        ("ѕрам here", [("spam", "ѕрам")]),  # Cyrillic look-alikes
        ("ѕcαm", [("scam", "ѕcαm")]),  # Cyrillic and Greek mixed in
        ("kick ass", [("ass", "ass")]),
        ("씨1발 뭐야", [("씨발", "씨1발")]),  # inserted digit
        ("씨 발", [("씨발", "씨 발")]),  # inserted space
        ("ㅆㅣ발", [("씨발", "ㅆㅣ발")]),  # spelled-out jamo
        ("병신아 꺼져", [("병신", "병신")]),  # particle attached
        ("이 병.신.들", [("병신", "병.신")]),
        ("이 개 새끼야", [("개새끼", "개 새끼")]),  # inserted space, ending attached
        ("и идиoт", [("идиот", "идиoт")]),  # the narrowest span: not the word "и" before it
        ("spamm and more", [("spam", "spamm")]),  # widened to the word boundary
        ("twa twat", [("twat", "twat")]),  # after a refused candidate overlapping it ("twa twat" → "twatwat")
        ("petit tit", [("tit", "tit")]),
        ("씨\u3164발 기사", [("씨발", "씨\u3164발")]),  # a Hangul filler, a letter to Unicode that draws nothing
        ("sp\uffa0am", [("spam", "sp\uffa0am")]),  # the half-width filler
        ("a tıt", [("tit", "tıt")]),  # dotless i
        ("sp\u2800am", [("spam", "sp\u2800am")]),  # the braille blank
        ("ꜱᴘᴀᴍ", [("spam", "ꜱᴘᴀᴍ")]),  # small capitals
        ("병시나 꺼져", [("병신", "병시나")]),  # spelt as it sounds (병신아), within one word
        ("ſpam", [("spam", "ſpam")]),  # long s (NFKC)
    ],
)
def test_evasions_are_matched_with_their_span(text: str, expected: list[tuple[str, str]]) -> None:
    """Each evasion is found and the span covers exactly what was written."""
    assert found(text) == expected


@pytest.mark.parametrize("text", ["a classic class act", "as usual", "bass sound", "this hit me", "scampi", "병원 신관",
                                  "서울시 발표에 따르면", "시 발표에 따르면", "오후 3시 발표 예정",
                                  "이 병 시내에서 샀어요", "맥주 한 병 시나요?", "수박 씨 발라 먹어"])
def test_innocent_words_are_not_matched(text: str) -> None:
    """Latin terms need word boundaries (no Scunthorpe problem); repeated letters must be there; a
    Korean term across a space does not take one syllable from the next word ("서울시 발표": the city's
    announcement, not 시발), nor end on the first consonant of a syllable ("병 시내": a bottle, downtown)."""
    assert found(text) == []


@pytest.mark.parametrize(("term", "text", "expected"), [
    # Letters of neighbouring words do not make a bounded term: only letters spaced out one by one do.
    ("shit", "Inflation's hit a record high", []),
    ("shit", "the company's hit list", []),
    ("shit", "s h i t", ["s h i t"]),
    ("shit", "s. h. i. t.", ["s. h. i. t"]),
    ("anal", "an all-time high", []),
    ("anal", "I read an Al Jazeera report", []),
    ("anal", "Ana L. Smith", []),
    ("hell", "He'll be back", []),
    ("hell", "He’ll be back", []),
    ("hell", "h'e'l'l", ["h'e'l'l"]),
    ("ass", "He was a SS officer", []),
    ("anus", "As an US citizen", []),
    ("sex", "the s ex-wife", []),
    ("kill yourself", "go kill yourself", ["kill yourself"]),  # a term of two words spans two
    ("kill yourself", "k i l l y o u r s e l f", ["k i l l y o u r s e l f"]),
    # Korean consonant abbreviations match consonants written alone, not those inside syllables.
    ("ㅅㅂ", "그것보다 중요한 것은", []),
    ("ㅅㅂ", "맛보세요", []),
    ("ㅂㅅ", "입시 제도", []),
    ("ㅂㅅ", "밥상", []),
    ("ㅅㅂ", "ㅅㅂ 진짜", ["ㅅㅂ"]),
    ("ㅅㅂ", "아 ㅅ1ㅂ", ["ㅅ1ㅂ"]),
    # A Korean term of one syllable matches whole syllables only, inside words too.
    ("좆", "여론 조작 의혹", []),
    ("좆", "범죄 조직", []),
    ("씹", "씨방", []),
    ("ㅇㅣ", "좋은 기사입니다", []),
    ("좆", "인생 좆됐다", ["좆"]),
    ("좆", "ㅈㅗㅈ같네", ["ㅈㅗㅈ"]),
    ("놈", "이 놈아", ["놈"]),
    # Spaced-out letters inside a longer spaced-out word are that word; a split compound is found
    # by a term written split.
    ("hell", "H E L L O everyone", []),
    ("ass", "C L A S S", []),
    ("scam", "what a s c a m, I s c a m", ["s c a m"]),  # "a" and "I" are words of their own
    ("bullshit", "The Chicago Bulls hit a buzzer-beater", []),
    ("bull shit", "that is bull shit", ["bull shit"]),  # the split written as a term of two words
    ("hell", "He\u2032ll be back", []),
    ("hell", "H E L L     O", []),
    ("penis", "a pen is mightier", []),
    ("fuck", "fu ck", []),
])
def test_a_match_needs_the_words_the_term_has(term: str, text: str, expected: list[str]) -> None:
    """The false matches reported by a tester (innocent comments rejected automatically), and the
    evasions that must still be found."""
    pattern = compile_term(term)
    assert pattern is not None
    assert [text[m.start:m.end] for m in find_terms(text, [pattern])] == expected


@pytest.mark.parametrize("text", ["", "   ", "😀" * 1000, "\x00\x01\x02", "a" * 50_000, "ㅋ" * 10_000])
def test_odd_input_finds_nothing_and_never_fails(text: str) -> None:
    """Empty, emoji-only, control and huge texts simply match nothing."""
    assert found(text) == []


@pytest.mark.parametrize(("term", "text", "expected"), [
    ("дурак*", "дураки все", ["дурак"]),  # an inflected form
    ("idiot*", "how idiotic", ["idiot"]),
    ("*head", "what a dickhead", ["head"]),
    ("idiot", "how idiotic", []),  # without "*", whole words only
    ("*head*", "ahead of time", ["head"]),
    ("*시발*", "서울시 발표", []),  # a Korean term matches inside words already: "*" changes nothing
])
def test_a_star_lets_the_word_go_on(term: str, text: str, expected: list[str]) -> None:
    """Latin, Cyrillic and Greek terms stand alone unless a "*" says the word may go on at that end."""
    assert [text[m.start:m.end] for m in find_terms(text, [compile_term(term)])] == expected


def test_terms_without_letters_are_ignored() -> None:
    """A term of digits or punctuation alone cannot be matched and is dropped."""
    assert compile_term("123 !!") is None


@pytest.mark.django_db
def test_banned_term_suggests_rejecting(site: Any, scorers: Any, make_comment: Any) -> None:
    """A banned term scores 0.95 with a reason and the span for highlighting."""
    WordList.objects.create(site=site, language="", kind="banned", terms="# slurs\nscam\n")
    WordList.objects.create(site=site, language="", kind="suspect", terms="crypto")
    scorers(WORDS)
    score = pipeline.score_comment(make_comment("Great s.c.a.m, buy crypto"))
    assert score.scores == {"words": 0.95}
    assert score.reasons == ['banned term: scam ("s.c.a.m")', 'suspect term: crypto ("crypto")']
    assert score.details["words"]["matches"][0] == {"term": "scam", "kind": "banned", "start": 6, "end": 13}


@pytest.mark.django_db
def test_lists_follow_the_comments_language(site: Any, other_site: Any, scorers: Any, make_comment: Any) -> None:
    """A Korean list applies to Korean comments only; another site's lists never apply."""
    site.languages = ["ko", "en"]
    site.save()
    WordList.objects.create(site=site, language="ko", kind="suspect", terms="멍청")
    WordList.objects.create(site=site, language="en", kind="banned", terms="idiot")
    WordList.objects.create(site=other_site, language="", kind="banned", terms="멍청")
    scorers(LANGUAGE, WORDS)
    korean = pipeline.score_comment(make_comment("이 사람 진짜 멍청하네요 idiot"))
    assert (korean.scores["words"], korean.reasons) == (0.3, ['suspect term: 멍청 ("멍청")'])
    english = pipeline.score_comment(make_comment("What a thoughtful article, thank you"))
    assert english.scores["words"] == 0.0 and english.reasons == []


@pytest.mark.django_db
def test_a_list_in_another_script_applies_where_the_text_uses_that_script(
        site: Any, scorers: Any, make_comment: Any) -> None:
    """A Korean insult inside an English comment, a Russian one inside a Korean comment:
    a list written in a script other than Latin is searched wherever the text uses that
    script, whatever language was detected; Latin-script lists still follow the language."""
    site.languages = ["ko", "en", "ru", "es"]
    site.save()
    WordList.objects.create(site=site, language="ko", kind="banned", terms="병신")
    WordList.objects.create(site=site, language="ru", kind="suspect", terms="дурак*")
    WordList.objects.create(site=site, language="es", kind="banned", terms="tonto")
    scorers(LANGUAGE, WORDS)
    english = pipeline.score_comment(make_comment(
        "You are such a 병신 honestly, everyone here thinks so too, tonto"))
    assert english.details["language"]["language"] == "en"
    assert (english.scores["words"], english.reasons) == (0.95, ['banned term: 병신 ("병신")'])
    korean = pipeline.score_comment(make_comment("이 기사 쓴 기자는 정말 дураки 같아요 오늘도"))
    assert korean.details["language"]["language"] == "ko"
    assert korean.reasons == ['suspect term: дурак* ("дурак")']
    plain = pipeline.score_comment(make_comment("What a thoughtful article about the city budget, thank you"))
    assert plain.scores["words"] == 0.0


@pytest.mark.django_db
def test_every_list_applies_when_no_language_was_detected(site: Any, scorers: Any, make_comment: Any) -> None:
    """A text whose language is not detected (a fallback of "") may be in any of the
    site's languages: a Korean banned term in a mix of scripts is found."""
    site.languages = ["ko", "en"]
    site.save()
    WordList.objects.create(site=site, language="ko", kind="banned", terms="씨발")
    WordList.objects.create(site=site, language="en", kind="suspect", terms="idiot")
    scorers(WORDS)  # no language scorer: the language stays undetected
    score = pipeline.score_comment(make_comment("Hello 안녕하세요 씨발 привет 你好 こんにちは idiot"))
    assert score.scores["words"] == 0.95
    assert score.reasons == ['banned term: 씨발 ("씨발")', 'suspect term: idiot ("idiot")']


@pytest.mark.django_db
def test_edited_list_applies_at_once(site: Any, scorers: Any, make_comment: Any) -> None:
    """Changing a list's terms changes the next score (compiled patterns follow the list's version)."""
    words = WordList.objects.create(site=site, kind="banned", terms="scam")
    scorers(WORDS)
    comment = make_comment("a fraud")
    assert pipeline.score_comment(comment).scores["words"] == 0.0
    words.terms = "scam\nfraud"
    words.save()
    assert pipeline.score_comment(comment).scores["words"] == 0.95
