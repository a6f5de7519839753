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
    """Run a management command; ``argv`` defaults to ``sys.argv``.

    A database that was never migrated, a PostgreSQL database that does not
    exist, or an environment variable with a value that cannot be used
    (:class:`~commentdesk.lib.errors.SettingError`) ends the command with one line
    saying so (exit code 1) instead of a traceback.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commentdesk.settings")
    from importlib import import_module

    from django.core.management import execute_from_command_line

    from commentdesk.lib.errors import SettingError

    try:
        import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    except SettingError as exc:
        sys.exit(f"commentdesk: {exc}")
    from django.db import DatabaseError

    args = list(sys.argv if argv is None else argv)
    args[0] = "commentdesk"
    try:
        execute_from_command_line(args)
    except DatabaseError as exc:
        message = str(exc)
        from django.conf import settings

        db = settings.DATABASES["default"]
        name = db["NAME"]
        if f'database "{name}" does not exist' in message:
            sys.exit(f"commentdesk: PostgreSQL at {db.get('HOST') or 'localhost'} has no database {name}: create it "
                     f"(`createdb -h {db.get('HOST') or 'localhost'} -U {db.get('USER') or 'postgres'} {name}`), "
                     "then run `commentdesk migrate`")
        if "no such table" not in message and not ("relation" in message and "does not exist" in message):
            raise
        sys.exit(f"commentdesk: the database {name} has no commentdesk tables yet ({str(exc).splitlines()[0]}); "
                 "run `commentdesk migrate` first")


if __name__ == "__main__":
    main()
