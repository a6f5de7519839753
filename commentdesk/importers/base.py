"""What every importer shares: the records a parser yields, and the writer that
stores them in batches, idempotently, and reports a summary.

A parser (one module per source: ``disqus`` …) turns a file into a stream of
:class:`ThreadRecord`, :class:`CommentRecord` and :class:`Skipped` items; the
:class:`Writer` stores them. Re-running an import adds nothing: comments are
keyed by ``(site, import_source, import_id)`` and threads by their key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from commentdesk.comments.models import Comment, Commenter, Thread
from commentdesk.comments.signals import thread_changed
from commentdesk.lib.ids import new_public_id
from commentdesk.lib.iphash import hash_ip
from commentdesk.lib.text import normalise_line
from commentdesk.moderation.models import AuditLogEntry
from commentdesk.sites.models import Site


@dataclass
class ThreadRecord:
    """One article. ``key`` is already normalised."""

    source_id: str
    key: str
    url: str = ""
    title: str = ""
    is_closed: bool = False
    created_at: datetime | None = None


@dataclass
class CommentRecord:
    """One comment; ``body`` is plain text; ``status`` a ``Comment.Status`` value.

    ``author_key`` identifies the author inside the source (username, e-mail…).
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
    """The file cannot be read at all (not XML, empty…); nothing was imported."""


@dataclass
class ParserWarning:
    """Something the parser had to repair or give up on, e.g. ``line 147: AttValue: " or ' expected``."""

    message: str


@dataclass
class Dropped:
    """``count`` comments left out on purpose: they belong to a deleted thread."""

    count: int


@dataclass
class Summary:
    """Counts of one import run, and each skipped record by name."""

    threads_new: int = 0
    threads_existing: int = 0
    threads_closed: int = 0
    comments: Counter[str] = field(default_factory=Counter)
    replies: int = 0
    already_present: int = 0
    dropped_in_deleted_threads: int = 0
    parents_missing: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        """The one summary line the command prints."""
        c = self.comments
        total = sum(c.values())
        parts = [
            f"threads: {self.threads_new} new, {self.threads_existing} existing ({self.threads_closed} closed)",
            f"comments: {total} imported ({c['approved']} approved, {c['pending']} pending, "
            f"{c['rejected']} rejected/deleted, {c['spam']} spam), {self.replies} replies",
            f"{self.already_present} already present",
            f"{self.dropped_in_deleted_threads} dropped with deleted threads",
            f"skipped {len(self.skipped)}" + (": " + "; ".join(str(s) for s in self.skipped) if self.skipped else ""),
        ]
        if self.parents_missing:
            parts.append("parents not found or not valid (imported as top-level): "
                         + ", ".join(self.parents_missing[:20])
                         + (f" and {len(self.parents_missing) - 20} more" if len(self.parents_missing) > 20 else ""))
        if self.warnings:
            parts.append("parser: " + "; ".join(self.warnings[:10])
                         + (f" and {len(self.warnings) - 10} more" if len(self.warnings) > 10 else ""))
        return " | ".join(parts)


Record = ThreadRecord | CommentRecord | Skipped | Dropped | ParserWarning


