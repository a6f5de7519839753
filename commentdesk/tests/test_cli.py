"""The ``commentdesk`` console script runs a whole installation from DATABASE_URL."""

from __future__ import annotations

import io
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from commentdesk.moderation.models import APIToken, Membership
from commentdesk.sites.models import Site

DATA = Path(__file__).resolve().parents[1] / "importers" / "tests" / "data"


def commentdesk_exe() -> str:
    exe = Path(sys.executable).with_name("commentdesk")
    return str(exe) if exe.exists() else shutil.which("commentdesk") or "commentdesk"


def test_console_script_in_a_temporary_directory(tmp_path: Path) -> None:
    """migrate, createsite, createmoderator --print-token and import work on a fresh SQLite file."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "COMMENTDESK_VAR_DIR": str(tmp_path)}

    def run(*args: str) -> str:
        done = subprocess.run([commentdesk_exe(), *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("migrate", "--verbosity", "0")
    assert "Created site paper" in run("createsite", "paper", "--name", "Paper", "--origin", "https://paper.example")
    out = run("createmoderator", "ed", "--site", "paper", "--print-token").strip().splitlines()
    assert out[-1].startswith("cdt_") and len(out[-1]) > 30
    summary = run("import", "disqus", str(DATA / "isso-disqus.xml"), "--site", "paper")
    assert "comments: 5 imported" in summary
    assert (tmp_path / "db.sqlite3").exists() and (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(("name", "value", "message"), [
    ("TRIAGE_FINGERPRINT_DAYS", "1000000", "TRIAGE_FINGERPRINT_DAYS must be from 1 to 36500, got 1000000"),
    ("TRIAGE_FINGERPRINT_DAYS", "0", "TRIAGE_FINGERPRINT_DAYS must be from 1 to 36500, got 0"),
    ("COMMENTS_RATE_LIMIT", "ten", "COMMENTS_RATE_LIMIT must be an integer, got 'ten'"),
])
def test_a_setting_that_cannot_be_used_ends_with_one_line(tmp_path: Path, name: str, value: str, message: str) -> None:
    """A bad environment value stops every command with one line naming it (exit 1), not a
    traceback; a fingerprint age past the calendar made housekeeping fail on its first step."""
    env = {**os.environ, "COMMENTDESK_VAR_DIR": str(tmp_path), name: value}
    done = subprocess.run([commentdesk_exe(), "check"], env=env, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr.strip()) == (1, f"commentdesk: {message}")


@pytest.mark.django_db
def test_createsite_validates_origins() -> None:
    with pytest.raises(CommandError, match="not an origin"):
        call_command("createsite", "bad", "--name", "Bad", "--origin", "news.example/path", stdout=io.StringIO())
    assert not Site.objects.filter(slug="bad").exists()


@pytest.mark.django_db
def test_createmoderator_token_authenticates(site: Site, client) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("createmoderator", "desk-ko", "--site", "demo", "--print-token", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    assert APIToken.objects.filter(token_hash=APIToken.digest(token)).exists()
    assert Membership.objects.filter(user__username="desk-ko", site=site).exists()
    response = client.get("/api/v1/moderation/demo/queue", headers={"Authorization": f"Token {token}"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_createmoderator_keeps_a_members_role_unless_told(site: Site, other_site: Site) -> None:
    """A token for an admin (as the README shows) leaves them admin; --moderator demotes,
    --admin promotes; a new membership is a moderator's."""
    def run(*extra: str) -> str:
        out = io.StringIO()
        call_command("createmoderator", "ada", "--site", "demo", *extra, stdout=out)
        return out.getvalue().splitlines()[0]

    def role() -> str:
        return Membership.objects.get(user__username="ada", site=site).role

    assert run("--admin") == "Created ada: demo (admin)" and role() == "admin"
    assert run("--print-token") == "Updated ada: demo (admin)" and role() == "admin"
    out = io.StringIO()
    call_command("createmoderator", "ada", "--site", "demo", "--site", other_site.slug, stdout=out)
    assert out.getvalue().strip() == f"Updated ada: demo (admin), {other_site.slug} (moderator)"
    assert run("--moderator") == "Updated ada: demo (moderator)" and role() == "moderator"
    with pytest.raises(CommandError):
        call_command("createmoderator", "ada", "--site", "demo", "--admin", "--moderator", stdout=io.StringIO(),
                     stderr=io.StringIO())


@pytest.mark.django_db
def test_createmoderator_sets_a_language_desk(site: Site) -> None:
    """--languages limits what the moderator sees to the site's languages given; all lifts it; a code the
    site lacks or no code at all is refused and changes nothing."""
    site.languages = ["en", "ko", "ru"]
    site.save()

    def run(*extra: str) -> str:
        out = io.StringIO()
        call_command("createmoderator", "kim", "--site", "demo", *extra, stdout=out)
        return out.getvalue().splitlines()[0]

    assert run("--languages", "ko, RU") == "Created kim: demo (moderator; ko, ru)"
    assert Membership.objects.get(user__username="kim").languages == ["ko", "ru"]
    assert run() == "Updated kim: demo (moderator; ko, ru)"  # kept unless told
    for bad, message in (("de", "site demo has no language 'de'"), ("k*", "not a language code"),
                         (",", "give language codes")):
        with pytest.raises(CommandError, match=message):
            run("--languages", bad)
    assert Membership.objects.get(user__username="kim").languages == ["ko", "ru"]
    assert run("--languages", "all") == "Updated kim: demo (moderator)"
    assert Membership.objects.get(user__username="kim").languages == []


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "email"), [("u" * 151, ""), ("", ""), ("bad name/!", ""), ("ed", "not-an-address"),
                                             ("ed", "x" * 300 + "@x.example")])
