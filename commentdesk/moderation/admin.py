from django.contrib import admin

from commentdesk.comments.admin import ReadOnlyAdmin
from commentdesk.moderation.models import AuditLogEntry, Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "site", "role")
    list_filter = ("site", "role")


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "site", "actor_name", "action", "comment_public_id", "reason")
    list_filter = ("site", "action")
