"""Admin registrations: Scores and nudges (read-only), classifier versions, word lists, policies."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from commentdesk.triage.models import ClassifierModel, Nudge, Score, TriagePolicy, WordList


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    """Scores are written by triage only; the admin shows them."""

    list_display = ("comment", "state", "risk", "model_version", "scored_at")
    list_filter = ("state",)
    readonly_fields = [f.name for f in Score._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ClassifierModel)
class ClassifierModelAdmin(admin.ModelAdmin):
    """Versions are trained by ``commentdesk triage train``; only ``is_active`` changes here."""

    list_display = ("version", "site", "created_at", "is_active")
    list_filter = ("is_active", "site")
    exclude = ("blob",)
    readonly_fields = ("site", "version", "created_at", "trained_on", "metrics")

    def has_add_permission(self, request: Any) -> bool:
        return False


@admin.register(WordList)
class WordListAdmin(admin.ModelAdmin):
    """A site's banned and suspect terms, one list per language and kind."""

    list_display = ("site", "language", "kind", "updated_at")
    list_filter = ("site", "kind", "language")


@admin.register(TriagePolicy)
class TriagePolicyAdmin(admin.ModelAdmin):
    """A site's link limit, blocked domains, URL shorteners, automation, nudge and
    retraining (site admins edit them in the desk: ``/desk/<site>/triage/``)."""

    list_display = ("site", "max_links", "auto_approve_below", "auto_reject_above", "nudge_enabled", "retrain_after")


@admin.register(Nudge)
class NudgeAdmin(admin.ModelAdmin):
    """Readers' choices after a nudge before posting; written by the reader API only."""

    list_display = ("comment", "choice", "created_at")
    list_filter = ("choice",)
    readonly_fields = ("comment", "choice", "created_at")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
