"""Finding links in plain-text comments and naming their domains."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, urlsplit

# A link: a scheme URL, a www. address, or a bare domain that ends in a common
# top-level domain, optionally with a path ("example.com/x"). Bare domains of
# other endings ("node.js", "e.g.") are not counted: too many are words.
COMMON_TLDS = (
    "com|net|org|info|biz|io|co|ly|me|kr|jp|cn|ru|de|uk|us|xyz|top|site|online|shop|link|click|gl|gd|to|"
    "be|tv|cc|app|dev|live|vip|win|bet|club|store|news|asia|vn|th|id|in|ph|tw|hk|la|kh|mm"
)
# A bare host has at most MAX_LABELS labels before its ending: unbounded, "a.a.a.…"
# made the search quadratic (5,000 characters took 2.7 s); bounded, it is linear,
# and a longer host is still found by its last labels.
MAX_LABELS = 8
LINK = re.compile(
    rf"(?:https?://|ftp://)[^\s<>\"']+|www\.[^\s<>\"']+|\b[a-z0-9](?:[a-z0-9-]{{0,62}}\.){{1,{MAX_LABELS}}}"
    rf"(?:{COMMON_TLDS})\b(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
# At most this many links are examined per comment (the count goes on).
MAX_LINKS = 50
# A bare host of any ending ("casino.example", "shop.su"): not counted as a link,
# but checked against a site's blocked domains and shorteners. Bounded as LINK.
# Letters of any script: "пример.рф" is a host (IDNA) as much as "example.com".
BARE_HOST = re.compile(rf"\b[^\W_](?:[\w-]{{0,62}}\.){{1,{MAX_LABELS}}}[^\W\d_][\w-]{{1,62}}\b")


_DOTTED = re.compile(r"\w\.[^\W\d_]")
# Dots browsers take in host names (ideographic, full-width, half-width ideographic).
_OTHER_DOTS = {ord("。"): ".", ord("．"): ".", ord("｡"): "."}


def bare_hosts(text: str) -> set[str]:
    """The lower-case words of ``text`` shaped like host names, whatever their
    ending (at most ``MAX_LINKS``); "node.js" is one, "e.g." is not.

    >>> sorted(bare_hosts("go to Casino.example/win, or node.js — e.g. not; пример.рф 例子。中国"))
    ['casino.example', 'node.js', 'пример.рф', '例子.中国']
    """
    found: set[str] = set()
    if any(dot in text for dot in "。．｡"):
        text = text.translate(_OTHER_DOTS)
    if not _DOTTED.search(text):  # most comments: no dot between letters, nothing to look at
        return found
    for m in BARE_HOST.finditer(text):
        found.add(m.group(0).lower())
        if len(found) >= MAX_LINKS:
            break
    return found


def find_links(text: str) -> list[str]:
    """The links in ``text`` as written, in order.

    >>> find_links("see https://Example.org/a?b, www.x.kr and bit.ly/3abc — not node.js")
    ['https://Example.org/a?b', 'www.x.kr', 'bit.ly/3abc']
    """
    return [m.group(0).rstrip(".,;:!?)]}'\"") for m in LINK.finditer(text)]


def domain_of(link: str) -> str:
    """The lower-case host of ``link`` without ``www.``, IDNA-encoded when it is
    not ASCII; "" when there is none. Read as browsers read it (the WHATWG URL
    standard): a backslash ends the host like a slash, and percent-escapes in
    the host are decoded, so neither hides a blocked domain.

    >>> domain_of("HTTPS://www.Example.COM:8080/x")
    'example.com'
    >>> domain_of("bit.ly/3abc")
    'bit.ly'
    >>> domain_of("http://spam.example\\\\@news.example/"), domain_of("http://spam%2Eexample/")
    ('spam.example', 'spam.example')
    >>> domain_of("http://0x01020304/"), domain_of("http://16909060/x"), domain_of("http://01.02.3.4")
    ('1.2.3.4', '1.2.3.4', '1.2.3.4')
    >>> domain_of("http://１６９０９０６０/"), domain_of("http://[::ffff:1.2.3.4]/")
    ('1.2.3.4', '1.2.3.4')
    """
    target = (link if "://" in link else f"http://{link}").replace("\\", "/")
    try:
        host = unquote(urlsplit(target).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    try:  # an IPv6 literal; one holding an IPv4 address is that address
        mapped = ipaddress.IPv6Address(host).ipv4_mapped
        return str(mapped) if mapped is not None else host
    except ValueError:
        pass
    host = host.removeprefix("www.")
    if not host.isascii():
        host = to_ascii(host)
    return ipv4(host) or host


def to_ascii(host: str) -> str:
    """A host name in the ASCII form browsers look up: UTS #46 mapping and IDNA 2008
    without transitional processing, as the WHATWG URL standard asks ("straße.de"
    is ``xn--strae-oqa.de``, not IDNA 2003's "strasse.de"), with the ``idna``
    package; a name IDNA 2008 refuses (emoji: "💩.la") by IDNA 2003 (Python's
    codec), which browsers still resolve; ``host`` itself when neither can.
    Either maps full-width digits and dots to ASCII, before the IPv4 reading.

    >>> to_ascii("straße.de"), to_ascii("пример.рф"), to_ascii("１２７．０．０．１")
    ('xn--strae-oqa.de', 'xn--e1afmkfd.xn--p1ai', '127.0.0.1')
    """
    import idna

    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


_DIGITS = {16: re.compile(r"[0-9a-fA-F]*"), 8: re.compile(r"[0-7]*"), 10: re.compile(r"[0-9]+")}


def ipv4(host: str) -> str | None:
    """``host`` as a dotted-quad IPv4 address when browsers read it as one, else
    None. After the WHATWG URL standard's IPv4 parser: one to four parts, each
    decimal, hexadecimal (``0x``) or octal (leading ``0``), the last filling the
    remaining bytes ("16909060", "0x1.0x2.0x3.0x4", "1.2.772" are 1.2.3.4); a
    host whose last part is not a number is a name.

    >>> ipv4("1.2.772"), ipv4("0x1.0x2.0x3.0x4"), ipv4("example.com"), ipv4("1.2.3.256")
    ('1.2.3.4', '1.2.3.4', None, None)
    """
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(parts):
        return None
    numbers = []
    for part in parts:
        base, digits = (16, part[2:]) if part[:2] in ("0x", "0X") else (8, part[1:]) if len(part) > 1 and part[0] == "0" \
            else (10, part)
        if not _DIGITS[base].fullmatch(digits):  # int() would take "1_0" and other scripts' digits
            return None
        numbers.append(int(digits, base) if digits else 0)
    last = numbers.pop()
    if any(n > 255 for n in numbers) or last >= 256 ** (4 - len(numbers)):
        return None
    value = last + sum(n << (8 * (3 - i)) for i, n in enumerate(numbers))
    return ".".join(str((value >> shift) & 255) for shift in (24, 16, 8, 0))


def readable(domain: str) -> str:
    """An IDNA-encoded domain as people write it, for reasons (IDNA 2008, else 2003:
    the encodings :func:`to_ascii` makes); the domain itself when neither decodes it.

    >>> readable("xn--e1afmkfd.xn--p1ai"), readable("example.com"), readable("xn--strae-oqa.de")
    ('пример.рф', 'example.com', 'straße.de')
    """
    import idna

    try:
        return idna.decode(domain)
    except (idna.IDNAError, UnicodeError):
        pass
    try:
        return domain.encode("ascii").decode("idna")
    except UnicodeError:
        return domain


def in_domains(domain: str, domains: set[str]) -> str | None:
    """The entry of ``domains`` that ``domain`` is or is a subdomain of, else None.

    >>> in_domains("ads.spam.example", {"spam.example"})
    'spam.example'
    """
    parts = domain.split(".")
    for i in range(len(parts) - 1):
        if ".".join(parts[i:]) in domains:
            return ".".join(parts[i:])
    return None


def domain_set(lines: str) -> set[str]:
    """Domains from a one-per-line text (``#`` lines, blanks and ``www.`` ignored)."""
    out = set()
    for line in lines.splitlines():
        line = line.strip().lower()
        if line and not line.startswith("#"):
            out.add(domain_of(line) or line)
    return out
