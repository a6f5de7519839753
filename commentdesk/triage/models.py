"""What triage stores: one Score per comment, trained classifier versions, and
the sites' word lists."""

from __future__ import annotations

from typing import TypedDict

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commentdesk.comments.models import Comment
from commentdesk.sites.models import Site


class TriageDict(TypedDict):
    """The queue item's ``triage`` field (API.md): ``risk`` 0..1 or None when no
    scorer could give one; ``scores`` maps scorer name → its own 0..1 score (None
    for a scorer that gave none); ``reasons`` are sentences for the moderator,
    strongest first, including ``"not scored: <why>"`` and skipped scorers."""

    risk: float | None
    scores: dict[str, float | None]
    reasons: list[str]


class Score(models.Model):
    """Triage's output for one comment.

    ``state`` says how far scoring got: ``partial`` after the in-request scorers
    while background scorers are still queued, ``scored`` when every scorer ran
    (or was skipped with its reason in ``skipped``), ``not_scored`` when scoring
    failed as a whole (``not_scored_reason`` says why; the comment itself is
    untouched and waits in the queue like any other).

    ``risk``: combined 0..1 (see :func:`commentdesk.triage.pipeline.combine`),
    None until some scorer gave a score. ``scores``: {scorer name: 0..1 or None}.
    ``reasons``: human-readable sentences, strongest first. ``details``: {scorer
    name: JSON data, e.g. matched spans or the detected language}. ``skipped``:
    {scorer name: why it was skipped (raised, over its time budget, no model)}.
    ``model_version``: the classifier version that scored it, "" if none.
    ``failures``: scoring runs in a row that failed as a whole (0 once scored);
    housekeeping stops trying again at ``MAX_FAILURES``.
    """

    # A comment whose scoring failed this many times in a row is no longer queued again
    # by housekeeping (tasks.requeue_unfinished).
    MAX_FAILURES = 5

    class State(models.TextChoices):
        PARTIAL = "partial", _("Partly scored")
        SCORED = "scored", _("Scored")
        NOT_SCORED = "not_scored", _("Not scored")

    comment = models.OneToOneField(Comment, on_delete=models.CASCADE, related_name="triage_score")
    state = models.CharField(max_length=10, choices=State, default=State.PARTIAL)
    risk = models.FloatField(null=True, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    details = models.JSONField(default=dict, blank=True)
    skipped = models.JSONField(default=dict, blank=True)
    not_scored_reason = models.CharField(max_length=300, blank=True)
    model_version = models.CharField(max_length=40, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0, db_default=0)

    class Meta:
        indexes = [
            models.Index(fields=["risk"], name="triage_score_risk"),
            # The few Scores triage has yet to finish or must try again (housekeeping's
            # requeue_unfinished, the background task's batch), not every Score.
            models.Index(fields=["scored_at"], condition=Q(state__in=["partial", "not_scored"]),
                         name="triage_score_unfinished"),
        ]

    def __str__(self) -> str:
        return f"{self.comment_id}: {self.summary}"

    @property
    def summary(self) -> str:
        """One line for people: ``"risk 0.93"``, ``"not scored: <why>"`` (saying
        when housekeeping gave up on it) or ``"no risk score"``."""
        if self.state == self.State.NOT_SCORED:
            if self.failures >= self.MAX_FAILURES:
                return (f"not scored: {self.not_scored_reason}; failed {self.failures} times, no longer tried "
                        "again (`commentdesk triage rescore --site …` tries it)")
            return f"not scored: {self.not_scored_reason}"
        return f"risk {self.risk:.2f}" if self.risk is not None else "no risk score"

    def to_dict(self) -> TriageDict:
        """The queue item's ``triage`` field; a not-scored state leads the reasons,
        a partial one ends them with "background scorers still queued"."""
        reasons = list(self.reasons)
        if self.state == self.State.NOT_SCORED:
            reasons.insert(0, self.summary)
        elif self.state == self.State.PARTIAL:
            reasons.append("background scorers still queued")
        return {"risk": self.risk, "scores": dict(self.scores), "reasons": reasons}


class ClassifierModel(models.Model):
    """One trained version of a site's learned classifier.

    ``blob`` is the fitted scikit-learn pipeline serialised with joblib (see
    :mod:`commentdesk.triage.classifier`); only trusted code writes it (the
    ``triage train`` command), since unpickling runs code. ``version`` is
    recorded on every Score it produced. ``site`` None is a model shared by every
    site without its own. ``trained_on``: {"seed": {file: rows}, "decisions": n,
    "positives": n}; ``metrics``: cross-validation numbers when measured.
    """

    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    version = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(default=True)
    trained_on = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    blob = models.BinaryField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["site", "is_active", "created_at"], name="triage_model_active")]

    def __str__(self) -> str:
        return self.version


