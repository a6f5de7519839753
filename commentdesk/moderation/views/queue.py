"""The queue page, decisions and undo without JavaScript, closing an article.

Tab counts: the pending count is exact on every page view up to
``PENDING_EXACT_UP_TO`` (a count that stops there reads at most that many index
entries); the other tabs' counts (flagged, approved, rejected, spam, all), and a
pending count above that, group every row of the site, too slow to repeat on
each view of a site with millions of comments, so they are kept
``COUNTS_CACHE_SECONDS`` in Django's cache per site, filters and language desk
(shared between processes when the cache is Redis). They may lag that long
behind decisions; each count's tooltip says so, and desk.js updates the counts
in the page after each decision it makes.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from commentdesk.comments.models import Comment, Commenter, Thread
from commentdesk.lib.errors import CommentdeskError
from commentdesk.moderation import decisions
from commentdesk.moderation.forms import ORDERS, DecisionForm, QueueFilterForm, ThreadStateForm, UndoForm, reason_label
from commentdesk.moderation.permissions import allowed_languages, moderated_sites
from commentdesk.moderation.queues import STATUSES, QueueFilter, queue_counts, queue_page, queue_queryset
from commentdesk.moderation.views.base import back_url, desk_view, error_text, page, pop_undo
from commentdesk.sites.models import Site
from commentdesk.triage.models import Nudge

# Comments drawn per page: what a moderator reads before desk.js appends the next ones.
PAGE_SIZE = 25
# Seconds the non-pending tab counts are kept (see the module docstring).
COUNTS_CACHE_SECONDS = 30
# Up to this many, the pending count is exact on every view (see the module docstring).
PENDING_EXACT_UP_TO = 1000


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


def tab_counts(site: Site, filters: QueueFilter) -> dict[str, int]:
    """Each tab's count under ``filters``: pending exact up to
    ``PENDING_EXACT_UP_TO`` (a COUNT that stops there), the others — and a larger
    pending count — from a cache of ``COUNTS_CACHE_SECONDS`` keyed by site and
    filters (the tab aside), so they may lag that long behind decisions."""
    pending = queue_queryset(site, replace(filters, status="pending"))[: PENDING_EXACT_UP_TO + 1].count()
    shape = {k: v for k, v in asdict(replace(filters, status="all")).items()}
    digest = hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()[:32]
    key = f"desk:counts:{site.pk}:{digest}"
    counts: dict[str, int] | None = cache.get(key)
    if counts is None:
        counts = queue_counts(site, filters)
        cache.set(key, counts, COUNTS_CACHE_SECONDS)
    if pending > PENDING_EXACT_UP_TO:
        # Over the cap the cached count is the best figure; it cannot be below what was just seen.
        pending = max(counts["pending"], pending)
    return {**counts, "pending": pending}


def waited(since: datetime | None, now: datetime) -> str:
    """How long ago, briefly: ``just now``, ``12 min``, ``5 h``, ``3 d``.

    >>> from datetime import UTC, datetime, timedelta
    >>> t = datetime(2026, 2, 1, tzinfo=UTC)
    >>> [waited(t - d, t) for d in (timedelta(seconds=20), timedelta(minutes=12), timedelta(hours=5), timedelta(days=3))]
    ['just now', '12 min', '5 h', '3 d']
    """
    if since is None:
        return ""
    seconds = max((now - since).total_seconds(), 0)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def _with_context(request: HttpRequest, site: Site, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add what the desk shows beside each queue item and the API does not carry:
    trusted badge, whether the article is closed, flags grouped by reason, the
    reader's choice after a nudge before posting, times and links ready to
    print. Three queries whatever the page size; no URL
    reversing per item (the queue page renders 50 of these)."""
    now = timezone.now()
    trusted = set(
        Commenter.objects.filter(site=site, trusted=True, public_id__in={i["commenter"]["id"] for i in items})
        .values_list("public_id", flat=True)
    )
    closed = set(
        Thread.objects.filter(site=site, is_closed=True, key__in={i["thread"]["key"] for i in items})
        .values_list("key", flat=True)
    )
    nudge_labels = dict(Nudge.Choice.choices)
    comments = reverse("desk:edit", args=[site.slug, "ID"]).split("ID")
    commenters = reverse("desk:commenter", args=[site.slug, "ID"]).split("ID")
    back = "?next=" + quote(request.get_full_path(), safe="")
    for item in items:
        created = parse_datetime(item["created_at"] or "")
        age = waited(created, now)
        item["when"] = f"{created:%-d %b, %H:%M} · {age}{'' if age == 'just now' else ' ago'}" if created else ""
        item["when_full"] = f"{created:%Y-%m-%d %H:%M} UTC" if created else ""
        item["edit_url"] = item["id"].join(comments) + back
        item["commenter_url"] = item["commenter"]["id"].join(commenters) + back
        item["commenter"]["trusted"] = item["commenter"]["id"] in trusted
        item["thread"]["is_closed"] = item["thread"]["key"] in closed
        item["thread"]["name"] = item["thread"]["title"] or item["thread"]["key"]
        item["thread_q"] = quote(item["thread"]["key"], safe="")
        item["flag_summary"] = Counter(f["reason"] for f in item["flags"]).most_common()
        item["nudge_label"] = str(nudge_labels[item["nudge"]]) if item["nudge"] else ""
    return items


