"""Receivers that queue e-mail tasks; they run after the deciding transaction commits."""

from __future__ import annotations

from typing import Any

from commentdesk.comments.models import Comment
from commentdesk.notifications import tasks


def on_comment_submitted(sender: Any, comment: Comment, **kwargs: Any) -> None:
    """A first comment with an opted-in, unverified address: ask to verify it
    (once per commenter; later comments do not mail again)."""
    commenter = comment.commenter
    if commenter.email and commenter.notify and not commenter.email_verified:
        if not Comment.objects.filter(commenter=commenter).exclude(pk=comment.pk).exists():
            tasks.send_verification.enqueue(commenter.pk)


def on_comments_published(sender: Any, comment_ids: list[int], **kwargs: Any) -> None:
    """Queue one "published / replied" task per newly published comment whose
    author or parent's author may want mail (checked again when the task runs)."""
    wanted = Comment.objects.filter(pk__in=comment_ids).filter(
        commenter__notify=True, commenter__email_verified=True
    ).values_list("pk", flat=True)
    replies = Comment.objects.filter(pk__in=comment_ids, parent__commenter__notify=True,
                                     parent__commenter__email_verified=True).values_list("pk", flat=True)
    for comment_id in sorted(set(wanted) | set(replies)):
        tasks.notify_published.enqueue(comment_id)
