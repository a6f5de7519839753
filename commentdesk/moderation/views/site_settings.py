"""A site's settings, for its admins; every change goes to the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from commentdesk.moderation.forms import SiteSettingsForm
from commentdesk.moderation.models import AuditLogEntry
from commentdesk.moderation.permissions import is_site_admin
from commentdesk.moderation.signals import settings_json, settings_version
from commentdesk.moderation.views.base import carried_version, desk_view, page
from commentdesk.sites.models import Site


@desk_view
def site_settings(request: HttpRequest, site: Site) -> HttpResponse:
    """A site admin's settings; every change is written to the audit log with the
    old and new values (JSON of the changed fields only, in the same shape as the
    entries of changes made from the command line or the admin). The page
    carries the version of the settings it was made from (``seen``,
    :func:`~commentdesk.moderation.signals.settings_version`): a save made from
    a page older than another admin's save stores nothing and answers 409 with
    this admin's input and a note (saving it again is then a choice)."""
    if not is_site_admin(request.user, site):
        raise PermissionDenied("Only the site's admins may change its settings.")
    before = site.settings_dict()
    conflict = False
    if request.method == "POST":
        form = SiteSettingsForm(request.POST, instance=site)
        if form.is_valid():
            with transaction.atomic():
                stored = Site.objects.select_for_update().get(pk=site.pk).settings_dict()
                seen = request.POST.get("seen", "")
                conflict = bool(seen) and seen != settings_version(stored)
                if not conflict:
                    saved = form.save()
                    after = saved.settings_dict()
                    changed = sorted(name for name in after if after[name] != before.get(name))
                    if changed:
                        AuditLogEntry.build(
                            saved, request.user, AuditLogEntry.Action.SETTINGS,
                            note="changed: " + ", ".join(changed),
                            before_text=settings_json({n: before[n] for n in changed}),
                            after_text=settings_json({n: after[n] for n in changed}),
                        ).save()
            if not conflict:
                messages.success(request, f"Settings saved ({', '.join(changed)})." if changed
                                 else "No changes to save.")
                return redirect("desk:settings", site=saved.slug)
            before = stored  # the page now knows the other admin's version
        status = 409 if conflict else 400
    else:
        form = SiteSettingsForm(instance=site)
        status = 200
    return page(request, site, "desk/settings.html", {
        "form": form, "conflict": conflict, "seen": carried_version(request, status, settings_version(before))},
        status=status)
