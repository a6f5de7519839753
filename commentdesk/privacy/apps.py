from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Readers' data rights (export, erasure) and the retention of identifiers.

    No models of its own: it reads and changes ``comments``, ``moderation`` and
    ``triage`` rows, and its settings live on ``sites.Site``.
    """

    name = "commentdesk.privacy"
    label = "privacy"
