"""``commentdesk demo``: migrate, create the demo site and a moderator, serve
(with a task worker beside the server, so e-mails show on the console).

Safe to run again: an existing site and moderator are kept (the password is
printed only when the moderator is first created).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Q

from commentdesk.embed.management.commands.serve import url_host
from commentdesk.embed.views import DEMO_SITE
from commentdesk.importers.base import check_file
from commentdesk.moderation.models import Membership
from commentdesk.sites.models import Site
from commentdesk.triage.models import ClassifierModel, WordList
from commentdesk.triage.tasks import retrain_classifier

# The demo site's languages: the article's English, the seed sets' Korean, the
# preloaded Radio-T export's Russian (language detection chooses among them).
DEMO_LANGUAGES = ["en", "ko", "ru"]
# The demo site's first word lists (language, kind, terms), so that its triage shows
# matches at once; a real site writes its own in the desk.
DEMO_WORDS = [
    ("", "banned", "# every language: insults\nidiot*\nmoron*"),
    ("ko", "banned", "병신\n씨발"),
    ("", "suspect", "scam*\nbuy now\n사기"),
]


class Command(BaseCommand):
    help = "Set up a demo installation (site 'demo', a moderator) and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--moderator", default="moderator", help="login name of the demo moderator")
        parser.add_argument("--import-disqus", type=Path, action="append", default=[],
                            help="a Disqus export to preload into the demo site (repeatable)")
        parser.add_argument("--no-serve", action="store_true", help="set up only")

    def handle(self, *args: Any, **options: Any) -> None:
        for path in options["import_disqus"]:  # before anything is made
            check_file(Path(path))
        call_command("migrate", interactive=False, verbosity=0)
        host, port = options["host"], options["port"]
        here = f"http://{url_host(host)}:{port}"
        origins = sorted({here, f"http://127.0.0.1:{port}", f"http://localhost:{port}"})
        site, created = Site.objects.get_or_create(
            slug=DEMO_SITE,
            defaults={"name": "The Lindenford Courier (demo)", "allowed_origins": origins,
                      "terms_url": f"{here}/#terms", "languages": DEMO_LANGUAGES},
        )
        self.stdout.write(f"{'Created' if created else 'Kept'} site {site.slug}: {site.name}")
        User = get_user_model()
        name = options["moderator"]
        user = User.objects.filter(username=name).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(username=name, password=password)
            self.stdout.write(f"Moderator login: {name}")
            self.stdout.write(f"Moderator password (shown once): {password}")
        else:
            self.stdout.write(f"Moderator {name} exists; reset its password with `commentdesk changepassword {name}`")
        # The demo's one moderator is also the site's admin, so every desk page can be tried.
        Membership.objects.update_or_create(user=user, site=site, defaults={"role": Membership.Role.ADMIN})
        if not WordList.objects.filter(site=site).exists():
            for language, kind, terms in DEMO_WORDS:
                WordList.objects.create(site=site, language=language, kind=kind, terms=terms)
            self.stdout.write(f"Word lists: a small starter set, to edit at /desk/{site.slug}/triage/")
        for path in options["import_disqus"]:
            call_command("import", "disqus", str(path), site=site.slug, stdout=self.stdout)
        if not ClassifierModel.objects.filter(is_active=True).filter(Q(site=site) | Q(site__isnull=True)).exists():
            retrain_classifier.enqueue(site.pk, False)
            self.stdout.write("The demo's classifier is trained by the task worker from the labelled sets of its "
                              "languages (about a minute); until then scores say no classifier is trained")
        if options["no_serve"]:
            return
        self.stdout.write(f"Demo article: {here}/   Desk: {here}/desk/")
        env = dict(os.environ)
        if not env.get("COMMENTDESK_BASE_URL"):
            # Links in e-mails (sent by the worker) lead to this server, not to the default port.
            env["COMMENTDESK_BASE_URL"] = settings.COMMENTDESK_BASE_URL = here
        # The background tasks (e-mails, which the console shows; triage) run beside the server,
        # in a session of their own: Ctrl+C reaches the demo only, which then stops the worker
        # once (a second signal made the worker exit with a traceback).
        worker = Supervisor(lambda: subprocess.Popen([sys.executable, "-m", "commentdesk", "db_worker",
                                                      "--interval", "2"], env=env, start_new_session=True),
                            lambda line: self.stderr.write(line))
        worker.start()
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so `kill` also stops the worker
        try:
            call_command("serve", host=host, port=port, stdout=self.stdout)
        finally:
            worker.stop()


class Supervisor(threading.Thread):
    """Keeps the demo's task worker running beside its server: a worker that ends
    (any exit code) is reported through ``report`` (one line) and started again
    after ``pause`` seconds, at most ``limit`` times; then the report says to run
    ``commentdesk db_worker`` by hand. ``start_process`` returns a started
    ``subprocess.Popen``. :meth:`stop` ends the worker and the supervision."""

    def __init__(self, start_process: Callable[[], subprocess.Popen[Any]], report: Callable[[str], None],
                 limit: int = 5, pause: float = 2.0) -> None:
        super().__init__(name="demo-worker-supervisor", daemon=True)
        self.start_process, self.report, self.limit, self.pause = start_process, report, limit, pause
        self.stopping = threading.Event()
        # Held while a worker is started and while stop() takes the one to end, so that a
        # worker started during stop() is never left running.
        self.lock = threading.Lock()
        self.process = start_process()
        self.restarts = 0

    def run(self) -> None:
        while True:
            code = self.process.wait()
            if self.stopping.is_set():
                return
            if self.restarts >= self.limit:
                self.report(f"The task worker stopped again (exit code {code}); e-mails and background scoring "
                            "wait until you run `commentdesk db_worker` beside the server.")
                return
            self.report(f"The task worker stopped (exit code {code}); starting it again.")
            if self.stopping.wait(self.pause):
                return
            with self.lock:
                if self.stopping.is_set():
                    return
                self.restarts += 1
                self.process = self.start_process()

    def stop(self, timeout: float = 10) -> None:
        """End the worker (SIGTERM, then wait up to ``timeout`` seconds; then SIGKILL)
        and stop supervising it."""
        with self.lock:
            self.stopping.set()
            process = self.process
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
