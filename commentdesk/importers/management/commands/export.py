"""``commentdesk export --site SLUG FILE``: the whole site as one JSON Lines file
(commentdesk's native format; ``commentdesk import native FILE`` restores it)."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commentdesk.importers import native
from commentdesk.sites.models import Site


class Command(BaseCommand):
    help = ("Export a site (settings, desk rights, word lists, threads, commenters, comments, revisions, "
            "flags, bans, audit log) to a JSON Lines file; '-' writes to standard output.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", required=True, help="slug of the site to export")
        parser.add_argument("file", help="the file to write (replaced if it exists), or - for standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        site = Site.objects.filter(slug=options["site"]).first()
        if site is None:
            raise CommandError(f"There is no site {options['site']!r}.")
        if options["file"] == "-":
            # UTF-8 and \n whatever the locale says, as in a file.
            out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
            try:
                counts = native.export_site(site, out)
                out.flush()
            except BrokenPipeError as exc:
                # the reader went away (``| head``): Python's own advice, os.devnull for what is left
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise CommandError("standard output was closed before the export was complete") from exc
            finally:
                out.detach()
            report = sys.stderr
        else:
            path = Path(options["file"])
            if path.is_dir():  # refused before the export is written, not when renaming the result
                raise CommandError(f"{path}: is a directory; give a file name")
            if not path.parent.is_dir():
                raise CommandError(f"{path.parent}: no such directory")
            try:
                counts = native.export_to_path(site, path)
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror or exc}") from exc
            report = self.stdout
        summary = ", ".join(f"{counts[s.type]} {s.type}" for s in native.SECTIONS if counts[s.type])
        report.write(f"Exported {site.slug} to {options['file']}: {summary}\n")
