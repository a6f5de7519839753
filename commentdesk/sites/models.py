"""A site is one publication (a tenant): its origins, policy and reader-facing texts."""

from __future__ import annotations

from typing import TypedDict

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# Terms-of-Use reason codes a new site starts with (API.md lists these examples).
DEFAULT_REASON_CODES = [
    "personal_attack",
    "hate_speech",
    "spam",
    "off_topic",
    "personal_data",
    "misinformation",
    "other",
]

DEFAULT_GUIDELINES = (
    "Be respectful of others' point of view and stick to the facts. "
    "Every comment is read by a moderator before it is published."
)
DEFAULT_DISCLAIMER = (
    "Comments are the opinions of their authors, not of the publisher. "
    "We may edit or reject comments that break our Terms of Use."
)


def validate_origins(value: object) -> None:
    """Each allowed origin is ``scheme://host[:port]`` with no path; raises ValidationError."""
    if not isinstance(value, list) or not all(isinstance(o, str) for o in value):
        raise ValidationError(_("Allowed origins must be a list of strings."))
    from urllib.parse import urlsplit

    for origin in value:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            raise ValidationError(_("%(origin)s is not an origin like https://example.org"), params={"origin": origin})


def validate_reason_codes(value: object) -> None:
    """Reason codes are a non-empty list of ``snake_case`` strings."""
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Reason codes must be a non-empty list."))
    check = RegexValidator(r"^[a-z][a-z0-9_]{0,39}$", _("Reason codes are snake_case, at most 40 characters."))
    for code in value:
        if not isinstance(code, str):
            raise ValidationError(_("Reason codes must be strings."))
        check(code)


class Site(models.Model):
    """One publication.

    ``allowed_origins``: list of origins (``https://news.example``) whose pages may
    call the reader API (CORS); an empty list allows every origin.
    ``body_max_length``: characters (code points) after normalisation.
    ``edit_window``: minutes during which an author may edit a pending comment.
    """

    class Policy(models.TextChoices):
        PRE = "pre", _("Pre-moderation: every comment waits for a moderator")
        POST = "post", _("Post-moderation: comments are published at once")

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    allowed_origins = models.JSONField(default=list, blank=True, validators=[validate_origins])
    policy = models.CharField(max_length=4, choices=Policy, default=Policy.PRE)
    terms_url = models.URLField(blank=True)
    reason_codes = models.JSONField(default=list, validators=[validate_reason_codes])
    guidelines = models.TextField(default=DEFAULT_GUIDELINES, blank=True)
    disclaimer = models.TextField(default=DEFAULT_DISCLAIMER, blank=True)
    body_max_length = models.PositiveIntegerField(default=5000)
    edit_window = models.PositiveIntegerField(default=15, help_text=_("minutes"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.reason_codes:
            self.reason_codes = list(DEFAULT_REASON_CODES)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def allows_origin(self, origin: str) -> bool:
        """True when a page on ``origin`` may call this site's reader API."""
        if not self.allowed_origins:
            return True
        return origin.rstrip("/") in {o.rstrip("/") for o in self.allowed_origins}

    def to_public_dict(self) -> SiteDict:
        """What the widget needs to draw the form (no private settings)."""
        return {
            "slug": self.slug,
            "name": self.name,
            "policy": self.policy,
            "terms_url": self.terms_url,
            "guidelines": self.guidelines,
            "disclaimer": self.disclaimer,
            "body_max_length": self.body_max_length,
            "reason_codes": list(self.reason_codes),
        }


class SiteDict(TypedDict):
    slug: str
    name: str
    policy: str
    terms_url: str
    guidelines: str
    disclaimer: str
    body_max_length: int
    reason_codes: list[str]
