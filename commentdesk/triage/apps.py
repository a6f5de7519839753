from django.apps import AppConfig


class TriageConfig(AppConfig):
    """Connects scoring to ``comment_submitted``, ``comment_edited`` and ``comments_imported``, forgets
    remembered settings when they change, and registers the set-up checks."""

    name = "commentdesk.triage"
    label = "triage"

    def ready(self) -> None:
        from django.core import checks
        from django.core.signals import setting_changed
        from django.db.models.signals import post_delete, post_save

        from commentdesk.comments.signals import comment_edited, comment_submitted, comments_imported
        from commentdesk.sites.models import Site
        from commentdesk.triage import checks as triage_checks
        from commentdesk.triage import rows  # noqa: F401  (registers the ``any`` lookup)
        from commentdesk.triage import signals
        from commentdesk.triage.models import ClassifierModel, TriagePolicy, WordList

        comment_submitted.connect(signals.on_comment_submitted, dispatch_uid="triage.score")
        comment_edited.connect(signals.on_comment_edited, dispatch_uid="triage.rescore")
        comments_imported.connect(signals.on_comments_imported, dispatch_uid="triage.imported")
        setting_changed.connect(signals.on_setting_changed, dispatch_uid="triage.settings")
        checks.register(triage_checks.check_scorers, "triage")
        for sender in (WordList, TriagePolicy, ClassifierModel, Site):
            for signal in (post_save, post_delete):
                signal.connect(signals.on_triage_settings_saved, sender=sender,
                               dispatch_uid=f"triage.stamp.{sender.__name__}")
