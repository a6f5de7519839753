"""The desk's URLs (under ``/desk/``). Every page of a site is ``/desk/<site>/…``."""

from django.contrib.auth import views as auth_views
from django.urls import path

from commentdesk.moderation import views
from commentdesk.moderation.views.login import DeskLoginView
from commentdesk.triage.views import campaign_decide, campaigns, triage_settings

app_name = "desk"
urlpatterns = [
    path("login/", DeskLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("<slug:site>/", views.queue, name="queue"),
    path("<slug:site>/decide/", views.decide, name="decide"),
    path("<slug:site>/undo/", views.undo, name="undo"),
    path("<slug:site>/threads/state/", views.thread_state, name="thread_state"),
    path("<slug:site>/comments/<str:comment_id>/edit/", views.edit, name="edit"),
    path("<slug:site>/commenters/<str:commenter_id>/", views.commenter, name="commenter"),
    path("<slug:site>/commenters/<str:commenter_id>/ban/", views.ban, name="ban"),
    path("<slug:site>/commenters/<str:commenter_id>/unban/", views.unban, name="unban"),
    path("<slug:site>/commenters/<str:commenter_id>/trust/", views.trust, name="trust"),
    path("<slug:site>/settings/", views.site_settings, name="settings"),
    path("<slug:site>/triage/", triage_settings, name="triage"),
    path("<slug:site>/campaigns/", campaigns, name="campaigns"),
    path("<slug:site>/campaigns/<int:campaign_id>/decide/", campaign_decide, name="campaign_decide"),
    path("<slug:site>/audit/", views.audit_log, name="audit"),
    path("<slug:site>/audit.csv", views.audit_csv, name="audit_csv"),
]
