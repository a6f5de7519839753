"""commentdesk's own export format: one site in one JSON Lines file, and its import.

A publisher leaving (or moving to another installation) takes everything of
their site with them: ``commentdesk export --site SLUG FILE`` writes it and
``commentdesk import native FILE`` restores it into another installation, so
that exporting the restored site again gives the same bytes.

The file, one JSON object per line (UTF-8, ``\\n`` line ends), each with a
``"type"``, in this order (:data:`SECTIONS`)::

    header        {"format": "commentdesk-native", "version": 1, "site": SLUG}
    site          the site's settings
    user          username, names and e-mail of every user the site's rows name
                  (moderators, editors, ban and audit-log actors); no passwords
    membership    desk rights: user (username), role, languages, digest
    triage_policy the site's triage policy, if it has one
    word_list     the site's triage word lists
    thread        by key
    commenter     by public id
    comment       oldest first, so a reply's parent always comes before it
    revision, nudge, flag, ban, audit
    end           {"counts": {type: number of records}}

Rows refer to each other by public identifiers, never by database keys: a
thread by its key, commenters and comments by public id, users by username, and
an audit-log entry (the one an undo reverts) by ``{"created_at", "action",
"comment_public_id"}``. Every record carries each concrete field of its model
(read from ``Model._meta``, so a field added to a model is exported with no code
change) except the primary key, the site (implied) and :data:`LEFT_OUT`:

- IP hashes (commenters, comments, flags) are HMACs under this installation's
  ``IP_HASH_KEY``: useless to any other installation, and personal data.
- The commenters' token hashes and the comments' edit-token hashes are
  credentials of readers' browsers: a file that leaves the installation carries
  no credentials (readers are given new tokens when they next comment).
- Triage scores, fingerprints, campaigns and trained classifier versions are
  derived data (and a classifier is a pickle: never loaded from a file);
  idempotency records expire within a day. None are exported.

Serialisation is deterministic: sorted keys, ``(",", ":")`` separators,
``ensure_ascii=False``, times as RFC 3339 UTC with six-digit microseconds and a
``Z``, rows in a fixed order (comments, revisions, flags, bans and audit-log
entries by creation time then by insertion order, which an import keeps).

The import reads the file twice, a line at a time (memory does not grow with the
file): first to check its structure (JSON, header, known types in order, the end
record and its counts), storing nothing; then to store it in batches, one
transaction per batch. Bodies are cleaned as readers' submissions are
(:data:`CLEANED`), and a reply outside its parent's thread is refused. A re-run
adds nothing: threads, commenters and comments are matched by key or public id,
users by username, memberships and word lists by their natural keys, and rows
without an identifier (revisions, flags, bans, audit-log entries) by their whole
content. So an import killed half-way is resumed by running it again. (Two rows
identical in every exported field, split by a batch boundary of a killed run,
would be restored once: none of these models' own code writes such twins.) The
import adds no audit-log entry of its own: the site's log is restored as it was,
and an extra entry would make the second export differ; users are created with
unusable passwords.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, models, transaction
from django.db.models import Q

from commentdesk.comments.models import Comment, Commenter, CommentRevision, Thread
from commentdesk.comments.signals import thread_changed
from commentdesk.importers.base import BODY_MAX, announce_pending, body_problems
from commentdesk.lib.text import normalise_body, normalise_line
from commentdesk.moderation.models import AuditLogEntry, Ban, Flag, Membership
from commentdesk.publishing import snapshots
from commentdesk.sites.models import Site
from commentdesk.triage.models import Nudge, TriagePolicy, WordList

FORMAT = "commentdesk-native"
VERSION = 1
# A line longer than this is refused rather than read into memory (bytes).
MAX_LINE = 16 * 1024 * 1024

# Fields never exported, by model (see the module's docstring for why).
LEFT_OUT: dict[type[models.Model], frozenset[str]] = {
    Commenter: frozenset({"ip_hash", "token_hash"}),
    Comment: frozenset({"ip_hash", "edit_token_hash"}),
    Flag: frozenset({"ip_hash"}),
}

# Text fields cleaned as readers' submissions are (lib.text.normalise_body: control
# characters, bidi overrides…), by model: a file edited by hand or written by another
# tool may hold what commentdesk itself never stores (PostgreSQL refuses NUL).
CLEANED: dict[type[models.Model], frozenset[str]] = {
    Comment: frozenset({"body"}),
    CommentRevision: frozenset({"body"}),
}
# One-line text fields cleaned as readers' names are (lib.text.normalise_line).
CLEANED_LINES: dict[type[models.Model], frozenset[str]] = {
    Comment: frozenset({"author_name"}),
    Commenter: frozenset({"name"}),
    Thread: frozenset({"title"}),
    Site: frozenset({"name"}),
}
# What no database stores in text (PostgreSQL refuses NUL, neither encodes a lone
# surrogate): refused, naming the line, in the fields that are not cleaned.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# How a row names a row of another model: its public identifier (one field, a
# scalar in the file) or several fields (an object in the file).
REF_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Thread: ("key",),
    Commenter: ("public_id",),
    Comment: ("public_id",),
    User: ("username",),
    AuditLogEntry: ("created_at", "action", "comment_public_id"),
}

# The users' fields that travel: installation rights, passwords and log-in
# times belong to the installation, not to the site.
USER_FIELDS = ("username", "first_name", "last_name", "email")


class NativeFileError(Exception):
    """The file cannot be imported; the message names the line (``line 12: …``)."""


def timestamp(value: datetime) -> str:
    """RFC 3339 UTC with six-digit microseconds: ``2026-02-01T10:00:00.000000Z``."""
    if value.tzinfo is not UTC:  # the database gives UTC already
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


# Characters that str.splitlines() and some editors take for line ends: escaped
# (as JSON allows), so that every tool sees one record per line.
_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")


def dumps(record: dict[str, Any]) -> str:
    """One record as its line's text (without the ``\\n``): sorted keys, no spaces,
    UTF-8 text as is except U+0085, U+2028 and U+2029, which are escaped."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if _LINE_BREAKS.search(text):
        text = _LINE_BREAKS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def _plain(value: Any) -> Any:
    """A field's Python value as JSON (datetimes as :func:`timestamp`)."""
    if value is None or type(value) in (str, int, bool):
        return value
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, bytes | memoryview):
        raise TypeError("binary fields are not exported")
    return value


