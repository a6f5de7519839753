"""Measuring the classifier: held-out metrics, cross-validation, and a baseline.

Used by ``commentdesk triage eval``. Threshold metrics describe what automation
would do: everything at or above ``reject_at`` rejected, everything at or below
``approve_at`` approved, the rest left to people.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from commentdesk.triage import classifier

# Default automation thresholds (probability 0..1) for the report, until a site sets its own.
REJECT_AT = 0.9
APPROVE_AT = 0.1
SEED = 20260201


def split(texts: list[str], labels: list[int], test_share: float = 0.2,
          seed: int = SEED) -> tuple[list[str], list[int], list[str], list[int]]:
    """A fixed, stratified split: ``(train_texts, train_labels, test_texts, test_labels)``.
    The same input and seed always give the same split. Raises ``ValueError``
    when a label has fewer than 2 comments (one for each part)."""
    from sklearn.model_selection import train_test_split

    _need_each_label(labels, 2, "to split off a test part")

    a, b, c, d = train_test_split(texts, labels, test_size=test_share, random_state=seed, stratify=labels)
    return list(a), list(c), list(b), list(d)


def _need_each_label(labels: list[int], n: int, why: str) -> None:
    """Raise ``ValueError`` (in words, not scikit-learn's) unless labels 0 and 1 have ``n`` comments each."""
    counts = {label: labels.count(label) for label in (0, 1)}
    if min(counts.values()) < n:
        raise ValueError(f"the data needs at least {n} comments of each label {why}; it has "
                         f"{counts[0]:,} labelled 0 and {counts[1]:,} labelled 1")


def threshold_metrics(y: np.ndarray, p: np.ndarray, reject_at: float, approve_at: float) -> dict[str, float | None]:
    """Precision/recall of automatic rejection (p ≥ reject_at, positives = label 1)
    and approval (p ≤ approve_at, positives = label 0), and the share of comments
    each decides (0..1). A precision with nothing decided is None.

    >>> threshold_metrics(np.array([1, 1, 0, 0]), np.array([0.95, 0.5, 0.05, 0.95]), 0.9, 0.1)["reject_precision"]
    0.5
    """
    rejected, approved = p >= reject_at, p <= approve_at
    positives, negatives = max(int((y == 1).sum()), 1), max(int((y == 0).sum()), 1)

    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    return {
        "reject_precision": ratio(int((rejected & (y == 1)).sum()), int(rejected.sum())),
        "reject_recall": ratio(int((rejected & (y == 1)).sum()), positives),
        "approve_precision": ratio(int((approved & (y == 0)).sum()), int(approved.sum())),
        "approve_recall": ratio(int((approved & (y == 0)).sum()), negatives),
        "reject_share": ratio(int(rejected.sum()), len(y)),
        "approve_share": ratio(int(approved.sum()), len(y)),
        "decided_share": ratio(int((rejected | approved).sum()), len(y)),
    }


def evaluate(train: tuple[list[str], list[int]], test: tuple[list[str], list[int]],
             reject_at: float = REJECT_AT, approve_at: float = APPROVE_AT) -> dict[str, Any]:
    """Fit on ``train`` ((texts, labels)), score ``test``: ROC-AUC, average precision,
    the threshold metrics and row counts. Raises ``ValueError`` when either side
    lacks one of the two labels."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    if len(set(test[1])) < 2:
        raise ValueError("the test set needs comments of both labels")
    model = classifier.fit(classifier.Examples(list(train[0]), list(train[1]), [1.0] * len(train[0]), {}))
    y = np.array(test[1])
    p = classifier.predict(model, test[0])
    return {
        "roc_auc": round(float(roc_auc_score(y, p)), 4),
        "average_precision": round(float(average_precision_score(y, p)), 4),
        "reject_at": reject_at,
        "approve_at": approve_at,
        **threshold_metrics(y, p, reject_at, approve_at),
        "train_rows": len(train[0]),
        "test_rows": len(test[0]),
        "test_positive_rate": round(float(y.mean()), 4),
    }


def cross_validate(texts: list[str], labels: list[int], folds: int = 5, seed: int = SEED) -> list[float]:
    """ROC-AUC of each of ``folds`` stratified, shuffled folds (fixed ``seed``).
    Raises ``ValueError`` when a label has fewer comments than folds."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    _need_each_label(labels, folds, f"for {folds} folds")

    x, y = np.array(texts, dtype=object), np.array(labels)
    out = []
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        model = classifier.fit(classifier.Examples(list(x[train_idx]), list(y[train_idx]),
                                                   [1.0] * len(train_idx), {}))
        out.append(round(float(roc_auc_score(y[test_idx], classifier.predict(model, x[test_idx]))), 4))
    return out


def baseline_roc_auc(test: tuple[list[str], list[int]]) -> tuple[float | None, str]:
    """ROC-AUC of alt-profanity-check's bundled English model on ``test``, and ""; or
    None and the reason when it is not installed (``pip install 'commentdesk[eval]'``).

    alt-profanity-check 1.9.1 pins scikit-learn 1.9.1 and joblib 1.6.0, the
    versions commentdesk pins, so it runs in the same process. Its model was
    trained partly on the Davidson tweets, so it looks better there than it is.
    """
    from sklearn.metrics import roc_auc_score

    try:
        from profanity_check import predict_prob
    except ImportError as exc:
        return None, f"alt-profanity-check is not installed ({exc}); install commentdesk[eval]"
    p = predict_prob(list(test[0]))
    return round(float(roc_auc_score(np.array(test[1]), p)), 4), ""
