"""``commentdesk report --site SLUG --since DATE [--until DATE]``: transparency summary."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from commentdesk.moderation.reports import transparency_report
from commentdesk.sites.models import Site


def parse_day_or_time(value: str) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO 8601 time; raises CommandError."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date like 2026-11-01") from exc
    if len(value) == 10:
        parsed = datetime.combine(parsed.date(), time.min)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Print a site's moderation counts by action and reason, and time from submission to decision."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", required=True)
        parser.add_argument("--since", required=True, help="start day (YYYY-MM-DD, UTC) or time")
        parser.add_argument("--until", help="end (exclusive); default now")

    def handle(self, *args: Any, **options: Any) -> None:
        site = Site.objects.filter(slug=options["site"]).first()
        if site is None:
            raise CommandError(f"There is no site {options['site']!r}.")
        since = parse_day_or_time(options["since"])
        until = parse_day_or_time(options["until"]) if options["until"] else timezone.now() + timedelta(seconds=1)
        if until <= since:
            raise CommandError("--until must be after --since")
        for line in transparency_report(site, since, until).lines():
            self.stdout.write(line)
