"""Plain-text normalisation of what readers write, and of thread keys.

The rules are API.md's "Text handling": NFC, CRLF/CR → LF, control characters
other than LF and TAB removed, bidi embedding/override/isolate characters
removed. Bodies are never interpreted as HTML or Markdown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from urllib.parse import quote, unquote, urlsplit

# U+202A..U+202E (embeddings and overrides) and U+2066..U+2069 (isolates): the
# characters of the "Trojan Source" attacks (CVE-2021-42574). Marks such as
# U+200E/U+200F stay: Arabic-script and Hebrew text needs them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Characters that draw nothing: a body made only of these (and whitespace) is empty.
INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e\u00ad\u034f\u115f\u1160\u3164\uffa0\u2800")
# UAX #15's "stream-safe" limit: no real text needs more than 30 combining marks in a
# row; longer runs ("Zalgo" text) only smear over the lines around them.
MAX_COMBINING_RUN = 30

_KEEP_CONTROLS = {"\n", "\t"}


def normalise_body(text: str) -> str:
    """Return ``text`` as commentdesk stores it.

    NFC-normalised; ``\\r\\n`` and lone ``\\r`` become ``\\n``; control
    characters (Unicode category Cc) other than LF and TAB, lone surrogates
    (Cs), bidi controls and combining marks past 30 in a row are removed;
    leading and trailing whitespace is stripped. Nothing else changes: emoji,
    ZWJ sequences and Korean stay.

    >>> normalise_body("a\\r\\nb\\u202e\\x00 ")
    'a\\nb'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    run = 0
    for ch in text:
        if ch in _KEEP_CONTROLS:
            kept.append(ch)
            run = 0
            continue
        if ch in BIDI_CONTROLS:
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs"):
            continue
        if category in ("Mn", "Me"):
            run += 1
            if run > MAX_COMBINING_RUN:
                continue
        else:
            run = 0
        kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)).strip()


def normalise_line(text: str) -> str:
    """Normalise a one-line field (a name): as :func:`normalise_body`, with
    every run of whitespace, newlines included, folded to one space."""
    return re.sub(r"\s+", " ", normalise_body(text)).strip()


def is_blank(text: str) -> bool:
    """True when ``text`` shows nothing: only whitespace, invisible characters
    (format characters, fillers, the blank braille pattern) and combining marks
    or variation selectors with no letter to sit on."""
    return all(
        ch.isspace() or ch in INVISIBLE or unicodedata.category(ch) in ("Cf", "Mn", "Me") for ch in text
    )


def normalise_thread_key(key: str) -> str:
    """Normalise a thread key (API.md, "Thread key normalisation").

    A URL or a path loses scheme, host, query, fragment and trailing slash, and
    its percent-encoding is normalised, so that all of these name one thread:

    >>> normalise_thread_key("https://example.org/a/b/?utm=x#c")
    '/a/b'
    >>> normalise_thread_key("/a/%62/")
    '/a/b'
    >>> normalise_thread_key("/")
    '/'
    >>> normalise_thread_key("http://[::1/a/b")
    '/a/b'

    Any other key (a publisher's article id) is kept as given, stripped:

    >>> normalise_thread_key(" article-123 ")
    'article-123'
    """
    key = normalise_line(key)
    if key.startswith("/") or "://" in key:
        path = key.split("?", 1)[0].split("#", 1)[0]
        if "://" in key:
            try:
                path = urlsplit(key).path
            except ValueError:  # a malformed host ("http://[::1/a"): keep what follows it
                path = "/" + path.split("://", 1)[1].partition("/")[2]
        path = quote(unquote(path), safe="/:@!$&'()*+,;=-._~")
        path = re.sub(r"/{2,}", "/", path).rstrip("/")
        return path or "/"
    return key


class CharTable(dict[int, str]):
    """A ``str.translate`` table that fills itself: the first time a code point is
    looked up, ``convert(character)`` gives its replacement (a string, "" to drop
    it), kept for the next time — so a text is mapped character by character in
    C, with one Python call per distinct character rather than per character.
    At most ``limit`` code points are kept (then each new one is converted
    every time), so text made of every code point cannot grow it without bound.

    >>> "Ab1".translate(CharTable(lambda ch: ch.lower() if ch.isalpha() else ""))
    'ab'
    """

    def __init__(self, convert: Callable[[str], str], limit: int = 65_536) -> None:
        super().__init__()
        self.convert, self.limit = convert, limit

    def __missing__(self, code_point: int) -> str:
        value = self.convert(chr(code_point))
        if len(self) < self.limit:
            self[code_point] = value
        return value
