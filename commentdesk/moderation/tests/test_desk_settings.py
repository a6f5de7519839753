"""Site settings: site admins only; the model's validators; every change in the audit log."""

from __future__ import annotations

import json
from typing import Any

import lxml.html
import pytest
from django.contrib.auth.models import User
from django.test import Client

from commentdesk.moderation.models import AuditLogEntry
from commentdesk.sites.models import Site

pytestmark = pytest.mark.django_db


def form_data(client: Client, url: str = "/desk/demo/settings/", content: bytes | None = None) -> dict[str, Any]:
    """What the settings form at ``url`` sends back unchanged (of the page ``content``
    when given: one already answered, e.g. after a refused save)."""
    page = lxml.html.fromstring((content if content is not None else client.get(url).content).decode())
    form = page.xpath("//form[contains(@class, 'settings-form')]")[0]
    data: dict[str, Any] = {}
    for field in form.xpath(".//input[@name] | .//textarea[@name] | .//select[@name]"):
        name = field.get("name")
        if field.tag == "textarea":
            data[name] = field.text or ""
        elif field.tag == "select":
            data[name] = (field.xpath("./option[@selected]/@value") or [""])[0]
        elif field.get("type") == "checkbox":
            if field.get("checked") is not None:
                data[name] = "on"
        else:
            data[name] = field.get("value", "")
    return data


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("moderator", 403), ("other_moderator", 403), ("superuser", 200)],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_site_admins_see_and_change_settings(
    request: pytest.FixtureRequest, site: Site, who: str, status: int, method: str
) -> None:
    if who == "superuser":
        user = User.objects.create_superuser("root", password="x")
    else:
        user = request.getfixturevalue(who)
    client = login(user)
    data = form_data(login(User.objects.create_superuser("peek"))) | {"terms_url": "https://changed.example/terms"}
    response = getattr(client, method)("/desk/demo/settings/", data)
    expected = {200: 302 if method == "post" else 200, 403: 403}[status]
    assert response.status_code == expected
    site.refresh_from_db()
    assert (site.terms_url == "https://changed.example/terms") == (method == "post" and status == 200)


def test_settings_link_is_shown_to_admins_only(admin_desk: Client, moderator: User) -> None:
    assert b'href="/desk/demo/settings/"' in admin_desk.get("/desk/demo/").content
    assert b'href="/desk/demo/settings/"' not in login(moderator).get("/desk/demo/").content


def test_a_change_is_saved_and_logged_with_old_and_new_values(admin_desk: Client, site: Site) -> None:
    site.languages = ["en", "ko"]
    site.save()
    data = form_data(admin_desk)
    data |= {
        "allowed_origins": "https://news.example\nhttps://www.news.example",
        "auto_close_days": "14",
        "retention_days": "90",
        "reason_codes": "personal_attack\nspam\nother",
        "guidelines__ko": "서로 존중해 주세요.",
        "trusted_skip_premoderation": "on",
    }
    response = admin_desk.post("/desk/demo/settings/", data, follow=True)
    assert response.redirect_chain[-1][0] == "/desk/demo/settings/"
    site.refresh_from_db()
    assert site.allowed_origins == ["https://news.example", "https://www.news.example"]
    assert site.auto_close_days == 14 and site.trusted_skip_premoderation and site.retention_days == 90
    assert site.reason_codes == ["personal_attack", "spam", "other"]
    assert site.translations == {"ko": {"guidelines": "서로 존중해 주세요."}}
    assert site.texts("ko")[0] == "서로 존중해 주세요."
    entry = AuditLogEntry.objects.get(action="settings")
    assert entry.actor.username == "ada"
    changed = ["allowed_origins", "auto_close_days", "reason_codes", "retention_days", "translations",
               "trusted_skip_premoderation"]
    assert sorted(entry.note.removeprefix("changed: ").split(", ")) == changed
    before, after = json.loads(entry.before_text), json.loads(entry.after_text)
    assert sorted(before) == sorted(after) == changed
    assert before["allowed_origins"] == ["https://news.example"] and before["auto_close_days"] == 0
    assert (before["retention_days"], after["retention_days"]) == (0, 90)
    assert after["translations"] == {"ko": {"guidelines": "서로 존중해 주세요."}}
    assert "Settings saved" in response.content.decode()


