"""The widget's files at stable URLs (``/embed.js``, ``/embed.css``) and the demo pages."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from commentdesk.comments.models import Comment, Thread
from commentdesk.lib.text import normalise_thread_key
from commentdesk.sites.models import Site

STATIC = Path(__file__).resolve().parent / "static" / "embed"
TYPES = {"embed.js": "text/javascript; charset=utf-8", "embed.css": "text/css; charset=utf-8"}
DEMO_SITE = "demo"
DEMO_KEY = "/articles/river-of-small-lights"


@cache
def _read(name: str) -> tuple[bytes, str]:
    data = (STATIC / name).read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:24] + '"'


def asset(request: HttpRequest, name: str) -> HttpResponse:
    """Serve a widget file with an ETag; browsers revalidate after 5 minutes."""
    if name not in TYPES:
        raise Http404(name)
    data, etag = _read(name)
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(data, content_type=TYPES[name])
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def demo_index(request: HttpRequest) -> HttpResponse:
    """The demo article with the widget under it."""
    return _demo_page(request, DEMO_KEY)


def demo_thread(request: HttpRequest) -> HttpResponse:
    """Any other thread of the demo site (``?key=…``), e.g. one imported from Disqus."""
    key = normalise_thread_key(request.GET.get("key", ""))
    if not key or len(key) > 500:
        raise Http404("Give ?key= the key of a thread of the demo site.")
    return _demo_page(request, key)


def _demo_page(request: HttpRequest, key: str) -> HttpResponse:
    site = Site.objects.filter(slug=DEMO_SITE).first()
    if site is None:
        raise Http404("Run `commentdesk demo` first: there is no demo site.")
    # Like the reader API: a thread's reader-supplied title and URL show only once a
    # comment of it is published.
    thread = Thread.objects.filter(site=site, key=key, comments__status=Comment.Status.APPROVED).first()
    others = (
        Thread.objects.filter(site=site, comments__status=Comment.Status.APPROVED)
        .exclude(key=key)
        .distinct()
        .order_by("key")[:20]
    )
    return render(
        request,
        "embed/article.html",
        {
            "site": site,
            "key": key,
            "thread": thread,
            "is_main": key == DEMO_KEY,
            "others": others,
            "reasons": [code.replace("_", " ") for code in site.reason_codes],
        },
    )
