"""Stage 5, search: a lunr index (built with lunr.py, queried with lunr.js) that understands Chinese.

Tokens. The browser has no jieba, yet every token it makes from a query must exist in the index for
the same text. So the index holds, for every run of Chinese characters, all its character bigrams
(which the browser can make too) and its last character (which starts no bigram, so a query
character next to a digit, as 把 in 把8项, still finds it), plus jieba's search-mode words of three or more characters (for
ranking whole words such as 凌源影调戏 higher); for every run of Latin letters and digits, the run
and its suffixes (so LNG is found by "LNG" and "NG"). A query term becomes its bigrams, all
required (a story holding 种球 holds the bigram 种球; one holding 经济开发区 holds all of 经济 济开
开发 发区), plus the whole term as an optional boosted word.

Folding. Text is NFKC-normalised (full-width ＬＮＧ → lng) and lower-cased on both sides; the
browser also maps Traditional characters to Simplified with a table generated here from OpenCC's
data, limited to characters whose Simplified form occurs in the archive.

Building. Each story's tokens are counted once, by the build workers (story_terms, kept in the
page cache). build_index gathers what lunr.py's Builder counts: every posting's term frequency
and every field's length. The BM25 weights (lunr_weight) are computed where the index is read,
by search.js in the browser and merge_shards here, with lunr.py's operations in its order: the
merged index is lunr.py's own, weight for weight, with terms numbered in text order
(tests/test_search.py checks it against stock lunr.py, and search.js against merge_shards). A
weight depends on the archive's average field lengths, which every edit moves; stored counts do
not, so an edit rewrites only the shards holding the terms it touched.

Partitioning. The index is split by the first character of each term into shards (a term's
postings, which are also its entries in the field vectors), plus lengths.bin (every document's
field lengths). The browser loads only the shards its query needs and merges them into one lunr
index; since lunr scores a document by the dot product of the query vector with the document's
field vectors, the merged index scores every query exactly as the full index does
(tests/test_search.py checks this).
"""
from __future__ import annotations

import gzip
import hashlib
from array import array
from collections import Counter
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

import numpy as np
from lunr.index import Index
from lunr.query import QueryPresence

from . import segment
from .normalize import t2s_table
from .structure import Site, SiteStory

LUNR_VERSION = "2.3.9"
FIELDS = (("title", 10), ("lead", 3), ("body", 1), ("captions", 1), ("keywords", 2), ("themes", 2), ("theme", 1))
SEARCH_FIELDS = [name for name, _ in FIELDS if name != "theme"]
WHOLE_WORD_BOOST = 5
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
RUN_RE = re.compile(f"[{CJK}]+|[0-9a-z]+")
TARGET_SHARD_BYTES = 4_000
MAX_SHARDS = 4096
SNIPPET_TEXT_CHARS = 20_000


def fold(text: str) -> str:
    """Width and case folding shared with the browser (NFKC, lower case)."""
    return unicodedata.normalize("NFKC", text).lower()


_CJK_RE = re.compile(f"[{CJK}]")


def _is_cjk(ch: str) -> bool:
    return _CJK_RE.match(ch) is not None


_WORD3_RE = re.compile(f"^[{CJK}]{{3,}}$")


def index_tokens(text: str, seg) -> list[str]:
    """The tokens indexed for `text` (see the module docstring). `seg` is a segment.Segmenter
    (or a jieba tokenizer); None leaves out jieba's words."""
    tokens: list[str] = []
    for match in RUN_RE.finditer(fold(text)):
        run = match.group()
        if _is_cjk(run[0]):
            if len(run) == 1:
                tokens.append(run)
                continue
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
            tokens.append(run[-1])  # the last character starts no bigram: index it alone
        else:
            tokens.append(run)
            tokens.extend(run[i:] for i in range(1, len(run) - 1))
    if seg is not None:
        tokens.extend(fold(w) for w in segment.as_segmenter(seg).search_words(text) if _WORD3_RE.match(w))
    return tokens


