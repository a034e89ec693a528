"""Stage 7, build: the orchestration, a flat list of timed steps (Zola's Site::build, MkDocs'
commands/build.py). Each step is one call into the module that owns it:

1. open      the build store (store.py) and finish a crashed build's commit (publish.recover)
2. scan      list the pages and compare their size and mtime (and their images') with the store
3. read      read the changed pages on the workers (read.py), prepare their images (media.py),
             and hand them to the structure (structure.Reduce.put), a batch at a time
4. reduce    work out what else changed (structure.Reduce.finish), commit it with what is left
             to publish (a crashed build's leftovers are merged in)
5. render    the files that changed (render.py) on the workers, beside
6. search    the index shards and documents that changed (search/write.py)
7. commit    the new site, all at once (publish.py)

A failed or interrupted build leaves the previous site as it was: nothing is written into it
before step 7, which publish.py makes all-or-nothing. Memory holds a batch of pages and what one
task renders, never the archive: everything else is in the store.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

from . import keywords as keywords_stage
from . import media as media_stage
from . import publish, read, render, sitefolder, structure, workers
from . import themes as themes_stage
from .config import SiteConfig, load_config, normalize_base_url
from .errors import SiteError
from .site import SiteData
from .store import Damaged, Store, code_files, files_digest, pack, rows_of, unpack

READ_BATCH = 64  # pages read, prepared and handed to the structure at a time
PARALLEL_MIN_PAGES = 40  # below this, starting worker processes costs more than it saves
RACY_NS = 2_000_000_000  # a page saved this close before it was read is compared by digest at the next scan
SITE_FILES = {"site.yaml", "themes.yaml", "keywords.yaml", "dict.txt"}  # content/'s files that are not pages or images

MAP_CODE = ["errors", "load", "normalize", "parse", "model", "segment", "themes", "keywords", "read", "media", "search/tokens"]
REDUCE_CODE = ["structure", "views", "keywords", "store"]
RENDER_CODE = ["render", "views", "site", "feeds", "publish", "config"]
SEARCH_CODE = ["search"]


@dataclass
class BuildOptions:
    content: Path
    out: Path
    templates: Optional[Path] = None  # the site's own templates/ (overrides the default theme's, file by file)
    static: Optional[Path] = None  # the site's own static/ (likewise)
    base_url: Optional[str] = None
    keep_going: bool = False  # build the other pages when one fails, and list what failed
    cache: Optional[Path] = None  # the build cache folder (None: a cold build that keeps nothing, as --no-cache)
    project: Optional[Path] = None  # the project folder, which --out must not be or contain
    report: Optional[Path] = None  # the editorial report (default: beside --out, outside the site)
    jobs: int = 0  # worker processes (0: one per core)
    executor: Optional[str] = None  # dask://HOST:PORT: read pages on a Dask cluster
    hook: Optional[Callable[[str], None]] = None  # called at named points (tests and bench/crash.py kill builds there)
    defer_search: bool = False  # serve: publish the pages now, the search index in the next build (see _publish)
    changes: Optional[Path] = None  # a file to list what this build wrote and removed in the site (a deploy copies only those)
    changed: Optional[frozenset] = None  # serve: the files its watcher saw change; scan looks at only those pages
    # (None: every page; serve's next build, which catches up the index, scans them all again)


@dataclass
class BuildResult:
    store_path: Optional[Path]
    config: SiteConfig
    themes: list
    display: Callable
    counts: dict
    timings: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)  # (path, PageWarning) of the pages this build read (the report has all)
    warning_count: int = 0  # the warnings of every page
    search: dict = field(default_factory=dict)  # figures from the search stage
    failures: list = field(default_factory=list)  # SiteError per page left out (--keep-going)
    report: Optional[Path] = None
    cache: dict = field(default_factory=dict)  # {"hits": pages, "misses": pages, "touched": pages, "written": files, "kept": files}
    media: dict = field(default_factory=dict)  # {"images": distinct sources, "encoded": [names encoded by this build]}
    notes: list = field(default_factory=list)  # one line each: damaged caches made again, a crashed build completed
    files_list: Optional[list] = None
    rendered: dict = field(default_factory=dict)  # render tasks run, by kind ("story", "page", "landing", …)
    _site: object = None

    @property
    def files(self) -> list:
        """Every file of the site (its path in the output folder)."""
        return self.files_list or []

    @property
    def site(self):
        """The whole site as linked objects (site.materialize): for tools and tests of small archives."""
        if self._site is None:
            from .site import materialize

            store = Store(self.store_path, readonly=True)
            try:
                self._site = materialize(SiteData(store, self.config, self.themes, self.display))
            finally:
                store.close()
        return self._site


def find_pages(content: Path, only: Optional[set] = None) -> list[tuple[str, str, os.stat_result]]:
    """(key, path, stat) of every page file below `content`: the key is its path relative to it.
    With `only` (keys), of those of them that are there (serve's save: no walk)."""
    if not content.is_dir():
        raise SiteError(str(content), "content folder not found (use --content DIR)")

    def entry(key: str, path: Path, gone_ok: bool):
        try:
            st = path.stat()
        except FileNotFoundError:
            if gone_ok:
                return None
            raise SiteError(display_path(path), "cannot be read (No such file or directory): a broken link?") from None
        except OSError as exc:
            raise SiteError(display_path(path), f"cannot be read ({exc.strerror}): a broken link?") from None
        if not os_path_isfile(st):
            raise SiteError(display_path(path), "is not a file; a page is a .md file")
        return key, str(path), st

    if only is not None:
        return [e for e in (entry(key, content / key, True) for key in sorted(only)) if e is not None]
    found = []

    def walk(folder: str, prefix: str) -> None:
        # (os.scandir, not os.walk with a Path and a relpath per file: at 17,000 pages those were
        # most of the 0.7 s the walk took; a DirEntry's stat is the one system call left)
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        for e in entries:
            if e.name.startswith("."):
                continue
            if e.is_dir(follow_symlinks=False):
                walk(e.path, f"{prefix}{e.name}/")
            elif e.name.endswith(".md"):
                try:
                    st = e.stat()
                except OSError:
                    found.append(entry(prefix + e.name, Path(e.path), False))  # (names the file and the reason)
                    continue
                if not os_path_isfile(st):
                    raise SiteError(display_path(Path(e.path)), "is not a file; a page is a .md file")
                found.append((prefix + e.name, e.path, st))

    walk(str(content), "")
    return sorted(found)


def page_digest(data: bytes) -> bytes:
    """What the store keeps of a page's bytes to know them again (scan)."""
    return hashlib.blake2b(data, digest_size=16).digest()


def os_path_isfile(st: os.stat_result) -> bool:
    import stat

    return stat.S_ISREG(st.st_mode)


def display_path(path: Path) -> str:
    """How messages name a file: relative to the current folder when it is below it."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def check_out_dir(out: Path, content: Path, project: Path) -> None:
    """Refuse an --out that would overwrite the sources or be read as them: the content folder,
    a folder inside it, the project root, or a folder containing either."""
    out_r, content_r, project_r = out.resolve(), content.resolve(), project.resolve()
    if content_r in out_r.parents:
        raise SiteError(str(out), "--out must not be inside the content folder (its pages would be read as content); choose e.g. ./public")
    for protected, what in ((content_r, "the content folder"), (project_r, "the project folder")):
        if out_r == protected or out_r in protected.parents:
            raise SiteError(str(out), f"--out must not be {what} or a folder containing it; choose e.g. ./public")


def check_paths(o: "BuildOptions") -> None:
    """What a build writes never lands on what it reads or on what it did not make: --out is not
    an input (nor holds one) and, if it exists with files in it, holds a site this tool made (its
    marker); the report, the changes list and the cache folder are not inside an input, and
    the cache is neither --out nor inside it (a new site there would throw the store away)."""
    check_out_dir(o.out, o.content, o.project or o.content.parent)  # (the content folder and the project)
    out_r = o.out.resolve()
    theme = [(Path(d).resolve(), f"the site's {Path(d).name}/ folder") for d in (o.templates, o.static) if d and Path(d).is_dir()]
    for folder, what in theme:
        if out_r == folder or folder in out_r.parents or out_r in folder.parents:
            raise SiteError(str(o.out), f"--out must not be {what}, inside it or a folder containing it; choose e.g. ./public")
    inputs = [(o.content.resolve(), "the content folder")] + theme
    files = [(o.report, "--report"), (o.changes, "--changes")]
    for path, flag in files:
        if path is None:
            continue
        path_r = Path(path).resolve()
        for folder, what in inputs + [(out_r, "the output folder (--out)")]:
            if path_r == folder or folder in path_r.parents:
                raise SiteError(str(path), f"{flag} must not be inside {what}: it would overwrite or be published as one of its files")
        if path_r.is_dir():
            raise SiteError(str(path), f"{flag} is a folder; give a file name")
    if o.cache is not None:
        cache_r = Path(o.cache).resolve()
        for folder, what in inputs:
            if cache_r == folder or folder in cache_r.parents:
                raise SiteError(str(o.cache), f"--cache-dir must not be inside {what}")
        if cache_r == out_r or out_r in cache_r.parents or cache_r in out_r.parents:
            raise SiteError(str(o.cache), "--cache-dir must not be the output folder (--out), inside it or around it: "
                                          "each build replaces the output folder and would throw the store away")
    if not publish.ours(o.out):
        what = "is not a folder" if o.out.exists() and not o.out.is_dir() else \
            f"holds files lingyuan-site did not make (no {publish.MARKER} in it)"
        raise SiteError(str(o.out), f"--out {what}; a build replaces its output folder: choose a new or empty one, or remove it first")


def default_report(out: Path) -> Path:
    return out.parent / f"{out.name}-report.txt"


def write_report(path: Path, warnings: list, failures: list) -> None:
    """The editor's report: every failure and warning, by file and line (no clock times)."""
    lines = ["lingyuan-site build report", ""]
    if failures:
        lines.append(f"Pages left out ({len(failures)}):")
        lines.extend(f"  {exc}" for exc in failures)
        lines.append("")
    lines.append(f"Warnings ({len(warnings)}):" if warnings else "No warnings.")
    for where, w in warnings:
        lines.append(f"  {where}:{w.line or '-'}: {w.kind}: {w.message}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_changes(path: Path, written: list, removed: list, whole: bool) -> None:
    """The --changes list: '+ PATH' for each file of the site this build wrote, '- PATH' for each it
    removed, paths relative to the output folder (a deploy copies and deletes only those). After a
    full build whose previous site is unknown, the first line says so: the destination should then
    be made equal to the whole folder."""
    head = ("# lingyuan-site changes: whole site (copy every file, remove any other)" if whole
            else f"# lingyuan-site changes: {len(written) + 1} written, {len(removed)} removed")
    lines = [head] + [f"+ {p}" for p in [*written, publish.MARKER]] + [f"- {p}" for p in removed]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def build(options: BuildOptions, progress: Optional[Callable[[str], None]] = None) -> BuildResult:
    """Build the site (see the module docstring)."""
    check_paths(options)
    locks = []
    try:
        if options.cache is not None:  # (first the store's, then the output folder's: always in this order)
            locks.append(publish.Lock(Path(options.cache) / "lock").__enter__())
    except OSError as exc:
        raise SiteError(str(options.cache), f"cannot use the cache folder ({exc.strerror}); choose another --cache-dir") from None
    try:
        options.out.parent.mkdir(parents=True, exist_ok=True)
        locks.append(publish.Lock.beside(options.out).__enter__())
    except OSError as exc:
        for lock in locks:
            lock.__exit__(None, None, None)
        raise SiteError(str(options.out), f"cannot write the site here ({exc.strerror}); choose another --out") from None
    try:
        try:
            return Build(options).run()
        except Damaged:
            # a page record that fails its checksum (the store is otherwise sound): those pages
            # are read again, as if changed, and the build done once more
            result = Build(options).run_after(_forget_damaged_records)
            return result
        except sqlite3.OperationalError as exc:
            raise SiteError(str(options.cache or options.out), f"the build store cannot be used ({exc}); the previous site is unchanged") from None
        except sqlite3.DatabaseError as exc:
            if options.cache is None:
                raise
            # a damaged store: thrown away, and the build done again from the pages
            Store(Path(options.cache) / "store.sqlite", readonly=True).discard(f"the build store was damaged ({exc}) and is made again")
            result = Build(options).run()
            result.notes.insert(0, f"the build store was damaged ({exc}); it was made again")
            return result
    finally:
        for lock in reversed(locks):
            lock.__exit__(None, None, None)


def _kill_hook(point: Optional[str]) -> Callable[[str], None]:
    """With LINGYUAN_KILL_AT=point (bench/crash.py), the build kills itself there, as kill -9 would."""
    if not point:
        return lambda name: None

    def hook(name: str) -> None:
        if name == point:
            import signal

            os.kill(os.getpid(), signal.SIGKILL)

    return hook


def _forget_damaged_records(store: "Store") -> None:
    db = store.db
    damaged = []
    for path, blob in db.execute("SELECT path, record FROM sources"):
        try:
            unpack(blob)
        except Damaged:
            damaged.append(path)
    db.executemany("DELETE FROM sources WHERE path=?", [(p,) for p in damaged])
    if damaged:
        store.notes.append("a damaged page record in the build store was made again")


class Build:
    """One build (see the module docstring); run() is the list of steps."""

    def __init__(self, options: BuildOptions):
        self.o = options
        self.timings: dict = {}
        self.failures: list = []
        self.hook = options.hook or _kill_hook(os.environ.get("LINGYUAN_KILL_AT"))
        self.repair: Optional[Callable] = None  # run on the store once it is open
        self.read_warnings: list = []  # (path, PageWarning) of the pages read
        self.warnings_changed = False  # a page's warnings are not the ones the last report has
        self._content_display: Optional[str] = None
        self.read_at: dict = {}  # key → (size, mtime_ns, clock, digest) of a page as read (see _tasks)
        self.vanished: set = set()  # pages deleted between the scan and their read
        self.touched = 0  # pages whose mtime alone changed (hashed, found equal, not read again)

    def run_after(self, repair: Callable) -> "BuildResult":
        self.repair = repair
        return self.run()

    def _step(self, name: str, fn, *args):
        t = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - t

    def run(self) -> BuildResult:
        t0 = time.perf_counter()
        o = self.o
        # without a cache folder the store lives in a temporary one, kept while the result is
        # (BuildResult.site reads it) and removed with it
        temp = Path(tempfile.mkdtemp(prefix="lingyuan-build-")) if o.cache is None else None
        self.cache_dir = Path(o.cache) if o.cache is not None else temp
        try:
            self._step("open", self.open)
            try:
                todo, unchanged = self._step("scan", self.scan)
                self._step("read", self.read, todo)
                dirty = self._step("reduce", self.reduce)
                self.hook("reduced")
                result = self._publish(dirty)
            finally:
                self.store.close()
        except BaseException:
            if temp is not None:
                shutil.rmtree(temp, ignore_errors=True)
            raise
        if temp is not None:
            import weakref

            weakref.finalize(result, shutil.rmtree, temp, True)
        self.timings["total"] = time.perf_counter() - t0
        result.timings = self.timings
        result.cache.update(hits=unchanged, misses=len(todo), touched=self.touched)
        return result

    # -- 1. open -------------------------------------------------------------------
    def open(self) -> None:
        o = self.o
        self.config: SiteConfig = load_config(o.content)
        if o.base_url:
            self.config = replace(self.config, base_url=normalize_base_url(o.base_url))
        self.taxonomy = themes_stage.load_taxonomy(o.content)
        self.kwconfig = keywords_stage.load_config(o.content)
        self.read_context = read.context(o.content, self.taxonomy)
        self.template_dirs = sitefolder.template_dirs(o.templates)
        self.store = Store(self.cache_dir / "store.sqlite")
        self.notes = self.store.notes
        if self.repair is not None:
            self.repair(self.store)
        if publish.carry_out(self.store.db, o.out):  # a crashed build's commit, finished first
            self.notes.append(f"a build interrupted while publishing {o.out} was completed")
        for stray in publish.strays(o.out):
            shutil.rmtree(stray, ignore_errors=True)
        # the store belongs to one content folder: another one (same cache) is read afresh
        # (the content folder's place is not in it: a site folder checked out elsewhere keeps its
        # store, and the scan compares its pages by digest; see scan)
        map_salt = files_digest(code_files(*MAP_CODE), self.read_context.salt)
        reduce_salt = files_digest(code_files(*REDUCE_CODE), files_digest(
            [p for p in (sitefolder.content_file(o.content, n) for n in ("keywords.yaml", "themes.yaml")) if p]))
        templates = sitefolder.files_of(self.template_dirs)
        render_salt = files_digest(list(templates.values()) + code_files(*RENDER_CODE),
                                   repr((list(templates), self.config)).encode() + reduce_salt)
        search_salt = files_digest(code_files(*SEARCH_CODE), reduce_salt)
        db = self.store.db
        self.store.begin()
        reread = self.store.get("map_salt") != map_salt
        if reread:
            db.execute("DELETE FROM sources")
            self.warnings_changed = True
            self.store.set("map_salt", map_salt)
        # Every page is read again when the map salt changed; the site tables are then derived
        # afresh too, since the records that named the pages now gone have been dropped with them.
        self.reduce_all = reread or self.store.get("reduce_salt") != reduce_salt
        if self.reduce_all:
            for table in ("pages", "stories", "tags", "related", "kwcand", "kwdf", "keywords", "counts"):
                db.execute(f"DELETE FROM {table}")
            self.store.set("reduce_salt", reduce_salt)
        self.render_all = self.store.get("render_salt") != render_salt or self.reduce_all
        self.render_salt = render_salt
        self.search_all = self.store.get("search_salt") != search_salt or self.reduce_all
        self.search_salt = search_salt
        self.store.commit()
        self.media = media_stage.Media(o.content, self.cache_dir / "media", db)

    # -- 2. scan ---------------------------------------------------------------------
    def scan(self) -> tuple[list, int]:
        """The pages to read: new ones, changed ones, and, when the structure is made afresh, all;
        the store's pages no longer in content/ are removed. Content is trusted, not clocks: a page
        (or an image of one) whose size is as read but whose mtime is not, as after a checkout, is
        hashed and compared with the digest of the bytes last read, and when equal only its new
        mtime is recorded. So is a page saved within RACY_NS of when it was read (a second save in
        the same clock tick would show the same size and mtime)."""
        db = self.store.db
        root = str(self.o.content.resolve())
        moved = self.store.get("content_root") != root  # another folder, or this one moved: compare every page
        pages = None if moved else self._changed_pages()
        if pages is None:
            rows = db.execute("SELECT path, size, mtime_ns, seen_ns, images, draft FROM sources")
        else:  # (serve: what its watcher saw, each page stated and looked up on its own)
            rows = rows_of(db, "SELECT path, size, mtime_ns, seen_ns, images, draft FROM sources WHERE path IN ({})", pages)
        found = find_pages(self.o.content, pages)
        known = {row[0]: row[1:] for row in rows}
        self.removed = sorted(set(known) - {k for k, _, _ in found})
        todo, unchanged = [], 0
        self.reput = []  # unchanged pages the structure needs again (it is made afresh)
        now = time.time_ns()
        self.store.begin()
        try:
            for key, path, st in found:
                old = known.get(key)
                if old is None or old[0] != st.st_size or not self._same_page(key, path, st, old, moved, now):
                    todo.append((key, Path(path)))
                    continue
                images = json.loads(old[3]) if old[3] and old[3] != "[]" else []
                same = media_stage.check_sources(images, root, db) if images else True
                if same is False:
                    todo.append((key, Path(path)))
                    continue
                if same is None:
                    db.execute("UPDATE sources SET images=? WHERE path=?", (json.dumps(images, ensure_ascii=False), key))
                unchanged += 1
                if self.reduce_all and not old[4]:
                    self.reput.append(key)
            if pages is None:
                self.store.set("content_root", root)
            self.store.commit()
        except BaseException:
            self.store.rollback()
            raise
        return todo, unchanged

    def _same_page(self, key: str, path: str, st: os.stat_result, old: tuple, moved: bool, now: int) -> bool:
        """Whether a page of the size last read holds the bytes last read (see scan); a page found
        so gets its new mtime (and, no longer racy, the time it was compared)."""
        mtime, seen = old[1], old[2] or 0
        if st.st_mtime_ns == mtime and mtime < seen - RACY_NS and not moved:
            return True
        row = self.store.db.execute("SELECT digest FROM sources WHERE path=?", (key,)).fetchone()
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            return False  # (the read names the reason)
        if row is None or row[0] is None or page_digest(data) != row[0]:
            return False
        self.store.db.execute("UPDATE sources SET mtime_ns=?, seen_ns=? WHERE path=?", (st.st_mtime_ns, now, key))
        self.touched += 1
        return True

    def _changed_pages(self) -> Optional[set]:
        """The page keys of o.changed, when the scan may look at only those: nothing is made afresh
        (a changed site.yaml, dict.txt, themes.yaml or template does that through the salts), and no
        other file of content/ that is there now changed (it may be an image a page shows). A file
        that is gone is an editor's temporary one, or an image whose page the next full scan finds.
        None: scan every page."""
        if self.o.changed is None or self.reduce_all or self.render_all:
            return None
        content = self.o.content.resolve()
        keys = set()
        for path in self.o.changed:
            path = Path(path).resolve()
            if content not in path.parents:
                continue  # (a template or a static file: the render salt sees those)
            rel = path.relative_to(content)
            if any(part.startswith(".") for part in rel.parts) or path.name.endswith("~"):
                continue  # (find_pages skips them too)
            if path.suffix == ".md":
                keys.add(rel.as_posix())
            elif path.exists() and path.name not in SITE_FILES:
                return None
        return keys

    # -- 3. read ---------------------------------------------------------------------
    def read(self, todo: list) -> None:
        o, db = self.o, self.store.db
        self.reduce_step = structure.Reduce(self.store, self.kwconfig, self._display, everything=self.reduce_all)
        self.store.begin()
        try:
            for key in self.removed:
                self._drop_source(key)
            for key in self.reput:
                page = unpack(db.execute("SELECT record FROM sources WHERE path=?", (key,)).fetchone()[0])
                page.path = self._display(key)
                self.reduce_step.put(key, page)
            jobs = o.jobs or workers.default_jobs()
            if len(todo) < PARALLEL_MIN_PAGES and not o.executor:
                jobs = 1
            bar = _progress(len(todo))
            with workers.executor(jobs, o.executor) as pool:
                batch = []
                for result in pool.map(read.read_task, self._tasks(todo), chunksize=4):
                    batch.append(result)
                    if bar:
                        bar.update(1)
                    if len(batch) >= READ_BATCH:
                        self._take(batch, jobs)
                        batch = []
                self._take(batch, jobs)
            if bar:
                bar.close()
        except BaseException:
            self.store.rollback()
            raise
        self.hook("read")

    def _tasks(self, todo: list):
        """(key, display, bytes, context) per page to read; bytes None and the reason instead of
        the context for a file that cannot be read or is over the limits (site.yaml). What was
        read is kept in self.read_at: the size and mtime stated before the bytes were read, the
        clock then, and the bytes' digest (a save at any moment after it is seen by the next scan)."""
        max_mb, max_lines = self.config.max_page_mb, self.config.max_page_lines
        for key, path in todo:
            display = display_path(path)
            try:
                seen = time.time_ns()
                st = path.stat()
                size = st.st_size
                if size > max_mb * 1_000_000:
                    yield key, display, None, SiteError(display, f"is {size / 1e6:.1f} MB; a page may be at most {max_mb} MB "
                                                                 "(max_page_mb in site.yaml)")
                    continue
                data = path.read_bytes()
            except FileNotFoundError:
                self.vanished.add(key)  # (deleted since the scan: as if it had been gone then)
                yield key, display, None, "deleted while the build ran"
                continue
            except OSError as exc:
                yield key, display, None, exc.strerror
                continue
            self.read_at[key] = (st.st_size, st.st_mtime_ns, seen, page_digest(data))
            lines = data.count(b"\n") + 1
            if lines > max_lines:
                yield key, display, None, SiteError(display, f"has {lines:,} lines; a page may have at most {max_lines:,} "
                                                             "(max_page_lines in site.yaml)")
                continue
            yield key, display, data, self.read_context

    def _take(self, batch: list, jobs: int) -> None:
        """A batch of read pages: their images prepared, then kept in the store and handed to the structure."""
        db = self.store.db
        pages, keys = [], []
        for key, page, exc in batch:
            if key in self.vanished:
                self._drop_source(key)
                continue
            if exc is not None:
                self._fail(key, exc)
                continue
            pages.append(page)
            keys.append(key)
        kept = self.media.prepare(pages, self.failures if self.o.keep_going else None, workers=max(1, jobs))
        kept_ids = {id(p) for p in kept}
        for key, page in zip(keys, pages):
            if id(page) not in kept_ids:
                self._drop_source(key)
                continue
            old_warnings = self._forget_source(key)
            size, mtime, seen, digest = self.read_at.pop(key)
            images = self.media.sources_of(page) if not page.draft else []
            for img in images:
                self.store.add_counts({f"media:{img[3]}": 1})
            warnings = [[w.kind, w.message, w.line] for w in page.warnings]
            text = json.dumps(warnings, ensure_ascii=False)
            self.warnings_changed |= text != old_warnings
            self.read_warnings.extend((self._display(key), w) for w in page.warnings)
            db.execute("INSERT INTO sources (path, size, mtime_ns, seen_ns, digest, record, images, warnings, draft) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (key, size, mtime, seen, digest, pack(page), json.dumps(images, ensure_ascii=False), text, int(page.draft)))
            if page.draft:
                self.reduce_step.remove(key)
            else:
                self.reduce_step.put(key, page)

    def _forget_source(self, key: str) -> str:
        """The page's row dropped (its images' counts with it); returns its warnings ('[]': none)."""
        db = self.store.db
        row = db.execute("SELECT images, warnings FROM sources WHERE path=?", (key,)).fetchone()
        if row is None:
            return "[]"
        for img in json.loads(row[0] or "[]"):
            self.store.add_counts({f"media:{img[3]}": -1})
        db.execute("DELETE FROM sources WHERE path=?", (key,))
        return row[1]

    def _drop_source(self, key: str) -> None:
        """A page no longer published (removed, failed, or not kept): its row and warnings go."""
        if self._forget_source(key) != "[]":
            self.warnings_changed = True
        self.reduce_step.remove(key)

    def _fail(self, key: str, exc: SiteError) -> None:
        if not self.o.keep_going:
            raise exc
        self.failures.append(exc)
        self._drop_source(key)

    def _display(self, key: str) -> str:
        """How messages name the page `key` (the content folder resolved once: a build names
        every page with a warning in its report, and resolving each would cost a walk of its path)."""
        if self._content_display is None:
            self._content_display = display_path(self.o.content)
        return key if self._content_display == "." else f"{self._content_display}/{key}"

    # -- 4. reduce -------------------------------------------------------------------
    def reduce(self) -> structure.Dirty:
        try:
            dirty = self.reduce_step.finish()
            self.reduce_step = None  # (what it counted is in the store: render and search reuse its memory)
            if self.failures and not self.store.count("pages"):
                raise SiteError(str(self.o.content), f"no page could be read ({len(self.failures)} failed, the first: {self.failures[0]}); "
                                                     "nothing was published")
            pending = self.store.get("pending")
            if pending is not None:
                earlier = self.store.unpack(pending, "list of files to publish")
                dirty = _merge(earlier, dirty) if earlier is not None else structure.Dirty(everything=True)
            if self.render_all:
                dirty.everything = True
            if self.search_all:
                dirty.search_all = True
            self.store.set("pending", pack(dirty))
            self.store.commit()
        except BaseException:
            self.store.rollback()
            raise
        return dirty

    # -- 5, 6, 7: render, search, commit -----------------------------------------------
    def _publish(self, dirty: structure.Dirty) -> BuildResult:
        o = self.o
        db = self.store.db
        # (the folder's marker holds the fold of what it publishes: equal to the store's, it holds
        # the site the store describes, wherever it is; a CI cache restores both elsewhere)
        held = publish.identity(o.out)
        same_out = held is not None and held == self.store.get("out_identity")
        published = not dirty.everything and same_out
        if not published:
            dirty.everything = True
        # --changes after a full build: every file, and what the old site had that it has not
        # (unknown when the store did not publish this folder: then the list says "whole")
        old_paths = {p for (p,) in db.execute("SELECT path FROM outputs")} if o.changes and dirty.everything and same_out else None
        staging = publish.staging_dir(o.out)
        try:
            setup = render.Setup(str(self.store.path), self.config, tuple(self.taxonomy.themes),
                                 tuple(map(str, self.template_dirs)), tuple(map(str, sitefolder.static_dirs(o.static))),
                                 str(staging), self.render_salt, dirty.everything, str(self.cache_dir / "jinja"),
                                 str(self.cache_dir / "media"))
            (self.cache_dir / "jinja").mkdir(parents=True, exist_ok=True)
            data = SiteData(self.store, self.config, self.taxonomy.themes, self._display)
            tasks = render.plan(data, dirty)
            rendered = dict(Counter(t[0] for t in tasks))
            ledger = publish.Ledger(db)  # (what this build publishes, in the store as it goes)
            ledger.add_groups(g for t in tasks for g in render.groups_of(t))
            self._step("render", self._render, setup, tasks, ledger)
            del tasks
            self.hook("rendered")
            parent = render.Renderer(setup, data)
            parent.writer.sink = ledger.add
            from .search import defer_index, write_index

            # the search stage's rows (which stories are in which shards) are committed with the
            # files they describe, or not at all: a build killed after this stage leaves them as
            # the published index has them, and the next build patches the same stories again
            self.store.begin()
            deferred = o.defer_search and not dirty.everything and not dirty.search_all
            try:
                if deferred:
                    # serve: the reader's page first; the stories whose postings changed are kept
                    # in the store, and the next build (serve runs it at once) patches the index
                    search_info = defer_index(self.store, dirty)
                else:
                    search_info = self._step("search", write_index, data, self.store, dirty, parent.writer, o.out, not dirty.everything)
                self.hook("searched")
                t = time.perf_counter()
                parent.writer.flush()
                years = ledger.sitemap_years()
                # the files of photos no page shows any more (their groups, rendered to nothing)
                gone_media = [k[6:] for (k,) in db.execute("SELECT key FROM counts WHERE key GLOB 'media:*' AND n <= 0")]
                ledger.add_groups(f"img:{key}" for key in gone_media)
                fold = 0 if dirty.everything else int(self.store.get("out_identity"), 16)
                deletes, fold = ledger.record(dirty.everything, fold)
                from . import feeds

                years |= {y for p, y in deletes if y is not None and p.endswith("index.html")}
                n_written = ledger.count_written()
                written = [] if dirty.everything else ledger.written()  # (a cold build swaps the whole folder in)
                ledger.clear()
                owed = set(json.loads(self.store.get("sitemaps_pending") or "[]"))
                if deferred:
                    # serve's save: the sitemaps (for crawlers, not for the preview) are written with
                    # the search index by the next build, which serve runs at once
                    self.store.set("sitemaps_pending", json.dumps(sorted(years | owed)))
                else:
                    feeds.sitemaps(parent, db, None if dirty.everything else years | owed)
                    self.store.set("sitemaps_pending", None)
                parent.writer.flush()
                more, fold = ledger.record(False, fold)
                deletes += more
                n_written += ledger.count_written()
                written += ledger.written()
                ledger.clear()
                self.store.set("pending", None)
                self.store.set("render_salt", self.render_salt)
                self.store.set("search_salt", self.search_salt)
                db.execute("DELETE FROM counts WHERE key GLOB 'media:*' AND n <= 0")
                ident = f"{fold:016x}"
                if dirty.everything:
                    publish.mark(staging, ident)
                    self.hook("commit")
                    publish.swap_in(staging, o.out)
                    self.store.set("out_identity", ident)
                    db.execute(publish.JOURNAL)
                    db.execute("DELETE FROM journal")
                    self.store.commit()
                else:
                    publish.write_journal(db, staging, sorted(set(written)), sorted(p for p, _ in deletes), ident)
                    self.store.set("out_identity", ident)
                    self.store.commit()
                    self.store.begin()
                    publish.carry_out(db, o.out, self.hook)
                    self.store.commit()
            except BaseException:
                self.store.rollback()
                raise
            if o.changes:
                if dirty.everything:
                    now = [p for (p,) in db.execute("SELECT path FROM outputs ORDER BY path")]
                    write_changes(o.changes, now, sorted(old_paths - set(now)) if old_paths is not None else [], old_paths is None)
                else:
                    write_changes(o.changes, sorted(set(written)), sorted(p for p, _ in deletes), False)
            self.timings["commit"] = time.perf_counter() - t
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise SiteError(str(getattr(exc, "filename", None) or o.out), f"cannot write the site ({exc.strerror}); the previous site is unchanged") from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        shutil.rmtree(staging, ignore_errors=True)
        media_stage.prune(self.cache_dir / "media", set(gone_media))
        result = self._result(search_info, n_written, report=not deferred)
        result.rendered = rendered
        return result

    def _render(self, setup: render.Setup, tasks: list, ledger: publish.Ledger) -> None:
        """The render tasks on the workers; each chunk's records go to the ledger as it comes back."""
        o = self.o
        jobs = o.jobs or workers.default_jobs()
        if len(tasks) < 4 * render.TASK_CHUNK:
            jobs = 1
        with workers.executor(jobs) as pool:
            for part_records, part_written in pool.map(_render_chunk, [(setup, c) for c in render.chunks(tasks)]):
                ledger.add(part_records, part_written)

    def _result(self, search_info: dict, written: int, report: bool = True) -> BuildResult:
        """The build's figures, warnings and failures; with `report`, the editor's report (every
        page's warnings: serve's save leaves it to the build it runs next), written again when it
        would say something else: a page's warnings changed, a page failed in this build or the
        last, or the report is elsewhere or gone. Else the archive's warnings are not read."""
        db = self.store.db
        from .model import PageWarning

        where = None
        count = db.execute("SELECT coalesce(sum(json_array_length(warnings)), 0) FROM sources WHERE warnings <> '[]'").fetchone()[0]
        if report:
            where = self.o.report or default_report(self.o.out)
            said = json.dumps([str(Path(where).resolve()), self._display(""), bool(self.failures)])
            if self.warnings_changed or self.failures or self.store.get("report") != said or not Path(where).is_file():
                warnings = []
                for path, text in db.execute("SELECT path, warnings FROM sources WHERE warnings <> '[]' ORDER BY path"):
                    for kind, message, line in json.loads(text):
                        warnings.append((self._display(path), PageWarning(kind, message, line)))
                try:
                    write_report(where, warnings, self.failures)
                    self.store.set("report", said)
                except OSError:
                    where = None  # the site is built; a report we cannot write is not worth failing for
                    self.store.set("report", None)
        counts = {"pages": self.store.count("pages"), "stories": self.store.count("stories"),
                  "files": db.execute("SELECT count(*) FROM outputs").fetchone()[0]}
        all_files = [p for (p,) in db.execute("SELECT path FROM outputs ORDER BY path")] if counts["stories"] < 20_000 else None
        return BuildResult(self.store.path, self.config, self.taxonomy.themes, self._display,
                           counts, {}, sorted(self.read_warnings, key=lambda pw: pw[0]), count, search_info, self.failures, where,
                           {"written": written, "kept": counts["files"] - written},
                           {"images": db.execute("SELECT count(*) FROM counts WHERE key GLOB 'media:*' AND n > 0").fetchone()[0],
                            "encoded": sorted(self.media.encoded)}, list(self.notes), all_files)


def _render_chunk(args) -> tuple[list, int]:
    setup, tasks = args
    return render.run_tasks(setup, tasks)


def _progress(total: int):
    """A progress bar on long builds when stderr is a terminal; nothing otherwise."""
    if total < PARALLEL_MIN_PAGES or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="reading", unit="page", leave=False)


def _merge(a: structure.Dirty, b: structure.Dirty) -> structure.Dirty:
    """What two builds left to publish, together (a crashed build's and this one's)."""
    out = structure.Dirty(everything=a.everything or b.everything, search_all=a.search_all or b.search_all,
                          tags_index=a.tags_index or b.tags_index, pages_index=a.pages_index or b.pages_index)
    out.stories = a.stories | b.stories
    out.pages = a.pages | b.pages
    out.gone_stories = {**b.gone_stories, **a.gone_stories}
    out.gone_pages = {**b.gone_pages, **a.gone_pages}
    out.days = a.days | b.days
    out.years = a.years | b.years
    out.search = a.search | b.search
    out.lists = {t: set(a.lists.get(t, set())) | set(b.lists.get(t, set())) for t in set(a.lists) | set(b.lists)}
    return out
