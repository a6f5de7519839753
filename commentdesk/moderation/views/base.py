"""What every desk page shares: the site from the URL (403/404 as desk pages),
rendering with the header's context, where to go back to, and lookups of a
comment or commenter of the site (404 for another site's ids)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from commentdesk.comments.models import Comment, Commenter
from commentdesk.lib.errors import CommentdeskError
from commentdesk.moderation.permissions import allowed_languages, in_languages, is_site_admin, site_for_moderator
from commentdesk.sites.models import Site


def desk_site(request: HttpRequest, slug: str) -> Site:
    """The site for a desk page; ``Http404`` when unknown, ``PermissionDenied`` without rights."""
    try:
        return site_for_moderator(request.user, slug)
    except CommentdeskError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        raise PermissionDenied(exc.message) from exc


def desk_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Log-in required; resolve ``site`` (the slug in the URL) to the ``Site`` the
    user moderates and pass it on; render 403/404 as desk pages."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, site: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, desk_site(request, site), *args, **kwargs)
        except PermissionDenied as exc:
            return render(request, "desk/error.html", {"status": 403, "title": "Not allowed",
                                                       "message": str(exc) or "You may not do this."}, status=403)
        except Http404 as exc:
            return render(request, "desk/error.html", {"status": 404, "title": "Not found",
                                                       "message": str(exc) or "There is nothing here."}, status=404)

    return wrapper


def page(request: HttpRequest, site: Site, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render a desk page of ``site``: adds ``site`` and ``is_admin`` (for the header)."""
    return render(request, template, {"site": site, "is_admin": is_site_admin(request.user, site), **context},
                  status=status)


def carried_version(request: HttpRequest, status: int, stored: str) -> str:
    """The settings version a settings page carries (its hidden ``seen``, see
    :func:`~commentdesk.moderation.signals.settings_version`): the one the
    admin's page was made from when it is shown again for its values (400), so
    that the corrected save is still refused after another admin's save; else
    ``stored``, the stored settings' version (a new page, or one refused for
    being older: saving it again is then the admin's choice)."""
    return (request.POST.get("seen", "")[:64] if status == 400 else "") or stored


def pop_undo(request: HttpRequest, site: Site) -> dict[str, Any] | None:
    """The last decision's undo offer of this session (``{"site", "entry_ids",
    "text"}``), taken from the session so it is offered once; None when there is
    none or it belongs to another site."""
    undo = request.session.pop("desk_undo", None)
    return undo if undo and undo.get("site") == site.slug else None


def safe_next(request: HttpRequest, name: str = "next") -> str:
    """The ``next`` address of the form or query when it is on this host (never
    another site's, never a ``javascript:`` link), else an empty string."""
    target = request.POST.get(name, "") or request.GET.get(name, "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


def back_url(request: HttpRequest, site: Site, name: str = "next") -> str:
    """Where to go after a POST: the form's ``next`` when it is on this host, else the queue."""
    return safe_next(request, name) or reverse("desk:queue", args=[site.slug])


def comment_or_404(request: HttpRequest, site: Site, comment_id: str) -> Comment:
    """A comment of ``site`` the user may see (a language desk sees its languages only)."""
    comment = None
    if "\x00" not in comment_id:
        comment = Comment.objects.filter(site=site, public_id=comment_id).select_related("thread", "commenter").first()
    if comment is None or not in_languages(comment.language, allowed_languages(request.user, site)):
        raise Http404("There is no comment with this id on this site.")
    return comment


def commenter_or_404(site: Site, commenter_id: str) -> Commenter:
    """A commenter of ``site``; 404 for an unknown id or one of another site."""
    commenter = None if "\x00" in commenter_id else Commenter.objects.filter(site=site, public_id=commenter_id).first()
    if commenter is None:
        raise Http404("There is no commenter with this id on this site.")
    return commenter


def error_text(exc: CommentdeskError) -> str:
    """A refusal of the domain code as one sentence for a message."""
    detail = " ".join(" ".join(v) for v in (exc.fields or {}).values())
    return detail or exc.message
