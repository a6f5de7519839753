"""Signals of the comments app, for side effects that other apps care about.

``comment_submitted(sender=Comment, comment: Comment)``
    A reader's comment was stored (any status). Sent after the transaction
    commits. Triage and notifications listen.

``comment_edited(sender=Comment, comment: Comment, editor: str)``
    The text of a comment changed: ``editor`` is ``"author"`` (the reader's
    own edit, of a pending comment) or ``"moderator"`` (an edit under the
    Terms of Use, of a comment of any status but removed).
    Sent after the transaction commits, only when the text changed. Triage
    listens (it scores the new text again).

``comments_published(sender=Comment, comment_ids: list[int])``
    Comments were approved for the first time (by a moderator or a policy).
    Sent after the transaction commits. Notifications listen.

``comments_imported(sender=Comment, comment_ids: list[int])``
    An import stored these pending comments (sent once per import, after it
    finished, in chunks of at most 1,000 ids). Triage listens: it queues their
    scoring, so that imported comments reach the language desks and the risk order.

``thread_changed(sender=Thread, thread_id: int)``
    What readers see of a thread may have changed: a comment was approved or
    withdrawn, edited, or the thread itself changed. Sent after the transaction
    commits; ``publishing`` rebuilds the thread's snapshot.
"""

from django.dispatch import Signal

comment_submitted = Signal()
comment_edited = Signal()
comments_published = Signal()
comments_imported = Signal()
thread_changed = Signal()
