from django.contrib import admin

from commentdesk.sites.models import Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "policy", "body_max_length", "edit_window")
    search_fields = ("slug", "name")
