"""Native export/import benchmark (issue 5): time and peak memory of
``commentdesk export`` on a generated site, and of ``commentdesk import native``
of that file into an empty database.

Usage: ``DATABASE_URL=… python bench/export_native.py [--comments N]`` (``bench/run``
runs it on SQLite). Every measured step runs as its own process
(``python -m commentdesk …``); its wall time and peak resident memory
(``ru_maxrss`` from ``wait4``) are printed. Baseline, in the same run: a process
that starts like a command (system checks) and only reads the same comments
(every column, ``values_list().iterator()``), writing nothing. The import goes into a second, empty database (SQLite: a
file beside the first; PostgreSQL: ``<name>_import``, recreated), which is then
exported again and compared with the first file byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commentdesk.settings")

from desk_queue import recreate_postgres

BASELINE = """
import django
django.setup()
from django.core.management import call_command
call_command("check")  # the same start-up as a command's (system checks load every app)
from commentdesk.comments.models import Comment
fields = [f.attname for f in Comment._meta.concrete_fields]
rows = Comment.objects.filter(site__slug="bench").order_by("created_at", "id").values_list(*fields)
n = sum(1 for _ in rows.iterator(chunk_size=2000))
print(n, "comments read")
"""


def run(argv: list[str], database_url: str) -> tuple[float, float, str]:
    """Run ``argv`` with ``DATABASE_URL``; returns (seconds, peak RSS in MiB, its output)."""
    env = dict(os.environ, DATABASE_URL=database_url)
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{output}")
    return seconds, usage.ru_maxrss / 1024, output.strip().splitlines()[-1] if output.strip() else ""


def sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def second_database(url: str) -> str:
    """The URL of the empty database the import goes to."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        path = Path(parts.path[1:] if parts.path.startswith("//") else parts.path)
        target = path.with_name(path.stem + "-import.sqlite3")
        target.unlink(missing_ok=True)
        return f"sqlite:///{target}"
    target = urlunsplit(parts._replace(path=parts.path + "_import"))
    recreate_postgres(target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--recreate-postgres", action="store_true")
    args, _ = parser.parse_known_args()  # bench/run passes the other benchmarks' options too
    url = os.environ["DATABASE_URL"]
    if args.recreate_postgres:
        recreate_postgres(url)
    cd = [sys.executable, "-m", "commentdesk"]
    n = args.comments
    run(cd + ["migrate", "--verbosity", "0"], url)
    seconds, _, _ = run(cd + ["generate", "--site", "bench", "--comments", str(n), "--pending", str(n // 10),
                              "--threads", str(max(1, n // 100)), "--commenters", str(max(1, n // 20))], url)
    print(f"data: {n} comments, {n // 10} pending, {max(1, n // 100)} threads, {max(1, n // 20)} commenters "
          f"({urlsplit(url).scheme}, generated in {seconds:.0f} s)")
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "bench.jsonl"
        base_s, base_mb, out = run([sys.executable, "-c", BASELINE], url)
        print(f"baseline (start, read every comment, no writing): {base_s:6.1f} s, peak RSS {base_mb:6.0f} MiB  [{out}]")
        exp_s, exp_mb, out = run(cd + ["export", "--site", "bench", str(file)], url)
        size = file.stat().st_size
        print(f"export:                                      {exp_s:6.1f} s, peak RSS {exp_mb:6.0f} MiB  "
              f"({size / 2**20:.0f} MiB file, {n / exp_s:,.0f} comments/s; ×{exp_s / base_s:.1f} the baseline's "
              f"time, ×{exp_mb / base_mb:.2f} its memory)")
        target = second_database(url)
        run(cd + ["migrate", "--verbosity", "0"], target)
        imp_s, imp_mb, out = run(cd + ["import", "native", str(file)], target)
        print(f"import native into an empty database:        {imp_s:6.1f} s, peak RSS {imp_mb:6.0f} MiB  "
              f"({n / imp_s:,.0f} comments/s)")
        again = Path(tmp) / "again.jsonl"
        run(cd + ["export", "--site", "bench", str(again)], target)
        same = sha256(file) == sha256(again)
        print(f"export of the imported site byte-identical to the first: {'yes' if same else 'NO'}")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