@dataclass
class QueryToken:
    token: str
    required: bool = True
    wildcard: bool = False
    boost: float = 1


def query_tokens(term: str) -> list[QueryToken]:
    """What the browser makes of one query term (search.js mirrors this; the tests compare them)."""
    out: list[QueryToken] = []
    for match in RUN_RE.finditer(fold(term)):
        run = match.group()
        if _is_cjk(run[0]):
            if len(run) == 1:
                out.append(QueryToken(run, wildcard=True))
            else:
                out.extend(QueryToken(run[i : i + 2]) for i in range(len(run) - 1))
                if len(run) >= 3:
                    out.append(QueryToken(run, required=False, boost=WHOLE_WORD_BOOST))
        else:
            out.append(QueryToken(run, wildcard=True))
    return out


@lru_cache(maxsize=65536)
def word_tokens(word: str) -> tuple[str, ...]:
    """Index tokens of a text that is one word already (a keyword, a theme name): its characters'
    tokens, and the word itself when it is three or more Chinese characters. No jieba needed."""
    tokens = index_tokens(word, None)
    folded = fold(word)
    if _WORD3_RE.match(folded):
        tokens.append(folded)
    return tuple(tokens)


@dataclass
class TermCounts:
    """One field's index tokens, counted: the distinct terms in first-seen order joined by NUL
    (tokens never hold one), and how often each occurs. Compact to pickle and to keep in memory
    for thousands of stories."""

    terms: str
    counts: array

    @classmethod
    def of(cls, tokens: list[str]) -> "TermCounts":
        counted = Counter(tokens)
        return cls("\0".join(counted), array("I", counted.values()))

    def term_list(self) -> list[str]:
        return self.terms.split("\0") if self.terms else []


def _text_fields(story, title: str) -> dict[str, str]:
    from .themes import story_texts

    texts = story_texts(story)
    texts["title"] = title
    return texts


def story_terms(story, title: str, seg) -> dict[str, TermCounts]:
    """The per-story part of this stage: the counted tokens of the title, lead, body and captions.
    Build workers run it on both cores and the page cache keeps it (Story.index_terms)."""
    return {name: TermCounts.of(index_tokens(text, seg) if text else []) for name, text in _text_fields(story, title).items()}


def prepare_page(page, seg) -> None:
    for i, story in enumerate(page.stories):
        story.index_terms = story_terms(story, page.story_title(i), seg)


def _global_fields(entry: SiteStory) -> dict[str, list[str]]:
    """The fields that depend on the whole archive (keywords, themes): tokenised at index time."""
    return {
        "keywords": [t for k in entry.story.keywords for t in word_tokens(k)],
        "themes": [t for theme in entry.themes for t in word_tokens(theme.name)],
        "theme": [t.slug for t in entry.themes],
    }


def story_fields(entry: SiteStory, seg) -> dict[str, list[str]]:
    """Every field's tokens in full, in order: what stock lunr.py is given in the tests that check
    build_index against it."""
    fields = {name: index_tokens(text, seg) if text else [] for name, text in _text_fields(entry.story, entry.title).items()}
    fields.update(_global_fields(entry))
    return fields


@dataclass
class IndexArrays:
    """The whole index as flat arrays, one row per (term, field, document) posting, with each
    document's field lengths: everything lunr's BM25 weights are computed from (weights).
    `terms[i]` is the text of term number i (numbers are this module's, not lunr's), `tf` how
    often the term occurs in that field of that document, `lengths[doc, field]` the field's token
    count."""

    fields: list
    terms: list
    doc: np.ndarray
    field: np.ndarray
    term: np.ndarray
    tf: np.ndarray
    lengths: np.ndarray
    docs: int

    def used_terms(self) -> list:
        """The terms some posting holds (`terms` may also hold terms a rebuild's kept numbering
        no longer uses, which must not reach the output)."""
        return [self.terms[i] for i in np.flatnonzero(np.bincount(self.term, minlength=len(self.terms))).tolist()]


