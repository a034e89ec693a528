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

Partitioning. The full index is built once with lunr.py, then split by the first character of each
term into shards (a term's postings and its entries in the field vectors). The browser loads only
the shards its query needs and merges them into one lunr index; since lunr scores a document by
the dot product of the query vector with the document's field vectors, the merged index scores
every query exactly as the full index does (tests/test_search.py checks this).
"""
from __future__ import annotations

import gzip
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from lunr.builder import Builder
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


def _is_cjk(ch: str) -> bool:
    return bool(re.match(f"[{CJK}]", ch))


_WORD3_RE = re.compile(f"^[{CJK}]{{3,}}$")


def index_tokens(text: str, seg) -> list[str]:
    """The tokens indexed for `text` (see the module docstring). `seg` is a segment.Segmenter
    (or a jieba tokenizer)."""
    seg = segment.as_segmenter(seg)
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
    tokens.extend(fold(w) for w in seg.search_words(text) if _WORD3_RE.match(w))
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


def shard_of(term: str, shards: int) -> int:
    return ord(term[0]) % shards


def story_fields(entry: SiteStory, seg) -> dict[str, list[str]]:
    from .themes import story_texts

    story = entry.story
    texts = story_texts(story)
    texts["title"] = entry.title
    fields = {name: index_tokens(text, seg) if text else [] for name, text in texts.items()}
    fields["keywords"] = [t for k in story.keywords for t in index_tokens(k, seg)]
    fields["themes"] = [t for theme in entry.themes for t in index_tokens(theme.name, seg)]
    fields["theme"] = [t.slug for t in entry.themes]
    return fields


class CountingBuilder(Builder):
    """lunr.py's Builder, made fast for long Chinese fields, with the same result.

    Builder.add wraps every token occurrence in a Token with a deep-copied metadata dict, and
    _create_field_vectors inserts each field's terms into a sorted vector in first-seen order
    (quadratic for fields of thousands of terms). With an empty pipeline and no metadata, the same
    inverted index, term frequencies, field lengths and vectors come from counting each field's
    tokens and inserting terms in index order. tests/test_search.py checks that the serialised
    index equals stock lunr.py's, byte for byte."""

    def add(self, doc, attributes=None):
        from collections import Counter

        from lunr.field_ref import FieldRef

        doc_ref = str(doc[self._ref])
        self._documents[doc_ref] = attributes or {}
        self.document_count += 1
        for field_name in self._fields:
            tokens = [str(t).lower() for t in (doc[field_name] or [])]
            field_ref = str(FieldRef(doc_ref, field_name))
            counts = Counter(tokens)  # keeps first-seen order, as the per-token loop did
            self.field_term_frequencies[field_ref] = counts
            self.field_lengths[field_ref] = len(tokens)
            for term in counts:
                posting = self.inverted_index.get(term)
                if posting is None:
                    posting = {name: {} for name in self._fields}
                    posting["_index"] = self.term_index
                    self.term_index += 1
                    self.inverted_index[term] = posting
                posting[field_name].setdefault(doc_ref, {})

    def _create_field_vectors(self):
        """lunr.py's BM25 expression, term by term in index order, each vector handed to Vector
        whole (Vector.insert searches for every element's place)."""
        from lunr.field_ref import FieldRef
        from lunr.idf import idf as lunr_idf
        from lunr.vector import Vector

        k1, b = self._k1, self._b
        idf_cache: dict = {}
        vectors = {}
        for field_ref, counts in self.field_term_frequencies.items():
            ref = FieldRef.from_string(field_ref)
            field_name = ref.field_name
            field_length = self.field_lengths[field_ref]
            field_boost = self._fields[field_name].boost
            doc_boost = self._documents[ref.doc_ref].get("boost", 1)
            avg = self.average_field_length[field_name]
            elements = []
            for index, term, tf in sorted((self.inverted_index[t]["_index"], t, tf) for t, tf in counts.items()):
                idf = idf_cache.get(term)
                if idf is None:
                    idf = idf_cache[term] = lunr_idf(self.inverted_index[term], self.document_count)
                score = idf * ((k1 + 1) * tf) / (k1 * (1 - b + b * (field_length / avg)) + tf)
                score *= field_boost
                score *= doc_boost
                elements.extend((index, round(score, 3)))
            vectors[field_ref] = Vector(elements)
        self.field_vectors = vectors


def build_full_index(site: Site, seg, builder_class=None) -> dict:
    seg = segment.as_segmenter(seg)
    builder = (builder_class or CountingBuilder)()
    builder.pipeline.reset()
    builder.search_pipeline.reset()
    builder.ref("id")
    for name, boost in FIELDS:
        builder.field(name, boost=boost)
    for ref, entry in enumerate(site.latest):
        doc = {"id": str(ref)}
        doc.update(story_fields(entry, seg))
        builder.add(doc)
    return builder.build().serialize()


def fold_table(site_chars: set[str]) -> dict[str, str]:
    """Traditional → Simplified for characters that matter: the Simplified form occurs in the
    archive, and the Traditional form itself does not (乾隆 keeps its 乾 if the archive has it)."""
    return {t: s for t, s in sorted(t2s_table().items()) if s in site_chars and t not in site_chars}


def estimate_compact_bytes(full: dict) -> int:
    """About how many bytes shard_index's output takes, from counts (serialising the index just
    to measure it costs seconds): each posting, document reference and vector entry."""
    total = 0
    for term, posting in full["invertedIndex"]:
        total += 3 * len(term) + 10
        for name in full["fields"]:
            refs = posting.get(name)
            if refs:
                total += 3 + sum(len(r) + 1 for r in refs)
    for field_ref, elements in full["fieldVectors"]:
        total += len(field_ref) + 6 + 6 * len(elements)
    return total


def shard_index(full: dict, shards: int) -> list[dict]:
    """Split the full lunr index by the first character of each term. Shards use a compact
    transport form (lunr lists every field in every posting, empty or not):
    postings ``[term, termIndex, [fieldNo, ref, ref…], …]`` and vectors ``[fieldNo, ref, [termIndex,
    score, …]]``; merge_shards (and search.js) expand them back into lunr's own format."""
    fields = full["fields"]
    parts = [{"p": [], "v": []} for _ in range(shards)]
    term_shard = {}
    for term, posting in full["invertedIndex"]:
        k = shard_of(term, shards)
        term_shard[posting["_index"]] = k
        entry = [term, posting["_index"]]
        for n, name in enumerate(fields):
            refs = posting.get(name) or {}
            if refs:
                entry.append([n] + [int(r) for r in refs])
        parts[k]["p"].append(entry)
    for field_ref, elements in full["fieldVectors"]:
        name, ref = field_ref.split("/", 1)
        split: dict[int, list] = {}
        for i in range(0, len(elements), 2):
            split.setdefault(term_shard[elements[i]], []).extend(elements[i : i + 2])
        for k, els in split.items():
            parts[k]["v"].append([fields.index(name), int(ref), els])
    return parts


def merge_shards(meta: dict, parts: Iterable[dict]) -> dict:
    """Shards → one serialised lunr index (search.js does the same in the browser)."""
    fields = meta["fields"]
    inverted, vectors = [], {}
    for part in parts:
        for term, index, *postings in part["p"]:
            posting = {"_index": index}
            for name in fields:
                posting[name] = {}
            for field_no, *refs in postings:
                posting[fields[field_no]] = {str(r): {} for r in refs}
            inverted.append([term, posting])
        for field_no, ref, elements in part["v"]:
            vectors.setdefault(f"{fields[field_no]}/{ref}", []).extend(elements)
    merged_vectors = []
    for field_ref in sorted(vectors):
        els = vectors[field_ref]
        pairs = sorted(zip(els[0::2], els[1::2]))
        merged_vectors.append([field_ref, [x for pair in pairs for x in pair]])
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
    return gzip.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 9, mtime=0)


