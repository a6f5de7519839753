"""Desk forms: queue filters, decisions, undo, a moderator's edit, bans, thread
state, the audit-log filters and a site's settings.

They parse and validate what a moderator sends; the work itself is done by
``moderation.decisions`` and ``moderation.threads``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from commentdesk.moderation.decisions import ACTIONS, MAX_BULK
from commentdesk.moderation.models import AuditLogEntry
from commentdesk.moderation.queues import STATUSES, QueueFilter
from commentdesk.sites.models import Site, validate_translations

# Queue orders the desk offers. ``risk`` falls back to oldest first until triage
# scores comments (queues.queue_page); the page says so.
ORDERS = {"oldest": _("Oldest first"), "newest": _("Newest first"), "risk": _("Highest risk first")}


def reason_label(code: str) -> str:
    """``personal_attack`` → ``personal attack``."""
    return code.replace("_", " ")


def reason_choices(site: Site) -> list[tuple[str, str]]:
    return [("", _("— reason —"))] + [(code, reason_label(code)) for code in site.reason_codes]


class DateInput(forms.DateInput):
    input_type = "date"


class QueueFilterForm(forms.Form):
    """The queue's filter bar (GET). Invalid values are reported and ignored;
    :meth:`filters` builds the ``QueueFilter`` from the valid ones."""

    status = forms.ChoiceField(choices=[(s, s) for s in STATUSES], required=False, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Search text"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Words in comments")}))
    language = forms.ChoiceField(label=_("Language"), required=False)
    thread = forms.CharField(label=_("Article (thread key)"), required=False, max_length=2000,
                             widget=forms.TextInput(attrs={"placeholder": _("/2026/02/article or id")}))
    commenter = forms.CharField(label=_("Commenter id"), required=False, max_length=24,
                                widget=forms.TextInput(attrs={"placeholder": "u_…"}))
    since = forms.DateField(label=_("Since"), required=False, widget=DateInput)
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput)
    order = forms.ChoiceField(label=_("Order"), required=False, choices=list(ORDERS.items()))
    campaign = forms.IntegerField(label=_("Campaign"), required=False, min_value=1, max_value=2**63 - 1,
                                  widget=forms.NumberInput(attrs={"placeholder": _("number")}))

    def __init__(self, site: Site, languages: list[str] | None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.desk_languages = languages
        offered = [code for code in site.languages if languages is None or code in languages]
        self.fields["language"].choices = [("", _("Any language"))] + [(code, code) for code in offered]
        self.offers_languages = len(offered) > 1

    def value(self, name: str, default: Any = None) -> Any:
        if not self.is_bound:
            return default
        self.is_valid()
        return self.cleaned_data.get(name) or default

    def filters(self) -> QueueFilter:
        return QueueFilter(
            status=self.value("status", "pending"),
            language=self.value("language"),
            thread=(self.value("thread") or "").strip() or None,
            commenter=(self.value("commenter") or "").strip() or None,
            since=self.value("since"),
            until=self.value("until"),
            q=(self.value("q") or "").strip() or None,
            languages=self.desk_languages,
            campaign=self.value("campaign"),
        )

    def chosen_order(self) -> str:
        return str(self.value("order", "oldest"))

    def active(self) -> bool:
        """True when any filter (not the tab or the order) narrows the queue."""
        f = self.filters()
        return any((f.language, f.thread, f.commenter, f.since, f.until, f.q, f.campaign))


class DecisionForm(forms.Form):
    """Approve / reject / spam / restore the comments named in ``comment_ids``."""

    comment_ids = forms.CharField(widget=forms.MultipleHiddenInput)
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    reason = forms.ChoiceField(required=False)
    note = forms.CharField(required=False, max_length=2000)

    def __init__(self, site: Site, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reason_choices(site)

    def clean_comment_ids(self) -> list[str]:
        ids = list(dict.fromkeys(i for i in self.data.getlist("comment_ids") if i))
        if any(len(i) > 24 or "\x00" in i for i in ids):
            raise forms.ValidationError(_("That is not a comment id."))
        if not ids:
            raise forms.ValidationError(_("Select at least one comment."))
        if len(ids) > MAX_BULK:
            raise forms.ValidationError(_("At most %(n)d comments in one decision.") % {"n": MAX_BULK})
        return ids

    def versions(self) -> dict[str, str]:
        """The text versions the moderator saw, ``{comment id: version}``, from the
        ``versions`` fields (``c_…:version``, one per comment shown), for the chosen
        comments only: ``decisions.decide`` refuses the lot if a text changed since."""
        chosen = set(self.cleaned_data.get("comment_ids", []))
        pairs = (value.partition(":") for value in self.data.getlist("versions"))
        return {cid: version for cid, _sep, version in pairs if cid in chosen and version}


class UndoForm(forms.Form):
    """Undo the decisions whose audit-log entry ids are given (one decision, bulk or not)."""

    entry_ids = forms.CharField(widget=forms.MultipleHiddenInput)

    def clean_entry_ids(self) -> list[int]:
        raw = [i for i in self.data.getlist("entry_ids") if i]
        # ASCII digits only (str.isdigit takes "²"), within a 64-bit id.
        if not raw or len(raw) > MAX_BULK or not all(i.isascii() and i.isdigit() and len(i) <= 18 for i in raw):
            raise forms.ValidationError(_("Nothing to undo."))
        return [int(i) for i in raw]


class EditForm(forms.Form):
    """A moderator's edit of a comment's text, with a Terms-of-Use reason."""

    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), strip=False)
    reason = forms.ChoiceField()
    note = forms.CharField(required=False, max_length=2000, widget=forms.TextInput)

    def __init__(self, site: Site, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reason_choices(site)


class BanForm(forms.Form):
    """Ban a commenter: permanently, or until the start (00:00 UTC) of a day."""

    reason = forms.ChoiceField(label=_("Reason (Terms of Use)"))
    duration = forms.ChoiceField(
        label=_("Duration"),
        choices=[("permanent", _("Permanent")), ("until", _("Until a date"))],
        initial="permanent",
        widget=forms.RadioSelect,
    )
    until = forms.DateField(label=_("Ban ends on (00:00 UTC)"), required=False, widget=DateInput)
    reject_pending = forms.BooleanField(label=_("Also reject their pending comments"), required=False)
    note = forms.CharField(label=_("Note for the audit log"), required=False, max_length=2000)

    def __init__(self, site: Site, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reason_choices(site)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("duration") == "until" and not data.get("until"):
            self.add_error("until", _("Give the day the ban ends, or choose a permanent ban."))
        return data

    def until_datetime(self) -> datetime | None:
        day: date | None = self.cleaned_data.get("until")
        if self.cleaned_data.get("duration") != "until" or day is None:
            return None
        return datetime.combine(day, time.min, tzinfo=UTC)


class ThreadStateForm(forms.Form):
    """Close (``closed=1``) or reopen (``closed=0``) an article's comments."""

    key = forms.CharField(max_length=2000)
    closed = forms.TypedChoiceField(choices=[("1", "close"), ("0", "reopen")], coerce=lambda v: v == "1")


