"""Who may moderate what: membership of a site, or superuser."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from commentdesk.lib.errors import CommentdeskError, unknown_site
from commentdesk.moderation.models import Membership
from commentdesk.sites.models import Site

User = AbstractBaseUser | AnonymousUser


def moderated_sites(user: User) -> QuerySet[Site]:
    """The sites ``user`` may moderate (all for a superuser, none when anonymous)."""
    if not user.is_authenticated or not user.is_active:
        return Site.objects.none()
    return Membership.objects.sites_for(user)


def can_moderate(user: User, site: Site) -> bool:
    """True when ``user`` has desk rights on ``site``."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(user=user, site=site).exists()


def allowed_languages(user: User, site: Site) -> list[str] | None:
    """The comment languages ``user`` handles on ``site`` (a language desk), or
    None for all. Comments whose language is not detected yet are for everyone."""
    if getattr(user, "is_superuser", False) or not user.is_authenticated:
        return None
    membership = Membership.objects.filter(user=user, site=site).first()
    return list(membership.languages) if membership is not None and membership.languages else None


def in_languages(language: str, languages: list[str] | None) -> bool:
    """Whether a comment of ``language`` ("" not detected) is on a desk of
    ``languages`` (:func:`allowed_languages`; None: every language). The one
    rule for what a language desk may see and decide."""
    return languages is None or not language or language in languages


def language_q(languages: list[str] | None, prefix: str = "") -> Q:
    """:func:`in_languages` as a query filter on comments (``prefix``: the path
    to the comment, e.g. ``"comment__"``); an empty ``Q`` for every language."""
    if languages is None:
        return Q()
    return Q(**{f"{prefix}language__in": languages}) | Q(**{f"{prefix}language": ""})


def is_site_admin(user: User, site: Site) -> bool:
    """True for a superuser or a member of ``site`` with the admin role."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(user=user, site=site, role=Membership.Role.ADMIN).exists()


def require_moderator(user: User, site: Site) -> None:
    """Raise 403 ``forbidden`` unless ``user`` may moderate ``site``."""
    if not can_moderate(user, site):
        raise CommentdeskError(403, "forbidden", "You have no moderator rights on this site.")


def site_for_moderator(user: User, slug: str) -> Site:
    """The site ``slug`` if ``user`` may moderate it.

    Raises 404 ``unknown_site`` when it does not exist, 403 ``forbidden`` when
    it exists but ``user`` has no rights on it.
    """
    site = Site.objects.filter(slug=slug).first()
    if site is None:
        raise unknown_site(slug)
    require_moderator(user, site)
    return site
