"""The learned classifier: character n-grams, hashed, into a logistic regression.

Model: two ``HashingVectorizer(analyzer="char_wb")`` blocks of 2**20 features
each — 1–5-grams of the NFKC text and 2–6-grams of its NFKD form (Hangul
syllables split into jamo) — → ``TfidfTransformer(sublinear_tf=True)`` → NB
log-count ratios (:class:`LogCountRatio`) → ``LogisticRegression(C=4,
liblinear)``. Character n-grams need no tokenizer, so one recipe serves Korean
(whose particles glue onto words), English and any other script, and they
survive misspellings. Hashing keeps memory fixed (2 × 2**20 coefficients) with
no vocabulary to store.

Chosen by 5-fold cross-validation (seed 20260201) on the four datasets in
``TRIAGE_DATA_DIR`` (``commentdesk triage eval --data DIR --folds 5``); mean
ROC-AUC of a plain char_wb 1–5-gram + LR start → this recipe:
korean_hate_speech 0.821 → 0.831, kmhas 0.914 → 0.927 (jamo n-grams +0.005,
NB ratios +0.007), youtube_spam 0.994 → 0.993, davidson_hate_offensive 0.980 →
0.986 (link/@mention clean-up +0.002, NB ratios +0.004). Word n-grams added nothing, an SGD classifier and char (not char_wb)
n-grams did worse, and adding kmhas to korean_hate_speech's training made it
worse — so each site trains on the seed sets of its own languages plus its own
decisions.

Tried again in 5-fold CV (same seed; means for korean_hate_speech, kmhas,
youtube_spam, davidson_hate_offensive; this recipe 0.8310, 0.9265, 0.9928,
0.9859), none kept since each loses on a Korean set: word 1–2-grams as a third
hashed block 0.8312, 0.9263, 0.9935, 0.9862; C=8 0.8293, 0.9269, 0.9932,
0.9857; C=2 0.8308, 0.9245, 0.9923, 0.9857; NB smoothing 0.5 instead of 1
0.8288, 0.9261, 0.9936, 0.9858; class_weight="balanced" 0.8311, 0.9265, 0.9928,
0.9857.

Then, for a wider margin on davidson_hate_offensive (same folds and seed; the
hashed counts computed once per dataset, tf-idf, ratios and LR fitted per
fold, which gives this recipe's four numbers exactly), none kept: nothing
reached 0.988, and each gain on the English sets costs a Korean set or needs
a per-language switch. On all four sets: every character but letters, digits,
spaces and ' (punctuation, emoji) cut off as a token of its own in the NFKC
block 0.8308, 0.9268, 0.9930, 0.9862; binary counts instead of sublinear tf
0.8301, 0.9263, 0.9929, 0.9861; both 0.8301, 0.9267, 0.9932, 0.9864; both plus a hashed word 1–2-gram block in the same LR,
weighted ×1 after tf-idf 0.8302, 0.9265, 0.9938, 0.9867, ×2 0.8292, 0.9261,
0.9949, 0.9869; both, with the mean log-odds of this model and a word 1–2-gram
NB-LR 0.8190, 0.9177, 0.9952, 0.9867. On davidson alone: 2**21 features per
block 0.9859; NFKC n-grams 2–6 0.9859, 1–6 0.9859; plain tf 0.9855; no idf
0.9858; C=16 0.9852; word 1–2-gram block ×0.5 0.9860, ×2 0.9864; mean
log-odds with a word 1–2-gram NB-LR 0.9864 (C=1: 0.9863; 1–3-grams 0.9864),
with a tf-idf LR without ratios 0.9852; "RT" dropped 0.9859; @mentions dropped
0.9859; a third, case-kept NFKC 1–5 block 0.9860; n-gram columns seen in fewer
than 2 (3) training texts dropped 0.9860 (0.9861); LinearSVC C=0.5 0.9853;
rows weighted by annotator agreement (not a column the seed sets share)
0.9860. English-only candidates (davidson, youtube_spam): cut punctuation +
word 1–2-grams ×2 0.9866, 0.9948; ×3 0.9864, 0.9953; ×3 with binary counts
0.9867, 0.9954; word 1–3-grams ×2 binary 0.9868, 0.9954. Such a word block
would add some 80 ms per 2,000 comments to :func:`predict_explained` (then
730 ms, warm, English model; 0.16 ms a comment now, bench/triage.py; word pairs
cross words, so the per-word table cannot serve them) and 25 MB per loaded model. Davidson's ceiling is its labels:
out of fold, this recipe's ROC-AUC is 0.996 on the 88% of rows whose
annotators agreed on offensive-or-not and 0.868 on the rest.

Scoring reads the pipeline's steps itself (:func:`predict_explained`): the
n-gram counts come from each word's hashed n-grams, remembered per process
(char_wb n-grams never cross a word), equal to scikit-learn's own transform.

Labels: 1 = a moderator should reject it (the datasets' ``label``; a site's
``reject``/``spam`` decisions), 0 = approve.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
import secrets
import unicodedata
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from itertools import chain, filterfalse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import joblib
import numpy as np
from django.conf import settings
from django.db import models
from django.utils import timezone
from sklearn.base import BaseEstimator, TransformerMixin

from commentdesk.triage.language import primary_language

N_FEATURES = 2**20
# Site decisions count this many times as much as a seed row: they are the
# site's own policy, the seed sets only annotators' judgement.
DECISION_WEIGHT = 3.0
# Rows per dataset sampled to find its language.
LANGUAGE_SAMPLE = 200
# The model sees at most this many characters of a comment.
MAX_CHARS = 5000
# predict_explained vectorises at most about this many characters at once.
TEXT_SLICE = 200_000
# Explanations look first at this many of a text's strongest columns; a text
# whose top n-grams lie further is looked at whole. Measured on the shared data
# (bench/triage.py's texts, seed model): the 99th percentile of columns needed
# is 24 (median 6).
EXPLAIN_COLUMNS = 24

_REPEATS = re.compile(r"(.)\1{2,}")
_LINKS = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTIONS = re.compile(r"@\w+")


def _clean(text: str) -> str:
    """HTML entities decoded (imports and tweets carry ``&amp;``), links → "http",
    @mentions → "@": who is named says nothing about the comment."""
    return _MENTIONS.sub("@", _LINKS.sub("http", html.unescape(text[:MAX_CHARS])))


def prepare_text(text: str) -> str:
    """What the character n-grams read: cleaned, NFKC, case-folded, runs of 3+
    equal characters cut to 2.

    >>> prepare_text("ＳＰＡＭ!!!!! at http://x.example @bob ㅋㅋㅋㅋㅋ")
    'spam!! at http @ ᄏᄏ'
    """
    return _REPEATS.sub(r"\1\1", unicodedata.normalize("NFKC", _clean(text)).casefold())


def prepare_jamo(text: str) -> str:
    """What the jamo n-grams read: as :func:`prepare_text` but NFKD, so Hangul
    syllables become their letters and "씨발" shares n-grams with "시발" and "씨바".

    >>> len(prepare_jamo("발")), len(prepare_text("발"))
    (3, 1)
    """
    return _REPEATS.sub(r"\1\1", unicodedata.normalize("NFKD", _clean(text)).casefold())


class LogCountRatio(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """Scales each feature by its log-count ratio r = log((p/|p|₁)/(q/|q|₁)), p and
    q the (weighted) counts of documents with the feature among label 1 and 0,
    plus 1 — the "NB" of NBSVM (Wang & Manning 2012, "Baselines and Bigrams:
    Simple, Good Sentiment and Topic Classification", ACL). Measured: +0.4 to +0.5
    ROC-AUC points on davidson_hate_offensive and kmhas in 5-fold CV."""

    def fit(self, x: Any, y: Any, sample_weight: Any = None) -> LogCountRatio:
        """Learn ``r_`` (one float per feature) from a sparse ``x`` and 0/1 ``y``."""
        w = np.ones(x.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        present = (x > 0).astype(np.float64).T
        y = np.asarray(y)
        p = present @ (w * (y == 1)) + 1.0
        q = present @ (w * (y == 0)) + 1.0
        self.r_ = np.log((p / p.sum()) / (q / q.sum()))
        return self

    def transform(self, x: Any) -> Any:
        """``x`` with each column multiplied by its ratio (sparse CSR)."""
        return x.multiply(self.r_).tocsr()


def build_pipeline() -> Any:
    """A fresh, unfitted scikit-learn pipeline of the recipe in this module's docstring."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_union

    def hashing(ngrams: tuple[int, int], preprocessor: Any) -> HashingVectorizer:
        return HashingVectorizer(analyzer="char_wb", ngram_range=ngrams, n_features=N_FEATURES,
                                 alternate_sign=False, norm=None, preprocessor=preprocessor)

    return Pipeline([
        ("ngrams", make_union(hashing((1, 5), prepare_text), hashing((2, 6), prepare_jamo))),
        ("tfidf", TfidfTransformer(sublinear_tf=True)),
        ("ratio", LogCountRatio()),
        ("linear", LogisticRegression(C=4.0, max_iter=3000, solver="liblinear")),
    ])


@dataclass
class Examples:
    """Training rows: ``texts``, ``labels`` (1 reject, 0 approve), ``weights``
    (per row, ≥ 0), ``sources`` ({file or "decisions": rows}) and ``languages``
    ({language code: rows}; rows of no known language are not counted)."""

    texts: list[str]
    labels: list[int]
    weights: list[float]
    sources: dict[str, int]
    languages: dict[str, int] = field(default_factory=dict)

    def extend(self, texts: list[str], labels: list[int], weight: float, source: str,
               languages: str | list[str] = "") -> None:
        """Append rows from one source, all with ``weight``; ``languages``: the
        language of them all, or one per row ("" unknown)."""
        self.texts += texts
        self.labels += labels
        self.weights += [weight] * len(texts)
        self.sources[source] = self.sources.get(source, 0) + len(texts)
        for code in ([languages] * len(texts) if isinstance(languages, str) else languages):
            if code := primary_language(code):
                self.languages[code] = self.languages.get(code, 0) + 1


# A model scores comments of a language it learned from at least this many rows
# (seed data and decisions together), or from this share of all its rows (a small
# model of one language); others are skipped (see known_languages).
MIN_LANGUAGE_ROWS = 100
MIN_LANGUAGE_SHARE = 0.2


def known_languages(model: Any) -> set[str] | None:
    """The languages (primary subtags) a model trained by :func:`fit` learned
    enough of to score: at least ``MIN_LANGUAGE_ROWS`` training rows, or
    ``MIN_LANGUAGE_SHARE`` of its rows. None when it cannot say (a model stored
    before languages were counted, or trained from rows of unknown language, as
    ``triage eval`` does): then it scores every comment."""
    return enough_of(getattr(model, "commentdesk_languages", None) or {}, getattr(model, "commentdesk_rows", 0))


def enough_of(languages: dict[str, int], rows: int) -> set[str] | None:
    """:func:`known_languages` from a model's ``{language: rows}`` and its row
    count (as ``ClassifierModel.trained_on`` keeps them); None for no languages."""
    if not languages:
        return None
    enough = min(MIN_LANGUAGE_ROWS, MIN_LANGUAGE_SHARE * rows)
    return {code for code, n in languages.items() if n >= enough}


# The longest physical line read from a CSV (characters): a file without line
# breaks (a binary file, /dev/zero) is refused instead of filling the memory.
MAX_CSV_LINE = 1_000_000


class LabelledRows(NamedTuple):
    """What :func:`read_csv` read: ``texts`` and their ``labels`` (0/1), and how
    many rows it ``skipped`` (an empty text or a label other than 0/1)."""

    texts: list[str]
    labels: list[int]
    skipped: int


def read_csv(path: Path | str) -> LabelledRows:
    """The texts and labels of a UTF-8 CSV (a byte-order mark is allowed) with
    columns ``text`` and ``label`` (0/1; other columns are ignored). Rows with an
    empty text or a label other than 0/1 are skipped and counted. Raises ``ValueError``
    (naming the file) when a column is missing, when rows exist but none has a
    text and a label of 0 or 1, when the file is not UTF-8 or has a line longer
    than ``MAX_CSV_LINE`` characters; ``OSError`` when it cannot be read."""
    csv.field_size_limit(MAX_CSV_LINE)
    texts: list[str] = []
    labels: list[int] = []
    skipped = 0
    with open(path, newline="", encoding="utf-8-sig") as fh:

        def lines() -> Iterator[str]:
            while line := fh.readline(MAX_CSV_LINE + 1):
                if len(line) > MAX_CSV_LINE:
                    raise ValueError(f"{path}: a line is longer than {MAX_CSV_LINE:,} characters; is it a CSV file?")
                yield line

        try:
            reader = csv.DictReader(lines())
            if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
                raise ValueError(f"{path}: needs the columns text and label")
            for row in reader:
                text, label = (row.get("text") or "").strip(), (row.get("label") or "").strip()
                if text and label in ("0", "1"):
                    texts.append(text)
                    labels.append(int(label))
                else:
                    skipped += 1
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        except csv.Error as exc:
            raise ValueError(f"{path}: not a readable CSV file ({exc})") from exc
    if skipped and not texts:
        raise ValueError(f"{path}: none of its {skipped:,} rows has a text and a label of 0 or 1")
    return LabelledRows(texts, labels, skipped)


def dataset_language(texts: list[str]) -> str:
    """The most frequent detected language of (up to 200 evenly spaced) ``texts``."""
    from collections import Counter

    from commentdesk.triage.language import detect_language

    step = max(1, len(texts) // LANGUAGE_SAMPLE)
    found = Counter(detect_language(t).language for t in texts[::step][:LANGUAGE_SAMPLE])
    return found.most_common(1)[0][0] if found else ""


def seed_files(data_dir: Path | None = None) -> list[Path]:
    """The labelled sets in ``DIR`` (``TRIAGE_DATA_DIR`` by default): every
    ``DIR/*/train.csv``, or ``DIR/train.csv`` alone when ``DIR`` is one set (as
    ``triage eval --data`` takes it). A missing folder gives none."""
    folder = Path(data_dir or settings.TRIAGE_DATA_DIR)
    if (folder / "train.csv").is_file():
        return [folder / "train.csv"]
    return sorted(folder.glob("*/train.csv"))


def seed_examples(languages: list[str], data_dir: Path | None = None) -> Examples:
    """Rows of every set of :func:`seed_files` whose language
    (:func:`dataset_language`) is one of ``languages``' primary subtags; every
    set when ``languages`` is empty."""
    wanted = {primary_language(code) for code in languages}
    examples = Examples([], [], [], {})
    for path in seed_files(data_dir):
        texts, labels, _skipped = read_csv(path)
        language = dataset_language(texts)
        if wanted and language not in wanted:
            continue
        examples.extend(texts, labels, 1.0, path.parent.name, language)
    return examples


def decision_examples(site: Any) -> tuple[list[str], list[int], list[str]]:
    """The site's own decided comments: text, 1 (rejected/spam) or 0 (approved),
    and the comment's detected language ("" when not detected).

    Taken from the audit log (``approve``/``reject``/``spam`` entries), the
    latest entry per comment, and only while the comment's status still agrees
    with it (a later restore or undo withdraws the example)."""
    from commentdesk.moderation.models import AuditLogEntry

    actions = {"approve": 0, "reject": 1, "spam": 1}
    latest: dict[int, tuple[str, str, str]] = {}
    entries = (
        AuditLogEntry.objects.filter(site=site, action__in=list(actions), comment__isnull=False)
        .exclude(actor__isnull=True, actor_name="triage")  # not its own automatic decisions (triage.retraining)
        .order_by("created_at", "id")
        .values_list("comment_id", "action", "comment__status", "comment__body", "comment__language")
    )
    for comment_id, action, status, body, language in entries.iterator():
        latest[comment_id] = (action, status, body, language)
    want = {"approve": "approved", "reject": "rejected", "spam": "spam"}
    texts, labels, languages = [], [], []
    for action, status, body, language in latest.values():
        if status == want[action] and body.strip():
            texts.append(body)
            labels.append(actions[action])
            languages.append(language)
    return texts, labels, languages


def fit(examples: Examples) -> Any:
    """A pipeline fitted on ``examples``. Raises ``ValueError`` unless both labels occur."""
    if len(set(examples.labels)) < 2:
        raise ValueError("training needs comments of both kinds (to approve and to reject)")
    model = build_pipeline()
    weights = np.array(examples.weights)
    model.fit(np.array(examples.texts, dtype=object), np.array(examples.labels),
              ratio__sample_weight=weights, linear__sample_weight=weights)
    # Pickled with it, for known_languages.
    model.commentdesk_languages, model.commentdesk_rows = dict(examples.languages), len(examples.texts)
    return model


def train_for_site(site: Any, data_dir: Path | None = None) -> Any:
    """Train, store and activate a new ClassifierModel for ``site`` from the seed
    data of its languages plus its own decisions; older versions of the site are
    deactivated (kept for the Scores that name them). Returns the new row.
    Raises ``ValueError`` when there is nothing to learn from."""
    from commentdesk.triage.models import ClassifierModel

    examples = seed_examples(list(site.languages or []), data_dir)
    texts, labels, languages = decision_examples(site)
    examples.extend(texts, labels, DECISION_WEIGHT, "decisions", languages)
    if not examples.texts:
        folder = Path(data_dir or settings.TRIAGE_DATA_DIR)
        raise ValueError(f"nothing to learn from: no {folder}/*/train.csv (nor {folder}/train.csv) in the "
                         "site's languages and no decisions of the site yet")
    model = fit(examples)
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    blob = buffer.getvalue()
    now = timezone.now()
    # Unique even for two trainings of the same data in one second, whatever the slug's length.
    version = f"{site.slug[:12]}-{now:%Y%m%d%H%M%S}-{hashlib.sha256(blob).hexdigest()[:6]}{secrets.token_hex(3)}"
    row = ClassifierModel(site=site, version=version[:40], created_at=now, blob=blob,
                          trained_on={"sources": examples.sources, "rows": len(examples.texts),
                                      "positives": int(sum(examples.labels)), "languages": examples.languages})
    ClassifierModel.objects.filter(site=site, is_active=True).update(is_active=False)
    row.save()
    return row


# Unpickled pipelines kept per process, least recently used dropped first
# (about 50 MB each: idf, ratios and coefficients, 3 × 2**21 float64; see bench/triage.py).
MODELS_KEPT = 4
_loaded: OrderedDict[str, Any] = OrderedDict()


def active_versions(site_ids: list[int]) -> dict[int, str | None]:
    """{site id: version of its active classifier, else of the newest active shared
    one (``site`` null), else None}; remembered per process
    (:mod:`commentdesk.triage.sitecache`), one query for the sites not remembered."""
    from commentdesk.triage import sitecache
    from commentdesk.triage.models import ClassifierModel

    def load(missing: list[int]) -> dict[int, str | None]:
        out: dict[int, str | None] = {}
        rows = (ClassifierModel.objects.filter(is_active=True)
                .filter(models.Q(site_id__in=missing) | models.Q(site__isnull=True))
                .order_by("-created_at", "-id").values_list("site_id", "version"))
        shared = None
        for site_id, version in rows:
            if site_id is None:
                shared = shared or version
            else:
                out.setdefault(site_id, version)
        return {i: out.get(i, shared) for i in missing}

    return sitecache.get_many("classifier", site_ids, load)


def load_version(version: str) -> Any:
    """The fitted pipeline of ``version``, unpickled once per process (the last
    ``MODELS_KEPT`` kept). Raises ``ClassifierModel.DoesNotExist`` for an unknown version."""
    from commentdesk.triage.models import ClassifierModel

    if version in _loaded:
        _loaded.move_to_end(version)
    else:
        blob = ClassifierModel.objects.filter(version=version).values_list("blob", flat=True).get()
        _loaded[version] = joblib.load(io.BytesIO(bytes(blob)))
        while len(_loaded) > MODELS_KEPT:
            _loaded.popitem(last=False)
    return _loaded[version]


def active_model(site: Any) -> tuple[str, Any] | None:
    """``(version, fitted pipeline)`` of the site's active classifier (else the
    newest active shared one, ``site`` null), or None when none was trained."""
    version = active_versions([site.pk])[site.pk]
    return None if version is None else (version, load_version(version))


def predict(model: Any, texts: Iterable[str]) -> np.ndarray:
    """Probability (0..1) that each text should be rejected; one vectorising and
    one matrix product for all of ``texts`` (pass a batch, not one at a time)."""
    return model.predict_proba(np.array(list(texts), dtype=object))[:, 1]


def hashed_columns(grams: list[str], n_features: int) -> np.ndarray:
    """The column scikit-learn's ``FeatureHasher(n_features, input_type="string",
    alternate_sign=False)`` (inside ``HashingVectorizer``) gives each of ``grams``
    (int64, one per gram, in order): ``|murmurhash3_32(gram, seed=0)| mod
    n_features`` (:func:`_murmur3_32` of its UTF-8 bytes; :func:`_columns`).
    Tests hold it equal to FeatureHasher and to ``murmurhash3_32``. Raises
    ``UnicodeEncodeError`` for a lone surrogate, as FeatureHasher does."""
    data, char_to_byte = _utf8("".join(grams))
    lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
    ends = np.cumsum(lengths)
    first, last = char_to_byte[ends - lengths], char_to_byte[ends]
    return _columns(_murmur3_32(data, first, last - first), n_features)


def _utf8(text: str) -> tuple[np.ndarray, np.ndarray]:
    """``(bytes, offsets)``: ``text`` in UTF-8 (uint8) and the byte offset of each
    of its code points, and of the end (``len(text) + 1`` values, int64).
    Raises ``UnicodeEncodeError`` for a lone surrogate."""
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    code_points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    widths = 1 + (code_points >= 0x80).astype(np.int64) + (code_points >= 0x800) + (code_points >= 0x10000)
    offsets = np.zeros(len(code_points) + 1, dtype=np.int64)
    np.cumsum(widths, out=offsets[1:])
    return data, offsets


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def _murmur3_32(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """MurmurHash3_x86_32 with seed 0 (Austin Appleby's public-domain
    ``MurmurHash3.cpp``, the function scikit-learn's ``murmurhash3_32`` wraps)
    of ``data[starts[i]:starts[i] + lengths[i]]`` for every i, as int32, all at
    once: one numpy operation per step and 4-byte block instead of a Python
    call and a string per key (cutting and hashing a batch's new words took
    half of the classifier's time). ``data``: uint8; ``starts``, ``lengths``:
    int64 byte offsets and counts."""
    c1, c2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)
    padded = np.concatenate([data, np.zeros(4, dtype=np.uint8)]).astype(np.uint32)
    # The little-endian 4-byte word at every byte offset: a block is one look-up.
    at_offset = padded[:-3] | (padded[1:-2] << np.uint32(8)) | (padded[2:-1] << np.uint32(16)) | (
        padded[3:] << np.uint32(24))
    h = np.zeros(len(starts), dtype=np.uint32)
    blocks = lengths // 4

    def mixed(k1: np.ndarray) -> np.ndarray:
        return _rotl(k1 * c1, 15) * c2

    for block in range(int(blocks.max(initial=0))):
        live = np.flatnonzero(blocks > block)
        h[live] = _rotl(h[live] ^ mixed(at_offset[starts[live] + 4 * block]), 13) * np.uint32(5) + np.uint32(
            0xE6546B64)
    tail = lengths & 3
    live = np.flatnonzero(tail)
    at, tail = starts[live] + 4 * blocks[live], tail[live]
    k1 = padded[at] | np.where(tail >= 2, padded[at + 1] << np.uint32(8), 0).astype(np.uint32) | np.where(
        tail >= 3, padded[at + 2] << np.uint32(16), 0).astype(np.uint32)
    h[live] ^= mixed(k1)
    h ^= lengths.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h.view(np.int32)


def _columns(hashes: np.ndarray, n_features: int) -> np.ndarray:
    """``|hash| mod n_features`` per int32 hash (int64), as scikit-learn's
    ``_hashing_fast.transform`` computes it (-2**31, whose absolute value int32
    lacks, as there)."""
    wide = hashes.astype(np.int64)
    out = np.abs(wide) % n_features
    out[wide == -2147483648] = (2147483647 - (n_features - 1)) % n_features
    return out


def _ngram_spans(words: list[str], ngram_range: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(starts, lengths, per_word)``: where each of the words' char_wb n-grams
    lies in ``"".join(f" {w} " for w in words)`` (code point offsets and
    lengths, in :func:`_word_ngram` order, one word after the other) and how
    many n-grams each word has — every n-gram of every word at once, without
    cutting a string."""
    low, high = ngram_range
    padded = np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + 2
    word_start = np.cumsum(padded) - padded
    sizes = np.arange(low, high + 1, dtype=np.int64)[None, :]
    whole = np.maximum(low, padded)[:, None]  # the one length ≥ the padded word: the word itself, once
    counts = np.where(sizes < padded[:, None], padded[:, None] - sizes + 1, (sizes == whole).astype(np.int64))
    gram_length = np.where(sizes < padded[:, None], sizes, padded[:, None])
    flat = counts.ravel()
    total = int(flat.sum())
    group_first = np.cumsum(flat) - flat
    within = np.arange(total, dtype=np.int64) - np.repeat(group_first, flat)
    starts = np.repeat(np.repeat(word_start, sizes.shape[1]), flat) + within
    return starts, np.repeat(gram_length.ravel(), flat), counts.sum(axis=1)


# Each word's hashed character n-grams, per n-gram recipe: char_wb n-grams never
# cross a word, and words repeat from comment to comment, so a word is cut and
# hashed once per process: up to WORDS_KEPT words and GRAMS_KEPT n-grams per
# recipe (both recipes of the seed model held 41.5 MB for the 68,881 words of the
# shared data, bench/triage.py: some 60 MB at the word limit; a few long made-up
# "words" reach the n-gram limit first, 4 bytes an n-gram), then the table starts
# again with the words of the batch at hand.
WORDS_KEPT = 100_000
GRAMS_KEPT = 6_000_000
# New words are cut and hashed in slices of at most about this many n-grams, which
# bounds the arrays of one step (some 60 bytes an n-gram) whatever the batch.
LEARN_SLICE = 1_000_000


class _WordTable:
    """The words of one n-gram recipe: the column of each of a word's n-grams,
    in order, in one flat array that grows by a quarter, with each word's
    start and length in it.

    A word costs its dictionary entry (about 120 bytes) and 4 bytes per n-gram.
    The table holds at most ``WORDS_KEPT`` words and ``GRAMS_KEPT`` n-grams,
    except while one batch's own words need more. Measured with
    ``tracemalloc`` on the 68,881 words the seed model's recipes keep of the
    shared data (bench/triage.py, ``word_table_traced_mb``): 42 MB for both
    recipes. Each word's columns counted as well (sorted, with their counts)
    took 85 MB and, made with a sort per batch of new words, a tenth of the
    classifier's time; a list of n-gram strings and three arrays per word took
    575 MB.
    """

    def __init__(self, key: tuple[Any, ...]) -> None:
        self.key = key
        self.number: dict[str, int] = {}  # word → its number in the per-word arrays
        self.gram_start = np.zeros(0, dtype=np.int64)
        self.gram_length = np.zeros(0, dtype=np.int32)
        self.columns = np.zeros(0, dtype=np.int32)
        self.grams_used = 0

    @staticmethod
    def _append(array: np.ndarray, used: int, values: np.ndarray) -> np.ndarray:
        if used + len(values) > len(array):  # by a quarter: less unused room than doubling
            grown = np.zeros(max(len(array) * 5 // 4, used + len(values)), dtype=array.dtype)
            grown[:used] = array[:used]
            array = grown
        array[used:used + len(values)] = values
        return array

    def learn(self, words: Iterable[str]) -> None:
        """Add ``words`` not yet known: all their n-grams found
        (:func:`_ngram_spans`) and hashed (:func:`_murmur3_32`) together, in arrays."""
        words = list(dict.fromkeys(words))
        missing = list(filterfalse(self.number.__contains__, words))
        if not missing:
            return
        sizes = self.key[2][1] - self.key[2][0] + 1
        grams = sum(len(w) + 2 for w in missing) * sizes  # at most this many n-grams
        if len(self.number) + len(missing) > WORDS_KEPT or self.grams_used + grams > GRAMS_KEPT:
            # Full: start again with these words only (all of them: the caller needs them).
            self.__init__(self.key)  # type: ignore[misc]
            missing = words
            grams = sum(len(w) + 2 for w in missing) * sizes
        if grams < LEARN_SLICE:
            self._learn(missing)
            return
        start, budget = 0, 0
        for end, word in enumerate(missing, 1):
            budget += (len(word) + 2) * sizes
            if budget >= LEARN_SLICE or end == len(missing):
                self._learn(missing[start:end])
                start, budget = end, 0

    def _learn(self, missing: list[str]) -> None:
        """:meth:`learn` of words none of which is known yet."""
        data, char_to_byte = _utf8("".join(f" {w} " for w in missing))
        starts, lengths, gram_length = _ngram_spans(missing, self.key[2])
        first_byte = char_to_byte[starts]
        columns = _columns(_murmur3_32(data, first_byte, char_to_byte[starts + lengths] - first_byte), self.key[3])
        first = len(self.number)
        self.number.update(zip(missing, range(first, first + len(missing))))
        self.gram_start = self._append(self.gram_start, first, self.grams_used + np.cumsum(gram_length) - gram_length)
        self.gram_length = self._append(self.gram_length, first, gram_length)
        self.columns = self._append(self.columns, self.grams_used, columns.astype(np.int32))
        self.grams_used += len(columns)

    def _positions(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(positions, offsets)``: where the n-grams of the words numbered
        ``numbers`` are in ``columns``, one word after the other, and where each
        word's begin there (``len(numbers) + 1`` offsets)."""
        starts, lengths = self.gram_start[numbers], self.gram_length[numbers].astype(np.int64)
        offsets = np.zeros(len(numbers) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1]), offsets

    def rows(self, texts_words: list[list[str]], dtype: Any) -> Any:
        """The texts' count matrix (CSR, one row per text, each n-gram's column
        counted once per occurrence, duplicates summed), each text given as its
        words; every word must have been learnt."""
        import scipy.sparse as sp

        numbers = np.fromiter(map(self.number.__getitem__, chain.from_iterable(texts_words)), dtype=np.int64)
        positions, offsets = self._positions(numbers)
        words_per_text = np.zeros(len(texts_words) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, texts_words), dtype=np.int64, count=len(texts_words)), out=words_per_text[1:])
        block = sp.csr_matrix((np.ones(len(positions), dtype=dtype), self.columns[positions], offsets[words_per_text]),
                              shape=(len(texts_words), self.key[3]))
        block.sum_duplicates()
        return block

    def gram_columns_of(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(columns, offsets)``: the column of each n-gram of the learnt ``words``
        (each word's in :func:`_word_ngram` order, one word after the other),
        and where each word's begin (``len(words) + 1`` offsets)."""
        positions, offsets = self._positions(
            np.fromiter(map(self.number.__getitem__, words), dtype=np.int64, count=len(words)))
        return self.columns[positions], offsets


_words: dict[tuple[Any, ...], _WordTable] = {}


def _word_ngram(word: str, ngram_range: tuple[int, int], index: int) -> str:
    """The ``index``-th (0-based) of the word's n-grams in scikit-learn's
    ``_char_wb_ngrams`` order: the padded word's n-grams of each length, shortest
    first, left to right; a length reaching the whole padded word gives the
    padded word, once and last. Raises ``IndexError`` past the last.

    >>> [_word_ngram("ab", (3, 5), i) for i in range(3)]
    [' ab', 'ab ', ' ab ']
    """
    padded = f" {word} "
    for n in range(ngram_range[0], ngram_range[1] + 1):
        if n >= len(padded):
            if index == 0:
                return padded
            break
        if index < len(padded) - n + 1:
            return padded[index:index + n]
        index -= len(padded) - n + 1
    raise IndexError("no such n-gram")


def _learn_words(key: tuple[Any, ...], words: Iterable[str]) -> _WordTable:
    """The table of recipe ``key``, with ``words`` added."""
    table = _words.get(key)
    if table is None:
        table = _words[key] = _WordTable(key)
    table.learn(words)
    return table


def _recipe(vectorizer: Any) -> tuple[Any, ...] | None:
    """The key of a HashingVectorizer whose counts :func:`_ngram_counts` can make
    (char_wb n-grams of a module-level preprocessor, raw counts), else None."""
    from sklearn.feature_extraction.text import HashingVectorizer

    pre = vectorizer.preprocessor
    if not (type(vectorizer) is HashingVectorizer and vectorizer.analyzer == "char_wb" and vectorizer.norm is None
            and not vectorizer.binary and not vectorizer.alternate_sign and vectorizer.input == "content"
            and callable(pre) and getattr(pre, "__qualname__", "<").isidentifier()):
        return None
    return (pre.__module__, pre.__qualname__, tuple(vectorizer.ngram_range), vectorizer.n_features,
            np.dtype(vectorizer.dtype).str)


def _ngram_counts(union: Any, texts: list[str]) -> Any:
    """``union.transform(texts)`` (the n-gram count blocks side by side, CSR), from
    words remembered in ``_words``; scikit-learn's own transform for any
    block of another kind. A test holds the two equal."""
    return _ngram_counts_and_words(union, texts)[0]


def _ngram_counts_and_words(union: Any, texts: list[str]) -> tuple[Any, list[list[str]] | None]:
    """``(counts, words)``: :func:`_ngram_counts`, and the words of each text as
    the first block's preprocessor cut them (None when that block is not made
    from words, :func:`_recipe`)."""
    import scipy.sparse as sp

    if getattr(union, "transformer_weights", None) is not None:
        return sp.csr_matrix(union.transform(np.array(texts, dtype=object))), None
    blocks, first = [], None
    for n, (_, vectorizer) in enumerate(union.transformer_list):
        key = _recipe(vectorizer)
        if key is None:
            blocks.append(sp.csr_matrix(vectorizer.transform(np.array(texts, dtype=object))))
            continue
        split = [vectorizer.preprocessor(text).split() for text in texts]
        table = _learn_words(key, chain.from_iterable(split))
        blocks.append(table.rows(split, vectorizer.dtype))
        if n == 0:
            first = split
    return sp.hstack(blocks).tocsr(), first


def predict_explained(model: Any, texts: list[str], explain_at: float = 0.5,
                      top: int = 3) -> tuple[np.ndarray, list[list[str]]]:
    """``(probabilities, n-grams)``: as :func:`predict`, and for each text scoring at
    least ``explain_at`` the n-grams of :func:`explain` ([] for the others). The
    texts are vectorised once, for both; the whole batch in one call per step,
    or in slices of about ``TEXT_SLICE`` characters when it is longer (500
    comments that are each one 5,000-character Hangul "word" took 2.7 GB at
    once: some 75,000 n-gram columns a comment)."""
    if not texts:
        return np.zeros(0), []
    parts: list[tuple[np.ndarray, list[list[str]]]] = []
    start, total = 0, 0
    for end, text in enumerate(texts):
        size = min(len(text), MAX_CHARS)
        if end > start and total + size > TEXT_SLICE:
            parts.append(_predict_slice(model, texts[start:end], explain_at, top))
            start, total = end, 0
        total += size
    parts.append(_predict_slice(model, texts[start:], explain_at, top))
    if len(parts) == 1:
        return parts[0]
    return np.concatenate([p for p, _ in parts]), [n for _, names in parts for n in names]


def _predict_slice(model: Any, texts: list[str], explain_at: float, top: int) -> tuple[np.ndarray, list[list[str]]]:
    """:func:`predict_explained` of one slice, vectorised at once."""
    import scipy.sparse as sp

    counts, words = _ngram_counts_and_words(model.named_steps["ngrams"], texts)
    features = sp.csr_matrix(model[1:-1].transform(counts))
    probabilities = model[-1].predict_proba(features)[:, 1]
    rows = np.flatnonzero(probabilities >= explain_at).tolist()
    explained: list[list[str]] = [[] for _ in texts]
    for row, grams in zip(rows, _strongest(model, texts, features, rows, top, words)):
        explained[row] = grams
    return probabilities, explained


def explain(model: Any, text: str, top: int = 3) -> list[str]:
    """The character n-grams of ``text`` that pushed its score up most, strongest
    first (at most ``top``; one inside an already chosen one is left out).

    Hashing is one-way, so the text's own n-grams are hashed again with the
    same hasher to find their columns: contribution = tf-idf value × log-count
    ratio × coefficient. Only the readable (NFKC) n-grams are named, not the
    decomposed jamo ones.
    """
    return predict_explained(model, [text], explain_at=-1.0, top=top)[1][0]


def _strongest(model: Any, texts: list[str], features: Any, rows: list[int], top: int,
               words: list[list[str]] | None = None) -> list[list[str]]:
    """:func:`explain` of ``texts[row]`` for each of ``rows``, whose transformed
    features are that row of ``features`` (CSR; columns in any order); one list
    per row, in order. ``words``: each text's words as the first n-gram block's
    preprocessor cut them (:func:`_ngram_counts_and_words`), or None to cut them again.

    Per text, the columns that push the score up are taken strongest first, a
    value at a time (columns of equal value together); the text's n-grams on
    them, strongest first and then by text (descending), are chosen until
    ``top`` are. The arithmetic is done for all the rows at once: every
    contribution (tf-idf value × coefficient) and its order within its row, and
    the column of every n-gram of every text (from the per-process word table,
    found for all the texts' words together). The n-grams on each text's first
    ``EXPLAIN_COLUMNS`` columns are sorted by (text, column) so that those on a
    column are found by bisection; a text that needs more columns (about 1 in
    100) is searched whole (:func:`_choose` says so). Only the n-grams on a
    column taken are cut from their word. (Text by text this was more than half
    of the classifier scorer's time, bench/triage.py; sorting every n-gram of
    every text, a sixth of it.)"""
    if not rows:
        return []
    vectorizer = model.named_steps["ngrams"].transformer_list[0][1]
    n_features = vectorizer.n_features
    coef = model.named_steps["linear"].coef_[0]
    picked = np.asarray(rows, dtype=np.int64)
    starts = features.indptr[picked].astype(np.int64)
    lengths = features.indptr[picked + 1].astype(np.int64) - starts
    ends = np.cumsum(lengths)
    positions = np.repeat(starts - (ends - lengths), lengths) + np.arange(ends[-1], dtype=np.int64)
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    indices, data = features.indices[positions], features.data[positions]
    readable = indices < n_features  # the first block: NFKC n-grams
    owner, indices, data = owner[readable], indices[readable], data[readable]
    value_of = data * coef[indices]
    positive = value_of > 0
    owner, indices, value_of = owner[positive], indices[positive], value_of[positive]
    order = np.lexsort((-value_of, owner))  # by row, strongest first (ties: taken together below)
    bounds = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=len(rows)), out=bounds[1:])
    columns, values = indices[order], value_of[order]

    # Every n-gram of the texts: its column, the text it is of, and gram_at(position) its text.
    key = _recipe(vectorizer)
    if key is None:
        per_text = [sorted(set(vectorizer.build_analyzer()(texts[row]))) for row in rows]
        all_grams = [g for grams in per_text for g in grams]
        gram_columns = hashed_columns(all_grams, n_features)
        gram_owner = np.repeat(np.arange(len(rows), dtype=np.int64), [len(g) for g in per_text])

        def gram_at(position: int) -> str:
            return all_grams[position]
    else:
        unique = [list(dict.fromkeys(words[row] if words is not None else vectorizer.preprocessor(texts[row]).split()))
                  for row in rows]
        all_words = [w for text_words in unique for w in text_words]
        # The first block's words of these texts were learnt when they were counted.
        table = _words.get(key) if words is not None else None
        if table is None:
            table = _learn_words(key, all_words)
        gram_columns, offsets_array = table.gram_columns_of(all_words)
        word_owner = np.repeat(np.arange(len(rows), dtype=np.int64), [len(u) for u in unique])
        gram_owner = np.repeat(word_owner, np.diff(offsets_array))
        offsets = offsets_array.tolist()

        def gram_at(position: int) -> str:
            word = bisect_right(offsets, position) - 1
            return _word_ngram(all_words[word], key[2], position - offsets[word])

    # The n-grams on each text's first EXPLAIN_COLUMNS columns, by (text, column):
    # the columns marked in one array, the n-grams on a marked column sorted by
    # key, bisected below (sorting every n-gram of every text took longer).
    rank = np.arange(len(columns), dtype=np.int64) - np.repeat(bounds[:-1], np.diff(bounds))
    first_columns = rank < EXPLAIN_COLUMNS
    marked = np.zeros(n_features, dtype=bool)
    marked[columns[first_columns]] = True
    on_marked = np.flatnonzero(marked[gram_columns])
    gram_keys = gram_owner[on_marked] * n_features + gram_columns[on_marked].astype(np.int64)
    sorter = np.argsort(gram_keys)  # n-grams of one key are gathered into a set: any order
    by_key, positions_of = gram_keys[sorter].tolist(), on_marked[sorter].tolist()
    gram_bounds = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(np.bincount(gram_owner, minlength=len(rows)), out=gram_bounds[1:])
    kept_columns, kept_values = columns[first_columns].tolist(), values[first_columns].tolist()
    kept_bounds = np.minimum(np.diff(bounds), EXPLAIN_COLUMNS)
    kept_first = (np.cumsum(kept_bounds) - kept_bounds).tolist()
    out: list[list[str]] = []
    for n in range(len(rows)):
        base, kept = n * n_features, int(kept_bounds[n])

        def marked_positions(column: int, _base: int = base) -> list[int]:
            low = bisect_left(by_key, _base + column)
            return positions_of[low:bisect_right(by_key, _base + column, low)]

        start = kept_first[n]
        chosen, complete = _choose(kept_columns[start:start + kept], kept_values[start:start + kept], top,
                                   marked_positions, gram_at)
        if not complete and bounds[n + 1] - bounds[n] > kept:  # rare: past the first columns, scanned
            g0, g1 = int(gram_bounds[n]), int(gram_bounds[n + 1])

            def scanned_positions(column: int, _g0: int = g0, _g1: int = g1) -> list[int]:
                return (_g0 + np.flatnonzero(gram_columns[_g0:_g1] == column)).tolist()

            chosen, _ = _choose(columns[bounds[n]:bounds[n + 1]].tolist(), values[bounds[n]:bounds[n + 1]].tolist(),
                                top, scanned_positions, gram_at)
        out.append(chosen)
    return out


def _choose(columns: list[int], values: list[float], top: int, positions: Any, gram_at: Any) -> tuple[list[str], bool]:
    """One text's explanation (:func:`_strongest`) from its columns that push the
    score up, strongest first, and their values: the n-grams on them
    (``positions(column)`` → n-gram positions, ``gram_at(position)`` → its
    text), taken a value at a time (columns of equal value together; their
    n-grams in descending order), skipping one-character n-grams and those
    inside one already chosen, until ``top`` are. Returns ``(chosen,
    complete)``: complete is False when a value's columns reached the end of
    ``columns`` (when they are the first of a longer list, they may be cut)."""
    chosen: list[str] = []
    first, stop, complete = 0, len(columns), True
    while first < stop and len(chosen) < top:
        last = first + 1
        while last < stop and values[last] == values[first]:
            last += 1
        complete = last < stop
        grams = {gram_at(position).strip() for column in columns[first:last] for position in positions(column)}
        for gram in sorted(grams, reverse=True):
            if len(chosen) >= top:
                break
            if len(gram) > 1 and not any(gram in c for c in chosen):
                chosen.append(gram)
        first = last
    return chosen, complete
