"""The build's store: everything a build knows between builds, in one SQLite file (standard
library; embedded, transactional, and read page by page, so a build holds in memory only what it
is working on, never the whole archive).

What it holds (SCHEMA below): each source page's parsed record (the map stage's work: text,
theme scores, keyword candidates, counted index tokens) with the file's size, mtime and digest;
the site the last build published (pages, stories, their URLs, order, keywords, related stories,
search numbers, cards, the tag lists); aggregates (document frequencies, field lengths); and every
file of the output with the digest of what it shows.

One salt policy. Each kind of derived data is keyed by exactly the inputs that make it, and
nothing else:

* ``map``: the package's parsing and segmenting code, dict.txt and themes.yaml → page records;
* ``reduce``: the code that derives the site, site.yaml, keywords.yaml → the site tables;
* ``render``: the templates, the code of views and render, site.yaml → output digests;
* ``search``: the index code → the search files.

A changed salt discards exactly its part (a template edit renders again, but never segments
again). Every blob carries a format tag and a checksum (``pack``/``unpack``): a damaged one reads
as missing, is made again, and the build says so in one ``note:`` line. A store that SQLite
itself cannot read, or of another format, is moved aside and rebuilt the same way.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import sqlite3
import zlib
from pathlib import Path
from typing import Any, Iterable, Optional

BLOB_TAG = b"LY1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB);
-- the map stage's results, one row per source page (drafts included)
-- (the record last: SQLite reads a row's columns in order, and a column after a large blob costs a
-- walk of its overflow pages, which made a scan of the sizes and images read every record)
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,
    seen_ns INTEGER,  -- the clock when the file was stated before reading (a save in the same tick is 'racy')
    digest BLOB,  -- of the bytes read: a page whose mtime alone changed (a checkout) is not read again
    images TEXT,  -- JSON [[path in content/, size, mtime_ns, cache key], …] of the images the page shows
    warnings TEXT,  -- JSON [[kind, message, line], …]
    draft INTEGER,
    record BLOB
);
-- what the scan compares (every page's size, mtime, images) and what the report counts (the
-- warnings), apart from the records: a table row holding a record fills a page of its own, so a
-- scan of the table read a page per source page (a covering index reads a few hundred in all)
CREATE INDEX IF NOT EXISTS sources_scan ON sources(path, size, mtime_ns, seen_ns, images, draft);
CREATE INDEX IF NOT EXISTS sources_warned ON sources(path, warnings) WHERE warnings <> '[]';
-- the published site
CREATE TABLE IF NOT EXISTS pages (
    path TEXT PRIMARY KEY, ord TEXT UNIQUE NOT NULL, slug TEXT NOT NULL, url TEXT NOT NULL,
    year INTEGER, month INTEGER, day INTEGER, daykey INTEGER, label TEXT, title TEXT, n INTEGER, card TEXT
);
CREATE INDEX IF NOT EXISTS pages_daykey ON pages(daykey);
CREATE INDEX IF NOT EXISTS pages_slug ON pages(slug);  -- not UNIQUE: a clash is reported naming both files
CREATE TABLE IF NOT EXISTS stories (
    key TEXT PRIMARY KEY, page TEXT NOT NULL, idx INTEGER, ord TEXT UNIQUE NOT NULL,
    folder TEXT, base TEXT, url TEXT, title TEXT, kind TEXT, months INTEGER, daykey INTEGER,
    themes TEXT, keywords TEXT, kwfrom TEXT, kw TEXT, related TEXT, ref INTEGER, card TEXT,
    tp INTEGER  -- postings of its text fields (the search index's size)
);
CREATE INDEX IF NOT EXISTS stories_folder ON stories(folder, ord);
CREATE INDEX IF NOT EXISTS stories_url ON stories(url);
CREATE INDEX IF NOT EXISTS stories_daykey ON stories(daykey, ord);
CREATE INDEX IF NOT EXISTS stories_page ON stories(page, idx);
CREATE INDEX IF NOT EXISTS stories_ref ON stories(ref);
-- a story's tags in reading order: 't:<theme slug>' and 'k:<keyword>'
CREATE TABLE IF NOT EXISTS tags (tag TEXT, ord TEXT, key TEXT, year INTEGER, PRIMARY KEY (tag, ord)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_key ON tags(key);
-- related stories, both ways
CREATE TABLE IF NOT EXISTS related (dst TEXT, src TEXT, PRIMARY KEY (dst, src)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS related_src ON related(src);
-- keyword candidates: the stories a term is a candidate of, and each term's document frequency
CREATE TABLE IF NOT EXISTS kwcand (term TEXT, key TEXT, PRIMARY KEY (term, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kwcand_key ON kwcand(key);  -- (a page read again drops its stories' rows)
CREATE TABLE IF NOT EXISTS kwdf (term TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;
-- keywords with a tag page (two or more stories)
CREATE TABLE IF NOT EXISTS keywords (word TEXT PRIMARY KEY, base TEXT, slug TEXT, n INTEGER);
CREATE INDEX IF NOT EXISTS keywords_base ON keywords(base);
-- characters of the indexed text (the Traditional fold table is limited to these)
CREATE TABLE IF NOT EXISTS chars (ch TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;
-- counts kept as the site changes
CREATE TABLE IF NOT EXISTS counts (key TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;
-- the published search index: each story's number, its block of field lengths, its field lengths
-- (JSON) and the shards its postings are in, each with a hash of the story's postings there
CREATE TABLE IF NOT EXISTS search (key TEXT PRIMARY KEY, ref INTEGER, block INTEGER, lengths TEXT, shards BLOB);
CREATE INDEX IF NOT EXISTS search_block ON search(block, ref);
-- a search index written afresh: each story's document, by its block of documents, until the blocks are written
CREATE TABLE IF NOT EXISTS docs_staging (block INTEGER, ref INTEGER, doc BLOB);
-- image sources as last read (path in content/, size, mtime, digest): a photo is hashed again only when it changed
CREATE TABLE IF NOT EXISTS media (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, digest TEXT);
-- pypinyin slugs of titles
CREATE TABLE IF NOT EXISTS slugs (text TEXT, parts INTEGER, slug TEXT, PRIMARY KEY (text, parts)) WITHOUT ROWID;
-- every file of the output: the digest of what it shows, its group (what renders it), its year (sitemaps)
CREATE TABLE IF NOT EXISTS outputs (path TEXT PRIMARY KEY, digest BLOB, grp TEXT, year INTEGER, lastmod TEXT);
CREATE INDEX IF NOT EXISTS outputs_grp ON outputs(grp);
CREATE INDEX IF NOT EXISTS outputs_year ON outputs(year);
-- what the build under way publishes (publish.Ledger), cleared by the next: each file's record, and
-- each group it rendered
CREATE TABLE IF NOT EXISTS staged (path TEXT PRIMARY KEY, digest BLOB, grp TEXT, year INTEGER, lastmod TEXT, written INTEGER);
CREATE TABLE IF NOT EXISTS staged_groups (grp TEXT PRIMARY KEY) WITHOUT ROWID;
"""


