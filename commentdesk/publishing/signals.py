"""Receivers: rebuild a thread's snapshot whenever what readers see may change."""

from __future__ import annotations

from typing import Any

from commentdesk.publishing import snapshots


def on_thread_changed(sender: Any, thread_id: int, **kwargs: Any) -> None:
    snapshots.refresh(thread_id)
