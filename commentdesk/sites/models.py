"""A site is one publication (a tenant): its origins, policy and reader-facing texts."""

from __future__ import annotations

from typing import TypedDict

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
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


LANGUAGE_CODE = RegexValidator(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", _("Use a language code such as en, ko or zh-Hant."))


def validate_languages(value: object) -> None:
    """A list of BCP 47-style language codes (``en``, ``ko``, ``zh-Hant``)."""
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError(_("Languages must be a list of language codes."))
    for code in value:
        LANGUAGE_CODE(code)


def validate_translations(value: object) -> None:
    """``{language: {"guidelines": str, "disclaimer": str}}``."""
    if not isinstance(value, dict):
        raise ValidationError(_("Translations must be an object keyed by language."))
    for code, texts in value.items():
        LANGUAGE_CODE(code)
        if not isinstance(texts, dict) or not set(texts) <= {"guidelines", "disclaimer"} or not all(
            isinstance(t, str) for t in texts.values()
        ):
            raise ValidationError(_("Each translation holds only \"guidelines\" and \"disclaimer\" texts."))


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
    # Bounded: a body must fit the API's 64 KiB request; the others keep date arithmetic in range.
    body_max_length = models.PositiveIntegerField(default=5000, validators=[MinValueValidator(1), MaxValueValidator(20_000)])
    edit_window = models.PositiveIntegerField(default=15, help_text=_("minutes"), validators=[MaxValueValidator(7 * 24 * 60)])
    languages = models.JSONField(
        default=list, blank=True, validators=[validate_languages],
        help_text=_("language codes of the site's desks, e.g. [\"en\", \"ko\"]"),
    )
    translations = models.JSONField(
        default=dict, blank=True, validators=[validate_translations],
        help_text=_("per language: {\"ko\": {\"guidelines\": \"…\", \"disclaimer\": \"…\"}}"),
    )
    auto_close_days = models.PositiveIntegerField(
        default=0, help_text=_("close a thread to new comments this many days after it opened; 0 = never"),
        validators=[MaxValueValidator(3650)],
    )
    digest_after_minutes = models.PositiveIntegerField(
        default=60, help_text=_("e-mail the moderators when a comment has waited this long; 0 = never"),
        validators=[MaxValueValidator(7 * 24 * 60)],
    )
    retention_days = models.PositiveIntegerField(
        default=0, help_text=_("days to keep readers' IP hashes and unverified e-mail addresses; 0 = keep them"),
        validators=[MaxValueValidator(3650)],
    )
    trusted_skip_premoderation = models.BooleanField(
        default=False, help_text=_("publish comments of trusted commenters at once")
    )
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

    def settings_dict(self) -> dict[str, object]:
        """Every editable setting by field name (for audit-log before/after)."""
        return {f.name: getattr(self, f.name) for f in self._meta.concrete_fields
                if f.editable and f.name not in ("id", "created_at")}

    def texts(self, language: str | None) -> tuple[str, str]:
        """(guidelines, disclaimer) in ``language`` (``ko``, ``ko-KR`` → ``ko``), else the defaults."""
        for code in (language or "", (language or "").split("-")[0]):
            texts = self.translations.get(code) if code else None
            if texts:
                return texts.get("guidelines", self.guidelines), texts.get("disclaimer", self.disclaimer)
        return self.guidelines, self.disclaimer

    def to_public_dict(self, language: str | None = None) -> SiteDict:
        """What the widget needs to draw the form (no private settings), with the
        guidelines and disclaimer in ``language`` when the site has them."""
        guidelines, disclaimer = self.texts(language)
        return {
            "slug": self.slug,
            "name": self.name,
            "policy": self.policy,
            "terms_url": self.terms_url,
            "guidelines": guidelines,
            "disclaimer": disclaimer,
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
