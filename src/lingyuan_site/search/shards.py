"""The index format, in one place (SHARD_FORMAT; static/js/search.js reads it).

Files, below search/ in the site:

* ``index/meta.json``: ``format``, lunr's ``version``, the ``fields`` and their ``boosts``, the
  ``searchFields``, ``groups`` and ``subs`` (how tokens map to shards, below), ``docs`` (how many
  stories), ``lengths`` (each field's total length over all stories: lunr's average field length
  is lengths[f] / docs), ``slots`` (how story numbers encode dates, below), ``blocks`` (how many blocks of
  field lengths, below), ``wholeWordBoost`` and
  ``fold`` (Traditional → Simplified pairs, two characters each).
* ``index/<k>.bin``: shard k, gzip-compressed JSON (a .bin, so no server re-encodes it). Every
  shard exists, an empty one as ``{}``.
* ``lengths/<field>/<b>.bin``: one field's lengths in the stories whose number
  ``ref % blocks == b`` (``blocks`` in meta) and whose field is not empty, gzip-compressed JSON:
  ``r`` their numbers (ascending, as gaps from the previous one) and ``l`` their lengths. A field
  that is empty in every story of the block has no file.
* ``docs/<b>.bin``: what a result shows (title, URL, date, snippet text) of the stories of doc
  block b: ``[[ref, doc], …]`` by ref, the stories whose ``doc_block(ref, docBlocks)`` is b
  (``docBlocks`` in meta, a power of two, about DOC_BLOCK_STORIES stories a block). Format 7:
  one file a story was about one file in three of the output (issue 36: hosts count files); a
  block of 8 costs a result about 8 documents' bytes, gzip-compressed together.

Shards. A token goes to shard ``k = g × subs + s`` where ``g = ord(first character) mod groups``
and ``s = ord(second character) mod subs`` (0 for a one-character token): all tokens that start
with the same two characters share a shard, so a prefix query of two or more characters reads one
shard, of one character the `subs` shards of its group. `groups` and `subs` are powers of two
chosen from the index's size (``sizes``), so they change only when the archive doubles or halves,
and a shard holds about TARGET_BYTES of JSON.

A shard is columns: ``t`` its terms (sorted), ``n`` how many postings each has; then per posting,
in term, field, document order, ``f`` the field number, ``d`` the document (as the gap from the
previous posting of the same term and field, else absolute) and ``c`` the term's count in that
field. With the field lengths of the documents, that is all lunr's index is made of: the reader
weighs each posting (index.lunr_weight) and expands the shards into lunr's own form.

Why the lengths are apart (format 5). A posting that carried its field's length (format 4) changed
with every edit of its story's text, so one appended sentence rewrote every shard the story's terms
reach: at 4,000 pages 969 of 8,192 shards, 34 of 41 MB, for a feature. Apart, an edit rewrites the
shards of the terms whose counts it changed, and one block of lengths. A query then fetches the
blocks of its candidates (the stories every required token matches) after its shards: nothing for
a query no story matches, one block per candidate for a rare one, every block for a common one.
``blocks`` (a power of two, about BLOCK_STORIES stories a block, at most MAX_BLOCKS) changes only
when the archive doubles or halves.

Why a block is one file per field (format 6). A query needs a candidate's length in the fields
where its terms are, not in all seven: the body's lengths are 30 % of a block's bytes, and most
candidates of a common query match in the body and one or two more fields. At 2,000 pages the
bench's queries fetched 0.44 × the bytes of lengths they fetched from whole blocks (365 against
822 KB for 12 queries). A common query's candidates reach every block, and at 8,000 pages their
fields reached most of a block's seven files: with the 256 blocks of format 5 that was over a
thousand requests, and the bench's first search timed out (30 s). So a block holds about
BLOCK_STORIES stories, at most MAX_BLOCKS blocks: a query makes at most 7 × 32 requests for
lengths (format 5 made up to 256), and a file holds one field of about 1,000 to 3,000 stories
(a few KB).

Story numbers. ``ref = day key × slots + place`` (structure.Reduce._refs): a story's date is
``ref // slots`` as a day key (year = key // 416), so the browser filters by year and sorts by date
from numbers alone, and a story added to one day renumbers that day only.
"""
from __future__ import annotations

import json
import math

import numpy as np

SHARD_FORMAT = 7
LUNR_VERSION = "2.3.9"
FIELDS = (("title", 10), ("lead", 3), ("body", 1), ("captions", 1), ("keywords", 2), ("themes", 2), ("theme", 1))
FIELD_NAMES = [name for name, _ in FIELDS]
SEARCH_FIELDS = [name for name, _ in FIELDS if name != "theme"]
TEXT_FIELDS = FIELD_NAMES[:4]  # from the page (Story.index_terms); the rest from the whole archive
TARGET_BYTES = 16_000
MAX_GROUPS = 4096
POSTING_BYTES = 10  # JSON bytes a posting costs, about (field, gap, count; with the archive fields' postings)
BLOCK_STORIES = 1024
MAX_BLOCKS = 32  # (a common query may fetch a file per field of every block: at most 7 × 32 requests)


