"""``commentdesk import wordpress``: every shared WXR file (1.0, 1.1, 1.2; http and https namespaces)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.test import Client

from commentdesk.comments.models import Comment, Commenter, Thread
from commentdesk.importers.tests.conftest import (
    assert_readers_see_only_approved,
    parents,
    shown,
    statuses,
)
from commentdesk.sites.models import Site

THEME = "wordpress-importer-theme-unit-test-data.xml"


@pytest.mark.django_db
def test_theme_unit_test_data_nests_ten_levels_and_skips_pings(site: Site, client: Client, run_import: Any) -> None:
    """WXR 1.2 with the https namespace: 33 comments = 29 imported (3 pending) + 2 pingbacks + 2 trackbacks."""
    out = run_import("wordpress", THEME)
    # the comment of the password-protected post was hidden there: pending here
    assert "comments: 29 imported (25 approved, 4 pending, 0 rejected/deleted, 0 spam), 10 replies" in out
    assert "not comments, skipped: 2 pingbacks, 2 trackbacks" in out
    assert "threads: 7 new, 0 existing (3 closed)" in out
    links = parents(site, "wordpress")
    chain = ["1148:904"]
    while chain[-1] in {v: k for k, v in links.items()}:
        chain.append({v: k for k, v in links.items()}[chain[-1]])
    depth = [Comment.objects.get(site=site, import_id=i).body[:16] for i in chain]
    assert depth == [f"Comment Depth {n:02d}" for n in range(1, 11)]
    assert Thread.objects.get(site=site, key="/2012/01/01/template-pingbacks-an-trackbacks").is_closed
    assert set(Comment.objects.filter(site=site, status="pending").values_list("import_id", flat=True)) == {
        "155:1017", "703:1016", "1148:1015", "1168:926"
    }
    body = Comment.objects.get(site=site, import_id="1148:881").body
    assert "Notes (https://developer.mozilla.org/en-US/docs/HTML/Element/blockquote#Notes)" in body
    assert "<blockquote>" not in body.split("The HTML")[0] and "\n\nTables\n\n" in body
    assert Commenter.objects.filter(site=site, name="John Γιάννης Doe Κάποιος").exists()
    assert assert_readers_see_only_approved(client, site) == 25


@pytest.mark.django_db
def test_isso_wxr_1_0_keys_plain_permalinks_by_post_id_and_keeps_line_breaks(
    site: Site, client: Client, run_import: Any
) -> None:
    """WXR 1.0: two posts, replies two levels deep, comment id 11 used in both posts (kept in both)."""
    out = run_import("wordpress", "isso-wordpress.xml")
    assert "threads: 2 new" in out and "comments: 8 imported (8 approved" in out and "3 replies" in out
    assert parents(site, "wordpress") == {"18:7": "18:6", "18:8": "18:7", "18:9": "18:7"}
    assert Comment.objects.filter(site=site, import_id__endswith=":11").count() == 2
    multiline = Comment.objects.get(site=site, import_id="18:10")
    assert multiline.body == "When you have a comment with multiple lines:\nWordPress exports it like this."
    assert Thread.objects.get(site=site, key="/2014/test").title == "Hello, World…"
    # the second item has no post id and a ?p=4 link: its key is 4, not the home page
    assert [c["body"] for c in shown(client, site, "4")] == ["..."]
    assert shown(client, site, "/") == []
    # no wp:comment_date but a comment_date_gmt: that date is used
    assert Comment.objects.get(site=site, import_id="18:7").created_at.isoformat() == "2014-04-29T15:21:35+00:00"
    assert assert_readers_see_only_approved(client, site) == 8


@pytest.mark.django_db
def test_remark42_wxr_pending_comment_and_reply_to_a_pingback(site: Site, client: Client, run_import: Any) -> None:
    """The unapproved comment is pending (hidden); the reply to the skipped pingback stays top-level, named."""
    out = run_import("wordpress", "remark42-wordpress_test.go-xmlTestWP.xml")
    assert "comments: 3 imported (2 approved, 1 pending" in out and "1 pingback" in out
    assert "parents not found or not valid (imported as top-level): 100:14→100:13" in out
    assert statuses(site, "wordpress") == {"100:8": "approved", "100:9": "pending", "100:14": "approved"}
    listed = shown(client, site, "https://realmenweardress.es/2010/07/do-you-rp/")
    assert [c["body"] for c in listed] == ["I do catch myself", '"Mekkatorque" was over in that tent up to the right']
    assert Comment.objects.get(site=site, import_id="100:8").ip_hash not in ("", "79.141.141.73")
    assert assert_readers_see_only_approved(client, site) == 2


@pytest.mark.django_db
def test_slashes_and_unicode_are_kept_as_written(site: Site, run_import: Any) -> None:
    out = run_import("wordpress", "wordpress-importer-slashes.xml")
    assert "comments: 1 imported (1 approved" in out
    assert Comment.objects.get(site=site).body == "\\o/ ¯\\_(ツ)_/¯"
    assert Thread.objects.get(site=site).key == "1"  # http://localhost/?p=1


WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>
<item><title>Post</title><link>https://news.example/2020/post/</link><wp:post_id>5</wp:post_id>
<wp:comment_status>open</wp:comment_status>
{comments}
</item></channel></rss>
"""


def comment(ident: int, approved: str = "1", parent: int = 0, date: str = "2020-01-02 03:04:05",
            kind: str = "", content: str = "Hello") -> str:
    return (f"<wp:comment><wp:comment_id>{ident}</wp:comment_id><wp:comment_author>A{ident}</wp:comment_author>"
            f"<wp:comment_date_gmt>{date}</wp:comment_date_gmt><wp:comment_content><![CDATA[{content}]]>"
            f"</wp:comment_content><wp:comment_approved>{approved}</wp:comment_approved>"
            f"<wp:comment_type>{kind}</wp:comment_type><wp:comment_parent>{parent}</wp:comment_parent></wp:comment>")


