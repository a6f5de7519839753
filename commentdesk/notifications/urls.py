from django.urls import path

from commentdesk.notifications import views

app_name = "notifications"
urlpatterns = [
    path("verify/<str:token>/", views.verify, name="verify"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("digest-off/<str:token>/", views.digest_off, name="digest_off"),
]