def sizes(postings: int) -> tuple[int, int]:
    """(groups, subs) for an index of `postings` postings."""
    shards = max(1, math.ceil(postings * POSTING_BYTES / TARGET_BYTES))
    groups = min(MAX_GROUPS, 1 << (shards - 1).bit_length())
    subs = 1 << max(0, math.ceil(shards / groups) - 1).bit_length() if shards > groups else 1
    return groups, subs


DOC_BLOCK_STORIES = 8  # documents a block of documents holds, about


def doc_blocks_for(docs: int) -> int:
    """How many blocks of documents an index of `docs` stories has (a power of two: it changes
    only when the archive doubles)."""
    n = 1
    while n * DOC_BLOCK_STORIES < docs:
        n *= 2
    return n


def doc_block(ref: int, blocks: int) -> int:
    """The block of documents story number `ref` is in: a multiplicative hash of its number
    (numbers encode dates, so a day's stories spread over blocks), as search.js computes it:
    Math.imul(ref >>> 0, 2654435761) >>> 8, modulo `blocks`."""
    return (((ref & 0xFFFFFFFF) * 2654435761) & 0xFFFFFFFF) >> 8 & (blocks - 1)


def blocks_for(docs: int) -> int:
    """How many blocks of field lengths an index of `docs` stories has."""
    want = max(1, docs // BLOCK_STORIES)
    return min(MAX_BLOCKS, 1 << (want.bit_length() - 1))


def shard_of(token: str, groups: int, subs: int) -> int:
    return (ord(token[0]) % groups) * subs + (ord(token[1]) % subs if len(token) > 1 else 0)


def shards_of_prefix(prefix: str, groups: int, subs: int) -> list[int]:
    """The shards a token starting with `prefix` can be in."""
    if len(prefix) > 1:
        return [shard_of(prefix, groups, subs)]
    g = ord(prefix[0]) % groups
    return list(range(g * subs, (g + 1) * subs))


def code_points(terms: list) -> np.ndarray:
    """Terms as a matrix of their code points, one row a term, 0 past its end."""
    if not terms:
        return np.zeros((0, 1), np.uint32)
    text = np.asarray(terms, dtype=str)
    width = text.dtype.itemsize // 4
    return np.ascontiguousarray(text).view(np.uint32).reshape(len(terms), width)


def shards_of(points: np.ndarray, groups: int, subs: int) -> np.ndarray:
    """shard_of for every row of code_points (a one-character term's second column is 0)."""
    first = points[:, 0].astype(np.int64)
    second = points[:, 1].astype(np.int64) if points.shape[1] > 1 else np.zeros(len(points), np.int64)
    return (first % groups) * subs + second % subs


_M1, _M2, _P = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x100000001B3)


def _mix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def posting_hashes(points: np.ndarray, field, count, ref: int) -> np.ndarray:
    """A 64-bit hash of each posting (term, field, count, document): a story's postings in one shard
    are summed into that shard's hash, so a patch compares a story's shards by number."""
    with np.errstate(over="ignore"):
        h = np.zeros(len(points), np.uint64)
        for column in points.T:
            h = _mix(h * _P + column.astype(np.uint64))
        h = _mix(h ^ (np.asarray(field, np.uint64) << np.uint64(56)) ^ (np.asarray(count, np.uint64) << np.uint64(24)))
        return _mix(h + np.uint64(ref))


class Postings:
    """Postings as parallel arrays: term (text), field, doc, count."""

    __slots__ = ("terms", "field", "doc", "count")

    def __init__(self, terms, field, doc, count):
        self.terms = terms  # numpy object array (str)
        self.field, self.doc, self.count = field, doc, count

    @classmethod
    def empty(cls) -> "Postings":
        z = np.zeros(0, np.int64)
        return cls(np.zeros(0, object), z, z, z)

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
    count = p.count[order]
    same = np.zeros(len(rank), dtype=bool)
    same[1:] = (rank[1:] == rank[:-1]) & (field[1:] == field[:-1])
    gap = doc.copy()
    gap[1:] = np.where(same[1:], doc[1:] - doc[:-1], doc[1:])
    n = np.bincount(rank, minlength=len(unique))
    return {"t": unique.tolist(), "n": n.tolist(), "f": field.tolist(), "d": gap.tolist(), "c": count.tolist()}


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
    return Postings(terms, field, doc, np.asarray(shard["c"], dtype=np.int64))


def encode_lengths(rows: list, f: int) -> dict:
    """(ref, lengths) rows, ascending by ref → the block's file of field f: the stories where it is
    not empty (an empty dict: none)."""
    kept = [(ref, ls[f]) for ref, ls in rows if ls[f]]
    if not kept:
        return {}
    refs = [r for r, _ in kept]
    return {"r": [refs[0]] + [b - a for a, b in zip(refs, refs[1:])], "l": [n for _, n in kept]}


def decode_lengths(block: dict, f: int, into: dict) -> dict[int, list]:
    """A block's file of field f into `into` (ref → its fields' lengths, 0 where no file says)."""
    ref = 0
    for gap, n in zip(block.get("r", ()), block.get("l", ())):
        ref += gap
        into.setdefault(ref, [0] * len(FIELDS))[f] = n
    return into


def dump(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
