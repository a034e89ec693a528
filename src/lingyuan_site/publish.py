"""Publishing: the one Writer every file of a build goes through, and the commit that makes the new
site appear all at once. Old or new, never a mix, never nothing.

Writing. A build writes into a staging folder beside --out (same file system), never into the
site. Writer.write(kind, path, key, produce) computes the digest of what the file shows (its view,
or its bytes) and skips the file when the last build published the same digest there (Pelican's
Writer: render and search both use it, so "keep the previous file" has one meaning).

Committing. A cold build's staging folder is a whole site: it takes the place of the old one by
exchanging the two folders in one rename (Linux renameat2 RENAME_EXCHANGE; elsewhere two renames,
which recovery completes or undoes). A rebuild's staging folder holds only what changed: the moves
and deletions are written as a journal into the build store, in the same SQLite transaction that
records the new site, then carried out. A build killed at any moment leaves either no journal
(the old site stands, its staging folder is removed) or a whole one, which every later command
carries out first (``recover``), before it looks at anything else. So after a crash and the next
command, the output folder holds exactly the old site or exactly the new one; the crash tests in
bench/crash.py kill builds at random instants to check it.

What is not covered: a power cut (files are not fsynced, for speed), and files edited by hand in
the output folder (a rebuild trusts what it published; build --no-cache or deleting the output
folder starts afresh).
"""
from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Callable, Optional

from .errors import SiteError

AT_FDCWD = -100
RENAME_EXCHANGE = 2


def key_digest(kind: str, path: str, key) -> bytes:
    """A digest of what a file shows. Keys are plain data (views) or bytes, serialised canonically:
    JSON, not pickle, whose bytes depend on which equal objects happen to be one object."""
    digest = hashlib.sha256(f"{kind}\0{path}\0".encode("utf-8"))
    if isinstance(key, bytes):
        digest.update(b"b" + key)
    else:
        digest.update(b"j" + json.dumps(key, ensure_ascii=False, separators=(",", ":"), default=_no_json).encode("utf-8"))
    return digest.digest()


def _no_json(value):
    raise TypeError(f"a view must be plain data, not {type(value).__name__}")


class Writer:
    """Writes a build's files into `staging` and records each as (path, digest, group, year).
    `previous(path)` gives the digest the last build published at `path` (None: not there), or
    None for a build that writes everything."""

    def __init__(self, staging: Path, previous: Optional[Callable[[str], Optional[bytes]]] = None, salt: bytes = b"",
                 sink: Optional[Callable[[list, list], None]] = None):
        self.staging = Path(staging)
        self.previous = previous
        self.salt = salt
        self.records: list[tuple] = []  # (path, digest, group, year, lastmod) of every file this build publishes
        self.written: list[str] = []  # files written (the rest were as published)
        self.sink = sink  # given: records and written go to it every SINK_RECORDS (Ledger.add), not kept
        self._folders: set = set()

    def flush(self) -> None:
        """Hand the records and written files held so far to the sink."""
        if self.sink is not None and self.records:
            self.sink(self.records, self.written)
            self.records, self.written = [], []

    def write(self, kind: str, path: str, key, produce: Callable[[], bytes], group: str = "", year: Optional[int] = None,
              lastmod: Optional[str] = None) -> int:
        """Write produce()'s bytes to `path` unless the last build published the same `key` there;
        returns the bytes written (0 when kept)."""
        size = 0
        if self._record(kind, path, key, group, year, lastmod):
            data = produce()
            self._put(path, data)
            size = len(data)
        self._maybe_flush()  # (after _put: a record and its written path go to the sink together)
        return size

    def _record(self, kind: str, path: str, key, group: str, year: Optional[int], lastmod: Optional[str]) -> bool:
        """Record the file; whether it must be written (the last build did not publish `key` there)."""
        digest = hashlib.sha256(self.salt + key_digest(kind, path, key)).digest()
        self.records.append((path, digest, group, year, lastmod))
        return self.previous is None or self.previous(path) != digest

    def _maybe_flush(self) -> None:
        if self.sink is not None and len(self.records) >= SINK_RECORDS:
            self.flush()

    def forget(self, group: str) -> None:
        """A group rendered to nothing: its files go (the build deletes what a group no longer has)."""
        self.records.append((None, None, group, None, None))
        self._maybe_flush()

    def copy(self, kind: str, path: str, key, source: str, group: str = "", year: Optional[int] = None) -> None:
        """Put a copy of the file `source` at `path` (a photo's derivative in the build cache). A
        copy, never a hard link: a published file edited in place must not change the cache, and
        so the next site. Two tasks may copy the same file (a photo two pages show): each writes
        its own temporary file and renames it into place."""
        if self._record(kind, path, key, group, year, None):
            target = self._target(path)
            tmp = f"{target}.{os.getpid()}.tmp"
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
            self.written.append(path)
        self._maybe_flush()

    def _target(self, path: str) -> str:
        target = os.path.join(self.staging, path)
        folder = os.path.dirname(target)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        return target

    def _put(self, path: str, data: bytes) -> None:
        with open(self._target(path), "wb") as fh:
            fh.write(data)
        self.written.append(path)


