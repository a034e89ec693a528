"""Writing the index: afresh (a cold build, or when the shard layout changes as the archive doubles)
or by patching the shards a change touched.

Afresh: every story's postings go, in one pass over the store, into bucket files by shard range
(temporary, beside the staging folder), then each bucket is sorted and cut into shards: memory holds
one bucket, never the whole index.

Patching: the build store keeps, per story, its number, its field lengths and the shards its
postings are in, each with a hash of its postings there (table ``search``). A story that changed
(its text, keywords, themes, number, or it is gone) is taken out of the shards whose hash changed
and put in again with its new postings there; only those shards are read (from the published
site), changed and written, with the blocks of lengths of its old and new number. An edit that
adds a sentence thus rewrites the shards of the terms it added or whose counts it changed, not
every shard the story is in. What it removes tells the aggregates what to subtract (its field
lengths, its characters), so nothing is counted over the whole archive again.
"""
from __future__ import annotations

import gzip
import json
import pickle
import tempfile
import zlib
from collections import Counter
from pathlib import Path
from typing import Iterable, Optional

import numpy as np

from ..store import rows_of
from .index import fold_table
from .shards import (FIELD_NAMES, FIELDS, LUNR_VERSION, SEARCH_FIELDS, SHARD_FORMAT, TEXT_FIELDS, Postings, blocks_for, code_points,
                     decode, doc_block, doc_blocks_for, dump, encode, encode_lengths, posting_hashes, shards_of, sizes)
from .tokens import WHOLE_WORD_BOOST, archive_fields

SNIPPET_TEXT_CHARS = 20_000
BUCKET_POSTINGS = 2_000_000  # postings sorted at once when the index is written afresh
FLUSH_POSTINGS = 500_000  # postings held before they go to the bucket files


GZIP_LEVEL = 4  # on the 200 largest shards of a 1,000-page archive (26.6 MB): level 6 takes
# 1.52 s and makes 6.40 MB, level 4 0.31 s and 6.86 MB (+7 %), level 1 0.18 s and 7.61 MB (+19 %);
# a one-page rebuild re-compresses the large shards its story's terms reach, so this is its cost


def pack(data) -> bytes:
    """Shards and documents are stored gzip-compressed (fixed mtime, so builds are byte-identical)
    as .bin files: no web server assumes an encoding for .bin, so the browser always receives these
    bytes and unpacks them itself (DecompressionStream), as Pagefind does with its own files."""
    return pack_text(dump(data))


def pack_text(text: bytes) -> bytes:
    return gzip.compress(text, GZIP_LEVEL, mtime=0)


def unpack_file(data: bytes):
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return json.loads(data.decode("utf-8"))