class AuditFilterForm(forms.Form):
    """The audit log's filters, for display; ``views.audit_entries`` applies them."""

    action = forms.ChoiceField(label=_("Action"), required=False,
                               choices=[("", _("Any action"))] + list(AuditLogEntry.Action.choices))
    actor = forms.CharField(label=_("Moderator (user name)"), required=False, max_length=150)
    comment = forms.CharField(label=_("Comment id"), required=False, max_length=24,
                              widget=forms.TextInput(attrs={"placeholder": "c_…"}))
    since = forms.DateField(label=_("Since"), required=False, widget=DateInput)
    until = forms.DateField(label=_("Until (exclusive)"), required=False, widget=DateInput)


class ListField(forms.CharField):
    """A list of strings written one per line (commas separate too). Give it the
    model field's validators: run here, their messages reach the page (run by the
    model's JSONField, a message with code ``invalid`` would be replaced by
    "Value must be valid JSON.")."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        if isinstance(value, str) and value.startswith("["):  # a JSON list, as the model stores it
            try:
                return "\n".join(json.loads(value))
            except (ValueError, TypeError):
                return value
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [item.strip() for line in text.splitlines() for item in line.split(",") if item.strip()]


SETTINGS_FIELDS = [
    "policy",
    "allowed_origins",
    "terms_url",
    "reason_codes",
    "guidelines",
    "disclaimer",
    "languages",
    "body_max_length",
    "edit_window",
    "auto_close_days",
    "digest_after_minutes",
    "retention_days",
    "trusted_skip_premoderation",
]
TRANSLATED = ("guidelines", "disclaimer")


class SiteSettingsForm(forms.ModelForm):
    """A site admin's settings. The model's validators check every value
    (origins, reason codes, language codes, translations); guidelines and
    disclaimer per language become ``Site.translations`` (``{"ko":
    {"guidelines": …, "disclaimer": …}}``; empty texts fall back to the defaults)."""

    allowed_origins = ListField(
        validators=Site._meta.get_field("allowed_origins").validators,
        label=_("Allowed origins"),
        help_text=_("One per line, e.g. https://news.example. Pages on these origins may show the widget; "
                    "none listed allows every origin."),
    )
    reason_codes = ListField(
        validators=Site._meta.get_field("reason_codes").validators,
        label=_("Reason codes (Terms of Use)"),
        required=True,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("One per line, snake_case; moderators choose from these when they reject, mark spam, "
                    "edit or ban."),
    )
    languages = ListField(
        validators=Site._meta.get_field("languages").validators,
        label=_("Languages"),
        help_text=_("Language codes of the site's desks, one per line (en, ko, zh-Hant). "
                    "Save to get guidelines and disclaimer fields for a new language."),
    )

    class Meta:
        model = Site
        fields = SETTINGS_FIELDS
        labels = {
            "policy": _("Moderation policy"),
            "terms_url": _("Terms of Use address"),
            "guidelines": _("Community guidelines (default)"),
            "disclaimer": _("Disclaimer (default)"),
            "body_max_length": _("Longest comment (characters)"),
            "edit_window": _("Authors may edit for (minutes)"),
            "auto_close_days": _("Close articles to comments after (days)"),
            "digest_after_minutes": _("E-mail moderators when a comment has waited (minutes)"),
            "trusted_skip_premoderation": _("Publish trusted commenters' comments at once"),
            "retention_days": _("Keep readers' IP hashes and unverified e-mail addresses for (days)"),
        }
        help_texts = {
            "auto_close_days": _("0 = never"),
            "digest_after_minutes": _("0 = never"),
            "retention_days": _("0 = keep them; removed by the housekeeping task once this old"),
            "edit_window": _("while the comment is still pending"),
            "trusted_skip_premoderation": _("Otherwise trusted commenters are only marked in the queue."),
        }
        widgets = {
            "guidelines": forms.Textarea(attrs={"rows": 3}),
            "disclaimer": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site: Site = self.instance
        self.translation_languages = sorted(set(site.languages) | set(site.translations))
        for code in self.translation_languages:
            texts = site.translations.get(code, {})
            for part in TRANSLATED:
                self.fields[f"{part}__{code}"] = forms.CharField(
                    label=f"{_('Community guidelines') if part == 'guidelines' else _('Disclaimer')} ({code})",
                    required=False,
                    initial=texts.get(part, ""),
                    widget=forms.Textarea(attrs={"rows": 3}),
                )

    def translation_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """(language, guidelines field, disclaimer field) for the template."""
        return [(code, self[f"guidelines__{code}"], self[f"disclaimer__{code}"]) for code in self.translation_languages]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        translations: dict[str, dict[str, str]] = {}
        for code in self.translation_languages:
            texts = {part: data[f"{part}__{code}"].strip() for part in TRANSLATED if data.get(f"{part}__{code}", "").strip()}
            if texts:
                translations[code] = texts
        try:
            validate_translations(translations)
        except ValidationError as exc:
            self.add_error(None, exc)
        self.cleaned_translations = translations
        return data

    def save(self, commit: bool = True) -> Site:
        self.instance.translations = self.cleaned_translations
        return super().save(commit)