TEXT_FIELDS = [name for name, _ in FIELDS[:4]]  # from the page (Story.index_terms); the rest from the whole archive
assert TEXT_FIELDS == ["title", "lead", "body", "captions"]


class TermNumbers:
    """Term numbers, kept between builds in the build cache: the vocabulary in numbering order,
    and each story's text-field terms as numbers, keyed by a digest of those terms. A rebuild then
    numbers only the terms of stories whose text changed. Numbers never reach the output (shards
    are sorted by term text), so terms that no story holds any more change nothing; the
    vocabulary starts afresh when they outnumber the rest."""

    def __init__(self, state: Optional[dict] = None):
        state = state or {}
        self.terms: list = list(state.get("terms", ()))
        self.stories: dict = state.get("stories", {})
        self.archives: dict = state.get("archives", {})
        self.number = {t: i for i, t in enumerate(self.terms)}
        self.kept: dict = {}
        self.kept_archives: dict = {}

    def of(self, terms: list) -> np.ndarray:
        number = self.number
        for t in dict.fromkeys(terms):
            if t not in number:
                number[t] = len(self.terms)
                self.terms.append(t)
        return np.fromiter(map(number.__getitem__, terms), np.int32, len(terms))

    def story(self, text: str) -> np.ndarray:
        """The numbers of NUL-joined terms, from the last build when it had the same text."""
        key = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        numbers = self.stories.get(key)
        if numbers is None:
            numbers = self.of(text.split("\0") if text else [])
        self.kept[key] = numbers
        return numbers

    def archive(self, entry: SiteStory) -> tuple:
        """A story's archive-wide fields (keywords, themes, theme), counted: their terms as
        numbers and each field's counts, from the last build when the story had the same
        keywords and themes."""
        key = (tuple(entry.story.keywords), tuple((t.slug, t.name) for t in entry.themes))
        found = self.archives.get(key)
        if found is None:
            fields = [TermCounts.of(tokens) for tokens in _global_fields(entry).values()]
            terms = "\0".join(tc.terms for tc in fields if tc.terms)
            found = (self.of(terms.split("\0") if terms else []), [tc.counts for tc in fields])
        self.kept_archives[key] = found
        return found

    def state(self, used: int) -> dict:
        """What to keep for the next build (`used`: how many terms this build's postings hold)."""
        if len(self.terms) > 2 * used + 1000:
            return {}
        return {"terms": self.terms, "stories": self.kept, "archives": self.kept_archives}