class Writer:
    """Stores records for one ``site`` and ``source`` in batches of ``batch_size``.

    Threads are written as they come (one query each; there are few); comments
    are buffered and written in one transaction per batch; parents are linked
    at :meth:`finish`, so a reply may come before its parent in the file.
    """

    def __init__(self, site: Site, source: str, batch_size: int = 500, dry_run: bool = False) -> None:
        self.site = site
        self.source = source
        self.batch_size = batch_size
        self.dry_run = dry_run
        self.summary = Summary()
        self.threads: dict[str, int] = {}  # source id → Thread pk
        self.commenters: dict[str, int] = {}  # author key → Commenter pk
        self.buffer: list[CommentRecord] = []
        self.links: list[tuple[str, str]] = []  # (child source id, parent source id)
        self.touched: set[int] = set()

    def consume(self, items: Iterable[Record]) -> Summary:
        """Store everything a parser yields and finish."""
        for item in items:
            if isinstance(item, ThreadRecord):
                self.add_thread(item)
            elif isinstance(item, CommentRecord):
                self.add_comment(item)
            elif isinstance(item, Skipped):
                self.summary.skipped.append(item)
            elif isinstance(item, ParserWarning):
                self.summary.warnings.append(item.message)
            else:
                self.summary.dropped_in_deleted_threads += item.count
        return self.finish()

    def add_thread(self, record: ThreadRecord) -> None:
        existing = Thread.objects.filter(site=self.site, key=record.key).first()
        if record.is_closed:
            self.summary.threads_closed += 1
        if existing is None:
            self.summary.threads_new += 1
            if self.dry_run:
                self.threads[record.source_id] = -1
                return
            existing = Thread.objects.create(
                site=self.site,
                key=record.key,
                url=record.url[:2000],
                title=normalise_line(record.title)[:300],
                is_closed=record.is_closed,
                created_at=record.created_at or timezone.now(),
                import_source=self.source,
                import_id=record.source_id[:100],
            )
        else:
            self.summary.threads_existing += 1
            if record.is_closed and not existing.is_closed and not self.dry_run:
                Thread.objects.filter(pk=existing.pk).update(is_closed=True)
        self.threads[record.source_id] = existing.pk

    def knows_thread(self, source_id: str) -> bool:
        return source_id in self.threads

    def add_comment(self, record: CommentRecord) -> None:
        self.buffer.append(record)
        if len(self.buffer) >= self.batch_size:
            self.flush()

    def _commenter(self, record: CommentRecord) -> int:
        pk = self.commenters.get(record.author_key)
        if pk is None:
            commenter = Commenter.objects.filter(
                site=self.site, import_source=self.source, import_id=record.author_key
            ).first()
            if commenter is None:
                commenter = Commenter.objects.create(
                    site=self.site,
                    name=normalise_line(record.author_name)[:80] or "Anonymous",
                    email=record.email[:254],
                    ip_hash=hash_ip(record.ip) if record.ip else "",
                    created_at=record.created_at,
                    import_source=self.source,
                    import_id=record.author_key[:200],
                )
            pk = self.commenters[record.author_key] = commenter.pk
        return pk

    def flush(self) -> None:
        """Write the buffered comments in one transaction, skipping those already imported."""
        batch, self.buffer = self.buffer, []
        if not batch:
            return
        existing = set(
            Comment.objects.filter(
                site=self.site, import_source=self.source, import_id__in=[r.source_id for r in batch]
            ).values_list("import_id", flat=True)
        )
        fresh = [r for r in batch if r.source_id not in existing]
        self.summary.already_present += len(batch) - len(fresh)
        for r in fresh:
            self.summary.comments[r.status] += 1
            if r.parent_source_id:
                self.summary.replies += 1
                self.links.append((r.source_id, r.parent_source_id))
        if self.dry_run or not fresh:
            return
        with transaction.atomic():
            rows = []
            for r in fresh:
                decided = r.status != Comment.Status.PENDING
                rows.append(
                    Comment(
                        site=self.site,
                        thread_id=self.threads[r.thread_source_id],
                        commenter_id=self._commenter(r),
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
                self.touched.add(self.threads[r.thread_source_id])
            for row in rows:
                row.public_id = new_public_id("c")  # bulk_create does not call save()
            Comment.objects.bulk_create(rows, batch_size=self.batch_size)

    def finish(self) -> Summary:
        """Flush, link replies to their parents, log the import, refresh snapshots."""
        self.flush()
        if not self.dry_run:
            self._link_parents()
            self._audit()
            for thread_id in sorted(self.touched):
                thread_changed.send(sender=Thread, thread_id=thread_id)
        return self.summary

    def _link_parents(self) -> None:
        """Link each reply to its parent when the parent is in the same thread and
        written no later than the reply (so self-replies and cycles cannot exist)."""
        for start in range(0, len(self.links), self.batch_size):
            chunk = self.links[start : start + self.batch_size]
            ids = {c for c, _ in chunk} | {p for _, p in chunk}
            rows = {
                import_id: (pk, thread_id, created)
                for import_id, pk, thread_id, created in Comment.objects.filter(
                    site=self.site, import_source=self.source, import_id__in=ids
                ).values_list("import_id", "pk", "thread_id", "created_at")
            }
            with transaction.atomic():
                for child, parent in chunk:
                    c, p = rows.get(child), rows.get(parent)
                    if c and p and c[0] != p[0] and c[1] == p[1] and (p[2], p[0]) < (c[2], c[0]):
                        Comment.objects.filter(pk=c[0], parent__isnull=True).update(parent_id=p[0])
                    else:
                        self.summary.parents_missing.append(f"{child}→{parent}")

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

