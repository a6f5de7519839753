"""``commentdesk import SOURCE FILE …``: import another system's export, or
commentdesk's own (``native``), one subcommand per source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commentdesk.importers import disqus, native
from commentdesk.importers.base import ImportFileError, Writer
from commentdesk.sites.models import Site

PARSERS = {"disqus": disqus.parse}


class Command(BaseCommand):
    help = "Import comments from another system's export file into a site, or a commentdesk export."

    def add_arguments(self, parser: CommandParser) -> None:
        sources = parser.add_subparsers(dest="format", required=True, metavar="SOURCE")
        dsq = sources.add_parser("disqus", help="a Disqus XML export")
        dsq.add_argument("file", type=Path, help="the export file")
        dsq.add_argument("--site", required=True, help="slug of the site to import into")
        dsq.add_argument("--key-from", choices=["link", "id"], default="link",
                         help="key threads by the article URL's path (default) or the source's own id")
        dsq.add_argument("--dry-run", action="store_true", help="read and count, store nothing")
        dsq.add_argument("--batch-size", type=int, default=500, help="comments per transaction (default 500)")
        nat = sources.add_parser("native", help="a file of `commentdesk export` (restores the whole site)")
        nat.add_argument("file", type=Path, help="the export file")
        nat.add_argument("--dry-run", action="store_true", help="check the file and count, store nothing")
        nat.add_argument("--batch-size", type=int, default=1000, help="records per transaction (default 1000)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        if options["format"] == "native":
            self.handle_native(path, options)
            return
        site = Site.objects.filter(slug=options["site"]).first()
        if site is None:
            raise CommandError(f"There is no site {options['site']!r}; create it with `commentdesk createsite`.")
        writer = Writer(site, options["format"], batch_size=options["batch_size"], dry_run=options["dry_run"])
        try:
            summary = writer.consume(PARSERS[options["format"]](path, key_from=options["key_from"]))
        except ImportFileError as exc:
            raise CommandError(f"{exc} (what was read before the error is kept; run the import again "
                               "after fixing the file: it adds only what is missing)") from exc
        prefix = "Dry run, nothing stored: " if options["dry_run"] else "Imported "
        self.stdout.write(f"{prefix}{path.name} into {site.slug}: {summary.line()}")

    def handle_native(self, path: Path, options: dict[str, Any]) -> None:
        try:
            plan, tally, resumed = native.import_file(path, batch_size=options["batch_size"],
                                                      dry_run=options["dry_run"])
        except native.NativeFileError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        if options["dry_run"]:
            counts = ", ".join(f"{plan.counts[s.type]} {s.type}" for s in native.SECTIONS if plan.counts[s.type])
            where = "into the existing site (a resume)" if resumed else "as a new site"
            self.stdout.write(f"Dry run, nothing stored: {path.name} is a valid export of {plan.slug} "
                              f"({counts}); it would be imported {where}")
            return
        self.stdout.write(f"Imported {path.name} into {plan.slug}{' (resumed)' if resumed else ''}: {tally.line()}")
