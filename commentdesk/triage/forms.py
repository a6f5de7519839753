"""The desk's triage settings forms, for a site's admins: word lists per
language, and the policy (links, automation, nudge, retraining)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.utils.translation import gettext_lazy as _

from commentdesk.sites.models import Site
from commentdesk.triage.models import TriagePolicy, WordList
from commentdesk.triage.links import domain_of, ipv4
from commentdesk.triage.wordmatch import compile_term, skeleton

# Limits of one word list: they keep matching fast (one pattern per term).
MAX_TERMS = 1000
MAX_TERM_LENGTH = 100
MAX_LIST_CHARS = 50_000
MAX_DOMAINS_CHARS = 20_000
# The largest "hold comments with more links than" a site may set: a 20,000-character
# body holds fewer links than this (the database's own limit, 9,223,372,036,854,775,807
# on SQLite, was the error message before).
MAX_LINKS = 1000


def list_languages(site: Site) -> list[str]:
    """The languages a site's word lists are edited for: "" (every language),
    then the site's languages, then any other language a list exists for."""
    existing = set(WordList.objects.filter(site=site).values_list("language", flat=True))
    ordered = [""] + [code for code in site.languages if code]
    return ordered + sorted(existing - set(ordered))


def field_name(kind: str, language: str) -> str:
    """``banned__ko``; ``banned__`` for every language."""
    return f"{kind}__{language}"


