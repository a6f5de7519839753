"""The desk's log-in, with a brake on password guessing."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from commentdesk.lib.iphash import request_ip_hash

# After this many failed log-ins for one user name from one network within the
# window (seconds), further attempts are refused without checking the password.
MAX_FAILURES = 10
WINDOW = 15 * 60


def _key(request: HttpRequest) -> str:
    name = str(request.POST.get("username", "")).strip().lower()[:150]
    return f"login-fail:{request_ip_hash(request)}:{name}"


class DeskLoginView(LoginView):
    """Django's LoginView that refuses (429) a user name from a network after
    ``MAX_FAILURES`` wrong passwords within ``WINDOW`` seconds."""

    template_name = "desk/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if cache.get(_key(request), 0) >= MAX_FAILURES:
            form = self.get_form()
            form.add_error(None, f"Too many failed log-ins. Wait {WINDOW // 60} minutes and try again.")
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        key = _key(self.request)
        cache.add(key, 0, timeout=WINDOW)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=WINDOW)
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        cache.delete(_key(self.request))
        return super().form_valid(form)