def unpack(data: bytes):
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return json.loads(data.decode("utf-8"))


def write_index(site: Site, out: Path, content: Path, seg=None) -> dict:
    """Build the index and write search/index/meta.json, search/index/<k>.bin (shards) and
    search/docs/<ref>.bin (what a result shows). Returns figures for the build report and bench."""
    if seg is None:
        seg = segment.Segmenter(lambda: segment.tokenizer(segment.user_dict_path(content)))
    full = build_full_index(site, seg)
    seg.memo.clear()  # every text has been indexed; a large archive's words are hundreds of MB
    shards = max(1, min(MAX_SHARDS, math.ceil(estimate_compact_bytes(full) / TARGET_SHARD_BYTES)))
    site_chars = {ch for term, _ in full["invertedIndex"] for ch in term}
    meta = {
        "version": full["version"],
        "fields": full["fields"],
        "searchFields": SEARCH_FIELDS,
        "shards": shards,
        "docs": len(site.latest),
        "wholeWordBoost": WHOLE_WORD_BOOST,
        "fold": "".join(f"{t}{s}" for t, s in fold_table(site_chars).items()),
    }
    folder = out / "search" / "index"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    compact_bytes = 0
    for k, part in enumerate(shard_index(full, shards)):
        data = json.dumps(part, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        compact_bytes += len(data)
        (folder / f"{k}.bin").write_bytes(gzip.compress(data, 9, mtime=0))
        files.append(f"search/index/{k}.bin")
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    files.append("search/index/meta.json")
    docs = out / "search" / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for ref, entry in enumerate(site.latest):
        story = entry.story
        text = "\n".join(filter(None, [*story.summary, *story.paragraphs, *(c.text for c in story.captions)]))
        doc = {
            "title": entry.title,
            "url": entry.url,
            "date": entry.date.display,
            "iso": entry.date.iso,
            "column": story.column,
            "text": text[:SNIPPET_TEXT_CHARS],
        }
        (docs / f"{ref}.bin").write_bytes(pack(doc))
        files.append(f"search/docs/{ref}.bin")
    return {"files": files, "compact_bytes": compact_bytes, "shards": shards,
            "terms": len(full["invertedIndex"]), "meta": meta}
