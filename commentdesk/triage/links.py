"""Finding links in plain-text comments and naming their domains."""

from __future__ import annotations

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
BARE_HOST = re.compile(rf"\b[a-z0-9](?:[a-z0-9-]{{0,62}}\.){{1,{MAX_LABELS}}}[a-z][a-z0-9-]{{1,62}}\b", re.IGNORECASE)


def bare_hosts(text: str) -> set[str]:
    """The lower-case words of ``text`` shaped like host names, whatever their
    ending (at most ``MAX_LINKS``); "node.js" is one, "e.g." is not.

    >>> sorted(bare_hosts("go to Casino.example/win, or node.js — e.g. not"))
    ['casino.example', 'node.js']
    """
    found: set[str] = set()
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
    """
    target = (link if "://" in link else f"http://{link}").replace("\\", "/")
    try:
        host = unquote(urlsplit(target).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    host = host.removeprefix("www.")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


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
