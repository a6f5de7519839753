"""Word-level differences between two texts, for showing a moderator's edits."""

from __future__ import annotations

import difflib
import re
from typing import Literal, NamedTuple

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


class Segment(NamedTuple):
    """A run of text that is ``same`` in both, ``removed`` from the first, or ``added`` in the second."""

    kind: Literal["same", "removed", "added"]
    text: str


def word_diff(before: str, after: str) -> list[Segment]:
    """Segments that turn ``before`` into ``after``, split at words, spaces and
    punctuation (``difflib.SequenceMatcher`` without its junk heuristic, so
    repeated words are not skipped). Joining the ``same`` and ``removed``
    segments gives ``before``; ``same`` and ``added`` give ``after``.

    >>> word_diff("You are an idiot.", "You are wrong.")
    [Segment(kind='same', text='You are '), Segment(kind='removed', text='an idiot'), Segment(kind='added', text='wrong'), Segment(kind='same', text='.')]
    """
    a = _TOKENS.findall(before)
    b = _TOKENS.findall(after)
    out: list[Segment] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(Segment("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(Segment("removed", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(Segment("added", "".join(b[j1:j2])))
    return out
