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
from commentdesk.moderation.signals import settings_json
from commentdesk.moderation.views.base import desk_view, page
from commentdesk.sites.models import Site


@desk_view
def site_settings(request: HttpRequest, site: Site) -> HttpResponse:
    """A site admin's settings; every change is written to the audit log with the
    old and new values (JSON of the changed fields only, in the same shape as the
    entries of changes made from the command line or the admin)."""
    if not is_site_admin(request.user, site):
        raise PermissionDenied("Only the site's admins may change its settings.")
    before = site.settings_dict()
    if request.method == "POST":
        form = SiteSettingsForm(request.POST, instance=site)
        if form.is_valid():
            with transaction.atomic():
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
            messages.success(request, f"Settings saved ({', '.join(changed)})." if changed else "No changes to save.")
            return redirect("desk:settings", site=saved.slug)
        status = 400
    else:
        form = SiteSettingsForm(instance=site)
        status = 200
    return page(request, site, "desk/settings.html", {"form": form}, status=status)
