"""Editing a comment under the Terms of Use, with its revisions and their word diffs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import get_language_info

from commentdesk.comments.models import Comment
from commentdesk.lib.diff import Segment, word_diff
from commentdesk.lib.errors import CommentdeskError
from commentdesk.moderation import decisions
from commentdesk.moderation.forms import EditForm, reason_label
from commentdesk.moderation.permissions import allowed_languages, in_languages
from commentdesk.moderation.views.base import back_url, comment_or_404, desk_view, page
from commentdesk.sites.models import Site


def readable_diff(segments: list[Segment]) -> list[Segment]:
    """``lib.diff.word_diff`` segments with the spaces between neighbouring changes
    folded into them, so that a rewritten phrase reads as one deletion and one
    insertion instead of alternating words. The joins still hold: ``same`` +
    ``removed`` give the old text, ``same`` + ``added`` the new one.

    >>> from commentdesk.lib.diff import Segment, word_diff
    >>> [s.text for s in readable_diff(word_diff("Call me at 555-0100.", "[phone number removed]"))]
    ['Call me at 555-0100.', '[phone number removed]']
    """
    out: list[Segment] = []
    removed = added = ""
    for i, seg in enumerate(segments):
        following = segments[i + 1] if i + 1 < len(segments) else None
        if seg.kind == "same":
            if (removed or added) and not seg.text.strip() and following is not None and following.kind != "same":
                removed += seg.text
                added += seg.text
                continue
            out += [Segment("removed", removed)] * bool(removed) + [Segment("added", added)] * bool(added)
            removed = added = ""
            out.append(seg)
        elif seg.kind == "removed":
            removed += seg.text
        else:
            added += seg.text
    out += [Segment("removed", removed)] * bool(removed) + [Segment("added", added)] * bool(added)
    return out


def revision_history(comment: Comment) -> list[dict[str, Any]]:
    """Every version of ``comment``'s text, oldest first, each with the change that
    replaced it: ``{"number", "body", "created_at", "change"}`` where ``change`` is
    None for the current text, else ``{"at", "editor", "user", "reason",
    "segments"}`` (``lib.diff.word_diff`` from this version to the next)."""
    revisions = list(comment.revisions.select_related("editor_user"))
    bodies = [r.body for r in revisions] + [comment.body]
    versions: list[dict[str, Any]] = []
    for number, body in enumerate(bodies, start=1):
        rev = revisions[number - 1] if number <= len(revisions) else None
        versions.append({
            "number": number,
            "body": body,
            "current": rev is None,
            "change": None if rev is None else {
                "at": rev.created_at,
                "editor": rev.get_editor_display().lower(),
                "user": rev.editor_user.get_username() if rev.editor_user else "",
                "reason": reason_label(rev.reason) if rev.reason else "",
                "segments": readable_diff(word_diff(body, bodies[number])),
            },
        })
    return versions


def moved_out_of_desk(request: HttpRequest, site: Site, comment: Comment) -> None:
    """Tell a language desk's moderator when the text they wrote reads as a language
    of another desk: triage detected it again (in this request, after the commit), so
    the comment now waits there and leaves their queue."""
    language = Comment.objects.filter(pk=comment.pk).values_list("language", flat=True).first() or ""
    if not in_languages(language, allowed_languages(request.user, site)):
        try:
            name = get_language_info(language)["name"]
        except KeyError:
            name = language
        messages.info(request, f"The new text reads as {name} ({language}): the comment moved to that "
                               "language's desk, which you do not moderate.")


@desk_view
def edit(request: HttpRequest, site: Site, comment_id: str) -> HttpResponse:
    """Edit a comment under the Terms of Use (a reason is required); lists every
    version with the word differences between consecutive ones."""
    comment = comment_or_404(request, site, comment_id)
    if request.method == "POST":
        form = EditForm(site, request.POST)
        if form.is_valid():
            try:
                decisions.edit(comment, form.cleaned_data["body"], request.user, form.cleaned_data["reason"],
                               form.cleaned_data["note"])
            except CommentdeskError as exc:
                for field, errs in (exc.fields or {"body": [exc.message]}).items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                messages.success(request, "Edited; the earlier text is kept as a revision.")
                moved_out_of_desk(request, site, comment)
                return redirect(back_url(request, site))
    else:
        form = EditForm(site, initial={"body": comment.body})
    return page(request, site, "desk/edit.html", {
        "comment": comment,
        "form": form,
        "versions": revision_history(comment),
        "next": back_url(request, site),
        "limit": site.body_max_length,
    })
