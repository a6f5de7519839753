"""The desk's triage page (``/desk/<site>/triage/``): a site admin edits the
word lists per language and the triage policy (links, automation, nudge,
retraining). Every change is one ``settings`` entry in the audit log with the
changed values before and after; a moderator without the admin role gets 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from commentdesk.moderation.models import AuditLogEntry
from commentdesk.moderation.permissions import is_site_admin
from commentdesk.moderation.signals import settings_json
from commentdesk.moderation.views.base import desk_view, page
from commentdesk.sites.models import Site
from commentdesk.triage.forms import TriagePolicyForm, WordListsForm
from commentdesk.triage.models import TriagePolicy, WordList


def policy_values(policy: TriagePolicy) -> dict[str, Any]:
    """The policy's editable values by field name (for the audit log)."""
    return {name: getattr(policy, name) for name in TriagePolicyForm._meta.fields}


def list_key(language: str, kind: str) -> str:
    """The audit log's name of one word list: ``banned terms (ko)``, ``suspect terms (every language)``."""
    return f"{kind} terms ({language or 'every language'})"


@desk_view
def triage_settings(request: HttpRequest, site: Site) -> HttpResponse:
    """GET: the forms; POST: validate both forms, save both or neither (400 with
    the problems marked), write one audit-log entry naming what changed."""
    if not is_site_admin(request.user, site):
        raise PermissionDenied("Only the site's admins may change its triage settings.")
    policy = TriagePolicy.for_site(site.pk)
    before = policy_values(policy)
    if request.method == "POST":
        words = WordListsForm(site, request.POST)
        form = TriagePolicyForm(site, request.POST, instance=policy)
        if words.is_valid() and form.is_valid():
            changed = save(request, site, words, form, before)
            messages.success(request, f"Triage settings saved ({', '.join(changed)})." if changed
                             else "No changes to save.")
            return redirect("desk:triage", site=site.slug)
        status = 400
    else:
        words = WordListsForm(site)
        form = TriagePolicyForm(site, instance=policy)
        status = 200
    return page(request, site, "triage/settings.html", {"words": words, "form": form}, status=status)


def save(request: HttpRequest, site: Site, words: WordListsForm, form: TriagePolicyForm,
         before_policy: dict[str, Any]) -> list[str]:
    """Store the valid forms in one transaction; returns the names of what changed."""
    with transaction.atomic():
        current = {(w.language, w.kind): w for w in WordList.objects.select_for_update().filter(site=site)}
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
                before[name], after[name] = before_policy.get(name), value
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
