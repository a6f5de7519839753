"""Composing and sending commentdesk's e-mails (plain text, Django's mail framework).

Every e-mail carries a one-click unsubscribe link, in its text and in the
``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers (RFC 8058).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string


def absolute(path: str) -> str:
    """``path`` on the public base URL (``COMMENTDESK_BASE_URL``)."""
    return settings.COMMENTDESK_BASE_URL.rstrip("/") + path


def send(to: str, subject: str, template: str, context: dict[str, Any], unsubscribe_url: str) -> None:
    """Render ``template`` (plain text) with ``context`` and send it to ``to``."""
    body = render_to_string(template, {**context, "unsubscribe_url": unsubscribe_url})
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    ).send()
