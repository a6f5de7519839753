from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "commentdesk.comments"
    label = "comments"
