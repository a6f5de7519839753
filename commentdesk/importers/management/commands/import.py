"""``commentdesk import disqus FILE --site SLUG``: import another system's export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commentdesk.importers import disqus
from commentdesk.importers.base import ImportFileError, Writer
from commentdesk.sites.models import Site

PARSERS = {"disqus": disqus.parse}


class Command(BaseCommand):
    help = "Import comments from another system's export file into a site."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=sorted(PARSERS), help="the export's format")
        parser.add_argument("file", type=Path, help="the export file")
        parser.add_argument("--site", required=True, help="slug of the site to import into")
        parser.add_argument("--key-from", choices=["link", "id"], default="link",
                            help="key threads by the article URL's path (default) or the source's own id")
        parser.add_argument("--dry-run", action="store_true", help="read and count, store nothing")
        parser.add_argument("--batch-size", type=int, default=500, help="comments per transaction (default 500)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        site = Site.objects.filter(slug=options["site"]).first()
        if site is None:
            raise CommandError(f"There is no site {options['site']!r}; create it with `commentdesk createsite`.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        writer = Writer(site, options["format"], batch_size=options["batch_size"], dry_run=options["dry_run"])
        try:
            summary = writer.consume(PARSERS[options["format"]](path, key_from=options["key_from"]))
        except ImportFileError as exc:
            raise CommandError(f"{exc} (what was read before the error is kept; run the import again "
                               "after fixing the file: it adds only what is missing)") from exc
        prefix = "Dry run, nothing stored: " if options["dry_run"] else "Imported "
        self.stdout.write(f"{prefix}{path.name} into {site.slug}: {summary.line()}")
