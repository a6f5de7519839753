"""A conversation to export and erase.

On thread ``/a/b`` of ``site``: Ann (ann@example.org, posting from the
reader_client's address) wrote ``answered`` (approved, edited by Mo for
personal data, flagged by a reader, answered by Bob's ``reply``), ``lonely``
(approved, no replies), ``waiting`` (pending) and ``refused`` (rejected as
spam). Bob wrote ``top`` and ``reply`` (both approved). Ann also has a record
on ``other_site`` with the same address, written in capitals.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from commentdesk.comments.models import Comment
from commentdesk.comments.tests.factories import (
    CommenterFactory,
    CommentFactory,
    ThreadFactory,
)
from commentdesk.moderation.decisions import edit
from commentdesk.sites.models import Site


def comment(response: Any) -> Comment:
    assert response.status_code == 202, response.content
    return Comment.objects.get(public_id=response.json()["comment"]["id"])


@pytest.fixture
def talk(site: Site, other_site: Site, moderator: User, post_comment: Any, publish: Any,
         django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    """The conversation above; values are Comment rows, ``ann``/``bob``/``ann_other`` Commenters."""
    ann = {"author_name": "Ann Example", "email": "ann@example.org"}
    answered = comment(post_comment(body="My phone is 555-0100, call me.", **ann))
    lonely = comment(post_comment(body="Nobody answers this one.", **ann))
    waiting = comment(post_comment(body="Still waiting.", **ann))
    refused = comment(post_comment(body="Buy pills.", **ann))
    bob_client = Client(REMOTE_ADDR="198.51.100.9")
    top = comment(post_comment(client=bob_client, author_name="Bob", body="First!"))
    publish(answered, lonely, top)
    publish(refused, action="spam", reason="spam")
    reply = comment(post_comment(client=bob_client, author_name="Bob", body="Agreed, Ann.",
                                 parent_id=answered.public_id))
    publish(reply)
    with django_capture_on_commit_callbacks(execute=True):
        edit(answered, "My phone is [removed], call me.", moderator, reason="personal_data")
    flagged = Client(REMOTE_ADDR="192.0.2.50").post(f"/api/v1/comments/{answered.public_id}/flags",
                                                    {"reason": "abusive", "note": "rude"},
                                                    content_type="application/json")
    assert flagged.status_code == 202
    ann_other = CommenterFactory(site=other_site, name="Ann E.", email="ANN@example.org", email_verified=True)
    CommentFactory(thread=ThreadFactory(site=other_site, key="/x"), commenter=ann_other, body="Elsewhere.",
                   status=Comment.Status.APPROVED)
    for c in (answered, lonely, waiting, refused, top, reply):
        c.refresh_from_db()
    return {
        "answered": answered, "lonely": lonely, "waiting": waiting, "refused": refused, "top": top, "reply": reply,
        "ann": answered.commenter, "bob": top.commenter, "ann_other": ann_other,
    }


@pytest.fixture
def read_thread(client: Client) -> Any:
    """``read_thread(key="/a/b", slug="demo")``: the reader API's answer, as JSON."""

    def read(key: str = "/a/b", slug: str = "demo") -> dict[str, Any]:
        response = client.get(f"/api/v1/threads/{slug}/comments", {"key": key})
        assert response.status_code == 200
        return response.json()

    return read


def by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The reader answer's comments by id."""
    return {c["id"]: c for c in data["comments"]}


