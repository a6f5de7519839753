"""Receivers that keep the audit log complete for changes made outside the desk."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from commentdesk.moderation.models import AuditLogEntry
from commentdesk.sites.models import Site


def settings_json(values: dict[str, Any]) -> str:
    """Settings as stable, readable JSON for the audit log's before/after texts."""
    return json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)


def settings_version(values: dict[str, Any]) -> str:
    """A digest (32 hex characters of SHA-256 over :func:`settings_json`) of stored
    settings: a settings page carries the one it was made from (field ``seen``),
    and a save made from an older one is refused, so that an admin does not
    silently undo another admin's change made meanwhile."""
    return hashlib.sha256(settings_json(values).encode("utf-8")).hexdigest()[:32]


def on_site_settings_changed(sender: Any, site: Site, actor: Any, before: dict[str, Any], after: dict[str, Any],
                             **kwargs: Any) -> None:
    """One ``settings`` entry with only the fields that changed (nothing if none did)."""
    changed = sorted(k for k in after if before.get(k) != after[k]) if before else sorted(after)
    if not changed:
        return
    AuditLogEntry.build(
        site, actor, AuditLogEntry.Action.SETTINGS,
        actor_name=None if actor is not None else "command line",
        note=("created the site" if not before else "changed: " + ", ".join(changed)),
        before_text=settings_json({k: before[k] for k in changed if k in before}),
        after_text=settings_json({k: after[k] for k in changed}),
    ).save()
