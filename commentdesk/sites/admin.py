from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from commentdesk.sites.models import Site
from commentdesk.sites.signals import site_settings_changed


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "policy", "body_max_length", "edit_window")
    search_fields = ("slug", "name")

    def save_model(self, request: HttpRequest, obj: Site, form: Any, change: bool) -> None:
        before = Site.objects.get(pk=obj.pk).settings_dict() if change else {}
        super().save_model(request, obj, form, change)
        site_settings_changed.send(sender=Site, site=obj, actor=request.user, before=before, after=obj.settings_dict())

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deleting a site deletes its comments and audit log: not from a form
