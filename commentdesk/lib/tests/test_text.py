"""Text normalisation of bodies, names and thread keys (API.md, Text handling)."""

import pytest

from commentdesk.lib.text import is_blank, normalise_body, normalise_line, normalise_thread_key


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("a\r\nb\rc", "a\nb\nc"),
        ("tab\there", "tab\there"),
        ("bell\x07 nul\x00 esc\x1b", "bell nul esc"),
        ("evil\u202eoverride\u2066isolate\u2069", "eviloverrideisolate"),
        ("e\u0301", "\u00e9"),  # NFC
        ("  padded  \n", "padded"),
        ("안녕하세요 👨‍👩‍👧 ok", "안녕하세요 👨‍👩‍👧 ok"),
        ("lone \ud800 surrogate", "lone  surrogate"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ],
)
def test_normalise_body(raw: str, stored: str) -> None:
    """Bodies keep their text; only the characters API.md names are changed."""
    assert normalise_body(raw) == stored


def test_normalise_line_folds_whitespace() -> None:
    assert normalise_line(" Ann\n  Lee\t") == "Ann Lee"


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200c\u200d", "\ufeff \n\u2060"])
def test_is_blank(text: str) -> None:
    assert is_blank(text)


@pytest.mark.parametrize("text", ["a", "😀", "ㅋ", "\u200bx"])
def test_is_not_blank(text: str) -> None:
    assert not is_blank(text)


@pytest.mark.parametrize(
    ("key", "normal"),
    [
        ("https://example.org/a/b/?utm=x#c", "/a/b"),
        ("/a/b", "/a/b"),
        ("/a/b/", "/a/b"),
        ("/a/%62", "/a/b"),
        ("/caf%C3%A9", "/caf%C3%A9"),
        ("/café", "/caf%C3%A9"),
        ("http://example.org", "/"),
        ("/", "/"),
        ("article-123", "article-123"),
        (" article 123 ", "article 123"),
    ],
)
def test_normalise_thread_key(key: str, normal: str) -> None:
    assert normalise_thread_key(key) == normal


@pytest.mark.parametrize("text", ["\u2800", "\u0301\u0302", "\ufe0f", "\u3164 \u2800"])
def test_marks_and_fillers_alone_are_blank(text: str) -> None:
    assert is_blank(text)


def test_runs_of_combining_marks_are_capped_at_30() -> None:
    """Past UAX #15's stream-safe limit of 30 marks in a row ("Zalgo" text) the rest is dropped."""
    import unicodedata

    zalgo = "a" + "\u0301" * 5000 + "b"
    assert normalise_body(zalgo) == unicodedata.normalize("NFC", "a" + "\u0301" * 30 + "b")
    assert normalise_body("e\u0301\u0302") == "\u00e9\u0302"
