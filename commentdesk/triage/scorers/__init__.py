"""The built-in scorers. Each is a :class:`~commentdesk.triage.scorers.base.Scorer`
named in ``TRIAGE_SCORERS`` by its dotted path."""
