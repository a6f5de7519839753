"""``commentdesk import commento``: both shared Commento exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.test import Client

from commentdesk.comments.models import Comment, Commenter, Thread
from commentdesk.importers.tests.conftest import (
    assert_readers_see_only_approved,
    parents,
    statuses,
)
from commentdesk.sites.models import Site

HEX_1 = "7d77e39fcd813241d6281478cc8f21ab5f807d043c750bc1a936bc23b34fb854"
HEX_REPLY = "ea5f7bcd6ac9bb7b657f7d0569831104e1bcf9c253d03c1e16bf9654c49a5ce9"


@pytest.mark.django_db
def test_commento_export_threads_reply_and_commenters(site: Site, client: Client, run_import: Any) -> None:
    """3 comments on 2 URLs, one reply; commenters come after the comments in the file."""
    out = run_import("commento", "remark42-migrator-commento.json")
    assert "threads: 2 new" in out and "comments: 3 imported (3 approved" in out and "), 1 reply" in out
    assert set(Thread.objects.values_list("key", flat=True)) == {"/blog/post/1", "/blog/post/2"}
    assert parents(site, "commento") == {HEX_REPLY: HEX_1}
    reply = Comment.objects.get(import_id=HEX_REPLY)
    assert (reply.author_name, reply.body, reply.commenter.email) == ("Saturnin Uf", "Great reply!",
                                                                       "moregreatmail@gmail.com")
    anonymous = Comment.objects.get(thread__key="/blog/post/2")
    assert anonymous.author_name == "Anonymous" and anonymous.commenter.import_id.startswith("anon:")
    assert Commenter.objects.count() == 3
    assert assert_readers_see_only_approved(client, site) == 3


@pytest.mark.django_db
def test_commento_comments_without_text_are_skipped_by_name(site: Site, run_import: Any) -> None:
    """The second shared export has 7 comments whose markdown and html are both empty."""
    out = run_import("commento", "remark42-rest-api-commento.json")
    assert "comments: 0 imported" in out and "skipped 7: comments[0] e7a2ef4b4aa1414a: empty comment" in out
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_commento_states(site: Site, client: Client, run_import: Any, tmp_path: Path) -> None:
    """approved, unapproved → pending, flagged → spam, deleted → rejected; an unknown state is named."""
    def c(ident: str, state: str, deleted: bool = False) -> str:
        return (f'{{"commentHex": "{ident}", "url": "/a", "commenterHex": "anonymous", "markdown": "m{ident}",'
                f' "html": "", "parentHex": "root", "state": "{state}", "creationDate": "2021-03-12T11:21:56Z",'
                f' "deleted": {"true" if deleted else "false"}}}')
    f = tmp_path / "states.json"
    f.write_text('{"version": 1, "comments": [' + ",".join([
        c("a1", "approved"), c("a2", "unapproved"), c("a3", "flagged"), c("a4", "approved", deleted=True),
        c("a5", "weird")]) + '], "commenters": []}')
    out = run_import("commento", f)
    assert statuses(site, "commento") == {"a1": "approved", "a2": "pending", "a3": "spam", "a4": "rejected"}
    assert "comments[4] a5: state 'weird' is not approved, unapproved or flagged" in out
    assert assert_readers_see_only_approved(client, site) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("content, message", [
    ("[1, 2]", "not a JSON object"),
    ('{"version": 2, "comments": []}', "not a Commento export of version 1"),
    ('{"version": 1, "comments": [{"commentHex": ', "not valid JSON"),
])
def test_bad_commento_files_are_refused(site: Site, run_import: Any, tmp_path: Path, content: str,
                                        message: str) -> None:
    f = tmp_path / "bad.json"
    f.write_text(content)
    with pytest.raises(CommandError, match=message):
        run_import("commento", f)
    assert not Comment.objects.exists()
