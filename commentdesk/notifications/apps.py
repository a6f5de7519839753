from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "commentdesk.notifications"
    label = "notifications"

    def ready(self) -> None:
        from commentdesk.comments.signals import comment_submitted, comments_published
        from commentdesk.notifications import signals

        comment_submitted.connect(signals.on_comment_submitted, dispatch_uid="notifications.verify")
        comments_published.connect(signals.on_comments_published, dispatch_uid="notifications.published")
