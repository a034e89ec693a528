"""Reading the index as the browser does, in Python: weights, the merge of shards into one lunr
index, and the search itself. The tests use these to check the written index against stock
lunr.py (weight for weight) and search.js against Python (result for result).

Weights. The index stores counts, never weights: a BM25 weight depends on the number of stories
and on every field's average length, which every edit moves, so stored weights would make every
edit rewrite every shard. lunr_weight computes a weight with lunr.py's Builder operations in its
order; search.js repeats them. Since lunr scores a story by the dot product of the query vector
with the story's field vectors, the index merged from the shards a query needs scores that query
exactly as the whole index does.
"""
from __future__ import annotations

import json
import math
from typing import Iterable, Optional

from lunr.index import Index
from lunr.query import QueryPresence

from ..normalize import t2s_table
from .shards import SEARCH_FIELDS, shard_of, shards_of_prefix
from .tokens import holds_terms, query_terms, query_tokens

K1, B = 1.2, 0.75  # lunr's BM25 parameters (search.js has the same)


def lunr_weight(docs: int, df: int, tf: int, length: int, avg: float, boost: float) -> float:
    """One posting's weight, with lunr.py's Builder operations in its order (search.js repeats
    them): idf from the document count and the term's postings in all fields, BM25 against the
    field's average length, the field boost, rounded to three places."""
    idf = math.log(1 + abs((docs - df + 0.5) / (df + 0.5)))
    score = idf * ((K1 + 1) * tf) / (K1 * (1 - B + B * (length / avg)) + tf)
    score *= boost
    return round(score, 3)


def fold_table(site_chars: Iterable[str]) -> dict[str, str]:
    """Traditional → Simplified for characters that matter: the Simplified form occurs in the
    archive, and the Traditional form itself does not (乾隆 keeps its 乾 if the archive has it)."""
    site_chars = set(site_chars)
    return {t: s for t, s in sorted(t2s_table().items()) if s in site_chars and t not in site_chars}


def merge_shards(meta: dict, parts: Iterable[dict], lengths: dict[int, list]) -> dict:
    """Shards → one serialised lunr index, weighing each posting as lunr.py's Builder does
    (lunr_weight) from its count, its field's length in its document (`lengths`: ref → the
    document's field lengths, from the blocks of lengths) and the term's posting count (search.js
    does the same in the browser). Terms are numbered in text order, so any set of shards numbers
    its terms in the same relative order and scores a query exactly as all shards do."""
    fields, docs, boosts = meta["fields"], meta["docs"], meta["boosts"]
    avg = [total / (docs or 1) for total in meta["lengths"]]
    parts = [p for p in parts if p]
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
                weight = lunr_weight(docs, n, c, lengths[doc][f], avg[f], boosts[f])
                vectors.setdefault(f"{fields[f]}/{doc}", []).append((index, weight))
            j += n
            inverted.append([term, posting])
    merged_vectors = [[ref, [x for pair in sorted(vectors[ref]) for x in pair]] for ref in sorted(vectors)]
    inverted.sort(key=lambda e: e[0])
    return {"version": meta["version"], "fields": fields, "fieldVectors": merged_vectors, "invertedIndex": inverted, "pipeline": []}


def needed_shards(query: str, meta: dict, theme: Optional[str] = None, table: str = "") -> set[int]:
    """The shards a query reads (search.js asks for the same)."""
    groups, subs = meta["groups"], meta["subs"]
    needed = set()
    for term in query_terms(query, table):
        for t in query_tokens(term):
            needed.update(shards_of_prefix(t.token, groups, subs) if t.wildcard else [shard_of(t.token, groups, subs)])
    if theme:
        needed.add(shard_of(theme, groups, subs))
    return needed


def python_search(index: Index, query: str, theme: Optional[str] = None, table: str = "",
                  docs: Optional[dict] = None) -> list[tuple[str, int, float]]:
    """The browser's search in Python, for tests: one lunr query per term, the stories every term
    matches, by their summed score, then newest first; with `docs` (ref → search doc), only those
    whose text holds every term as typed (the browser's check before it shows a result). Returns
    (ref, terms, score)."""
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

        query_obj = index.create_query()
        build(query_obj)
        for result in index.query(query_obj):
            entry = combined.setdefault(result["ref"], [0, 0.0])
            entry[0] += 1
            entry[1] += result["score"]
    ranked = sorted(((ref, n, score) for ref, (n, score) in combined.items() if n == len(terms)),
                    key=lambda r: (-round(r[2], 6), -int(r[0])))
    if docs is not None:
        ranked = [r for r in ranked if docs[int(r[0])].get("cut") or holds_terms(doc_text(docs[int(r[0])]), terms)]
    return ranked


def doc_text(doc: dict) -> str:
    """All the text a search doc holds, as the browser checks it."""
    return "\n".join((doc["title"], doc["text"], doc.get("more", "")))


def read_docs(out) -> dict:
    """Every story's search document in a built site, by story number, read from its blocks of
    documents (docs/<b>.bin, [[ref, doc], …]) as the browser reads them."""
    import gzip
    from pathlib import Path

    found = {}
    for path in sorted((Path(out) / "search" / "docs").glob("*.bin")):
        data = path.read_bytes()
        for ref, doc in json.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data):
            found[ref] = doc
    return found
