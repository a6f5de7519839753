"""``commentdesk export`` and ``commentdesk import native``: a whole site leaves one
installation and arrives in an empty one, byte for byte; bad files are refused."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone

from commentdesk.comments.models import Comment, Commenter, CommentRevision, Thread
from commentdesk.comments.tests.factories import (
    CommenterFactory,
    CommentFactory,
    ThreadFactory,
)
from commentdesk.importers import native
from commentdesk.lib.iphash import hash_ip
from commentdesk.moderation import decisions
from commentdesk.moderation.models import AuditLogEntry, Ban, Flag, Membership
from commentdesk.moderation.threads import set_closed
from commentdesk.sites.models import Site
from commentdesk.triage.models import Nudge, TriagePolicy, WordList

TABLES = (Site, User, Membership, TriagePolicy, WordList, Thread, Commenter, Comment, CommentRevision, Nudge, Flag,
          Ban, AuditLogEntry)


def build_rich_site(site: Site, moderator: User) -> dict[str, Any]:
    """A site with a bit of everything: settings, two moderators, word lists and a
    triage policy, an open and a closed thread, comments in every status with
    replies, moderator edits (revisions), flags, bans (one lifted), trust, and
    audit-log entries including an undo."""
    site.languages = ["en", "ko"]
    site.translations = {"ko": {"guidelines": "서로 존중해 주세요.", "disclaimer": "의견은 작성자의 것입니다."}}
    site.terms_url = "https://news.example/terms"
    site.save()
    ada = User.objects.create_user("ada", email="ada@news.example", first_name="Ada", password="x" * 12)
    Membership.objects.create(user=ada, site=site, role=Membership.Role.ADMIN, languages=["ko"], digest=False)
    WordList.objects.create(site=site, language="", kind=WordList.Kind.BANNED,
                            terms="scam\n# note \u2028 (a line separator, escaped in JSON)\ncasino")
    WordList.objects.create(site=site, language="ko", kind=WordList.Kind.SUSPECT, terms="도박")
    TriagePolicy.objects.create(site=site, max_links=1, blocked_domains="spam.example")
    t0 = timezone.now() - timedelta(days=3)
    article = ThreadFactory(site=site, key="/2026/02/bridge", title="The bridge", created_at=t0)
    closed = ThreadFactory(site=site, key="/2026/01/old", title="Old news and more", created_at=t0)
    alice = CommenterFactory(site=site, name="Alice", email="alice@example.org", email_verified=True,
                             ip_hash=hash_ip("198.51.100.1"), token_hash="a" * 64, created_at=t0)
    bob = CommenterFactory(site=site, name="Bob 🦀", ip_hash=hash_ip("198.51.100.2"), created_at=t0)
    troll = CommenterFactory(site=site, name="Troll", created_at=t0)

    def comment(thread: Thread, who: Commenter, body: str, minutes: int, **extra: Any) -> Comment:
        return CommentFactory(site=site, thread=thread, commenter=who, author_name=who.name, body=body,
                              created_at=t0 + timedelta(minutes=minutes), ip_hash=hash_ip("198.51.100.9"),
                              edit_token_hash="e" * 64, **extra)

    first = comment(article, alice, "First!\nTwo lines, \"quotes\" and a tab\t.", 1, language="en")
    reply = comment(article, bob, "시의회 투표는 박빙이었고 🦀", 2, parent=first, language="ko")
    rude = comment(article, troll, "You are all idiots. Visit casino.example", 3)
    spam = comment(closed, troll, "Cheap pills at spam.example", 4)
    waiting = comment(closed, alice, "Still waiting for a moderator.", 5)
    reply_to_reply = comment(article, alice, "Agreed.", 6, parent=reply)
    # same created_at as ``waiting``: the export order must still be stable
    comment(closed, bob, "Same microsecond as Alice's.", 5)
    Nudge.objects.create(comment=waiting, choice=Nudge.Choice.POSTED_ANYWAY, created_at=t0 + timedelta(minutes=5))

    decisions.decide(site, [first.public_id, reply.public_id, reply_to_reply.public_id], "approve", moderator)
    [rejected] = decisions.decide(site, [rude.public_id], "reject", moderator, reason="personal_attack")
    decisions.undo(site, rejected.audit_entry_id, moderator)
    decisions.decide(site, [rude.public_id], "reject", moderator, reason="personal_attack", note="second look")
    decisions.decide(site, [spam.public_id], "spam", moderator, reason="spam")
    decisions.edit(Comment.objects.get(pk=first.pk), "First! (phone number removed)", moderator, "personal_data",
                   note="removed a phone number")
    decisions.flag(reply.public_id, "off_topic", "not about the bridge", hash_ip("192.0.2.5"))
    decisions.flag(first.public_id, "abusive", "", hash_ip("192.0.2.6"))
    decisions.ban(site, troll.public_id, moderator, "personal_attack", until=timezone.now() + timedelta(days=7),
                  reject_pending=True, note="a week off")
    decisions.ban(site, bob.public_id, ada, "spam")
    decisions.unban(site, bob.public_id, ada, note="appealed")
    decisions.set_trusted(site, alice.public_id, True, moderator)
    set_closed(closed, True, moderator, note="archived")
    return {"first": first, "reply": reply, "waiting": waiting}


def export_bytes(site: Site, tmp_path: Path, name: str) -> bytes:
    path = tmp_path / name
    out = io.StringIO()
    call_command("export", "--site", site.slug, str(path), stdout=out)
    assert out.getvalue().startswith(f"Exported {site.slug} to {path}: 1 site,")
    assert not path.with_name(name + ".part").exists()
    return path.read_bytes()


def run_import(path: Path, *extra: str) -> str:
    out = io.StringIO()
    call_command("import", "native", str(path), *extra, stdout=out)
    return out.getvalue()


def empty_installation() -> None:
    """Delete every row of every table, as in a new installation (inside the test's transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # TRUNCATE refuses tables with deferred checks pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    assert not any(model.objects.exists() for model in TABLES)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


def records(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines()]


@pytest.fixture
def exported(site: Site, moderator: User, tmp_path: Path) -> Path:
    build_rich_site(site, moderator)
    export_bytes(site, tmp_path, "first.jsonl")
    return tmp_path / "first.jsonl"


@pytest.mark.django_db
def test_round_trip_into_an_empty_installation_is_byte_identical(exported: Path, tmp_path: Path,
                                                                 client: Client) -> None:
    first = exported.read_bytes()
    before = counts()
    empty_installation()
    out = run_import(exported, "--batch-size", "3")
    assert out.startswith("Imported first.jsonl into demo: site: 1 new, 0 present; user: 2 new, 0 present;")
    assert "comment: 7 new, 0 present" in out and "audit: " in out
    site = Site.objects.get(slug="demo")
    assert counts() == before
    assert export_bytes(site, tmp_path, "second.jsonl") == first

    # what was restored behaves: replies linked, readers see only approved comments, users cannot log in
    reply = Comment.objects.get(body__startswith="시의회")
    assert reply.parent.body == "First! (phone number removed)" and reply.parent.revisions.count() == 1
    shown = client.get("/api/v1/threads/demo/comments", {"key": "/2026/02/bridge"}).json()["comments"]
    assert [c["body"] for c in shown] == ["First! (phone number removed)", "시의회 투표는 박빙이었고 🦀", "Agreed."]
    assert not User.objects.get(username="mo").has_usable_password()
    undo = AuditLogEntry.objects.get(action="undo")
    assert undo.undoes.action == "reject" and undo.undoes.comment_public_id == undo.comment_public_id
    assert Commenter.objects.get(name="Troll").is_banned()
    assert set(Comment.objects.values_list("ip_hash", "edit_token_hash").distinct()) == {("", "")}


@pytest.mark.django_db
def test_a_second_run_adds_nothing(exported: Path, tmp_path: Path) -> None:
    first = exported.read_bytes()
    empty_installation()
    run_import(exported)
    stored = counts()
    out = run_import(exported, "--batch-size", "2")
    assert "(resumed)" in out and " 1 new" not in out and "comment: 0 new, 7 present" in out
    assert counts() == stored
    assert export_bytes(Site.objects.get(), tmp_path, "again.jsonl") == first


@pytest.mark.django_db
def test_an_import_stopped_half_way_resumes_to_the_same_site(exported: Path, tmp_path: Path, client: Client,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches are committed one by one: stop after a few, run again, get the whole site;
    a thread readers looked at in between shows the comments of the resumed run too."""
    first = exported.read_bytes()
    empty_installation()
    flush = native.NativeImporter._flush
    calls = {"n": 0}

    def dying_flush(self: native.NativeImporter, section: native.Section, items: list[native.Item]) -> None:
        calls["n"] += 1
        if calls["n"] == 9:
            raise KeyboardInterrupt  # as if killed in the middle of the comments
        flush(self, section, items)

    monkeypatch.setattr(native.NativeImporter, "_flush", dying_flush)
    with pytest.raises(KeyboardInterrupt):
        run_import(exported, "--batch-size", "2")
    partial = counts()
    assert partial["Comment"] == 2 and partial["AuditLogEntry"] == 0

    def shown() -> list[str]:
        response = client.get("/api/v1/threads/demo/comments", {"key": "/2026/02/bridge"})
        return [c["body"] for c in response.json()["comments"]]

    assert shown() == ["First! (phone number removed)", "시의회 투표는 박빙이었고 🦀"]  # now cached
    monkeypatch.setattr(native.NativeImporter, "_flush", flush)
    assert "(resumed)" in run_import(exported, "--batch-size", "2")
    assert export_bytes(Site.objects.get(), tmp_path, "resumed.jsonl") == first
    assert shown() == ["First! (phone number removed)", "시의회 투표는 박빙이었고 🦀", "Agreed."]


@pytest.mark.django_db
def test_every_model_field_is_exported_except_the_installation_keyed_ones(exported: Path) -> None:
    """Compared with ``_meta``: a field added to one of these models is in the file with no code change."""
    by_type: dict[str, dict[str, Any]] = {}
    for record in records(exported.read_bytes()):
        by_type.setdefault(record["type"], record)
    left_out = {"Commenter": {"ip_hash", "token_hash"}, "Comment": {"ip_hash", "edit_token_hash"},
                "Flag": {"ip_hash"}}
    for kind, model in [("site", Site), ("membership", Membership), ("triage_policy", TriagePolicy),
                        ("word_list", WordList), ("thread", Thread), ("commenter", Commenter), ("comment", Comment),
                        ("revision", CommentRevision), ("nudge", Nudge), ("flag", Flag), ("ban", Ban), ("audit", AuditLogEntry)]:
        expected = {f.name for f in model._meta.concrete_fields if not f.primary_key
                    and not (f.is_relation and f.related_model is Site)} - left_out.get(model.__name__, set())
        assert set(by_type[kind]) - {"type"} == expected, kind
    assert set(by_type["user"]) == {"type", "username", "first_name", "last_name", "email"}
    text = exported.read_text()
    assert hash_ip("198.51.100.1") not in text and "a" * 64 not in text and "e" * 64 not in text
    assert "pbkdf2" not in text and "md5$" not in text


def test_every_model_holding_a_sites_data_is_exported_or_named_as_left_out() -> None:
    """A model added later with a path to a site (directly or through a thread,
    commenter or comment) must be placed: in native.SECTIONS, or in
    native.NOT_EXPORTED with the reason."""
    from django.apps import apps

    holders = {Site, Thread, Commenter, Comment}
    exported = {s.model for s in native.SECTIONS}
    unplaced = []
    for model in apps.get_models():
        if model in exported or not model.__module__.startswith("commentdesk."):
            continue
        if any(f.is_relation and f.related_model in holders for f in model._meta.concrete_fields):
            if model._meta.label not in native.NOT_EXPORTED:
                unplaced.append(model._meta.label)
    assert unplaced == []
    assert all(apps.get_model(label) not in exported for label in native.NOT_EXPORTED)


@pytest.mark.django_db
def test_the_file_is_deterministic_and_refers_by_public_ids(exported: Path) -> None:
    lines = exported.read_bytes().decode().splitlines()
    assert [json.loads(line)["type"] for line in (lines[0], lines[-1])] == ["header", "end"]
    for line in lines:
        record = json.loads(line)
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert line == canonical.replace("\u2028", "\\u2028")  # a line separator stays escaped
    comments = [r for r in map(json.loads, lines) if r["type"] == "comment"]
    seen: set[str] = set()
    for record in comments:
        assert record["parent"] is None or record["parent"] in seen  # parents before replies
        assert record["thread"].startswith("/2026/") and record["commenter"].startswith("u_")
        assert record["created_at"].endswith("Z") and len(record["created_at"]) == 27
        seen.add(record["public_id"])
    assert "시의회" in exported.read_text(encoding="utf-8")  # not \\u-escaped


@pytest.mark.django_db
def test_dry_run_checks_and_stores_nothing(exported: Path) -> None:
    empty_installation()
    out = run_import(exported, "--dry-run")
    assert out.startswith("Dry run, nothing stored: first.jsonl is a valid export of demo (1 site, 2 user,")
    assert "as a new site" in out
    assert not Site.objects.exists() and not Comment.objects.exists()


def rewrite(path: Path, change: Any) -> Path:
    """A copy of the export with ``change(lines)`` applied (lines without their ends)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = path.with_name("bad.jsonl")
    bad.write_text("".join(line + "\n" for line in change(lines)), encoding="utf-8")
    return bad


def first_line(lines: list[str], kind: str) -> int:
    return next(i for i, line in enumerate(lines) if json.loads(line)["type"] == kind)


def replace_in(kind: str, **fields: Any) -> Any:
    def change(lines: list[str]) -> list[str]:
        i = first_line(lines, kind)
        lines[i] = json.dumps(json.loads(lines[i]) | fields, ensure_ascii=False)
        return lines
    return change


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "message"), [
    (lambda lines: lines[:5] + ["{not json"] + lines[5:], "bad.jsonl: line 6: not JSON"),
    (lambda lines: ['{"type":"header","format":"other-tool","version":1}'] + lines[1:],
     "line 1: not a commentdesk-native file"),
    (replace_in("header", version=2), "line 1: format version 2 is not supported"),
    (lambda lines: lines[:3] + ['{"type":"poll","question":"?"}'] + lines[3:], "line 4: unknown record type 'poll'"),
    (lambda lines: lines[:-1], "without its end record: it is truncated"),
    (lambda lines: lines[:-2] + [lines[-2][: len(lines[-2]) // 2]], "not JSON"),
    (lambda lines: [lines[0]] + lines[2:3] + [lines[1]] + lines[3:], "the file is out of order"),
    (replace_in("end", counts={"site": 1}), "the end record counts"),
])
def test_a_malformed_file_is_refused_before_anything_is_stored(exported: Path, change: Any, message: str) -> None:
    bad = rewrite(exported, change)
    empty_installation()
    with pytest.raises(CommandError, match="nothing was stored") as caught:
        run_import(bad)
    assert message in str(caught.value)
    assert not any(model.objects.exists() for model in TABLES)


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "fields", "message"), [
    ("comment", {"thread": "/nowhere"}, "refers to thread '/nowhere', which is neither in the file before it"),
    ("comment", {"parent": "c_doesnotexist0000"}, "refers to comment 'c_doesnotexist0000'"),
    ("comment", {"status": "maybe"}, "comment field 'status': 'maybe' is not one of the choices"),
    ("comment", {"created_at": "yesterday"}, "comment field 'created_at'"),
    ("comment", {"colour": "red"}, "unknown field(s) of a comment: colour"),
    ("comment", {"body": 12345}, "comment field 'body': must be text (a JSON string)"),
    ("comment", {"body": " \u200b\x00 "}, "comment field 'body': empty body"),
    ("comment", {"body": "x" * 70_000}, "comment field 'body': the body is over 65,536 characters"),
    ("comment", {"import_id": "a\x00b"}, "comment field 'import_id': holds a NUL character or a lone surrogate"),
])
def test_a_bad_record_stops_the_import_and_its_batch_is_not_stored(exported: Path, kind: str,
                                                                    fields: dict[str, Any], message: str) -> None:
    lines = exported.read_text(encoding="utf-8").splitlines()
    line = first_line(lines, kind) + 1
    bad = rewrite(exported, replace_in(kind, **fields))
    empty_installation()
    with pytest.raises(CommandError, match=f"line {line}: ") as caught:
        run_import(bad)  # one batch holds every comment
    assert message in str(caught.value) and "batch was not stored" in str(caught.value)
    assert Thread.objects.count() == 2 and not Comment.objects.exists()


@pytest.mark.django_db
def test_a_duplicated_record_the_database_refuses_is_named_not_a_traceback(exported: Path, tmp_path: Path) -> None:
    """A thread line repeated (and the end count raised to match): the batch is refused, by its lines."""
    lines = exported.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "thread")
    lines.insert(at, lines[at])
    end = json.loads(lines[-1])
    end["counts"]["thread"] += 1
    lines[-1] = json.dumps(end, separators=(",", ":"))
    bad = tmp_path / "dup.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    empty_installation()
    with pytest.raises(CommandError, match=r"lines \d+–\d+: the database refused a thread record"):
        run_import(bad)
    assert not Thread.objects.exists()


