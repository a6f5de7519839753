"""``commentdesk commenter erase``: anonymise or delete, "[removed]" tombstones, audit, bad inputs."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from commentdesk.comments.models import Comment, Commenter, CommentRevision
from commentdesk.comments.tests.factories import CommentFactory
from commentdesk.lib.errors import NotFound
from commentdesk.moderation.decisions import decide
from commentdesk.moderation.models import AuditLogEntry, Ban, Flag
from commentdesk.moderation.queues import QueueFilter, queue_queryset
from commentdesk.privacy.tests.conftest import by_id
from commentdesk.sites.models import Site

pytestmark = pytest.mark.django_db


def erase(*args: str, capture: Any = None) -> str:
    """Run the command without a prompt; after-commit snapshot refreshes run as in production."""
    out = io.StringIO()
    if capture is None:
        call_command("commenter", "erase", *args, "--no-input", stdout=out)
    else:
        with capture(execute=True):
            call_command("commenter", "erase", *args, "--no-input", stdout=out)
    return out.getvalue()


def everything() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int, int, int, int]:
    """Every row an erasure could touch, to show that a refused one changed nothing."""
    return (
        list(Comment.objects.order_by("pk").values_list("pk", "status", "author_name", "body", "ip_hash")),
        list(Commenter.objects.order_by("pk").values_list("pk", "name", "email", "ip_hash", "token_hash")),
        CommentRevision.objects.count(), Flag.objects.count(), AuditLogEntry.objects.count(), Ban.objects.count(),
    )


def test_anonymise_keeps_approved_texts_under_former_commenter(
    talk: dict[str, Any], read_thread: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Approved texts stay, shown under "former commenter"; unpublished ones go; identifiers are cleared."""
    before = by_id(read_thread())  # the snapshot is cached now: erasure must refresh it
    assert before[talk["answered"].public_id]["author_name"] == "Ann Example"
    out = erase("ann@example.org", "--mode", "anonymise", "--site", "demo", capture=django_capture_on_commit_callbacks)
    assert "1 deleted" not in out and "2 approved comment(s) kept anonymised" in out and "2 deleted" in out

    data = read_thread()
    shown = by_id(data)
    answered, lonely = shown[talk["answered"].public_id], shown[talk["lonely"].public_id]
    assert (answered["author_name"], answered["body"]) == ("former commenter", "My phone is [removed], call me.")
    assert (lonely["author_name"], lonely["body"]) == ("former commenter", "Nobody answers this one.")
    assert shown[talk["reply"].public_id]["parent_id"] == talk["answered"].public_id
    assert data["thread"]["comment_count"] == 4 and len(shown) == 4
    assert not Comment.objects.filter(pk__in=[talk["waiting"].pk, talk["refused"].pk]).exists()

    ann = Commenter.objects.get(pk=talk["ann"].pk)
    assert (ann.name, ann.email, ann.ip_hash, ann.token_hash, ann.notify) == ("former commenter", "", "", "", False)
    kept = Comment.objects.filter(commenter=ann)
    assert {(c.ip_hash, c.edit_token_hash) for c in kept} == {("", "")}
    # The moderator's revision (the text before Mo's edit) is moderation's record and stays.
    assert list(CommentRevision.objects.filter(comment__commenter=ann).values_list("editor", flat=True)) == ["moderator"]
    # Bob and Ann's record on the other site are untouched.
    assert Commenter.objects.get(pk=talk["bob"].pk).name == "Bob"
    assert Commenter.objects.get(pk=talk["ann_other"].pk).email == "ANN@example.org"


