"""The moderation desk (Django templates, session login, CSRF).

Thin views: they parse a form, call ``moderation.decisions`` / ``queues`` /
``threads``, and render. Every page works without JavaScript; ``desk.js`` adds
keyboard shortcuts and decides through the JSON moderation API
(``moderation/api.py``) without reloading the queue.

- ``base``: site resolution (:func:`desk_view`), rendering, shared lookups;
- ``queue``: the queue page, decisions, undo and closing articles without JavaScript;
- ``edits``: a moderator's edit with revisions and word diffs;
- ``commenters``: a commenter's history, bans and trust;
- ``site_settings``: a site admin's settings;
- ``audit``: the audit log and its CSV export.

Site separation: every view under ``/desk/<site>/`` goes through
:func:`desk_view`, which answers 403 when the user has no rights on the site
(404 when the site does not exist); a comment or commenter id of another site
answers 404. Tab counts are partly cached: see ``views.queue``.
"""

from commentdesk.moderation.views.audit import AUDIT_PAGE_SIZE, audit_csv, audit_entries, audit_log
from commentdesk.moderation.views.base import desk_site, desk_view
from commentdesk.moderation.views.commenters import COMMENTER_RECENT, ban, commenter, trust, unban
from commentdesk.moderation.views.edits import edit, readable_diff, revision_history
from commentdesk.moderation.views.queue import (
    COUNTS_CACHE_SECONDS,
    PAGE_SIZE,
    decide,
    decision_question,
    decision_text,
    home,
    queue,
    tab_counts,
    thread_state,
    undo,
    waited,
)
from commentdesk.moderation.views.site_settings import site_settings

__all__ = [
    "AUDIT_PAGE_SIZE",
    "COMMENTER_RECENT",
    "COUNTS_CACHE_SECONDS",
    "PAGE_SIZE",
    "audit_csv",
    "audit_entries",
    "audit_log",
    "ban",
    "commenter",
    "decide",
    "decision_question",
    "decision_text",
    "desk_site",
    "desk_view",
    "edit",
    "home",
    "queue",
    "readable_diff",
    "revision_history",
    "site_settings",
    "tab_counts",
    "thread_state",
    "trust",
    "unban",
    "undo",
    "waited",
]