@pytest.mark.django_db
def test_an_existing_site_of_the_same_slug_is_not_imported_into(exported: Path, site: Site) -> None:
    empty_installation()
    Site.objects.create(slug="demo", name="Another paper")
    with pytest.raises(CommandError, match="there is already a site 'demo' that this file did not create"):
        run_import(exported)
    assert Site.objects.get().name == "Another paper" and not Thread.objects.exists()


@pytest.mark.django_db
def test_export_refuses_an_unknown_site_and_writes_to_standard_output(site: Site, capsys: Any) -> None:
    with pytest.raises(CommandError, match="There is no site 'nope'"):
        call_command("export", "--site", "nope", "-")
    CommentFactory(thread=ThreadFactory(site=site))
    call_command("export", "--site", "demo", "-")
    captured = capsys.readouterr()
    assert [r["type"] for r in records(captured.out.encode())] == [
        "header", "site", "thread", "commenter", "comment", "end"]
    assert captured.err.startswith("Exported demo to -: 1 site, 1 thread, 1 commenter, 1 comment")


@pytest.mark.django_db
def test_export_to_a_directory_is_refused_before_anything_is_written(site: Site, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=f"^{re.escape(str(tmp_path))}: is a directory; give a file name$"):
        call_command("export", "--site", site.slug, str(tmp_path), stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_a_user_already_in_the_installation_is_kept_and_named(exported: Path) -> None:
    """Users are installation-wide: an existing username keeps its password and
    details, gets the file's desk rights, and the summary names it."""
    empty_installation()
    User.objects.create_user("mo", email="mo@elsewhere.example", password="kept password 1")
    out = run_import(exported)
    assert out.rstrip().endswith("users already in this installation (kept as they are, given the file's "
                                 "desk rights): mo")
    mo = User.objects.get(username="mo")
    assert mo.check_password("kept password 1") and mo.email == "mo@elsewhere.example"
    assert Membership.objects.filter(user=mo, site__slug="demo").exists()
    assert not User.objects.get(username="ada").has_usable_password()


@pytest.mark.django_db
def test_a_reply_to_a_comment_of_another_thread_is_refused_by_its_line(exported: Path) -> None:
    """A reply moved to another thread than its parent's (readers would see it
    top-level) is refused by the first reading, naming the line: the dry run
    says so too, and nothing is stored."""
    lines = exported.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "comment"
              and json.loads(line)["parent"] is not None and json.loads(line)["thread"] == "/2026/02/bridge")
    reply = json.loads(lines[at])
    lines[at] = json.dumps(reply | {"thread": "/2026/01/old"}, ensure_ascii=False)
    bad = exported.with_name("bad.jsonl")
    bad.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    empty_installation()
    for dry_run in (True, False):
        with pytest.raises(CommandError, match=f"line {at + 1}: ") as caught:
            run_import(bad, *(["--dry-run"] if dry_run else []))
        assert (f"comment {reply['public_id']} replies to comment {reply['parent']!r} of thread "
                "'/2026/02/bridge', not of its own thread '/2026/01/old'") in str(caught.value)
        assert "(nothing was stored)" in str(caught.value)
        assert not Site.objects.exists() and not Thread.objects.exists() and not Comment.objects.exists()


