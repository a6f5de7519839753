"""An import killed with SIGKILL (kill -9) and run again ends with exactly the database of
an import that was never interrupted.

Each case runs ``commentdesk import`` in a subprocess on its own SQLite file,
kills it with SIGKILL at a chosen point (inside the transaction of the 8th batch
of comments, or while it writes the audit entry at the very end), runs it again
to the end, and compares every imported row, ignoring only generated ids and
primary keys, with an uninterrupted import into a copy of the same empty database.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from commentdesk.importers.tests.generate import write_disqus

# Run inside the subprocess: SIGKILL itself at the chosen point, then `commentdesk import ...`.
KILLER = """
import os, signal, sys
import django
django.setup()
from django.core.management import call_command
from django.db.models import QuerySet
from commentdesk.moderation.models import AuditLogEntry
point, count = sys.argv[1], int(sys.argv[2])
calls = [0]
original = QuerySet.bulk_create
def bulk_create(self, objs, *args, **kwargs):
    result = original(self, objs, *args, **kwargs)
    if self.model.__name__ == "Comment" and point == "batch":
        calls[0] += 1
        if calls[0] == count:  # rows written, the batch's transaction still open
            os.kill(os.getpid(), signal.SIGKILL)
    return result
QuerySet.bulk_create = bulk_create
if point == "audit":
    def create(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    AuditLogEntry.objects.create = create
call_command("import", *sys.argv[3:])
"""

COMPARED = {
    "threads": "SELECT key, url, title, is_closed, created_at, import_source, import_id FROM comments_thread",
    "commenters": "SELECT name, email, ip_hash, created_at, import_source, import_id FROM comments_commenter",
    "comments": """
        SELECT c.import_id, t.key, p.import_id, u.import_id, c.author_name, c.body, c.status, c.created_at,
               c.published_at, c.decided_at, c.ip_hash, c.import_source
        FROM comments_comment c JOIN comments_thread t ON t.id = c.thread_id
        JOIN comments_commenter u ON u.id = c.commenter_id LEFT JOIN comments_comment p ON p.id = c.parent_id""",
    "audit": "SELECT action, actor_name, note FROM moderation_auditlogentry WHERE action = 'import'",
    "runs": "SELECT source, file_name, fingerprint, position, summary, finished_at IS NOT NULL FROM importers_importrun",
    "pending": "SELECT run_id, child_id, parent_import_id FROM importers_pendingparent",
}


def content(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every compared table's rows, sorted (no primary keys, no public ids)."""
    with sqlite3.connect(db) as conn:
        return {name: sorted(conn.execute(sql).fetchall(), key=repr) for name, sql in COMPARED.items()}


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path]:
    """(an empty migrated database with site "paper", the environment, a generated export of 1,200 posts)."""
    root = tmp_path_factory.mktemp("resume")
    empty = root / "empty.sqlite3"
    env = {**os.environ, "COMMENTDESK_VAR_DIR": str(root), "DATABASE_URL": f"sqlite:///{empty}",
           "DJANGO_SETTINGS_MODULE": "commentdesk.settings"}
    for args in (["migrate", "--verbosity", "0"], ["createsite", "paper", "--name", "Paper", "--origin",
                                                   "https://paper.example"]):
        subprocess.run([sys.executable, "-m", "commentdesk", *args], env=env, check=True, capture_output=True,
                       timeout=300)
    export = root / "export.xml"
    with open(export, "w") as fh:
        write_disqus(fh, 1200, threads=12, seed=5)
    return empty, env, export


def run(db: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", KILLER, *args], env={**env, "DATABASE_URL": f"sqlite:///{db}"},
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("point", ["batch", "audit"])
def test_kill_9_then_rerun_equals_an_uninterrupted_import(installation: tuple[Path, dict[str, str], Path],
                                                          tmp_path: Path, point: str) -> None:
    empty, env, export = installation
    command = ["disqus", str(export), "--site", "paper", "--batch-size", "50"]
    whole, killed = tmp_path / "whole.sqlite3", tmp_path / "killed.sqlite3"
    shutil.copy(empty, whole)
    shutil.copy(empty, killed)

    done = run(whole, env, "none", "0", *command)
    assert done.returncode == 0, done.stderr
    assert "comments: 1198 imported" in done.stdout  # 2 of the 1,200 posts repeat an earlier id

    interrupted = run(killed, env, point, "8", *command)
    assert interrupted.returncode == -signal.SIGKILL
    partial = content(killed)
    assert partial["runs"][0][5] == 0  # not finished
    if point == "batch":
        assert partial["runs"][0][3] == 7 * 50  # 7 batches of 50 records committed, the 8th rolled back
        assert 0 < len(partial["comments"]) < 1198 and partial["audit"] == []
    else:
        assert len(partial["comments"]) == 1198 and partial["audit"] == []

    resumed = run(killed, env, "none", "0", *command)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == done.stdout
    assert content(killed) == content(whole)
    with sqlite3.connect(killed) as conn:
        assert conn.execute("SELECT attempts FROM importers_importrun").fetchone() == (2,)
