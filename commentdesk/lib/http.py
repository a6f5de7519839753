"""HTTP plumbing shared by the API: request size limit, JSON error answers, CORS."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers

from commentdesk.lib.errors import CommentdeskError, Invalid


def error_response(error: CommentdeskError) -> JsonResponse:
    """Render ``error`` in API.md's shape with its status and headers."""
    response = JsonResponse(error.as_dict(), status=error.status, json_dumps_params={"ensure_ascii": False})
    for name, value in error.headers.items():
        response[name] = value
    return response


class RequestSizeLimitMiddleware:
    """Refuse API requests that no view could handle, before anything reads them,
    and keep every API answer JSON (Django's own 404/405 pages are HTML).

    - 413 ``too_large`` when the declared body exceeds
      ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (64 KiB). A body without a length is still
      capped when Django reads it (RequestDataTooBig).
    - 400 ``invalid`` when the path or query string holds a NUL character
      (``%00``): no id, slug or key contains one, and PostgreSQL refuses to even
      compare text with it (a 5xx otherwise).
    - 415 ``unsupported_media_type`` for a body that is not JSON
      (``Content-Type``, which a body must have) or is compressed (``Content-Encoding``).
    - An HTML 404 or 405 from Django (unknown path, wrong method) becomes API.md's
      JSON error (``not_found``, ``method_not_allowed``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                return error_response(too_large())
            query = request.META.get("QUERY_STRING", "")
            if "\x00" in request.path or "\x00" in query or "%00" in query:
                return error_response(
                    Invalid({"request": ["The address contains a NUL character (%00)."]})
                )
            if length or request.META.get("HTTP_TRANSFER_ENCODING"):
                ctype = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
                encoding = request.META.get("HTTP_CONTENT_ENCODING", "identity").strip().lower()
                if (ctype != "application/json" and not ctype.endswith("+json")) or encoding != "identity":
                    return error_response(CommentdeskError(
                        415, "unsupported_media_type", "Send the body as uncompressed application/json."))
            response = self.get_response(request)
            if response.status_code in (404, 405) and not response.get("Content-Type", "").startswith(
                "application/json"
            ):
                code = "not_found" if response.status_code == 404 else "method_not_allowed"
                message = "There is no such API address." if code == "not_found" else "This method is not allowed here."
                fixed = error_response(CommentdeskError(response.status_code, code, message))
                if response.has_header("Allow"):
                    fixed["Allow"] = response["Allow"]
                return fixed
            return response
        return self.get_response(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 page (``handler400``), except for a form over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (``RequestDataTooBig``, e.g. the desk's word
    lists, whose fields allow more than one request carries): 413 and a page
    saying that nothing was saved and what to do."""
    from django.core.exceptions import RequestDataTooBig
    from django.utils.html import escape
    from django.utils.translation import gettext as _
    from django.views.defaults import bad_request as django_bad_request

    if not isinstance(exception, RequestDataTooBig):
        return django_bad_request(request, exception)
    message = _("The form sent is over %(limit)d KiB, more than one page may send, so nothing was saved. "
                "Go back and send less at once: shorten the lists, or save a few of them at a time.") % {
        "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024}
    return HttpResponse(f"<!doctype html><title>{escape(_('Too much at once'))}</title>"
                        f"<h1>{escape(_('Too much at once'))}</h1><p>{escape(message)}</p>", status=413)


def too_large() -> CommentdeskError:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
    return CommentdeskError(413, "too_large", f"The request body is over {limit} KiB.")


def etag_matches(if_none_match: str, etag: str) -> bool:
    """True when an ``If-None-Match`` header value names ``etag``: ``*``, or a
    list with it, compared weakly as RFC 9110 asks (``W/"x"`` matches ``"x"``:
    proxies that compress turn strong ETags into weak ones)."""
    tags = [t.strip() for t in if_none_match.split(",")]
    bare = etag.removeprefix("W/")
    return any(t == "*" or t.removeprefix("W/") == bare for t in tags if t)


READER_PREFIXES = ("/api/v1/threads/", "/api/v1/comments/", "/api/v1/sites/")
CORS_HEADERS = "Content-Type, Idempotency-Key, Authorization, If-None-Match"


class ReaderCorsMiddleware:
    """CORS for the reader API, limited to each site's allowed origins.

    A preflight (``OPTIONS``) from an allowed origin answers 204 with the
    methods and headers the widget uses; a write from an origin the site does
    not allow answers 403 ``origin_not_allowed`` before it reaches the view.
    Every reader answer carries ``Vary: Origin``.
    Moderation endpoints get no CORS headers at all (same-origin desk, or
    server-side scripts with a token).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(READER_PREFIXES):
            return self.get_response(request)
        origin = request.headers.get("Origin")
        if not origin or origin == own_origin(request):
            response = self.get_response(request)
        else:
            response = self.cross_origin(request, origin)
        # Always, so that a CDN never serves one origin's answer (with or
        # without Access-Control-Allow-Origin) to another origin.
        patch_vary_headers(response, ["Origin"])
        return response

    def cross_origin(self, request: HttpRequest, origin: str) -> HttpResponse:
        """Answer a request from a page on another ``origin``: 204 to a preflight,
        403 ``origin_not_allowed`` to a write the site refuses, else the view's
        answer; ``Access-Control-Allow-*`` unless the site refuses the origin."""
        allowed = origin_allowed(request.path, origin)
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
        elif allowed is False and request.method not in ("GET", "HEAD"):
            response = error_response(
                CommentdeskError(403, "origin_not_allowed", f"Pages on {origin} may not post to this site.")
            )
        else:
            response = self.get_response(request)
        if allowed is not False:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = "ETag, Retry-After"
            if request.method == "OPTIONS":
                response["Access-Control-Allow-Methods"] = "GET, POST, PATCH, OPTIONS"
                response["Access-Control-Allow-Headers"] = CORS_HEADERS
                response["Access-Control-Max-Age"] = "600"
        return response


def own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}" if request.get_host() else ""


def origin_allowed(path: str, origin: str) -> bool | None:
    """Whether the site a reader-API path belongs to allows ``origin``; None
    when the path names no known site (the view then answers 404)."""
    from commentdesk.comments.models import Comment
    from commentdesk.sites.models import Site

    parts = path.split("/")
    site: Site | None
    if len(parts) > 4 and parts[3] in ("threads", "sites"):
        site = Site.objects.filter(slug=parts[4]).first()
    elif len(parts) > 4 and parts[3] == "comments":
        comment = Comment.objects.select_related("site").filter(public_id=parts[4]).first()
        site = comment.site if comment else None
    else:
        site = None
    if site is None:
        return None
    return site.allows_origin(origin)
