"""Read-only views of threads and comments: every change to a comment must go
through ``moderation.decisions`` so that it lands in the audit log."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from commentdesk.comments.models import Comment, Thread


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdmin):
    list_display = ("site", "key", "title", "is_closed", "created_at")
    list_filter = ("site", "is_closed")
    search_fields = ("key", "title")


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "site", "status", "author_name", "created_at")
    list_filter = ("site", "status")
    search_fields = ("public_id", "body")
    exclude = ("ip_hash", "edit_token_hash")
