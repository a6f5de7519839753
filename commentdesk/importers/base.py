"""What every importer shares: the records a parser yields, the file it reads, and
the writer that stores records in batches, idempotently and resumably.

A parser (one module per source: ``disqus``, ``wordpress``, ``isso``,
``commento``, ``remark42``) turns a :class:`Source` into a stream of
:class:`ThreadRecord`, :class:`CommentRecord`, :class:`Skipped`… items; the
:class:`Writer` stores them. Re-running an import adds nothing: comments are
keyed by ``(site, import_source, import_id)``, commenters likewise and threads
by their key. Each batch commits all or nothing together with the run's
position (:class:`~commentdesk.importers.models.ImportRun`), so an import
killed at any moment and run again goes on after its last committed batch and
ends with the same database as one that was never interrupted.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from commentdesk.comments.models import Comment, Commenter, Thread
from commentdesk.comments.signals import comments_imported, thread_changed
from commentdesk.importers.models import ImportRun, PendingParent
from commentdesk.lib.html_text import html_to_text
from commentdesk.lib.ids import new_public_id
from commentdesk.lib.iphash import hash_ip
from commentdesk.lib.text import is_blank, normalise_body, normalise_line, normalise_thread_key
from commentdesk.moderation.models import AuditLogEntry, Flag
from commentdesk.publishing import snapshots
from commentdesk.sites.models import Site

ID_MAX = 100  # characters of a source id (Comment.import_id)
KEY_MAX = 500  # characters of a thread key (Thread.key)
BODY_MAX = 65_536  # characters of an imported body; longer ones are skipped, not cut
NAMED_MAX = 200  # skipped records and missing parents named in the summary; the rest are counted
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # before the web had comment systems


def parse_time(value: str | float, name: str) -> datetime:
    """A source's timestamp as an aware UTC datetime; raises ValueError naming ``name``.

    Accepts ISO 8601 / RFC 3339 text (``2014-01-14 17:31:03``, ``…T…Z``,
    ``…+02:00``; no zone means UTC) or Unix seconds (a number). Dates before
    1990 or more than a day in the future are refused as out of range.

    >>> parse_time("2014-01-14 17:31:03", "<date>").isoformat()
    '2014-01-14T17:31:03+00:00'
    """
    shown = str(value)[:40]
    try:
        if isinstance(value, (int, float)):
            parsed = datetime.fromtimestamp(float(value), UTC)
        else:
            parsed = datetime.fromisoformat(value.strip())
            parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"invalid {name} {shown!r}") from exc
    if not EARLIEST <= parsed <= datetime.now(UTC) + timedelta(days=1):
        raise ValueError(f"{name} {shown!r} is out of range")
    return parsed


@dataclass
class ThreadRecord:
    """One article. ``key`` is already normalised (see :meth:`Source.thread_key`)."""

    source_id: str
    key: str
    url: str = ""
    title: str = ""
    is_closed: bool = False
    created_at: datetime | None = None


@dataclass
class CommentRecord:
    """One comment; ``body`` is plain text; ``status`` a ``Comment.Status`` value.

    ``author_key`` identifies the author inside the source (username, e-mail…);
    ``record`` and ``line`` name the record in messages (``post dsq:id=7``, line 12).
    ``flagged``: readers reported it in the source (Disqus ``isFlagged``); it keeps
    its status and gets an open flag, so it waits in the desk's "flagged" queue.
    """

    source_id: str
    thread_source_id: str
    body: str
    created_at: datetime
    status: str
    author_name: str
    author_key: str
    email: str = ""
    ip: str = ""
    parent_source_id: str = ""
    record: str = ""
    line: int | None = None
    flagged: bool = False


@dataclass
class Skipped:
    """A record that could not be imported: what it was, where, and why."""

    record: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f" at line {self.line}" if self.line else ""
        return f"{self.record}{where}: {self.reason}"


class ImportFileError(Exception):
    """The file cannot be read (not XML, not JSON, not a database, refused…).

    Raised before a batch commits: nothing of the batch being read is stored.
    """


@dataclass
class ParserWarning:
    """Something the parser had to repair or give up on, e.g. ``line 147: AttValue: " or ' expected``."""

    message: str


