"""``commentdesk createmoderator NAME --site SLUG [--admin|--moderator] [--languages ko,en|all] [--email E]
[--password] [--print-token]``"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from commentdesk.moderation.models import APIToken, AuditLogEntry, Membership
from commentdesk.sites.models import LANGUAGE_CODE, Site


class Command(BaseCommand):
    help = ("Create a moderator (or give an existing user rights) on one or more sites. "
            "With --print-token the last line printed is a new API token.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--site", action="append", required=True, dest="sites", help="site slug (repeatable)")
        roles = parser.add_mutually_exclusive_group()
        roles.add_argument("--admin", action="store_true", help="site admin role instead of moderator")
        roles.add_argument("--moderator", action="store_true",
                           help="moderator role, also for a site admin (without --admin or --moderator an existing "
                                "member keeps their role; a new one is a moderator)")
        parser.add_argument("--languages", default=None, metavar="CODES",
                            help="a language desk: the comment languages this moderator sees on these sites, comma "
                                 "separated (ko,en), among each site's languages; all: every language (default for "
                                 "a new member; an existing one keeps theirs)")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", action="store_true",
                            help="generate a password and print it once (else set one with `commentdesk changepassword`)")
        parser.add_argument("--print-token", action="store_true", help="issue an API token and print it last")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        name_field = User._meta.get_field(User.USERNAME_FIELD)
        try:
            name_field.clean(options["name"], None)
            if options["email"]:
                validate_email(options["email"])
                User._meta.get_field("email").clean(options["email"], None)
        except ValidationError as exc:
            raise CommandError(f"{' '.join(exc.messages)} (given {options['name']!r}"
                               f"{', ' + repr(options['email']) if options['email'] else ''})") from exc
        sites = []
        for slug in dict.fromkeys(options["sites"]):
            site = Site.objects.filter(slug=slug).first()
            if site is None:
                raise CommandError(f"There is no site {slug!r}; create it with `commentdesk createsite`.")
            sites.append(site)
        languages = self.languages(options["languages"], sites)
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=options["name"], defaults={"email": options["email"]})
            password = None
            if options["password"] or created:
                if options["password"]:
                    password = secrets.token_urlsafe(12)
                    user.set_password(password)
                else:
                    user.set_unusable_password()
                user.save()
            asked = (Membership.Role.ADMIN if options["admin"] else
                     Membership.Role.MODERATOR if options["moderator"] else None)
            roles = []
            desks = []
            for site in sites:
                member = Membership.objects.filter(user=user, site=site).first()
                current = member.role if member else None
                role = asked or current or Membership.Role.MODERATOR
                roles.append(role)
                if role != current:
                    member, _ = Membership.objects.update_or_create(user=user, site=site, defaults={"role": role})
                    AuditLogEntry.build(site, None, AuditLogEntry.Action.MEMBERSHIP, actor_name="command line",
                                        note=f"granted {role} rights of {user.get_username()}").save()
                if languages is not None and member.languages != languages:
                    member.languages = languages
                    member.save(update_fields=["languages"])
                    AuditLogEntry.build(site, None, AuditLogEntry.Action.MEMBERSHIP, actor_name="command line",
                                        note=f"{user.get_username()} sees comments in "
                                             f"{', '.join(languages) or 'every language'}").save()
                desks.append(member.languages)
            token = APIToken.issue(user, label="createmoderator") if options["print_token"] else None
        on = ", ".join(f"{s.slug} ({role}{'; ' + ', '.join(desk) if desk else ''})"
                       for s, role, desk in zip(sites, roles, desks, strict=True))
        self.stdout.write(f"{'Created' if created else 'Updated'} {user.get_username()}: {on}")
        if password:
            self.stdout.write(f"Password (shown once): {password}")
        elif created:
            self.stdout.write(f"No password yet: set one with `commentdesk changepassword {user.get_username()}`")
        if token:
            self.stdout.write(token)

    @staticmethod
    def languages(value: str | None, sites: list[Site]) -> list[str] | None:
        """``--languages`` as a list ([] for ``all``), None when not given; raises
        ``CommandError`` for a code that is not one, or that a site does not have."""
        if value is None:
            return None
        if value.strip().lower() == "all":
            return []
        codes = list(dict.fromkeys(lower_primary(code) for code in value.split(",") if code.strip()))
        if not codes:
            raise CommandError("--languages: give language codes (ko,en), or all for every language.")
        for code in codes:
            try:
                LANGUAGE_CODE(code)
            except ValidationError as exc:
                raise CommandError(f"--languages: {code!r} is not a language code such as en, ko or zh-Hant.") from exc
            for site in sites:
                if site.languages and code not in site.languages:
                    raise CommandError(f"--languages: site {site.slug} has no language {code!r} "
                                       f"(its languages: {', '.join(site.languages)}).")
        return codes


def lower_primary(code: str) -> str:
    """A language code with its primary subtag in lower case, as sites store it.

    >>> lower_primary(" RU "), lower_primary("zh-Hant")
    ('ru', 'zh-Hant')
    """
    primary, dash, rest = code.strip().partition("-")
    return primary.lower() + dash + rest
