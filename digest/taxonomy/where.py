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

_HEADING = re.compile(
    r"(requirements?|qualifications?|must[- ]haves?|nice[- ]to[- ]haves?|(?:tech(?:nology)?|our) stack|stack|"
    r"technolog(?:y|ies)|tools|skills|you have|you'll need|you will need|we're looking for|experience (?:with|in)|"
    r"proficien(?:t|cy) (?:in|with)|knowledge of|familiar(?:ity)? with|we use|built (?:with|on)|tech)\b[^.!?]{0,160}$",
    re.IGNORECASE,
)
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
        headed = _HEADING.search(text[max(title_end, start - LOOK_BACK) : start])
        out.append(LISTED if in_a_run or headed else MENTION)
    return out