@dataclass
class Dropped:
    """``count`` comments left out on purpose: they belong to a deleted thread."""

    count: int


@dataclass
class NotAComment:
    """A record that is not a reader's comment (a WordPress ``pingback`` or ``trackback``): counted, not stored."""

    kind: str


@dataclass
class Summary:
    """Counts of one import run, and each skipped record by name (the first 200)."""

    threads_new: int = 0
    threads_existing: int = 0
    threads_closed: int = 0
    comments: Counter[str] = field(default_factory=Counter)
    replies: int = 0
    flagged: int = 0
    already_present: int = 0
    dropped_in_deleted_threads: int = 0
    not_comments: Counter[str] = field(default_factory=Counter)
    parents_missing: list[str] = field(default_factory=list)
    parents_missing_count: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    skipped_count: int = 0
    warnings: list[str] = field(default_factory=list)

    def skip(self, item: Skipped) -> None:
        """Count a skipped record; name it while fewer than 200 are named."""
        self.skipped_count += 1
        if len(self.skipped) < NAMED_MAX:
            self.skipped.append(item)

    def parent_missing(self, link: str) -> None:
        """Count a reply left top-level (``"child→parent"`` ids); name it while fewer than 200 are named."""
        self.parents_missing_count += 1
        if len(self.parents_missing) < NAMED_MAX:
            self.parents_missing.append(link)

    def line(self) -> str:
        """The one summary line the command prints."""
        c = self.comments
        total = sum(c.values())
        shown = self.skipped[:50]
        more = self.skipped_count - len(shown)
        parts = [
            f"threads: {self.threads_new} new, {self.threads_existing} existing ({self.threads_closed} closed)",
            (f"comments: {total} imported ({c['approved']} approved, {c['pending']} pending, "
             f"{c['rejected']} rejected/deleted, {c['spam']} spam), {self.replies} {'reply' if self.replies == 1 else 'replies'}"),
            *([f"{self.flagged} flagged by readers (open flags)"] if self.flagged else []),
            f"{self.already_present} already present",
            f"{self.dropped_in_deleted_threads} dropped with deleted threads",
        ]
        if self.not_comments:
            parts.append("not comments, skipped: " + ", ".join(
                f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(self.not_comments.items())))
        parts.append(f"skipped {self.skipped_count}"
                     + (": " + "; ".join(str(s) for s in shown) if shown else "")
                     + (f" and {more} more" if more > 0 else ""))
        if self.parents_missing_count:
            more = self.parents_missing_count - min(20, len(self.parents_missing))
            parts.append("parents not found or not valid (imported as top-level): "
                         + ", ".join(self.parents_missing[:20])
                         + (f" and {more} more" if more > 0 else ""))
        if self.warnings:
            parts.append("malformed XML the parser read past (what it held may be missing): "
                         + "; ".join(self.warnings[:10])
                         + (f" and {len(self.warnings) - 10} more" if len(self.warnings) > 10 else ""))
        return " | ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able copy (kept in :attr:`ImportRun.summary` between batches)."""
        data = dict(self.__dict__)
        data["comments"] = dict(self.comments)
        data["not_comments"] = dict(self.not_comments)
        data["skipped"] = [[s.record, s.line, s.reason] for s in self.skipped]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        """The inverse of :meth:`to_dict` (an empty dict gives an empty summary)."""
        summary = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        summary.comments = Counter(data.get("comments", {}))
        summary.not_comments = Counter(data.get("not_comments", {}))
        summary.skipped = [Skipped(*s) for s in data.get("skipped", [])]
        return summary


Record = ThreadRecord | CommentRecord | Skipped | Dropped | ParserWarning | NotAComment