@dataclass(frozen=True)
class Section:
    """One record type of the file: which rows of a site, in which order.

    ``site_path``: the lookup from the model to its site (None for users, which
    are installation-wide). ``natural_key``: fields (file names) that identify a
    row within the site, or None to match rows by their whole content.
    ``include``: only these fields (users); else every concrete field.
    """

    type: str
    model: type[models.Model]
    order: tuple[str, ...]
    site_path: str | None
    natural_key: tuple[str, ...] | None
    include: tuple[str, ...] | None = None

    @cached_property
    def fields(self) -> list[models.Field[Any, Any]]:
        """The exported fields: concrete, not the primary key, not the site, not left out."""
        out = []
        for f in self.model._meta.concrete_fields:
            if f.primary_key or f.name in LEFT_OUT.get(self.model, ()):
                continue
            if self.include is not None and f.name not in self.include:
                continue
            if f.is_relation and f.related_model is Site:
                continue
            out.append(f)
        return out

    @cached_property
    def choices(self) -> dict[str, frozenset[Any]]:
        """The allowed values of each field with choices, by field name."""
        return {f.name: frozenset(c[0] for c in f.flatchoices) for f in self.fields if f.choices}

    @cached_property
    def auto_times(self) -> list[str]:
        """Attnames of ``auto_now``/``auto_now_add`` fields (set to now on insert)."""
        return [f.attname for f in self.fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]

    def paths(self) -> list[str]:
        """``values()`` lookups giving each field (a reference through its target's identifier).

        Raises LookupError for a reference to a model without a public identifier
        in :data:`REF_FIELDS` (a new foreign key needs one there, or a place in
        :data:`LEFT_OUT`)."""
        out = []
        for f in self.fields:
            if f.is_relation and f.related_model not in REF_FIELDS:
                raise LookupError(f"{self.model.__name__}.{f.name} refers to {f.related_model.__name__}, which has "
                                  "no public identifier in native.REF_FIELDS: add one there, or the field to LEFT_OUT")
            if f.is_relation:
                out.extend(f"{f.name}__{name}" for name in REF_FIELDS[f.related_model])
            else:
                out.append(f.attname)
        return out

    def queryset(self, site: Site) -> models.QuerySet[Any]:
        """This section's rows of ``site``, in file order."""
        if self.model is User:
            used = (Q(memberships__site=site) | Q(pk__in=CommentRevision.objects.filter(comment__site=site)
                                                   .values("editor_user"))
                    | Q(pk__in=Ban.objects.filter(site=site).values("created_by"))
                    | Q(pk__in=AuditLogEntry.objects.filter(site=site).values("actor")))
            return User.objects.filter(used).distinct().order_by(*self.order)
        return self.model._default_manager.filter(**{self.site_path: site.pk}).order_by(*self.order)

    def records(self, rows: models.QuerySet[Any]) -> Iterator[dict[str, Any]]:
        """The file records of ``rows`` (a queryset of this section's model), streamed."""
        fields = self.fields
        for row in rows.values(*self.paths()).iterator(chunk_size=2000):
            record: dict[str, Any] = {"type": self.type}
            for f in fields:
                if f.is_relation:
                    names = REF_FIELDS[f.related_model]
                    values = [row[f"{f.name}__{n}"] for n in names]
                    if len(names) == 1:
                        record[f.name] = values[0]
                    elif values[0] is None:
                        record[f.name] = None
                    else:
                        record[f.name] = {n: _plain(v) for n, v in zip(names, values, strict=True)}
                else:
                    record[f.name] = _plain(row[f.attname])
            yield record


