"""Links in e-mails: verify an address, unsubscribe (one click, RFC 8058), stop digests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from commentdesk.comments.models import Commenter
from commentdesk.notifications import tokens


def _commenter(token: str, purpose: str) -> Commenter | None:
    found = tokens.read(token, purpose)
    if found is None:
        return None
    return Commenter.objects.filter(public_id=found[0], email=found[1]).exclude(email="").first()


def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm a commenter's address (GET from the e-mail link)."""
    commenter = _commenter(token, "verify")
    if commenter is None:
        return render(request, "notifications/result.html", {"title": "This link is not valid",
                      "message": "It may have expired. Post a new comment to get a new link."}, status=400)
    Commenter.objects.filter(pk=commenter.pk).update(email_verified=True)
    return render(request, "notifications/result.html", {"title": "Address confirmed",
                  "message": "You will get an e-mail when your comments are published or answered."})


@csrf_exempt  # the signed token is the proof; mail clients POST without a CSRF cookie (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation; POST (the button, or a mail client's one-click) unsubscribes."""
    commenter = _commenter(token, "unsubscribe")
    if commenter is None:
        return render(request, "notifications/result.html", {"title": "This link is not valid",
                      "message": "It may have expired."}, status=400)
    if request.method == "GET":
        return render(request, "notifications/confirm.html", {"title": "Stop e-mails",
                      "message": "Stop all e-mails about your comments on this site?"})
    Commenter.objects.filter(site=commenter.site, email=commenter.email).update(notify=False)
    return render(request, "notifications/result.html", {"title": "Unsubscribed",
                  "message": "You will get no more e-mails about your comments."})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def digest_off(request: HttpRequest, token: str) -> HttpResponse:
    """A moderator stops the digest e-mails of one site."""
    from commentdesk.moderation.models import Membership

    found = tokens.read(token, "digest-off")
    membership = None
    if found is not None and found[0].isdigit():
        membership = Membership.objects.filter(pk=int(found[0]), user__email=found[1]).first()
    if membership is None:
        return render(request, "notifications/result.html", {"title": "This link is not valid",
                      "message": "It may have expired."}, status=400)
    if request.method == "GET":
        return render(request, "notifications/confirm.html", {"title": "Stop digests",
                      "message": f"Stop digest e-mails for {membership.site.name}?"})
    Membership.objects.filter(pk=membership.pk).update(digest=False)
    return render(request, "notifications/result.html", {"title": "Digests stopped",
                  "message": "You can turn them on again in the desk."})
