"""Background e-mail tasks (Django's tasks framework; the database backend by
default, run by ``commentdesk db_worker``). Each task re-reads the database, so
a task that runs late never mails about something no longer true."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from commentdesk.comments.models import Comment, Commenter
from commentdesk.notifications import tokens
from commentdesk.notifications.mail import absolute, send
from commentdesk.notifications.models import Digest
from commentdesk.sites.models import Site


def _unsubscribe_url(commenter: Commenter) -> str:
    return absolute(f"/notifications/unsubscribe/{tokens.make('unsubscribe', commenter.public_id, commenter.email)}/")


@task
def send_verification(commenter_id: int) -> bool:
    """Ask a commenter who opted in to confirm their address. Returns whether mail was sent."""
    commenter = Commenter.objects.select_related("site").filter(pk=commenter_id).first()
    if commenter is None or not commenter.email or commenter.email_verified or not commenter.notify:
        return False
    link = absolute(f"/notifications/verify/{tokens.make('verify', commenter.public_id, commenter.email)}/")
    send(commenter.email, f"Confirm your e-mail address for {commenter.site.name}",
         "notifications/verify.txt", {"commenter": commenter, "site": commenter.site, "verify_url": link},
         _unsubscribe_url(commenter))
    return True


def _wants_mail(commenter: Commenter | None) -> bool:
    return bool(commenter and commenter.email and commenter.email_verified and commenter.notify
                and not commenter.is_banned())


@task
def notify_published(comment_id: int) -> int:
    """Tell the author their comment is published, and the parent's author that
    someone replied. Only approved comments, only verified opted-in addresses.
    Returns the number of e-mails sent."""
    comment = (
        Comment.objects.approved().select_related("site", "thread", "commenter", "parent__commenter")
        .filter(pk=comment_id).first()
    )
    if comment is None:
        return 0
    sent = 0
    link = comment.thread.url or absolute("/")
    if _wants_mail(comment.commenter):
        send(comment.commenter.email, f"Your comment on {comment.site.name} is published",
             "notifications/published.txt", {"comment": comment, "link": link}, _unsubscribe_url(comment.commenter))
        sent += 1
    parent = comment.parent
    if (parent is not None and parent.status == Comment.Status.APPROVED and parent.commenter_id != comment.commenter_id
            and _wants_mail(parent.commenter)):
        send(parent.commenter.email, f"{comment.author_name} replied to your comment on {comment.site.name}",
             "notifications/reply.txt", {"comment": comment, "parent": parent, "link": link},
             _unsubscribe_url(parent.commenter))
        sent += 1
    return sent


@task
def send_digest(site_id: int) -> int:
    """E-mail a site's moderators (those with an address and digests on) how many
    comments wait and since when. Returns the number of recipients."""
    from commentdesk.moderation.models import Membership

    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        return 0
    pending = Comment.objects.filter(site=site, status=Comment.Status.PENDING)
    count = pending.count()
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    if not count or oldest is None:
        return 0
    members = Membership.objects.filter(site=site, digest=True).select_related("user").exclude(user__email="")
    recipients = [m for m in members if m.user.is_active]
    now = timezone.now()
    for membership in recipients:
        user = membership.user
        off = absolute(f"/notifications/digest-off/{tokens.make('digest-off', str(membership.pk), user.email)}/")
        send(user.email, f"[{site.name}] {count} comment{'' if count == 1 else 's'} waiting for moderation",
             "notifications/digest.txt",
             {"site": site, "count": count, "waiting_minutes": int((now - oldest).total_seconds() // 60),
              "desk_url": absolute(f"/desk/{site.slug}/"), "user": user}, off)
    Digest.objects.create(site=site, sent_at=now, pending=count, recipients=len(recipients))
    return len(recipients)
