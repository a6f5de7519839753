"""``commentdesk import SOURCE FILE --site SLUG``: import another system's export,
or ``commentdesk import native FILE``: restore a site from ``commentdesk export``.

One subcommand per source (``disqus``, ``wordpress``, ``isso``, ``isso-json``,
``commento``, ``remark42``), each with the common options below, and ``native``
(its file names its site). The summary
is one line on stdout; progress goes to stderr (a bar on a terminal, plain
count lines otherwise).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commentdesk.importers import commento, disqus, isso, native, remark42, wordpress
from commentdesk.importers.base import (
    ImportFileError,
    Progress,
    Record,
    Source,
    Writer,
    check_file,
    fingerprint,
)
from commentdesk.sites.models import Site

# source name (also Comment.import_source) → (parser, help)
IMPORTERS: dict[str, tuple[Callable[..., Iterator[Record]], str]] = {
    "disqus": (disqus.parse, "a Disqus XML export"),
    "wordpress": (wordpress.parse, "a WordPress WXR export (1.0, 1.1, 1.2)"),
    "isso": (isso.parse_database, "an Isso SQLite database (opened read-only)"),
    "isso-json": (isso.parse_generic, "Isso's generic JSON import format"),
    "commento": (commento.parse, "a Commento JSON export"),
    "remark42": (remark42.parse, "a Remark42 backup (JSON lines)"),
}
BATCH_MAX = 5000


def add_common_arguments(parser: CommandParser) -> None:
    """The arguments every source's subcommand takes: FILE, --site, --dry-run, --batch-size."""
    parser.add_argument("file", type=Path, help="the export file")
    parser.add_argument("--site", required=True, help="slug of the site to import into")
    parser.add_argument("--dry-run", action="store_true", help="read and count, store nothing")
    parser.add_argument("--batch-size", type=int, default=500,
                        help=f"records per transaction (default 500, at most {BATCH_MAX})")


class Command(BaseCommand):
    help = "Import comments from another system's export file into a site, or a commentdesk export."

    def add_arguments(self, parser: CommandParser) -> None:
        sources = parser.add_subparsers(dest="source", required=True, metavar="SOURCE")
        for name, (_parse, help_text) in IMPORTERS.items():
            sub = sources.add_parser(name, help=help_text)
            add_common_arguments(sub)
            sub.add_argument("--rewrite-url", nargs=2, action="append", default=[], metavar=("FROM", "TO"),
                             help="replace the URL prefix FROM by TO before making thread keys (repeatable)")
            if name == "disqus":
                sub.add_argument("--key-from", choices=["link", "id"], default="link",
                                 help="key threads by the article URL's path (default) or the Disqus identifier")
        nat = sources.add_parser("native", help="a file of `commentdesk export` (restores the whole site)")
        nat.add_argument("file", type=Path, help="the export file")
        nat.add_argument("--dry-run", action="store_true", help="check the file and count, store nothing")
        nat.add_argument("--batch-size", type=int, default=1000,
                         help=f"records per transaction (default 1000, at most {BATCH_MAX})")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        check_file(path)
        if not 1 <= options["batch_size"] <= BATCH_MAX:
            raise CommandError(f"--batch-size must be between 1 and {BATCH_MAX}")
        if any(not old.strip() for old, _new in options.get("rewrite_url", [])):
            raise CommandError("--rewrite-url: FROM may not be empty or blank (it would begin every URL or none); "
                               "give the old URL prefix, e.g. http://old.example/blog/")
        if options["source"] == "native":
            self.handle_native(path, options)
            return
        site = Site.objects.filter(slug=options["site"]).first()
        if site is None:
            raise CommandError(f"There is no site {options['site']!r}; create it with `commentdesk createsite`.")
        name = options["source"]
        parse = IMPORTERS[name][0]
        rewrites = [(old, new) for old, new in options["rewrite_url"]]
        extra = {"key_from": options["key_from"]} if name == "disqus" else {}
        progress = Progress(getattr(self.stderr, "_out", sys.stderr), total=path.stat().st_size,
                            dry_run=options["dry_run"])
        writer = Writer(site, name, batch_size=options["batch_size"], dry_run=options["dry_run"],
                        fingerprint=fingerprint(path, name, {"rewrite": rewrites, **extra}),
                        file_name=path.name, progress=progress)
        try:
            summary = writer.consume(parse(Source(path, rewrites, progress), **extra))
        except ImportFileError as exc:
            progress.close()
            kept = (f" ({writer.batches} earlier batches of this file are stored; after fixing it, run the "
                    "import again: it adds only what is missing)") if writer.batches else ""
            raise CommandError(f"{exc}{kept}") from exc
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
