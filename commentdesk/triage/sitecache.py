"""Per-process memory of a site's triage settings (word lists, link policy,
active classifier), dropped when they change.

Scoring reads the same few rows for every comment of a site; reading them once
per process and batch instead of once per comment removes most database round
trips (see ``bench/triage.py``). Each site has a *stamp*, a random token in
Django's cache (``triage:stamp:<site id>``, plus ``triage:stamp:*`` for what
every site shares, the shared classifier). Saving or deleting a WordList,
TriagePolicy, ClassifierModel or Site replaces the stamp (receivers in
:mod:`commentdesk.triage.signals`); an entry remembered under an older stamp is
loaded again. A missing stamp (cache cleared or evicted) is a new one, so a
cleared cache never serves old settings.

The stamps themselves are remembered for ``STAMP_AGE`` seconds, so that a
busy process asks the cache once a second instead of once per comment: a
change is seen at once by the process that made it and within that second by
the others (the cache is shared by every process: a table of the database by
default, Redis with ``COMMENTDESK_CACHE_URL``). Entries are also reloaded
after ``MAX_AGE`` seconds whatever their stamp (a cache that is not shared).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache

# Seconds after which a remembered entry is read again whatever its stamp says
# (the bound on staleness across processes without a shared cache).
MAX_AGE = 10.0
# Seconds a stamp read from the cache is used before it is read again.
STAMP_AGE = 1.0
# Entries kept (kinds × sites); past it the memory starts again empty.
MAX_ENTRIES = 4000
SHARED = "*"

_memo: dict[tuple[str, int], tuple[str, float, Any]] = {}
_stamps: dict[str, tuple[str, float]] = {}  # cache key → (stamp, when it was read)


def _key(site_id: int | str) -> str:
    return f"triage:stamp:{site_id}"


def stamps(site_ids: Iterable[int]) -> dict[int, str]:
    """{site id: its current stamp joined with the shared stamp}: from memory when
    read less than ``STAMP_AGE`` seconds ago, else with one cache round trip
    (two when stamps are missing and are created)."""
    ids = sorted(set(site_ids))
    keys = [_key(SHARED)] + [_key(i) for i in ids]
    now = time.monotonic()
    found = {k: _stamps[k][0] for k in keys if k in _stamps and now - _stamps[k][1] < STAMP_AGE}
    if len(found) < len(keys):
        found = cache.get_many(keys)
        for key in keys:
            if key not in found:
                token = secrets.token_hex(8)
                # add(): when two processes create a stamp at once, both keep the first one.
                if not cache.add(key, token, timeout=None):
                    token = cache.get(key) or token
                found[key] = token
        if len(_stamps) + len(keys) > MAX_ENTRIES:
            _stamps.clear()
        _stamps.update((key, (found[key], now)) for key in keys)
    shared = found[_key(SHARED)]
    return {i: f"{shared}:{found[_key(i)]}" for i in ids}


def changed(site_id: int | None) -> None:
    """Forget what is remembered for ``site_id`` (None: for every site, e.g. a
    shared classifier changed), here and, through the shared cache, elsewhere."""
    key = _key(SHARED if site_id is None else site_id)
    cache.set(key, secrets.token_hex(8), timeout=None)
    _stamps.pop(key, None)
    if site_id is None:
        _memo.clear()
    else:
        for key in [k for k in _memo if k[1] == site_id]:
            _memo.pop(key, None)


def get_many[T](kind: str, site_ids: Iterable[int], load: Callable[[list[int]], dict[int, T]]) -> dict[int, T]:
    """{site id: value} of ``kind`` for ``site_ids``, from memory while the site's
    stamp is unchanged and the entry younger than ``MAX_AGE``; the others come
    from ``load(missing ids)`` (one call, which must return a value for each)."""
    now = time.monotonic()
    current = stamps(site_ids)
    out: dict[int, T] = {}
    missing = []
    for site_id, stamp in current.items():
        entry = _memo.get((kind, site_id))
        if entry is not None and entry[0] == stamp and now - entry[1] < MAX_AGE:
            out[site_id] = entry[2]
        else:
            missing.append(site_id)
    if missing:
        loaded = load(missing)
        if len(_memo) + len(missing) > MAX_ENTRIES:
            _memo.clear()
        for site_id in missing:
            _memo[(kind, site_id)] = (current[site_id], now, loaded[site_id])
            out[site_id] = loaded[site_id]
    return out


def clear() -> None:
    """Forget everything remembered in this process (tests, benchmarks)."""
    _memo.clear()
    _stamps.clear()
