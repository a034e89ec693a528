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
page cache). build_index then does what lunr.py's Builder does (term numbering, BM25 weights) for
all postings at once with numpy; the result is lunr.py's own index, byte for byte (to_lunr against
stock lunr.py in tests/test_search.py), at a fraction of the time and memory.

Partitioning. The index is split by the first character of each term into shards (a term's
postings and its entries in the field vectors). The browser loads only the shards its query needs
and merges them into one lunr index; since lunr scores a document by the dot product of the query
vector with the document's field vectors, the merged index scores every query exactly as the full
index does (tests/test_search.py checks this).
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
    """The whole lunr index as flat arrays, one row per (term, field, document) posting: what the
    shards are cut from. `terms[i]` is the term with lunr's term index i; `score` is the posting's
    BM25 weight in thousandths (lunr rounds weights to three places)."""

    fields: list
    terms: list
    doc: np.ndarray
    field: np.ndarray
    term: np.ndarray
    score: np.ndarray
    docs: int


def _lunr_round_milli(score):
    """round(score, 3) * 1000 as integers, exactly as Python rounds (lunr.py's Vector.serialize):
    rint on the scaled value, except where it lies within a hair of .5, which Python decides."""
    scaled = score * 1000
    milli = np.rint(scaled)
    near = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    for i in near.tolist():
        milli[i] = round(round(float(score[i]), 3) * 1000)
    return milli.astype(np.int64)


