"""Where an alias may start: an Aho-Corasick prefilter for the matcher's trie regex.

The trie regex is exact but walks a few trie levels at every word start (about 80 ns a level); most words
fail. This finds, in one C-speed pass, a small superset of the positions where the regex can match, so the
regex runs only there (`pattern.match(text, p - 1)`, p - 1 being the boundary character before p: the same
pattern, so the same result there).

Both the text and the alias keys are mapped byte for byte (so offsets stay) onto a coarse alphabet:
letters stay, every digit is '0', '@ $ \\' are '$', '.' and '#' stay, and every other character (the
boundary characters, separators, '+', '_', anything not ASCII) is \\x01. A match of the regex at p
(boundary character at p - 1, then the key, with `[\\s_\\-]+` for each space) is then always an occurrence of
one of the key's probes:

- a key of one segment: \\x01 key c, c one of what may follow a match (\\x01 . $ v 0: a boundary or
  punctuation, '+', a version, the end of the text — a \\x01 is appended);
- a key of several segments: \\x01 first (\\x01 x r) head for r = 1, 2, 3 (the separator run) with head the
  first 3 characters of the next segment, and \\x01 first \\x01\\x01\\x01\\x01 for longer runs.

So no match is lost; a probe hit where the regex fails costs one anchored regex call.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick_rs

_MAP = bytearray(b"\x01" * 256)
for _c in range(ord("a"), ord("z") + 1):
    _MAP[_c] = _c
    _MAP[_c - 32] = _c  # 'A'..'Z' (the text is lower-cased already; the keys are case-folded)
for _c in b"0123456789":
    _MAP[_c] = ord("0")
for _c in b".#":
    _MAP[_c] = _c
for _c in b"@$\\":
    _MAP[_c] = ord("$")
COARSE = bytes(_MAP)
_FOLLOW = (b"\x01", b".", b"$", b"v", b"0")
_LONG_RUN = 4


def coarse(text: str) -> bytes:
    """`text` on the coarse alphabet, one byte per character (non-ASCII becomes '?' first, then \\x01)."""
    return text.encode("ascii", "replace").translate(COARSE)


def probes(keys: Iterable[str]) -> list[bytes]:
    out: set[bytes] = set()
    for key in keys:
        first, _, rest = key.partition(" ")
        lead = b"\x01" + coarse(first)
        if not rest:
            out.update(lead + c for c in _FOLLOW)
            continue
        head = coarse(rest.partition(" ")[0][:3])
        out.update(lead + b"\x01" * run + head for run in range(1, _LONG_RUN))
        out.add(lead + b"\x01" * _LONG_RUN)
    return sorted(out)


class StartFinder:
    def __init__(self, keys: Iterable[str]) -> None:
        # measured here: the contiguous NFA scans faster than the DFA (smaller, stays in cache) and builds in 0.05 s
        implementation = ahocorasick_rs.Implementation.ContiguousNFA
        self._automaton = ahocorasick_rs.BytesAhoCorasick(probes(keys), implementation=implementation)

    def starts(self, lowered: str) -> list[int]:
        """Sorted positions in `lowered` (which begins with a boundary character) of the boundary character
        just before a place where a key may start."""
        hits = self._automaton.find_matches_as_indexes(coarse(lowered) + b"\x01", overlapping=True)
        return sorted({start for _, start, _ in hits})