_PLAIN_PERMALINK = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?(?:/|/index\.php)?\?(?:[^#]*&)?"
                              r"(?:p|page_id)=([0-9]{1,20})(?:[&#].*)?$")
_MARKUP = re.compile(r"<[A-Za-z/!]|&(#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")


# Deeper JSON than this is no comment export (real ones nest 3 or 4 levels): refused,
# since a parser building such values needs memory growing with the square of the depth.
JSON_DEPTH_MAX = 32


def json_events(fh: IO[bytes], name: str) -> Iterator[tuple[str, str, Any]]:
    """ijson's ``(prefix, event, value)`` events of ``fh``, streamed; pass them to
    ``ijson.items`` too. Raises :class:`ImportFileError` (naming ``name``) when
    arrays and objects nest deeper than ``JSON_DEPTH_MAX``."""
    import ijson

    depth = 0
    for prefix, event, value in ijson.parse(fh):
        if event in ("start_map", "start_array"):
            depth += 1
            if depth > JSON_DEPTH_MAX:
                raise ImportFileError(f"{name}: JSON nested deeper than {JSON_DEPTH_MAX} levels; not an export")
        elif event in ("end_map", "end_array"):
            depth -= 1
        yield prefix, event, value


def json_error(exc: Exception) -> str:
    """ijson's error as text (its C backend gives bytes: ``b'lexical error…'``)."""
    message = exc.args[0] if exc.args else exc
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


def body_problems(body: str, status: str | None, noun: str, empty: str = "") -> list[str]:
    """Why an imported plain-text ``body`` cannot be stored: ``["empty <noun><empty>"]``
    for an approved or pending comment with nothing visible (only whitespace or
    invisible characters, as submissions are refused; a rejected or spam one may be
    empty), ``["the <noun> is over 65,536 characters"]`` past ``BODY_MAX``; else ``[]``.

    >>> body_problems("", "approved", "message")
    ['empty message']
    >>> body_problems("", "spam", "message"), body_problems("x" * 70_000, "spam", "text")
    ([], ['the text is over 65,536 characters'])
    """
    if status in ("approved", "pending") and is_blank(body):  # nothing a reader would see
        return [f"empty {noun}{empty}"]
    if len(body) > BODY_MAX:
        return [f"the {noun} is over {BODY_MAX:,} characters"]
    return []


def plain_text(text: str, line_breaks: bool = False) -> str:
    """An imported body as commentdesk's plain text.

    Text with HTML tags or entities goes through :func:`lib.html_text.html_to_text`
    (paragraphs, ``<br>`` and link addresses kept as text); other text, e.g.
    Markdown, is only normalised. ``line_breaks``: the source shows each line break
    of its text as one (WordPress's ``wpautop``, Markdown sources), so they are kept
    even in HTML.

    >>> plain_text("a &amp; b\\nc", line_breaks=True)
    'a & b\\nc'
    >>> plain_text("*so* < 3\\n\\nyes")
    '*so* < 3\\n\\nyes'
    """
    if not _MARKUP.search(text):
        return normalise_body(text)
    if line_breaks:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
    return html_to_text(text)


class Progress:
    """How far an import has got, on ``stream`` (the command's stderr).

    On a terminal a tqdm bar of ``total`` ``unit`` (bytes of the file read, or
    records of a database); otherwise one plain line of counts at most every
    ``every`` seconds and one at the end, e.g. ``read 1.2 of 3.4 MB (35%); 12,000
    comments stored`` (``read`` instead of ``stored`` for a ``dry_run``).
    """

    def __init__(self, stream: IO[str], total: int = 0, unit: str = "B", every: float = 10.0,
                 tty: bool | None = None, dry_run: bool = False) -> None:
        self.stream = stream
        self.dry_run = dry_run
        self.total = total
        self.unit = unit
        self.every = every
        self.done = 0
        self.stored = 0
        self.last = time.monotonic()
        self.tty = stream.isatty() if tty is None else tty
        self.bar: Any = None
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total or None, unit=unit, unit_scale=unit == "B", file=stream, leave=True,
                            dynamic_ncols=True)

    def set_total(self, total: int, unit: str | None = None) -> None:
        """Change what 100 % is (a parser reading its file twice doubles it)."""
        self.total = total
        self.unit = unit or self.unit
        if self.bar is not None:
            self.bar.total = total
            self.bar.unit = self.unit
            self.bar.refresh()

    def advance(self, n: int) -> None:
        """``n`` more units read."""
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif time.monotonic() - self.last >= self.every:
            self._print()

    def comments_stored(self, count: int) -> None:
        """The import has stored ``count`` comments so far."""
        self.stored = count
        if self.bar is not None:
            self.bar.set_postfix(comments=f"{count:,}", refresh=False)

    def close(self) -> None:
        """End the bar, or print the last plain line."""
        if self.bar is not None:
            self.bar.close()
        else:
            self._print()

    def _print(self) -> None:
        self.last = time.monotonic()
        if self.unit == "B":
            read = f"read {self.done / 1e6:,.2f} of {self.total / 1e6:,.2f} MB"
        else:
            read = f"read {self.done:,} of {self.total:,} {self.unit}"
        pct = f" ({100 * self.done // self.total}%)" if self.total else ""
        self.stream.write(f"{read}{pct}; {self.stored:,} comments {'read' if self.dry_run else 'stored'}\n")
        self.stream.flush()


