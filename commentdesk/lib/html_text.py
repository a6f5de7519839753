"""Turn the HTML of imported comments (Disqus, WordPress) into commentdesk's plain text.

Paragraphs become blank-line-separated blocks, ``<br>`` a line break, list
items lines starting with "- ", and a link whose text differs from its address
keeps the address as text: ``text (https://…)``. Scripts and styles vanish;
entities are decoded. The result goes through :func:`lib.text.normalise_body`.
"""

from __future__ import annotations

import re

from lxml import etree, html

from commentdesk.lib.text import normalise_body

BLOCKS = {"p", "div", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr", "section",
          "article", "header", "footer", "figure", "hr"}
DROP = {"script", "style", "head", "title", "template", "noscript", "iframe", "object"}


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment (a comment body), as described above.

    >>> html_to_text('<p>Hello <b>you</b></p><p>a<br>b <a href="https://x.org/">site</a></p>')
    'Hello you\\n\\na\\nb site (https://x.org/)'
    """
    if "<" not in markup and "&" not in markup:
        return normalise_body(markup)
    try:
        root = html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return normalise_body(markup)
    parts: list[str] = []
    _walk(root, parts)
    text = "".join(parts)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n[ \t]+", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return normalise_body(text)


def _walk(node: etree._Element, out: list[str]) -> None:
    tag = node.tag.lower() if isinstance(node.tag, str) else ""
    if tag in DROP:
        if node.tail:
            out.append(_space(node.tail))
        return
    if tag in BLOCKS:
        out.append("\n\n")
    if tag == "li":
        out.append("\n- ")
    if tag == "br":
        out.append("\n")
    if node.text and tag not in ("", "br"):
        out.append(_space(node.text) if tag != "pre" else node.text)
    for child in node:
        _walk(child, out)
    if tag == "a":
        href = (node.get("href") or "").strip()
        label = (node.text_content() or "").strip()
        if href and href.startswith(("http://", "https://", "mailto:")) and href.rstrip("/") != label.rstrip("/"):
            out.append(f" ({href})")
    if tag == "img":
        alt = (node.get("alt") or "").strip()
        if alt:
            out.append(f"[{alt}]")
    if tag in BLOCKS:
        out.append("\n\n")
    if node.tail:
        out.append(_space(node.tail))


def _space(text: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", text)
