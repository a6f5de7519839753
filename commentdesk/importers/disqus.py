"""Disqus XML export → records for :class:`commentdesk.importers.base.Writer`.

Format: ``<disqus>`` holding ``<category>``, ``<thread dsq:id>`` and ``<post
dsq:id>`` elements (https://help.disqus.com/en/articles/1717164-comments-export).
The file is read twice, streaming with lxml's ``iterparse`` and each top-level
element cleared after use, so memory stays flat: pass 1 collects threads, pass
2 yields posts, so posts may come before or after their threads.

Real exports are not always well-formed: junk before ``<?xml`` is skipped and
libxml2's recover mode reads past broken markup; a post that still cannot be
read (no id, no valid date, no known thread, a bad flag) is yielded as
:class:`Skipped` with its line. A file whose DOCTYPE declares entities is
refused (:mod:`.xmlsafety`); entities are never expanded, DTDs never loaded and
the network never used (no XXE, no "billion laughs").
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime

from lxml import etree

from commentdesk.comments.models import Comment
from commentdesk.importers.base import (
    ID_MAX,
    KEY_MAX,
    CommentRecord,
    Dropped,
    ImportFileError,
    ParserWarning,
    Record,
    Skipped,
    Source,
    ThreadRecord,
    body_problems,
    parse_time,
)
from commentdesk.importers.xmlsafety import (
    PARSER_OPTIONS,
    LeadingJunkSkipper,
    refuse_entities,
)
from commentdesk.lib.html_text import html_to_text

DSQ = "{http://disqus.com/disqus-internals}"


def _top_level(source: Source, warnings: list[str] | None = None) -> Iterator[tuple[str, etree._Element]]:
    """Yield (local tag name, element) for each child of the root, then free it.

    Raises :class:`ImportFileError` when nothing can be parsed at all. What
    libxml2 had to repair or gave up on is appended to ``warnings``.
    """
    path = source.path
    with source.open() as fh:
        context = etree.iterparse(io.BufferedReader(LeadingJunkSkipper(fh)), events=("end",), recover=True,
                                  **PARSER_OPTIONS)
        try:
            for _event, element in context:
                parent = element.getparent()
                if parent is None or parent.getparent() is not None or not isinstance(element.tag, str):
                    continue
                yield etree.QName(element).localname, element
                element.clear()
                while element.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError as exc:
            raise ImportFileError(f"{path.name} is not a readable XML file: {exc}") from exc
        if warnings is not None:
            for entry in context.error_log.filter_from_errors()[:50]:
                warnings.append(f"line {entry.line}: {entry.message.strip()}")


def _child(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return child
    return None


def _text(element: etree._Element, name: str) -> str:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def _flag(element: etree._Element, name: str) -> bool:
    """A Disqus boolean: ``true``/``false`` (missing = false); raises ValueError."""
    value = _text(element, name).lower()
    if value in ("", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise ValueError(f"<{name}> is {value!r}, not true or false")


def _date(element: etree._Element) -> datetime:
    """``createdAt`` as an aware datetime (UTC if no zone); raises ValueError."""
    value = _text(element, "createdAt")
    if not value:
        raise ValueError("no <createdAt>")
    return parse_time(value, "<createdAt>")


def _ref(element: etree._Element, name: str) -> str:
    child = _child(element, name)
    return (child.get(f"{DSQ}id") or "").strip() if child is not None else ""


def parse(source: Source, key_from: str = "link") -> Iterator[Record]:
    """Read a Disqus export.

    ``key_from``: ``link`` (default) keys threads by the article URL's path;
    ``id`` by the Disqus identifier (``<id>``) when there is one. Threads with
    the same key (one article under several hosts) become one thread.
    Yields records, skips, and at the end how many posts of deleted threads were dropped.
    Raises :class:`ImportFileError` for a file that is not XML, declares
    entities, or whose root element is not ``<disqus>``.
    """
    root, _nsmap = refuse_entities(source, skip_junk=True)
    if not root:
        raise ImportFileError(f"{source.path.name} is not a readable XML file: no element could be read")
    if etree.QName(root).localname != "disqus":
        raise ImportFileError(f"{source.path.name} is not a Disqus export: its root element is "
                              f"<{etree.QName(root).localname}>, not <disqus>")
    if source.progress is not None:
        source.progress.set_total(2 * source.path.stat().st_size)  # read twice
    deleted: set[str] = set()
    known: set[str] = set()
    warnings: list[str] = []
    for tag, element in _top_level(source, warnings):
        if tag != "thread":
            continue
        source_id = (element.get(f"{DSQ}id") or "").strip()
        link = _text(element, "link")
        ident = _text(element, "id")
        raw_key = ident if key_from == "id" and ident else (link or ident)
        key = source.thread_key(raw_key) if raw_key else ""
        if not source_id or not key or len(key) > KEY_MAX or len(source_id) > ID_MAX:
            what = ("no dsq:id" if not source_id else "no <link> and no <id>" if not key
                    else f"the key or id is over {KEY_MAX if len(key) > KEY_MAX else ID_MAX} characters")
            yield Skipped(f"thread dsq:id={source_id[:40] or '?'}", element.sourceline, what)
            continue
        try:
            if _flag(element, "isDeleted"):
                deleted.add(source_id)
                continue
            closed = _flag(element, "isClosed")
            created = _date(element) if _text(element, "createdAt") else None
        except ValueError as exc:
            yield Skipped(f"thread dsq:id={source_id}", element.sourceline, str(exc))
            continue
        known.add(source_id)
        url = source.url(link)
        yield ThreadRecord(
            source_id=source_id, key=key, url=url if url.startswith(("http://", "https://")) else "",
            title=_text(element, "title"), is_closed=closed, created_at=created,
        )
    dropped = 0
    for tag, element in _top_level(source):
        if tag != "post":
            continue
        dsq_id = (element.get(f"{DSQ}id") or "").strip()
        ident = _text(element, "id")
        source_id = dsq_id or (f"id:{ident}" if ident else "")
        name = f"post dsq:id={dsq_id}" if dsq_id else (f"post <id>{ident}</id>" if ident else "post without id")
        thread_id = _ref(element, "thread")
        if thread_id in deleted:
            dropped += 1
            continue
        name = name if len(name) <= 80 else name[:77] + "..."
        problems = []
        if not source_id:
            problems.append("no dsq:id and no <id>")
        elif len(source_id) > ID_MAX:
            problems.append(f"the id is over {ID_MAX} characters")
        try:
            created = _date(element)
        except ValueError as exc:
            problems.append(str(exc))
        flags = {}
        for flag in ("isDeleted", "isSpam", "isApproved", "isFlagged"):
            try:
                flags[flag] = _flag(element, flag) if flag != "isApproved" or _text(element, flag) else True
            except ValueError as exc:
                problems.append(str(exc))
        if not thread_id:
            problems.append("no thread reference")
        elif thread_id not in known:
            problems.append(f"thread dsq:id={thread_id} is not in the file")
        if problems:
            yield Skipped(name, element.sourceline, "; ".join(problems))
            continue
        author = _child(element, "author")
        author_name = _text(author, "name") if author is not None else ""
        username = _text(author, "username") if author is not None else ""
        email = _text(author, "email") if author is not None else ""
        author_key = f"u:{username}" if username else (f"e:{email.lower()}" if email else f"n:{author_name}")
        if flags["isSpam"]:
            status = Comment.Status.SPAM
        elif flags["isDeleted"]:
            status = Comment.Status.REJECTED
        elif not flags["isApproved"]:
            status = Comment.Status.PENDING
        else:
            status = Comment.Status.APPROVED
        message = _child(element, "message")
        body = html_to_text(message.text or "") if message is not None else ""
        problems = body_problems(body, status, "message")
        if problems:
            yield Skipped(name, element.sourceline, "; ".join(problems))
            continue
        yield CommentRecord(
            source_id=source_id,
            thread_source_id=thread_id,
            body=body,
            created_at=created,
            status=status,
            author_name=author_name or username or "Anonymous",
            author_key=author_key,
            email=email if "@" in email else "",
            ip=_text(element, "ipAddress"),
            parent_source_id=_ref(element, "parent"),
            record=name,
            line=element.sourceline,
            flagged=flags["isFlagged"],
        )
    if dropped:
        yield Dropped(dropped)
    for warning in warnings:
        yield ParserWarning(warning)
