"""Optional automation: triage approves very low and rejects very high risk
comments as a logged, undoable decision by "triage"; never on partial or
failed scores, never on a comment that changed since it was scored."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from commentdesk.comments.models import Comment
from commentdesk.moderation.decisions import TRIAGE, decide, undo
from commentdesk.moderation.models import AuditLogEntry
from commentdesk.triage import automation, pipeline
from commentdesk.triage.models import Score, TriagePolicy
from commentdesk.triage.tests.conftest import TEST

pytestmark = pytest.mark.django_db


def fixed(value: float, **options: Any) -> dict[str, Any]:
    return {"NAME": TEST + "FixedScorer", "OPTIONS": {"value": value, **options}}


def automate_on(site: Any, **fields: Any) -> TriagePolicy:
    values = {"auto_approve_below": 0.1, "auto_reject_above": 0.9, "auto_reason": "spam"} | fields
    policy = TriagePolicy(site=site, **values)
    policy.full_clean()
    policy.save()
    return policy


def posted(post_comment: Any, capture: Any, **fields: Any) -> Comment:
    """A comment posted through the API, its after-commit receivers (triage) run."""
    with capture(execute=True):
        answer = post_comment(**fields)
    assert answer.status_code == 202
    return Comment.objects.get(public_id=answer.json()["comment"]["id"])


def test_off_by_default(site: Any, scorers: Any, post_comment: Any, django_capture_on_commit_callbacks: Any) -> None:
    """Without thresholds a comment of risk 0.99 waits for a moderator like any other."""
    scorers(fixed(0.99))
    comment = posted(post_comment, django_capture_on_commit_callbacks)
    assert comment.status == "pending" and comment.triage_score.risk == 0.99
    assert not AuditLogEntry.objects.filter(comment=comment).exists()


def test_high_risk_is_rejected_as_triage_in_the_audit_log(
    site: Any, scorers: Any, post_comment: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Above the reject threshold: rejected with the policy's reason, logged with actor "triage"."""
    automate_on(site)
    scorers(fixed(0.95))
    comment = posted(post_comment, django_capture_on_commit_callbacks)
    assert comment.status == "rejected"
    entry = AuditLogEntry.objects.get(comment=comment)
    assert (entry.action, entry.actor, entry.actor_name, entry.reason) == ("reject", None, "triage", "spam")
    assert entry.note == "triage automation: risk 0.95 above threshold 0.90"


def test_spam_action_and_low_risk_approval(
    site: Any, scorers: Any, post_comment: Any, django_capture_on_commit_callbacks: Any, reader_client: Client
) -> None:
    """``auto_action`` spam marks spam; below the approve threshold the comment is published for readers."""
    automate_on(site, auto_action="spam")
    scorers(fixed(0.97))
    assert posted(post_comment, django_capture_on_commit_callbacks, body="Spammy.").status == "spam"
    scorers(fixed(0.02))
    comment = posted(post_comment, django_capture_on_commit_callbacks, body="Lovely article.")
    assert comment.status == "approved"
    assert AuditLogEntry.objects.get(comment=comment).actor_name == "triage"
    shown = reader_client.get("/api/v1/threads/demo/comments?key=/a/b").json()["comments"]
    assert [c["body"] for c in shown] == ["Lovely article."]


def test_between_thresholds_waits(site: Any, scorers: Any, post_comment: Any,
                                  django_capture_on_commit_callbacks: Any) -> None:
    """Risk exactly at a threshold, or between them, is left to moderators."""
    automate_on(site)
    for value in (0.1, 0.5, 0.9):
        scorers(fixed(value))
        assert posted(post_comment, django_capture_on_commit_callbacks, body=f"v {value}").status == "pending"


def test_partial_and_failed_scores_are_never_acted_on(site: Any, scorers: Any, make_comment: Any) -> None:
    """A partial score, a not-scored one and one with a failed scorer leave the comment pending."""
    automate_on(site)
    scorers(fixed(0.99), {"NAME": TEST + "BrokenScorer"})
    comment = make_comment()
    score = pipeline.score_comment(comment)
    assert score.state == "scored" and score.risk == 0.99 and score.skipped
    assert automation.automate(comment, score) is None
    for state in ("partial", "not_scored"):
        assert automation.automate(comment, Score(comment=comment, state=state, risk=0.99)) is None
    comment.refresh_from_db()
    assert comment.status == "pending"
    assert not AuditLogEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_background_scoring_finishes_before_triage_decides(site: Any, scorers: Any, post_comment: Any) -> None:
    """With a background scorer the request-stage score is partial (no decision); the task decides."""
    automate_on(site)
    scorers(fixed(0.5), fixed(0.9, name="later", stage="background"))
    answer = post_comment()
    comment = Comment.objects.get(public_id=answer.json()["comment"]["id"])
    assert comment.status == "pending" and comment.triage_score.state == "partial"
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=io.StringIO(), stderr=io.StringIO())
    comment.refresh_from_db()
    assert comment.triage_score.risk == 0.95
    assert comment.status == "rejected"


def test_changed_since_scoring_is_left_alone(site: Any, scorers: Any, make_comment: Any, publish: Any) -> None:
    """A comment edited or decided after it was scored is not decided on the old score."""
    automate_on(site)
    scorers(fixed(0.99))
    comment = make_comment("first text")
    score = pipeline.score_comment(comment)
    Comment.objects.filter(pk=comment.pk).update(body="second text")
    assert automation.automate(comment, score) is None
    assert Comment.objects.get(pk=comment.pk).status == "pending"
    other = make_comment("another")
    score = pipeline.score_comment(other)
    stale = Comment.objects.get(pk=other.pk)
    publish(other)  # a moderator approved it meanwhile
    assert automation.automate(stale, score) is None
    assert Comment.objects.get(pk=other.pk).status == "approved"
    assert list(AuditLogEntry.objects.values_list("actor_name", flat=True)) == ["mo"]