class _Story:
    """One story's postings: tokens per field with counts, and each field's length."""

    __slots__ = ("key", "ref", "terms", "field", "count", "lengths", "_postings")

    def __init__(self, key, ref, fields: dict):
        self.key, self.ref = key, ref
        self._postings = None
        terms, field, count = [], [], []
        self.lengths = []
        for f, name in enumerate(FIELD_NAMES):
            words, counts = fields.get(name, ((), ()))
            self.lengths.append(int(sum(counts)))
            terms.extend(words)
            field.extend([f] * len(words))
            count.extend(counts)
        self.terms, self.field, self.count = terms, field, count

    def postings(self, mask=None) -> Postings:
        p = self._postings
        if p is None:  # (made once: a story's terms reach many shards)
            terms = np.asarray(self.terms, dtype=object)
            field, count = (np.asarray(a, dtype=np.int64) for a in (self.field, self.count))
            p = self._postings = Postings(terms, field, np.full(len(self.terms), self.ref, dtype=np.int64), count)
        return p if mask is None else p.select(mask)

    def placed(self, groups: int, subs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each posting's shard; the shards, ascending; per shard a hash of the story's postings there
        (equal hashes, equal postings: what a patch compares). Computed on code points in numpy,
        not term by term in Python (a cold build places tens of millions of postings)."""
        points = code_points(self.terms)
        shards = shards_of(points, groups, subs)
        hashes = posting_hashes(points, self.field, self.count, self.ref)
        order = np.argsort(shards, kind="stable")
        unique, first = np.unique(shards[order], return_index=True)
        sums = np.add.reduceat(hashes[order], first) if len(first) else np.zeros(0, np.uint64)
        return shards, unique, sums


class Index:
    """The search stage of one build (see the module docstring)."""

    def __init__(self, data, store, writer, out: Path):
        self.data, self.store, self.db = data, store, store.db
        self.writer = writer
        self.out = Path(out)
        self.theme_names = {t.slug: t.name for t in data.themes}
        self.figures = {"written": 0, "shards": 0, "compact_bytes": 0, "afresh": False}

    # -- a story's postings ----------------------------------------------------
    def story(self, row) -> _Story:
        # (the record the search document is made from too: SiteData keeps the last few)
        counted = self.data.record(row.page).stories[row.index].index_terms
        fields = {name: (counted[name].term_list(), list(counted[name].counts)) for name in TEXT_FIELDS}
        themes = [(s, self.theme_names[s]) for s in row.themes if s in self.theme_names]
        for name, tokens in archive_fields(row.keywords, themes).items():
            c = Counter(tokens)
            fields[name] = (list(c), list(c.values()))
        return _Story(row.key, row.ref, fields)

    def _row(self, s: _Story, unique: np.ndarray, sums: np.ndarray) -> tuple:
        return (s.key, s.ref, s.ref % self.blocks, json.dumps(s.lengths), _pack_shards(unique, sums))

    # -- the stage -----------------------------------------------------------------
    def write(self, dirty, published: bool) -> dict:
        params = self._params()
        n_docs = self.store.count("stories")
        slots = self.store.get("search_slots") or 64
        groups, subs = sizes(self.store.count("text_postings"))
        self.groups, self.subs, self.blocks = groups, subs, blocks_for(n_docs)
        self.doc_blocks = doc_blocks_for(n_docs)
        layout = [SHARD_FORMAT, groups, subs, slots, self.blocks, self.doc_blocks]
        afresh = not published or dirty.everything or dirty.search_all or params != layout
        if afresh:
            self._afresh()
        else:
            keys = set(dirty.search) | set(dirty.gone_stories) | set(json.loads(self.store.get("search_pending") or "[]"))
            found = self._rows_of("SELECT key, ref, lengths, shards FROM search WHERE key IN ({})", keys)
            old = {k: (ref, json.loads(lengths), blob) for k, ref, lengths, blob in found}
            news = {}
            for key in sorted(keys):
                row = self.data.story(key)
                if row is not None:
                    news[key] = self.story(row)
            self._patch(news, old)
            self._docs(news, old)
        self.store.set("search_params", json.dumps(layout))
        self.store.set("search_pending", None)
        self._meta(n_docs, slots)
        self.figures.update(shards=groups * subs, afresh=afresh, groups=groups, subs=subs, blocks=self.blocks)
        return self.figures

    def _params(self) -> Optional[list]:
        found = self.store.get("search_params")
        return json.loads(found) if found else None

    def _rows_of(self, sql: str, values: Iterable) -> list:
        return rows_of(self.db, sql, values)

    # -- afresh ----------------------------------------------------------------------
    def _afresh(self) -> None:
        """Every shard, block of lengths and document from the store (see the module docstring)."""
        import shutil

        db = self.db
        total = self.groups * self.subs
        buckets = max(1, min(256, -(-self.store.count("text_postings") // BUCKET_POSTINGS)))
        tmp = Path(tempfile.mkdtemp(prefix=".search-", dir=self.writer.staging.parent))
        files = [open(tmp / f"{b}.pickle", "wb") for b in range(buckets)]
        pending: list = []  # (postings, their shards) of the stories not yet in the bucket files
        held = 0
        chars: Counter = Counter()
        lengths = [0] * len(FIELDS)
        rows = []
        docs: list = []  # (block, ref, document) not yet in the table docs_staging
        try:
            db.execute("DELETE FROM search")
            db.execute("DELETE FROM docs_staging")
            for (key,) in db.execute("SELECT key FROM stories ORDER BY page, idx").fetchall():
                row = self.data.story(key)
                s = self.story(row)
                docs.append((doc_block(row.ref, self.doc_blocks), row.ref, dump(self._doc(row))))
                if len(docs) >= 1000:
                    db.executemany("INSERT INTO docs_staging VALUES (?, ?, ?)", docs)
                    docs = []
                shards, unique, sums = s.placed(self.groups, self.subs)
                for f, n in enumerate(s.lengths):
                    lengths[f] += n
                chars.update(set("".join(s.terms)))
                rows.append(self._row(s, unique, sums))
                pending.append((s.postings(), shards))
                held += len(shards)
                if held > FLUSH_POSTINGS:
                    self._flush(files, pending, total)
                    pending, held = [], 0
                if len(rows) >= 1000:
                    db.executemany("INSERT INTO search VALUES (?, ?, ?, ?, ?)", rows)
                    rows = []
            db.executemany("INSERT INTO search VALUES (?, ?, ?, ?, ?)", rows)
            db.executemany("INSERT INTO docs_staging VALUES (?, ?, ?)", docs)
            self._flush(files, pending, total)
            pending = []
            for fh in files:
                fh.close()
            for b in range(buckets):
                p, vocabulary, shard = _load_bucket(tmp / f"{b}.pickle")
                lo, hi = -(-b * total // buckets), -(-(b + 1) * total // buckets)
                self._emit_range(p, vocabulary, shard, lo, hi)
        finally:
            for fh in files:
                fh.close()
            shutil.rmtree(tmp, ignore_errors=True)
        written = self._write_blocks(range(self.blocks))
        doc_blocks = self._write_doc_blocks()
        # what the published site had beyond this index: its documents, shards and blocks go
        for (grp,) in db.execute("SELECT DISTINCT grp FROM outputs WHERE grp GLOB 'doc*:*' OR grp GLOB 'shard:*' "
                                 "OR grp GLOB 'lengths:*'").fetchall():
            kind, _, n = grp.partition(":")
            if (kind == "doc" or (kind == "docs" and int(n) not in doc_blocks) or (kind == "shard" and int(n) >= total)
                    or (kind == "lengths" and int(n) not in written)):
                self.writer.forget(grp)
        db.execute("DELETE FROM chars")
        db.executemany("INSERT INTO chars VALUES (?, ?)", sorted(chars.items()))
        db.execute("DELETE FROM counts WHERE key GLOB 'len:*'")
        self.store.add_counts({f"len:{f}": n for f, n in enumerate(lengths)})

    def _flush(self, files: list, items: list, total: int) -> None:
        """(postings, their shards) pairs → one pickled record in each bucket file (bucket b holds
        shards b × total / buckets onwards): each term once (a small vocabulary) and per posting
        its code, field, document, count and shard. Split once per flush, not story by story.
        A bucket holds millions of postings; as Python strings, one per posting, its terms were
        most of the search stage's memory (90 bytes a posting against 4 for a code)."""
        if not items:
            return
        p = Postings.concat([postings for postings, _ in items])
        shard = np.concatenate([shards for _, shards in items]).astype(np.int32)
        which = shard.astype(np.int64) * len(files) // total
        order = np.argsort(which, kind="stable")
        bounds = np.searchsorted(which[order], np.arange(len(files) + 1))
        for b, fh in enumerate(files):
            rows = order[bounds[b] : bounds[b + 1]]
            if not len(rows):
                continue
            part = p.select(rows)
            codes: dict = {}
            code = np.fromiter((codes.setdefault(t, len(codes)) for t in part.terms.tolist()), np.int32, len(part))
            pickle.dump((list(codes), code, part.field.astype(np.int8), part.doc, part.count.astype(np.int32), shard[rows]), fh,
                        protocol=pickle.HIGHEST_PROTOCOL)

    def _emit_range(self, p: Postings, vocabulary: np.ndarray, shard: np.ndarray, lo: int, hi: int) -> None:
        """Shards lo … hi-1 from their postings `p` (terms as codes into `vocabulary`; `shard`: each
        posting's shard)."""
        order = np.argsort(shard, kind="stable")
        bounds = np.searchsorted(shard[order], np.arange(lo, hi + 1))
        for k in range(lo, hi):
            rows = order[bounds[k - lo] : bounds[k - lo + 1]]
            part = p.select(rows)
            self._write_shard(k, encode(Postings(vocabulary[part.terms], part.field, part.doc, part.count)))

    def _write_shard(self, k: int, columns: dict) -> None:
        text = dump(columns)  # (the file's key is its text: made once, compared, then packed)
        size = self.writer.write("search-shard", f"search/index/{k}.bin", text, lambda: pack_text(text), f"shard:{k}")
        self.figures["compact_bytes"] += size
        self.figures["written"] += size > 0

    def _write_doc_blocks(self) -> set:
        """Every block of documents from the table the afresh pass filled (a block at a time);
        returns the blocks written."""
        written, block, pairs = set(), None, []
        for b, ref, doc in self.db.execute("SELECT block, ref, doc FROM docs_staging ORDER BY block, ref"):
            if b != block and pairs:
                self._write_doc_block(block, pairs)
                written.add(block)
                pairs = []
            block = b
            pairs.append((ref, doc))
        if pairs:
            self._write_doc_block(block, pairs)
            written.add(block)
        self.db.execute("DELETE FROM docs_staging")
        return written

    def _write_doc_block(self, b: int, pairs: list) -> None:
        """docs/<b>.bin from its (ref, document as JSON) pairs, ascending by ref: [[ref, doc], …]."""
        text = b"[" + b",".join(b"[%d,%s]" % (ref, doc) for ref, doc in pairs) + b"]"
        self.writer.write("search-docs", f"search/docs/{b}.bin", text, lambda: pack_text(text), f"docs:{b}")

    def _write_blocks(self, blocks: Iterable[int]) -> set:
        """The blocks of field lengths from the search table; an empty one goes. Returns the blocks
        that have stories."""
        written = set()
        for b in blocks:
            rows = [(ref, json.loads(ls)) for ref, ls in
                    self.db.execute("SELECT ref, lengths FROM search WHERE block=? ORDER BY ref", (b,))]
            if not rows:
                self.writer.forget(f"lengths:{b}")
                continue
            for f, name in enumerate(FIELD_NAMES):  # (a field's file not written again goes: the group is staged)
                columns = encode_lengths(rows, f)
                if columns:
                    text = dump(columns)
                    self.writer.write("search-lengths", f"search/lengths/{name}/{b}.bin", text, lambda t=text: pack_text(t), f"lengths:{b}")
            written.add(b)
        return written

    # -- patching ----------------------------------------------------------------------
    def _patch(self, news: dict, old: dict) -> None:
        """Each changed story out of the shards where its postings changed and into them again with
        its new ones; its block of lengths (and the one it left) written again from the table. A
        story whose number changed changes every shard it is in."""
        db = self.db
        touched: dict[int, list] = {}  # shard → keys of the stories whose postings there changed
        changes: dict = {}  # key → (story or None, its postings' shards, shards changed, old number)
        blocks: set = set()
        length_delta = [0] * len(FIELDS)
        for key in sorted(set(news) | set(old)):
            s = news.get(key)
            old_ref, old_lengths, blob = old.get(key, (None, None, None))
            before = _shard_hashes(blob) if blob else {}
            shards = None
            after: dict = {}
            if s is not None:
                shards, unique, sums = s.placed(self.groups, self.subs)
                after = dict(zip(unique.tolist(), sums.tolist()))
            same_ref = s is not None and old_ref == s.ref
            changed = {k for k in before.keys() | after.keys() if not same_ref or before.get(k) != after.get(k)}
            if same_ref and not changed and old_lengths == s.lengths:
                continue  # as published
            for k in changed:
                touched.setdefault(k, []).append(key)
            changes[key] = (s, shards, changed, old_ref)
            if not same_ref or old_lengths != s.lengths:
                blocks.update(ref % self.blocks for ref in (old_ref, s.ref if s else None) if ref is not None)
            if s is not None:
                db.execute("INSERT OR REPLACE INTO search VALUES (?, ?, ?, ?, ?)", self._row(s, unique, sums))
            else:
                db.execute("DELETE FROM search WHERE key=?", (key,))
            for f in range(len(FIELDS)):
                length_delta[f] += (s.lengths[f] if s else 0) - (old_lengths[f] if old_lengths else 0)
        dropped: dict = {}  # key → the terms its old postings in the changed shards had
        for k in sorted(touched):
            current = decode(self._published(f"index/{k}.bin"))
            owner = {changes[key][3]: key for key in touched[k] if changes[key][3] is not None}
            if owner:
                drop = np.isin(current.doc, np.fromiter(owner, np.int64, len(owner)))
                for ref, term in zip(current.doc[drop].tolist(), current.terms[drop].tolist()):
                    dropped.setdefault(owner[ref], set()).add(term)
                current = current.select(~drop)
            added = [changes[key][0].postings(changes[key][1] == k) for key in touched[k] if changes[key][0] is not None]
            self._write_shard(k, encode(Postings.concat([current, *added])))
        self._write_blocks(sorted(blocks))
        # characters: a story's old terms are its new ones in the shards that did not change, and
        # what its changed shards held
        delta: Counter = Counter()
        for key, (s, shards, changed, _) in changes.items():
            new_terms, kept = set(), set()
            if s is not None:
                new_terms = set(s.terms)
                same = ~np.isin(shards, np.fromiter(changed, np.int64, len(changed)))
                kept = {t for t, keep in zip(s.terms, same.tolist()) if keep}
            delta.update(set("".join(new_terms)))
            delta.subtract(set("".join(kept | dropped.get(key, set()))))
        db.executemany("INSERT INTO chars VALUES (?, ?) ON CONFLICT(ch) DO UPDATE SET n = n + excluded.n",
                       [(c, n) for c, n in delta.items() if n])
        db.execute("DELETE FROM chars WHERE n <= 0")
        self.store.add_counts({f"len:{f}": n for f, n in enumerate(length_delta)})

    def _published(self, rel: str):
        """A file of the published index (search/<rel>), as the browser reads it; missing or damaged:
        ShardMissing (the index is then written afresh)."""
        path = self.out / "search" / rel
        try:
            return unpack_file(path.read_bytes())
        except (OSError, ValueError, EOFError, zlib.error) as exc:
            raise ShardMissing(f"{path}: {exc}") from None

    # -- documents and meta ------------------------------------------------------------
    def _docs(self, news: dict, old: dict) -> None:
        """The blocks of documents the changed stories were or are in, patched: each read from the
        published site, its changed stories' old documents out and their new ones in; a block left
        with none goes."""
        refs = {v[0] for v in old.values() if v[0] is not None}
        now = {row.ref: row for row in map(self.data.story, news)}
        blocks = {doc_block(ref, self.doc_blocks) for ref in refs | set(now)}
        for b in sorted(blocks):
            # (a block the last build published is read, and must be there; a new one starts empty)
            previous = self.writer.previous
            published = previous is None or previous(f"search/docs/{b}.bin") is not None
            pairs = {ref: doc for ref, doc in self._published(f"docs/{b}.bin")} if published else {}
            for ref in refs:
                pairs.pop(ref, None)
            for ref, row in now.items():
                if doc_block(ref, self.doc_blocks) == b:
                    pairs[ref] = self._doc(row)
            if pairs:
                self._write_doc_block(b, [(ref, dump(pairs[ref])) for ref in sorted(pairs)])
            else:
                self.writer.forget(f"docs:{b}")

    def _doc(self, row) -> dict:
        """What a result shows and what the browser checks a result against: the snippet text
        (核心提示, paragraphs, captions) and the rest of the searchable text (`more`: kicker,
        subtitle, byline, headings, data box, credits, keywords, themes). `cut` when the text was
        too long to keep whole: the browser then trusts the index."""
        story = self.data.record(row.page).stories[row.index]
        page = self.data.page(row.page)
        themes = [self.theme_names[s] for s in row.themes if s in self.theme_names]
        text = "\n".join(filter(None, [*story.summary, *story.paragraphs, *(c.text for c in story.captions)]))
        more = "\n".join(filter(None, [story.kicker, story.subtitle, story.byline, *story.slogans,
                                       *(s.heading for s in story.sections), story.data_title,
                                       *(f"{d.label} {d.value or ''}" for d in story.data),
                                       *(c.credit for c in story.captions), *row.keywords, *themes]))
        photo = next((p for p in story.photos if p.image is not None), None)
        doc = {"title": row.title, "url": row.url, "date": page.date.display, "iso": page.date.iso,
               "column": story.column, "page": page.label,
               "thumb": {"webp": photo.image.sizes[0].webp, "jpeg": photo.image.sizes[0].jpeg,
                         "w": photo.image.sizes[0].width, "h": photo.image.sizes[0].height} if photo else None,
               "text": text[:SNIPPET_TEXT_CHARS], "more": more[:SNIPPET_TEXT_CHARS]}
        if len(text) > SNIPPET_TEXT_CHARS or len(more) > SNIPPET_TEXT_CHARS:
            doc["cut"] = True
        return doc

    def _meta(self, n_docs: int, slots: int) -> None:
        chars = {c for (c,) in self.db.execute("SELECT ch FROM chars")}
        meta = {
            "version": LUNR_VERSION,
            "format": SHARD_FORMAT,
            "fields": FIELD_NAMES,
            "boosts": [float(b) for _, b in FIELDS],
            "searchFields": SEARCH_FIELDS,
            "groups": self.groups,
            "subs": self.subs,
            "docs": n_docs,
            "lengths": [self.store.count(f"len:{f}") for f in range(len(FIELDS))],
            "slots": slots,
            "blocks": self.blocks,
            "docBlocks": self.doc_blocks,
            "wholeWordBoost": WHOLE_WORD_BOOST,
            "fold": "".join(f"{t}{s}" for t, s in fold_table(chars).items()),
        }
        self.meta = meta
        text = dump(meta)
        self.writer.write("search-meta", "search/index/meta.json", text, lambda: text, "search:meta")


class ShardMissing(Exception):
    """A shard the patch needs is not in the published site: the index is written afresh."""


def _load_bucket(path: Path) -> tuple[Postings, np.ndarray, np.ndarray]:
    """A bucket file's records (Index._flush) as postings whose terms are codes into a vocabulary
    (an object array of str), the vocabulary, and each posting's shard. Each
    record's codes are offset past the vocabularies before it (a term in two records has two
    codes, which is harmless: a shard's terms are compared as text when it is encoded)."""
    vocabulary: list = []
    parts, shards = [], []
    with open(path, "rb") as fh:
        while True:
            try:
                words, code, *columns, shard = pickle.load(fh)
            except EOFError:
                break
            parts.append(Postings(code + len(vocabulary), *columns))
            shards.append(shard)
            vocabulary.extend(words)
    if not parts:
        return Postings(*(np.zeros(0, np.int64) for _ in Postings.__slots__)), np.zeros(0, object), np.zeros(0, np.int32)
    return Postings.concat(parts), np.array(vocabulary, dtype=object), np.concatenate(shards)


def _pack_shards(shards: np.ndarray, hashes: np.ndarray) -> bytes:
    return zlib.compress(shards.astype(np.uint32).tobytes() + hashes.astype(np.uint64).tobytes(), 1)


def _shard_hashes(blob: bytes) -> dict[int, int]:
    """A story's row in the search table → {shard: hash of its postings there} (_pack_shards)."""
    data = zlib.decompress(blob)
    n = len(data) // 12
    return dict(zip(np.frombuffer(data[: 4 * n], dtype=np.uint32).tolist(), np.frombuffer(data[4 * n :], dtype=np.uint64).tolist()))


def defer_index(store, dirty) -> dict:
    """The search stage put off (serve): the stories whose postings may have changed are added to
    the store's ``search_pending`` list, which the next write_index patches with its own; until
    then the published index is the previous build's, whole and consistent."""
    pending = set(json.loads(store.get("search_pending") or "[]")) | set(dirty.search) | set(dirty.gone_stories)
    store.set("search_pending", json.dumps(sorted(pending), ensure_ascii=False))
    return {"written": 0, "shards": 0, "compact_bytes": 0, "afresh": False, "deferred": len(pending)}


def write_index(data, store, dirty, writer, out: Path, published: bool) -> dict:
    """The search stage: the index afresh or patched (see the module docstring); returns figures."""
    index = Index(data, store, writer, out)
    try:
        return index.write(dirty, published)
    except ShardMissing as exc:
        store.notes.append(f"the published search index is incomplete ({exc}); it is written afresh")
        index = Index(data, store, writer, out)
        return index.write(dirty, False)
