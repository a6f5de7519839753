"""Desk forms: a decision on one or more comments, a moderator's edit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from commentdesk.moderation.decisions import ACTIONS, MAX_BULK
from commentdesk.sites.models import Site


def reason_choices(site: Site) -> list[tuple[str, str]]:
    return [("", _("— reason —"))] + [(code, code.replace("_", " ")) for code in site.reason_codes]


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
        ids = [i for i in self.data.getlist("comment_ids") if i]
        if not ids:
            raise forms.ValidationError(_("Select at least one comment."))
        if len(ids) > MAX_BULK:
            raise forms.ValidationError(_("At most %(n)d comments in one decision.") % {"n": MAX_BULK})
        return ids


class EditForm(forms.Form):
    """A moderator's edit of a comment's text, with a Terms-of-Use reason."""

    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), strip=False)
    reason = forms.ChoiceField()
    note = forms.CharField(required=False, max_length=2000, widget=forms.TextInput)

    def __init__(self, site: Site, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reason_choices(site)
