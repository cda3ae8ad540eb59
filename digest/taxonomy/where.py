"""Where in an item a skill was found, for ranking and for the "why you got this" line: in the title (2),
in a requirements or stack list (1), or in passing (0).

A mention counts as listed when a list heading ("Requirements", "Tech stack", "You have", "Experience
with", ...) stands shortly before it, or when other skills sit right beside it ("Python, Django, Postgres"):
clean text has lost its bullets, but a run of skill names is a list whatever its markup was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

TITLE, LISTED, MENTION = 2, 1, 0
WORDS = {TITLE: "in the title", LISTED: "in the requirements", MENTION: "mentioned in the text"}

_HEADING_SOURCE = (  # lower case: on lower-cased ASCII text it finds what it finds case-insensitively
    r"(requirements?|qualifications?|must[- ]haves?|nice[- ]to[- ]haves?|(?:tech(?:nology)?|our) stack|stack|"
    r"technolog(?:y|ies)|tools|skills|you have|you'll need|you will need|we're looking for|experience (?:with|in)|"
    r"proficien(?:t|cy) (?:in|with)|knowledge of|familiar(?:ity)? with|we use|built (?:with|on)|tech)\b[^.!?]{0,160}$"
)
_HEADING = re.compile(_HEADING_SOURCE, re.IGNORECASE)
# case-sensitive, the search skips ahead to the letters a heading starts with (it cannot when ignoring case)
_HEADING_LOWER = re.compile(_HEADING_SOURCE)
NEAR = 60  # characters between skills of one list
LOOK_BACK = 200  # characters before a mention searched for a list heading


def where_found(text: str, title_end: int, spans: Sequence[tuple[int, int]]) -> list[int]:
    """For each (start, end) span of `text` (the matcher's mentions, in text order), where it was found.
    `title_end`: where the title ends in `text`."""
    out = []
    for n, (start, end) in enumerate(spans):
        if start < title_end:
            out.append(TITLE)
            continue
        before = spans[n - 1][1] if n > 0 else -(10**9)
        after = spans[n + 1][0] if n + 1 < len(spans) else 10**9
        in_a_run = start - before <= NEAR and before > title_end and after - end <= NEAR
        out.append(LISTED if in_a_run or _headed(text, max(title_end, start - LOOK_BACK), start) else MENTION)
    return out


def _headed(text: str, lo: int, hi: int) -> bool:
    """Whether a list heading stands in text[lo:hi] with no sentence end after it: _HEADING's answer, found
    cheaper (it was the import's costliest step). A heading holds no '.', '!' or '?', so none can start before
    the last of them: the search starts after it. An ASCII window is lower-cased and searched case-sensitively,
    which on ASCII is the same as ignoring case (not so elsewhere: 'ſ' and 'K' match 's' and 'k')."""
    window = text[lo:hi]
    cut = max(window.rfind("."), window.rfind("!"), window.rfind("?")) + 1
    if window.isascii():
        return _HEADING_LOWER.search(window.lower(), cut) is not None
    return _HEADING.search(window, cut) is not None
