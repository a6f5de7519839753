"""``commentdesk import isso`` (SQLite, read-only) and ``import isso-json`` (Isso's generic JSON)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.test import Client

from commentdesk.comments.models import Comment, Thread
from commentdesk.importers.tests.conftest import (
    assert_readers_see_only_approved,
    parents,
    shown,
    statuses,
)
from commentdesk.sites.models import Site


@pytest.mark.django_db
def test_isso_database_modes_threads_and_replies(site: Site, client: Client, run_import: Any, isso_db: Path) -> None:
    """7 threads, 19 comments: mode 1 → approved (17), 2 → pending (1), 4 → rejected (1); 6 replies."""
    before = hashlib.sha256(isso_db.read_bytes()).hexdigest()
    out = run_import("isso", isso_db)
    assert "threads: 7 new" in out
    assert "comments: 19 imported (17 approved, 1 pending, 1 rejected/deleted, 0 spam), 6 replies" in out
    assert parents(site, "isso") == {"3": "1", "4": "2", "8": "7", "9": "7", "10": "7", "17": "16"}
    assert {k: v for k, v in statuses(site, "isso").items() if v != "approved"} == {"2": "rejected", "15": "pending"}
    assert Thread.objects.get(site=site, key="/2014/test").title == "Hello, World…"
    assert Comment.objects.get(site=site, import_id="3").body == "Hello, World."  # <p> dropped
    assert Comment.objects.get(site=site, import_id="11").body == (
        "When you have a comment with multiple lines:  \nWordPress exports it like this."
    )
    assert Comment.objects.get(site=site, import_id="16").body.startswith("[...] I know I’m a bit loony")
    # the reply to the deleted comment is shown as a top-level comment, the deleted one never
    listed = shown(client, site, "/")
    assert [c["body"] for c in listed] == ["...", "Hello, World.", "Hello, World."]
    assert [c["parent_id"] for c in listed][2] is None
    assert assert_readers_see_only_approved(client, site) == 17
    assert hashlib.sha256(isso_db.read_bytes()).hexdigest() == before


@pytest.mark.django_db
def test_isso_database_reimport_adds_nothing(site: Site, run_import: Any, isso_db: Path) -> None:
    run_import("isso", isso_db)
    out = run_import("isso", isso_db)
    assert "comments: 0 imported" in out and "19 already present" in out
    assert Comment.objects.count() == 19


@pytest.mark.django_db
def test_a_file_that_is_not_an_isso_database_is_refused(site: Site, run_import: Any, tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("hello")
    with pytest.raises(CommandError, match="notes.db is not a readable Isso database"):
        run_import("isso", text)
    import sqlite3

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(CommandError, match="other.db is not an Isso database: no threads and comments tables"):
        run_import("isso", other)
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_isso_generic_json(site: Site, client: Client, run_import: Any) -> None:
    """2 threads with one comment each (both with id 0): both kept, approved, with their dates."""
    out = run_import("isso-json", "isso-generic.json")
    assert "threads: 2 new" in out and "comments: 2 imported (2 approved" in out
    assert set(Thread.objects.values_list("key", "title")) == {("/posts/0001", "Test+post"),
                                                                ("/posts/0007", "Nat+%26+Miguel")}
    texas = Comment.objects.get(site=site, author_name="texas holdem")
    assert texas.created_at.isoformat() == "2005-02-24T04:03:37+00:00"
    assert Comment.objects.get(site=site, author_name="Richard Crinshaw").body == "Ja-make-a me crazzy mon :)"
    assert assert_readers_see_only_approved(client, site) == 2
    again = run_import("isso-json", "isso-generic.json")
    assert "2 already present" in again and Comment.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("content, message", [
    ('{"a": 1}', "not a list of threads"),
    ('[{"id": "/a", "comments": [', "not valid JSON"),
])
def test_bad_generic_json_is_refused(site: Site, run_import: Any, tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "bad.json"
    f.write_text(content)
    with pytest.raises(CommandError, match=message):
        run_import("isso-json", f)
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_comments_of_an_unknown_or_skipped_thread_and_binary_text_are_named(site: Site, isso_db: Path,
                                                                            run_import: Any) -> None:
    import sqlite3

    db = sqlite3.connect(isso_db)
    db.execute("INSERT INTO comments (tid, id, created, mode, text, author, voters) "
               "VALUES (999, 900, 1700000000.0, 1, 'orphan', 'A', X'00')")
    db.execute("UPDATE comments SET text = X'fffe00' WHERE id = (SELECT min(id) FROM comments)")
    db.commit()
    db.close()
    out = run_import("isso", isso_db)
    assert "comment id=900: its thread 999 is not in the file or was skipped" in out
    assert "the text is not text" in out
