from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from commentdesk.comments.admin import ReadOnlyAdmin
from commentdesk.moderation.models import AuditLogEntry, Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Desk rights; every grant, change and removal is written to the site's audit log."""

    list_display = ("user", "site", "role")
    list_filter = ("site", "role")

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        self._log(request, obj, f"{'changed' if change else 'granted'} {obj.role} rights of {obj.user}"
                                f"{' for ' + ', '.join(obj.languages) if obj.languages else ''}")

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        self._log(request, obj, f"removed the rights of {obj.user}")
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def _log(self, request: HttpRequest, obj: Membership, note: str) -> None:
        AuditLogEntry.build(obj.site, request.user, AuditLogEntry.Action.MEMBERSHIP, note=note).save()


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "site", "actor_name", "action", "comment_public_id", "reason")
    list_filter = ("site", "action")
