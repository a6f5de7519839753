"""Browser fixtures and helpers, shared by every app's browser tests: Debian's
chromium driven by Playwright's sync API. Registered as a pytest plugin in
``commentdesk/conftest.py``, so any test module under ``commentdesk/`` can ask for:

- ``playwright_driver`` (module scope): Playwright itself; while it runs, Django's
  ORM may be used from the test thread (see below).
- ``browser`` (module scope): one headless chromium per test module; the module's
  tests are skipped when ``/usr/bin/chromium`` is missing.
- ``page``: a fresh browser context (no cookies, no localStorage) and page per
  test; any JavaScript error, failed request the test did not expect, or
  Content-Security-Policy violation on the page fails the test at teardown
  (``browser_problems.expect(substring)`` declares one the test provokes).
- ``demo_site``: the demo site ("demo") whose allowed origins include the live
  server; ``desk_moderator``: Mo, a user with a password (``MODERATOR_PASSWORD``)
  and desk rights on it.

``playwright install`` is never needed: the tests drive the chromium of the
Debian package (``apt-get install chromium``), not a downloaded build.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Milliseconds Playwright waits for an element or a navigation before failing.
TIMEOUT_MS = 15_000
MODERATOR_PASSWORD = "lanterns on the water 2026"


class BrowserProblems(list[str]):
    """What went wrong inside the page during one test (console errors, page
    errors, failed requests). ``expect(substring)`` declares one problem the
    test provokes on purpose (e.g. a 403 answer it asserts on)."""

    def __init__(self) -> None:
        super().__init__()
        self.expected: list[str] = []

    def expect(self, substring: str) -> None:
        self.expected.append(substring)

    def unexpected(self) -> list[str]:
        return [p for p in self if not any(e in p for e in self.expected)]


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Any]:
    """Playwright's sync API, started once per module.

    Playwright's sync API keeps an asyncio event loop *running* in the test
    thread (it switches to it in a greenlet) from ``start()`` to ``stop()``.
    Django refuses ORM calls from a thread with a running event loop
    (``SynchronousOnlyOperation``), which would break every ORM call in the
    test and in the test database's flush at teardown. Nothing async touches
    the database here (the loop only talks to the browser; the live server
    answers in its own thread), so DJANGO_ALLOW_ASYNC_UNSAFE is set for exactly
    as long as Playwright runs, and put back afterwards so tests of other
    modules keep Django's guard.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run browser tests")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(playwright_driver: Any) -> Iterator[Any]:
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def page(browser: Any, live_server: Any, browser_problems: BrowserProblems) -> Iterator[Any]:
    """A new page in a fresh context, with ``base_url`` set to the live server."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: browser_problems.append(f"console error: {msg.text} at {msg.location.get('url')}")
        if msg.type == "error"
        else None,
    )
    page.on("pageerror", lambda exc: browser_problems.append(f"page error: {exc}"))
    # A request the browser itself abandoned (ERR_ABORTED: the page navigated
    # away while e.g. its icon was loading) is no problem of the page.
    page.on(
        "requestfailed",
        lambda req: browser_problems.append(f"request failed: {req.method} {req.url} {req.failure}")
        if "ERR_ABORTED" not in (req.failure or "")
        else None,
    )
    try:
        yield page
    finally:
        context.close()
    unexpected = browser_problems.unexpected()
    assert not unexpected, "the browser reported problems:\n" + "\n".join(unexpected)


@pytest.fixture
def demo_site(transactional_db: Any, live_server: Any) -> Any:
    """The demo site ("demo"), allowing pages of the live server to call its API."""
    from commentdesk.comments.tests.factories import SiteFactory

    site = SiteFactory(slug="demo", name="Demo Courier")
    site.allowed_origins = [live_server.url]
    site.terms_url = f"{live_server.url}/#terms"
    site.save()
    return site


@pytest.fixture
def desk_moderator(demo_site: Any) -> Any:
    """Mo, a moderator of the demo site who logs in with ``MODERATOR_PASSWORD``."""
    from django.contrib.auth.models import User

    from commentdesk.moderation.models import Membership

    user = User.objects.create_user("mo", password=MODERATOR_PASSWORD)
    Membership.objects.create(user=user, site=demo_site)
    return user