class _CountingReader(io.RawIOBase):
    """A raw binary file that tells a :class:`Progress` how many bytes were read."""

    def __init__(self, raw: IO[bytes], progress: Progress | None) -> None:
        self.raw = raw
        self.progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        if n and self.progress is not None:
            self.progress.advance(n)
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


@dataclass
class Source:
    """The file an importer reads, and how its URLs become thread keys.

    ``rewrites``: ``(FROM, TO)`` pairs of ``--rewrite-url``; the first whose FROM
    begins a URL replaces that prefix, before the key is normalised (a moved site).
    """

    path: Path
    rewrites: list[tuple[str, str]] = field(default_factory=list)
    progress: Progress | None = None

    def url(self, url: str) -> str:
        """``url`` with the first matching ``--rewrite-url`` prefix replaced.

        >>> Source(Path("x"), [("http://old.example/blog/", "https://new.example/")]).url(
        ...     "http://old.example/blog/2014/a/")
        'https://new.example/2014/a/'
        """
        url = url.strip()
        for old, new in self.rewrites:
            if url.startswith(old):
                return new + url[len(old):]
        return url

    def thread_key(self, url_or_key: str) -> str:
        """The normalised thread key of a URL, path or article id (after rewriting); may be ``""``.

        A WordPress "plain" permalink names its post only in the query, which
        normalising drops; its key is the post id instead:

        >>> Source(Path("x")).thread_key("http://example.tld/?p=4")
        '4'
        """
        rewritten = self.url(url_or_key)
        plain = _PLAIN_PERMALINK.match(rewritten)
        if plain:
            return plain.group(1)
        return normalise_thread_key(rewritten) if rewritten else ""

    def open(self) -> IO[bytes]:
        """The file, buffered, reporting bytes read to the progress. Raises :class:`ImportFileError`."""
        try:
            raw = open(self.path, "rb")  # noqa: SIM115 - closed by the BufferedReader
        except OSError as exc:
            raise ImportFileError(f"{self.path.name} cannot be read: {exc.strerror}") from exc
        return io.BufferedReader(_CountingReader(raw, self.progress), buffer_size=1 << 16)


def fingerprint(path: Path, source: str, options: dict[str, Any]) -> str:
    """SHA-256 (hex) of ``source``, the ``options`` that change what is stored, and the file's bytes.

    Streams the file (constant memory). An unfinished import with the same
    fingerprint is resumed (:class:`Writer`).
    """
    digest = hashlib.sha256(json.dumps([source, options], sort_keys=True).encode())
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _valid_parent(parent: tuple[int, int, datetime], child: tuple[int, int, datetime]) -> bool:
    """A (pk, thread id, created) parent may hold a child when it is another comment of
    the same thread written before it; ties in time go by pk (file order), so a
    self-reply or a cycle can never be linked."""
    return parent[0] != child[0] and parent[1] == child[1] and (parent[2], parent[0]) < (child[2], child[0])


