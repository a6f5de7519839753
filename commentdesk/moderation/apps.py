from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "commentdesk.moderation"
    label = "moderation"
