"""``commentdesk import remark42``: Remark42's native backup (JSON lines)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.test import Client

from commentdesk.comments.models import Comment, Thread
from commentdesk.importers.tests.conftest import (
    assert_readers_see_only_approved,
    parents,
    statuses,
)
from commentdesk.sites.models import Site

FIRST = "efbc17f177ee1a1c0ee6e1e025749966ec071adc"
SECOND = "f863bd79-fec6-4a75-b308-61fe5dd02aa1"


@pytest.mark.django_db
def test_remark42_backup_read_only_post_html_and_missing_parent(site: Site, client: Client, run_import: Any) -> None:
    out = run_import("remark42", "remark42-native_test.go-backup.jsonl")
    assert "threads: 2 new, 0 existing (1 closed)" in out and "comments: 2 imported (2 approved" in out
    assert f"parents not found or not valid (imported as top-level): {SECOND}→1234" in out
    assert Thread.objects.get(key="/").is_closed and not Thread.objects.get(key="/2").is_closed
    assert Comment.objects.get(import_id=FIRST).body == "some text, link (http://radio-t.com)"
    assert parents(site, "remark42") == {}
    assert set(Comment.objects.values_list("ip_hash", flat=True)) == {""}  # the backup holds hashes only
    assert assert_readers_see_only_approved(client, site) == 2


@pytest.mark.django_db
def test_deleted_comments_and_blocked_users_are_rejected(site: Site, client: Client, run_import: Any,
                                                         tmp_path: Path) -> None:
    """``delete: true`` and a user blocked until 2999 → rejected; a broken line is skipped by its number."""
    header = {"version": 1, "users": [{"id": "bad", "blocked": {"status": True, "until": "2999-01-01T00:00:00Z"}}],
              "posts": []}

    def comment(ident: str, user: str = "u", pid: str = "", **extra: Any) -> str:
        return json.dumps({"id": ident, "pid": pid, "text": f"<p>t{ident}</p>", "user": {"name": user, "id": user},
                           "locator": {"site": "s", "url": "https://e.org/a"}, "time": "2020-01-01T00:00:00Z",
                           **extra})
    f = tmp_path / "backup.jsonl"
    f.write_text("\n".join([json.dumps(header), comment("1"), comment("2", pid="1", delete=True),
                            comment("3", user="bad", pid="1"), "{broken", comment("4", pid="2"), ""]))
    out = run_import("remark42", f)
    assert statuses(site, "remark42") == {"1": "approved", "2": "rejected", "3": "rejected", "4": "approved"}
    assert parents(site, "remark42") == {"2": "1", "3": "1", "4": "2"}
    assert "skipped 1: record at line 5: not JSON" in out
    assert assert_readers_see_only_approved(client, site) == 2


@pytest.mark.django_db
def test_a_file_without_the_header_is_refused(site: Site, run_import: Any, tmp_path: Path) -> None:
    f = tmp_path / "x.jsonl"
    f.write_text('{"id": "1"}\n')
    with pytest.raises(CommandError, match="line 1 is not a Remark42 backup header"):
        run_import("remark42", f)
    assert not Comment.objects.exists()