def build_index(site: Site, seg=None) -> IndexArrays:
    """lunr.py's Builder, vectorised. For each document and field lunr counts term frequencies,
    numbers terms in first-seen order, and weighs each posting with BM25 (k1 1.2, b 0.75, idf
    from the postings in all fields, the field's boost). Here the counts come from the pages (the
    workers counted them), and the weights are computed for all postings at once with numpy.
    tests/test_search.py checks the result against stock lunr.py, byte for byte."""
    seg = segment.as_segmenter(seg) if seg is not None else None
    names = [name for name, _ in FIELDS]
    vocab: dict[str, int] = {}
    raw_parts, tf_parts, lengths, sizes = [], [], [], []
    for entry in site.latest:
        per_field = entry.story.index_terms
        if per_field is None:
            per_field = story_terms(entry.story, entry.title, seg)
        counted = dict(per_field)
        counted.update((name, TermCounts.of(tokens)) for name, tokens in _global_fields(entry).items())
        # one document's fields at once: one split, one lookup pass, one array
        fields = [counted[name] for name in names]
        terms = "\0".join(tc.terms for tc in fields if tc.terms).split("\0") if any(tc.terms for tc in fields) else []
        missing = set(terms).difference(vocab)
        for t in sorted(missing):
            vocab[t] = len(vocab)
        raw_parts.append(np.fromiter(map(vocab.__getitem__, terms), np.int32, len(terms)))
        counts = array("I")
        for tc in fields:
            counts.extend(tc.counts)
            sizes.append(len(tc.counts))
            lengths.append(sum(tc.counts))
        tf_parts.append(np.frombuffer(counts, dtype=np.uint32) if counts else np.zeros(0, np.uint32))
    docs = len(site.latest)
    n_fields = len(names)
    sizes_a = np.asarray(sizes, dtype=np.int64)
    raw = np.concatenate(raw_parts) if raw_parts else np.zeros(0, np.int32)
    tf = np.concatenate(tf_parts).astype(np.float64) if tf_parts else np.zeros(0)
    chunk = np.arange(len(sizes), dtype=np.int64)
    doc = np.repeat(chunk // n_fields, sizes_a).astype(np.int32)
    fld = np.repeat(chunk % n_fields, sizes_a).astype(np.int8)
    length = np.repeat(np.asarray(lengths, dtype=np.float64), sizes_a)
    # lunr numbers terms in the order it first meets them
    uniq, first = np.unique(raw, return_index=True)
    order = uniq[np.argsort(first, kind="stable")]
    lunr_of_raw = np.empty(len(vocab), dtype=np.int32)
    lunr_of_raw[order] = np.arange(len(order), dtype=np.int32)
    term = lunr_of_raw[raw]
    by_raw = list(vocab)
    terms = [by_raw[r] for r in order.tolist()]
    # BM25 with lunr.py's operations in lunr.py's order (float64 throughout, as Python floats)
    k1, b = 1.2, 0.75
    df = np.bincount(term, minlength=len(terms))
    idf_of = {d: math.log(1 + abs((docs - d + 0.5) / (d + 0.5))) for d in np.unique(df).tolist()}
    idf = np.array([idf_of[d] for d in df.tolist()], dtype=np.float64) if len(terms) else np.zeros(0)
    totals = np.asarray(lengths, dtype=np.int64).reshape(-1, n_fields).sum(axis=0)  # lengths go doc by doc, field by field
    avg = totals / docs if docs else np.zeros(n_fields)
    boost = np.array([float(bst) for _, bst in FIELDS])
    score = idf[term] * ((k1 + 1) * tf) / (k1 * (1 - b + b * (length / avg[fld])) + tf)
    score = score * boost[fld]
    return IndexArrays(names, terms, doc, fld, term, _lunr_round_milli(score), docs)


def to_lunr(ix: IndexArrays) -> dict:
    """The index in lunr's serialised form, as lunr.py's Index.serialize writes it."""
    from lunr import __TARGET_JS_VERSION__

    postings: dict[int, dict] = {}
    vectors: dict[str, list] = {f"{name}/{d}": [] for d in range(ix.docs) for name in ix.fields}
    order = np.lexsort((ix.term, ix.field, ix.doc))
    for d, f, t, s in zip(ix.doc[order].tolist(), ix.field[order].tolist(), ix.term[order].tolist(), ix.score[order].tolist()):
        posting = postings.get(t)
        if posting is None:
            posting = postings[t] = {**{name: {} for name in ix.fields}, "_index": t}
        posting[ix.fields[f]][str(d)] = {}
        vectors[f"{ix.fields[f]}/{d}"].extend((t, s / 1000))
    inverted = sorted(([ix.terms[t], p] for t, p in postings.items()), key=lambda e: e[0])
    return {"version": __TARGET_JS_VERSION__, "fields": list(ix.fields), "fieldVectors": [[k, v] for k, v in vectors.items()],
            "invertedIndex": inverted, "pipeline": []}


def fold_table(site_chars: set[str]) -> dict[str, str]:
    """Traditional → Simplified for characters that matter: the Simplified form occurs in the
    archive, and the Traditional form itself does not (乾隆 keeps its 乾 if the archive has it)."""
    return {t: s for t, s in sorted(t2s_table().items()) if s in site_chars and t not in site_chars}


def shard_of(term: str, shards: int) -> int:
    return ord(term[0]) % shards


def shard_count(ix: IndexArrays) -> int:
    """Enough shards that each holds about TARGET_SHARD_BYTES of JSON, estimated from counts: a
    term costs its text and index, a posting its field, document delta and weight."""
    estimate = sum(3 * len(t) + 10 for t in ix.terms) + 9 * len(ix.doc)
    return max(1, min(MAX_SHARDS, math.ceil(estimate / TARGET_SHARD_BYTES)))


def shard_index(ix: IndexArrays, shards: int) -> list[dict]:
    """Split the index by the first character of each term. A shard is columnar JSON:
    ``t`` its terms (sorted), ``i`` their lunr term indexes, ``n`` how many postings each has;
    then per posting, in term, field, document order, ``f`` the field number, ``d`` the document
    (as the gap from the previous posting of the same term and field, else absolute) and ``w``
    the weight in thousandths. A posting is both an inverted-index entry and a field-vector
    element, so this is all lunr's index holds; merge_shards (and search.js) expand it back."""
    return [_shard_json(*columns) for columns in _shard_columns(ix, shards)]


def _shard_columns(ix: IndexArrays, shards: int):
    """Each shard's columns: its terms (text and lunr index), their posting counts, and per
    posting the field, document gap and weight (see shard_index)."""
    term_shard = np.array([shard_of(t, shards) for t in ix.terms], dtype=np.int32)
    rank = np.empty(len(ix.terms), dtype=np.int32)
    rank[np.argsort(np.array(ix.terms, dtype=object), kind="stable")] = np.arange(len(ix.terms), dtype=np.int32)
    order = np.lexsort((ix.doc, ix.field, rank[ix.term], term_shard[ix.term]))
    term = ix.term[order]
    field = ix.field[order]
    doc = ix.doc[order]
    weight = ix.score[order]
    same = np.zeros(len(term), dtype=bool)
    same[1:] = (term[1:] == term[:-1]) & (field[1:] == field[:-1])
    gap = doc.astype(np.int64)
    gap[1:] = np.where(same[1:], doc[1:].astype(np.int64) - doc[:-1], gap[1:])
    bounds = np.searchsorted(term_shard[term], np.arange(shards + 1))
    for k in range(shards):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        t = term[lo:hi]
        if hi > lo:
            starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
            distinct = t[starts]
            counts = np.diff(np.r_[starts, hi - lo])
        else:
            distinct, counts = t[:0], t[:0]
        yield [ix.terms[i] for i in distinct.tolist()], distinct, counts, field[lo:hi], gap[lo:hi], weight[lo:hi]


def _shard_json(terms, distinct, counts, field, gap, weight) -> dict:
    return {"t": terms, "i": distinct.tolist(), "n": counts.tolist(), "f": field.tolist(), "d": gap.tolist(), "w": weight.tolist()}


def _shard_key(terms, *arrays) -> bytes:
    """Everything a shard holds, as bytes, for the render memo: a rebuild keeps an unchanged
    shard without dumping or compressing it."""
    parts = ["\0".join(terms).encode("utf-8")] + [np.ascontiguousarray(a, dtype=np.int64).tobytes() for a in arrays]
    return hashlib.sha256(b"\1".join(parts)).digest()


def merge_shards(meta: dict, parts: Iterable[dict]) -> dict:
    """Shards → one serialised lunr index (search.js does the same in the browser)."""
    fields = meta["fields"]
    inverted, vectors = [], {}
    for part in parts:
        j = 0
        for term, index, n in zip(part["t"], part["i"], part["n"]):
            posting = {**{name: {} for name in fields}, "_index": index}
            doc = prev_field = None
            for f, d, w in zip(part["f"][j : j + n], part["d"][j : j + n], part["w"][j : j + n]):
                doc = doc + d if f == prev_field else d
                prev_field = f
                posting[fields[f]][str(doc)] = {}
                vectors.setdefault(f"{fields[f]}/{doc}", []).append((index, w / 1000))
            j += n
            inverted.append([term, posting])
    merged_vectors = [[ref, [x for pair in sorted(vectors[ref]) for x in pair]] for ref in sorted(vectors)]
    inverted.sort(key=lambda e: e[0])
    return {"version": meta["version"], "fields": fields, "fieldVectors": merged_vectors, "invertedIndex": inverted, "pipeline": []}


def fold_query(query: str, table: str = "") -> str:
    """The browser's query folding: widths and case, then Traditional → Simplified."""
    pairs = dict(zip(table[0::2], table[1::2]))
    return "".join(pairs.get(ch, ch) for ch in fold(query))


def python_search(index: Index, query: str, theme: Optional[str] = None, table: str = "") -> list[tuple[str, int, float]]:
    """The browser's search in Python, for tests: one lunr query per space-separated term,
    combined so documents holding more terms come first. Returns (ref, terms matched, score)."""
    combined: dict[str, list] = {}
    for term in fold_query(query, table).split():
        tokens = query_tokens(term)
        if not tokens:
            continue

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
    ranked = sorted(combined.items(), key=lambda kv: (-kv[1][0], -round(kv[1][1], 6), int(kv[0])))
    return [(ref, n, score) for ref, (n, score) in ranked]


def _run(index: Index, build) -> list:
    query = index.create_query()
    build(query)
    return index.query(query)


def needed_shards(query: str, shards: int, theme: Optional[str] = None, table: str = "") -> set[int]:
    needed = {shard_of(t.token, shards) for term in fold_query(query, table).split() for t in query_tokens(term)}
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
    story = entry.story
    text = "\n".join(filter(None, [*story.summary, *story.paragraphs, *(c.text for c in story.captions)]))
    return {"title": entry.title, "url": entry.url, "date": entry.date.display, "iso": entry.date.iso,
            "column": story.column, "text": text[:SNIPPET_TEXT_CHARS]}


def _write_packed(out: Path, path: str, data: bytes, memo=None, digest=None) -> None:
    (out / path).write_bytes(_gzip(data))
    if digest is not None:
        memo.record(digest, path, out)


def write_index(site: Site, out: Path, content: Path, seg=None, memo=None) -> dict:
    """Build the index and write search/index/meta.json, search/index/<k>.bin (shards) and
    search/docs/<ref>.bin (what a result shows). Returns figures for the build report and bench.
    Compression runs on two threads (zlib lets go of the GIL). With `memo` (render.RenderMemo), a
    shard or result file that has not changed is linked from the previous site (an edit moves
    the archive's average field lengths, and with them rounded weights in about 40 % of the
    shards). `compact_bytes` counts the uncompressed shards this build wrote."""
    from concurrent.futures import ThreadPoolExecutor

    if seg is None:
        seg = segment.Segmenter(lambda: segment.tokenizer(segment.user_dict_path(content)))
    ix = build_index(site, seg)
    shards = shard_count(ix)
    site_chars = {ch for term in ix.terms for ch in term}
    meta = {
        "version": LUNR_VERSION,
        "format": 2,
        "fields": ix.fields,
        "searchFields": SEARCH_FIELDS,
        "shards": shards,
        "docs": ix.docs,
        "wholeWordBoost": WHOLE_WORD_BOOST,
        "fold": "".join(f"{t}{s}" for t, s in fold_table(site_chars).items()),
    }
    folder = out / "search" / "index"
    folder.mkdir(parents=True, exist_ok=True)
    docs = out / "search" / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    files = []
    compact_bytes = 0

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

        for k, columns in enumerate(_shard_columns(ix, shards)):
            key = _shard_key(*columns) if memo is not None else None
            compact_bytes += emit("search-shard", f"search/index/{k}.bin", key, lambda c=columns: _dump(_shard_json(*c)))
        for ref, entry in enumerate(site.latest):
            doc = _search_doc(entry)
            emit("search-doc", f"search/docs/{ref}.bin", doc, lambda d=doc: _dump(d))
        for job in jobs:
            job.result()
    (folder / "meta.json").write_text(_dump(meta).decode("utf-8"), encoding="utf-8")
    files.append("search/index/meta.json")
    return {"files": files, "compact_bytes": compact_bytes, "shards": shards, "terms": len(ix.terms), "meta": meta}
