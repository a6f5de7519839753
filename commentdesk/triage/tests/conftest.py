"""Triage test helpers: ``scorers(*entries)`` sets ``TRIAGE_SCORERS``."""

from __future__ import annotations

from typing import Any

import pytest

from commentdesk.comments.models import Comment
from commentdesk.comments.tests.factories import CommentFactory, ThreadFactory
from commentdesk.sites.models import Site

TEST = "commentdesk.triage.tests.scorers."
LANGUAGE = {"NAME": "commentdesk.triage.scorers.language.LanguageScorer"}


@pytest.fixture
def scorers(settings: Any) -> Any:
    """``scorers(*entries)``: use exactly these ``TRIAGE_SCORERS`` entries."""

    def use(*entries: dict[str, Any]) -> None:
        settings.TRIAGE_SCORERS = list(entries)

    return use


@pytest.fixture
def make_comment(site: Site) -> Any:
    """``make_comment(body, **fields)``: a pending comment of ``site``."""
    thread = ThreadFactory(site=site, key="/triage/1")

    def make(body: str = "A comment.", **fields: Any) -> Comment:
        return CommentFactory(thread=thread, body=body, **fields)

    return make