SECTIONS: list[Section] = [
    Section("site", Site, ("pk",), "pk", ()),
    Section("user", User, ("username",), None, ("username",), include=USER_FIELDS),
    Section("membership", Membership, ("user__username",), "site", ("user",)),
    Section("triage_policy", TriagePolicy, ("pk",), "site", ()),
    Section("word_list", WordList, ("language", "kind"), "site", ("language", "kind")),
    Section("thread", Thread, ("key",), "site", ("key",)),
    Section("commenter", Commenter, ("public_id",), "site", ("public_id",)),
    Section("comment", Comment, ("created_at", "id"), "site", ("public_id",)),
    Section("revision", CommentRevision, ("created_at", "id"), "comment__site", None),
    Section("nudge", Nudge, ("created_at", "id"), "comment__site", ("comment",)),
    Section("flag", Flag, ("created_at", "id"), "comment__site", None),
    Section("ban", Ban, ("created_at", "id"), "site", None),
    Section("audit", AuditLogEntry, ("created_at", "id"), "site", None),
]
BY_TYPE = {s.type: s for s in SECTIONS}
# Models holding a site's data that the file leaves out, and why (the module's
# docstring says more); a test checks that every such model is here or in SECTIONS.
NOT_EXPORTED: dict[str, str] = {
    "triage.Score": "derived: scoring runs again after an import",
    "triage.Fingerprint": "derived",
    "triage.FingerprintBand": "derived",
    "triage.Campaign": "derived",
    "triage.ClassifierModel": "a pickle, never loaded from a file; train again",
    "comments.IdempotencyRecord": "expires within a day",
    "notifications.Digest": "when this installation last e-mailed the moderators",
    "importers.ImportRun": "this installation's import bookkeeping",
    "importers.PendingParent": "this installation's import bookkeeping",
}
ORDER = ["header"] + [s.type for s in SECTIONS] + ["end"]


# ---------------------------------------------------------------- export


def export_site(site: Site, out: IO[str]) -> Counter[str]:
    """Write ``site`` to ``out`` (a text stream) and return the records written by type.

    Reads in one transaction (repeatable read on PostgreSQL, unless the caller
    already opened one), so the file is one
    consistent picture of the site even while it is being moderated; rows are
    streamed (``QuerySet.iterator``), so memory does not grow with the site.
    """
    counts: Counter[str] = Counter()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        out.write(dumps({"type": "header", "format": FORMAT, "version": VERSION, "site": site.slug}) + "\n")
        for section in SECTIONS:
            for record in section.records(section.queryset(site)):
                out.write(dumps(record) + "\n")
                counts[section.type] += 1
        out.write(dumps({"type": "end", "counts": dict(counts)}) + "\n")
    return counts


