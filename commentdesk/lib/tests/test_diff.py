"""Word-level diffs of a moderator's edits."""

import pytest

from commentdesk.lib.diff import Segment, word_diff


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("You are an idiot.", "You are wrong."),
        ("전화번호는 010-1234-5678 입니다", "전화번호는 [삭제됨] 입니다"),
        ("", "new"),
        ("old", ""),
        ("same same same", "same same same"),
        ("line one\nline two", "line one\nline 2\nline three"),
    ],
)
def test_segments_rebuild_both_texts(before: str, after: str) -> None:
    segments = word_diff(before, after)
    assert "".join(s.text for s in segments if s.kind != "added") == before
    assert "".join(s.text for s in segments if s.kind != "removed") == after


def test_korean_edit_marks_only_the_changed_words() -> None:
    segments = word_diff("전화번호는 010-1234-5678 입니다", "전화번호는 [삭제됨] 입니다")
    assert Segment("same", "전화번호는 ") in segments
    assert [s.text for s in segments if s.kind == "added"] == ["[삭제됨]"]
