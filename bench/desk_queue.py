"""Queue benchmark (issue: the moderation desk): queue pages and a 500-comment bulk decision.

Usage: ``DATABASE_URL=… python bench/desk_queue.py [--comments N] [--repeat R]`` (``bench/run``
does this for SQLite and PostgreSQL). Times are server time in-process through
Django's full request stack (test client), median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commentdesk.settings")


def recreate_postgres(url: str) -> None:
    from urllib.parse import urlsplit

    import psycopg

    u = urlsplit(url)
    name = u.path.lstrip("/")
    with psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username, dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median wall time, median CPU time of this process) of ``fn`` in milliseconds.

    The CPU time leaves out waiting for a busy machine's cores; on SQLite it covers
    the database work too (in-process), on PostgreSQL only Django's share.
    """
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--recreate-postgres", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data of an earlier run in the same database (site 'bench') instead of generating")
    args = parser.parse_args()
    if args.recreate_postgres and not args.reuse:
        recreate_postgres(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from commentdesk.comments.models import Comment
    from commentdesk.moderation.models import APIToken, Membership
    from commentdesk.sites.models import Site

    call_command("migrate", verbosity=0)
    pending = args.comments // 10
    threads = max(1, args.comments // 100)
    started = time.monotonic()
    if args.reuse and Site.objects.filter(slug="bench").exists():
        site = Site.objects.get(slug="bench")
        print(f"data: reused {Comment.objects.filter(site=site).count()} comments, "
              f"{Comment.objects.filter(site=site, status='pending').count()} pending ({connection.vendor})")
    else:
        call_command("generate", site="bench", comments=args.comments, pending=pending, threads=threads,
                     commenters=max(1, args.comments // 20))
        print(f"data: {args.comments} comments, {pending} pending, {threads} threads "
              f"({connection.vendor}, generated in {time.monotonic() - started:.0f} s)")
    # The steady state of a live database: planner statistics, and on PostgreSQL a
    # visibility map (autovacuum's work) so that counts can use index-only scans.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    site = Site.objects.get(slug="bench")
    user, _ = User.objects.get_or_create(username="bench")
    Membership.objects.get_or_create(user=user, site=site)
    headers = {"Authorization": f"Token {APIToken.issue(user)}"}
    client = Client(HTTP_HOST="localhost")
    desk = Client(HTTP_HOST="localhost")
    desk.force_login(user)

    def get(path: str, c: Client = client, **params: str) -> None:
        response = c.get(path, params, headers=headers)
        assert response.status_code == 200, response.content[:300]

    baseline = timed(lambda: get("/api/v1/sites/bench"), args.repeat)
    results = {
        "queue page (API, 50 oldest pending)": timed(lambda: get("/api/v1/moderation/bench/queue"), args.repeat),
        "queue page (API, newest)": timed(lambda: get("/api/v1/moderation/bench/queue", order="newest"), args.repeat),
        "queue page (desk HTML, 25, with tab counts)": timed(lambda: get("/desk/bench/", desk), args.repeat),
        "filtered page (API, language=ko, q=축제)": timed(
            lambda: get("/api/v1/moderation/bench/queue", language="ko", q="축제"), args.repeat),
        "filtered page (API, text q=bridge)": timed(
            lambda: get("/api/v1/moderation/bench/queue", q="bridge"), args.repeat),
    }
    # A bulk decision of 500 pending comments per run; fewer when the data has not that many
    # left (a small --comments, or a reused database whose earlier runs decided them).
    pending_ids = list(Comment.objects.filter(site=site, status="pending").order_by("id")
                       .values_list("public_id", flat=True)[:500 * args.repeat])
    size = min(500, len(pending_ids) // args.repeat)
    batches = iter([pending_ids[i * size:(i + 1) * size] for i in range(args.repeat)])

    def bulk() -> None:
        ids = next(batches)
        response = client.post("/api/v1/moderation/bench/decisions",
                               json.dumps({"comment_ids": ids, "action": "spam", "reason": "spam"}),
                               content_type="application/json", headers=headers)
        assert response.status_code == 200, response.content[:300]

    targets = {}
    if size:
        results[f"bulk decision of {size} (API)"] = timed(bulk, args.repeat)
        targets[f"bulk decision of {size} (API)"] = 1000.0
    else:
        print(f"bulk decision: not measured ({len(pending_ids)} pending comments left, fewer than --repeat)")
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores; wall = server time, cpu = this process's CPU time")
    print(f"{'baseline: GET /api/v1/sites/bench':45s} {baseline[0]:9.2f} ms   1.0x   (cpu {baseline[1]:.2f} ms)")
    for name, (ms, cpu) in results.items():
        target = targets.get(name, 50.0)
        verdict = "ok" if ms <= target else "OVER"
        print(f"{name:45s} {ms:9.2f} ms {ms / baseline[0]:6.1f}x   target {target:.0f} ms: {verdict:4s}"
              f"   (cpu {cpu:.2f} ms)")

if __name__ == "__main__":
    main()