def build_index(site: Site, seg=None, numbers: Optional[TermNumbers] = None) -> IndexArrays:
    """What lunr.py's Builder counts, for every document and field: the term frequencies and the
    field lengths. The counts come from the pages (the workers counted them); `numbers` may hold
    the last build's term numbers. The weights are left to whoever reads the index
    (merge_shards here, search.js in the browser), so an edit changes only the shards whose terms
    it touches."""
    seg = segment.as_segmenter(seg) if seg is not None else None
    numbers = numbers if numbers is not None else TermNumbers()
    names = [name for name, _ in FIELDS]
    parts, counts, sizes, lengths = [], array("I"), [], []
    for entry in site.latest:
        per_field = entry.story.index_terms
        if per_field is None:
            per_field = story_terms(entry.story, entry.title, seg)
        counted = [per_field[name].counts for name in TEXT_FIELDS]
        parts.append(numbers.story("\0".join(per_field[name].terms for name in TEXT_FIELDS if per_field[name].terms)))
        archive_numbers, archive_counts = numbers.archive(entry)
        parts.append(archive_numbers)
        for field_counts in counted + archive_counts:
            counts.extend(field_counts)
            sizes.append(len(field_counts))
            lengths.append(sum(field_counts))
    n_fields = len(names)
    chunk = np.arange(len(sizes), dtype=np.int64)
    sizes_a = np.asarray(sizes, dtype=np.int64)
    return IndexArrays(
        names,
        numbers.terms,
        np.repeat(chunk // n_fields, sizes_a).astype(np.int32),
        np.repeat(chunk % n_fields, sizes_a).astype(np.int8),
        np.concatenate(parts) if parts else np.zeros(0, np.int32),
        np.frombuffer(counts, dtype=np.uint32).astype(np.int64),
        np.asarray(lengths, dtype=np.int64).reshape(-1, n_fields),
        len(site.latest),
    )


K1, B = 1.2, 0.75  # lunr's BM25 parameters (search.js has the same)


def lunr_weight(docs: int, df: int, tf: int, length: int, avg: float, boost: float) -> float:
    """One posting's weight, with lunr.py's Builder operations in its order (search.js repeats
    them): idf from the document count and the term's postings in all fields, BM25 against the
    field's average length, the field boost, rounded to three places."""
    idf = math.log(1 + abs((docs - df + 0.5) / (df + 0.5)))
    score = idf * ((K1 + 1) * tf) / (K1 * (1 - B + B * (length / avg)) + tf)
    score *= boost
    return round(score, 3)


def fold_table(site_chars: set[str]) -> dict[str, str]:
    """Traditional → Simplified for characters that matter: the Simplified form occurs in the
    archive, and the Traditional form itself does not (乾隆 keeps its 乾 if the archive has it)."""
    return {t: s for t, s in sorted(t2s_table().items()) if s in site_chars and t not in site_chars}


def shard_of(term: str, shards: int) -> int:
    return ord(term[0]) % shards


def shard_count(ix: IndexArrays, used: list) -> int:
    """Enough shards that each holds at most about TARGET_SHARD_BYTES of JSON, estimated from
    counts (a term of `used`, ix.used_terms(), costs its text, a posting its field, document gap
    and count), rounded up to a power of two: the count, and with it every term's shard, changes
    only when the archive doubles or halves, not with every edit."""
    estimate = sum(3 * len(t) + 6 for t in used) + 7 * len(ix.doc)
    return min(MAX_SHARDS, 1 << max(0, math.ceil(estimate / TARGET_SHARD_BYTES) - 1).bit_length())


def _shard_columns(ix: IndexArrays, shards: int):
    """Split the index by the first character of each term: each shard's columns (_shard_json
    makes its JSON): ``t`` its terms (sorted) and ``n`` how many postings each has; then per
    posting, in term, field, document order, ``f`` the field number, ``d`` the document (as the
    gap from the previous posting of the same term and field, else absolute) and ``c`` the term's
    count in that field. With the field lengths (lengths.bin) that is all lunr's index is made
    of; merge_shards (and search.js) weigh the postings and expand them into lunr's own form."""
    n_terms = len(ix.terms)
    term_shard = np.array([shard_of(t, shards) for t in ix.terms], dtype=np.int64)
    rank = np.empty(n_terms, dtype=np.int64)
    rank[np.argsort(np.array(ix.terms, dtype=object), kind="stable")] = np.arange(n_terms, dtype=np.int64)
    # one sort key, unique per posting: shard, then term (by text), field, document
    place = term_shard * n_terms + rank
    key = (place[ix.term] * len(ix.fields) + ix.field) * max(ix.docs, 1) + ix.doc
    order = np.argsort(key)
    term = ix.term[order]
    field = ix.field[order]
    doc = ix.doc[order].astype(np.int64)
    count = ix.tf[order]
    same = np.zeros(len(term), dtype=bool)
    same[1:] = (term[1:] == term[:-1]) & (field[1:] == field[:-1])
    gap = doc.copy()
    gap[1:] = np.where(same[1:], doc[1:] - doc[:-1], doc[1:])
    # each term's first posting and posting count, then each shard's range of terms and postings
    starts = np.flatnonzero(np.concatenate(([True], term[1:] != term[:-1]))) if len(term) else np.zeros(0, np.int64)
    distinct = term[starts]
    counts = np.diff(np.append(starts, len(term)))
    term_bounds = np.searchsorted(term_shard[distinct], np.arange(shards + 1)).tolist()
    posting_bounds = np.append(starts, len(term))[term_bounds].tolist()
    texts = [ix.terms[i] for i in distinct.tolist()]
    for k in range(shards):
        a, b = term_bounds[k], term_bounds[k + 1]
        lo, hi = posting_bounds[k], posting_bounds[k + 1]
        yield texts[a:b], counts[a:b], field[lo:hi], gap[lo:hi], count[lo:hi]


def _shard_json(terms, counts, field, gap, count) -> dict:
    return {"t": terms, "n": counts.tolist(), "f": field.tolist(), "d": gap.tolist(), "c": count.tolist()}


def _shard_key(terms, *arrays) -> bytes:
    """Everything a shard holds, as bytes, for the render memo: a rebuild keeps an unchanged
    shard without dumping or compressing it."""
    parts = ["\0".join(terms).encode("utf-8")] + [np.ascontiguousarray(a, dtype=np.int64).tobytes() for a in arrays]
    return hashlib.sha256(b"\1".join(parts)).digest()


def merge_shards(meta: dict, parts: Iterable[dict], lengths: list) -> dict:
    """Shards → one serialised lunr index, weighing each posting as lunr.py's Builder does
    (lunr_weight) from its count, the field lengths and the term's posting count (search.js
    does the same in the browser). Terms are numbered in text order, so any set of shards numbers
    its terms in the same relative order and scores a query exactly as all shards do."""
    fields, docs, boosts = meta["fields"], meta["docs"], meta["boosts"]
    n_fields = len(fields)
    avg = [sum(lengths[f::n_fields]) / (docs or 1) for f in range(n_fields)]
    parts = list(parts)
    number = {t: i for i, t in enumerate(sorted(t for part in parts for t in part["t"]))}
    inverted, vectors = [], {}
    for part in parts:
        j = 0
        for term, n in zip(part["t"], part["n"]):
            index = number[term]
            posting = {**{name: {} for name in fields}, "_index": index}
            doc = prev_field = None
            for f, d, c in zip(part["f"][j : j + n], part["d"][j : j + n], part["c"][j : j + n]):
                doc = doc + d if f == prev_field else d
                prev_field = f
                posting[fields[f]][str(doc)] = {}
                weight = lunr_weight(docs, n, c, lengths[doc * n_fields + f], avg[f], boosts[f])
                vectors.setdefault(f"{fields[f]}/{doc}", []).append((index, weight))
            j += n
            inverted.append([term, posting])
    merged_vectors = [[ref, [x for pair in sorted(vectors[ref]) for x in pair]] for ref in sorted(vectors)]
    inverted.sort(key=lambda e: e[0])
    return {"version": meta["version"], "fields": fields, "fieldVectors": merged_vectors, "invertedIndex": inverted, "pipeline": []}


def fold_query(query: str, table: str = "") -> str:
    """The browser's query folding: widths and case, then Traditional → Simplified."""
    pairs = dict(zip(table[0::2], table[1::2]))
    return "".join(pairs.get(ch, ch) for ch in fold(query))


QUOTES_RE = re.compile(r'"([^"]*)"|“([^”]*)”|「([^」]*)」|(\S+)')


def query_terms(query: str, table: str = "") -> list[str]:
    """What a query means (search.js parseQuery does the same): its folded terms, split at spaces,
    a phrase in quotes ("凌源 影调戏", “…”, 「…」) being one term whose spaces do not count. A result
    holds every term, as typed (after folding), somewhere in its text."""
    terms = []
    for m in QUOTES_RE.finditer(fold_query(query, table)):
        quoted = next((g for g in m.groups()[:3] if g is not None), None)
        term = "".join(quoted.split()) if quoted is not None else m.group(4)
        if term:
            terms.append(term)
    return terms


def holds_terms(text: str, terms: list[str]) -> bool:
    """Whether a story's text (search_text) holds every term, folded, spaces ignored."""
    folded = "".join(fold(text).split())
    return all(t in folded for t in terms)


def python_search(index: Index, query: str, theme: Optional[str] = None, table: str = "",
                  docs: Optional[dict] = None) -> list[tuple[str, int, float]]:
    """The browser's search in Python, for tests: one lunr query per term, the stories every term
    matches, by their summed score; with `docs` (ref → search doc), only those whose text holds
    every term as typed (the browser's check before it shows a result). Returns (ref, terms, score)."""
    combined: dict[str, list] = {}
    terms = [t for t in query_terms(query, table) if query_tokens(t)]
    for term in terms:
        tokens = query_tokens(term)

        def build(q, tokens=tokens):
            for t in tokens:
                q.term(
                    t.token,
                    fields=SEARCH_FIELDS,
                    presence=QueryPresence.REQUIRED if t.required else QueryPresence.OPTIONAL,
                    wildcard=q.WILDCARD_TRAILING if t.wildcard else q.WILDCARD_NONE,
                    boost=t.boost,
                    use_pipeline=False,
                )
            if theme:
                q.term(theme, fields=["theme"], presence=QueryPresence.REQUIRED, use_pipeline=False)

        for result in _run(index, build):
            entry = combined.setdefault(result["ref"], [0, 0.0])
            entry[0] += 1
            entry[1] += result["score"]
    ranked = sorted(((ref, n, score) for ref, (n, score) in combined.items() if n == len(terms)),
                    key=lambda r: (-round(r[2], 6), int(r[0])))
    if docs is not None:
        ranked = [r for r in ranked if docs[int(r[0])].get("cut") or holds_terms(doc_text(docs[int(r[0])]), terms)]
    return ranked


def _run(index: Index, build) -> list:
    query = index.create_query()
    build(query)
    return index.query(query)


def needed_shards(query: str, shards: int, theme: Optional[str] = None, table: str = "") -> set[int]:
    needed = {shard_of(t.token, shards) for term in query_terms(query, table) for t in query_tokens(term)}
    if theme:
        needed.add(shard_of(theme, shards))
    return needed


def pack(data) -> bytes:
    """Shards and documents are stored gzip-compressed (fixed mtime, so builds are byte-identical)
    as .bin files: no web server assumes an encoding for .bin, so the browser always receives these
    bytes and unpacks them itself (DecompressionStream), as Pagefind does with its own files."""
    return _gzip(_dump(data))


def _dump(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, 6, mtime=0)  # level 9 takes 70% longer for 0.2% fewer bytes


def unpack(data: bytes):
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return json.loads(data.decode("utf-8"))


def _search_doc(entry: SiteStory) -> dict:
    """What a result shows and what the browser checks a result against: the snippet text (核心提示,
    paragraphs, captions) and the rest of the searchable text (`more`: kicker, subtitle, byline,
    headings, data box, credits, keywords, themes). `cut` when the text was too long to keep
    whole: the browser then trusts the index."""
    story = entry.story
    text = "\n".join(filter(None, [*story.summary, *story.paragraphs, *(c.text for c in story.captions)]))
    more = "\n".join(filter(None, [story.kicker, story.subtitle, story.byline, *story.slogans,
                                   *(s.heading for s in story.sections), story.data_title,
                                   *(f"{d.label} {d.value or ''}" for d in story.data),
                                   *(c.credit for c in story.captions), *story.keywords, *(t.name for t in entry.themes)]))
    photo = next((p for p in story.photos if p.image is not None), None)
    doc = {"title": entry.title, "url": entry.url, "date": entry.date.display, "iso": entry.date.iso,
           "column": story.column, "page": entry.site_page.label,
           "thumb": {"webp": photo.image.sizes[0].webp, "jpeg": photo.image.sizes[0].jpeg,
                     "w": photo.image.sizes[0].width, "h": photo.image.sizes[0].height} if photo else None,
           "text": text[:SNIPPET_TEXT_CHARS], "more": more[:SNIPPET_TEXT_CHARS]}
    if len(text) > SNIPPET_TEXT_CHARS or len(more) > SNIPPET_TEXT_CHARS:
        doc["cut"] = True
    return doc


def doc_text(doc: dict) -> str:
    """All the text a search doc holds, as the browser checks it."""
    return "\n".join((doc["title"], doc["text"], doc.get("more", "")))


def year_ranges(site: Site) -> list[list[int]]:
    """[year, first ref, last ref] per year: refs run newest page first, so a year's stories are
    consecutive and date order is ref order (the browser sorts and filters by date with these)."""
    ranges: list[list[int]] = []
    for ref, entry in enumerate(site.latest):
        year = entry.date.year
        if ranges and ranges[-1][0] == year:
            ranges[-1][2] = ref
        else:
            ranges.append([year, ref, ref])
    return ranges


def _write_packed(out: Path, path: str, data: bytes, memo=None, digest=None) -> None:
    (out / path).write_bytes(_gzip(data))
    if digest is not None:
        memo.record(digest, path, out)


def write_index(site: Site, out: Path, content: Path, seg=None, memo=None, numbers: Optional[TermNumbers] = None) -> dict:
    """Build the index and write search/index/meta.json, search/index/lengths.bin (field
    lengths), search/index/<k>.bin (shards) and search/docs/<ref>.bin (what a result shows).
    Returns figures for the build report and bench. Compression runs on two threads (zlib lets
    go of the GIL). With `memo` (render.RenderMemo), a shard or result file that has not changed
    is linked from the previous site. `written` counts the shards this build wrote, and
    `compact_bytes` their uncompressed bytes."""
    from concurrent.futures import ThreadPoolExecutor

    if seg is None:
        seg = segment.Segmenter(lambda: segment.tokenizer(segment.user_dict_path(content)))
    ix = build_index(site, seg, numbers)
    used = ix.used_terms()
    shards = shard_count(ix, used)
    site_chars = {ch for term in used for ch in term}
    meta = {
        "version": LUNR_VERSION,
        "format": 3,
        "fields": ix.fields,
        "boosts": [float(bst) for _, bst in FIELDS],
        "searchFields": SEARCH_FIELDS,
        "shards": shards,
        "docs": ix.docs,
        "wholeWordBoost": WHOLE_WORD_BOOST,
        "fold": "".join(f"{t}{s}" for t, s in fold_table(site_chars).items()),
        "years": year_ranges(site),
    }
    folder = out / "search" / "index"
    folder.mkdir(parents=True, exist_ok=True)
    docs = out / "search" / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    files = []
    compact_bytes = written = 0

    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = []

        def emit(kind: str, path: str, key, data) -> int:
            """Write `data()` to `path` unless the memo keeps the previous file; bytes written."""
            files.append(path)
            digest = None
            if memo is not None:
                digest = memo.lookup(kind, path, key, out)
                if digest is None:
                    return 0
            packed = data()
            jobs.append(pool.submit(_write_packed, out, path, packed, memo, digest))
            return len(packed)

        lengths = ix.lengths.ravel().tolist()
        emit("search-lengths", "search/index/lengths.bin", lengths, lambda: _dump(lengths))
        for k, columns in enumerate(_shard_columns(ix, shards)):
            key = _shard_key(*columns) if memo is not None else None
            size = emit("search-shard", f"search/index/{k}.bin", key, lambda c=columns: _dump(_shard_json(*c)))
            compact_bytes += size
            written += size > 0
        for ref, entry in enumerate(site.latest):
            doc = _search_doc(entry)
            emit("search-doc", f"search/docs/{ref}.bin", doc, lambda d=doc: _dump(d))
        for job in jobs:
            job.result()
    (folder / "meta.json").write_text(_dump(meta).decode("utf-8"), encoding="utf-8")
    files.append("search/index/meta.json")
    return {"files": files, "compact_bytes": compact_bytes, "shards": shards, "written": written, "terms": len(used), "meta": meta}
