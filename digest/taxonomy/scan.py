"""Every alias occurrence in a text: one Aho-Corasick pass over all alias keys, then exact checks in Python.

What is found (the matcher's contract, unchanged since it was a trie regex run with `finditer` over
" " + text.lower()): an alias key starts right after a boundary character (`[^\\w.#@$\\\\]`: '+' is one,
"React+TS"); a space in a key stands for a run of `[\\s_\\-]` and the hyphens U+2010 and U+2011
("multi‑tenant"); after the key may come a version (`[ ]?v?\\d+(?:\\.\\d+)*(?:\\.x|\\+)?`), and then must come
no word character, no '#', no '+' unless a letter follows it, no '.' followed by a word character. At one place
the longest key that passes wins (a shorter one when the longer fails the check after it); the scan goes on
after the end of a match.

How: the lower-cased text and the keys are mapped byte for byte onto a coarse alphabet: ASCII letters but
'v' stay, '#' stays; separators and anything not ASCII are SEP; everything else (the boundary characters,
and what may follow a key: '.', '@', '$', '\\', 'v' and digits of a version) is BND. Runs of SEP collapse to
one (in the text, remembering where positions moved), then SEP becomes BND. An occurrence above is then
always an occurrence of BND + key + BND in the mapped text (a BND is appended for the end of the text), so
one overlapping Aho-Corasick pass over one such pattern a key (`ahocorasick-rs`, about 20 ms to build for
14,000 keys) finds a small superset of the places and keys (14,565 hits for 10,182 occurrences in the HN
postings with taxonomy 2026.12.2); each is then checked exactly on the text (the boundary character, the key
as written, the version and what follows), longest first.

A key that is mostly digits and punctuation ("v8", "c++", "s3", "c++17") would be almost all boundary on that
alphabet (BND BND BND BND for "v8" is any number after a space: half of all hits); such a key (ASCII letters,
digits, '+', '.', '#' only, with fewer than two letters left on the coarse alphabet) is found instead by a
second, small automaton that looks for the key as written in the lowered text; the character before it is
checked as above. Its hits join the others in order of place, so the longest key at a place still wins.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import Any, Generic, TypeVar

import ahocorasick_rs

from digest.taxonomy.normalize import SEPARATORS, alias_key

BND, SEP = 1, 2
_B, _S = bytes([BND]), bytes([SEP])


def _alphabet() -> bytes:
    table = bytearray(256)
    for c in range(256):
        ch = chr(c)
        if ch.isascii() and ch.isalpha() and ch not in "vV":
            table[c] = ord(ch.lower())
        elif ch == "#":
            table[c] = c
        elif ch in " \t\n\r\f\v_-?" or c >= 128:  # '?': what str.encode(errors="replace") makes of non-ASCII
            table[c] = SEP
        else:  # boundaries, and what may follow a key: '.', '@', '$', '\\', a version ('v', digits)
            table[c] = BND
    return bytes(table)


_MAP = _alphabet()
_FINE_KEY = re.compile(r"[a-z0-9+.#]+")
_MAP_SPLIT = b"\0" + _MAP[1:]
_SEP_TO_BND = bytes.maketrans(_S, _B)
_MAP_BND = _MAP.translate(_SEP_TO_BND)
_SEP_RUN = re.compile(b"\x02\x02+")
_TAIL = re.compile(r"((?:[ ]?v?\d+(?:\.\d+)*(?:\.x|\+)?)?)(?![\w#]|\+(?![A-Za-z])|\.\w)")
# a character after a key that ends the match at once, with no version: ASCII, not a word character, and
# none of what a version or the check after it looks at ('#', '+', '.', ' ')
_PLAIN_STOP = frozenset(c for c in map(chr, range(128)) if not (c.isalnum() or c in "_#+. "))
_VERSION_START = frozenset("v0123456789")  # and "": the final space has nothing after it
_PLACE = itemgetter(1)
_NEVER = 1 << 62
_NOT_BOUNDARY = frozenset("_.#@$\\0123456789abcdefghijklmnopqrstuvwxyz")

Occurrence = tuple[str, int, int, int]  # key, start, end of the key as written, end with its version (text offsets)
L = TypeVar("L")


def _coarse(text: str) -> bytes:
    return text.encode("ascii", "replace").translate(_MAP)


def patterns(key: str, body: bytes | None = None) -> list[bytes]:
    """What the automaton looks for to find `key` (`body`: the key on the coarse alphabet, if known): a boundary,
    the key, then what may follow it."""
    if body is None:
        body = _coarse(key)
    if _S + _S in body:
        body = _SEP_RUN.sub(_S, body)
    if body[:1] == _S or body[-1:] == _S:  # a key that starts or ends with a character not ASCII (rare)
        leads = [body, _B + body] if body[:1] == _S else [_B + body]  # a SEP before a SEP is one SEP
        ends = [lead + _B for lead in leads] if body[-1:] != _S else leads
        return sorted({_SEP_RUN.sub(_S, p).translate(_SEP_TO_BND) for p in ends})
    body = _B + body.translate(_SEP_TO_BND)
    return [body + _B]


class AliasScanner(Generic[L]):
    """Finds the keys in a text (`scan`); given a label for each key (`labels`), `find` names each occurrence
    by its label instead, read from a list by pattern (the matcher's alias: no lookup by key afterwards)."""

    def __init__(self, keys: Iterable[str], labels: Mapping[str, L] | None = None) -> None:
        listed = list(keys)
        self._known = set(listed)
        # every key mapped in one call ("\0" stays "\0" on this copy of the alphabet)
        bodies = "\0".join(listed).encode("ascii", "replace").translate(_MAP_SPLIT).split(b"\0")
        if len(bodies) != len(listed):  # a key with a "\0" in it
            bodies = [_coarse(key) for key in listed]
        self._patterns: list[bytes] = []
        self._keys: list[str] = []  # pattern -> key (a key has one pattern, rarely two)
        fine: list[str] = []
        for key, body in zip(listed, bodies, strict=True):
            if _is_fine(key, body):
                fine.append(key)
                continue
            ps = patterns(key, body)
            self._patterns += ps
            self._keys += [key] * len(ps)
        # the fine keys follow the others in self._keys; their patterns are the keys as written
        self._fine_offset = len(self._keys)
        self._keys += fine
        self._labelled = labels
        self._labels: list[Any] = self._keys if labels is None else [labels[key] for key in self._keys]
        self._build()

    def _build(self) -> None:
        self._automaton = ahocorasick_rs.BytesAhoCorasick(
            self._patterns, implementation=ahocorasick_rs.Implementation.ContiguousNFA
        )
        # a few dozen literal patterns: the automaton skips through the text with a vector prefilter
        fine = self._keys[self._fine_offset :]
        self._fine = ahocorasick_rs.BytesAhoCorasick([key.encode() for key in fine]) if fine else None

    # Pickled (digest.taxonomy.cache) without the automata, which have no serialised form: built again on load.
    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_automaton", "_fine")}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._build()

    def scan(self, text: str) -> list[Occurrence]:
        """Every occurrence in `text`, in order: (key, start, end of the key as written, end with its version)."""
        return self._scan(text, self._keys)

    def find(self, text: str) -> list[tuple[L, int, int, int]]:
        """As `scan`, each occurrence named by its key's label (by its key if no labels were given)."""
        return self._scan(text, self._labels)

    def _scan(self, text: str, names: list[Any]) -> list[Any]:
        # a space before (the boundary before a key at 0) and after (so every key is followed by a character)
        lowered = " " + text.lower() + " "
        if len(lowered) != len(text) + 2:  # only 'İ' lower-cases to two characters
            found = self._dotted_capital_i(text)
            if names is self._keys or self._labelled is None:
                return found
            return [(self._labelled[key], *place) for key, *place in found]
        encoded = lowered.encode("ascii", "replace")
        mapped = encoded.translate(_MAP)
        marks: list[int] = []  # where each run of separators collapsed to one character, in `mapped`
        origins: list[int] = []  # and the run's last character, in `lowered`
        run = mapped.find(_S + _S)
        if run < 0:
            mapped = encoded.translate(_MAP_BND)
        else:  # a few runs a text: found by bytes.find (a regex is slower), collapsed and remembered
            pieces = []
            prev = shift = 0
            size = len(mapped)
            while run >= 0:
                end = run + 2
                while end < size and mapped[end] == SEP:  # most runs are two or three characters long
                    end += 1
                pieces.append(mapped[prev : run + 1])
                marks.append(run - shift)
                origins.append(end - 1)
                shift = end - 1 - (run - shift)
                prev = end
                run = mapped.find(_S + _S, end)
            pieces.append(mapped[prev:])
            mapped = b"".join(pieces).translate(_SEP_TO_BND)
        # the automaton reports hits in order of where they end: reversed and sorted (stably) by where they start,
        # the keys found at one place come longest first
        hits = self._automaton.find_matches_as_indexes(mapped, overlapping=True)
        hits.reverse()
        if self._fine is not None:
            fine = self._fine.find_matches_as_indexes(encoded, overlapping=True)
            if fine:  # rare ("C++", "S3", "V8"): merged by place, then longest key first
                keys = self._keys
                hits += self._fine_hits(fine, marks, origins)
                hits.sort(key=lambda hit: (hit[1], -len(keys[hit[0]])))
                return self._check(lowered, hits, marks, origins, names)
        hits.sort(key=_PLACE)
        return self._check(lowered, hits, marks, origins, names)

    def _check(
        self, lowered: str, hits: list[tuple[int, int, int]], marks: list[int], origins: list[int], names: list[Any]
    ) -> list[Any]:
        """The occurrences among `hits` (in order of place, the longest key first at each place): at each place
        the first key that is written there and followed by what may end a key, unless the place is inside the
        previous occurrence or its character is no boundary. Each is named by names[pattern]."""
        out: list[Any] = []
        last = 0  # where, in `lowered`, the next match may start (its boundary character)
        done = -1  # the place (in the mapped text) decided last
        keys = self._keys
        startswith = lowered.startswith
        runs, k, shift = len(marks), 0, 0
        next_mark = marks[0] if runs else _NEVER
        for pattern, at, _ in hits:
            if at == done:
                continue
            if at >= next_mark:  # hits come in order of place: follow the runs of separators along
                while k < runs and marks[k] <= at:
                    shift = origins[k] - marks[k]
                    k += 1
                next_mark = marks[k] if k < runs else _NEVER
            p = at + shift
            if p < last:
                continue
            c = lowered[p]
            if c in _NOT_BOUNDARY or (c >= "\x80" and not _is_boundary(c)):
                done = at
                continue
            key = keys[pattern]
            if startswith(key, p + 1):
                e = p + 1 + len(key)
            elif " " in key:
                e = _key_end(lowered, p + 1, key)
                if e < 0:
                    continue
            else:
                continue
            d = lowered[e]
            if d in _PLAIN_STOP or (d == " " and lowered[e + 1 : e + 2] not in _VERSION_START):
                out.append((names[pattern], p, e - 1, e - 1))  # the common case: nothing after the key to look at
                last = e
                done = at
                continue
            tail = _TAIL.match(lowered, e)
            if tail is not None:
                out.append((names[pattern], p, e - 1, tail.end() - 1))
                last = tail.end()
                done = at
        return out

    def _fine_hits(
        self, fine: list[tuple[int, int, int]], marks: list[int], origins: list[int]
    ) -> list[tuple[int, int, int]]:
        """The fine automaton's hits (where a key starts in the lowered text) as hits at their places in the mapped
        text: the place of a hit is the character before the key (checked to be a boundary as every other). A
        fine key starts with no separator, so that character is not inside a collapsed run of separators (at
        most its last character, which the run's one character in the mapped text stands for)."""
        offset = self._fine_offset
        out = []
        for pattern, start, end in fine:
            p = start - 1  # the lowered text starts with a space: a key never starts at 0
            k = bisect_right(origins, p)
            at = p - (origins[k - 1] - marks[k - 1]) if k else p
            out.append((offset + pattern, at, end))
        return out

    def _dotted_capital_i(self, text: str) -> list[Occurrence]:
        """A text with 'İ': scanned with 'İ' as 'i' (what a case-insensitive regex does), but an alias written
        with it is not taken, since its case-folded form ('i' and a combining dot) is no key."""
        out = []
        for _, start, key_end, end in self.scan(text.replace("İ", "i")):
            written = text[start:key_end]
            if written not in self._known:
                written = alias_key(written)
                if written not in self._known:
                    continue
            out.append((written, start, key_end, end))
        return out


def _is_fine(key: str, body: bytes) -> bool:
    """Whether `key` is found by the fine automaton: ASCII letters, digits, '+', '.', '#' only, with a boundary
    byte in its coarse form and fewer than two letters left there ("v8", "c++17", "s3"; not "c", "node.js")."""
    if _FINE_KEY.fullmatch(key) is None or BND not in body:
        return False
    return sum(b > SEP for b in body) < 2


def _is_boundary(c: str) -> bool:
    return not (c.isalnum() or c in "_.#@$\\")


def _key_end(lowered: str, s: int, key: str) -> int:
    """Where `key` ends if it is written at lowered[s:] (a space standing for a run of separators), else -1."""
    if lowered.startswith(key, s):
        return s + len(key)
    if " " not in key:
        return -1
    pos = s
    for n, segment in enumerate(key.split(" ")):
        if n:
            run = SEPARATORS.match(lowered, pos)
            if run is None:
                return -1
            pos = run.end()
        if not lowered.startswith(segment, pos):
            return -1
        pos += len(segment)
    return pos
