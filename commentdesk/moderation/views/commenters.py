"""A commenter's page: history, ban (permanent or until a day), unban, trust."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from commentdesk.comments.models import Comment, Commenter
from commentdesk.lib.errors import CommentdeskError
from commentdesk.moderation import decisions
from commentdesk.moderation.forms import BanForm
from commentdesk.moderation.models import Ban
from commentdesk.moderation.permissions import allowed_languages
from commentdesk.moderation.queues import QueueFilter, queue_queryset
from commentdesk.moderation.views.base import commenter_or_404, desk_view, error_text, page, safe_next
from commentdesk.sites.models import Site

# Comments listed on a commenter's page, newest first.
COMMENTER_RECENT = 50


def _to_page(request: HttpRequest, site: Site, person: Commenter) -> HttpResponse:
    """Back to the commenter's page, keeping its way back to the queue."""
    url = reverse("desk:commenter", args=[site.slug, person.public_id])
    back = safe_next(request)
    return redirect(f"{url}?{urlencode({'next': back})}" if back else url)


def note_of(request: HttpRequest) -> str:
    """The optional note for the audit log: at most 2,000 characters, no NUL."""
    return request.POST.get("note", "").replace("\x00", "")[:2000]


@desk_view
def commenter(request: HttpRequest, site: Site, commenter_id: str) -> HttpResponse:
    """A commenter's history: counts by status, recent comments, bans; ban, unban, trust."""
    person = commenter_or_404(site, commenter_id)
    return _commenter_page(request, site, person, BanForm(site))


def _commenter_page(request: HttpRequest, site: Site, person: Commenter, ban_form: BanForm,
                    status: int = 200) -> HttpResponse:
    by_status = dict(person.comments.order_by().values_list("status").annotate(n=Count("id")))
    recent = (
        queue_queryset(site, QueueFilter(status="all", commenter=person.public_id,
                                         languages=allowed_languages(request.user, site)))
        .select_related("thread")
        .order_by("-created_at", "-id")[:COMMENTER_RECENT]
    )
    bans = Ban.objects.filter(commenter=person).select_related("created_by").order_by("-created_at", "-id")
    return page(request, site, "desk/commenter.html", {
        "person": person,
        # "removed" (erased at the author's request) only when there are some.
        "counts": [(s, by_status.get(s, 0)) for s in Comment.Status.values
                   if s != Comment.Status.REMOVED or by_status.get(s)],
        "total": sum(by_status.values()),
        "pending": by_status.get(Comment.Status.PENDING, 0),
        "recent": recent,
        "recent_limit": COMMENTER_RECENT,
        "bans": bans,
        "banned": person.is_banned(),
        "ban_form": ban_form,
        "queue_query": f"status=all&commenter={person.public_id}",
        "next": safe_next(request),
    }, status=status)


@desk_view
@require_POST
def ban(request: HttpRequest, site: Site, commenter_id: str) -> HttpResponse:
    person = commenter_or_404(site, commenter_id)
    form = BanForm(site, request.POST)
    if form.is_valid():
        try:
            decisions.ban(site, person.public_id, request.user, form.cleaned_data["reason"], form.until_datetime(),
                          form.cleaned_data["reject_pending"], form.cleaned_data["note"])
        except CommentdeskError as exc:
            for field, errs in (exc.fields or {"__all__": [exc.message]}).items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            until = form.until_datetime()
            messages.success(request, f"{person.name} is banned "
                                      f"{'until ' + until.strftime('%Y-%m-%d') if until else 'permanently'}.")
            return _to_page(request, site, person)
    return _commenter_page(request, site, person, form, status=400)


@desk_view
@require_POST
def unban(request: HttpRequest, site: Site, commenter_id: str) -> HttpResponse:
    person = commenter_or_404(site, commenter_id)
    try:
        decisions.unban(site, person.public_id, request.user, note_of(request))
    except CommentdeskError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"The ban of {person.name} is lifted.")
    return _to_page(request, site, person)


@desk_view
@require_POST
def trust(request: HttpRequest, site: Site, commenter_id: str) -> HttpResponse:
    """``trusted=1`` trusts the commenter, ``trusted=0`` withdraws trust."""
    person = commenter_or_404(site, commenter_id)
    trusted = request.POST.get("trusted") == "1"
    decisions.set_trusted(site, person.public_id, trusted, request.user, note_of(request))
    messages.success(request, f"{person.name} is {'trusted' if trusted else 'no longer trusted'}.")
    return _to_page(request, site, person)