def export_to_path(site: Site, path: Path) -> Counter[str]:
    """Export to ``path`` through ``path.part``, renamed when complete (a killed
    export leaves no file that looks whole)."""
    part = path.with_name(path.name + ".part")
    try:
        with open(part, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
            counts = export_site(site, out)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return counts


# ---------------------------------------------------------------- reading


def read_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` for each line, one line in memory at a time.

    Raises NativeFileError for a line that is too long, not UTF-8, not JSON, or
    not an object with a string ``type``.
    """
    with open(path, "rb") as f:
        number = 0
        while True:
            raw = f.readline(MAX_LINE + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE:
                raise NativeFileError(f"line {number}: longer than {MAX_LINE} bytes")
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise NativeFileError(f"line {number}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
            except json.JSONDecodeError as exc:
                raise NativeFileError(f"line {number}: not JSON ({exc.msg} at column {exc.colno})") from exc
            except RecursionError as exc:
                raise NativeFileError(f"line {number}: not a record (JSON nested too deeply)") from exc
            if not isinstance(record, dict) or not isinstance(record.get("type"), str):
                raise NativeFileError(f"line {number}: not a record (a JSON object with a \"type\")")
            yield number, record


@dataclass
class Plan:
    """What the first reading found: the site's slug, the site record's line, counts by type."""

    slug: str = ""
    site_line: int = 0
    site_record: dict[str, Any] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    lines: int = 0


def _cross_thread(line: int, public_id: Any, parent: Any, parent_thread: Any, thread: Any) -> NativeFileError:
    """The refusal of a reply whose parent is in another thread."""
    return NativeFileError(f"line {line}: comment {public_id} replies to comment {parent!r} of thread "
                           f"{parent_thread!r}, not of its own thread {thread!r}; a reply must be in its "
                           "parent's thread")


def check_structure(path: Path) -> Plan:
    """First reading: header, known types in :data:`ORDER`, one site, the end
    record last with matching counts, no reply in another thread than its
    parent (when the parent comes first, as an export writes them). Stores
    nothing; raises NativeFileError."""
    plan = Plan()
    position = 0
    ended = False
    thread_of: dict[str, str] = {}  # comment public id → its thread key (one of the file's)
    keys: set[str] = set()  # the file's thread keys
    for number, record in read_lines(path):
        plan.lines = number
        kind = record["type"]
        if ended:
            raise NativeFileError(f"line {number}: a {kind!r} record after the end record")
        if number == 1:
            if kind != "header" or record.get("format") != FORMAT:
                raise NativeFileError(f"line 1: not a {FORMAT} file (its first line is no {FORMAT} header)")
            if record.get("version") != VERSION:
                raise NativeFileError(f"line 1: format version {record.get('version')!r} is not supported "
                                      f"(this commentdesk reads version {VERSION})")
            plan.slug = str(record.get("site") or "")
            continue
        if kind not in ORDER or kind == "header":
            raise NativeFileError(f"line {number}: unknown record type {kind!r}")
        index = ORDER.index(kind)
        if index < position:
            raise NativeFileError(f"line {number}: a {kind!r} record after {ORDER[position]!r} records "
                                  f"(the file is out of order)")
        position = index
        if kind == "end":
            ended = True
            expected = record.get("counts")
            if not isinstance(expected, dict) or {k: v for k, v in expected.items() if v} != dict(plan.counts):
                raise NativeFileError(f"line {number}: the end record counts {expected!r}, the file holds "
                                      f"{dict(plan.counts)!r}")
            continue
        plan.counts[kind] += 1
        if kind == "thread" and isinstance(record.get("key"), str):
            keys.add(record["key"])
        if kind == "comment" and isinstance(own := record.get("public_id"), str) \
                and (thread := record.get("thread")) in keys:
            parent = record.get("parent")
            if isinstance(parent, str) and thread_of.get(parent, thread) != thread:
                raise _cross_thread(number, own, parent, thread_of[parent], thread)
            thread_of[own] = sys.intern(thread)
        if kind == "site":
            if plan.counts["site"] > 1:
                raise NativeFileError(f"line {number}: a second site record")
            if record.get("slug") != plan.slug:
                raise NativeFileError(f"line {number}: the site record's slug {record.get('slug')!r} is not "
                                      f"the header's {plan.slug!r}")
            plan.site_line, plan.site_record = number, record
    if plan.lines == 0:
        raise NativeFileError("the file is empty")
    if not plan.site_record:
        raise NativeFileError("the file holds no site record")
    if not ended:
        raise NativeFileError(f"the file ends at line {plan.lines} without its end record: it is truncated")
    return plan


# ---------------------------------------------------------------- import


@dataclass
class Item:
    """One record read for storing: plain values by attname, references as in the file."""

    line: int
    values: dict[str, Any]
    refs: dict[str, Any]
    canonical: str

    def key(self, section: Section) -> tuple[Any, ...]:
        return tuple(self.refs[k] if k in self.refs else self.values[_attname(section, k)]
                     for k in section.natural_key or ())


def _attname(section: Section, name: str) -> str:
    return section.model._meta.get_field(name).attname


def convert(section: Section, line: int, record: dict[str, Any]) -> Item:
    """Check and convert one record's fields; a missing field gets the model's
    default (files of older versions), an unknown one is refused, and the fields
    of :data:`CLEANED` are cleaned as readers' submissions are."""
    fields = section.fields
    unknown = set(record) - {f.name for f in fields} - {"type"}
    if unknown:
        raise NativeFileError(f"line {line}: unknown field(s) of a {section.type}: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    refs: dict[str, Any] = {}
    out: dict[str, Any] = {"type": section.type}
    for f in fields:
        raw = record.get(f.name, None if f.is_relation else f.get_default())
        where = f"line {line}: {section.type} field {f.name!r}"
        if f.is_relation:
            names = REF_FIELDS[f.related_model]
            if raw is None:
                if not f.null:
                    raise NativeFileError(f"{where} is missing")
                ref = None
            elif len(names) == 1:
                if not isinstance(raw, str) or not raw:
                    raise NativeFileError(f"{where} must name a {f.related_model._meta.verbose_name}")
                ref = raw
            else:
                if not isinstance(raw, dict) or set(raw) != set(names):
                    raise NativeFileError(f"{where} must be an object with {', '.join(names)}")
                target = f.related_model._meta
                try:
                    ref = {n: _plain(target.get_field(n).to_python(raw[n])) for n in names}
                except ValidationError as exc:
                    raise NativeFileError(f"{where}: {'; '.join(exc.messages)}") from exc
            refs[f.name] = ref
            out[f.name] = ref
            continue
        try:
            if isinstance(f, models.CharField | models.TextField) and raw is not None and not isinstance(raw, str):
                raise ValidationError("must be text (a JSON string)")  # to_python would turn 12345 into "12345"
            if section.model is User and f.name == "username" and not raw:
                raise ValidationError("may not be empty")
            value = f.to_python(raw)
            if f.name in CLEANED.get(section.model, ()) and value is not None:
                value = normalise_body(value)
            elif f.name in CLEANED_LINES.get(section.model, ()) and value is not None:
                value = normalise_line(value)
            elif isinstance(value, str) and _UNSTORABLE.search(value):
                raise ValidationError("holds a NUL character or a lone surrogate, which no database stores")
            if value is None and not f.null:
                raise ValidationError("may not be null")
            if isinstance(value, datetime) and value.tzinfo is None:
                raise ValidationError("a time needs its offset (Z)")
            if f.choices and value not in section.choices[f.name]:
                raise ValidationError(f"{value!r} is not one of the choices")
            f.run_validators(value)
        except ValidationError as exc:
            raise NativeFileError(f"{where}: {'; '.join(exc.messages)}") from exc
        values[f.attname] = value
        out[f.name] = _plain(value)
    if section.model is Comment and (problems := body_problems(values["body"], values.get("status"), "body")):
        raise NativeFileError(f"line {line}: comment field 'body': {problems[0]}")
    if section.model is CommentRevision and len(values["body"]) > BODY_MAX:
        raise NativeFileError(f"line {line}: revision field 'body': {body_problems(values['body'], None, 'body')[0]}")
    return Item(line, values, refs, dumps(out))


@dataclass
class Tally:
    """Records stored (``new``) and found already stored (``present``) by type."""

    new: Counter[str] = field(default_factory=Counter)
    present: Counter[str] = field(default_factory=Counter)
    # Users of the file that this installation already had (same username): kept
    # as they are, and given the file's desk rights on the site.
    existing_users: list[str] = field(default_factory=list)

    def line(self) -> str:
        """``thread: 3 new, 0 present; comment: …`` in file order, then the users
        that were already in this installation."""
        text = "; ".join(f"{s.type}: {self.new[s.type]} new, {self.present[s.type]} present"
                         for s in SECTIONS if self.new[s.type] or self.present[s.type])
        if self.existing_users:
            text += (" | users already in this installation (kept as they are, given the file's desk rights): "
                     + ", ".join(self.existing_users))
        return text


class NativeImporter:
    """Stores a checked file (:func:`check_structure`) in batches of ``batch_size``
    records, one transaction per batch; a bad record raises NativeFileError and
    its batch is rolled back (earlier batches stay: run the import again)."""

    def __init__(self, path: Path, batch_size: int = 1000) -> None:
        self.path = path
        self.batch_size = batch_size
        self.site: Site | None = None
        self.tally = Tally()
        self.touched: set[int] = set()
        self.pending: list[int] = []  # pending comments stored by this run, for triage

    def run(self, plan: Plan) -> Tally:
        """The second reading: store everything, then refresh the touched threads' snapshots."""
        section: Section | None = None
        buffer: list[Item] = []
        for number, record in read_lines(self.path):
            kind = record["type"]
            if kind in ("header", "end"):
                continue
            if kind == "site":
                self.site = self._site(plan)
                continue
            if section is not None and (kind != section.type or len(buffer) >= self.batch_size):
                self._flush(section, buffer)
                buffer = []
            section = BY_TYPE[kind]
            buffer.append(convert(section, number, record))
        if section is not None:
            self._flush(section, buffer)
        self._refresh_snapshots()
        announce_pending(self.pending)
        return self.tally

    def _refresh_snapshots(self) -> None:
        """Rebuild the cached reader snapshots of the threads that got comments.
        A thread with no snapshot in the cache is skipped: readers build it from
        the database when they first ask (a rebuild costs tens of ms per thread)."""
        touched = sorted(self.touched)
        for start in range(0, len(touched), 500):
            keys = dict(Thread.objects.filter(pk__in=touched[start:start + 500]).values_list("pk", "key"))
            cached = cache.get_many([snapshots.cache_key(self.site.pk, key) for key in keys.values()])
            for thread_id, key in keys.items():
                if snapshots.cache_key(self.site.pk, key) in cached:
                    thread_changed.send(sender=Thread, thread_id=thread_id)

    def _site(self, plan: Plan) -> Site:
        item = convert(BY_TYPE["site"], plan.site_line, plan.site_record)
        existing = Site.objects.filter(slug=plan.slug).first()
        if existing is not None:
            self.tally.present["site"] += 1
            return existing
        with transaction.atomic():
            site = Site(**item.values)
            site.save()
            self._restore_auto_times(BY_TYPE["site"], site, item)
        self.tally.new["site"] += 1
        return site

    @staticmethod
    def _restore_auto_times(section: Section, obj: models.Model, item: Item) -> None:
        """``auto_now``/``auto_now_add`` fields were set to now on insert: put the file's times back."""
        if section.auto_times:
            auto = {name: item.values[name] for name in section.auto_times}
            section.model._default_manager.filter(pk=obj.pk).update(**auto)

    def _scope(self, section: Section) -> models.QuerySet[Any]:
        manager = section.model._default_manager
        return manager.all() if section.site_path is None else manager.filter(**{section.site_path: self.site.pk})

    def _flush(self, section: Section, items: list[Item]) -> None:
        """Store one batch in one transaction. A row the database refuses (a
        duplicate, a broken constraint, a date out of range) raises
        :class:`NativeFileError` naming the batch's lines; the batch is not stored."""
        if not items:
            return
        try:
            with transaction.atomic():
                fresh = self._fresh(section, items)
                if fresh:
                    self._insert(section, fresh)
        except (IntegrityError, DataError, OverflowError) as exc:
            first, last = items[0].line, items[-1].line
            where = f"line {first}" if first == last else f"lines {first}–{last}"
            reason = str(exc).splitlines()[0][:200]
            raise NativeFileError(f"{where}: the database refused a {section.type} record ({reason}); "
                                  "a duplicate or an impossible value") from exc
        self.tally.present[section.type] += len(items) - len(fresh)
        self.tally.new[section.type] += len(fresh)

    def _fresh(self, section: Section, items: list[Item]) -> list[Item]:
        """The items not stored yet (by natural key, or by content)."""
        if section.natural_key is None:
            times = [i.values["created_at"] for i in items]
            rows = self._scope(section).filter(created_at__gte=min(times), created_at__lte=max(times))
            stored = Counter(dumps(r) for r in section.records(rows))
            fresh = []
            for item in items:
                if stored[item.canonical] > 0:
                    stored[item.canonical] -= 1
                else:
                    fresh.append(item)
            return fresh
        paths = [f"{k}__{REF_FIELDS[section.model._meta.get_field(k).related_model][0]}"
                 if k in items[0].refs else _attname(section, k) for k in section.natural_key]
        scope = self._scope(section)
        if len(paths) == 1:
            scope = scope.filter(**{f"{paths[0]}__in": [i.key(section)[0] for i in items]})
        stored = set(scope.values_list(*paths)) if paths else ({()} if scope.exists() else set())
        fresh = [i for i in items if i.key(section) not in stored]
        if section.model is User:
            self.tally.existing_users.extend(i.values["username"] for i in items if i.key(section) in stored)
        # Public ids are unique in the whole installation, not only in the site (a
        # unique reference, e.g. a nudge's comment, was resolved within the site).
        unique = [k for k in section.natural_key
                  if section.model._meta.get_field(k).unique and not section.model._meta.get_field(k).is_relation]
        if fresh and unique and section.site_path is not None:
            name = unique[0]
            clash = (section.model._default_manager.exclude(**{section.site_path: self.site.pk})
                     .filter(**{f"{name}__in": [i.values[name] for i in fresh]}).values_list(name, flat=True)[:1])
            for value in clash:
                line = next(i.line for i in fresh if i.values[name] == value)
                raise NativeFileError(f"line {line}: {section.type} {value} belongs to another site of "
                                      "this installation")
        return fresh

    def _insert(self, section: Section, items: list[Item]) -> None:
        """Create the rows, resolving references; a reference to a row of the same
        model in this batch (a reply's parent, an undo's entry) first stores the
        rows before it. Raises NativeFileError for a reference to nothing and for
        a reply outside its parent's thread (:meth:`_check_replies`)."""
        model = section.model
        resolvers = {f.name: self._resolver(f, items) for f in section.fields if f.is_relation}
        own = REF_FIELDS.get(model)
        pending: list[tuple[Item, models.Model]] = []
        pending_ids: set[Any] = set()
        replies: list[tuple[Item, Comment]] = []
        for item in items:
            obj = model(**item.values)
            if section.site_path == "site":
                obj.site = self.site  # type: ignore[attr-defined]
            for name, resolve in resolvers.items():
                ref = item.refs.get(name)
                if ref is None:
                    continue
                if model._meta.get_field(name).related_model is model and _ident(ref) in pending_ids:
                    self._create(section, pending)
                    pending, pending_ids = [], set()
                pk = resolve(ref)
                if pk is None:
                    raise NativeFileError(f"line {item.line}: {section.type} refers to "
                                          f"{model._meta.get_field(name).related_model._meta.verbose_name} "
                                          f"{ref!r}, which is neither in the file before it nor stored")
                setattr(obj, model._meta.get_field(name).attname, pk)
            if model is User:
                obj.password = make_password(None)  # type: ignore[attr-defined]
            pending.append((item, obj))
            if own is not None:
                pending_ids.add(_ident(_own_ref(section, item, own)))
            if isinstance(obj, Comment) and obj.parent_id is not None:
                replies.append((item, obj))
        self._create(section, pending)
        self._check_replies(replies)

    @staticmethod
    def _check_replies(replies: list[tuple[Item, Comment]]) -> None:
        """Raise NativeFileError, naming the first line, for a reply whose parent
        (stored by now) is in another thread: readers would see it top-level,
        and the submission API never makes one (one query per batch)."""
        if not replies:
            return
        parents = {pk: (thread_id, key) for pk, thread_id, key in Comment.objects.filter(
            pk__in={obj.parent_id for _, obj in replies}).values_list("pk", "thread_id", "thread__key")}
        for item, obj in replies:
            thread_id, key = parents[obj.parent_id]
            if thread_id != obj.thread_id:
                raise _cross_thread(item.line, obj.public_id, item.refs["parent"], key, item.refs["thread"])

    def _create(self, section: Section, pending: list[tuple[Item, models.Model]]) -> None:
        if not pending:
            return
        objs = section.model._default_manager.bulk_create([obj for _, obj in pending])
        for (item, _), obj in zip(pending, objs, strict=True):
            self._restore_auto_times(section, obj, item)
            if section.model is Comment:
                self.touched.add(obj.thread_id)  # type: ignore[attr-defined]
                if obj.status == Comment.Status.PENDING:  # type: ignore[attr-defined]
                    self.pending.append(obj.pk)

    def _resolver(self, f: models.Field[Any, Any], items: list[Item]) -> Callable[[Any], int | None]:
        """A function: the file's reference → the target's primary key, or None.
        Scalar references of the batch are looked up in one query, the rest one by one."""
        target = f.related_model
        names = REF_FIELDS[target]
        scope = target._default_manager.all() if target is User else target._default_manager.filter(site=self.site)
        known: dict[Any, int] = {}
        if len(names) == 1:
            wanted = {i.refs[f.name] for i in items if i.refs.get(f.name) is not None}
            known = dict(scope.filter(**{f"{names[0]}__in": wanted}).values_list(names[0], "pk")) if wanted else {}

        def resolve(ref: Any) -> int | None:
            if _ident(ref) in known:
                return known[_ident(ref)]
            if isinstance(ref, dict):
                lookup = {n: (datetime.fromisoformat(v) if n == "created_at" else v) for n, v in ref.items()}
            else:
                lookup = {names[0]: ref}
            pk = scope.filter(**lookup).order_by("pk").values_list("pk", flat=True).first()
            if pk is not None:
                known[_ident(ref)] = pk
            return pk

        return resolve


def _ident(ref: Any) -> Any:
    """A hashable form of a reference (objects become sorted tuples)."""
    return tuple(sorted(ref.items())) if isinstance(ref, dict) else ref


def _own_ref(section: Section, item: Item, names: tuple[str, ...]) -> Any:
    """How other records of this section refer to ``item``."""
    if len(names) == 1:
        return item.values[_attname(section, names[0])]
    return {n: _plain(item.values[_attname(section, n)]) for n in names}


def import_file(path: Path, batch_size: int = 1000, dry_run: bool = False) -> tuple[Plan, Tally, bool]:
    """Check, then (unless ``dry_run``) store ``path``. Returns (plan, tally, resumed).

    Refuses (NativeFileError, nothing stored) a site of the same slug that
    already exists with other settings: only a site this file created may be
    imported into again (a resume or a re-run, which adds only what is missing).
    """
    try:
        plan = check_structure(path)
    except NativeFileError as exc:
        raise NativeFileError(f"{exc} (nothing was stored)") from exc
    try:
        site_item = convert(BY_TYPE["site"], plan.site_line, plan.site_record)
    except NativeFileError as exc:
        raise NativeFileError(f"{exc} (nothing was stored)") from exc
    existing = Site.objects.filter(slug=plan.slug).first()
    if existing is not None:
        stored = dumps(next(BY_TYPE["site"].records(Site.objects.filter(pk=existing.pk))))
        if stored != site_item.canonical:
            raise NativeFileError(f"there is already a site {plan.slug!r} that this file did not create (its "
                                  "settings differ); import into an installation without it (nothing was stored)")
    if dry_run:
        return plan, Tally(), existing is not None
    importer = NativeImporter(path, batch_size=batch_size)
    try:
        tally = importer.run(plan)
    except NativeFileError as exc:
        raise NativeFileError(f"{exc} (that record's batch was not stored, the batches before it were: run "
                              "the import again after fixing the file, it adds only what is missing)") from exc
    return plan, tally, existing is not None