def test_a_comment_a_moderator_edited_is_left_to_a_moderator(
    site: Any, scorers: Any, post_comment: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A moderator's edit scores the pending comment again, and however high its new risk,
    automation does not decide it: a person is handling it."""
    from commentdesk.moderation.decisions import edit

    scorers(fixed(0.5))
    comment = posted(post_comment, django_capture_on_commit_callbacks)
    assert comment.status == "pending"
    automate_on(site)
    scorers(fixed(0.99))
    with django_capture_on_commit_callbacks(execute=True):
        edit(comment, "Shortened by the desk.", moderator, "other")
    comment.refresh_from_db()
    assert comment.status == "pending" and comment.triage_score.risk == 0.99
    assert list(AuditLogEntry.objects.values_list("action", flat=True)) == ["edit"]


def test_a_moderators_edit_back_to_the_scored_text_still_stops_triage(
    site: Any, scorers: Any, make_comment: Any, moderator: Any
) -> None:
    """The worker loaded the comment before a moderator edited it and then put the scored
    text back (A → B → A): the version matches, but triage does not decide (from an attack)."""
    from commentdesk.moderation.decisions import edit

    automate_on(site)
    scorers(fixed(0.99))
    loaded = make_comment("Original text of the reader.")
    score = pipeline.score_comment(loaded)
    edit(Comment.objects.get(pk=loaded.pk), "Shortened by the desk.", moderator, "other")
    edit(Comment.objects.get(pk=loaded.pk), "Original text of the reader.", moderator, "other")
    assert automation.automate(loaded, score) is None
    assert Comment.objects.get(pk=loaded.pk).status == "pending"
    assert list(AuditLogEntry.objects.values_list("action", flat=True)) == ["edit", "edit"]


def test_moderator_undoes_triage_in_the_desk(
    site: Any, scorers: Any, post_comment: Any, django_capture_on_commit_callbacks: Any, desk: Client
) -> None:
    """The desk's undo (no JavaScript) puts an automatic rejection back to pending, logged as Mo's undo."""
    automate_on(site)
    scorers(fixed(0.95))
    comment = posted(post_comment, django_capture_on_commit_callbacks)
    entry = AuditLogEntry.objects.get(comment=comment)
    answer = desk.post("/desk/demo/undo/", {"entry_ids": [entry.pk]})
    assert answer.status_code == 302
    comment.refresh_from_db()
    assert comment.status == "pending"
    last = AuditLogEntry.objects.latest("id")
    assert (last.action, last.actor_name, last.undoes_id) == ("undo", "mo", entry.pk)


def test_unknown_reason_leaves_the_comment_pending(site: Any, scorers: Any, make_comment: Any) -> None:
    """A reason code the site no longer has makes the decision fail quietly: the comment waits."""
    policy = automate_on(site)
    site.reason_codes = ["personal_attack"]
    site.save()
    scorers(fixed(0.99))
    comment = make_comment()
    assert automation.automate(comment, pipeline.score_comment(comment)) is None
    comment.refresh_from_db()
    assert comment.status == "pending" and policy.auto_reason == "spam"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"auto_approve_below": 0.6, "auto_reject_above": 0.5}, "auto_approve_below"),
        ({"auto_approve_below": 0.5, "auto_reject_above": 0.5}, "auto_approve_below"),
        ({"auto_approve_below": -0.1, "auto_reject_above": None}, "auto_approve_below"),
        ({"auto_reject_above": 1.5}, "auto_reject_above"),
        ({"auto_reject_above": 0.9, "auto_reason": ""}, "auto_reason"),
        ({"auto_reject_above": 0.9, "auto_reason": "no_such_reason"}, "auto_reason"),
    ],
)
def test_policy_validation(site: Any, fields: dict[str, Any], field: str) -> None:
    """Thresholds within 0..1, approve below reject, a known reason code for automatic rejection."""
    with pytest.raises(ValidationError) as caught:
        automate_on(site, **fields)
    assert field in caught.value.message_dict
    assert not TriagePolicy.objects.exists()


def test_system_actor_needs_no_membership(site: Any, make_comment: Any, moderator: Any) -> None:
    """``decide`` with TRIAGE works on any site and is undone by a moderator like a person's decision."""
    comment = make_comment()
    [decided] = decide(site, [comment.public_id], "approve", TRIAGE)
    assert decided.status == "approved"
    assert undo(site, decided.audit_entry_id, moderator).status == "pending"


def test_automatic_approval_notifies_like_a_moderators(
    site: Any, scorers: Any, post_comment: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """``comments_published`` (e-mails to the author and the parent's author) is sent for triage's approval too."""
    from commentdesk.comments.signals import comments_published

    published: list[list[int]] = []

    def listen(sender: Any, comment_ids: list[int], **kwargs: Any) -> None:
        published.append(comment_ids)

    comments_published.connect(listen, dispatch_uid="test.published")
    try:
        automate_on(site)
        scorers(fixed(0.01))
        comment = posted(post_comment, django_capture_on_commit_callbacks)
    finally:
        comments_published.disconnect(dispatch_uid="test.published")
    assert comment.status == "approved"
    assert published == [[comment.pk]]
