"""Helpers of the importer tests: run ``commentdesk import``, read what readers see."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from commentdesk.comments.models import Comment, Thread
from commentdesk.sites.models import Site

DATA = Path(__file__).parent / "data"


@pytest.fixture
def run_import(site: Site) -> Any:
    """``run_import(source, file, *options)`` → stdout of ``commentdesk import`` into ``site``;
    ``file`` is a name in tests/data/ or a path."""

    def run(source: str, name: str | Path, *extra: str) -> str:
        out = io.StringIO()
        call_command("import", source, str(DATA / name), "--site", site.slug, *extra, stdout=out,
                     stderr=io.StringIO())
        return out.getvalue()

    return run


@pytest.fixture
def isso_db(tmp_path: Path) -> Path:
    """An Isso SQLite database built from the shared ``.dump`` with sqlite3's executescript."""
    import sqlite3

    path = tmp_path / "comments.db"
    db = sqlite3.connect(path)
    db.executescript((DATA / "isso-0.14.0-imported-fixtures-dump.sql").read_text())
    db.close()
    return path


def shown(client: Client, site: Site, key: str) -> list[dict[str, Any]]:
    """Every comment the reader API lists for thread ``key`` (all pages)."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"key": key, "limit": 500} | ({"cursor": cursor} if cursor else {})
        response = client.get(f"/api/v1/threads/{site.slug}/comments", params)
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["comments"]
        cursor = body["next"]
        if not cursor:
            return items


def assert_readers_see_only_approved(client: Client, site: Site) -> int:
    """For every thread of ``site``: the reader API shows exactly its approved comments,
    and a reply's parent only when readers see it too. Returns how many are shown."""
    total = 0
    for thread in Thread.objects.filter(site=site):
        listed = shown(client, site, thread.key)
        approved = set(thread.comments.filter(status=Comment.Status.APPROVED).values_list("public_id", flat=True))
        ids = {c["id"] for c in listed}
        assert ids == approved, thread.key
        assert {c["parent_id"] for c in listed} - {None} <= ids
        total += len(listed)
    hidden = Comment.objects.filter(site=site).exclude(status=Comment.Status.APPROVED)
    assert not set(hidden.values_list("public_id", flat=True)) & {
        c["id"] for t in Thread.objects.filter(site=site) for c in shown(client, site, t.key)
    }
    return total


def parents(site: Site, source: str) -> dict[str, str]:
    """child import id → parent import id, of the replies stored."""
    return dict(
        Comment.objects.filter(site=site, import_source=source, parent__isnull=False)
        .values_list("import_id", "parent__import_id")
    )


def statuses(site: Site, source: str) -> dict[str, str]:
    return dict(Comment.objects.filter(site=site, import_source=source).values_list("import_id", "status"))
