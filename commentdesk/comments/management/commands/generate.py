"""``commentdesk generate --site SLUG``: synthetic comments for benchmarks and load tests.

Deterministic for a given ``--seed``. Bodies mix English and Korean words;
``--pending`` of the comments are pending, the rest approved, rejected or spam
(80/15/5). Rows are written with ``bulk_create`` in batches (``--batch``).
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from commentdesk.comments.models import Comment, Commenter, Thread
from commentdesk.lib.ids import new_public_id
from commentdesk.sites.models import Site

EN = ("the council vote was close and the river festival should stay where it is "
      "I disagree with the author about the budget numbers and the new bridge").split()
KO = "시의회 투표는 박빙이었고 강 축제는 그대로 있어야 합니다 저는 예산 숫자에 대해 동의하지 않습니다".split()


class Command(BaseCommand):
    help = "Generate synthetic threads, commenters and comments in a site (for benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", required=True)
        parser.add_argument("--comments", type=int, default=1_000_000)
        parser.add_argument("--pending", type=int, default=100_000)
        parser.add_argument("--threads", type=int, default=10_000)
        parser.add_argument("--commenters", type=int, default=50_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args: Any, **o: Any) -> None:
        if not (0 <= o["pending"] <= o["comments"]) or o["threads"] < 1 or o["commenters"] < 1 or o["batch"] < 1:
            raise CommandError("need 0 <= --pending <= --comments, and --threads, --commenters, --batch >= 1")
        site, _ = Site.objects.get_or_create(slug=o["site"], defaults={"name": o["site"].title()})
        rng = random.Random(o["seed"])
        started = time.monotonic()
        now = timezone.now()
        Thread.objects.bulk_create(
            [Thread(site=site, key=f"/gen/{o['seed']}/{i}", title=f"Generated article {i}",
                    url=f"https://news.example/gen/{o['seed']}/{i}", created_at=now - timedelta(days=30))
             for i in range(o["threads"])],
            batch_size=o["batch"],
        )
        thread_ids = list(Thread.objects.filter(site=site, key__startswith=f"/gen/{o['seed']}/").values_list("pk", flat=True))
        Commenter.objects.bulk_create(
            [Commenter(site=site, public_id=new_public_id("u"), name=f"Reader {o['seed']}-{i}",
                       ip_hash=f"{rng.getrandbits(128):032x}") for i in range(o["commenters"])],
            batch_size=o["batch"],
        )
        commenter_ids = list(
            Commenter.objects.filter(site=site, name__startswith=f"Reader {o['seed']}-").values_list("pk", flat=True)
        )
        names = dict(Commenter.objects.filter(pk__in=commenter_ids).values_list("pk", "name"))
        total, pending = o["comments"], o["pending"]
        for start in range(0, total, o["batch"]):
            rows = []
            for i in range(start, min(total, start + o["batch"])):
                created = now - timedelta(seconds=(total - i) * 2)
                if i >= total - pending:
                    status = Comment.Status.PENDING
                else:
                    status = rng.choices(["approved", "rejected", "spam"], weights=[80, 15, 5])[0]
                korean = rng.random() < 0.3
                words = KO if korean else EN
                commenter = rng.choice(commenter_ids)
                rows.append(Comment(
                    public_id=new_public_id("c"), site=site, thread_id=rng.choice(thread_ids), commenter_id=commenter,
                    author_name=names[commenter], body=" ".join(rng.choices(words, k=rng.randint(5, 40))),
                    status=status, language="ko" if korean else "en", created_at=created,
                    published_at=created + timedelta(minutes=5) if status == "approved" else None,
                    decided_at=None if status == "pending" else created + timedelta(minutes=5),
                ))
            with transaction.atomic():
                Comment.objects.bulk_create(rows, batch_size=o["batch"])
        self.stdout.write(f"generated {total} comments ({pending} pending) in {len(thread_ids)} threads by "
                          f"{len(commenter_ids)} commenters on {site.slug} in {time.monotonic() - started:.1f} s")