@desk_view
def queue(request: HttpRequest, site: Site) -> HttpResponse:
    """A queue tab of ``site``, filtered, 50 comments a page, with tab counts."""
    languages = allowed_languages(request.user, site)
    form = QueueFilterForm(site, languages, request.GET)
    filters = form.filters()
    order = form.chosen_order()
    cursor = request.GET.get("cursor") or None
    try:
        items, next_cursor = queue_page(site, filters, order=order, limit=PAGE_SIZE, cursor=cursor)
    except CommentdeskError:
        messages.error(request, "That page link is no longer valid; here is the first page.")
        cursor = None
        items, next_cursor = queue_page(site, filters, order=order, limit=PAGE_SIZE)
    counts = tab_counts(site, filters)
    undo = pop_undo(request, site)
    query = request.GET.copy()
    for name in ("status", "cursor"):
        query.pop(name, None)
    filter_query = query.urlencode()
    tabs = [(s, counts.get(s, 0)) for s in STATUSES]
    return page(
        request,
        site,
        "desk/queue.html",
        {
            "items": _with_context(request, site, items),
            "status": filters.status,
            "order": order,
            "orders": ORDERS,
            "form": form,
            "filtered": form.active(),
            "filter_query": filter_query,
            "tabs": tabs,
            "counts": counts,
            "counts_cache_seconds": COUNTS_CACHE_SECONDS,
            "pending_exact": counts["pending"] <= PENDING_EXACT_UP_TO,
            "next_cursor": next_cursor,
            "next_query": _with(request, cursor=next_cursor) if next_cursor else "",
            "first_query": _with(request, cursor=None),
            "is_later_page": bool(cursor),
            "reasons": [(code, reason_label(code)) for code in site.reason_codes],
            # Printed in every item's form: built once (the codes are validated snake_case, and escaped here).
            "reason_options": format_html_join("", '<option value="{}">{}</option>',
                                               [("", "— reason —")] + [(c, reason_label(c)) for c in site.reason_codes]),
            "csrf_input": format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)),
            "decide_url": reverse("desk:decide", args=[site.slug]),
            "thread_state_url": reverse("desk:thread_state", args=[site.slug]),
            "here": request.get_full_path(),
            "undo": undo,
            "page_size": PAGE_SIZE,
            "campaign": filters.campaign,
            "campaigns_url": reverse("desk:campaigns", args=[site.slug]),
        },
    )


def _with(request: HttpRequest, **changes: str | None) -> str:
    """The current query string with ``changes`` applied (None removes a parameter)."""
    query = request.GET.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = value
    return query.urlencode()


DECISION_VERBS = {
    "approve": "Approved {n}.",
    "reject": "Rejected {n} ({reason}).",
    "spam": "Marked {n} as spam ({reason}).",
    "restore": "Restored {n} to pending.",
}


