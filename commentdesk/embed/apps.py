from django.apps import AppConfig


class EmbedConfig(AppConfig):
    name = "commentdesk.embed"
    label = "embed"
