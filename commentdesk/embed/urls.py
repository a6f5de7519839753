from django.urls import path

from commentdesk.embed import views

app_name = "embed"
urlpatterns = [
    path("", views.demo_index, name="index"),
    path("embed.js", views.asset, {"name": "embed.js"}, name="embed_js"),
    path("embed.css", views.asset, {"name": "embed.css"}, name="embed_css"),
    path("thread/", views.demo_thread, name="thread"),
]