@pytest.mark.django_db
def test_control_characters_in_bodies_are_removed_as_in_submissions(exported: Path) -> None:
    """Comment and revision bodies are cleaned as readers' submissions are
    (lib.text.normalise_body): NUL, other C0 controls and bidi overrides go."""
    dirty = "Hello\x00 there\x07,\r\nreader\u202e \x1b[31m "
    bad = rewrite(rewrite(exported, replace_in("comment", body=dirty)), replace_in("revision", body=dirty))
    empty_installation()
    run_import(bad)
    lines = bad.read_text(encoding="utf-8").splitlines()
    public_id = json.loads(lines[first_line(lines, "comment")])["public_id"]
    assert Comment.objects.get(public_id=public_id).body == "Hello there,\nreader [31m"
    assert CommentRevision.objects.filter(body="Hello there,\nreader [31m").count() == 1
    before = counts()
    again = run_import(bad)  # the cleaned rows are found again: nothing added
    assert "comment: 0 new" in again and "revision: 0 new" in again and counts() == before


@pytest.mark.django_db(transaction=True)
def test_imported_pending_comments_are_queued_for_triage(exported: Path, settings: Any) -> None:
    """As after every import, the worker scores the pending comments the file brought (Scores are
    not in the file), and only those."""
    from commentdesk.triage.models import Score

    settings.TRIAGE_SCORERS = [{"NAME": "commentdesk.triage.scorers.language.LanguageScorer"}]
    empty_installation()
    run_import(exported)
    assert not Score.objects.exists()
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=io.StringIO(), stderr=io.StringIO())
    pending = set(Comment.objects.filter(status="pending").values_list("pk", flat=True))
    assert pending and set(Score.objects.values_list("comment_id", "state")) == {(pk, "scored") for pk in pending}


@pytest.mark.django_db
def test_names_and_titles_are_cleaned_as_submissions(exported: Path) -> None:
    """One-line fields (author and commenter names, thread titles, the site's name) are folded to one
    clean line as the submission API does (lib.text.normalise_line)."""
    dirty = "  Ada\x00\n\u202e Lovelace\x1b  "
    bad = rewrite(rewrite(exported, replace_in("comment", author_name=dirty)), replace_in("thread", title=dirty))
    empty_installation()
    run_import(bad)
    assert "Ada Lovelace" in set(Comment.objects.values_list("author_name", flat=True))
    assert "Ada Lovelace" in set(Thread.objects.values_list("title", flat=True))
