"""The desk's triage pages.

``/desk/<site>/triage/``: a site admin edits the word lists per language and
the triage policy (links, automation, nudge, retraining). Every change is one
``settings`` entry in the audit log with the changed values before and after; a
moderator without the admin role gets 403.

``/desk/<site>/campaigns/``: every moderator of the site sees the near-duplicate
campaigns with pending comments, opens one in the queue, or decides on all its
pending comments at once (after a confirmation that lists them; the decision is
an ordinary bulk decision of ``moderation.decide``, logged and undoable)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from commentdesk.moderation.models import AuditLogEntry
from commentdesk.moderation.decisions import MAX_BULK
from commentdesk.moderation.permissions import allowed_languages, is_site_admin
from commentdesk.moderation.queues import QueueFilter, queue_queryset
from commentdesk.moderation.signals import settings_json, settings_version as version_of
from commentdesk.moderation.views.base import carried_version, desk_view, page, pop_undo
from commentdesk.sites.models import Site
from commentdesk.triage.campaigns import pending_campaigns
from commentdesk.triage.forms import CampaignDecisionForm, TriagePolicyForm, WordListsForm
from commentdesk.triage.models import Campaign, TriagePolicy, WordList

# Campaigns listed on the campaign page; comments shown on a campaign decision's confirmation.
CAMPAIGNS_SHOWN = 50
MEMBERS_SHOWN = 20


def policy_values(policy: TriagePolicy) -> dict[str, Any]:
    """The policy's editable values by field name (for the audit log)."""
    return {name: getattr(policy, name) for name in TriagePolicyForm._meta.fields}


def list_key(language: str, kind: str) -> str:
    """The audit log's name of one word list: ``banned terms (ko)``, ``suspect terms (every language)``."""
    return f"{kind} terms ({language or 'every language'})"


class ChangedMeanwhile(Exception):
    """The settings changed after the page being saved was made (another admin saved)."""


def settings_version(lists: dict[tuple[str, str], str], policy: dict[str, Any]) -> str:
    """A digest (hex) of a site's stored word lists (``{(language, kind): terms}``)
    and triage policy values: the page carries the one it was made from (field
    ``seen``), and a save made from an older one is refused."""
    return version_of({"lists": {f"{language}|{kind}": terms for (language, kind), terms in lists.items() if terms},
                       "policy": policy})


def stored_lists(site: Site) -> dict[tuple[str, str], str]:
    """{(language, kind): terms} of the site's stored word lists."""
    return {(language, kind): terms for language, kind, terms
            in WordList.objects.filter(site=site).values_list("language", "kind", "terms")}


@desk_view
def triage_settings(request: HttpRequest, site: Site) -> HttpResponse:
    """GET: the forms; POST: validate both forms, save both or neither (400 with
    the problems marked), write one audit-log entry naming what changed. A page
    made before another admin saved (its ``seen`` version is not the stored
    one) saves nothing: 409, the page again with this admin's input and a note,
    made from the stored version (so that saving it again is a choice)."""
    if not is_site_admin(request.user, site):
        raise PermissionDenied("Only the site's admins may change its triage settings.")
    policy = TriagePolicy.for_site(site.pk)
    before = policy_values(policy)
    conflict = False
    if request.method == "POST":
        words = WordListsForm(site, request.POST)
        form = TriagePolicyForm(site, request.POST, instance=policy)
        if words.is_valid() and form.is_valid():
            try:
                changed = save(request, site, words, form, before, request.POST.get("seen", ""))
            except ChangedMeanwhile:
                conflict = True
            else:
                messages.success(request, f"Triage settings saved ({', '.join(changed)})." if changed
                                 else "No changes to save.")
                return redirect("desk:triage", site=site.slug)
        status = 409 if conflict else 400
    else:
        words = WordListsForm(site)
        form = TriagePolicyForm(site, instance=policy)
        status = 200
    return page(request, site, "triage/settings.html", {
        "words": words, "form": form, "conflict": conflict,
        "seen": carried_version(request, status, settings_version(stored_lists(site), before))}, status=status)


