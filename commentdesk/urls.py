"""URL map: the API, the desk, the widget and demo page, and Django's admin."""

from django.contrib import admin
from django.urls import include, path

from commentdesk.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("desk/", include("commentdesk.moderation.urls")),
    path("admin/", admin.site.urls),
    path("notifications/", include("commentdesk.notifications.urls")),
    path("", include("commentdesk.embed.urls")),
]

# A form over the request size limit (a desk page's word lists) is told so, not a bare 400.
handler400 = "commentdesk.lib.http.bad_request"
