"""``commentdesk commenter export|erase``: a reader's rights over their data.

- ``commenter export WHO [--site SLUG] [--output FILE]``: everything held about
  the commenter records of WHO (an e-mail address or a ``u_…`` id), on every
  site or one, as one JSON document on stdout (also with ``--output -``) or in
  a new FILE (never overwritten; created readable by its owner only).
- ``commenter erase WHO --mode anonymise|delete [--site SLUG] [--dry-run]
  [--no-input]``: erase them (see :mod:`commentdesk.privacy.rights`); asks for
  confirmation unless ``--no-input``; ``--dry-run`` prints what would happen.

Both record audit-log entries (by ``--operator``, default "system") holding no
personal data. An unknown address or site, or a bad argument, is a clear error
(exit code 1) and changes nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from commentdesk.lib.errors import CommentdeskError
from commentdesk.privacy import rights


class Command(BaseCommand):
    help = "Export or erase all data held about a commenter (by e-mail address or u_… id)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ex = sub.add_parser("export", help="all data held about a commenter, as JSON")
        ex.add_argument("who", help="e-mail address or commenter id (u_…)")
        ex.add_argument("--site", help="only this site (slug); default every site")
        ex.add_argument("--output", help="write to this new file (made private); without it, or with '-', standard output")
        ex.add_argument("--operator", default="system", help="who runs this, for the audit log")
        er = sub.add_parser("erase", help="anonymise or delete a commenter's data")
        er.add_argument("who", help="e-mail address or commenter id (u_…)")
        er.add_argument("--mode", required=True, choices=rights.MODES,
                        help="anonymise: keep approved texts under 'former commenter'; delete: remove them")
        er.add_argument("--site", help="only this site (slug); default every site")
        er.add_argument("--dry-run", action="store_true", help="say what would happen; change nothing")
        er.add_argument("--no-input", "--noinput", action="store_false", dest="interactive",
                        help="do not ask for confirmation")
        er.add_argument("--operator", default="system", help="who runs this, for the audit log")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"handle_{options['action']}")(**options)
        except CommentdeskError as exc:
            details = "; ".join(p for problems in (exc.fields or {}).values() for p in problems)
            raise CommandError(details or exc.message) from exc

    def handle_export(self, **options: Any) -> None:
        """Write the export (JSON, UTF-8, indented) and record it."""
        commenters = rights.find_commenters(options["who"], options["site"])
        output = None if options["output"] in (None, "-") else Path(options["output"])
        if output is not None and output.is_dir():
            raise CommandError(f"{output} is a directory; give a file name (e.g. {output / 'export.json'})")
        if output is not None and output.exists():
            raise CommandError(f"{output} exists; give a new file name")
        with transaction.atomic():  # the audit entries stay only if the export was written
            data = rights.export(commenters, operator=options["operator"])
            text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
            if output is None:
                self.stdout.write(text, ending="")
                return
            try:
                fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as exc:
                raise CommandError(f"cannot write {output}: {exc.strerror}") from exc
        self.stderr.write(f"exported {len(commenters)} commenter record(s) to {output}")

    def handle_erase(self, **options: Any) -> None:
        """Print the plan per commenter record, then (unless a dry run) carry it out."""
        commenters = rights.find_commenters(options["who"], options["site"])
        plans = [rights.plan_erasure(c, options["mode"]) for c in commenters]
        for plan in plans:
            self.stdout.write(("would erase " if options["dry_run"] else "erasing ") + plan.summary())
            if plan.commenter.is_banned():
                self.stdout.write(f"  note: {plan.commenter.public_id} is banned; erasing removes the e-mail "
                                  f"address, IP hash and token the ban recognises them by")
        if options["dry_run"]:
            self.stdout.write("dry run: nothing changed")
            return
        if options["interactive"]:
            try:
                answer = input("This cannot be undone. Type 'yes' to continue: ")
            except EOFError:  # no terminal to answer (cron, < /dev/null): no consent
                answer = ""
            if answer.strip().lower() != "yes":
                raise CommandError("erasure cancelled; nothing changed")
        with transaction.atomic():  # every record of WHO, or none
            done = [rights.erase(c, options["mode"], operator=options["operator"]) for c in commenters]
        for plan in done:
            self.stdout.write("erased " + plan.summary())