class Writer:
    """Stores records for one ``site`` and ``source`` in batches of ``batch_size`` records.

    Each batch (its threads, commenters, comments, parent links, and the run's
    position and counts) is one transaction. A reply whose parent is already
    stored is linked at once; one whose parent comes later in the file is kept
    as a :class:`PendingParent` and linked at the end. ``fingerprint`` names the
    file (:func:`fingerprint`): an unfinished run with it is resumed after its
    last committed record. ``dry_run`` reads and counts and stores nothing.
    """

    def __init__(self, site: Site, source: str, batch_size: int = 500, dry_run: bool = False,
                 fingerprint: str = "", file_name: str = "", progress: Progress | None = None) -> None:
        self.site = site
        self.source = source
        self.batch_size = batch_size
        self.dry_run = dry_run
        self.fingerprint = fingerprint
        self.file_name = file_name
        self.progress = progress
        self.summary = Summary()
        self.run: ImportRun | None = None
        self.resumed = False
        self.floor = 0
        self.threads: dict[str, str] = {}  # thread source id → key
        self.thread_pks: dict[str, int] = {}  # key → Thread pk (-1: would be created, in a dry run)
        # In a dry run only (nothing is stored to look up): each comment read, id → (thread key,
        # created, order read), and each reply's (child id, parent id), checked at the end.
        self.seen: dict[str, tuple[str, datetime, int]] = {}
        self.dry_links: list[tuple[str, str]] = []
        self.buffer: list[Record] = []
        self.touched: set[int] = set()
        self.batches = 0  # committed by this attempt

    def consume(self, items: Iterable[Record]) -> Summary:
        """Store everything a parser yields, batch by batch, and finish.

        Raises what the parser raises (:class:`ImportFileError`): the batch being
        read is then not stored; the batches before it are, and a re-run resumes.
        """
        self._start()
        skip = self.run.position if self.run is not None else 0
        position = 0
        for item in items:
            position += 1
            if position <= skip:  # committed by an earlier attempt
                if isinstance(item, ThreadRecord):
                    self.threads[item.source_id] = item.key
                continue
            self.buffer.append(item)
            if len(self.buffer) >= self.batch_size:
                self._flush(position)
        self._flush(position)
        return self._finish()

    def _start(self) -> None:
        """Find the unfinished run of this file to resume (its row is made by the first batch)."""
        if self.dry_run:
            self.floor = 2**62
            return
        run = (ImportRun.objects.filter(site=self.site, source=self.source, fingerprint=self.fingerprint,
                                        finished_at__isnull=True).order_by("-pk").first()
               if self.fingerprint else None)
        if run is not None:
            run.attempts += 1
            run.save(update_fields=["attempts"])
            self.summary = Summary.from_dict(run.summary)
            self.resumed = True
            self.run = run
            self.floor = run.comment_pk_floor

    def _flush(self, position: int) -> None:
        items, self.buffer = self.buffer, []
        if self.dry_run:
            self._apply(items)
            return
        if not items:
            return
        with transaction.atomic():
            if self.run is None:
                self.floor = Comment.objects.aggregate(m=Max("pk"))["m"] or 0
                self.run = ImportRun.objects.create(site=self.site, source=self.source,
                                                    file_name=self.file_name[:300], fingerprint=self.fingerprint,
                                                    comment_pk_floor=self.floor)
            self._apply(items)
            self.run.position = position
            self.run.summary = self.summary.to_dict()
            self.run.save(update_fields=["position", "summary"])
        self.batches += 1
        if self.progress is not None:
            self.progress.comments_stored(sum(self.summary.comments.values()))

    def _apply(self, items: list[Record]) -> None:
        comments: list[CommentRecord] = []
        for item in items:
            if isinstance(item, ThreadRecord):
                self._add_thread(item)
            elif isinstance(item, CommentRecord):
                comments.append(item)
            elif isinstance(item, Skipped):
                self.summary.skip(item)
            elif isinstance(item, ParserWarning):
                self.summary.warnings.append(item.message)
            elif isinstance(item, NotAComment):
                self.summary.not_comments[item.kind] += 1
            else:
                self.summary.dropped_in_deleted_threads += item.count
        if comments:
            self._add_comments(comments)

    def _thread_pk(self, key: str) -> int | None:
        pk = self.thread_pks.get(key)
        if pk is None:
            pk = Thread.objects.filter(site=self.site, key=key).values_list("pk", flat=True).first()
            if pk is not None:
                self.thread_pks[key] = pk
        return pk

    def _add_thread(self, record: ThreadRecord) -> None:
        self.threads[record.source_id] = record.key
        if record.is_closed:
            self.summary.threads_closed += 1
        pk = self._thread_pk(record.key)
        if pk is not None:
            self.summary.threads_existing += 1
            if record.is_closed and not self.dry_run:
                Thread.objects.filter(pk=pk, is_closed=False).update(is_closed=True)
            return
        self.summary.threads_new += 1
        if self.dry_run:
            self.thread_pks[record.key] = -1
            return
        thread = Thread.objects.create(
            site=self.site,
            key=record.key,
            url=record.url[:2000],
            title=normalise_line(record.title)[:300],
            is_closed=record.is_closed,
            created_at=record.created_at or timezone.now(),
            import_source=self.source,
            import_id=record.source_id[:100],
        )
        self.thread_pks[record.key] = thread.pk

    def _add_comments(self, records: list[CommentRecord]) -> None:
        for r in records:
            if r.thread_source_id not in self.threads:
                self.summary.skip(Skipped(r.record or f"comment {r.source_id}", r.line,
                                          f"its thread {r.thread_source_id} is not in the file or was skipped"))
        records = [r for r in records if r.thread_source_id in self.threads]
        existing = dict(
            Comment.objects.filter(
                site=self.site, import_source=self.source, import_id__in={r.source_id for r in records}
            ).values_list("import_id", "pk")
        )
        fresh: list[CommentRecord] = []
        in_batch: set[str] = set()
        for r in records:
            if r.source_id in in_batch or r.source_id in self.seen or existing.get(r.source_id, 0) > self.floor:
                self.summary.skip(Skipped(r.record or f"comment {r.source_id}", r.line,
                                          "duplicate id: an earlier record of the file has it"))
            elif r.source_id in existing:
                self.summary.already_present += 1
            else:
                fresh.append(r)
                in_batch.add(r.source_id)
            if self.dry_run and r.source_id not in self.seen:
                self.seen[r.source_id] = (self.threads[r.thread_source_id], r.created_at, len(self.seen))
        for r in fresh:
            self.summary.comments[r.status] += 1
            self.summary.flagged += r.flagged
            if r.parent_source_id:
                self.summary.replies += 1
                if self.dry_run:
                    self.dry_links.append((r.source_id, r.parent_source_id))
        if self.dry_run or not fresh:
            return
        commenters = self._commenters(fresh)
        rows = []
        for r in fresh:
            decided = r.status != Comment.Status.PENDING
            thread_pk = self._thread_pk(self.threads[r.thread_source_id])
            assert thread_pk is not None  # the parser yields a comment only after its thread
            rows.append(
                Comment(
                    public_id=new_public_id("c"),  # bulk_create does not call save()
                    site=self.site,
                    thread_id=thread_pk,
                    commenter_id=commenters[r.author_key[:200]],
                    author_name=normalise_line(r.author_name)[:80] or "Anonymous",
                    body=r.body,
                    status=r.status,
                    created_at=r.created_at,
                    published_at=r.created_at if r.status == Comment.Status.APPROVED else None,
                    decided_at=r.created_at if decided else None,
                    ip_hash=hash_ip(r.ip) if r.ip else "",
                    import_source=self.source,
                    import_id=r.source_id,
                )
            )
            self.touched.add(thread_pk)
        Comment.objects.bulk_create(rows)
        self._link(fresh, rows)
        flagged = [Flag(comment=row, reason=Flag.Reason.OTHER, note=f"reported by readers in {self.source}",
                        created_at=r.created_at) for r, row in zip(fresh, rows, strict=True) if r.flagged]
        Flag.objects.bulk_create(flagged)

    def _commenters(self, records: list[CommentRecord]) -> dict[str, int]:
        """Commenter pks by author key (cut to 200 characters), created from their first comment if new."""
        first: dict[str, CommentRecord] = {}
        for r in records:
            first.setdefault(r.author_key[:200], r)
        found = dict(
            Commenter.objects.filter(site=self.site, import_source=self.source, import_id__in=first)
            .values_list("import_id", "pk")
        )
        new = [
            Commenter(
                public_id=new_public_id("u"),
                site=self.site,
                name=normalise_line(r.author_name)[:80] or "Anonymous",
                email=r.email[:254],
                ip_hash=hash_ip(r.ip) if r.ip else "",
                created_at=r.created_at,
                import_source=self.source,
                import_id=key,
            )
            for key, r in first.items()
            if key not in found
        ]
        Commenter.objects.bulk_create(new)
        found.update({c.import_id: c.pk for c in new})
        return found

    def _link(self, records: list[CommentRecord], rows: list[Comment]) -> None:
        """Link the batch's replies whose parent is stored; keep the others as pending."""
        by_id = {r.source_id: row for r, row in zip(records, rows, strict=True)}
        wanted = [(r, row) for r, row in zip(records, rows, strict=True) if r.parent_source_id]
        if not wanted:
            return
        outside = {r.parent_source_id for r, _ in wanted if r.parent_source_id not in by_id}
        stored = {
            import_id: (pk, thread_id, created)
            for import_id, pk, thread_id, created in Comment.objects.filter(
                site=self.site, import_source=self.source, import_id__in=outside
            ).values_list("import_id", "pk", "thread_id", "created_at")
        }
        linked, pending = [], []
        for r, row in wanted:
            parent = by_id.get(r.parent_source_id)
            found = (parent.pk, parent.thread_id, parent.created_at) if parent else stored.get(r.parent_source_id)
            if found is None:
                pending.append(PendingParent(run=self.run, child=row, parent_import_id=r.parent_source_id[:100]))
            elif _valid_parent(found, (row.pk, row.thread_id, row.created_at)):
                row.parent_id = found[0]
                linked.append(row)
            else:
                self.summary.parent_missing(f"{r.source_id}→{r.parent_source_id}")
        Comment.objects.bulk_update(linked, ["parent"])
        PendingParent.objects.bulk_create(pending)

    def _finish(self) -> Summary:
        """Link pending replies, log the import once, mark the run finished, refresh snapshots."""
        if self.run is not None:
            self._link_pending()
            with transaction.atomic():
                self._audit()
                self.run.finished_at = timezone.now()
                self.run.summary = self.summary.to_dict()
                self.run.save(update_fields=["finished_at", "summary"])
            self._refresh_snapshots()
            self._announce_pending()
        elif self.dry_run:
            self._check_dry_links()
        if self.progress is not None:
            self.progress.comments_stored(sum(self.summary.comments.values()))
            self.progress.close()
        return self.summary

    def _refresh_snapshots(self) -> None:
        """Rebuild the snapshots readers have cached of the threads this import added to
        (``thread_changed``). A thread with none cached is built from the database by its
        next reader, so a large import does not fill the cache with every thread it touched."""
        touched = set(self.touched)
        if self.resumed:  # what the killed attempt stored is not in self.touched
            keys = set(self.threads.values())
            touched |= set(Thread.objects.filter(site=self.site, key__in=keys).values_list("pk", flat=True))
        ordered = sorted(touched)
        for start in range(0, len(ordered), self.batch_size):
            for thread_id, key in Thread.objects.filter(pk__in=ordered[start : start + self.batch_size]).values_list(
                "pk", "key"
            ):
                if cache.has_key(snapshots.cache_key(self.site.pk, key)):
                    thread_changed.send(sender=Thread, thread_id=thread_id)

    def _announce_pending(self) -> None:
        """Send ``comments_imported`` with this run's pending comments (those stored
        after its ``comment_pk_floor``), at most 1,000 ids at a time, for triage to score."""
        assert self.run is not None
        announce_pending(list(Comment.objects.filter(
            site=self.site, import_source=self.source, status=Comment.Status.PENDING,
            pk__gt=self.run.comment_pk_floor).order_by("pk").values_list("pk", flat=True)))

    def _check_dry_links(self) -> None:
        """Name the replies whose parent a real run would not link (as :func:`_valid_parent`;
        a parent stored by an earlier import comes first)."""
        for start in range(0, len(self.dry_links), self.batch_size):
            chunk = self.dry_links[start : start + self.batch_size]
            stored = {
                import_id: (key, created, -1)
                for import_id, key, created in Comment.objects.filter(
                    site=self.site, import_source=self.source, import_id__in={p for _, p in chunk}
                ).values_list("import_id", "thread__key", "created_at")
            }
            for child, parent in chunk:
                c, p = self.seen[child], stored.get(parent) or self.seen.get(parent)
                if p is None or child == parent or p[0] != c[0] or (p[1], p[2]) >= (c[1], c[2]):
                    self.summary.parent_missing(f"{child}→{parent}")

    def _link_pending(self) -> None:
        """Link each pending reply to its parent (now stored, or named as not found), batch by batch.

        Pending replies left by an earlier, unfinished run of this site and source
        (a file that broke, was fixed and imported again) are linked too."""
        assert self.run is not None
        while True:
            chunk = list(PendingParent.objects.filter(run__site=self.site, run__source=self.source).order_by("pk")
                         .values_list("pk", "child_id", "parent_import_id")[: self.batch_size])
            if not chunk:
                return
            children = {
                pk: (pk, thread_id, created, import_id)
                for pk, thread_id, created, import_id in Comment.objects.filter(
                    pk__in=[c for _, c, _ in chunk]).values_list("pk", "thread_id", "created_at", "import_id")
            }
            parents = {
                import_id: (pk, thread_id, created)
                for import_id, pk, thread_id, created in Comment.objects.filter(
                    site=self.site, import_source=self.source, import_id__in={p for _, _, p in chunk}
                ).values_list("import_id", "pk", "thread_id", "created_at")
            }
            with transaction.atomic():
                for _, child_id, parent_id in chunk:
                    child = children.get(child_id)
                    if child is None:
                        continue
                    parent = parents.get(parent_id)
                    if parent is not None and _valid_parent(parent, child[:3]):
                        Comment.objects.filter(pk=child_id, parent__isnull=True).update(parent_id=parent[0])
                        self.touched.add(child[1])
                    else:
                        self.summary.parent_missing(f"{child[3]}→{parent_id}")
                PendingParent.objects.filter(pk__in=[pk for pk, _, _ in chunk]).delete()
                self.run.summary = self.summary.to_dict()
                self.run.save(update_fields=["summary"])

    def _audit(self) -> None:
        if not sum(self.summary.comments.values()) and not self.summary.threads_new:
            return
        AuditLogEntry.objects.create(
            site=self.site,
            actor=None,
            actor_name=f"import:{self.source}",
            action=AuditLogEntry.Action.IMPORT,
            note=self.summary.line()[:5000],
        )


def announce_pending(ids: list[int]) -> None:
    """Send ``comments_imported`` for these imported pending comments, at most
    1,000 ids at a time, for triage to score (every importer, native included)."""
    for start in range(0, len(ids), 1000):
        comments_imported.send(sender=Comment, comment_ids=ids[start:start + 1000])


def check_file(path: Path) -> None:
    """Raise ``CommandError`` unless ``path`` is a file to import (a directory, or
    nothing there, is named as such); ``commentdesk import`` and ``demo`` check
    before anything is stored."""
    from django.core.management.base import CommandError

    if path.is_dir():
        raise CommandError(f"{path}: is a directory; give the export file")
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