class WordList(models.Model):
    """A site's list of terms for one language (blank: every language).

    ``kind`` ``banned``: a match suggests rejecting; ``suspect``: a match is
    highlighted for the moderator. ``terms``: one term per line; blank lines and
    lines starting with ``#`` are ignored. Matching is evasion-robust (see
    :mod:`commentdesk.triage.wordmatch`).
    """

    class Kind(models.TextChoices):
        BANNED = "banned", _("Banned: suggest rejecting")
        SUSPECT = "suspect", _("Suspect: highlight")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=16, blank=True, help_text=_("blank: every language"))
    kind = models.CharField(max_length=8, choices=Kind)
    terms = models.TextField(blank=True, help_text=_("one term per line; # starts a comment line"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "language", "kind"], name="triage_wordlist_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.language or '*'} {self.kind}"

    def term_list(self) -> list[str]:
        """The terms, stripped, without blanks and ``#`` lines.

        >>> WordList(terms="  spam \\n# note\\n\\nscam").term_list()
        ['spam', 'scam']
        """
        return [t.strip() for t in self.terms.splitlines() if t.strip() and not t.strip().startswith("#")]



DEFAULT_SHORTENERS = "\n".join([
    "bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly", "cutt.ly",
    "shorturl.at", "t.ly", "rb.gy", "tiny.cc", "bitly.com", "s.id", "v.gd", "han.gl", "me2.do", "vo.la",
])


class TriagePolicy(models.Model):
    """A site's triage settings; a site without a row uses the defaults.

    ``max_links``: a comment with more links than this is held for review (its
    link score is 0.6 and details say ``"hold": true``); ``blocked_domains``:
    one domain per line, its subdomains included — a link there scores 0.95;
    ``shorteners``: URL-shortener domains, which hide where a link goes (score 0.5).

    Automation (off while both thresholds are null): a pending comment whose
    finished Score has ``risk < auto_approve_below`` is approved, one with
    ``risk > auto_reject_above`` gets ``auto_action`` (reject or spam) with
    ``auto_reason``, both as decisions by "triage" (see
    :mod:`commentdesk.triage.automation`). ``nudge_enabled``: the widget may
    ask readers to reconsider a draft (:mod:`commentdesk.triage.nudge`);
    ``nudge_above``: the classifier probability that counts as "likely
    rejected". ``retrain_after``: new decisions before a new classifier version
    is trained (:mod:`commentdesk.triage.retraining`; 0 = never).
    """

    class AutoAction(models.TextChoices):
        REJECT = "reject", _("Reject")
        SPAM = "spam", _("Mark as spam")

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="+")
    max_links = models.PositiveIntegerField(default=2, help_text=_("more links than this: hold for review"))
    blocked_domains = models.TextField(blank=True, help_text=_("one domain per line; subdomains included"))
    shorteners = models.TextField(default=DEFAULT_SHORTENERS, blank=True, help_text=_("one domain per line"))
    # Automation (commentdesk.triage.automation): off while both thresholds are null.
    auto_approve_below = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("approve a pending comment whose risk is below this (0..1); empty: never"),
    )
    auto_reject_above = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("reject or mark as spam a pending comment whose risk is above this (0..1); empty: never"),
    )
    auto_action = models.CharField(max_length=6, choices=AutoAction, default=AutoAction.REJECT)
    auto_reason = models.CharField(max_length=40, blank=True,
                                   help_text=_("reason code (Terms of Use) of automatic rejections"))
    # Nudge before posting (commentdesk.triage.nudge): off by default.
    nudge_enabled = models.BooleanField(default=False, help_text=_("ask readers to reconsider a draft triage expects "
                                                                   "to be rejected"))
    nudge_above = models.FloatField(
        default=0.8, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("classifier probability (0..1) from which a draft is nudged"),
    )
    # Retraining (commentdesk.triage.retraining): 0 = never.
    retrain_after = models.PositiveIntegerField(
        default=200, validators=[MaxValueValidator(1_000_000)],
        help_text=_("train a new classifier version after this many new decisions; 0 = never"),
    )

    class Meta:
        verbose_name_plural = "triage policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(auto_approve_below__isnull=True) | models.Q(auto_reject_above__isnull=True)
                | models.Q(auto_approve_below__lt=models.F("auto_reject_above")),
                name="triage_policy_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"triage policy of {self.site_id}"

    def clean(self) -> None:
        """Refuse an approve threshold at or above the reject threshold, automatic
        rejection without a reason code, and a reason code not of the site's list
        (``ValidationError`` by field)."""
        errors: dict[str, str] = {}
        low, high = self.auto_approve_below, self.auto_reject_above
        if low is not None and high is not None and low >= high:
            errors["auto_approve_below"] = _("The approve threshold must be below the reject threshold.")
        if high is not None and not self.auto_reason:
            errors["auto_reason"] = _("Automatic rejection needs a reason code.")
        elif self.auto_reason:
            codes = list(Site.objects.filter(pk=self.site_id).values_list("reason_codes", flat=True).first() or [])
            if self.auto_reason not in codes:
                errors["auto_reason"] = _("Use one of the site's reason codes: %(codes)s.") % {"codes": ", ".join(codes)}
        if errors:
            raise ValidationError(errors)

    @property
    def automates(self) -> bool:
        """True when either automation threshold is set."""
        return self.auto_approve_below is not None or self.auto_reject_above is not None

    @classmethod
    def for_site(cls, site_id: int) -> TriagePolicy:
        """The site's policy, or an unsaved one with the defaults."""
        return cls.objects.filter(site_id=site_id).first() or cls(site_id=site_id)


