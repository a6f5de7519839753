"""HTML of imported comments → plain text."""

import pytest

from commentdesk.lib.html_text import html_to_text


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ('<a href="https://x.org/p">read</a>', "read (https://x.org/p)"),
        ('<a href="https://x.org/">https://x.org</a>', "https://x.org"),
        ('<a href="javascript:alert(1)">click</a>', "click"),
        ("<ul><li>a</li><li>b</li></ul>", "- a\n- b"),
        ("<script>alert(1)</script>safe", "safe"),
        ("x &amp; y &lt;b&gt;", "x & y <b>"),
        ("plain text", "plain text"),
        ("<p>Drölfter! 한국어 😀</p>", "Drölfter! 한국어 😀"),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text
