"""System checks of triage's configuration (``commentdesk check``)."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def check_scorers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``triage.E001``: ``TRIAGE_SCORERS`` names a scorer that cannot be built."""
    from django.conf import settings

    from commentdesk.triage.pipeline import build_scorers

    try:
        build_scorers(settings.TRIAGE_SCORERS)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="triage.E001")]
    return []
