"""The audit log: a filtered page and the CSV export."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.dateparse import parse_date

from commentdesk.moderation.forms import AuditFilterForm
from commentdesk.moderation.models import AuditLogEntry
from commentdesk.moderation.permissions import allowed_languages, language_q
from commentdesk.moderation.views.base import desk_view, page
from commentdesk.sites.models import Site

# Audit-log rows on one page; the CSV export has them all.
AUDIT_PAGE_SIZE = 200


def audit_entries(request: HttpRequest, site: Site) -> QuerySet[AuditLogEntry]:
    """A site's audit log filtered by the query: ``action``, ``actor`` (user name),
    ``comment`` (public id), ``since``/``until`` (YYYY-MM-DD, UTC, until exclusive).
    A value that cannot match (a NUL character, an impossible day) is ignored.
    A language desk sees the entries about comments of its languages (and the
    site's other entries: settings, bans, trust), not those about other
    languages' comments or comments since deleted: they may hold their texts."""

    def param(name: str) -> str:
        value = request.GET.get(name, "")
        return "" if "\x00" in value else value

    entries = AuditLogEntry.objects.filter(site=site)
    languages = allowed_languages(request.user, site)
    if languages is not None:
        entries = entries.filter(Q(comment__isnull=True, comment_public_id="")
                                 | Q(comment__isnull=False) & language_q(languages, "comment__"))
    if param("action") in AuditLogEntry.Action.values:
        entries = entries.filter(action=param("action"))
    if param("actor"):
        entries = entries.filter(actor_name=param("actor"))
    if param("comment"):
        entries = entries.filter(comment_public_id=param("comment"))
    for name, lookup in (("since", "created_at__date__gte"), ("until", "created_at__date__lt")):
        try:
            day = parse_date(param(name)) if len(param(name)) == 10 else None
        except ValueError:  # well formed but impossible, e.g. 2026-02-30
            day = None
        if day:
            entries = entries.filter(**{lookup: day})
    return entries.order_by("-created_at", "-id")


@desk_view
def audit_log(request: HttpRequest, site: Site) -> HttpResponse:
    entries = list(audit_entries(request, site).select_related("commenter", "thread")[: AUDIT_PAGE_SIZE + 1])
    return page(request, site, "desk/audit.html", {
        "entries": entries[:AUDIT_PAGE_SIZE],
        "more": len(entries) > AUDIT_PAGE_SIZE,
        "page_size": AUDIT_PAGE_SIZE,
        "form": AuditFilterForm(request.GET or None),
        "filtered": any(request.GET.get(n) for n in ("action", "actor", "comment", "since", "until")),
        "query": request.GET.urlencode(),
    })


CSV_COLUMNS = ["created_at", "actor_name", "action", "comment_public_id", "from_status", "to_status", "reason",
               "note", "before_text", "after_text"]


class _Echo:
    def write(self, value: str) -> str:
        return value


@desk_view
def audit_csv(request: HttpRequest, site: Site) -> StreamingHttpResponse:
    """The (filtered) audit log as CSV, streamed row by row."""
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        for entry in audit_entries(request, site).iterator(chunk_size=2000):
            values = [getattr(entry, c) for c in CSV_COLUMNS]
            values[0] = entry.created_at.isoformat()
            # Cells starting with = + - @ TAB or CR are formulas to spreadsheets (OWASP, CSV injection).
            yield writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
                                   for v in values])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{site.slug}.csv"'
    return response