def save(request: HttpRequest, site: Site, words: WordListsForm, form: TriagePolicyForm,
         before_policy: dict[str, Any], seen: str = "") -> list[str]:
    """Store the valid forms in one transaction; returns what changed, as the
    log names it ("banned terms (en)", "blocked domains"). ``seen``: the
    version the page was made from (:func:`settings_version`); raises
    :class:`ChangedMeanwhile`, saving nothing, when the stored one differs
    (none given: no check)."""
    with transaction.atomic():
        current = {(w.language, w.kind): w for w in WordList.objects.select_for_update().filter(site=site)}
        if seen and seen != settings_version({key: w.terms for key, w in current.items()}, before_policy):
            raise ChangedMeanwhile
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for (language, kind), terms in words.lists().items():
            row = current.get((language, kind))
            old = row.terms if row is not None else ""
            if old == terms:
                continue
            before[list_key(language, kind)], after[list_key(language, kind)] = old, terms
            if row is None:
                WordList.objects.create(site=site, language=language, kind=kind, terms=terms)
            else:
                row.terms = terms
                row.save(update_fields=["terms", "updated_at"])
        policy_changed = False
        for name, value in policy_values(form.instance).items():  # the form's values, set by is_valid()
            if before_policy.get(name) != value:
                label = name.replace("_", " ")
                before[label], after[label] = before_policy.get(name), value
                policy_changed = True
        if policy_changed:
            form.save()
        if after:
            AuditLogEntry.build(
                site, request.user, AuditLogEntry.Action.SETTINGS,
                note="triage: changed: " + ", ".join(after),
                before_text=settings_json(before), after_text=settings_json(after),
            ).save()
    return list(after)


@desk_view
def campaigns(request: HttpRequest, site: Site) -> HttpResponse:
    """The campaigns with pending comments (the moderator's languages), most pending first."""
    from commentdesk.moderation.forms import reason_choices

    languages = allowed_languages(request.user, site)
    rows = pending_campaigns(site, languages, limit=CAMPAIGNS_SHOWN)
    return page(request, site, "triage/campaigns.html", {
        "languages": ", ".join(languages) if languages is not None else "",
        "rows": rows, "shown": CAMPAIGNS_SHOWN, "reasons": reason_choices(site), "max_bulk": MAX_BULK,
        "undo": pop_undo(request, site), "here": request.get_full_path()})


@desk_view
@require_POST
def campaign_decide(request: HttpRequest, site: Site, campaign_id: int) -> HttpResponse:
    """Ask to confirm a decision on a campaign's pending comments (the oldest
    ``MAX_BULK``, of the moderator's languages): the confirmation lists them and
    carries each text's version, and posts to the queue's ``decide`` — so a
    comment edited or decided meanwhile refuses the decision (409), as in the queue."""
    from commentdesk.moderation.views.queue import decision_question

    campaign = Campaign.objects.filter(site=site, pk=campaign_id).first()
    if campaign is None:
        raise Http404("This site has no campaign with this number.")
    back = reverse("desk:campaigns", args=[site.slug])
    form = CampaignDecisionForm(site, request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(back)
    languages = allowed_languages(request.user, site)
    members = list(queue_queryset(site, QueueFilter(status="pending", languages=languages, campaign=campaign.pk))
                   .order_by("created_at", "id").select_related("thread")[:MAX_BULK])
    if not members:
        mine = f" in your languages ({', '.join(languages)})" if languages is not None else ""
        messages.info(request, f"No comment of campaign {campaign.pk}{mine} is waiting for a decision.")
        return redirect(back)
    data = {"comment_ids": [c.public_id for c in members], "action": form.cleaned_data["action"],
            "reason": form.cleaned_data["reason"], "note": f"campaign {campaign.pk}"}
    return page(request, site, "desk/confirm.html", {
        "data": data, "versions": [f"{c.public_id}:{c.version}" for c in members], "next": back,
        "question": decision_question(data["action"], len(members), data["reason"]),
        "members": members[:MEMBERS_SHOWN], "more": max(len(members) - MEMBERS_SHOWN, 0)})