def test_createmoderator_refuses_bad_names_and_addresses(site: Site, name: str, email: str) -> None:
    """A clear error, not a database traceback; no user is made."""
    with pytest.raises(CommandError):
        call_command("createmoderator", name, "--site", "demo", *(["--email", email] if email else []),
                     stdout=io.StringIO())
    assert not User.objects.exists()


@pytest.mark.django_db
def test_createmoderator_unknown_site() -> None:
    with pytest.raises(CommandError, match="no site 'nope'"):
        call_command("createmoderator", "x", "--site", "nope", stdout=io.StringIO())
    assert not User.objects.filter(username="x").exists()


def test_a_database_never_migrated_is_one_clear_line_not_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}", "COMMENTDESK_VAR_DIR": str(tmp_path)}
    done = subprocess.run([commentdesk_exe(), "report", "--site", "demo", "--since", "2026-01-01"], env=env,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 1
    assert "has no commentdesk tables yet" in done.stderr and "run `commentdesk migrate` first" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_postgresql_database_not_created_is_one_clear_line(tmp_path: Path) -> None:
    """The README's PostgreSQL set-up starts with an empty server: the missing database is named, with how
    to create it (skipped where no PostgreSQL answers on 127.0.0.1:5432)."""
    name = f"cd_missing_{secrets.token_hex(4)}"
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
           "COMMENTDESK_VAR_DIR": str(tmp_path)}
    done = subprocess.run([commentdesk_exe(), "migrate"], env=env, capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    if "Connection refused" in done.stderr or "could not connect" in done.stderr.lower():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    assert done.returncode == 1
    assert f"has no database {name}: create it (`createdb -h 127.0.0.1 -U postgres {name}`)" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_default_var_dir_is_the_checkouts_whatever_the_working_directory(tmp_path: Path) -> None:
    """cron starts elsewhere: without COMMENTDESK_VAR_DIR, a command run from another
    directory uses the checkout's var/ and leaves nothing where it was started."""
    env = {k: v for k, v in os.environ.items() if k not in ("COMMENTDESK_VAR_DIR", "DATABASE_URL")}
    code = "from django.conf import settings; print(settings.VAR_DIR)"
    done = subprocess.run([commentdesk_exe(), "shell", "-c", code], env=env, capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip().splitlines()[-1]) == Path(__file__).resolve().parents[2] / "var"
    assert not (tmp_path / "var").exists()


@pytest.mark.django_db
def test_demo_prints_the_password_once() -> None:
    first, second = io.StringIO(), io.StringIO()
    call_command("demo", "--no-serve", stdout=first)
    call_command("demo", "--no-serve", stdout=second)
    password = first.getvalue().split("Moderator password (shown once): ")[1].split()[0]
    assert User.objects.get(username="moderator").check_password(password)
    assert "shown once" not in second.getvalue()
    assert Site.objects.get(slug="demo").allowed_origins


@pytest.mark.django_db
def test_the_demo_starts_with_word_lists_that_triage_matches() -> None:
    """A starter set (banned insults, suspect scam words) that a submitted comment matches
    at once; a second run keeps the lists a moderator edited."""
    from commentdesk.comments.tests.factories import CommentFactory, ThreadFactory
    from commentdesk.triage import pipeline
    from commentdesk.triage.models import WordList

    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    assert "Word lists: a small starter set, to edit at /desk/demo/triage/" in out.getvalue()
    site = Site.objects.get(slug="demo")
    comment = CommentFactory(thread=ThreadFactory(site=site), body="What an idiot wrote this.")
    assert pipeline.score_comment(comment, "request").details["words"]["reasons"] == ['banned term: idiot* ("idiot")']
    WordList.objects.filter(site=site).delete()
    WordList.objects.create(site=site, kind="banned", terms="own")
    call_command("demo", "--no-serve", stdout=io.StringIO())
    assert list(WordList.objects.filter(site=site).values_list("terms", flat=True)) == ["own"]


@pytest.mark.django_db
def test_demo_queues_the_training_of_its_classifier_until_it_has_one() -> None:
    """The demo's first classifier is trained by the task worker (not when one is active)."""
    from django_tasks_db.models import DBTaskResult

    from commentdesk.triage.models import ClassifierModel

    call_command("demo", "--no-serve", stdout=io.StringIO())
    site = Site.objects.get(slug="demo")
    assert site.languages == ["en", "ko", "ru"]
    queued = DBTaskResult.objects.get(task_path="commentdesk.triage.tasks.retrain_classifier")
    assert queued.args_kwargs["args"] == [site.pk, False]
    ClassifierModel.objects.create(site=site, version="demo-1", blob=b"", is_active=True,
                                   created_at=site.created_at)
    call_command("demo", "--no-serve", stdout=io.StringIO())
    assert DBTaskResult.objects.filter(task_path="commentdesk.triage.tasks.retrain_classifier").count() == 1


@pytest.mark.django_db
def test_settings_and_rights_changed_outside_the_desk_are_audited() -> None:
    """createsite and createmoderator leave entries in the site's audit log."""
    from commentdesk.moderation.models import AuditLogEntry

    call_command("createsite", "paper", "--name", "Paper", stdout=io.StringIO())
    call_command("createsite", "paper", "--name", "Paper", "--policy", "post", stdout=io.StringIO())
    call_command("createsite", "paper", "--name", "Paper", stdout=io.StringIO())  # no change: no entry
    call_command("createmoderator", "ed", "--site", "paper", stdout=io.StringIO())
    entries = list(AuditLogEntry.objects.order_by("id").values_list("action", "actor_name", "note", "after_text"))
    assert [e[:2] for e in entries] == [("settings", "command line")] * 2 + [("membership", "command line")]
    assert entries[1][2] == "changed: policy" and entries[1][3] == '{"policy": "post"}'
    assert entries[2][2] == "granted moderator rights of ed"


@pytest.mark.django_db
def test_admin_site_change_is_audited(client) -> None:  # type: ignore[no-untyped-def]
    from commentdesk.moderation.models import AuditLogEntry

    site = Site.objects.create(slug="paper", name="Paper")
    admin = User.objects.create_superuser("root", password="x")
    client.force_login(admin)
    data = {f: v for f, v in site.settings_dict().items()}
    data.update(policy="post", allowed_origins="[]", reason_codes='["spam"]', languages="[]", translations="{}")
    response = client.post(f"/admin/sites/site/{site.pk}/change/", {k: v for k, v in data.items() if v is not False})
    assert response.status_code == 302, response.content[:500]
    entry = AuditLogEntry.objects.get()
    assert entry.actor == admin and "policy" in entry.note and "reason_codes" in entry.note


@pytest.mark.parametrize("trusted", [False, True])
def test_serve_passes_x_forwarded_for_only_when_told_to_trust_it(trusted: bool, settings: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind your own proxy (COMMENTS_TRUST_X_FORWARDED_FOR) waitress must not strip the header
    that gives each reader their own IP hash (else every reader shares the proxy's)."""
    import waitress.server

    seen: dict[str, Any] = {}

    class Stopped(Exception):
        pass

    def create_server(app: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        raise Stopped

    settings.COMMENTS_TRUST_X_FORWARDED_FOR = trusted
    monkeypatch.setattr(waitress.server, "create_server", create_server)
    with pytest.raises(Stopped):
        call_command("serve", "--port", "8199", stdout=io.StringIO())
    assert seen["clear_untrusted_proxy_headers"] is (not trusted)


@pytest.mark.django_db
def test_demo_checks_its_import_file_before_making_anything(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is a directory"):
        call_command("demo", "--no-serve", "--import-disqus", str(tmp_path), stdout=io.StringIO())
    assert not Site.objects.exists() and not User.objects.exists()


def test_the_demo_starts_its_task_worker_again_when_it_ends() -> None:
    """A worker that exits is reported and started again, at most ``limit`` times, then
    the report says to run it by hand; stopping ends a running worker without a report."""
    from commentdesk.embed.management.commands.demo import Supervisor

    reports: list[str] = []
    failing = Supervisor(lambda: subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"]), reports.append,
                         limit=2, pause=0.01)
    failing.start()
    failing.join(timeout=60)
    assert not failing.is_alive()
    assert reports == ["The task worker stopped (exit code 3); starting it again."] * 2 + [
        "The task worker stopped again (exit code 3); e-mails and background scoring wait until you run "
        "`commentdesk db_worker` beside the server."]
    reports.clear()
    running = Supervisor(lambda: subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]),
                         reports.append)
    running.start()
    running.stop()
    running.join(timeout=30)
    assert not running.is_alive() and reports == [] and running.process.returncode is not None


def test_stopping_the_demo_while_its_worker_restarts_leaves_no_worker() -> None:
    """stop() called while a new worker is being started ends that new worker."""
    import threading
    import time

    from commentdesk.embed.management.commands.demo import Supervisor

    started: list[subprocess.Popen[Any]] = []
    starting = threading.Event()

    def start() -> subprocess.Popen[Any]:
        if started:  # the restart: slow to start, then runs until stopped
            starting.set()
            time.sleep(0.5)
            process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        else:
            process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(0)"])
        started.append(process)
        return process

    supervisor = Supervisor(start, lambda line: None, pause=0.01)
    supervisor.start()
    assert starting.wait(timeout=30)
    supervisor.stop()
    supervisor.join(timeout=30)
    assert not supervisor.is_alive() and len(started) == 2
    assert all(p.poll() is not None for p in started)
