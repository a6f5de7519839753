"""What the browser tests share besides fixtures: where chromium is, how it is
started, the demo moderator's password, and the record of in-page problems."""

from __future__ import annotations

from pathlib import Path

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
