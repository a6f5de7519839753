"""A synthetic Disqus export of any size, written as a stream (for the resume test and bench/import_disqus.py).

Deterministic for a given ``seed``. Threads come first, then posts: about a
third are replies (one in ten to a parent that comes later in the file), one in
fifty is deleted, one in a hundred spam, one in a hundred pending; one thread in
ten is closed; bodies are short HTML paragraphs with a link now and then; one
post in five hundred repeats an earlier post's id (a duplicate to be skipped).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import IO
from xml.sax.saxutils import escape

WORDS = ("the", "council", "said", "budget", "road", "school", "river", "night", "train", "open", "vote",
         "paper", "city", "market", "report", "winter", "mayor", "plan", "bridge", "water", "power", "green",
         "late", "early", "local", "people", "street", "house", "week", "answer", "question")


def write_disqus(out: IO[str], comments: int, threads: int = 0, seed: int = 1) -> None:
    """Write a Disqus XML export with ``comments`` posts over ``threads`` threads
    (default one per 100 posts) to the text stream ``out``, post by post."""
    rng = random.Random(seed)
    threads = threads or max(1, comments // 100)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    out.write('<?xml version="1.0" encoding="utf-8"?>\n'
              '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n')
    for t in range(threads):
        closed = "true" if t % 10 == 9 else "false"
        out.write(f'<thread dsq:id="t{t}"><id>article-{t}</id><link>https://news.example/{2015 + t % 10}/story-{t}/'
                  f'</link><title>Story {t}</title><createdAt>{(start + timedelta(days=t % 3000)):%Y-%m-%dT%H:%M:%SZ}'
                  f'</createdAt><isClosed>{closed}</isClosed><isDeleted>false</isDeleted></thread>\n')
    per_thread: dict[int, list[int]] = {}
    for n in range(comments):
        t = rng.randrange(threads)
        ident = n - 1 if n and n % 500 == 0 else n  # a duplicate id now and then
        siblings = per_thread.setdefault(t, [])
        parent = ""
        roll = rng.random()
        if siblings and roll < 0.3:
            parent = f'<parent dsq:id="{rng.choice(siblings[-50:])}"/>'
        elif roll < 0.33:
            parent = f'<parent dsq:id="{n + rng.randrange(1, 20)}"/>'  # later in the file, or nowhere
        siblings.append(n)
        when = start + timedelta(seconds=n * 37 + rng.randrange(30))
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(5, 40)))
        link = f' <a href="https://ref.example/{n}">source</a>' if n % 7 == 0 else ""
        body = escape(f"<p>{words}.</p><p>{words[:40]}{link}</p>")
        status = n % 100
        out.write(
            f'<post dsq:id="{ident}"><id/><message>{body}</message><createdAt>{when:%Y-%m-%dT%H:%M:%SZ}</createdAt>'
            f"<isDeleted>{'true' if status == 1 or status == 51 else 'false'}</isDeleted>"
            f"<isSpam>{'true' if status == 2 else 'false'}</isSpam>"
            f"<isApproved>{'false' if status == 3 else 'true'}</isApproved>"
            f"<author><name>Reader {n % 5000}</name><email>reader{n % 5000}@example.org</email>"
            f"<isAnonymous>false</isAnonymous></author><ipAddress>198.51.100.{n % 250}</ipAddress>"
            f'<thread dsq:id="t{t}"/>{parent}</post>\n'
        )
    out.write("</disqus>\n")
