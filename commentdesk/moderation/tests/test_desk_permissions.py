"""Site separation on every desk URL, as a matrix.

Who may do what (the cast of ``commentdesk/conftest.py``):
- Mo (``moderator``) moderates "demo" only; Otto (``other_moderator``) "other" only.
- Anyone not logged in is sent to the log-in page.
- A desk URL of a site the user does not moderate answers 403 and changes nothing;
  an unknown site answers 404.
- On their own site's URLs, a comment or commenter id of another site answers 404.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from commentdesk.comments.models import Comment, Commenter, Thread
from commentdesk.comments.tests.factories import CommentFactory
from commentdesk.moderation.decisions import decide
from commentdesk.moderation.models import AuditLogEntry, Ban
from commentdesk.sites.models import Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(other_site: Site, other_moderator: User) -> dict[str, Any]:
    """The other site's comment, commenter, thread and one decision."""
    comment = CommentFactory(thread__site=other_site, body="Theirs.")
    decided = CommentFactory(thread__site=other_site, thread=comment.thread)
    [entry] = decide(other_site, [decided.public_id], "approve", other_moderator)
    return {"c": comment.public_id, "u": comment.commenter.public_id, "key": comment.thread.key,
            "entry": entry.audit_entry_id, "decided": decided.public_id}


# (method, path, data): {c} comment id, {u} commenter id, {key} thread key, {entry} audit entry id
DESK_URLS = [
    ("get", "/desk/{site}/", {}),
    ("get", "/desk/{site}/?status=all&q=x", {}),
    ("post", "/desk/{site}/decide/", {"comment_ids": ["{c}"], "action": "spam", "reason": "spam"}),
    ("post", "/desk/{site}/undo/", {"entry_ids": ["{entry}"]}),
    ("post", "/desk/{site}/threads/state/", {"key": "{key}", "closed": "1"}),
    ("get", "/desk/{site}/comments/{c}/edit/", {}),
    ("post", "/desk/{site}/comments/{c}/edit/", {"body": "Changed.", "reason": "other"}),
    ("get", "/desk/{site}/commenters/{u}/", {}),
    ("post", "/desk/{site}/commenters/{u}/ban/", {"reason": "spam", "duration": "permanent"}),
    ("post", "/desk/{site}/commenters/{u}/unban/", {}),
    ("post", "/desk/{site}/commenters/{u}/trust/", {"trusted": "1"}),
    ("get", "/desk/{site}/settings/", {}),
    ("post", "/desk/{site}/settings/", {"terms_url": "https://evil.example/"}),
    ("get", "/desk/{site}/audit/", {}),
    ("get", "/desk/{site}/audit.csv", {}),
]


def fill(template: Any, values: dict[str, Any]) -> Any:
    if isinstance(template, list):
        return [fill(t, values) for t in template]
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    return str(template).format(**values)


def state(site: Site) -> tuple[Any, ...]:
    """Everything a desk action could change on ``site``."""
    return (
        sorted(Comment.objects.filter(site=site).values_list("public_id", "status", "body")),
        sorted(Commenter.objects.filter(site=site).values_list("public_id", "banned_at", "trusted")),
        sorted(Thread.objects.filter(site=site).values_list("key", "is_closed")),
        Ban.objects.filter(site=site).count(),
        AuditLogEntry.objects.filter(site=site).count(),
        Site.objects.filter(pk=site.pk).values_list("terms_url", flat=True).get(),
    )


@pytest.mark.parametrize(("method", "path", "data"), DESK_URLS)
def test_moderator_of_one_site_gets_403_on_anothers_desk(
    desk: Client, other_site: Site, theirs: dict[str, Any], method: str, path: str, data: dict[str, Any]
) -> None:
    before = state(other_site)
    response = getattr(desk, method)(fill(path, theirs | {"site": "other"}), fill(data, theirs))
    assert response.status_code == 403
    assert "Other Gazette" not in response.content.decode()
    assert state(other_site) == before


@pytest.mark.parametrize(("method", "path", "data"), DESK_URLS)
def test_anonymous_is_sent_to_log_in(
    client: Client, other_site: Site, theirs: dict[str, Any], method: str, path: str, data: dict[str, Any]
) -> None:
    before = state(other_site)
    response = getattr(client, method)(fill(path, theirs | {"site": "other"}), fill(data, theirs))
    assert response.status_code == 302 and response["Location"].startswith("/desk/login/?next=")
    assert state(other_site) == before


@pytest.mark.parametrize(("method", "path", "data"), [u for u in DESK_URLS if "{c}" in u[1] or "{u}" in u[1]])
def test_ids_of_another_site_are_not_found_on_ones_own_desk(
    desk: Client, site: Site, other_site: Site, theirs: dict[str, Any], method: str, path: str,
    data: dict[str, Any]
) -> None:
    before = state(other_site)
    response = getattr(desk, method)(fill(path, theirs | {"site": "demo"}), fill(data, theirs))
    assert response.status_code == 404
    assert "Theirs." not in response.content.decode()
    assert state(other_site) == before


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/desk/demo/decide/", {"comment_ids": ["{c}"], "action": "spam", "reason": "spam", "confirm": "1"}),
        ("post", "/desk/demo/undo/", {"entry_ids": ["{entry}"]}),
        ("post", "/desk/demo/threads/state/", {"key": "{key}", "closed": "1"}),
    ],
)
def test_objects_of_another_site_cannot_be_reached_through_ones_own_site(
    moderator: User, site: Site, other_site: Site, theirs: dict[str, Any], method: str, path: str,
    data: dict[str, Any]
) -> None:
    """Their comment, decision or article named in a form on Mo's own desk: refused, nothing changes."""
    client = Client()
    client.force_login(moderator)
    before = state(other_site)
    response = getattr(client, method)(path, fill(data, theirs))
    assert response.status_code in (302, 404)
    assert state(other_site) == before


@pytest.mark.parametrize("path", ["/desk/nowhere/", "/desk/nowhere/settings/", "/desk/nowhere/audit/"])
def test_unknown_site_is_not_found(moderator: User, path: str) -> None:
    client = Client()
    client.force_login(moderator)
    assert client.get(path).status_code == 404


def test_403_page_is_a_desk_page_that_names_no_site(moderator: User, other_site: Site) -> None:
    client = Client()
    client.force_login(moderator)
    response = client.get("/desk/other/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Not allowed" in html and "You have no moderator rights on this site." in html
    assert "Other Gazette" not in html and "/desk/other/audit/" not in html
