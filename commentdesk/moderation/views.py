"""The moderation desk (Django templates, session login, CSRF). Thin views: the
work is in ``moderation.decisions`` and ``moderation.queues``."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.dateparse import parse_date
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from commentdesk.comments.models import Comment
from commentdesk.lib.errors import CommentdeskError
from commentdesk.moderation import decisions
from commentdesk.moderation.forms import DecisionForm, EditForm
from commentdesk.moderation.models import AuditLogEntry
from commentdesk.moderation.permissions import allowed_languages, moderated_sites, site_for_moderator
from commentdesk.moderation.queues import STATUSES, QueueFilter, queue_counts, queue_page
from commentdesk.sites.models import Site

ORDERS = ("oldest", "newest")


def desk_site(request: HttpRequest, slug: str) -> Site:
    """The site for a desk page; 404 when unknown, 403 without rights."""
    try:
        return site_for_moderator(request.user, slug)
    except CommentdeskError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        raise PermissionDenied(exc.message) from exc


@login_required
def home(request: HttpRequest) -> HttpResponse:
    sites = list(moderated_sites(request.user))
    if len(sites) == 1:
        return redirect("desk:queue", site=sites[0].slug)
    pending = dict(
        Comment.objects.filter(site__in=sites, status=Comment.Status.PENDING)
        .values_list("site_id")
        .annotate(n=Count("id"))
    )
    rows = [(s, pending.get(s.pk, 0)) for s in sites]
    return render(request, "desk/home.html", {"rows": rows})


@login_required
def queue(request: HttpRequest, site: str) -> HttpResponse:
    obj = desk_site(request, site)
    filters = QueueFilter(
        status=request.GET.get("status") if request.GET.get("status") in STATUSES else "pending",
        languages=allowed_languages(request.user, obj),
    )
    status = filters.status
    order = request.GET.get("order", "oldest")
    order = order if order in ORDERS else "oldest"
    cursor = request.GET.get("cursor") or None
    try:
        items, next_cursor = queue_page(obj, filters, order=order, limit=50, cursor=cursor)
    except CommentdeskError:
        items, next_cursor = queue_page(obj, filters, order=order, limit=50)
    counts = queue_counts(obj, filters)
    return render(
        request,
        "desk/queue.html",
        {
            "site": obj,
            "items": items,
            "status": status,
            "order": order,
            "next_cursor": next_cursor,
            "counts": counts,
            "statuses": STATUSES,
            "reasons": obj.reason_codes,
            "here": request.get_full_path(),
        },
    )


def _back(request: HttpRequest, site: Site) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return f"/desk/{site.slug}/"


@login_required
@require_POST
def decide(request: HttpRequest, site: str) -> HttpResponse:
    obj = desk_site(request, site)
    form = DecisionForm(obj, request.POST)
    if not form.is_valid():
        for field, errs in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errs)}")
        return redirect(_back(request, obj))
    data = form.cleaned_data
    try:
        done = decisions.decide(obj, data["comment_ids"], data["action"], request.user, data["reason"], data["note"])
    except CommentdeskError as exc:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.fields or {}).items())
        messages.error(request, detail or exc.message)
    else:
        messages.success(request, f"{data['action'].capitalize()}: {len(done)} comment(s).")
    return redirect(_back(request, obj))


@login_required
def edit(request: HttpRequest, site: str, comment_id: str) -> HttpResponse:
    obj = desk_site(request, site)
    comment = Comment.objects.filter(site=obj, public_id=comment_id).select_related("thread").first()
    if comment is None:
        raise Http404("No such comment on this site.")
    if request.method == "POST":
        form = EditForm(obj, request.POST)
        if form.is_valid():
            try:
                decisions.edit(comment, form.cleaned_data["body"], request.user, form.cleaned_data["reason"],
                               form.cleaned_data["note"])
            except CommentdeskError as exc:
                for field, errs in (exc.fields or {"body": [exc.message]}).items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                messages.success(request, "Edited; the earlier text is kept as a revision.")
                return redirect(_back(request, obj))
    else:
        form = EditForm(obj, initial={"body": comment.body})
    revisions = comment.revisions.select_related("editor_user")
    return render(
        request,
        "desk/edit.html",
        {"site": obj, "comment": comment, "form": form, "revisions": revisions,
         "next": request.GET.get("next", f"/desk/{obj.slug}/")},
    )


def audit_entries(request: HttpRequest, site: Site) -> QuerySet[AuditLogEntry]:
    """A site's audit log filtered by the query: ``action``, ``actor`` (user name),
    ``comment`` (public id), ``since``/``until`` (YYYY-MM-DD, UTC, until exclusive)."""
    entries = AuditLogEntry.objects.filter(site=site)
    if request.GET.get("action") in AuditLogEntry.Action.values:
        entries = entries.filter(action=request.GET["action"])
    if request.GET.get("actor"):
        entries = entries.filter(actor_name=request.GET["actor"])
    if request.GET.get("comment"):
        entries = entries.filter(comment_public_id=request.GET["comment"])
    for name, lookup in (("since", "created_at__date__gte"), ("until", "created_at__date__lt")):
        day = parse_date(request.GET.get(name, "") or "") if len(request.GET.get(name, "")) == 10 else None
        if day:
            entries = entries.filter(**{lookup: day})
    return entries.order_by("-created_at", "-id")


@login_required
def audit_log(request: HttpRequest, site: str) -> HttpResponse:
    obj = desk_site(request, site)
    entries = audit_entries(request, obj)[:200]
    return render(request, "desk/audit.html", {"site": obj, "entries": entries, "actions": AuditLogEntry.Action.choices,
                                               "query": request.GET.urlencode()})


CSV_COLUMNS = ["created_at", "actor_name", "action", "comment_public_id", "from_status", "to_status", "reason",
               "note", "before_text", "after_text"]


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def audit_csv(request: HttpRequest, site: str) -> StreamingHttpResponse:
    """The (filtered) audit log as CSV, streamed row by row."""
    obj = desk_site(request, site)
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        for entry in audit_entries(request, obj).iterator(chunk_size=2000):
            values = [getattr(entry, c) for c in CSV_COLUMNS]
            values[0] = entry.created_at.isoformat()
            # Cells starting with = + - @ are formulas to spreadsheets (CSV injection): quote them.
            yield writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v
                                   for v in values])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{obj.slug}.csv"'
    return response
