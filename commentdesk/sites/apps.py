from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "commentdesk.sites"
    label = "sites"
