"""The one error type the domain raises and the API renders (API.md's error shape),
and the error of a setting that cannot be used.

``{"error": {"code": "<machine_code>", "message": "<sentence>", "fields": {...}}}``
"""

from __future__ import annotations

from typing import Any


class CommentdeskError(Exception):
    """A refusal a client can act on.

    ``status``: the HTTP status the API answers with (4xx); ``code``: the
    machine code of API.md (``invalid``, ``thread_closed``…); ``fields``: for
    validation errors, field name → list of problems; ``headers``: extra
    response headers (``Retry-After``).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers or {}

    def as_dict(self) -> dict[str, Any]:
        """The JSON body of the error answer."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        return {"error": error}


class Invalid(CommentdeskError):
    """400 ``invalid`` with per-field problems."""

    def __init__(self, fields: dict[str, list[str]], message: str = "The request is not valid.") -> None:
        super().__init__(400, "invalid", message, fields)


class NotFound(CommentdeskError):
    """404 with a specific code (``unknown_site``, ``unknown_comment``…)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(404, code, message)


# Characters of a caller's value an error message quotes (a slug of 3,000 characters
# came back whole).
QUOTED = 60


def quoted(value: str) -> str:
    """``value`` as an error message quotes it: ``repr``, at most ``QUOTED``
    characters of it (then "…").

    >>> quoted("demo"), len(quoted("x" * 100)), quoted("x" * 100)[-3:]
    ("'demo'", 63, "x'…")
    """
    return repr(value[:QUOTED]) + ("…" if len(value) > QUOTED else "")


def unknown_site(slug: str) -> NotFound:
    """404 ``unknown_site`` naming ``slug`` (:func:`quoted`)."""
    return NotFound("unknown_site", f"There is no site {quoted(slug)}.")


class Forbidden(CommentdeskError):
    """403 with a specific code (``thread_closed``, ``commenter_banned``…)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(403, code, message)


class SettingError(ValueError):
    """An environment variable with a value commentdesk cannot use, raised while
    the settings load; the message names it (the ``commentdesk`` command prints
    it as one line)."""