@pytest.mark.django_db
def test_statuses_map_and_bad_comments_are_named(site: Site, client: Client, run_import: Any, tmp_path: Path) -> None:
    """1/approve, 0/hold, spam, trash/post-trashed; an unknown status, a bad date and an empty body are skipped by line."""
    f = tmp_path / "statuses.xml"
    f.write_text(WXR.format(comments="\n".join([
        comment(1), comment(2, "approve"), comment(3, "0"), comment(4, "hold"), comment(5, "spam"),
        comment(6, "trash", parent=1), comment(7, "post-trashed"), comment(8, "maybe"),
        comment(9, date="2020-13-45 00:00:00"), comment(10, content="  "), comment(11, kind="trackback"),
        comment(12, content="<p>Para one</p>\n<p>Two <a href='https://x.example/'>here</a></p>"),
    ])))
    out = run_import("wordpress", f)
    assert statuses(site, "wordpress") == {
        "5:1": "approved", "5:2": "approved", "5:3": "pending", "5:4": "pending", "5:5": "spam",
        "5:6": "rejected", "5:7": "rejected", "5:12": "approved",
    }
    assert "skipped 3" in out
    assert "comment 8 of post 5 at line 12: <wp:comment_approved> is 'maybe', not 1, 0, spam or trash" in out
    assert "comment 9 of post 5 at line 13: invalid <wp:comment_date_gmt> '2020-13-45 00:00:00'" in out
    assert "comment 10 of post 5 at line 14: empty comment" in out
    assert "1 trackback" in out
    assert Comment.objects.get(import_id="5:12").body == "Para one\n\nTwo here (https://x.example/)"
    assert parents(site, "wordpress") == {"5:6": "5:1"}
    assert assert_readers_see_only_approved(client, site) == 3


@pytest.mark.django_db
@pytest.mark.parametrize("content, message", [
    ('<?xml version="1.0"?><rss><channel></channel></rss>', "no WXR 1.0–1.2 namespace"),
    ('<?xml version="1.0"?><feed xmlns:wp="http://wordpress.org/export/1.2/"/>', "no <rss> root element"),
    ("not xml at all", "no <rss> root element"),
])
def test_files_that_are_not_wxr_are_refused(site: Site, run_import: Any, tmp_path: Path, content: str,
                                            message: str) -> None:
    f = tmp_path / "x.xml"
    f.write_text(content)
    with pytest.raises(CommandError, match=message):
        run_import("wordpress", f)
    assert not Comment.objects.exists() and not Thread.objects.exists()


@pytest.mark.django_db
def test_broken_xml_names_its_line_and_keeps_only_whole_batches(site: Site, run_import: Any, tmp_path: Path) -> None:
    """A syntax error stops the import naming its line; the batches before it are stored, the one
    being read is not; the fixed file then adds only what is missing."""
    # comment 1 answers comment 3, written earlier but later in the file: its link waits for the end
    first = "\n".join([comment(1, parent=3, date="2020-01-03 00:00:00"), comment(2), comment(3, date="2020-01-01 00:00:00")])
    second = ("<item><title>Two</title><link>https://news.example/two/</link><wp:post_id>6</wp:post_id>\n"
              + comment(4) + "\n{tail}")
    broken = WXR.format(comments=first).replace("</channel>", second.format(tail="<wp:comment>\n</item></channel>"))
    f = tmp_path / "broken.xml"
    f.write_text(broken)
    with pytest.raises(CommandError, match=r"broken.xml: line 11: .*\(not well-formed XML\) \(2 earlier batches"):
        run_import("wordpress", f, "--batch-size", "2")
    assert sorted(Comment.objects.values_list("import_id", flat=True)) == ["5:1", "5:2", "5:3"]
    f.write_text(broken.replace("<wp:comment>\n</item>", "</item>"))
    out = run_import("wordpress", f, "--batch-size", "2")
    assert "comments: 1 imported" in out and "3 already present" in out
    assert Comment.objects.count() == 4
    assert parents(site, "wordpress") == {"5:1": "5:3"}  # linked by the second run


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["<wp:status>private</wp:status>", "<wp:post_password>secret</wp:post_password>"])
def test_comments_of_posts_readers_could_not_see_wait_for_a_moderator(site: Site, client: Client, run_import: Any,
                                                                      tmp_path: Path, field: str) -> None:
    """Approved comments of a private or password-protected post are pending; spam stays spam."""
    f = tmp_path / "private.xml"
    f.write_text(WXR.format(comments=field + comment(1) + comment(2, "spam")))
    run_import("wordpress", f)
    assert statuses(site, "wordpress") == {"5:1": "pending", "5:2": "spam"}
    assert assert_readers_see_only_approved(client, site) == 0


@pytest.mark.django_db(transaction=True)
def test_imported_pending_comments_are_queued_for_triage(site: Site, run_import: Any, settings: Any) -> None:
    """After the import, the worker scores its pending comments (language and all), not the others."""
    from django.core.management import call_command

    from commentdesk.triage.models import Score

    settings.TRIAGE_SCORERS = [{"NAME": "commentdesk.triage.scorers.language.LanguageScorer"}]
    run_import("wordpress", THEME)
    assert not Score.objects.exists()
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=io.StringIO(), stderr=io.StringIO())
    pending = Comment.objects.filter(site=site, status="pending")
    assert set(Score.objects.values_list("comment_id", "state")) == {(c.pk, "scored") for c in pending}
    assert set(pending.values_list("language", flat=True)) == {"en"}
