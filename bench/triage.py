"""Triage benchmark: in-request latency, background throughput, classifier memory.

Usage: ``DATABASE_URL=… python bench/triage.py [--comments N] [--data DIR]``
(SQLite in ``COMMENTDESK_VAR_DIR`` by default). Trains a site's classifier from
``DIR/*/train.csv`` (default ``TRIAGE_DATA_DIR``), stores N comments taken from
that data, then reports:

- the in-request stage (language, word lists, links) per comment: median and
  95th percentile, milliseconds — the time a reader's 202 waits on triage;
- the background stage (classifier, campaigns) and all stages: comments per second;
- the classifier: stored blob size and unpickled size (MB), from tracemalloc;
- the baseline: one ``Comment`` primary-key lookup, so ratios compare machines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commentdesk.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=500)
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from commentdesk.comments.models import Comment
    from commentdesk.comments.tests.factories import CommentFactory, SiteFactory, ThreadFactory
    from commentdesk.triage import classifier, pipeline
    from commentdesk.triage.models import WordList

    data = args.data or Path(settings.TRIAGE_DATA_DIR)
    site = SiteFactory(slug=f"bench-{int(time.time())}", languages=[])
    WordList.objects.create(site=site, kind="banned", terms="\n".join(["scam", "spam", "씨발", "병신", "idiot"]))
    started = time.perf_counter()
    row = classifier.train_for_site(site, data)
    train_s = time.perf_counter() - started

    tracemalloc.start()
    classifier._loaded.clear()
    classifier.active_model(site)
    model_mb = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()

    texts = []
    for path in sorted(data.glob("*/train.csv")):
        texts += classifier.read_csv(path)[0][: args.comments]
    texts = (texts * (1 + args.comments // max(len(texts), 1)))[: args.comments]
    threads = [ThreadFactory(site=site) for _ in range(20)]
    comments = [CommentFactory(thread=threads[i % 20], body=t, ip_hash=f"ip{i % 50}") for i, t in enumerate(texts)]

    pipeline.get_scorers()  # load models before timing
    base = []
    for c in comments[:200]:
        t0 = time.perf_counter()
        Comment.objects.get(pk=c.pk)
        base.append((time.perf_counter() - t0) * 1000)
    request_ms = []
    for c in comments:
        t0 = time.perf_counter()
        pipeline.score_comment(c, "request")
        request_ms.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    for c in comments:
        pipeline.score_comment(c, "background")
    background_rate = len(comments) / (time.perf_counter() - t0)

    baseline = statistics.median(base)
    median = statistics.median(request_ms)
    result = {
        "comments": len(comments),
        "request_stage_ms_median": round(median, 2),
        "request_stage_ms_p95": round(sorted(request_ms)[int(0.95 * (len(request_ms) - 1))], 2),
        "request_stage_ratio_to_baseline": round(median / baseline, 1),
        "background_comments_per_s": round(background_rate, 1),
        "baseline_pk_lookup_ms": round(baseline, 3),
        "classifier_blob_mb": round(len(bytes(row.blob)) / 1e6, 2),
        "classifier_loaded_mb": round(model_mb, 1),
        "classifier_train_s": round(train_s, 1),
        "classifier_rows": row.trained_on["rows"],
    }
    for key, value in result.items():
        print(f"{key}: {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
