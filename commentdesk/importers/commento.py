"""Commento JSON export → records for :class:`commentdesk.importers.base.Writer`.

Format (Commento's ``domain_export.go``, version 1): ``{"version": 1,
"comments": [{commentHex, domain, url, commenterHex, markdown, html,
parentHex, state, creationDate, deleted, …}], "commenters": [{commenterHex,
email, name, …}]}``. Streamed with ijson in two passes: the commenters first
(they follow the comments in the file), then the comments.

- ``state`` ``approved`` → approved, ``unapproved`` → pending, ``flagged``
  (Commento's spam check) → spam; ``deleted: true`` → rejected.
- ``parentHex`` ``root`` is a top-level comment; ``commenterHex``
  ``anonymous`` an anonymous one (each its own commenter here).
- Threads are the comments' ``url`` paths; bodies the ``markdown`` (or ``html``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ijson

from commentdesk.comments.models import Comment
from commentdesk.importers.base import (
    ID_MAX,
    KEY_MAX,
    CommentRecord,
    ImportFileError,
    Record,
    Skipped,
    Source,
    ThreadRecord,
    body_problems,
    json_error,
    json_events,
    parse_time,
    plain_text,
)

STATES = {"approved": Comment.Status.APPROVED, "unapproved": Comment.Status.PENDING, "flagged": Comment.Status.SPAM}


def parse(source: Source) -> Iterator[Record]:
    """Read a Commento export. Raises :class:`ImportFileError` for a file that is
    not JSON or not a version 1 Commento export."""
    if source.progress is not None:
        source.progress.set_total(2 * source.path.stat().st_size)  # read twice
    commenters: dict[str, tuple[str, str]] = {}
    try:
        with open(source.path, "rb") as fh:  # the header only: not counted as progress
            version = None
            for number, (prefix, event, value) in enumerate(json_events(fh, source.path.name)):
                if number == 0 and event != "start_map":
                    raise ImportFileError(f"{source.path.name} is not a Commento export: not a JSON object")
                if prefix == "version":
                    version = value
                    break
            if version != 1:
                raise ImportFileError(f"{source.path.name} is not a Commento export of version 1 "
                                      f"(version: {str(version)[:20]})")
        with source.open() as fh:
            for c in ijson.items(json_events(fh, source.path.name), "commenters.item"):
                if isinstance(c, dict) and isinstance(c.get("commenterHex"), str):
                    email = str(c.get("email") or "")
                    commenters[c["commenterHex"]] = (str(c.get("name") or ""), email if "@" in email else "")
        threads: set[str] = set()
        with source.open() as fh:
            for index, c in enumerate(ijson.items(json_events(fh, source.path.name), "comments.item")):
                yield from _comment(source, c, index, commenters, threads)
    except ijson.JSONError as exc:
        raise ImportFileError(f"{source.path.name} is not valid JSON: {json_error(exc)}") from exc


def _comment(source: Source, c: Any, index: int, commenters: dict[str, tuple[str, str]],
             threads: set[str]) -> Iterator[Record]:
    if not isinstance(c, dict):
        yield Skipped(f"comments[{index}]", None, "not an object")
        return
    ident = str(c.get("commentHex") or "")
    name = f"comments[{index}] {ident[:16]}" if ident else f"comments[{index}]"
    url = str(c.get("url") or "")
    key = source.thread_key(url)
    problems = []
    if not ident or len(ident) > ID_MAX:
        problems.append("no commentHex" if not ident else f"the commentHex is over {ID_MAX} characters")
    if not key or len(key) > KEY_MAX:
        problems.append("no url" if not key else f"the url is over {KEY_MAX} characters")
    # Anything but an explicit false counts as deleted: a malformed flag must never publish.
    status = (Comment.Status.REJECTED if c.get("deleted") not in (None, False, 0, "false", "")
              else STATES.get(str(c.get("state"))))
    if status is None:
        problems.append(f"state {str(c.get('state'))[:20]!r} is not approved, unapproved or flagged")
    created = None
    try:
        created = parse_time(str(c.get("creationDate") or ""), "creationDate")
    except ValueError as exc:
        problems.append(str(exc))
    markdown, html = c.get("markdown"), c.get("html")
    body = (plain_text(markdown, line_breaks=True) if isinstance(markdown, str) and markdown.strip()
            else plain_text(html) if isinstance(html, str) else "")
    problems += body_problems(body, status, "comment", " (no markdown and no html)")
    if problems or created is None or status is None:
        yield Skipped(name, None, "; ".join(problems))
        return
    if key not in threads:
        threads.add(key)
        yield ThreadRecord(source_id=key, key=key)
    commenter = str(c.get("commenterHex") or "anonymous")
    author, email = commenters.get(commenter, ("", ""))
    parent = str(c.get("parentHex") or "root")
    yield CommentRecord(
        source_id=ident,
        thread_source_id=key,
        body=body,
        created_at=created,
        status=status,
        author_name=author or "Anonymous",
        author_key=f"anon:{ident}" if commenter == "anonymous" else f"c:{commenter}",
        email=email,
        parent_source_id="" if parent == "root" else parent,
        record=name,
    )
