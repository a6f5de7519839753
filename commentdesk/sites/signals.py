"""Signals of the sites app.

``site_settings_changed(sender=Site, site: Site, actor: User | None, before: dict, after: dict)``
    A site's settings were created or changed outside the desk (command line,
    Django admin). ``before``/``after`` map changed field names to values
    (``before`` is empty for a new site). ``moderation`` writes it to the audit log.
"""

from django.dispatch import Signal

site_settings_changed = Signal()
