"""Campaigns: near-duplicates across threads and commenters are clustered; bursts from one address count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from commentdesk.comments.models import Comment
from commentdesk.comments.tests.factories import CommentFactory, ThreadFactory
from commentdesk.triage import pipeline
from commentdesk.triage.campaigns import signature, similarity
from commentdesk.triage.models import Campaign, Score

pytestmark = pytest.mark.django_db

CAMPAIGN = {"NAME": "commentdesk.triage.scorers.campaigns.CampaignScorer", "OPTIONS": {"stage": "request"}}
TEXT = "The minister lied about the budget again, share this before they delete it! Vote them out in {n}."


def post(site: Any, body: str, minutes_ago: float = 0, ip_hash: str = "", thread: Any = None) -> Any:
    return CommentFactory(thread=thread or ThreadFactory(site=site), body=body, ip_hash=ip_hash,
                          created_at=timezone.now() - timedelta(minutes=minutes_ago))


def test_near_duplicates_across_threads_form_one_campaign(site: Any, scorers: Any) -> None:
    """Five near-identical comments in five threads by five commenters end in one campaign of five."""
    scorers(CAMPAIGN)
    comments = [post(site, TEXT.format(n=2026 + i), minutes_ago=10 - i) for i in range(5)]
    scores = [pipeline.score_comment(c) for c in comments]
    assert [s.scores["campaign"] for s in scores] == [0.0, 0.4, 0.5, 0.6, 0.7]
    assert scores[-1].reasons == ["4 near-duplicates in 60 min (5 threads, 5 commenters)"]
    campaign = Campaign.objects.get()
    assert campaign.size == 5 and list(campaign.comments()) == comments
    assert scores[-1].details["campaign"]["campaign_id"] == campaign.pk


def test_copies_disguised_with_invisible_or_look_alike_characters_join_the_campaign(
        site: Any, scorers: Any) -> None:
    """A copy with a zero-width space between its letters, soft hyphens, Hangul fillers
    between its words, or Cyrillic and small-capital look-alikes is still a copy."""
    scorers(CAMPAIGN)
    text = TEXT.format(n=2030)
    disguised = ["\u200b".join(text), text.replace("e", "e\u00ad"), text.replace(" ", "\u3164"),
                 text.replace("o", "о").replace("a", "а").replace("p", "р"), text.replace("the", "ᴛʜᴇ")]
    comments = [post(site, body, minutes_ago=10 - i) for i, body in enumerate([text, *disguised])]
    scores = [pipeline.score_comment(c) for c in comments]
    assert [s.details["campaign"]["near_duplicates"] for s in scores] == [0, 1, 2, 3, 4, 5]
    assert Campaign.objects.get().size == 6


def test_a_reason_counts_one_thread_and_one_commenter_in_the_singular(site: Any, scorers: Any) -> None:
    """Two near-duplicates by one commenter under one article (a new user's trial)."""
    scorers(CAMPAIGN)
    thread = ThreadFactory(site=site)
    first = post(site, TEXT.format(n=2026), minutes_ago=2, thread=thread)
    second = CommentFactory(thread=thread, commenter=first.commenter, body=TEXT.format(n=2027))
    pipeline.score_comment(first)
    assert pipeline.score_comment(second).reasons == ["1 near-duplicate in 60 min (1 thread, 1 commenter)"]


@pytest.mark.parametrize("stale_batch_last", [True, False])
def test_a_batch_that_loaded_the_text_before_an_edit_does_not_fingerprint_it(
        site: Any, scorers: Any, moderator: Any, django_capture_on_commit_callbacks: Any, stale_batch_last: bool
) -> None:
    """A worker loaded a campaign member; a moderator then rewrote it into a text of its own.
    Whether the worker's batch runs before or after the edit's own scoring, the comment
    ends outside the campaign (from an attack: the batch fingerprinted the old text)."""
    from commentdesk.moderation.decisions import edit
    from commentdesk.triage import tasks
    from commentdesk.triage.models import Fingerprint

    scorers({**CAMPAIGN, "OPTIONS": {"stage": "background"}})
    first, second, third = (post(site, TEXT.format(n=2026 + i), minutes_ago=10 - i) for i in range(3))
    pipeline.score_comment(first)
    pipeline.score_comment(second)
    pipeline.score_comment(third, "request")  # its background task is queued
    loaded = Comment.objects.select_related("site").get(pk=third.pk)  # that task's load
    with django_capture_on_commit_callbacks(execute=True):
        edit(Comment.objects.select_related("site").get(pk=third.pk),
             "Thanks for covering the bus route changes in such detail.", moderator, "other")
    if not stale_batch_last:
        pipeline.score_comments([loaded], "background")
    assert tasks.score_in_background.call(third.pk) == "scored"  # the edit's task
    if stale_batch_last:
        pipeline.score_comments([loaded], "background")
    assert Fingerprint.objects.get(comment=first).campaign_id is not None
    assert Fingerprint.objects.get(comment=third).campaign_id is None
    assert Score.objects.get(comment=third).details["campaign"]["near_duplicates"] == 0


def test_different_texts_and_other_sites_are_not_clustered(site: Any, other_site: Any, scorers: Any) -> None:
    """Unrelated comments, the same text on another site, and old copies outside the window stay apart."""
    scorers(CAMPAIGN)
    post(other_site, TEXT.format(n=1))
    post(site, TEXT.format(n=2), minutes_ago=120)
    post(site, "A completely different remark about the weather forecast for the weekend.")
    score = pipeline.score_comment(post(site, TEXT.format(n=3)))
    assert score.scores["campaign"] == 0.0 and score.reasons == []
    assert not Campaign.objects.exists()


def test_short_comments_are_not_compared(site: Any, scorers: Any) -> None:
    """"Great article!" written by many readers is no campaign."""
    scorers(CAMPAIGN)
    for _ in range(3):
        score = pipeline.score_comment(post(site, "Great article!"))
    assert score.details["campaign"]["compared"] is False and not Campaign.objects.exists()


def test_scoring_twice_does_not_grow_the_campaign(site: Any, scorers: Any) -> None:
    """Rescoring a comment keeps one fingerprint and the same campaign size."""
    scorers(CAMPAIGN)
    first, second = post(site, TEXT.format(n=1), minutes_ago=1), post(site, TEXT.format(n=2))
    pipeline.score_comment(first)
    pipeline.score_comment(second)
    pipeline.score_comment(second)
    assert Campaign.objects.get().size == 2


def test_a_wave_is_compared_with_its_newest_copies_only(site: Any, scorers: Any, monkeypatch: Any) -> None:
    """Of a wave of copies, a comment is compared with the MAX_CANDIDATES newest, and the
    campaign counts every copy."""
    from commentdesk.triage import campaigns

    monkeypatch.setattr(campaigns, "MAX_CANDIDATES", 3)
    scorers(CAMPAIGN)
    wave = [post(site, TEXT.format(n=7), minutes_ago=30 - i) for i in range(8)]
    pipeline.score_comments(wave)
    later = [post(site, TEXT.format(n=7), minutes_ago=5 - i) for i in range(2)]
    found = campaigns.record_many(later, timedelta(hours=1))
    assert found[0].near == [wave[7].pk, wave[6].pk, wave[5].pk]
    assert found[1].near == [later[0].pk, wave[7].pk, wave[6].pk]
    assert Campaign.objects.get().size == 10


def test_burst_from_one_address(site: Any, scorers: Any) -> None:
    """Six comments from one IP hash within ten minutes are called a burst."""
    scorers(CAMPAIGN)
    thread = ThreadFactory(site=site)
    for i in range(5):
        post(site, f"opinion number {i} on a different matter entirely, nothing alike {i * 7}", minutes_ago=5 - i,
             ip_hash="abc", thread=thread)
    score = pipeline.score_comment(post(site, "and one more thing I wanted to say about it", ip_hash="abc"))
    assert score.scores["campaign"] == 0.3
    assert score.reasons == ["6 comments from one address in 10 min"]


def test_a_burst_alone_stays_moderate(site: Any, scorers: Any) -> None:
    """Thirty comments from one address (a shared office or carrier address) score at most 0.5, not a rejection."""
    scorers(CAMPAIGN)
    thread = ThreadFactory(site=site)
    for i in range(30):
        post(site, f"reader {i} writes about topic {i * 13} in words of their own", minutes_ago=9 - i * 0.3,
             ip_hash="shared", thread=thread)
    score = pipeline.score_comment(post(site, "and one more reader with a view of the matter", ip_hash="shared"))
    assert score.scores["campaign"] == 0.5 and score.reasons == ["31 comments from one address in 10 min"]


def test_same_address_counts_of_a_batch(site: Any, other_site: Any) -> None:
    """burst_many over a batch of several addresses counts, for each comment, the
    site's other comments from its address in the window before it (ends included):
    not later ones, not older ones, not another site's, nothing without an address."""
    from commentdesk.triage.campaigns import burst_many

    now = timezone.now()

    def at(minutes_ago: float, ip_hash: str, where: Any = site) -> Any:
        return CommentFactory(thread=ThreadFactory(site=where), body="x", ip_hash=ip_hash,
                              created_at=now - timedelta(minutes=minutes_ago))

    a_old, a1, a2, a3 = at(11, "a"), at(9, "a"), at(4, "a"), at(0, "a")
    b1, b2 = at(3, "b"), at(1, "b")
    at(2, "b", other_site)
    at(2, "c")
    edge = at(10, "c")  # exactly ten minutes before c_now: counted
    c_now, blank = at(0, "c"), at(0, "")
    batch = [a3, a1, b2, b1, c_now, blank, a_old, edge]
    assert burst_many(batch, timedelta(minutes=10)) == [2, 1, 1, 0, 2, 0, 0, 0]
    assert burst_many([a2], timedelta(minutes=10)) == [2]  # a_old and a1; a3 came later


def test_similarity_of_signatures() -> None:
    """Equal texts are 1.0 alike, unrelated ones far below the threshold; short texts have no signature."""
    a, b = signature(TEXT.format(n=1)), signature("Completely unrelated words about gardening and tomatoes.")
    assert a is not None and b is not None
    assert similarity(a, signature(TEXT.format(n=1))) == 1.0 and similarity(a, b) < 0.3
    assert signature("ok 👍") is None
    # Against several signatures at once (a row each): each pair's share, as pair by pair.
    c = signature(TEXT.format(n=2))
    assert similarity(a, np.stack([a, b, c])).tolist() == [1.0, similarity(a, b), similarity(a, c)]


def test_signatures_of_a_batch_are_datasketchs_minhash_of_each_text() -> None:
    """One MinHash cleared between texts, and ASCII shingles cut from bytes, give
    what a fresh datasketch MinHash (64 permutations, seed 1, CRC-32) of each
    text's UTF-8 5-gram shingles (normalised, without spaces) gives: English,
    Korean, mixed, emoji, short."""
    import zlib

    from datasketch import MinHash

    from commentdesk.triage.campaigns import normalise, signatures

    texts = [TEXT.format(n=3), "오늘 기사 잘 읽었습니다 정말 좋은 분석이네요 감사합니다 기자님", "ok 👍",
             "Mixed 한국어 and English, with an emoji 😀 and ＦＵＬＬＷＩＤＴＨ letters", TEXT.format(n=4)]

    def fresh(text: str) -> list[int] | None:
        norm = normalise(text).replace(" ", "")
        if len(norm) < 25:
            return None
        minhash = MinHash(num_perm=64, seed=1, hashfunc=zlib.crc32)
        minhash.update_batch({norm[i:i + 5].encode("utf-8") for i in range(len(norm) - 4)})
        return [int(v) for v in minhash.hashvalues]

    found = [None if values is None else values.tolist() for values in signatures(texts)]
    assert found == [fresh(t) for t in texts] and found[2] is None and None not in found[:2]


def test_a_campaign_counts_its_members_again_when_it_grows(site: Any, scorers: Any) -> None:
    """Members deleted (an erased commenter) leave the count at the next update."""
    scorers(CAMPAIGN)
    copies = [post(site, TEXT.format(n=11), minutes_ago=10 - i) for i in range(5)]
    pipeline.score_comments(copies)
    assert Campaign.objects.get().size == 5
    for c in copies[:2]:
        c.delete()
    pipeline.score_comment(post(site, TEXT.format(n=11)))
    assert Campaign.objects.get().size == 4


def test_a_comment_dated_year_one_is_compared_without_overflow(site: Any, scorers: Any) -> None:
    """An imported comment may carry the earliest date there is: scored like any other."""
    from datetime import UTC, datetime

    scorers(CAMPAIGN)
    early = [CommentFactory(thread=ThreadFactory(site=site), body=TEXT.format(n=1), ip_hash="h",
                            created_at=datetime(1, 1, 1, tzinfo=UTC)) for _ in range(2)]
    scores = pipeline.score_comments(early)
    assert [s.scores["campaign"] for s in scores] == [0.4, 0.4] and not any(s.skipped for s in scores)


def test_bands_go_with_their_comment_and_a_stray_band_is_ignored(site: Any, scorers: Any) -> None:
    """Bands have no foreign-key constraint in the database: deleting a comment
    still deletes its fingerprint's bands (Django's cascade), and a band left
    pointing at a fingerprint that is gone finds nothing instead of failing."""
    from commentdesk.triage.models import Fingerprint, FingerprintBand

    scorers(CAMPAIGN)
    first, second = post(site, TEXT.format(n=1), minutes_ago=5), post(site, TEXT.format(n=2), minutes_ago=4)
    for comment in (first, second):
        pipeline.score_comment(comment)
    gone = Fingerprint.objects.get(comment=second)
    bands = list(FingerprintBand.objects.filter(fingerprint=gone).values_list("key", flat=True))
    assert len(bands) == 8
    second.delete()
    assert not FingerprintBand.objects.filter(fingerprint_id=gone.pk).exists()
    FingerprintBand.objects.bulk_create([FingerprintBand(fingerprint_id=gone.pk, site=site, key=k,
                                                         created_at=timezone.now()) for k in bands])
    score = pipeline.score_comment(post(site, TEXT.format(n=3)))
    assert score.details["campaign"]["near_duplicates"] == 1  # the first, not the deleted one


def test_the_last_comment_of_a_dissolved_campaign_is_scored_again(
    site: Any, scorers: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Three copies, then two of them erased: the one left had "2 near-duplicates"
    and a raised risk; it is queued again and then says it has none. A campaign
    that keeps two members leaves its members' Scores alone."""
    from commentdesk.privacy.rights import erase
    from commentdesk.triage import tasks

    scorers({**CAMPAIGN, "OPTIONS": {"stage": "background"}})
    copies = [post(site, TEXT.format(n=77), minutes_ago=10 - i) for i in range(4)]
    for c in copies:
        pipeline.score_comment(c)
    last = Score.objects.get(comment=copies[2])
    assert last.scores["campaign"] == 0.5 and last.reasons[0].startswith("2 near-duplicates")
    with django_capture_on_commit_callbacks(execute=True) as queued:
        erase(copies[3].commenter, "delete")
    assert queued == [] and Score.objects.get(comment=copies[2]).state == "scored"  # three left
    with django_capture_on_commit_callbacks(execute=True):
        erase(copies[0].commenter, "delete")
        erase(copies[1].commenter, "delete")
    assert Score.objects.get(comment=copies[2]).state == "partial"
    assert tasks.requeue_unfinished(timezone.now() + timedelta(minutes=10)) == 0  # queued once, not twice
    assert tasks.score_many_in_background.call([copies[2].pk], "background")["scored"] == 1
    score = Score.objects.get(comment=copies[2])
    assert (score.state, score.scores["campaign"], score.reasons) == ("scored", 0.0, [])


def test_a_dissolved_campaigns_unfinished_score_is_left_to_its_own_scoring(
    site: Any, scorers: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The member left has a "not scored" Score (its every stage is due again): it is
    not made partial, which would have had only the background stage run."""
    from commentdesk.privacy.rights import erase

    scorers({**CAMPAIGN, "OPTIONS": {"stage": "background"}})
    first, second = (post(site, TEXT.format(n=78), minutes_ago=10 - i) for i in range(2))
    for c in (first, second):
        pipeline.score_comment(c)
    pipeline.mark_not_scored(second.pk, "scoring failed (OperationalError)")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        erase(first.commenter, "delete")
    assert queued == [] and Score.objects.get(comment=second).state == "not_scored"


def test_near_duplicates_erased_while_a_batch_compares_are_not_counted(
    site: Any, scorers: Any, monkeypatch: Any
) -> None:
    """The batch read its candidates; the two other copies are then erased (an erasure
    that commits before the batch locks the campaign: here, in the batch's own
    transaction): the comment is not scored against them (it stayed "2
    near-duplicates" for good, from an attack)."""
    from commentdesk.privacy.rights import erase
    from commentdesk.triage import campaigns

    scorers({**CAMPAIGN, "OPTIONS": {"stage": "background"}})
    x, z, y = (post(site, TEXT.format(n=79), minutes_ago=10 - i) for i in range(3))
    for c in (x, z):
        pipeline.score_comment(c)
    pipeline.score_comment(y, "request")
    original, done = campaigns.update_many, []

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        if not done:
            done.append(True)
            erase(x.commenter, "delete")
            erase(z.commenter, "delete")
        return original(*args, **kwargs)

    monkeypatch.setattr(campaigns, "update_many", meanwhile)
    pipeline.score_comments([Comment.objects.select_related("site").get(pk=y.pk)], "background")
    assert done
    score = Score.objects.get(comment=y)
    assert (score.state, score.scores["campaign"], score.reasons) == ("scored", 0.0, [])
    assert score.details["campaign"]["near_duplicates"] == 0


def test_a_decided_comment_left_alone_in_its_campaign_keeps_its_score(
    site: Any, scorers: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A decided comment's Score is the record of what triage said when the moderator
    decided: the retention purge or an erasure of its near-duplicate leaves it as it was."""
    from commentdesk.privacy.rights import erase

    scorers({**CAMPAIGN, "OPTIONS": {"stage": "background"}})
    first, second = (post(site, TEXT.format(n=80), minutes_ago=10 - i) for i in range(2))
    for c in (first, second):
        pipeline.score_comment(c)
    Comment.objects.filter(pk=second.pk).update(status=Comment.Status.APPROVED)
    before = Score.objects.get(comment=second)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        erase(first.commenter, "delete")
    after = Score.objects.get(comment=second)
    assert queued == [] and (after.state, after.reasons, after.scored_at) == ("scored", before.reasons,
                                                                              before.scored_at)


@pytest.mark.django_db(transaction=True)
def test_a_batch_sees_the_copy_another_transaction_fingerprinted_meanwhile(site: Any) -> None:
    """Two transactions fingerprint one comment at once (without the comments' lock,
    as ``record_many`` alone): the second's insert waits for the first to commit,
    then reads the bands again, so its copy of the first's text is found (the bands
    read before the insert did not hold them)."""
    import threading
    import time

    from django.db import connection, transaction

    from commentdesk.triage import campaigns

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")
    text = "The minister lied about the budget again, share this before they delete it! Vote them out in {}."
    now = timezone.now()
    shared = CommentFactory(thread=ThreadFactory(site=site), created_at=now - timedelta(minutes=5),
                            body="A completely different remark about the weather forecast for the weekend.")
    first, copy = (CommentFactory(thread=ThreadFactory(site=site), body=text.format(n),
                                  created_at=now - timedelta(minutes=m)) for n, m in ((2026, 4), (2027, 3)))
    written, found = threading.Event(), {}

    def one() -> None:
        try:
            with transaction.atomic():
                campaigns.record_many([shared, first], timedelta(hours=1))
                written.set()
                time.sleep(1)  # the other's insert of `shared` waits for this commit
        finally:
            written.set()
            connection.close()

    def other() -> None:
        try:
            written.wait(30)
            found["copy"] = campaigns.record_many([shared, copy], timedelta(hours=1))[1]
        finally:
            connection.close()

    threads = [threading.Thread(target=one), threading.Thread(target=other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert found["copy"].near == [first.pk]
