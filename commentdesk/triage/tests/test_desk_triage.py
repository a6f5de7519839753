"""The desk's triage page: site admins edit word lists per language, the link
policy, automation, nudge and retraining; every change is in the audit log;
moderators without the admin role get 403."""

from __future__ import annotations

import json
from urllib.parse import urlencode
from typing import Any

import lxml.html
import pytest
from django.contrib.auth.models import User
from django.test import Client

from commentdesk.moderation.models import AuditLogEntry
from commentdesk.moderation.tests.test_desk_settings import form_data
from commentdesk.triage import pipeline
from commentdesk.triage.models import TriagePolicy, WordList
from commentdesk.triage.tests.conftest import LANGUAGE

pytestmark = pytest.mark.django_db

URL = "/desk/demo/triage/"
WORDS = {"NAME": "commentdesk.triage.scorers.wordlists.WordListScorer"}


@pytest.fixture
def korean(site: Any) -> Any:
    site.languages = ["en", "ko"]
    site.save()
    return site


def test_moderator_without_admin_role_gets_403(korean: Any, desk: Client, other_moderator: User) -> None:
    """Mo (moderator) may neither see nor post; Otto (another site) is refused too; nothing changes."""
    assert desk.get(URL).status_code == 403
    assert desk.post(URL, {"banned__": "scam", "max_links": "2"}).status_code == 403
    otto = Client()
    otto.force_login(other_moderator)
    assert otto.get(URL).status_code == 403
    assert not WordList.objects.exists() and not TriagePolicy.objects.exists()
    assert not AuditLogEntry.objects.exists()


def test_admin_sees_lists_per_language_and_the_link_in_the_header(korean: Any, admin_desk: Client) -> None:
    """One banned and one suspect list for every language, en and ko; the header links the page."""
    page = admin_desk.get(URL).content.decode()
    for name in ("banned__", "suspect__", "banned__en", "suspect__en", "banned__ko", "suspect__ko"):
        assert f'name="{name}"' in page
    assert 'lang="ko"' in page and 'lang="None"' not in page
    assert 'href="/desk/demo/triage/"' in admin_desk.get("/desk/demo/").content.decode()
    # The link limit's label says what it does; its help text does not say it again.
    assert "Hold comments with more links than" in page and "hold for review" not in page
    assert "0 holds every comment with a link for review." in page


def test_saving_lists_and_policy_is_audited_and_used_by_triage(
    korean: Any, admin_desk: Client, scorers: Any, make_comment: Any
) -> None:
    """Saved terms are matched at once; the audit log names what changed, before and after."""
    data = form_data(admin_desk, URL)
    data.update({"banned__ko": "사기\n# a note\n", "suspect__": "stupid", "auto_reject_above": "0.9",
                 "auto_reason": "spam", "nudge_enabled": "on"})
    answer = admin_desk.post(URL, data)
    assert answer.status_code == 302 and answer["Location"] == URL
    assert WordList.objects.get(site=korean, language="ko", kind="banned").terms == "사기\n# a note"
    policy = TriagePolicy.objects.get(site=korean)
    assert (policy.auto_reject_above, policy.auto_reason, policy.nudge_enabled) == (0.9, "spam", True)
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor_name) == ("settings", "ada")
    assert entry.note == ("triage: changed: suspect terms (every language), banned terms (ko), "
                          "auto reject above, auto reason, nudge enabled")
    assert json.loads(entry.before_text)["auto reject above"] is None
    assert json.loads(entry.after_text)["banned terms (ko)"] == "사기\n# a note"
    scorers(LANGUAGE, WORDS)
    score = pipeline.score_comment(make_comment("이 기사는 완전히 사기입니다", language="ko"))
    assert score.risk == 0.95