def decision_text(action: str, count: int, reason: str = "") -> str:
    """The message after a decision: ``Approved 1 comment.``, ``Rejected 3 comments
    (personal attack).`` — desk.js words its messages the same way."""
    n = f"{count} comment" if count == 1 else f"{count} comments"
    return DECISION_VERBS[action].format(n=n, reason=reason_label(reason))


QUESTIONS = {
    "approve": "Approve {n}?",
    "reject": "Reject {n} ({reason})?",
    "spam": "Mark {n} as spam ({reason})?",
    "restore": "Restore {n} to pending?",
}


def decision_question(action: str, count: int, reason: str = "") -> str:
    n = f"{count} comment" if count == 1 else f"{count} comments"
    return QUESTIONS[action].format(n=n, reason=reason_label(reason))


@desk_view
@require_POST
def decide(request: HttpRequest, site: Site) -> HttpResponse:
    """One decision on one or more comments (the queue's forms without JavaScript).
    More than one comment asks for a confirmation first (``confirm=1``). The forms
    send the text version of each comment shown, so an author's edit since the
    page was drawn refuses the decision (409) instead of deciding on unseen text."""
    form = DecisionForm(site, request.POST)
    if not form.is_valid():
        for errs in form.errors.values():
            messages.error(request, " ".join(errs))
        return redirect(back_url(request, site))
    data = form.cleaned_data
    action = data["action"]
    if action in decisions.NEEDS_REASON and not data["reason"]:
        messages.error(request, "Choose a reason from the site's list to reject or mark as spam.")
        return redirect(back_url(request, site))
    if len(data["comment_ids"]) > 1 and request.POST.get("confirm") != "1":
        return page(request, site, "desk/confirm.html", {
            "data": data, "question": decision_question(action, len(data["comment_ids"]), data["reason"]),
            "versions": [f"{cid}:{v}" for cid, v in form.versions().items()], "next": back_url(request, site)})
    try:
        done = decisions.decide(site, data["comment_ids"], action, request.user, data["reason"], data["note"],
                                versions=form.versions())
    except CommentdeskError as exc:
        messages.error(request, f"Nothing was changed: {error_text(exc)}")
    else:
        entries = [c.audit_entry_id for c in done if c.audit_entry_id]
        unchanged = len(done) - len(entries)
        status = decisions.ACTIONS[action]
        if not entries:
            messages.info(request, f"Nothing changed: {'it was' if unchanged == 1 else f'all {unchanged} were'} "
                                   f"already {status}.")
            return redirect(back_url(request, site))
        text = decision_text(action, len(entries), data["reason"])
        if unchanged:
            text += f" {unchanged} {'was' if unchanged == 1 else 'were'} already {status}."
        messages.success(request, text)
        request.session["desk_undo"] = {"site": site.slug, "entry_ids": entries, "text": text}
    return redirect(back_url(request, site))


@desk_view
@require_POST
def undo(request: HttpRequest, site: Site) -> HttpResponse:
    """Undo one decision (all of its comments, or none) without JavaScript."""
    form = UndoForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing to undo.")
        return redirect(back_url(request, site))
    try:
        with transaction.atomic():
            restored = [decisions.undo(site, entry_id, request.user) for entry_id in form.cleaned_data["entry_ids"]]
    except CommentdeskError as exc:
        messages.error(request, f"Could not undo: {error_text(exc)}")
    else:
        n = len(restored)
        messages.success(request, f"Undone: {n} comment{'' if n == 1 else 's'} back as before.")
    return redirect(back_url(request, site))


@desk_view
@require_POST
def thread_state(request: HttpRequest, site: Site) -> HttpResponse:
    """Close or reopen an article's comments (threads.set_closed)."""
    from commentdesk.lib.text import normalise_thread_key
    from commentdesk.moderation.threads import set_closed

    form = ThreadStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say which article to close or reopen.")
        return redirect(back_url(request, site))
    thread = Thread.objects.filter(site=site, key=normalise_thread_key(form.cleaned_data["key"])).first()
    if thread is None:
        raise Http404("This site has no article with this key.")
    thread = set_closed(thread, form.cleaned_data["closed"], request.user)
    name = thread.title or thread.key
    messages.success(request, f"Comments on “{name}” are {'closed' if thread.is_closed else 'open again'}.")
    return redirect(back_url(request, site))