SINK_RECORDS = 5_000


class Ledger:
    """What the build under way publishes, kept in the build store as it goes (tables ``staged``
    and ``staged_groups``) rather than in lists until the commit: at 17,000 pages a cold build
    publishes 294,000 files, and their records, paths and groups held about 200 MB in the build
    process. A render chunk's records are added as the chunk comes back; the parent's Writer
    hands its own over every SINK_RECORDS. A build that stops leaves rows the next one clears."""

    def __init__(self, db):
        self.db = db
        self.clear()

    def clear(self) -> None:
        self._run(lambda: (self.db.execute("DELETE FROM staged"), self.db.execute("DELETE FROM staged_groups")))

    def _run(self, work) -> None:
        """In the transaction under way, or in one of its own (render runs outside the build's)."""
        if self.db.in_transaction:
            work()
            return
        self.db.execute("BEGIN")
        try:
            work()
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def add(self, records: list, written: list) -> None:
        written = set(written)
        rows = [(path, digest, group, year, lastmod, path in written) for path, digest, group, year, lastmod in records
                if path is not None]
        groups = {(r[2],) for r in records}
        self._run(lambda: (self.db.executemany("INSERT OR REPLACE INTO staged VALUES (?, ?, ?, ?, ?, ?)", rows),
                           self.db.executemany("INSERT OR IGNORE INTO staged_groups VALUES (?)", groups)))

    def add_groups(self, groups) -> None:
        """Groups rendered, whether or not they wrote a file (one that wrote none loses its files)."""
        self._run(lambda: self.db.executemany("INSERT OR IGNORE INTO staged_groups VALUES (?)", ((g,) for g in groups)))

    def record(self, everything: bool, fold: int = 0) -> tuple[list[tuple], int]:
        """The staged files into the outputs table; returns the files to delete (the ones a group it
        rendered no longer has), with their years, and the new fold of the outputs table (see
        fold_row: `fold` is the old one). `everything`: the staged files are the whole site."""
        db = self.db
        deletes = []
        if everything:
            db.execute("DELETE FROM outputs")
            fold = 0
            changed = db.execute("SELECT path, digest, NULL FROM staged")
        else:
            gone = db.execute("SELECT path, year, digest FROM outputs WHERE grp IN (SELECT grp FROM staged_groups) "
                              "AND path NOT IN (SELECT path FROM staged) ORDER BY path").fetchall()
            deletes = [(p, y) for p, y, _ in gone]
            for path, _, digest in gone:
                fold ^= fold_row(path, digest)
            for i in range(0, len(deletes), 500):
                part = [p for p, _ in deletes[i : i + 500]]
                db.execute(f"DELETE FROM outputs WHERE path IN ({','.join('?' * len(part))})", part)
            changed = db.execute("SELECT s.path, s.digest, o.digest FROM staged s LEFT JOIN outputs o ON o.path = s.path "
                                 "WHERE o.digest IS NOT s.digest")
        for path, new, old in changed.fetchall():
            fold ^= fold_row(path, new) ^ (fold_row(path, old) if old is not None else 0)
        db.execute("INSERT OR REPLACE INTO outputs SELECT path, digest, grp, year, lastmod FROM staged")
        return deletes, fold

    def written(self) -> list[str]:
        return [p for (p,) in self.db.execute("SELECT path FROM staged WHERE written ORDER BY path")]

    def count_written(self) -> int:
        return self.db.execute("SELECT count(*) FROM staged WHERE written").fetchone()[0]

    def sitemap_years(self) -> set:
        """The years whose sitemap the staged files change: a page (index.html) new to the site or
        with another lastmod (before record(); a page written again as it was changes none)."""
        return {y for (y,) in self.db.execute(
            "SELECT DISTINCT s.year FROM staged s LEFT JOIN outputs o ON o.path = s.path WHERE s.written AND s.year IS NOT NULL "
            "AND s.path GLOB '*index.html' AND (o.path IS NULL OR o.lastmod IS NOT s.lastmod)")}


# ---------------------------------------------------------------------------- staging and commit
def staging_dir(out: Path) -> Path:
    """A new staging folder beside `out`."""
    import tempfile

    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-{os.getpid()}-", dir=out.parent))


def strays(out: Path) -> list[Path]:
    """Staging and old-site folders that crashed builds left beside `out`."""
    prefixes = (f".{out.name}.staging-", f".{out.name}.old-", f".{out.name}.tmp-")
    try:
        return sorted(p for p in out.parent.iterdir() if p.name.startswith(prefixes) and p.is_dir())
    except OSError:
        return []


def exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where it is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(AT_FDCWD, os.fsencode(str(a)), AT_FDCWD, os.fsencode(str(b)), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_in(staging: Path, out: Path) -> None:
    """Make the whole site in `staging` the site at `out` in one step; the old one is removed."""
    os.chmod(staging, 0o755)
    if not out.exists():
        os.rename(staging, out)
        return
    if not out.is_dir():
        raise SiteError(str(out), "--out exists and is not a folder")
    if exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)  # now the old site
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.rename(out, old)
    try:
        os.rename(staging, out)
    except OSError:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def fold_row(path: str, digest: bytes) -> int:
    """A file's part in the fold of the outputs table: the XOR of every (path, digest)'s hash,
    kept up to date by each commit from the files it changes alone. Two stores that publish the
    same files have the same fold, whatever builds made them: it is the id in the marker."""
    return int.from_bytes(hashlib.blake2b(path.encode("utf-8") + b"\0" + digest, digest_size=8).digest(), "big")


MARKER = ".lingyuan-site"  # in every output folder: what made it, and which publication it holds


def identity(out: Path) -> Optional[str]:
    """Which publication the folder `out` holds: the id in its marker (the fold of what it
    publishes, see fold_row). A rebuild updates the site in place only when it is the one the
    store last published: an output folder carried between machines with its store (a CI cache)
    is updated in place, and one restored from an older copy is made afresh."""
    try:
        text = (Path(out) / MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    words = text.split()
    return words[1] if len(words) == 2 and words[0] == "lingyuan-site" else None


def mark(folder: Path, ident: str) -> None:
    """Write the marker (whole or not at all)."""
    tmp = Path(folder) / f"{MARKER}.tmp"
    tmp.write_text(f"lingyuan-site {ident}\n", encoding="utf-8")
    os.replace(tmp, Path(folder) / MARKER)


def ours(out: Path) -> bool:
    """Whether a build may replace the folder `out`: it is not there, is empty, or holds a site
    this tool made (its marker). A build deletes only what it made."""
    out = Path(out)
    if not out.exists():
        return True  # (or cannot be made: the build says so when it tries)
    if not out.is_dir():
        return False
    try:
        with os.scandir(out) as it:
            empty = next(it, None) is None
    except OSError:
        return True  # (unreadable: writing fails with its own message)
    return empty or (out / MARKER).is_file() or _legacy_site(out)


def _legacy_site(out: Path) -> bool:
    """A site built before the marker existed (a CI cache or a ./public from an earlier version):
    its search index's meta.json, which no other tool writes in that shape."""
    try:
        meta = json.loads((out / "search" / "index" / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and {"format", "fields", "boosts", "searchFields", "groups", "subs"} <= set(meta)


JOURNAL = """CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, op TEXT, path TEXT)"""


def write_journal(db, staging: Path, moves: list[str], deletes: list[str], ident: str) -> None:
    """Record a rebuild's commit in the store (inside the caller's transaction); the marker's new
    id is written last."""
    db.execute(JOURNAL)
    db.execute("DELETE FROM journal")
    db.execute("INSERT INTO journal (op, path) VALUES ('staging', ?)", (str(staging),))
    db.executemany("INSERT INTO journal (op, path) VALUES ('move', ?)", [(p,) for p in moves])
    db.executemany("INSERT INTO journal (op, path) VALUES ('delete', ?)", [(p,) for p in deletes])
    db.execute("INSERT INTO journal (op, path) VALUES ('mark', ?)", (ident,))


def carry_out(db, out: Path, hook: Optional[Callable[[str], None]] = None) -> bool:
    """Carry out a journal the store holds (a commit, or a crashed build's); True if there was
    one. Every step can be done again: a file already moved is not in staging any more, a file
    already deleted is not there."""
    db.execute(JOURNAL)
    rows = db.execute("SELECT op, path FROM journal ORDER BY seq").fetchall()
    if not rows:
        return False
    staging = Path(rows[0][1])
    folders = set()
    for n, (op, path) in enumerate(rows[1:]):
        if hook is not None and n == len(rows) // 3:
            hook("commit")
        if op == "move":
            src = staging / path
            if src.exists() or src.is_symlink():
                dst = out / path
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
        elif op == "delete":
            try:
                (out / path).unlink()
            except FileNotFoundError:
                pass
            except IsADirectoryError:
                shutil.rmtree(out / path, ignore_errors=True)
            folders.add(os.path.dirname(path))
        elif op == "mark":
            mark(out, path)
    for folder in sorted(folders, key=lambda f: -f.count("/")):
        _remove_empty(out, folder)
    shutil.rmtree(staging, ignore_errors=True)
    db.execute("DELETE FROM journal")
    return True


def _remove_empty(out: Path, folder: str) -> None:
    while folder:
        try:
            os.rmdir(out / folder)
        except OSError:
            return
        folder = os.path.dirname(folder)


class Lock:
    """One build at a time per output folder (an advisory lock beside it) and per build store (a
    lock file in the cache folder); a second one waits."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fh = None

    @classmethod
    def beside(cls, out: Path) -> "Lock":
        return cls(out.parent / f".{out.name}.lock")

    def __enter__(self):
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")
        fcntl.flock(self.fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        import fcntl

        if self.fh is not None:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None
