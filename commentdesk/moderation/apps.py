from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "commentdesk.moderation"
    label = "moderation"

    def ready(self) -> None:
        from commentdesk.moderation.signals import on_site_settings_changed
        from commentdesk.sites.signals import site_settings_changed

        site_settings_changed.connect(on_site_settings_changed, dispatch_uid="moderation.audit_site_settings")
