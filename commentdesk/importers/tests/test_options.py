"""Options every importer has (``--dry-run``, ``--rewrite-url``, ``--batch-size``), progress, duplicate ids."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from commentdesk.comments.models import Comment, Thread
from commentdesk.importers.base import Progress
from commentdesk.importers.models import ImportRun
from commentdesk.importers.tests.conftest import DATA
from commentdesk.sites.models import Site

EVERY_SOURCE = [
    ("disqus", "isso-disqus.xml"),
    ("wordpress", "wordpress-importer-theme-unit-test-data.xml"),
    ("isso", None),
    ("isso-json", "isso-generic.json"),
    ("commento", "remark42-migrator-commento.json"),
    ("remark42", "remark42-native_test.go-backup.jsonl"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("source, name", EVERY_SOURCE)
def test_dry_run_counts_the_same_and_stores_nothing(site: Site, run_import: Any, isso_db: Path, source: str,
                                                    name: str | None) -> None:
    path = name or isso_db
    dry = run_import(source, path, "--dry-run")
    assert dry.startswith("Dry run, nothing stored")
    assert not Comment.objects.exists() and not Thread.objects.exists() and not ImportRun.objects.exists()
    real = run_import(source, path)
    assert dry.split(" into demo: ")[1] == real.split(" into demo: ")[1]
    assert Comment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("source, name, old, new, key", [
    ("disqus", "isso-disqus.xml", "http://localhost:4000/blog/", "https://new.example/archive/",
     "/archive/2013/02/12/redacted/index.html"),
    ("wordpress", "isso-wordpress.xml", "http://example.tld/2014/", "https://new.example/news/", "/news/test"),
    ("isso-json", "isso-generic.json", "/posts/", "/archive/", "/archive/0001"),
    ("commento", "remark42-migrator-commento.json", "/blog/post/", "/p/", "/p/1"),
    ("remark42", "remark42-native_test.go-backup.jsonl", "https://radio-t.com/", "https://radio-t.com/old/",
     "/old/2"),
])
def test_rewrite_url_moves_thread_keys(site: Site, run_import: Any, source: str, name: str, old: str, new: str,
                                       key: str) -> None:
    run_import(source, name, "--rewrite-url", old, new)
    assert Thread.objects.filter(site=site, key=key).exists()
    assert Thread.objects.get(site=site, key=key).comments.exists()


@pytest.mark.django_db
def test_rewrite_url_on_an_isso_database(site: Site, run_import: Any, isso_db: Path) -> None:
    run_import("isso", isso_db, "--rewrite-url", "/2014/", "/archive/2014/")
    assert Thread.objects.get(site=site, key="/archive/2014/test").comments.count() == 7
    assert not Thread.objects.filter(key="/2014/test").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", " ", "\t"])
def test_rewrite_url_from_an_empty_prefix_is_refused(site: Site, run_import: Any, prefix: str) -> None:
    """An empty FROM would begin every URL, a blank one no URL: a command error, nothing stored."""
    with pytest.raises(CommandError, match="--rewrite-url: FROM may not be empty"):
        run_import("disqus", "isso-disqus.xml", "--rewrite-url", prefix, "https://new.example/")
    assert not Thread.objects.exists() and not ImportRun.objects.exists()


@pytest.mark.django_db
def test_the_same_file_with_another_rewrite_is_another_run(site: Site, run_import: Any) -> None:
    run_import("wordpress", "isso-wordpress.xml")
    out = run_import("wordpress", "isso-wordpress.xml", "--rewrite-url", "http://example.tld/2014/", "/x/")
    assert "8 already present" in out  # comments are keyed by source id, not by thread
    assert ImportRun.objects.filter(finished_at__isnull=False).count() == 2


@pytest.mark.django_db
def test_duplicate_ids_inside_one_file_are_named_not_stored_twice(site: Site, run_import: Any,
                                                                 tmp_path: Path) -> None:
    """A post repeating an earlier post's id is skipped by name, in the same batch or a later one;
    a re-run calls them all already present."""
    post = ('<post dsq:id="{i}"><message>m{n}</message><createdAt>2020-01-01T00:00:0{n}Z</createdAt>'
            '<author><name>n</name></author><thread dsq:id="1"/></post>')
    f = tmp_path / "dups.xml"
    f.write_text('<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
                 '<thread dsq:id="1"><link>https://e.org/a</link></thread>'
                 + "".join(post.format(i=i, n=n) for n, i in enumerate(["1", "1", "2", "3", "2"])) + "</disqus>")
    out = run_import("disqus", f, "--batch-size", "3")
    assert "comments: 3 imported" in out and "skipped 2" in out
    assert "post dsq:id=1 at line 1: duplicate id: an earlier record of the file has it" in out
    assert "post dsq:id=2 at line 1: duplicate id" in out
    assert Comment.objects.get(import_id="1").body == "m0"
    again = run_import("disqus", f, "--batch-size", "3")
    assert "comments: 0 imported" in again and "5 already present" in again


@pytest.mark.django_db
@pytest.mark.parametrize("source", [name for name, _ in EVERY_SOURCE] + ["native"])
def test_a_directory_given_as_file_is_named_as_one(site: Site, tmp_path: Path, source: str) -> None:
    """Every source says "is a directory" for a directory, and "no such file" for a missing file."""
    site_option = [] if source == "native" else ["--site", site.slug]
    with pytest.raises(CommandError, match=f"^{re.escape(str(tmp_path))}: is a directory; give the export file$"):
        call_command("import", source, str(tmp_path), *site_option)
    with pytest.raises(CommandError, match="missing.xml: no such file"):
        call_command("import", source, str(tmp_path / "missing.xml"), *site_option)


@pytest.mark.django_db
@pytest.mark.parametrize("size", ["0", "5001"])
def test_batch_size_is_bounded(site: Site, run_import: Any, size: str) -> None:
    with pytest.raises(CommandError, match="--batch-size must be between 1 and 5000"):
        run_import("disqus", "isso-disqus.xml", "--batch-size", size)


@pytest.mark.django_db
def test_progress_is_plain_count_lines_when_not_a_terminal(site: Site) -> None:
    theme = str(DATA / "wordpress-importer-theme-unit-test-data.xml")
    err, out = io.StringIO(), io.StringIO()
    call_command("import", "wordpress", theme, "--site", site.slug, "--dry-run", stdout=out, stderr=err)
    assert err.getvalue() == "read 0.71 of 0.71 MB (100%); 29 comments read\n"
    err = io.StringIO()
    call_command("import", "wordpress", theme, "--site", site.slug, stdout=out, stderr=err)
    assert err.getvalue() == "read 0.71 of 0.71 MB (100%); 29 comments stored\n"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal() -> None:
    screen = FakeTerminal()
    progress = Progress(screen, total=2_000_000)
    progress.advance(1_000_000)
    progress.comments_stored(1234)
    progress.close()
    assert "50%" in screen.getvalue()
    assert "1.00M/2.00M" in screen.getvalue() and "\r" in screen.getvalue()


@pytest.mark.django_db
def test_a_snapshot_readers_cached_is_rebuilt_and_no_other_is_made(site: Site, client: Any, run_import: Any) -> None:
    """The thread "/" was read (an empty snapshot cached) before the import: readers see its comments at
    once. The other thread had no snapshot: none is built by the import, its first reader builds it."""
    from django.core.cache import cache

    from commentdesk.importers.tests.conftest import shown
    from commentdesk.publishing.snapshots import cache_key

    assert shown(client, site, "/") == []
    run_import("disqus", "isso-disqus.xml")
    assert [c["body"] for c in shown(client, site, "/")] == ["...", "Hello, World.", "Hello, World."]
    other = "/blog/2013/02/12/redacted/index.html"
    assert not cache.has_key(cache_key(site.pk, other))
    assert len(shown(client, site, other)) == 1


@pytest.mark.django_db
def test_a_file_of_another_source_is_refused_not_imported_as_nothing(site: Site, run_import: Any) -> None:
    """A WordPress export given to the Disqus importer is an error, not "0 imported"."""
    with pytest.raises(CommandError, match=r"is not a Disqus export: its root element is <rss>, not <disqus>"):
        run_import("disqus", "isso-wordpress.xml")
    assert not Thread.objects.filter(site=site).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("source, text", [
    ("isso-json", "[" * 5000 + "]" * 5000),
    ("commento", '{"version":1,"comments":' + "[" * 5000 + "]" * 5000 + "}"),
    ("remark42", "[" * 50000 + "]" * 50000 + "\n"),
])
def test_deeply_nested_json_is_refused_with_a_clear_error(site: Site, run_import: Any, tmp_path: Path,
                                                           source: str, text: str) -> None:
    f = tmp_path / "deep.json"
    f.write_text(text)
    with pytest.raises(CommandError, match=r"nested deeper than 32 levels|line 1: not JSON"):
        run_import(source, f)
    assert not Comment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("content", [b"\x00\x01garbage" * 100, '<?xml version="1.0"?><rss/>'.encode()])
def test_disqus_refuses_what_is_no_disqus_export(site: Site, run_import: Any, tmp_path: Path,
                                                  content: bytes) -> None:
    f = tmp_path / "not-disqus.xml"
    f.write_bytes(content)
    with pytest.raises(CommandError, match=r"is not a (readable XML file|Disqus export)"):
        run_import("disqus", f)


@pytest.mark.django_db
def test_a_malformed_deleted_flag_never_publishes(site: Site, run_import: Any, tmp_path: Path) -> None:
    """Commento ``"deleted": "true"`` or ``1``: the comment is kept as rejected, not approved."""
    import json

    comments = [{"commentHex": f"c{i}", "domain": "e.org", "url": "/p", "commenterHex": "anonymous",
                 "markdown": f"text {i}", "parentHex": "root", "state": "approved", "deleted": flag,
                 "creationDate": "2020-01-01T00:00:00Z"} for i, flag in enumerate(["true", 1, False])]
    f = tmp_path / "commento.json"
    f.write_text(json.dumps({"version": 1, "comments": comments, "commenters": []}))
    run_import("commento", f)
    assert dict(Comment.objects.values_list("import_id", "status")) == {
        "c0": "rejected", "c1": "rejected", "c2": "approved"}
