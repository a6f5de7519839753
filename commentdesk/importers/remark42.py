"""Remark42 backup (JSON lines) → records for :class:`commentdesk.importers.base.Writer`.

Format (remark42's ``backend/app/migrator/native.go``): line 1 is ``{"version":
1, "users": [{id, blocked: {status, until}, verified}], "posts": [{url,
read_only}]}``; every further line is one comment ``{id, pid, text, user:
{name, id, ip}, locator: {site, url}, time, delete, …}``. Read line by line.

- A comment with ``delete: true``, or by a user blocked when the backup was
  made, is kept as rejected (Remark42 hid it); the others were public: approved.
- A post with ``read_only: true`` is a closed thread. ``pid`` links replies.
- ``text`` is HTML: converted to plain text. ``user.ip`` is already a hash in
  the backup, so no address is kept.
- A line that is not a JSON comment is skipped and named by its line number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

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
    parse_time,
    plain_text,
)


def _blocked(user: Any, now: datetime) -> bool:
    blocked = user.get("blocked") if isinstance(user, dict) else None
    if not isinstance(blocked, dict) or blocked.get("status") is not True:
        return False
    try:
        return parse_time(str(blocked.get("until") or ""), "until") > now
    except ValueError:
        return True  # blocked with no usable end: blocked


def parse(source: Source) -> Iterator[Record]:
    """Read a Remark42 backup. Raises :class:`ImportFileError` when line 1 is not its header."""
    with source.open() as fh:
        first = fh.readline()
        try:
            header = json.loads(first)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise ImportFileError(f"{source.path.name}: line 1: not JSON ({str(exc)[:80]})") from exc
        if not isinstance(header, dict) or header.get("version") != 1:
            raise ImportFileError(f"{source.path.name}: line 1 is not a Remark42 backup header of version 1")
        now = datetime.now(UTC)
        blocked = {str(u.get("id")) for u in header.get("users") or [] if isinstance(u, dict) and _blocked(u, now)}
        read_only = {source.thread_key(str(p.get("url") or "")) for p in header.get("posts") or []
                     if isinstance(p, dict) and p.get("read_only") is True}
        threads: set[str] = set()
        for number, raw in enumerate(fh, start=2):
            if not raw.strip():
                continue
            try:
                c = json.loads(raw)
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                yield Skipped("record", number, f"not JSON ({str(exc)[:80]})")
                continue
            yield from _comment(source, c, number, blocked, read_only, threads)


def _comment(source: Source, c: Any, number: int, blocked: set[str], read_only: set[str],
             threads: set[str]) -> Iterator[Record]:
    if not isinstance(c, dict):
        yield Skipped("record", number, "not a JSON object")
        return
    ident = str(c.get("id") or "")
    name = f"comment id={ident[:40]}" if ident else "comment without id"
    user = c.get("user") if isinstance(c.get("user"), dict) else {}
    locator = c.get("locator") if isinstance(c.get("locator"), dict) else {}
    url = str(locator.get("url") or "")
    key = source.thread_key(url)
    problems = []
    if not ident or len(ident) > ID_MAX:
        problems.append("no id" if not ident else f"the id is over {ID_MAX} characters")
    if not key or len(key) > KEY_MAX:
        problems.append("no locator.url" if not key else f"the url is over {KEY_MAX} characters")
    created = None
    try:
        created = parse_time(str(c.get("time") or ""), "time")
    except ValueError as exc:
        problems.append(str(exc))
    # Anything but an explicit false counts as deleted: a malformed flag must never publish.
    deleted = c.get("delete") not in (None, False, 0, "false", "") or str(user.get("id")) in blocked
    status = Comment.Status.REJECTED if deleted else Comment.Status.APPROVED
    text = c.get("text")
    body = plain_text(text) if isinstance(text, str) else ""
    problems += body_problems(body, status, "text")
    if problems or created is None:
        yield Skipped(name, number, "; ".join(problems))
        return
    if key not in threads:
        threads.add(key)
        full = source.url(url)
        yield ThreadRecord(source_id=key, key=key, url=full if full.startswith(("http://", "https://")) else "",
                           is_closed=key in read_only)
    user_id = str(user.get("id") or "")
    author = str(user.get("name") or "")
    yield CommentRecord(
        source_id=ident,
        thread_source_id=key,
        body=body,
        created_at=created,
        status=status,
        author_name=author or "Anonymous",
        author_key=f"u:{user_id}" if user_id else f"n:{author}",
        parent_source_id=str(c.get("pid") or ""),
        record=name,
        line=number,
    )
