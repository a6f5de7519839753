"""The test cast. Who may do what:

- ``site`` ("demo") and ``other_site`` ("other"): two publications.
- ``moderator`` (Mo): desk rights on ``site`` only; ``moderator_token`` is theirs.
- ``admin`` (Ada): site admin of ``site`` (its settings too); ``admin_desk`` is her session.
- ``other_moderator`` (Otto): rights on ``other_site`` only, none on ``site``.
- ``reader``: anyone, no login; ``reader_client`` posts as 203.0.113.7.
- ``banned_commenter``: a commenter of ``site`` under a permanent ban.

Browser tests get ``browser``, ``page``, ``demo_site`` and ``desk_moderator`` from
the plugin ``commentdesk.tests.browser`` (Playwright with Debian's chromium).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from commentdesk.comments.models import Commenter
from commentdesk.comments.tests.factories import CommenterFactory, SiteFactory
from commentdesk.moderation.models import APIToken, Membership
from commentdesk.sites.models import Site

pytest_plugins = ["commentdesk.tests.browser"]


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    """PBKDF2 takes ~0.3 s per password here; tests need no real hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts and ends with an empty cache, and with nothing remembered
    of sites' triage settings (a rolled-back site's id may come back). The default
    database cache needs nothing more: its table is rolled back (or flushed) with
    the test's data."""
    from django.core.cache import caches
    from django.core.cache.backends.db import DatabaseCache

    from commentdesk.triage import sitecache

    sitecache.clear()
    if isinstance(caches["default"], DatabaseCache):
        yield
        return
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site(db: Any) -> Site:
    return SiteFactory(slug="demo", name="Demo Courier", allowed_origins=["https://news.example"])


@pytest.fixture
def other_site(db: Any) -> Site:
    return SiteFactory(slug="other", name="Other Gazette", allowed_origins=["https://other.example"])


@pytest.fixture
def moderator(site: Site) -> User:
    user = User.objects.create_user("mo", password="correct horse battery staple")
    Membership.objects.create(user=user, site=site)
    return user


@pytest.fixture
def moderator_token(moderator: User) -> str:
    return APIToken.issue(moderator)


@pytest.fixture
def desk(moderator: User) -> Client:
    """A browser session of Mo, logged into the desk."""
    client = Client()
    client.force_login(moderator)
    return client


@pytest.fixture
def admin(site: Site) -> User:
    """Ada, a site admin of ``site`` (moderator rights plus its settings)."""
    user = User.objects.create_user("ada")
    Membership.objects.create(user=user, site=site, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def admin_desk(admin: User) -> Client:
    """A browser session of Ada, logged into the desk."""
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def other_moderator(other_site: Site) -> User:
    user = User.objects.create_user("otto", password="correct horse battery staple")
    Membership.objects.create(user=user, site=other_site)
    return user


@pytest.fixture
def other_token(other_moderator: User) -> str:
    return APIToken.issue(other_moderator)


@pytest.fixture
def reader_client() -> Client:
    return Client(REMOTE_ADDR="203.0.113.7")


@pytest.fixture
def banned_commenter(site: Site) -> Commenter:
    """Banned while posting from the reader_client's address."""
    from django.utils import timezone

    from commentdesk.lib.iphash import hash_ip

    return CommenterFactory(site=site, name="Troll", email="troll@example.org", banned_at=timezone.now(),
                            ip_hash=hash_ip("203.0.113.7"))


# --- helpers of the reader-API tests (comments/tests, moderation/tests/test_flags.py) ---


@pytest.fixture
def stored(db: Any) -> Any:
    """``stored()`` → (comments, threads, commenters) row counts: compare before and
    after a refused request to show that it stored nothing."""
    from commentdesk.comments.models import Comment, Thread

    def counts() -> tuple[int, int, int]:
        return Comment.objects.count(), Thread.objects.count(), Commenter.objects.count()

    return counts


@pytest.fixture
def post_comment(site: Site, reader_client: Client) -> Any:
    """``post_comment(client=reader_client, slug="demo", headers=None, **fields)``:
    POST a valid comment to thread ``/a/b`` of ``site``, with ``fields`` changed."""

    def post(
        client: Client | None = None, slug: str = "demo", headers: dict[str, str] | None = None, **fields: Any
    ) -> Any:
        data = {"key": "/a/b", "author_name": "Reader", "body": "A comment."} | fields
        return (client or reader_client).post(
            f"/api/v1/threads/{slug}/comments", data, content_type="application/json", headers=headers or {}
        )

    return post


@pytest.fixture
def still_clock() -> Iterator[None]:
    """The clock stands still (``time_machine``, now): for tests that count up to a rate
    limit, whose fixed windows (``lib.ratelimit``) would otherwise reset the count when
    a test happened to run across a window's end."""
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now(), tick=False):
        yield


@pytest.fixture
def publish(site: Site, moderator: User, django_capture_on_commit_callbacks: Any) -> Any:
    """``publish(*comments, action="approve", reason="")``: Mo decides on them through
    ``moderation.decide`` (approve by default), and the after-commit snapshot
    refresh runs as it would after a real request."""
    from commentdesk.moderation.decisions import decide

    def approve(*comments: Any, action: str = "approve", reason: str = "") -> None:
        with django_capture_on_commit_callbacks(execute=True):
            decide(comments[0].site, [c.public_id for c in comments], action, moderator, reason)
        for comment in comments:
            comment.refresh_from_db()

    return approve
