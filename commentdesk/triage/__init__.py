"""Triage: everything that scores a comment before a person sees it.

A pipeline of pluggable scorers (``TRIAGE_SCORERS``, dotted paths plus options,
like ``AUTH_PASSWORD_VALIDATORS``) runs after a comment is stored: cheap scorers
in the request, the others as a background task. Their output is one
:class:`~commentdesk.triage.models.Score` per comment, which the moderation
queue orders by and shows. Triage imports ``comments`` and ``sites``; nothing
in those apps imports triage.
"""
