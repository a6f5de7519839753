"""Isso → records for :class:`commentdesk.importers.base.Writer`: its SQLite
database, and its "generic" JSON import format.

**Database** (``comments.db``; schema of isso/db/threads.py and isso/db/comments.py):
tables ``threads (id, uri, title)`` and ``comments (tid, id, parent, created,
mode, remote_addr, text, author, email, website, …)``. It is opened read-only
(``mode=ro``) and read row by row. ``mode`` 1 (public) → approved, 2 (pending)
→ pending, 4 (deleted) → rejected. ``created`` is Unix seconds; ``text`` is
Markdown (HTML from Isso's own importers): kept as plain text with its line
breaks. Ids are Isso's comment ids; ``parent`` links replies.

**Generic JSON** (isso/migrate.py, ``Generic``): ``[{"id": URI, "title": …,
"comments": [{"id", "author", "email", "website", "remote_addr", "created":
"YYYY-MM-DD HH:MM:SS", "text"}]}]``, flat, every comment public. Its comment
ids are not unique (often 0), so a comment's id here is its thread URI's
SHA-256 prefix and its position in the thread. Streamed with ijson in two
passes (a thread's ``id`` may follow its comments).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from typing import Any

import ijson

from commentdesk.comments.models import Comment
from commentdesk.importers.base import (
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

MODES = {1: Comment.Status.APPROVED, 2: Comment.Status.PENDING, 4: Comment.Status.REJECTED}


def _author_key(author: str, email: str) -> str:
    return f"e:{email.lower()}" if "@" in email else f"n:{author}"


def _comment(source_id: str, thread_id: str, name: str, created: Any, status: str | None, text: str,
             author: str, email: str, ip: str, parent: str = "") -> Record:
    """A :class:`CommentRecord`, or :class:`Skipped` naming what is wrong with it."""
    problems = []
    when = None
    if status is None:
        problems.append("unknown mode")
    try:
        when = parse_time(created, "created")
    except ValueError as exc:
        problems.append(str(exc))
    if not isinstance(text, str):
        problems.append("the text is not text")
        text = ""
    body = plain_text(text, line_breaks=True)
    problems += body_problems(body, status, "text")
    if problems or when is None or status is None:
        return Skipped(name, None, "; ".join(problems))
    return CommentRecord(source_id=source_id, thread_source_id=thread_id, body=body, created_at=when,
                         status=status, author_name=author or "Anonymous", author_key=_author_key(author, email),
                         email=email if "@" in email else "", ip=ip, parent_source_id=parent, record=name)


def parse_database(source: Source) -> Iterator[Record]:
    """Read an Isso SQLite database, read-only. Raises :class:`ImportFileError`
    when the file is not a SQLite database or has no Isso tables."""
    uri = source.path.resolve().as_uri() + "?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise ImportFileError(f"{source.path.name} cannot be opened: {exc}") from exc
    try:
        try:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"threads", "comments"} <= tables:
                raise ImportFileError(f"{source.path.name} is not an Isso database: no threads and comments tables")
            total = db.execute("SELECT count(*) FROM comments").fetchone()[0]
            if source.progress is not None:
                source.progress.set_total(total, unit="comments")
            yield from _threads(source, db)
            rows = db.execute("SELECT tid, id, parent, created, mode, remote_addr, text, author, email "
                              "FROM comments ORDER BY id")
            for tid, ident, parent, created, mode, ip, text, author, email in rows:
                if source.progress is not None:
                    source.progress.advance(1)
                yield _comment(str(ident), str(tid), f"comment id={ident}", created, MODES.get(mode), text or "",
                               author or "", email or "", ip or "", str(parent) if parent is not None else "")
        except sqlite3.DatabaseError as exc:
            raise ImportFileError(f"{source.path.name} is not a readable Isso database: {exc}") from exc
    finally:
        db.close()


def _threads(source: Source, db: sqlite3.Connection) -> Iterator[Record]:
    for ident, uri, title in db.execute("SELECT id, uri, title FROM threads ORDER BY id"):
        key = source.thread_key(uri or "")
        if not key or len(key) > KEY_MAX:
            yield Skipped(f"thread id={ident}", None, "no uri" if not key else f"the uri is over {KEY_MAX} characters")
            continue
        url = source.url(uri)
        yield ThreadRecord(source_id=str(ident), key=key, url=url if url.startswith(("http://", "https://")) else "",
                           title=title or "")


def parse_generic(source: Source) -> Iterator[Record]:
    """Read Isso's generic JSON. Raises :class:`ImportFileError` for a file that is not such JSON."""
    if source.progress is not None:
        source.progress.set_total(2 * source.path.stat().st_size)  # read twice
    threads: dict[int, dict[str, str]] = {}
    try:
        with source.open() as fh:  # pass 1: each thread's id and title
            index = -1
            for prefix, event, value in json_events(fh, source.path.name):
                if prefix == "item" and event == "start_map":
                    index += 1
                    threads[index] = {}
                elif prefix in ("item.id", "item.title") and value is not None:
                    threads[index][prefix[5:]] = str(value)
                elif prefix == "" and event not in ("start_array", "end_array"):
                    raise ImportFileError(f"{source.path.name} is not Isso's generic JSON: not a list of threads")
        with source.open() as fh:  # pass 2: the comments
            index = -1
            position = 0
            builder: Any = None
            for prefix, event, value in json_events(fh, source.path.name):
                if prefix == "item" and event == "start_map":
                    index += 1
                    position = 0
                    thread = threads[index]
                    key = source.thread_key(thread.get("id", ""))
                    thread_id = hashlib.sha256(thread.get("id", "").encode()).hexdigest()[:16] if key else ""
                    if not key or len(key) > KEY_MAX:
                        yield Skipped(f"thread {index + 1}", None, "no id" if not key else "the id is too long")
                    else:
                        url = source.url(thread["id"])
                        yield ThreadRecord(source_id=thread_id, key=key, title=thread.get("title", ""),
                                           url=url if url.startswith(("http://", "https://")) else "")
                elif prefix == "item.comments.item":
                    if event == "start_map":
                        builder = ijson.ObjectBuilder()
                    builder.event(event, value)
                    if event == "end_map":
                        position += 1
                        if thread_id:
                            yield _generic_comment(builder.value, thread_id, index, position)
                elif prefix.startswith("item.comments.item.") and builder is not None:
                    builder.event(event, value)
    except ijson.JSONError as exc:
        raise ImportFileError(f"{source.path.name} is not valid JSON: {json_error(exc)}") from exc


def _generic_comment(c: Any, thread_id: str, index: int, position: int) -> Record:
    name = f"thread {index + 1} comment {position}"
    if not isinstance(c, dict):
        return Skipped(name, None, "not an object")
    text = c.get("text")
    return _comment(f"{thread_id}/{position}", thread_id, name, str(c.get("created") or ""),
                    Comment.Status.APPROVED, text if isinstance(text, str) else "", str(c.get("author") or ""),
                    str(c.get("email") or ""), str(c.get("remote_addr") or ""))
