"""Output: one Writer for every file a build writes (rendered pages, search files, feeds), and the
render memo that lets a rebuild keep the files whose content has not changed.

Writer.write(path, key, produce) is the one place that looks a file up in the memo, writes it
when it changed and records what it wrote (Pelican's Writer): render and search both use it, so
"keep the previous file" has one meaning.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from pathlib import Path
from typing import Callable, Optional


def key_digest(kind: str, path: str, key) -> bytes:
    """A digest of what a file shows. Keys are plain data (views) or bytes, serialised canonically:
    JSON, not pickle, whose bytes depend on which equal objects happen to be one object (a story
    parsed afresh and one loaded from the cache give different pickles of the same view)."""
    digest = hashlib.sha256(f"{kind}\0{path}\0".encode("utf-8"))
    if isinstance(key, bytes):
        digest.update(b"b" + key)
    else:
        digest.update(b"j" + json.dumps(key, ensure_ascii=False, separators=(",", ":"), default=_no_json).encode("utf-8"))
    return digest.digest()


def _no_json(value):
    raise TypeError(f"a memo key must be plain data, not {type(value).__name__}")


class RenderMemo:
    """What the last build rendered, so a rebuild renders only what changed. For each file: a
    digest of everything its template shows (the `key` each call of Renderer.write passes, plus
    the templates, the code and the site config) and the file's size and mtime in the previous
    site. A file whose digest and stat still match is hard-linked from the previous site
    instead of rendered. Kept in the build cache folder; tests/test_build.py checks that a
    rebuild's output equals a cold build's, byte for byte."""

    def __init__(self, path: Path, previous_out: Path, salt: bytes):
        self.path, self.previous_out, self.salt = path, previous_out, salt
        self.old: dict = {}
        self.new: dict = {}
        self.reused = 0
        self._folders: set[str] = set()
        self._previous = str(previous_out)
        try:
            with path.open("rb") as fh:
                saved = pickle.load(fh)
            if saved.get("salt") == salt and saved.get("out") == str(previous_out.resolve()):
                self.old = saved["files"]
        except Exception:  # no memo yet, or a damaged one: render everything
            self.old = {}
        # the build updates the previous site in place (build.commit_in_place) when it exists
        # and this memo describes it; then an unchanged file is simply left where it is
        self.in_place = bool(self.old) and previous_out.is_dir()

    def folder(self, name: str) -> Path:
        path = self.path.parent / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def lookup(self, kind: str, path: str, key, out: Path) -> Optional[bytes]:
        """None if what `path` shows (`kind`, `key`) is unchanged and the previous site's file is
        as that build left it: the file is kept (left in place, or linked into `out`).
        Otherwise the digest to pass to record() once the file is written."""
        digest = key_digest(kind, path, key)
        old = self.old.get(path)
        if old is None or old[0] != digest:
            return digest
        source = os.path.join(self._previous, path)  # strings, not Paths: thousands of files
        try:
            st = os.stat(source)
            if (st.st_size, st.st_mtime_ns) != old[1:]:
                return digest
            if not self.in_place:
                target = os.path.join(out, path)
                folder = os.path.dirname(target)
                if folder not in self._folders:  # one mkdir per folder, not per file
                    os.makedirs(folder, exist_ok=True)
                    self._folders.add(folder)
                os.link(source, target)
        except OSError:
            return digest
        self.new[path] = old
        self.reused += 1
        return None

    def record(self, digest: bytes, path: str, out: Path) -> None:
        st = (out / path).stat()
        self.new[path] = (digest, st.st_size, st.st_mtime_ns)

    def state(self, out: Path) -> dict:
        """What to keep for the next build (build.py writes it to self.path)."""
        return {"salt": self.salt, "out": str(out.resolve()), "files": self.new}



class Writer:
    """Writes a build's files below `out` and lists them in `files`. With a memo, a file whose key
    (everything it shows) is unchanged is kept from the previous site instead of written."""

    def __init__(self, out: Path, memo: Optional[RenderMemo] = None):
        self.out = Path(out)
        self.memo = memo
        self.files: list[str] = []
        self._folders: set = set()

    def unchanged(self, kind: str, path: str, key) -> tuple[bool, Optional[bytes]]:
        """(True, None) when the memo keeps `path`; else (False, the digest to record)."""
        if key is None or self.memo is None:
            return False, None
        digest = self.memo.lookup(kind, path, key, self.out)
        return digest is None, digest

    def write(self, kind: str, path: str, key, produce: Callable[[], bytes], submit=None) -> int:
        """Write produce()'s bytes to `path` unless the memo keeps the previous file; returns the
        bytes written (0 when kept). With `submit` (an executor's submit), producing and writing
        run there; the caller waits for the futures it returns."""
        self.files.append(path)
        kept, digest = self.unchanged(kind, path, key)
        if kept:
            return 0
        if submit is not None:
            return submit(self._write, path, produce, digest)
        return self._write(path, produce, digest)

    def link(self, kind: str, path: str, key, source: str) -> None:
        """Put the file `source` at `path` (unless the memo keeps the previous one): hard-linked,
        so a large file built once (a photo's derivative in the build cache) is neither copied
        nor stored twice; copied when the two folders are on different file systems."""
        self.files.append(path)
        kept, digest = self.unchanged(kind, path, key)
        if kept:
            return
        target = os.path.join(self.out, path)
        folder = os.path.dirname(target)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
        if digest is not None:
            self.memo.record(digest, path, self.out)

    def _write(self, path: str, produce: Callable[[], bytes], digest: Optional[bytes]) -> int:
        data = produce()
        target = os.path.join(self.out, path)
        folder = os.path.dirname(target)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        with open(target, "wb") as fh:
            fh.write(data)
        if digest is not None:
            self.memo.record(digest, path, self.out)
        return len(data)
