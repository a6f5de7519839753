"""Classifier scorer: the site's learned model (see :mod:`commentdesk.triage.classifier`)."""

from __future__ import annotations

from commentdesk.triage import classifier
from commentdesk.triage.scorers.base import Context, Result, Scorer, Skip


class ClassifierScorer(Scorer):
    """Score = the active classifier's probability (0..1) that the comment is
    rejected; the reason names it and its strongest n-grams when it reaches
    ``mention_at`` (option, default 0.5). Raises ``Skip`` when the site has no
    trained model: run ``commentdesk triage train``.
    Runs in the background by default (loading a model takes about a second).
    """

    name = "classifier"
    stage = "background"
    budget = 2.0

    def __init__(self, *, mention_at: float = 0.5, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.mention_at = float(mention_at)

    def score(self, context: Context) -> Result:
        """Result.details: {"ngrams": [strongest n-grams]}; ``model_version`` is set."""
        found = classifier.active_model(context.comment.site)
        if found is None:
            raise Skip("no classifier trained for this site")
        version, model = found
        p = float(classifier.predict(model, [context.text])[0])
        grams = classifier.explain(model, context.text) if p >= self.mention_at else []
        reasons = []
        if p >= self.mention_at:
            reasons.append(f"classifier {p:.2f}" + (f" ({', '.join(grams)})" if grams else ""))
        return Result(score=round(p, 4), reasons=reasons, details={"ngrams": grams}, model_version=version)
