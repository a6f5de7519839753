"""``commentdesk createsite SLUG --name NAME --origin URL…``"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from commentdesk.sites.models import Site
from commentdesk.sites.signals import site_settings_changed


class Command(BaseCommand):
    help = "Create a site (a publication), or update the named settings of an existing one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--origin", action="append", default=[], dest="origins",
                            help="an origin whose pages embed the widget, e.g. https://news.example (repeatable)")
        parser.add_argument("--policy", choices=[p.value for p in Site.Policy], default=None)
        parser.add_argument("--terms-url", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        site = Site.objects.filter(slug=options["slug"]).first() or Site(slug=options["slug"])
        created = site.pk is None
        before = {} if created else site.settings_dict()
        site.name = options["name"]
        if options["origins"] or created:
            site.allowed_origins = [o.rstrip("/") for o in options["origins"]]
        if options["policy"]:
            site.policy = options["policy"]
        if options["terms_url"] is not None:
            site.terms_url = options["terms_url"]
        if not site.reason_codes:
            from commentdesk.sites.models import DEFAULT_REASON_CODES

            site.reason_codes = list(DEFAULT_REASON_CODES)
        try:
            site.full_clean()
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        site.save()
        site_settings_changed.send(sender=Site, site=site, actor=None, before=before, after=site.settings_dict())
        self.stdout.write(f"{'Created' if created else 'Updated'} site {site.slug} ({site.name}); "
                          f"origins: {', '.join(site.allowed_origins) or 'any'}; policy: {site.policy}")