class WordListsForm(forms.Form):
    """Banned and suspect terms of one site, a pair of text areas per language
    (:func:`list_languages`). One term per line; ``#`` lines are notes. A term
    without letters (nothing to find), over 100 characters, or a list over 1,000
    terms is refused with the line named; so is a bound form that lacks one of
    the lists (an empty list is sent as an empty text, never left out)."""

    def __init__(self, site: Site, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site = site
        self.languages = list_languages(site)
        current = {(w.language, w.kind): w.terms for w in WordList.objects.filter(site=site)}
        for language in self.languages:
            where = f"({language})" if language else _("(every language)")
            for kind, label in ((WordList.Kind.BANNED, _("Banned terms")), (WordList.Kind.SUSPECT, _("Suspect terms"))):
                self.fields[field_name(kind, language)] = forms.CharField(
                    label=f"{label} {where}", required=False, strip=False, max_length=MAX_LIST_CHARS,
                    initial=current.get((language, kind), ""),
                    widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", **({"lang": language} if language else {})}),
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, text in list(data.items()):
            if name not in self.data:
                # A text area is always sent, empty or not: a form without one (a script, a
                # page of another version) must not empty that list.
                self.add_error(name, _("This list was not in the form sent, so nothing was saved; "
                                       "reload the page and try again."))
                continue
            if text is None:
                continue
            text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip("\n")
            terms = [t.strip() for t in text.splitlines() if t.strip() and not t.strip().startswith("#")]
            problems = []
            if len(terms) > MAX_TERMS:
                problems.append(_("At most %(n)d terms in one list.") % {"n": MAX_TERMS})
            for term in terms:
                if len(term) > MAX_TERM_LENGTH:
                    problems.append(_("“%(t)s…” is over %(n)d characters.") % {"t": term[:20], "n": MAX_TERM_LENGTH})
                elif "\x00" in term or compile_term(term) is None:
                    problems.append(_("“%(t)s” has no letters to look for.") % {"t": term.replace("\x00", "")})
                elif len(letters := skeleton(term)[0]) < 2 and not _is_han(letters):
                    # Symbols, digits and spaces are not matched: "c++" would find every lone "c", and
                    # a lone jamo or kana ("ㅋ") every syllable holding it. One Han character is a word.
                    problems.append(_("“%(t)s” is only the letter “%(l)s” to look for (symbols, digits and spaces "
                                      "are ignored); give a word of two letters or more.") % {"t": term, "l": letters})
            for problem in problems[:5]:
                self.add_error(name, problem)
            data[name] = text
        return data

    def lists(self) -> dict[tuple[str, str], str]:
        """``{(language, kind): terms}`` as cleaned."""
        return {(language, kind): self.cleaned_data[field_name(kind, language)]
                for language in self.languages for kind in WordList.Kind.values}

    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """(language, banned field, suspect field) for the template."""
        return [(language, self[field_name("banned", language)], self[field_name("suspect", language)])
                for language in self.languages]


class TriagePolicyForm(forms.ModelForm):
    """Links, automation, nudge and retraining of one site. The model's
    :meth:`~commentdesk.triage.models.TriagePolicy.clean` checks that the
    approve threshold is below the reject threshold and that automatic
    rejection has a reason code of the site's list."""

    # Offered as a list; checked by the model alone (TriagePolicy.clean), so that a code
    # not of the site's list gets one message, naming the codes.
    auto_reason = forms.CharField(
        label=_("Reason code of automatic rejections"), required=False, widget=forms.Select,
        validators=[MaxLengthValidator(TriagePolicy._meta.get_field("auto_reason").max_length)])

    class Meta:
        model = TriagePolicy
        fields = ["max_links", "blocked_domains", "shorteners", "auto_approve_below", "auto_reject_above",
                  "auto_action", "auto_reason", "nudge_enabled", "nudge_above", "retrain_after"]
        labels = {
            "max_links": _("Hold comments with more links than"),
            "blocked_domains": _("Blocked domains"),
            "shorteners": _("URL shorteners"),
            "auto_approve_below": _("Approve automatically below risk"),
            "auto_reject_above": _("Reject automatically above risk"),
            "auto_action": _("Automatic rejection marks as"),
            "nudge_enabled": _("Nudge readers before they post a comment likely to be rejected"),
            "nudge_above": _("Nudge from classifier probability"),
            "retrain_after": _("Train a new classifier after this many decisions"),
        }
        # The label says what max_links does; the model's help text would say it again.
        help_texts = {"max_links": _("0 holds every comment with a link for review.")}
        widgets = {
            "blocked_domains": forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
            "shorteners": forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
            "auto_approve_below": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
            "auto_reject_above": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
            "nudge_above": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
        }

    def __init__(self, site: Site, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["auto_reason"].widget.choices = [("", _("— reason —"))] + [(c, c.replace("_", " "))
                                                                              for c in site.reason_codes]
        for name in ("blocked_domains", "shorteners"):
            self.fields[name].validators.append(MaxLengthValidator(MAX_DOMAINS_CHARS))
        links = self.fields["max_links"]  # its limit, not the database column's
        links.max_value = MAX_LINKS
        links.validators = [v for v in links.validators if not isinstance(v, MaxValueValidator)]
        links.validators.append(MaxValueValidator(MAX_LINKS))
        links.widget.attrs["max"] = str(MAX_LINKS)

    def add_error(self, field: str | None, error: Any) -> None:
        """As Django's, but the model's check (:meth:`TriagePolicy.clean`, which
        Django runs even after a field was refused) adds nothing to a field the form
        refused already: one message per field (a 41-character code got "at most
        40 characters" and "use one of the site's codes")."""
        if field is None and hasattr(error, "error_dict"):
            kept = {name: errors for name, errors in error.error_dict.items() if name not in (self._errors or {})}
            if not kept:
                return
            error = ValidationError(kept)
        super().add_error(field, error)

    def clean_blocked_domains(self) -> str:
        return check_domains(self.cleaned_data["blocked_domains"])

    def clean_shorteners(self) -> str:
        return check_domains(self.cleaned_data["shorteners"])


def _is_han(letters: str) -> bool:
    """Whether ``letters`` are Han characters (CJK ideographs), each a word of its own."""
    return bool(letters) and all(unicodedata.name(ch, "").startswith("CJK") for ch in letters)


# A host name: labels of letters, digits and hyphens (IDNA-encoded), two or more, the last with a letter.
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]*[a-z][a-z0-9-]*")


def check_domains(text: str) -> str:
    """``text`` (one domain per line, ``#`` comments), its lines stripped and
    joined with "\\n" (a browser sends "\\r\\n"), when every entry names a
    domain a link can have; raises ``ValidationError`` naming the first five that
    cannot ("*.spam.example": its subdomains are included already)."""
    wrong = []
    lines = [line.strip() for line in text.splitlines()]
    for entry in lines:
        if not entry or entry.startswith("#"):
            continue
        host = domain_of(entry)
        if not (_HOST.fullmatch(host) and len(host) <= 253 or ipv4(host) == host):
            wrong.append(entry)
    if wrong:
        raise ValidationError(_("Not a domain: %(list)s. Write one per line, like spam.example "
                                "(its subdomains are included).") % {"list": ", ".join(f"“{w[:60]}”" for w in wrong[:5])})
    return "\n".join(lines).strip("\n")


class CampaignDecisionForm(forms.Form):
    """Decide on every pending comment of one campaign (the desk's campaign page):
    ``action`` approve, reject or spam; ``reason`` (a Terms-of-Use code of the
    site) required to reject or mark as spam."""

    action = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject")), ("spam", _("Spam"))])
    reason = forms.ChoiceField(required=False)

    def __init__(self, site: Site, *args: Any, **kwargs: Any) -> None:
        from commentdesk.moderation.forms import reason_choices

        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reason_choices(site)

    def clean(self) -> dict[str, Any]:
        from commentdesk.moderation.decisions import NEEDS_REASON

        data = super().clean()
        if data.get("action") in NEEDS_REASON and not data.get("reason"):
            self.add_error("reason", _("Choose a reason from the site's list to reject or mark as spam."))
        return data
