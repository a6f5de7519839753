"""Campaign detection: near-duplicate comments across threads and commenters,
and bursts of comments from one IP hash.

Near-duplicates use MinHash (Broder 1997, "On the resemblance and containment
of documents") over character 5-gram shingles of the normalised text, with 64
permutations from datasketch, and locality-sensitive hashing in 8 bands of 8
rows — the split datasketch's ``MinHashLSH`` chooses for a Jaccard threshold of
0.7 with 64 permutations. The bands are stored in the database
(``FingerprintBand``) rather than in datasketch's in-memory index, so every
web process and worker shares one index that survives restarts, on SQLite and
PostgreSQL alike. Candidates from the bands are confirmed by their estimated
Jaccard similarity (≥ ``THRESHOLD``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
from datasketch import MinHash
from django.db import transaction

from commentdesk.comments.models import Comment

NUM_PERM = 64
BANDS, ROWS = 8, 8
THRESHOLD = 0.7
SHINGLE = 5
# Texts shorter than this (letters and digits, after normalisation) are not
# compared: "Great article!" is written independently by many honest readers.
MIN_CHARS = 25
# At most this many candidates are compared per comment (the newest).
MAX_CANDIDATES = 200

_NON_WORD = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """NFKC, case-folded, every run of non-word characters one space.

    >>> normalise("BUY   now!!! at ＳＨＯＰ")
    'buy now at shop'
    """
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text[:20_000]).casefold()).strip()


def signature(text: str) -> np.ndarray | None:
    """The 64 MinHash values (uint64) of ``text``'s 5-gram shingles, or None when
    the normalised text is shorter than ``MIN_CHARS``."""
    norm = normalise(text)
    if len(norm.replace(" ", "")) < MIN_CHARS:
        return None
    shingles = {norm[i:i + SHINGLE] for i in range(len(norm) - SHINGLE + 1)}
    m = MinHash(num_perm=NUM_PERM, seed=1)
    m.update_batch([s.encode("utf-8") for s in shingles])
    return np.asarray(m.hashvalues, dtype="<u8")


def band_keys(values: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (fits a BigIntegerField)."""
    keys = []
    for b in range(BANDS):
        digest = hashlib.blake2b(bytes([b]) + values[b * ROWS:(b + 1) * ROWS].tobytes(), digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    return keys


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity (0..1): the share of equal MinHash values."""
    return float(np.mean(a == b))


@dataclass
class Found:
    """Near-duplicates of one comment within the window: their comment ids,
    how many threads and commenters they span (the comment included), and the
    campaign the comment now belongs to (None without near-duplicates)."""

    near: list[int] = field(default_factory=list)
    threads: int = 1
    commenters: int = 1
    campaign_id: int | None = None
    compared: bool = True


def record(comment: Comment, window: timedelta) -> Found:
    """Fingerprint ``comment`` (once), find its near-duplicates of the same site
    created within ``window`` before it, and put it into their campaign
    (creating one when none of them has one). Returns what was found; a text
    too short to compare gives ``Found(compared=False)``."""
    from commentdesk.triage.models import Campaign, Fingerprint, FingerprintBand

    values = signature(comment.body or "")
    if values is None:
        return Found(compared=False)
    keys = band_keys(values)
    since = comment.created_at - window
    with transaction.atomic():
        fp, created = Fingerprint.objects.get_or_create(
            comment=comment, defaults={"site_id": comment.site_id, "created_at": comment.created_at,
                                       "signature": values.tobytes()})
        if created:
            FingerprintBand.objects.bulk_create(
                FingerprintBand(fingerprint=fp, site_id=comment.site_id, key=k, created_at=comment.created_at)
                for k in keys)
        candidate_ids = list(
            FingerprintBand.objects.filter(site_id=comment.site_id, key__in=keys, created_at__gte=since,
                                           created_at__lte=comment.created_at)
            .exclude(fingerprint=fp).order_by("-created_at").values_list("fingerprint_id", flat=True)
            .distinct()[:MAX_CANDIDATES])
        others = Fingerprint.objects.filter(pk__in=candidate_ids).select_related("comment")
        near = [o for o in others
                if similarity(values, np.frombuffer(bytes(o.signature), dtype="<u8")) >= THRESHOLD]
        if not near:
            return Found()
        campaign_id = fp.campaign_id or min((o.campaign_id for o in near if o.campaign_id), default=None)
        if campaign_id is None:
            first = min(near, key=lambda o: o.created_at)
            campaign_id = Campaign.objects.create(site_id=comment.site_id, sample=first.comment.body[:500],
                                                  created_at=first.created_at).pk
        joining = [fp.pk] + [o.pk for o in near if o.campaign_id is None]
        Fingerprint.objects.filter(pk__in=joining).update(campaign_id=campaign_id)
        size = Fingerprint.objects.filter(campaign_id=campaign_id).count()
        Campaign.objects.filter(pk=campaign_id).update(size=size, updated_at=comment.created_at)
    members = [comment] + [o.comment for o in near]
    return Found(near=[o.comment_id for o in near], threads=len({c.thread_id for c in members}),
                 commenters=len({c.commenter_id for c in members}), campaign_id=campaign_id)


def burst(comment: Comment, window: timedelta) -> int:
    """How many other comments of the site came from the comment's IP hash
    within ``window`` before it (0 when it has no IP hash, e.g. an import)."""
    if not comment.ip_hash:
        return 0
    return (Comment.objects.filter(site_id=comment.site_id, ip_hash=comment.ip_hash,
                                   created_at__gte=comment.created_at - window,
                                   created_at__lte=comment.created_at)
            .exclude(pk=comment.pk).count())


def minutes(window: timedelta) -> str:
    """``"10 min"`` or ``"2 h"`` for a reason sentence.

    >>> minutes(timedelta(minutes=90)), minutes(timedelta(hours=2))
    ('90 min', '2 h')
    """
    total = int(window.total_seconds() // 60)
    return f"{total // 60} h" if total >= 120 and total % 60 == 0 else f"{total} min"


def describe(found: Found, window: timedelta) -> dict[str, Any]:
    """JSON details of a Found."""
    return {"near_duplicates": len(found.near), "threads": found.threads, "commenters": found.commenters,
            "campaign_id": found.campaign_id, "compared": found.compared, "window_minutes": int(window.total_seconds() // 60)}
