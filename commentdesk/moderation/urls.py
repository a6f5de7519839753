from django.contrib.auth import views as auth_views
from django.urls import path

from commentdesk.moderation import views

app_name = "desk"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="desk/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("<slug:site>/", views.queue, name="queue"),
    path("<slug:site>/decide/", views.decide, name="decide"),
    path("<slug:site>/comments/<str:comment_id>/edit/", views.edit, name="edit"),
    path("<slug:site>/audit/", views.audit_log, name="audit"),
    path("<slug:site>/audit.csv", views.audit_csv, name="audit_csv"),
]
