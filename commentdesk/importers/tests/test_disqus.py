"""``commentdesk import disqus``: every shared Disqus export, counts, statuses, nesting."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from commentdesk.comments.models import Comment, Thread
from commentdesk.moderation.models import AuditLogEntry
from commentdesk.sites.models import Site

DATA = Path(__file__).parent / "data"


def run_import(site: Site, name: str | Path, *extra: str) -> str:
    out = io.StringIO()
    call_command("import", "disqus", str(DATA / name), "--site", site.slug, *extra, stdout=out)
    return out.getvalue()


def visible(client: Client, site: Site, key: str) -> list[dict]:
    response = client.get(f"/api/v1/threads/{site.slug}/comments", {"key": key})
    assert response.status_code == 200
    return response.json()["comments"]


@pytest.mark.django_db
def test_isso_export_threads_replies_deleted_and_orphans(site: Site, client: Client) -> None:
    """Threads keyed by link path, one reply level, a deleted post kept as rejected, orphans named."""
    out = run_import(site, "isso-disqus.xml")
    assert "comments: 5 imported (4 approved, 0 pending, 1 rejected/deleted, 0 spam), 2 replies" in out
    assert "thread dsq:id=3 at line 28: no <link> and no <id>" in out
    assert "post dsq:id=6 at line 66: thread dsq:id=1337 is not in the file" in out
    assert set(Thread.objects.filter(site=site).values_list("key", flat=True)) == {
        "/", "/blog/2013/02/12/redacted/index.html"
    }
    root = visible(client, site, "http://example.org/")
    assert [c["body"] for c in root] == ["...", "Hello, World.", "Hello, World."]
    first, reply, orphan_reply = root
    assert reply["parent_id"] == first["id"] and first["reply_count"] == 1
    # post 11 replies to the deleted post 9: linked in the database, never pointing at it for readers
    assert orphan_reply["parent_id"] is None
    deleted = Comment.objects.get(site=site, import_id="9")
    assert deleted.status == Comment.Status.REJECTED
    assert Comment.objects.get(site=site, import_id="11").parent_id == deleted.pk
    assert [c["body"] for c in visible(client, site, "/blog/2013/02/12/redacted/index.html")] == [
        "Message from thread with empty title and id"
    ]


@pytest.mark.django_db
def test_malformed_radio_t_export_recovers_and_names_the_broken_post(site: Site, client: Client) -> None:
    """Junk before <?xml and an unquoted attribute are survived; the broken post is skipped by name."""
    out = run_import(site, "remark42-disqus.xml")
    assert "skipped 1: post dsq:id=x299986073 at line 135: invalid <createdAt> '2011-x09-30T22:48:43Z'" in out
    assert "<isSpam> is '123', not true or false" in out
    assert "comments: 5 imported (4 approved, 0 pending, 0 rejected/deleted, 1 spam)" in out
    closed = Thread.objects.get(site=site, key="/p/2011/03/05/podcast-229")
    assert closed.is_closed and closed.title == "Радио-Т: Радио-Т 229"
    bodies = [c["body"] for c in visible(client, site, "https://radio-t.com/p/2011/03/05/podcast-229/")]
    assert bodies[0] == "The quick brown fox jumps over the lazy dog.\n\nsome link (https://https://radio-t.com)"
    assert "some ugly spam" not in bodies and len(bodies) == 2
    assert Comment.objects.get(site=site, import_id="299986073").status == Comment.Status.SPAM
    # the post without dsq:id but with an <id> is kept under that id
    assert Comment.objects.filter(site=site, import_id="id:12345678890").exists()
    gae = Comment.objects.get(site=site, import_id="299986072").body
    assert "Google App Engine скоро выходит из превью статуса.\n\nСейчас письмо" in gae
    assert "99.95% uptime SLA.\nБудут Премьер" in gae


@pytest.mark.django_db
def test_posts_of_a_deleted_thread_are_dropped(site: Site) -> None:
    """A thread with isDeleted=true and its posts are not imported, and the summary says how many."""
    out = run_import(site, "remark42-disqus-deleted-thread.xml")
    assert "3 dropped with deleted threads" in out
    assert not Thread.objects.filter(site=site, key="/p/2011/03/05/podcast-229").exists()
    assert Comment.objects.filter(site=site).count() == 2


@pytest.mark.django_db
def test_reimport_adds_nothing(site: Site) -> None:
    """Running the same import twice is idempotent (keyed by source ids)."""
    run_import(site, "isso-disqus.xml")
    before = sorted(Comment.objects.values_list("import_id", "status", "body"))
    out = run_import(site, "isso-disqus.xml")
    assert "comments: 0 imported" in out and "5 already present" in out
    assert sorted(Comment.objects.values_list("import_id", "status", "body")) == before


@pytest.mark.django_db
def test_import_writes_one_audit_entry_and_hashes_addresses(site: Site) -> None:
    run_import(site, "remark42-disqus.xml")
    entry = AuditLogEntry.objects.get(site=site)
    assert entry.action == "import" and entry.actor_name == "import:disqus"
    hashes = set(Comment.objects.values_list("ip_hash", flat=True))
    assert "178.178.178.178" not in hashes and all(len(h) == 32 for h in hashes)


@pytest.mark.django_db
def test_dry_run_stores_nothing(site: Site) -> None:
    out = run_import(site, "isso-disqus.xml", "--dry-run")
    assert out.startswith("Dry run, nothing stored")
    assert not Comment.objects.exists() and not Thread.objects.exists()


@pytest.mark.django_db
def test_unknown_site_and_missing_file_are_errors(site: Site) -> None:
    with pytest.raises(CommandError, match="no site 'nope'"):
        call_command("import", "disqus", str(DATA / "isso-disqus.xml"), "--site", "nope")
    with pytest.raises(CommandError, match="no such file"):
        call_command("import", "disqus", str(DATA / "missing.xml"), "--site", site.slug)


HEAD = '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'


def post(dsq_id: str, thread: str = "1", when: str = "2020-01-01T00:00:00Z", body: str = "hello",
         parent: str | None = None) -> str:
    parent_ref = f'<parent dsq:id="{parent}"/>' if parent else ""
    return (f'<post dsq:id="{dsq_id}"><message>{body}</message><createdAt>{when}</createdAt>'
            f'<author><name>n{dsq_id}</name></author><thread dsq:id="{thread}"/>{parent_ref}</post>')


def thread(dsq_id: str, link: str) -> str:
    return f'<thread dsq:id="{dsq_id}"><link>{link}</link><title>t{dsq_id}</title></thread>'


@pytest.mark.django_db
@pytest.mark.parametrize("content", [b"", b"   \n", b"no markup at all", bytes(range(256)) * 50])
def test_unreadable_files_are_a_clear_error(site: Site, tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(content)
    try:
        out = run_import(site, bad)
    except CommandError as exc:
        assert "not a readable XML file" in str(exc)
    else:  # libxml2 may recover an empty document from binary junk: then it says so
        assert "comments: 0 imported" in out and "malformed XML the parser read past" in out
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_bad_records_are_skipped_by_name(site: Site, tmp_path: Path) -> None:
    """Overlong ids and bodies, empty pending bodies and impossible dates are skipped and named."""
    f = tmp_path / "bad.xml"
    f.write_text(HEAD + thread("1", "https://e.org/a") + thread("9", "https://e.org/" + "k" * 600)
                 + post("x" * 150) + post("2", body="b" * 70_000) + post("3", when="0999-06-01T12:00:00Z")
                 + post("4", when="9999-12-31T23:59:59-14:00") + post("5") + "</disqus>")
    out = run_import(site, f)
    assert "thread dsq:id=9 at line 1: the key or id is over 500 characters" in out
    assert "the id is over 100 characters" in out
    assert "post dsq:id=2 at line 1: the message is over 65,536 characters" in out
    assert "post dsq:id=3 at line 1: <createdAt> '0999-06-01T12:00:00Z' is out of range" in out
    assert "post dsq:id=4 at line 1: invalid <createdAt>" in out
    assert list(Comment.objects.values_list("import_id", flat=True)) == ["5"]


@pytest.mark.django_db
def test_flagged_posts_keep_their_status_and_wait_in_the_flagged_queue(site: Site, tmp_path: Path,
                                                                       client: Client) -> None:
    """``<isFlagged>true``: an approved post stays published with an open flag; a re-run adds no second flag."""
    from commentdesk.moderation.models import Flag
    from commentdesk.moderation.queues import QueueFilter, queue_queryset

    flagged = post("7").replace("</post>", "<isFlagged>true</isFlagged></post>")
    spam = post("8").replace("</post>", "<isSpam>true</isSpam><isFlagged>true</isFlagged></post>")
    f = tmp_path / "flagged.xml"
    f.write_text(HEAD + thread("1", "https://e.org/a") + flagged + spam + post("9") + "</disqus>")
    out = run_import(site, f)
    assert "2 flagged by readers (open flags)" in out
    assert [c["body"] for c in visible(client, site, "/a")] == ["hello", "hello"]
    assert set(queue_queryset(site, QueueFilter(status="flagged")).values_list("import_id", "status")) == {
        ("7", "approved"), ("8", "spam")}
    assert Flag.objects.get(comment__import_id="7").note == "reported by readers in disqus"
    run_import(site, f)
    assert Flag.objects.count() == 2


@pytest.mark.django_db
def test_impossible_parents_are_not_linked(site: Site, tmp_path: Path, client: Client) -> None:
    """A self-reply, a cycle, a parent in another thread or a later parent stay top-level, and are named."""
    f = tmp_path / "parents.xml"
    f.write_text(HEAD + thread("1", "https://e.org/a") + thread("2", "https://e.org/b")
                 + post("10", when="2020-01-01T00:00:00Z", parent="10")
                 + post("11", when="2020-01-02T00:00:00Z", parent="12")
                 + post("12", when="2020-01-03T00:00:00Z", parent="11")
                 + post("13", thread="2", when="2020-01-04T00:00:00Z", parent="12")
                 + post("14", when="2020-01-05T00:00:00Z", parent="11") + "</disqus>")
    out = run_import(site, f)
    linked = dict(Comment.objects.filter(parent__isnull=False).values_list("import_id", "parent__import_id"))
    assert linked == {"12": "11", "14": "11"}
    assert "10→10" in out and "11→12" in out and "13→12" in out
    shown = visible(client, site, "/a")
    assert len(shown) == 4 and {c["parent_id"] for c in shown} - {None} <= {c["id"] for c in shown}


@pytest.mark.django_db
@pytest.mark.parametrize("name, shown_count, hidden_count", [
    ("isso-disqus.xml", 4, 1), ("remark42-disqus.xml", 4, 1), ("remark42-disqus-deleted-thread.xml", 2, 0),
])
def test_readers_see_only_the_approved_posts_of_every_shared_export(site: Site, client: Client, name: str,
                                                                    shown_count: int, hidden_count: int) -> None:
    from commentdesk.importers.tests.conftest import assert_readers_see_only_approved

    run_import(site, name)
    assert Comment.objects.exclude(status=Comment.Status.APPROVED).count() == hidden_count
    assert assert_readers_see_only_approved(client, site) == shown_count
