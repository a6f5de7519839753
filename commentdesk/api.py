"""The HTTP API (``/api/v1/``): one NinjaAPI with the reader and moderation routers.

Every error leaves as API.md's ``{"error": {"code", "message", "fields"}}``;
the OpenAPI document is generated from the code at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from commentdesk.comments.api import router as reader
from commentdesk.lib.errors import CommentdeskError, Invalid
from commentdesk.lib.http import error_response, too_large
from commentdesk.moderation.api import reader_router as flags
from commentdesk.moderation.api import router as moderation


# Characters no database stores in text (PostgreSQL refuses NUL; neither SQLite nor
# PostgreSQL accepts an unpaired UTF-16 surrogate, which JSON's \uD800 escapes allow).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(value: Any) -> Any:
    """``value`` (parsed JSON) with NUL and lone surrogates removed from every string,
    keys included. Bodies lose them anyway (API.md's text handling); ids, URLs and
    notes would otherwise reach the database and fail there (a 5xx)."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("", value)
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class StrictJSONParser(Parser):
    """Parse a JSON object from a UTF-8 body; raise ``Invalid`` naming the problem.

    Refuses non-UTF-8 bytes, invalid JSON (``NaN``/``Infinity`` included),
    nesting too deep to parse, and anything but an object at the top. Strings
    lose NUL and unpaired surrogates (see :func:`_storable`).
    """

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Invalid({"request": ["The request body is not valid UTF-8."]}) from exc
        try:
            data = json.loads(text, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise Invalid({"request": [f"The request body is not valid JSON ({exc.msg} at {exc.lineno}:{exc.colno})."]}) from exc
        except (ValueError, RecursionError) as exc:
            raise Invalid({"request": ["The request body is not valid JSON (or nested too deeply)."]}) from exc
        if not isinstance(data, dict):
            raise Invalid({"request": ["The request body must be a JSON object."]})
        try:
            return _storable(data)
        except RecursionError as exc:
            raise Invalid({"request": ["The request body is nested too deeply."]}) from exc


api = NinjaAPI(
    title="commentdesk",
    version="1",
    description="Pre-moderated reader comments. See API.md for the contract.",
    urls_namespace="api",
    docs_url=None,
    parser=StrictJSONParser(),
)
api.add_router("/", reader)
api.add_router("/", flags)
api.add_router("/moderation/", moderation)


@api.exception_handler(CommentdeskError)
def on_commentdesk_error(request: HttpRequest, exc: CommentdeskError) -> HttpResponse:
    return error_response(exc)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(part) for part in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[1:]
        if loc and loc[0] == "payload":
            loc = loc[1:]
        name = ".".join(loc) or "request"
        fields.setdefault(name, []).append(str(err.get("msg", "invalid")))
    return error_response(Invalid(fields))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, CommentdeskError):
        return error_response(cause)
    if isinstance(cause, RequestDataTooBig):
        return error_response(too_large())
    if isinstance(exc, AuthenticationError) or exc.status_code == 401:
        return error_response(CommentdeskError(401, "unauthorized", "Log in, or send Authorization: Token <token>."))
    if exc.status_code == 403:
        return error_response(CommentdeskError(403, "forbidden", str(exc)))
    code = {400: "invalid", 404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}.get(exc.status_code, "error")
    return error_response(CommentdeskError(exc.status_code, code, str(exc)))
