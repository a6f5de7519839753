"""The one command-line entry point, ``commentdesk``.

Every sub-command is a Django management command of the app that owns it, so
``commentdesk import disqus FILE --site demo`` runs
``commentdesk.importers.management.commands.import``. The pattern is
``django/__main__.py``'s: set the settings module, then hand ``argv`` to Django.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command; ``argv`` defaults to ``sys.argv``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commentdesk.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "commentdesk"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
