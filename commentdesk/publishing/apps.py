from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "commentdesk.publishing"
    label = "publishing"

    def ready(self) -> None:
        from commentdesk.comments.signals import thread_changed
        from commentdesk.publishing.signals import on_thread_changed

        thread_changed.connect(on_thread_changed, dispatch_uid="publishing.refresh_snapshot")
