"""``commentdesk commenter export``: all data held about a commenter, as JSON; audited; bad inputs."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from commentdesk.moderation.models import AuditLogEntry
from commentdesk.privacy.rights import FLAGS_MADE_NOTE

pytestmark = pytest.mark.django_db


def export(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("commenter", "export", *args, stdout=out)
    return json.loads(out.getvalue())


def test_export_holds_every_record_comment_revision_flag_and_audit_entry(talk: dict[str, Any]) -> None:
    """Both sites' records of the address (any case); comments in every status with their revisions."""
    data = export("Ann@Example.org")
    assert [(r["site"], r["id"]) for r in data["commenters"]] == [
        ("demo", talk["ann"].public_id), ("other", talk["ann_other"].public_id)]
    demo, other = data["commenters"]
    assert (demo["name"], demo["email"], demo["email_verified"], demo["has_token"]) == (
        "Ann Example", "ann@example.org", False, True)
    assert demo["ip_hash"] == talk["ann"].ip_hash != ""
    comments = {c["id"]: c for c in demo["comments"]}
    assert {c["status"] for c in comments.values()} == {"approved", "pending", "spam"}
    assert len(comments) == 4
    answered = comments[talk["answered"].public_id]
    assert answered["body"] == "My phone is [removed], call me."
    assert [(r["editor"], r["body"], r["reason"]) for r in answered["revisions"]] == [
        ("moderator", "My phone is 555-0100, call me.", "personal_data")]
    assert answered["thread"]["key"] == "/a/b" and answered["ip_hash"] == talk["answered"].ip_hash
    # Flags on their comment: reason and dates only (the reporter's note and hash are the reporter's).
    assert [set(f) for f in answered["flags_on_it"]] == [{"reason", "created_at", "resolved_at"}]
    assert answered["flags_on_it"][0]["reason"] == "abusive"
    assert data["flags_made"] == FLAGS_MADE_NOTE
    # Audit-log entries about them: the decisions and the edit, moderators named by role only.
    actions = sorted(e["action"] for e in demo["audit_log"])
    assert actions == ["approve", "approve", "edit", "spam"]
    assert {e["by"] for e in demo["audit_log"]} == {"moderator"}
    assert '"mo"' not in json.dumps(demo["audit_log"]) and not any("actor" in e for e in demo["audit_log"])
    assert [c["body"] for c in other["comments"]] == ["Elsewhere."]


def test_export_is_recorded_without_personal_data(talk: dict[str, Any]) -> None:
    export("ann@example.org", "--site", "demo", "--operator", "dpo")
    [entry] = AuditLogEntry.objects.filter(action=AuditLogEntry.Action.EXPORT)
    assert (entry.site.slug, entry.actor_name, entry.commenter_id) == ("demo", "dpo", talk["ann"].pk)
    assert entry.note == f"data of commenter {talk['ann'].public_id} exported"


def test_site_restricts_the_export(talk: dict[str, Any]) -> None:
    data = export("ann@example.org", "--site", "other")
    assert [r["site"] for r in data["commenters"]] == ["other"]


def test_output_file_is_new_and_private(talk: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "ann.json"
    err = io.StringIO()
    call_command("commenter", "export", "ann@example.org", "--output", str(target), stdout=io.StringIO(), stderr=err)
    assert "exported 2 commenter record(s)" in err.getvalue()
    assert json.loads(target.read_text(encoding="utf-8"))["commenters"][0]["name"] == "Ann Example"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    entries = AuditLogEntry.objects.filter(action=AuditLogEntry.Action.EXPORT).count()
    with pytest.raises(CommandError, match="exists; give a new file name"):
        call_command("commenter", "export", "ann@example.org", "--output", str(target), stdout=io.StringIO())
    with pytest.raises(CommandError, match="is a directory; give a file name"):
        call_command("commenter", "export", "ann@example.org", "--output", str(tmp_path), stdout=io.StringIO())
    assert AuditLogEntry.objects.filter(action=AuditLogEntry.Action.EXPORT).count() == entries


def test_output_dash_is_standard_output(talk: dict[str, Any], tmp_path: Path, monkeypatch: Any) -> None:
    """``--output -`` writes to stdout, as no ``--output`` does, and creates no file named "-"."""
    monkeypatch.chdir(tmp_path)
    data = export("ann@example.org", "--output", "-")
    assert [c["id"] for c in data["commenters"]] == [talk["ann"].public_id, talk["ann_other"].public_id]
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_records_nothing(talk: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot write"):
        call_command("commenter", "export", "ann@example.org", "--output", str(tmp_path / "no" / "such.json"),
                     stdout=io.StringIO())
    assert not AuditLogEntry.objects.filter(action=AuditLogEntry.Action.EXPORT).exists()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["nobody@example.org"], "No commenter has the e-mail address or id 'nobody@example.org'"),
        (["ann@example.org", "--site", "nowhere"], "There is no site 'nowhere'"),
        (["<script>"], "neither an e-mail address nor a commenter id"),
    ],
)
def test_bad_input_is_a_clear_error(talk: dict[str, Any], args: list[str], problem: str) -> None:
    with pytest.raises(CommandError, match=problem):
        export(*args)
    assert not AuditLogEntry.objects.filter(action=AuditLogEntry.Action.EXPORT).exists()


def test_console_script_exits_non_zero_for_an_unknown_address(tmp_path: Path) -> None:
    """The installed command, as an operator runs it: message on stderr, exit code 1."""
    from commentdesk.tests.test_cli import commentdesk_exe

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "COMMENTDESK_VAR_DIR": str(tmp_path)}
    subprocess.run([commentdesk_exe(), "migrate", "--verbosity", "0"], env=env, check=True, timeout=120)
    done = subprocess.run([commentdesk_exe(), "commenter", "erase", "nobody@example.org", "--mode", "delete",
                           "--no-input"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "No commenter has the e-mail address or id 'nobody@example.org'" in done.stderr
