"""The index format, in one place (SHARD_FORMAT; static/js/search.js reads it).

Files, below search/ in the site:

* ``index/meta.json``: ``format``, lunr's ``version``, the ``fields`` and their ``boosts``, the
  ``searchFields``, ``groups`` and ``subs`` (how tokens map to shards, below), ``docs`` (how many
  stories), ``lengths`` (each field's total length over all stories: lunr's average field length
  is lengths[f] / docs), ``slots`` (how story numbers encode dates, below), ``wholeWordBoost`` and
  ``fold`` (Traditional → Simplified pairs, two characters each).
* ``index/<k>.bin``: shard k, gzip-compressed JSON (a .bin, so no server re-encodes it). Every
  shard exists, an empty one as ``{}``.
* ``docs/<ref>.bin``: what a result shows of story number ref (title, URL, date, snippet text).

Shards. A token goes to shard ``k = g × subs + s`` where ``g = ord(first character) mod groups``
and ``s = ord(second character) mod subs`` (0 for a one-character token): all tokens that start
with the same two characters share a shard, so a prefix query of two or more characters reads one
shard, of one character the `subs` shards of its group. `groups` and `subs` are powers of two
chosen from the index's size (``sizes``), so they change only when the archive doubles or halves,
and a shard holds about TARGET_BYTES of JSON.

A shard is columns: ``t`` its terms (sorted), ``n`` how many postings each has; then per posting,
in term, field, document order, ``f`` the field number, ``d`` the document (as the gap from the
previous posting of the same term and field, else absolute), ``c`` the term's count in that field
and ``l`` that field's length in the document. That is all lunr's index is made of: the reader
weighs each posting (index.lunr_weight) and expands the shards into lunr's own form.

Story numbers. ``ref = day key × slots + place`` (structure.Reduce._refs): a story's date is
``ref // slots`` as a day key (year = key // 416), so the browser filters by year and sorts by date
from numbers alone, and a story added to one day renumbers that day only.
"""
from __future__ import annotations

import json
import math

import numpy as np

SHARD_FORMAT = 4
LUNR_VERSION = "2.3.9"
FIELDS = (("title", 10), ("lead", 3), ("body", 1), ("captions", 1), ("keywords", 2), ("themes", 2), ("theme", 1))
FIELD_NAMES = [name for name, _ in FIELDS]
SEARCH_FIELDS = [name for name, _ in FIELDS if name != "theme"]
TEXT_FIELDS = FIELD_NAMES[:4]  # from the page (Story.index_terms); the rest from the whole archive
TARGET_BYTES = 16_000
MAX_GROUPS = 4096
POSTING_BYTES = 10  # JSON bytes a posting costs, about (field, gap, count, length)


def sizes(postings: int) -> tuple[int, int]:
    """(groups, subs) for an index of `postings` postings."""
    shards = max(1, math.ceil(postings * POSTING_BYTES / TARGET_BYTES))
    groups = min(MAX_GROUPS, 1 << (shards - 1).bit_length())
    subs = 1 << max(0, math.ceil(shards / groups) - 1).bit_length() if shards > groups else 1
    return groups, subs


def shard_of(token: str, groups: int, subs: int) -> int:
    return (ord(token[0]) % groups) * subs + (ord(token[1]) % subs if len(token) > 1 else 0)


def shards_of_prefix(prefix: str, groups: int, subs: int) -> list[int]:
    """The shards a token starting with `prefix` can be in."""
    if len(prefix) > 1:
        return [shard_of(prefix, groups, subs)]
    g = ord(prefix[0]) % groups
    return list(range(g * subs, (g + 1) * subs))


class Postings:
    """Postings as parallel arrays: term (text), field, doc, count, length."""

    __slots__ = ("terms", "field", "doc", "count", "length")

    def __init__(self, terms, field, doc, count, length):
        self.terms = terms  # numpy object array (str)
        self.field, self.doc, self.count, self.length = field, doc, count, length

    @classmethod
    def empty(cls) -> "Postings":
        z = np.zeros(0, np.int64)
        return cls(np.zeros(0, object), z, z, z, z)

    @classmethod
    def concat(cls, parts: list) -> "Postings":
        parts = [p for p in parts if len(p.doc)]
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, a) for p in parts]) for a in cls.__slots__))

    def select(self, mask) -> "Postings":
        return Postings(*(getattr(self, a)[mask] for a in self.__slots__))

    def __len__(self) -> int:
        return len(self.doc)


def encode(p: Postings) -> dict:
    """Postings → a shard's columns (sorted by term, field, document; gaps within term and field)."""
    if not len(p):
        return {}
    terms = p.terms
    unique, rank = np.unique(terms.astype(str), return_inverse=True)
    order = np.lexsort((p.doc, p.field, rank))
    rank, field, doc = rank[order], p.field[order], p.doc[order]
    count, length = p.count[order], p.length[order]
    same = np.zeros(len(rank), dtype=bool)
    same[1:] = (rank[1:] == rank[:-1]) & (field[1:] == field[:-1])
    gap = doc.copy()
    gap[1:] = np.where(same[1:], doc[1:] - doc[:-1], doc[1:])
    n = np.bincount(rank, minlength=len(unique))
    return {"t": unique.tolist(), "n": n.tolist(), "f": field.tolist(), "d": gap.tolist(), "c": count.tolist(), "l": length.tolist()}


def decode(shard: dict) -> Postings:
    """A shard's columns → postings (absolute documents)."""
    if not shard or not shard.get("t"):
        return Postings.empty()
    n = np.asarray(shard["n"], dtype=np.int64)
    terms = np.repeat(np.asarray(shard["t"], dtype=object), n)
    field = np.asarray(shard["f"], dtype=np.int64)
    gap = np.asarray(shard["d"], dtype=np.int64)
    term_id = np.repeat(np.arange(len(n)), n)
    start = np.ones(len(gap), dtype=bool)
    start[1:] = (term_id[1:] != term_id[:-1]) | (field[1:] != field[:-1])
    # documents: a cumulative sum of gaps within each run of one term and field
    run = np.cumsum(start) - 1
    total = np.cumsum(gap)
    base = total[start] - gap[start]
    doc = total - base[run]
    return Postings(terms, field, doc, np.asarray(shard["c"], dtype=np.int64), np.asarray(shard["l"], dtype=np.int64))


def dump(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