class Store:
    """One open store. Reads and writes go through `db` (sqlite3); `notes` collects the one-line
    notes about damaged parts found and made again."""

    def __init__(self, path: Optional[Path], readonly: bool = False):
        self.path = Path(path) if path is not None else None
        self.notes: list[str] = []
        self.readonly = readonly
        if readonly:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA cache_size=-32768")
        else:
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        target = ":memory:" if self.path is None else str(self.path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._check_seal()
        for attempt in range(2):
            try:
                db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL" if self.path is not None else "PRAGMA journal_mode=MEMORY")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("PRAGMA temp_store=MEMORY")
                db.execute("PRAGMA cache_size=-65536")  # 64 MB of pages
                found = db.execute("SELECT value FROM meta WHERE key='format'").fetchone() if _has_meta(db) else None
                if found is not None and found[0] != FORMAT:
                    raise sqlite3.DatabaseError(f"format {found[0]!r}")
                if found is None:
                    db.executescript(SCHEMA)
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))
                return db
            except sqlite3.DatabaseError as exc:
                if self.path is None or attempt:
                    raise
                try:
                    db.close()
                except Exception:
                    pass
                self._discard(f"the build store {self.path} could not be read ({exc}); it is rebuilt")
        raise AssertionError("unreachable")

    # -- the seal: the store as the last build left it ---------------------------------
    # SQLite keeps no checksums of its pages, and the site tables' text columns carry none either
    # (only the packed blobs do), so a store changed by anything but a build could publish wrong
    # text. A build that closes the store writes its size and modification time beside it; the
    # next build finds them different only when something else wrote the file (an editor, a
    # copy, a tool), and then starts an empty store (a cold build) rather than trust it. A build
    # that was killed leaves the seal "open": its store is SQLite's to recover (its journal),
    # and trusted. Checking costs two stat calls, never a read of the file.
    def _seal_path(self) -> Path:
        return Path(f"{self.path}.seal")

    def _files_state(self) -> list:
        state = []
        for suffix in ("", "-wal"):
            try:
                st = os.stat(f"{self.path}{suffix}")
                # (an empty log is what any reader's connection leaves while it is open: no change)
                state.append([st.st_size, st.st_mtime_ns] if st.st_size or not suffix else None)
            except FileNotFoundError:
                state.append(None)
        return state

    def _check_seal(self) -> None:
        try:
            seal = json.loads(self._seal_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            seal = None
        now = self._files_state()
        if isinstance(seal, dict) and seal.get("closed") is not None and now[0] is not None and seal["closed"] != now:
            self._discard(f"the build store {self.path} was changed since the last build closed it; it is rebuilt")
        self._write_seal({"closed": None, "pid": os.getpid()})

    def _write_seal(self, seal: dict) -> None:
        tmp = f"{self._seal_path()}.tmp-{os.getpid()}"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(seal, fh)
            os.replace(tmp, self._seal_path())
        except OSError:
            pass  # (without a seal the next build trusts the store, as before there were seals)

    def discard(self, note: str) -> None:
        """Throw the store away (it is damaged): the next open starts an empty one."""
        self.close()
        self._discard(note)

    def _discard(self, note: str) -> None:
        self.notes.append(note)
        for suffix in ("", "-wal", "-shm", ".seal"):
            try:
                os.unlink(f"{self.path}{suffix}")
            except FileNotFoundError:
                pass

    # -- meta and counts -------------------------------------------------------
    def get(self, key: str, default=None):
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return default if row is None else row[0]

    def set(self, key: str, value) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def count(self, key: str) -> int:
        row = self.db.execute("SELECT n FROM counts WHERE key=?", (key,)).fetchone()
        return row[0] if row else 0

    def add_counts(self, deltas: dict) -> None:
        self.db.executemany("INSERT INTO counts VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET n = n + excluded.n",
                            [(k, v) for k, v in deltas.items() if v])
        # (an image's count at zero is kept until the commit: it says that its files go, see Build._publish)
        self.db.execute("DELETE FROM counts WHERE n = 0 AND key NOT GLOB 'media:*'")

    # -- transactions ------------------------------------------------------------
    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def close(self) -> None:
        try:
            self.rollback()
            self.db.close()
        except sqlite3.Error:
            return
        if self.path is not None and not self.readonly:
            self._write_seal({"closed": self._files_state()})

    # -- blobs -------------------------------------------------------------------
    def unpack(self, blob: Optional[bytes], what: str):
        """A blob's value, or None when it is damaged (noted once per kind)."""
        try:
            return unpack(blob)
        except Damaged:
            note = f"a damaged {what} in the build store was made again"
            if note not in self.notes:
                self.notes.append(note)
            return None


def reseal(path: Path) -> None:
    """Declare the store's files as they are now to be as the last build left them: for a tool
    that changes the store on purpose (and tests that damage it the way a disk would, leaving its
    modification time alone)."""
    store = Store.__new__(Store)
    store.path = Path(path)
    store._write_seal({"closed": store._files_state()})


# a changed schema is another format: an old store is moved aside and rebuilt
FORMAT = "lingyuan-store 1 " + hashlib.blake2b(SCHEMA.encode(), digest_size=6).hexdigest()


def rows_of(db: sqlite3.Connection, sql: str, values: Iterable) -> list:
    """The rows of `sql`, whose ``IN ({})`` takes `values`, in parts (SQLite caps the ? per query)."""
    values = list(values)
    out = []
    for i in range(0, len(values), 500):
        part = values[i : i + 500]
        out.extend(db.execute(sql.format(",".join("?" * len(part))), part).fetchall())
    return out


def value_of(db: sqlite3.Connection, sql: str, args: tuple = ()):
    """The first column of the first row of `sql`, or None when there is no row."""
    row = db.execute(sql, args).fetchone()
    return row[0] if row else None


class Damaged(Exception):
    pass


def pack(value: Any, level: int = 1) -> bytes:
    """A value as a blob: tag, checksum of the rest, zlib-compressed pickle."""
    body = zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), level)
    return BLOB_TAG + hashlib.blake2b(body, digest_size=16).digest() + body


def unpack(blob: Optional[bytes]) -> Any:
    """The value of a blob from pack(); Damaged when the tag or checksum is wrong or it does not load."""
    if not isinstance(blob, (bytes, bytearray)) or blob[:3] != BLOB_TAG:
        raise Damaged
    body = blob[19:]
    if hashlib.blake2b(body, digest_size=16).digest() != blob[3:19]:
        raise Damaged
    try:
        return pickle.loads(zlib.decompress(body))
    except Exception:
        raise Damaged from None


def _has_meta(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone() is not None


def files_digest(paths: Iterable[Path], extra: bytes = b"") -> bytes:
    """A digest of files' names and bytes (a missing file counts as missing), for salts."""
    digest = hashlib.sha256(extra)
    for path in paths:
        path = Path(path)
        digest.update(path.name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"-") + b"\0")
    return digest.digest()


def code_files(*modules: str) -> list[Path]:
    """Source files of this package (all of them, or the named modules and packages)."""
    here = Path(__file__).parent
    if not modules:
        return sorted(here.rglob("*.py"))
    found = []
    for name in modules:
        path = here / name
        found += sorted(path.rglob("*.py")) if path.is_dir() else [here / f"{name}.py"]
    return sorted(set(found))