class Campaign(models.Model):
    """A cluster of near-duplicate comments of one site (MinHash LSH; see
    :mod:`commentdesk.triage.campaigns`), for the desk to show and decide in
    bulk. ``size``: its members now (recounted whenever one joins or leaves:
    :func:`~commentdesk.triage.campaigns.recount`); below 2 the desk no longer
    shows it as a campaign. Members are the comments whose Fingerprint points
    here. It keeps no text of its own: the desk shows a member's current text,
    so that an author's edit, a moderator's edit or an erasure leaves nothing
    behind."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    size = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["site", "updated_at"], name="triage_campaign_recent")]

    def __str__(self) -> str:
        return f"campaign {self.pk} ({self.size} comments)"

    def comments(self) -> models.QuerySet[Comment]:
        """The member comments, oldest first (pass their ``public_id`` to ``moderation.decide``)."""
        return Comment.objects.filter(triage_fingerprint__campaign=self).order_by("created_at", "id")


class Fingerprint(models.Model):
    """A comment's MinHash signature (``signature``: 64 little-endian uint64
    values) and its campaign, if it has near-duplicates."""

    comment = models.OneToOneField(Comment, on_delete=models.CASCADE, related_name="triage_fingerprint")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    signature = models.BinaryField()
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")


class FingerprintBand(models.Model):
    """One LSH band of a Fingerprint: comments sharing any ``key`` of a site are
    candidates for near-duplicates. ``key``: 64-bit hash of (band number, band
    values)."""

    # No foreign-key constraints in the database: PostgreSQL checked both for each
    # of the eight bands of every comment at COMMIT, about 15 ms of a batch of 500
    # (bench/triage.py). Bands are written only with their Fingerprint, in its
    # transaction, and deleted with it or with the site (Django's CASCADE, which
    # does not need the constraint); a band whose fingerprint is gone is ignored.
    fingerprint = models.ForeignKey(Fingerprint, on_delete=models.CASCADE, related_name="bands", db_constraint=False)
    # No index of its own (one index fewer to write for each of the eight bands of
    # every comment): bands are read by key, and deleted with their fingerprint or,
    # rarely, their site.
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)
    key = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        # The key first: the lookup (campaigns.record_many) then has one way to use
        # it, a descent per key of the batch. With the site first, PostgreSQL
        # without fresh statistics (a new database, autovacuum off, or a burst of
        # comments newer than the last ANALYZE) judged the site's recent rows few
        # and scanned every band of the time window instead: 20-60 ms a batch of
        # 500 that grew with the window (bench/triage.py), against 5-8 ms.
        indexes = [models.Index(fields=["key", "site", "created_at"], name="triage_band_key")]


class Nudge(models.Model):
    """A reader was nudged before posting (the widget asked ``POST
    /api/v1/threads/{site}/nudge`` and showed the note), and what they chose:
    ``revised`` (edited the draft and then posted) or ``posted_anyway``. One per
    comment; shown in the desk beside it."""

    class Choice(models.TextChoices):
        REVISED = "revised", _("revised the comment")
        POSTED_ANYWAY = "posted_anyway", _("posted anyway")

    comment = models.OneToOneField(Comment, on_delete=models.CASCADE, related_name="triage_nudge")
    choice = models.CharField(max_length=13, choices=Choice)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.comment_id}: {self.choice}"