def test_unchanged_form_writes_nothing(korean: Any, admin_desk: Client) -> None:
    """Sending the form back unchanged logs nothing and says so, even with a browser's CRLF line ends."""
    data = form_data(admin_desk, URL)
    data["shorteners"] = data["shorteners"].replace("\n", "\r\n")
    answer = admin_desk.post(URL, data, follow=True)
    assert "No changes to save." in answer.content.decode()
    assert not AuditLogEntry.objects.exists() and not WordList.objects.exists()
    assert not TriagePolicy.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"auto_approve_below": "0.8", "auto_reject_above": "0.2", "auto_reason": "spam"}, "auto_approve_below"),
        ({"auto_reject_above": "1.2", "auto_reason": "spam"}, "auto_reject_above"),
        ({"auto_reject_above": "0.9", "auto_reason": ""}, "auto_reason"),
        ({"auto_approve_below": "abc"}, "auto_approve_below"),
        ({"nudge_above": "-1"}, "nudge_above"),
        ({"banned__": "!!!"}, "banned__"),
        ({"banned__": "x" * 101}, "banned__"),
        ({"suspect__ko": "\n".join(f"w{i}" for i in range(1001))}, "suspect__ko"),
        ({"max_links": "-1"}, "max_links"),
        ({"max_links": "1001"}, "max_links"),
        ({"max_links": "99999999999999999999999"}, "max_links"),
        ({"banned__": "c++"}, "banned__"),  # only the letter c: every lone "c" would match
        ({"banned__ko": "ㅋ"}, "banned__ko"),  # one jamo: every syllable holding it would match
        ({"banned__": "ア"}, "banned__"),
        ({"blocked_domains": "spam.example\n*.spam.test"}, "blocked_domains"),  # never a link's host
        ({"blocked_domains": "[::1]"}, "blocked_domains"),
        ({"blocked_domains": "999.999.999.999"}, "blocked_domains"),
        ({"shorteners": "bit.ly\n%%%"}, "shorteners"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_saved(
    korean: Any, admin_desk: Client, changes: dict[str, str], field: str
) -> None:
    """400 with the field marked; neither the lists nor the policy nor the audit log change."""
    data = form_data(admin_desk, URL) | {"banned__en": "scam"} | changes
    answer = admin_desk.post(URL, data)
    assert answer.status_code == 400
    form = answer.context["form"] if field in answer.context["form"].fields else answer.context["words"]
    assert field in form.errors
    assert "Nothing was saved" in answer.content.decode()
    assert not WordList.objects.exists() and not TriagePolicy.objects.exists()
    assert not AuditLogEntry.objects.exists()


def test_a_form_without_the_lists_empties_none_of_them(korean: Any, admin_desk: Client) -> None:
    """A post that leaves the text areas out (a script, a stale page) is refused with 400; the stored
    lists stay. Before, the missing lists were taken as empty and every list was deleted."""
    WordList.objects.create(site=korean, language="", kind="banned", terms="idiot*")
    WordList.objects.create(site=korean, language="ko", kind="banned", terms="병신")
    data = {k: v for k, v in form_data(admin_desk, URL).items() if not k.startswith(("banned__", "suspect__"))}
    answer = admin_desk.post(URL, data)
    assert answer.status_code == 400
    assert "This list was not in the form sent" in answer.content.decode()
    assert sorted(WordList.objects.values_list("language", "terms")) == [("", "idiot*"), ("ko", "병신")]
    assert not AuditLogEntry.objects.exists()


def test_too_many_links_is_refused_with_the_sites_limit(korean: Any, admin_desk: Client) -> None:
    """One message naming the form's limit (1,000), not the database column's."""
    data = form_data(admin_desk, URL) | {"max_links": "99999999999999999999999"}
    answer = admin_desk.post(URL, data)
    assert answer.status_code == 400
    assert answer.context["form"].errors["max_links"] == ["Ensure this value is less than or equal to 1000."]


@pytest.mark.parametrize("reject_above", ["0.9", ""])
@pytest.mark.parametrize(("code", "message"), [
    ("bogus", None),  # the site's codes, named
    ("x" * 41, "Ensure this value has at most 40 characters (it has 41)."),
    ("spam\x00", "Null characters are not allowed."),
])
def test_a_reason_code_not_of_the_site_gets_one_message(korean: Any, admin_desk: Client, reject_above: str,
                                                        code: str, message: str | None) -> None:
    """One message, with automatic rejection on or off: the site's codes named, or
    what is wrong with the value (not also "needs a reason code")."""
    data = form_data(admin_desk, URL) | {"auto_reject_above": reject_above, "auto_reason": code}
    answer = admin_desk.post(URL, data)
    assert answer.status_code == 400
    assert answer.context["form"].errors["auto_reason"] == [
        message or "Use one of the site's reason codes: " + ", ".join(korean.reason_codes) + "."]
    assert not TriagePolicy.objects.exists()


def test_one_letter_chinese_terms_and_real_domains_are_taken(korean: Any, admin_desk: Client) -> None:
    """A single Han character is a word; URLs, IDN and IPv4 entries name domains."""
    data = form_data(admin_desk, URL) | {"banned__": "操\nok", "blocked_domains": "https://www.spam.example/x\n한국.kr\n1.2.3.4"}
    assert admin_desk.post(URL, data).status_code == 302
    assert WordList.objects.get(language="", kind="banned").terms == "操\nok"


def test_csrf_is_required(korean: Any, admin: User) -> None:
    """A POST without the CSRF token is refused (403) and changes nothing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(URL, {"banned__": "scam", "max_links": "2"}).status_code == 403
    assert not WordList.objects.exists()


def test_queue_shows_risk_reasons_and_not_scored(site: Any, desk: Client, scorers: Any, make_comment: Any) -> None:
    """Beside each pending comment: its risk and strongest reasons, or "not scored: <why>"."""
    WordList.objects.create(site=site, kind="banned", terms="scam")
    scorers(LANGUAGE, WORDS)
    pipeline.score_comment(make_comment("What a scam."))
    pipeline.mark_not_scored(make_comment("Unlucky one.").pk, "scoring failed (OSError)")
    make_comment("Not scored yet.")
    page = lxml.html.fromstring(desk.get("/desk/demo/").content.decode())
    lines = {item.xpath("string(.//p[@class='body'])"): item.xpath("string(.//p[@class='triage-line'])")
             for item in page.xpath("//li[contains(@class, 'item')]")}
    assert lines["What a scam."].startswith("Triage: risk 0.95 · banned term: scam")
    assert lines["Unlucky one."] == "Triage: no risk score · not scored: scoring failed (OSError)"
    assert lines["Not scored yet."] == ""


@pytest.mark.django_db(transaction=True)  # the edit's commit runs triage within the request, as in production
@pytest.mark.parametrize("desk_languages", [["ko"], []])
def test_an_edit_into_another_desks_language_tells_the_moderator_where_it_went(
        site: Any, scorers: Any, desk_languages: list[str]) -> None:
    """A Korean desk's moderator rewrites a Korean comment in English: triage detects the new
    language at once, so the comment leaves their queue; the desk says where it went (before,
    it vanished, and the next action on it was a 404). A moderator of every language is not told."""
    from commentdesk.comments.tests.factories import CommentFactory
    from commentdesk.moderation.models import Membership
    from commentdesk.moderation.tests.test_desk_queue import status_messages

    scorers(LANGUAGE)
    comment = CommentFactory(thread__site=site, language="ko", body="이 기사 정말 좋네요, 감사합니다.")
    user = User.objects.create_user("ji")
    Membership.objects.create(user=user, site=site, languages=desk_languages)
    client = Client()
    client.force_login(user)
    response = client.post(f"/desk/demo/comments/{comment.public_id}/edit/",
                           {"body": "Thanks for this article about the harbour renovation, it was very useful.",
                            "reason": "other"})
    comment.refresh_from_db()
    assert response.status_code == 302 and comment.language == "en"
    said = status_messages(client.get(response["Location"]))
    assert ("The new text reads as English (en): the comment moved to that language's desk" in said) is bool(
        desk_languages)
    assert "Edited; the earlier text is kept as a revision." in said


def test_lists_over_the_request_limit_are_refused_with_a_page_that_says_so(
    korean: Any, admin_desk: Client
) -> None:
    """Word lists whose form is over the request size limit (fields allow 50,000
    characters; a page sends at most 64 KiB): 413 and a page saying nothing was saved,
    not Django's bare "Bad Request (400)"; the stored lists stay as they were."""
    WordList.objects.create(site=korean, language="ko", kind="banned", terms="사기")
    data = form_data(admin_desk, URL)
    data["banned__ko"] = "\n".join(f"욕설단어욕설단어{i:05d}" for i in range(1000))  # 14,000 characters
    # As a browser sends a form: URL-encoded, nine bytes for each Hangul syllable (over 64 KiB here).
    answer = admin_desk.post(URL, urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 413
    page = answer.content.decode()
    assert "nothing was saved" in page and "64 KiB" in page
    assert WordList.objects.get(site=korean, language="ko", kind="banned").terms == "사기"
    assert not AuditLogEntry.objects.exists()


def test_a_page_made_before_another_admins_save_saves_nothing(korean: Any, admin_desk: Client) -> None:
    """Admin A opens the page, admin B saves a list, A saves the page opened before:
    409, nothing of A's saved and B's list kept (it was emptied silently before); the
    page shows A's input again, made from B's version, so saving it again is A's choice."""
    a_page = form_data(admin_desk, URL)
    b_page = form_data(admin_desk, URL)
    b_page["suspect__ko"] = "도박\n대출"
    assert admin_desk.post(URL, b_page).status_code == 302
    a_page["banned__en"] = "scam"
    answer = admin_desk.post(URL, a_page)
    assert answer.status_code == 409
    assert "another admin changed these settings" in answer.content.decode()
    assert WordList.objects.get(site=korean, language="ko", kind="suspect").terms == "도박\n대출"
    assert not WordList.objects.filter(site=korean, language="en", kind="banned").exists()
    assert AuditLogEntry.objects.count() == 1  # B's save only
    again = form_data(admin_desk, URL, answer.content)
    assert again["banned__en"].strip() == "scam" and again["suspect__ko"].strip() == ""  # A's input, as sent
    assert admin_desk.post(URL, again).status_code == 302  # A chose to keep theirs
    assert WordList.objects.get(site=korean, language="en", kind="banned").terms == "scam"



def test_a_page_refused_for_its_values_keeps_the_version_it_was_made_from(korean: Any, admin_desk: Client) -> None:
    """A opened the page, B saved a list, A's save was refused for a value (400), A
    corrected the value and saved: 409, B's list kept."""
    a_page = form_data(admin_desk, URL)
    assert admin_desk.post(URL, form_data(admin_desk, URL) | {"suspect__ko": "도박"}).status_code == 302
    refused = admin_desk.post(URL, a_page | {"max_links": "-1"})
    assert refused.status_code == 400
    corrected = form_data(admin_desk, URL, refused.content) | {"max_links": "3"}
    assert admin_desk.post(URL, corrected).status_code == 409
    assert WordList.objects.get(site=korean, language="ko", kind="suspect").terms == "도박"
    assert not TriagePolicy.objects.exists()