def test_saving_without_changes_logs_nothing(admin_desk: Client) -> None:
    response = admin_desk.post("/desk/demo/settings/", form_data(admin_desk), follow=True)
    assert "No changes to save." in response.content.decode()
    assert not AuditLogEntry.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("allowed_origins", "news.example/path", "is not an origin"),
        ("reason_codes", "", "required"),
        ("reason_codes", "Personal Attack", "Reason codes are snake_case"),
        ("languages", "english", "Use a language code such as en"),
        ("terms_url", "not a url", "valid URL"),
        ("body_max_length", "-1", "greater than or equal to 0"),
        ("policy", "anarchy", "valid choice"),
        ("retention_days", "3651", "less than or equal to 3650"),
        ("retention_days", "-1", "greater than or equal to 0"),
    ],
)
def test_invalid_values_are_refused_by_the_models_validators(
    admin_desk: Client, site: Site, field: str, value: str, problem: str
) -> None:
    before = {f.name: getattr(site, f.name) for f in Site._meta.fields}
    response = admin_desk.post("/desk/demo/settings/", form_data(admin_desk) | {field: value})
    assert response.status_code == 400
    page = lxml.html.fromstring(response.content.decode())
    assert problem in " ".join(page.xpath(f"//*[@name='{field}']/..//ul[@class='errorlist']//text()"))
    assert "Nothing was saved" in page.xpath("//p[@class='form-problem']/text()")[0]
    site.refresh_from_db()
    assert {f.name: getattr(site, f.name) for f in Site._meta.fields} == before
    assert not AuditLogEntry.objects.exists()


def test_a_page_made_before_another_admins_save_saves_nothing(admin_desk: Client, site: Site) -> None:
    """Admin A opens the page, admin B saves, A saves the page opened before: 409,
    nothing of A's saved and B's change kept (it was undone silently before); the
    page shows A's input again, made from B's version, so saving it again is A's choice."""
    a_page, b_page = form_data(admin_desk), form_data(admin_desk)
    assert admin_desk.post("/desk/demo/settings/", b_page | {"auto_close_days": "30"}).status_code == 302
    answer = admin_desk.post("/desk/demo/settings/", a_page | {"retention_days": "90"})
    assert answer.status_code == 409
    assert "another admin changed these settings" in answer.content.decode()
    site.refresh_from_db()
    assert (site.auto_close_days, site.retention_days) == (30, 0)
    assert AuditLogEntry.objects.count() == 1  # B's save only
    again = form_data(admin_desk, content=answer.content)
    assert again["retention_days"] == "90" and again["auto_close_days"] == "0"  # A's input, as sent
    assert admin_desk.post("/desk/demo/settings/", again).status_code == 302  # A chose to keep theirs
    site.refresh_from_db()
    assert (site.auto_close_days, site.retention_days) == (0, 90)


def test_a_page_refused_for_its_values_keeps_the_version_it_was_made_from(admin_desk: Client, site: Site) -> None:
    """A opened the page, B saved, A's save was refused for a value (400), A corrected
    the value and saved: 409, B's change kept."""
    a_page = form_data(admin_desk)
    assert admin_desk.post("/desk/demo/settings/", form_data(admin_desk) | {"auto_close_days": "30"}).status_code == 302
    refused = admin_desk.post("/desk/demo/settings/", a_page | {"retention_days": "-1"})
    assert refused.status_code == 400
    corrected = form_data(admin_desk, content=refused.content) | {"retention_days": "90"}
    assert admin_desk.post("/desk/demo/settings/", corrected).status_code == 409
    site.refresh_from_db()
    assert (site.auto_close_days, site.retention_days) == (30, 0)
