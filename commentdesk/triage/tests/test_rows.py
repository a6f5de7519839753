"""triage.rows: many rows in one statement (PostgreSQL, column arrays) or one
executemany (SQLite), and the ``any`` lookup."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from commentdesk.sites.models import Site
from commentdesk.triage import rows
from commentdesk.triage.models import Campaign, WordList

pytestmark = pytest.mark.django_db


def test_insert_many_stores_every_row_as_the_orm_would(site: Site) -> None:
    """Seven rows: all stored, times and text (quotes, Korean) intact."""
    now = timezone.now()
    rows.insert_many(WordList, ["site", "language", "kind", "terms", "updated_at"],
                     [(site.pk, f"l{n}", "banned", f"terms {n} 한국어 \"it's\" {{}}", now) for n in range(7)])
    stored = list(WordList.objects.order_by("language").values_list("language", "terms", "updated_at"))
    assert stored == [(f"l{n}", f"terms {n} 한국어 \"it's\" {{}}", now) for n in range(7)]


def test_insert_many_skips_or_raises_on_conflicts(site: Site) -> None:
    WordList.objects.create(site=site, language="en", kind="banned", terms="old")
    fields = ["site", "language", "kind", "terms", "updated_at"]
    now = timezone.now()
    rows.insert_many(WordList, fields, [(site.pk, "en", "banned", "new", now), (site.pk, "ko", "banned", "x", now)],
                     skip_conflicts=True)
    assert dict(WordList.objects.values_list("language", "terms")) == {"en": "old", "ko": "x"}
    with pytest.raises(IntegrityError):
        rows.insert_many(WordList, fields, [(site.pk, "ko", "banned", "again", now)])


def test_insert_many_spreads_a_list_of_ints_into_rows(site: Site) -> None:
    """``spread``: a row per int of the list (none for an empty list), the other
    values repeated; signed 64-bit keys intact. A list of anything but ints is
    refused before anything is stored. Integer columns (sent as one array
    literal on PostgreSQL) keep their values."""
    from commentdesk.triage.models import FingerprintBand

    now = timezone.now()
    later = now + timezone.timedelta(seconds=1)
    rows.insert_many(FingerprintBand, ["fingerprint", "site", "key", "created_at"],
                     [(1, site.pk, [-(2**63), 2**63 - 1, 0], now), (2, site.pk, [], now), (3, site.pk, [7], later)],
                     spread="key")
    stored = sorted(FingerprintBand.objects.values_list("fingerprint_id", "site_id", "key", "created_at"))
    assert stored == [(1, site.pk, -(2**63), now), (1, site.pk, 0, now), (1, site.pk, 2**63 - 1, now),
                      (3, site.pk, 7, later)]
    with pytest.raises(TypeError):
        rows.insert_many(FingerprintBand, ["fingerprint", "site", "key", "created_at"],
                         [(4, site.pk, ["7"], now)], spread="key")
    assert FingerprintBand.objects.count() == 4
    now_a = timezone.now()
    rows.insert_many(Campaign, ["site", "size", "created_at", "updated_at"],
                     [(site.pk, 2, now_a, now_a), (site.pk, 2**31 - 1, now_a, now_a)])
    assert sorted(Campaign.objects.values_list("size", flat=True)) == [2, 2**31 - 1]


def test_insert_many_takes_nulls_json_and_ints_of_float_fields(site: Site) -> None:
    """A column array holds one type: an int in a float column, None and JSON go in as the ORM stores them."""
    from commentdesk.comments.tests.factories import CommentFactory
    from commentdesk.triage.models import Score

    a, b = CommentFactory(thread__site=site), CommentFactory(thread__site=site)
    now = timezone.now()
    fields = ["comment", "state", "risk", "scores", "reasons", "details", "skipped", "not_scored_reason", "model_version",
              "scored_at"]
    rows.insert_many(Score, fields, [
        (a.pk, "scored", 1, {"words": 1}, ["banned term: x"], {"words": {"matches": [[0, 3]]}}, {}, "", "v1", now),
        (b.pk, "scored", None, {"words": None}, [], {}, {"classifier": "failed: É"}, "", "", now),
    ])
    stored = {s.comment_id: s for s in Score.objects.all()}
    assert stored[a.pk].risk == 1.0 and stored[a.pk].details == {"words": {"matches": [[0, 3]]}}
    assert stored[b.pk].risk is None and stored[b.pk].skipped == {"classifier": "failed: É"}
    assert stored[a.pk].reasons == ["banned term: x"] and stored[b.pk].scores == {"words": None}


@pytest.mark.parametrize("limit", ["default", "small"])
def test_json_columns_keep_each_rows_document_in_order(site: Site, limit: str, monkeypatch: Any) -> None:
    """Hundreds of rows, each with its own JSON documents (objects, lists, a bare
    string, number or boolean, nesting, Korean, quotes, backslashes): every row
    gets its own, as the ORM stores them, by insert and by update, whether a
    column is one JSON array or, past ``JSON_ARRAY_LIMIT``, value by value; None
    is SQL NULL as with the ORM (refused by a column that is NOT NULL), and
    nothing of that statement is stored."""
    if limit == "small":
        monkeypatch.setattr(rows, "JSON_ARRAY_LIMIT", 10)
    from commentdesk.comments.tests.factories import CommentFactory
    from commentdesk.triage.models import Score

    comments = [CommentFactory(thread__site=site) for _ in range(300)]
    now = timezone.now()

    def documents(n: int) -> tuple[object, object, object, object]:
        bare = [f"문서 {n} \"q\" \\", n * 0.5, n % 2 == 0][n % 3]
        return ({"n": n, "k": [n, {"s": f"{n}'"}]}, [f"reason {n}", bare], {"words": {"matches": [[n, n + 1]]}},
                bare)

    fields = ["comment", "state", "scores", "reasons", "details", "skipped", "scored_at", "not_scored_reason",
              "model_version"]
    rows.insert_many(Score, fields, [(c.pk, "scored", *documents(n), now, "", "") for n, c in enumerate(comments)])
    stored = {s.comment_id: (s.scores, s.reasons, s.details, s.skipped) for s in Score.objects.all()}
    assert stored == {c.pk: documents(n) for n, c in enumerate(comments)}
    ids = dict(Score.objects.values_list("comment_id", "pk"))
    rows.update_many(Score, ["scores", "skipped"],
                     [(documents(n + 1)[0], documents(n + 2)[3], ids[c.pk]) for n, c in enumerate(comments)])
    stored = {s.comment_id: (s.scores, s.skipped) for s in Score.objects.all()}
    assert stored == {c.pk: (documents(n + 1)[0], documents(n + 2)[3]) for n, c in enumerate(comments)}
    extra = CommentFactory(thread__site=site)
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert_many(Score, fields, [(extra.pk, "scored", {}, [], {}, None, now, "", ""),
                                         (comments[0].pk + 10_000, "scored", {}, [], {}, {}, now, "", "")])
    assert not Score.objects.filter(comment=extra).exists()


def test_insert_many_returns_the_inserted_rows_values_on_postgresql(site: Site) -> None:
    """``returning``: on PostgreSQL (comment id, id) of each row inserted, the ids those
    the ORM reads back, none for a conflict skipped; None elsewhere (the caller reads)."""
    from commentdesk.comments.tests.factories import CommentFactory
    from commentdesk.triage.models import Fingerprint

    a, b, c = (CommentFactory(thread__site=site) for _ in range(3))
    now = timezone.now()
    fields = ["comment", "site", "created_at", "signature"]
    Fingerprint.objects.create(comment=b, site=site, created_at=now, signature=b"old")
    got = rows.insert_many(Fingerprint, fields, [(x.pk, site.pk, now, b"new") for x in (a, b, c)],
                           skip_conflicts=True, returning=["comment", "id"])
    stored = dict(Fingerprint.objects.values_list("comment_id", "pk"))
    if connection.vendor == "postgresql":
        assert sorted(got) == sorted((x.pk, stored[x.pk]) for x in (a, c))
        assert rows.insert_many(Fingerprint, fields, [], returning=["comment", "id"]) == []
    else:
        assert got is None
    assert set(stored) == {a.pk, b.pk, c.pk} and Fingerprint.objects.get(comment=b).signature == b"old"


def test_update_many_sets_fields(site: Site) -> None:
    now = timezone.now()
    later = now + timezone.timedelta(minutes=5)
    first, second = (Campaign.objects.create(site=site, size=n, created_at=now, updated_at=now) for n in (3, 10))
    rows.update_many(Campaign, ["size", "updated_at"], [(5, later, first.pk), (10, now, second.pk)])
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.size, first.updated_at) == (5, later)
    assert (second.size, second.updated_at) == (10, now)
    words = WordList.objects.create(site=site, language="en", kind="banned", terms="s")
    rows.update_many(WordList, ["terms"], [("new 'one'", words.pk)])
    words.refresh_from_db()
    assert words.terms == "new 'one'"
    # With a condition: only the rows that hold it as stored.
    korean = WordList.objects.create(site=site, language="ko", kind="banned", terms="k")
    rows.update_many(WordList, ["terms"], [("en only", words.pk), ("en only", korean.pk)], where={"language": "en"})
    assert dict(WordList.objects.filter(pk__in=[words.pk, korean.pk]).values_list("pk", "terms")) == {
        words.pk: "en only", korean.pk: "k"}
    with pytest.raises(ValueError, match="cannot be None"):  # = NULL would match nothing, silently
        rows.update_many(WordList, ["terms"], [("x", words.pk)], where={"language": None})
    assert WordList.objects.get(pk=words.pk).terms == "en only"


def test_any_lookup_matches_in(site: Site) -> None:
    """``__any`` returns what ``__in`` returns: many values (more than one chunk),
    None ignored, a foreign key, an empty list giving nothing."""
    now = timezone.now()
    made = [Campaign.objects.create(site=site, size=n, created_at=now, updated_at=now) for n in range(5)]
    wanted = [c.pk for c in made[:3]] + list(range(10**6, 10**6 + rows.CHUNK + 10)) + [None]
    found = []
    for chunk in rows.chunks(Campaign, wanted):
        found += Campaign.objects.filter(pk__any=chunk).values_list("pk", flat=True)
    assert sorted(found) == [c.pk for c in made[:3]]
    assert Campaign.objects.filter(site_id__any=[site.pk]).count() == 5
    assert Campaign.objects.filter(site__any=[site.pk], size__any=[1, 4]).count() == 2
    assert list(Campaign.objects.filter(pk__any=[])) == []
    # Values prepared as __in prepares them unless all are ints (passed as they are).
    assert list(Campaign.objects.filter(pk__any=(str(made[0].pk), made[1].pk)).order_by("pk")) == made[:2]
    with pytest.raises(ValueError):
        Campaign.objects.filter(pk__any=["one"])


def test_any_lookup_takes_texts_times_and_64_bit_keys(site: Site) -> None:
    """Texts (Korean, quotes, emoji, backslashes), times and signed 64-bit band keys
    match as with ``__in``, on SQLite through one JSON parameter."""
    from commentdesk.triage.models import FingerprintBand

    now = timezone.now()
    texts = ["한국어 \"q\" 'x'", "emoji 😀 \\ back", "plain"]
    made = [WordList.objects.create(site=site, language=f"l{i}", kind="banned", terms=t) for i, t in enumerate(texts)]
    for i, words in enumerate(made):  # updated_at is auto_now: set apart afterwards
        WordList.objects.filter(pk=words.pk).update(updated_at=now + timezone.timedelta(seconds=i))
    assert WordList.objects.filter(terms__any=texts[:2] + ["missing"]).count() == 2
    assert set(WordList.objects.filter(updated_at__any=[now, now + timezone.timedelta(seconds=2)])
               .values_list("terms", flat=True)) == {texts[0], texts[2]}
    keys = [-(2**63), 2**63 - 1, 12345]
    FingerprintBand.objects.bulk_create([FingerprintBand(fingerprint_id=1, site=site, key=k, created_at=now)
                                         for k in keys])
    assert sorted(FingerprintBand.objects.filter(key__any=keys[:2] + [7]).values_list("key", flat=True)) == keys[:2]
    # Beyond 64 bits: refused as by __in (a float near -2**63 matched that key on SQLite).
    with pytest.raises((OverflowError, DataError)):
        list(FingerprintBand.objects.filter(key__any=[-(2**63) - 1]))
    if connection.vendor == "sqlite":  # PostgreSQL stores no NUL in text
        nul = WordList.objects.create(site=site, language="nul", kind="banned", terms="a\x00b")
        found = set(WordList.objects.filter(terms__any=["a\x00b", "plain"]).values_list("pk", flat=True))
        assert found == {made[2].pk, nul.pk}  # json_each would end the text at NUL