def test_delete_leaves_a_removed_tombstone_where_others_answered(
    talk: dict[str, Any], read_thread: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The answered comment becomes "[removed]" with no author; the others go entirely; counts follow."""
    read_thread()
    out = erase("ann@example.org", "--mode", "delete", "--site", "demo", capture=django_capture_on_commit_callbacks)
    assert "1 removed and shown as [removed] (answered), 3 deleted" in out

    data = read_thread()
    shown = by_id(data)
    assert set(shown) == {talk["answered"].public_id, talk["top"].public_id, talk["reply"].public_id}
    tombstone = shown[talk["answered"].public_id]
    assert (tombstone["author_name"], tombstone["body"], tombstone["reply_count"]) == ("", "[removed]", 1)
    assert tombstone["removed"] is True
    assert shown[talk["reply"].public_id]["parent_id"] == talk["answered"].public_id
    assert data["thread"]["comment_count"] == 2
    counts = client.get("/api/v1/threads/demo/counts", {"key": "/a/b"}).json()
    assert counts["counts"]["/a/b"] == 2
    assert "555-0100" not in str(data) and "Ann Example" not in str(data)  # Bob's "Agreed, Ann." is his

    row = Comment.objects.get(pk=talk["answered"].pk)
    assert (row.status, row.body, row.author_name, row.ip_hash) == (Comment.Status.REMOVED, "", "", "")
    assert not row.revisions.exists() and not row.flags.exists()
    assert not Comment.objects.filter(pk__in=[talk["lonely"].pk, talk["waiting"].pk, talk["refused"].pk]).exists()


def test_a_chain_of_own_replies_above_an_answer_stays_as_tombstones(
    site: Site, post_comment: Any, publish: Any, read_thread: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Ann → Ann (reply) → Bob: both of Ann's become "[removed]", so Bob's reply keeps its place."""
    from commentdesk.privacy.tests.conftest import comment

    ann = {"author_name": "Ann", "email": "ann@example.org"}
    first = comment(post_comment(body="one", **ann))
    publish(first)
    second = comment(post_comment(body="two", parent_id=first.public_id, **ann))
    publish(second)
    from django.test import Client

    answer = comment(post_comment(client=Client(REMOTE_ADDR="198.51.100.9"), author_name="Bob", body="three",
                                  parent_id=second.public_id))
    publish(answer)
    erase("ann@example.org", "--mode", "delete", capture=django_capture_on_commit_callbacks)
    shown = by_id(read_thread())
    assert [shown[c.public_id]["body"] for c in (first, second, answer)] == ["[removed]", "[removed]", "three"]
    assert shown[second.public_id]["parent_id"] == first.public_id
    assert shown[answer.public_id]["parent_id"] == second.public_id


def test_a_tombstone_answered_only_by_a_pending_reply_is_not_shown(
    site: Site, post_comment: Any, publish: Any, read_thread: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Readers never see an unapproved reply, nor a "[removed]" that holds nothing; approval shows both."""
    from django.test import Client

    from commentdesk.privacy.tests.conftest import comment

    first = comment(post_comment(body="one", author_name="Ann", email="ann@example.org"))
    publish(first)
    waiting = comment(post_comment(client=Client(REMOTE_ADDR="198.51.100.9"), author_name="Bob", body="later",
                                   parent_id=first.public_id))
    erase("ann@example.org", "--mode", "delete", capture=django_capture_on_commit_callbacks)
    assert Comment.objects.get(pk=first.pk).status == Comment.Status.REMOVED
    data = read_thread()
    assert data["comments"] == [] and data["thread"]["comment_count"] == 0
    publish(waiting)
    shown = by_id(read_thread())
    assert shown[first.public_id]["body"] == "[removed]"
    assert shown[waiting.public_id]["parent_id"] == first.public_id


def test_moderators_cannot_decide_or_see_a_removed_comment(
    talk: dict[str, Any], moderator: User, site: Site
) -> None:
    """A tombstone is out of every queue and refused by decide (404), so it can never be published again."""
    erase("ann@example.org", "--mode", "delete", "--site", "demo")
    tombstone = talk["answered"].public_id
    assert not queue_queryset(site, QueueFilter(status="all")).filter(public_id=tombstone).exists()
    with pytest.raises(NotFound):
        decide(site, [tombstone], "approve", moderator)
    assert Comment.objects.get(public_id=tombstone).status == Comment.Status.REMOVED


def test_erasure_is_one_audit_entry_per_record_without_personal_data(talk: dict[str, Any]) -> None:
    """Default: every site. Each record gets one "erase" entry naming its public id and counts; older entries stay."""
    older = list(AuditLogEntry.objects.order_by("pk").values_list("pk", "action", "before_text", "after_text"))
    erase("ann@example.org", "--mode", "delete", "--operator", "dpo")
    entries = AuditLogEntry.objects.filter(action=AuditLogEntry.Action.ERASE).order_by("site__slug")
    assert [(e.site.slug, e.actor_name, e.commenter_id) for e in entries] == [
        ("demo", "dpo", talk["ann"].pk), ("other", "dpo", talk["ann_other"].pk)]
    demo = entries[0]
    assert demo.note == f"delete: commenter {talk['ann'].public_id}; 0 kept anonymised, 1 kept as [removed], 3 deleted"
    for entry in entries:
        text = f"{entry.note} {entry.before_text} {entry.after_text} {entry.reason}"
        assert "Ann" not in text and "@" not in text and talk["ann"].ip_hash not in text
    # Append-only: the earlier decisions and the edit (with its before/after texts) are all still there.
    assert list(AuditLogEntry.objects.filter(pk__in=[o[0] for o in older]).order_by("pk")
                .values_list("pk", "action", "before_text", "after_text")) == older


def test_dry_run_says_what_would_happen_and_changes_nothing(talk: dict[str, Any]) -> None:
    before = everything()
    out = erase("ann@example.org", "--mode", "delete", "--dry-run")
    assert f"would erase commenter {talk['ann'].public_id} on demo (delete)" in out
    assert "1 removed and shown as [removed] (answered), 3 deleted" in out
    assert out.strip().endswith("dry run: nothing changed")
    assert everything() == before


@pytest.mark.parametrize("answer", ["no", EOFError])
def test_declining_the_prompt_changes_nothing(talk: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                                              answer: Any) -> None:
    """Answering anything but yes, or having no terminal to answer (``< /dev/null``), cancels."""
    before = everything()

    def ask(prompt: str) -> str:
        if answer is EOFError:
            raise EOFError
        return answer

    monkeypatch.setattr("builtins.input", ask)
    with pytest.raises(CommandError, match="cancelled; nothing changed"):
        call_command("commenter", "erase", "ann@example.org", "--mode", "anonymise", stdout=io.StringIO())
    assert everything() == before


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["nobody@example.org", "--mode", "delete"], "No commenter has the e-mail address or id"),
        (["u_doesnotexist", "--mode", "delete"], "No commenter has the e-mail address or id"),
        (["ann@example.org", "--mode", "delete", "--site", "nowhere"], "There is no site 'nowhere'"),
        (["not an address", "--mode", "delete"], "neither an e-mail address nor a commenter id"),
        (["ann@example.org", "--mode", "shred"], "invalid choice"),
        (["ann@example.org"], "--mode"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(talk: dict[str, Any], args: list[str], problem: str) -> None:
    before = everything()
    with pytest.raises(CommandError, match=problem):
        erase(*args)
    assert everything() == before


def test_by_public_id_erases_one_anonymous_record(site: Site) -> None:
    """A commenter without an e-mail address is found by their u_… id (as the desk shows it)."""
    lone = CommentFactory(thread__site=site, commenter__site=site, commenter__ip_hash="ab" * 32, ip_hash="ab" * 32)
    erase(lone.commenter.public_id, "--mode", "delete")
    assert not Comment.objects.filter(pk=lone.pk).exists()
    assert Commenter.objects.get(pk=lone.commenter_id).ip_hash == ""


def test_ban_notes_go_and_a_banned_commenter_is_pointed_out(talk: dict[str, Any], moderator: User, site: Site) -> None:
    from commentdesk.moderation.decisions import ban

    ban(site, talk["ann"].public_id, moderator, reason="spam", note="Ann from the bakery on Main St.")
    out = erase("ann@example.org", "--mode", "anonymise", "--site", "demo")
    assert f"note: {talk['ann'].public_id} is banned" in out
    assert list(Ban.objects.filter(commenter=talk["ann"]).values_list("reason", "note")) == [("spam", "")]


def test_the_desk_shows_the_erased_record_without_personal_data(talk: dict[str, Any], desk: Any) -> None:
    """Moderators see "former commenter" and how many comments were removed, nothing of who it was."""
    import lxml.html

    erase("ann@example.org", "--mode", "delete", "--site", "demo")
    response = desk.get(f"/desk/demo/commenters/{talk['ann'].public_id}/")
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content.decode())
    assert page.xpath("//h1/text()") == ["former commenter"]
    stats = {li.xpath(".//span[@class='stat-label']/text()")[0]: int(li.xpath(".//span[@class='stat-n']/text()")[0])
             for li in page.xpath("//ul[@class='stats']/li")}
    assert stats["removed"] == 1 and stats["approved"] == stats["pending"] == 0
    assert "Ann Example" not in response.content.decode() and "ann@example.org" not in response.content.decode()
