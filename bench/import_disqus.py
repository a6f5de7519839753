"""Disqus import benchmark: time, comments per second and peak memory, 100k and 1M comments.

Usage: ``python bench/import_disqus.py [SIZE ...] [--dir DIR] [--batch-size N]``
(default sizes 100000 1000000; files and SQLite databases in DIR, default a
temporary directory, removed afterwards). For each size it writes a synthetic
Disqus export (commentdesk/importers/tests/generate.py, streamed), then runs in
separate child processes:

- the baseline: one bare lxml ``iterparse`` pass over the same file, clearing
  each element (what streaming the file costs at the least);
- ``commentdesk import disqus FILE --site bench`` into a fresh, migrated SQLite database.

and prints wall and CPU time (user + system: steadier than wall time on a
shared machine), comments/s (wall), the peak RSS of each child (``ru_maxrss``
from ``os.wait4``, MB) and the ratios import/baseline of CPU time and RSS. With two sizes or more
it prints the RSS ratio of the largest to the smallest import: memory is flat
when it stays near 1. Target (issue 5): under 500 MB RSS at 1M comments.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASELINE = """
import sys
from lxml import etree
n = 0
for _, element in etree.iterparse(sys.argv[1], events=("end",), resolve_entities=False, no_network=True):
    parent = element.getparent()
    if parent is not None and parent.getparent() is None:
        n += 1
        element.clear()
        while element.getprevious() is not None:
            del parent[0]
print(n)
"""


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run ``args`` under a wrapper that waits for it with ``os.wait4``; returns (wall seconds,
    CPU seconds, that child's own peak RSS in MB, its stdout). Exits with its stderr if it fails."""
    wrapper = (
        "import os, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)\n"
        "_, status, usage = os.wait4(p.pid, 0)\n"
        "out, err = p.stdout.read(), p.stderr.read()\n"
        "dt = time.perf_counter() - t\n"
        "sys.stderr.write(err[-3000:])\n"
        "print(f'{dt} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}')\n"
        "print(out)\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *args], env=env, capture_output=True, text=True,
                          check=False)
    head, _, out = done.stdout.partition("\n")
    seconds, cpu, rss_kb, code = head.split()
    if int(code) != 0:
        raise SystemExit(f"{' '.join(args[:5])}… failed ({code}): {done.stderr[-2000:]}")
    return float(seconds), float(cpu), int(rss_kb) / 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--dir", type=Path, default=None, help="where files go (kept); default a temporary one")
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    from commentdesk.importers.tests.generate import write_disqus

    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "COMMENTDESK_VAR_DIR": str(work), "DJANGO_SETTINGS_MODULE": "commentdesk.settings"}
    command = [sys.executable, "-m", "commentdesk"]
    template = work / "empty.sqlite3"
    template.unlink(missing_ok=True)
    db_env = {**env, "DATABASE_URL": f"sqlite:///{template}"}
    subprocess.run([*command, "migrate", "--verbosity", "0"], env=db_env, check=True)
    subprocess.run([*command, "createsite", "bench", "--name", "Bench", "--origin", "https://bench.example"],
                   env=db_env, check=True, capture_output=True)
    results: dict[int, float] = {}
    print(f"{'comments':>10} {'file MB':>8} {'import s':>9} {'CPU s':>7} {'comments/s':>11} {'RSS MB':>7} "
          f"{'base s':>7} {'base CPU':>8} {'base RSS':>8} {'CPU×':>6} {'RSS×':>5}")
    try:
        for size in args.sizes:
            export = work / f"disqus-{size}.xml"
            started = time.perf_counter()
            with open(export, "w", encoding="utf-8") as fh:
                write_disqus(fh, size)
            generated = time.perf_counter() - started
            base_s, base_cpu, base_rss, _ = run_child([sys.executable, "-c", BASELINE, str(export)], env)
            db = work / f"import-{size}.sqlite3"
            shutil.copy(template, db)
            import_env = {**env, "DATABASE_URL": f"sqlite:///{db}"}
            seconds, cpu, rss, out = run_child([*command, "import", "disqus", str(export), "--site", "bench",
                                           "--batch-size", str(args.batch_size)], import_env)
            imported = int(out.split("comments: ")[1].split(" imported")[0])
            results[size] = rss
            print(f"{size:>10,} {export.stat().st_size / 1e6:>8.1f} {seconds:>9.1f} {cpu:>7.1f} "
                  f"{imported / seconds:>11,.0f} {rss:>7.0f} {base_s:>7.1f} {base_cpu:>8.1f} {base_rss:>8.0f} "
                  f"{cpu / base_cpu:>6.1f} {rss / base_rss:>5.1f}"
                  f"   (generated in {generated:.0f} s; {imported:,} imported)", flush=True)
            export.unlink()
            db.unlink()
        if len(results) > 1:
            small, large = min(results), max(results)
            print(f"peak RSS {large:,} / {small:,} comments: {results[large] / results[small]:.2f} "
                  f"(1.00 = flat); largest {results[large]:.0f} MB (target < 500 MB)")
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
