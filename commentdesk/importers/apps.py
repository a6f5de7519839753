from django.apps import AppConfig


class ImportersConfig(AppConfig):
    name = "commentdesk.importers"
    label = "importers"
