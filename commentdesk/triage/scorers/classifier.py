"""Classifier scorer: the site's learned model (see :mod:`commentdesk.triage.classifier`)."""

from __future__ import annotations

from collections import defaultdict

from commentdesk.triage.language import primary_language
from commentdesk.triage.scorers.base import Context, Result, Scorer, Skip


# Words longer than this are shown cut, with "…".
SHOWN_WORD = 30
# Words of a comment searched for an n-gram's word (a long text's first ones).
WORDS_SEARCHED = 5000


def words_of(text: str, grams: list[str]) -> list[str]:
    """For each n-gram of :func:`~commentdesk.triage.classifier.explain` (cut from
    the prepared text: NFKC, case-folded, links as "http"), the first word of
    ``text`` as written that holds it, without surrounding punctuation and cut to
    ``SHOWN_WORD`` characters; the n-gram itself when no word holds it. Once each.

    >>> words_of("What an IDIOT!!! Read https://x.example/a", ["idio", "http"])
    ['IDIOT', 'https://x.example/a']
    """
    from commentdesk.triage.classifier import prepare_text

    words = text.split()[:WORDS_SEARCHED]
    # Prepared at once when that keeps the words apart as written (it nearly always does).
    whole = prepare_text(" ".join(words)).split()
    prepared = whole if len(whole) == len(words) else [prepare_text(word) for word in words]
    shown: list[str] = []
    for gram in grams:
        found = gram
        for word, ready in zip(words, prepared):
            if gram in ready:
                found = word.strip(".,;:!?¡¿\"'()[]{}«»“”‘’…·-") or word
                break
        if len(found) > SHOWN_WORD:
            found = found[:SHOWN_WORD - 1] + "…"
        if found not in shown:
            shown.append(found)
    return shown


class ClassifierScorer(Scorer):
    """Score = the active classifier's probability (0..1) that the comment is
    rejected; the reason names it and the words holding its strongest n-grams
    (:func:`words_of`) when it reaches ``mention_at`` (option, default 0.5). A
    comment of a site without a trained model is skipped ("no classifier trained
    for this site": run ``commentdesk triage train``), and so is a comment in a
    language the model did not learn enough of
    (:func:`~commentdesk.triage.classifier.known_languages`; its probability
    there would be noise), and, on a site with languages, a comment whose
    language is none of them (no language detected). Runs in the background by default (loading a model takes
    about a second, once per process); a batch is vectorised and scored with one
    call per model.
    """

    name = "classifier"
    stage = "background"
    budget = 2.0

    def __init__(self, *, mention_at: float = 0.5, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.mention_at = float(mention_at)

    def prepare(self) -> None:
        """Import the classifier (scikit-learn) once per process, before the first
        budgeted call; models themselves load on first use."""
        from commentdesk.triage import classifier  # noqa: F401

    def score_many(self, contexts: list[Context]) -> list[Result | Exception]:
        """One Result per context: details {"ngrams": [strongest n-grams], "words":
        [the words holding them]}; ``model_version`` is set."""
        # Imported here, not with the module: scikit-learn takes a second to import,
        # and every command's system check builds the scorers (triage.checks).
        from commentdesk.triage import classifier

        versions = classifier.active_versions([c.comment.site_id for c in contexts])
        by_version: dict[str, list[int]] = defaultdict(list)
        out: list[Result | Exception] = [Skip("no classifier trained for this site")] * len(contexts)
        for i, c in enumerate(contexts):
            if (version := versions[c.comment.site_id]) is not None:
                by_version[version].append(i)
        for version, rows in by_version.items():
            model = classifier.load_version(version)
            if (known := classifier.known_languages(model)) is not None:
                unlearned = {i for i in rows if (code := primary_language(contexts[i].language))
                             and code not in known}
                for i in unlearned:
                    out[i] = Skip(f"the classifier has not learned {primary_language(contexts[i].language)} "
                                  f"comments yet (it knows {', '.join(sorted(known)) or 'no language'}); "
                                  "decisions teach it")
                # No language found among a site's languages (German on an English and Korean
                # site, emoji alone): what the model learned says nothing of it either, and
                # automation must not approve it on a low score.
                unknown = {i for i in rows if not contexts[i].language and contexts[i].comment.site.languages}
                for i in unknown:
                    out[i] = Skip("the comment's language is none of the site's, so the classifier "
                                  f"(it knows {', '.join(sorted(known)) or 'no language'}) cannot judge it")
                rows = [i for i in rows if i not in unlearned and i not in unknown]
            if not rows:
                continue
            probabilities, grams = classifier.predict_explained(model, [contexts[i].text for i in rows],
                                                                self.mention_at)
            for i, p, found in zip(rows, probabilities.tolist(), grams):
                reasons, words = [], words_of(contexts[i].text, found) if found else []
                if p >= self.mention_at:
                    reasons.append(f"classifier {p:.2f}" + (f" ({', '.join(words)})" if words else ""))
                out[i] = Result(score=round(p, 4), reasons=reasons, details={"ngrams": found, "words": words},
                                model_version=version)
        return out
