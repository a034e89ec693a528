"""Stage 7, build: orchestration. Reads every page, runs the stages in order and renders into a
temporary folder beside --out. A cold build swaps that folder in; a rebuild moves its changed
files into the previous site. Either happens only when everything succeeded, so a failed build
leaves the previous site untouched. On a large site both cores work: worker processes read the
pages, and forked copies parse a rebuild's changed pages and run the search stage beside render."""
from __future__ import annotations

import gc
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

from .config import SiteConfig, load_config, normalize_base_url
from .errors import SiteError
from .load import load_file
from .model import Page
from .parse import parse_page
from .render import RenderMemo, Renderer
from . import media as media_stage
from . import search as search_stage
from . import segment
from . import themes as themes_stage
from .structure import Site, attach_themes, build_structure, link_related


@dataclass
class BuildOptions:
    content: Path
    out: Path
    templates: Path
    static: Path
    base_url: Optional[str] = None
    keep_going: bool = False  # build the other pages when one fails, and list what failed
    cache: Optional[Path] = None  # per-page cache folder (None: no cache, as --no-cache)
    project: Optional[Path] = None  # the project folder, which --out must not be or contain
    report: Optional[Path] = None  # the editorial report (default: beside --out, outside the site)


@dataclass
class BuildResult:
    site: Site
    pages: list
    files: list
    timings: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)  # (path, Warning)
    search: dict = field(default_factory=dict)  # figures from the search stage
    failures: list = field(default_factory=list)  # SiteError per page left out (--keep-going)
    report: Optional[Path] = None
    cache: dict = field(default_factory=dict)  # {"hits": pages, "misses": pages, "reused": rendered files}
    media: dict = field(default_factory=dict)  # {"images": distinct sources, "encoded": [names encoded by this build]}


def find_pages(content: Path) -> list[Path]:
    if not content.is_dir():
        raise SiteError(str(content), "content folder not found (use --content DIR)")
    return sorted(p for p in content.rglob("*.md") if not any(part.startswith(".") for part in p.relative_to(content).parts))


def display_path(path: Path) -> str:
    """How messages name a file: relative to the current folder when it is below it."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


PARALLEL_MIN_PAGES = 40  # below this, starting worker processes costs more than it saves
_WORKER_SEG = None  # each worker process's Segmenter and taxonomy (_init_worker)
_WORKER_TAXONOMY = None


def _progress(total: int, what: str):
    """A progress bar on long builds when stderr is a terminal; nothing otherwise."""
    if total < PARALLEL_MIN_PAGES or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=what, unit="page", leave=False)


def _init_worker(content: str) -> None:
    global _WORKER_SEG, _WORKER_TAXONOMY
    _WORKER_TAXONOMY = themes_stage.load_taxonomy(Path(content))
    _WORKER_SEG = segment.Segmenter(lambda: themes_stage.taught_tokenizer(Path(content), _WORKER_TAXONOMY))


def _read_one(path: Path, seg=None, taxonomy=None):
    """Load, normalise and parse one page; with `seg`, also do the per-story parts of the themes
    and search stages (theme scores, keyword candidates, counted index tokens), which is all the
    jieba work a build does. The ledger and source lines, which only tests of text fidelity
    read, are dropped: a large build keeps thousands of pages in memory."""
    try:
        page = parse_page(load_file(path, display_path(path)))
    except SiteError as exc:
        return None, exc
    page.ledger, page.lines = [], []
    if seg is not None and not page.draft:
        if taxonomy is not None:
            for story in page.stories:
                themes_stage.prepare_story(story, taxonomy, seg)
        search_stage.prepare_page(page, seg)
        seg.memo.clear()  # each text is segmented for this page only
    return page, None


def _read_chunk(paths: list) -> list:
    return _read_list(paths, _WORKER_SEG, _WORKER_TAXONOMY)


def _read_list(paths: list, seg, taxonomy) -> list:
    return [_read_one(p, seg, taxonomy) for p in paths]


def write_pickle(path: Path, value) -> None:
    """Write a cache file atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def read_state(path: Path, salt: bytes):
    """A value write_state kept under the same salt, or None (none yet, damaged, other salt)."""
    try:
        with path.open("rb") as fh:
            kept_salt, value = pickle.load(fh)
    except Exception:
        return None
    return value if kept_salt == salt else None


def write_state(path: Path, salt: bytes, value) -> None:
    write_pickle(path, (salt, value))


def files_digest(paths: list, extra: bytes = b"") -> bytes:
    """A digest of files' names and bytes (a missing file counts as missing), for cache keys."""
    digest = hashlib.sha256(extra)
    for path in paths:
        digest.update(path.name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"-") + b"\0")
    return digest.digest()


def code_files() -> list:
    """The package's own source files: part of every cache key (a code change invalidates)."""
    return sorted(Path(__file__).parent.glob("*.py"))


class PageCache:
    """Parsed pages with their per-story theme and search work, one pickle per page, keyed by the page's bytes and
    display path, the inputs that change segmentation and theme scores (dict.txt, themes.yaml),
    and the package's own code. Entries no build used are removed at the end of a build."""

    def __init__(self, folder: Path, content: Path):
        self.folder = folder / "pages"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.salt = files_digest([content / "dict.txt", content / "themes.yaml", *code_files()])
        self.used: set = set()
        self.hits = self.misses = 0

    def key(self, path: Path) -> str:
        digest = hashlib.sha256(self.salt)
        digest.update(display_path(path).encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def has(self, key: str) -> bool:
        return (self.folder / f"{key}.pickle").is_file()

    def get(self, key: str):
        self.used.add(key)
        file = self.folder / f"{key}.pickle"
        value = None
        if file.is_file():
            try:
                with file.open("rb") as fh:
                    value = pickle.load(fh)
            except Exception:  # a damaged entry is a miss
                value = None
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, key: str, value) -> None:
        write_pickle(self.folder / f"{key}.pickle", value)

    def prune(self) -> None:
        for file in self.folder.glob("*.pickle"):
            if file.stem not in self.used:
                file.unlink(missing_ok=True)


SLUGS_FORMAT = b"slugs 1"  # slugs depend on pypinyin's data, not on this package's code


class SlugMemo:
    """structure.SLUGS (title → pinyin slug) kept between builds in the cache folder."""

    def __init__(self, folder: Path):
        from . import structure

        self.path = folder / "slugs.pickle"
        self.slugs, self.used = structure.SLUGS, structure.SLUGS_USED
        self.used.clear()
        self.slugs.update(read_state(self.path, SLUGS_FORMAT) or {})  # none yet, or damaged: slugify again

    def save(self) -> None:
        write_state(self.path, SLUGS_FORMAT, {k: v for k, v in self.slugs.items() if k in self.used})


def read_pages(paths: list[Path], content: Path, failures: Optional[list] = None, seg=None, taxonomy=None, cache: Optional[PageCache] = None) -> list[Page]:
    """Load, normalise and parse every page (on both cores for a large site, where the workers
    also do the per-story jieba work of the later stages); pages unchanged since
    the last build come from `cache`. With `failures`, a page that fails is recorded there and
    left out; without, the first failure stops the build."""
    results: list = [None] * len(paths)
    keys = [cache.key(p) for p in paths] if cache else [None] * len(paths)
    todo = []
    ahead, changed = None, set()
    if cache and seg is not None:
        # a rebuild: the few changed pages are parsed in a forked copy while this process loads
        # the cached ones (each takes about as long as 200 cached pages)
        changed = {i for i, key in enumerate(keys) if not cache.has(key)}
        if 0 < len(changed) < PARALLEL_MIN_PAGES <= len(paths) - len(changed) and _can_fork():
            ahead = Forked(_read_list, [paths[i] for i in sorted(changed)], seg, taxonomy)
        else:
            changed = set()
    for i, key in enumerate(keys):
        if ahead is not None and i in changed:
            cache.get(key)  # counted as the miss it is
            continue
        hit = cache.get(key) if cache else None
        if hit is not None:
            results[i] = (hit, None)
        else:
            todo.append(i)
    if ahead is not None:
        for i, result in zip(sorted(changed), ahead.result()):
            results[i] = result
    bar = _progress(len(todo), "reading")
    if len(todo) >= PARALLEL_MIN_PAGES and seg is not None:
        from concurrent.futures import ProcessPoolExecutor

        size = max(4, len(todo) // 16)
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1), initializer=_init_worker,
                                 initargs=(str(content),)) as pool:
            for chunk, chunk_results in zip(chunks, pool.map(_read_chunk, [[paths[i] for i in c] for c in chunks])):
                for i, result in zip(chunk, chunk_results):
                    results[i] = result
                if bar:
                    bar.update(len(chunk))
    else:
        for i in todo:
            results[i] = _read_one(paths[i], seg, taxonomy)
            if bar:
                bar.update(1)
    if bar:
        bar.close()
    if cache:
        for i in todo + sorted(changed):
            page, exc = results[i]
            if exc is None:
                cache.put(keys[i], page)
    pages = []
    for page, exc in results:
        if exc is not None:
            if failures is None:
                raise exc
            failures.append(exc)
            continue
        pages.append(page)
    return pages


def _can_fork() -> bool:
    """Whether a stage may run in a forked copy of this process: on a system with fork, and only
    from a single-threaded process (forking beside other threads, as serve's file watcher, can
    leave the copy waiting on a lock one of them held)."""
    import multiprocessing
    import threading

    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _child_main(conn, fn, args) -> None:
    gc.disable()  # a short-lived copy: collecting would only copy the parent's pages
    try:
        result = (True, fn(*args))
    except BaseException as exc:  # sent to the parent, which raises it
        result = (False, exc)
    try:
        conn.send(result)
    except Exception as exc:  # an exception that does not pickle
        conn.send((False, RuntimeError(f"{type(result[1]).__name__}: {result[1]} ({exc})")))
    conn.close()


class Forked:
    """fn(*args) run in a forked copy of this process, beside the caller's own work: the copy
    shares the built site without pickling it, which a worker pool would have to do.
    result() waits and returns fn's value or raises its exception; cancel() stops it."""

    def __init__(self, fn, *args):
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self._receive, send = ctx.Pipe(duplex=False)
        gc.freeze()  # the copy's collections then leave the parent's objects shared (build() unfreezes)
        try:
            self._proc = ctx.Process(target=_child_main, args=(send, fn, args), daemon=True)
            self._proc.start()
        finally:
            send.close()

    def result(self):
        try:
            ok, value = self._receive.recv()
        except EOFError:
            ok, value = False, SiteError(None, "a build process stopped unexpectedly; the previous site is unchanged")
        finally:
            self._receive.close()
            self._proc.join()
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        self._proc.terminate()
        self._proc.join()
        self._receive.close()


def _search_part(site, out: Path, content: Path, seg, memo):
    """The search stage: its figures, and what the render memo learnt (which the parent's memo
    takes in when a forked copy ran it). With the build cache, the term numbers of the last
    build are used and kept (search-terms.pickle)."""
    numbers = None
    if memo is not None:
        path = memo.path.with_name("search-terms.pickle")
        numbers = search_stage.TermNumbers(read_state(path, memo.salt))
    info = search_stage.write_index(site, out, content, seg, memo, numbers)
    if numbers is not None:
        write_state(path, memo.salt, numbers.state(info["terms"]))
    return info, (memo.new, memo.reused) if memo is not None else None


def default_report(out: Path) -> Path:
    return out.parent / f"{out.name}-report.txt"


def write_report(path: Path, pages: list, failures: list) -> None:
    """The editor's report: every failure and warning, by file and line (no clock times)."""
    lines = ["lingyuan-site build report", ""]
    if failures:
        lines.append(f"Pages left out ({len(failures)}):")
        lines.extend(f"  {exc}" for exc in failures)
        lines.append("")
    count = sum(len(p.warnings) for p in pages)
    lines.append(f"Warnings ({count}):" if count else "No warnings.")
    for page in pages:
        for w in page.warnings:
            lines.append(f"  {page.path}:{w.line or '-'}: {w.kind}: {w.message}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def check_out_dir(out: Path, content: Path, project: Path) -> None:
    """Refuse an --out that would overwrite the sources: the content folder, the project root, or
    a folder containing either."""
    out_r, content_r, project_r = out.resolve(), content.resolve(), project.resolve()
    for protected, what in ((content_r, "the content folder"), (project_r, "the project folder")):
        if out_r == protected or out_r in protected.parents:
            raise SiteError(str(out), f"--out must not be {what} or a folder containing it; choose e.g. ./public")


def swap_in(tmp: Path, out: Path) -> None:
    """Replace `out` with `tmp` (two renames; the old site is removed only after the new one is in place)."""
    old = None
    if out.exists():
        if not out.is_dir():
            raise SiteError(str(out), "--out exists and is not a folder")
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    try:
        tmp.rename(out)
    except OSError:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def commit_in_place(tmp: Path, out: Path, files: list[str]) -> None:
    """Update the previous site `out` to this build's: move in the files written to `tmp` (each
    rename is atomic, and the old file stays whole until it is replaced), then remove what this
    build did not produce. Runs only after everything was rendered, so a build that fails leaves
    `out` untouched; it saves the rebuild from recreating thousands of story folders (mkdir,
    links, and rmdir of the old tree, most of a swap's cost)."""
    for folder, _dirs, names in os.walk(tmp):
        if names:
            target_dir = out / os.path.relpath(folder, tmp)
            target_dir.mkdir(parents=True, exist_ok=True)
            for name in names:
                os.replace(os.path.join(folder, name), target_dir / name)
    _prune(str(out), "", set(files))
    shutil.rmtree(tmp, ignore_errors=True)


def _prune(folder: str, prefix: str, keep: set) -> bool:
    """Remove what below `folder` is not in `keep` (paths relative to the site, `prefix` being
    the folder's), and the folders that leaves empty; True if `folder` itself is left empty."""
    empty = True
    with os.scandir(folder) as entries:
        for entry in entries:
            path = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if _prune(entry.path, path + "/", keep):
                    os.rmdir(entry.path)
                else:
                    empty = False
            elif path in keep:
                empty = False
            else:
                os.unlink(entry.path)
    return empty


def build(options: BuildOptions, progress: Optional[Callable[[str], None]] = None) -> BuildResult:
    """Build the site (see the module docstring). The garbage collector is paused while pages
    load and the loaded pages are frozen out of its walks; both are undone when the build ends."""
    enabled = gc.isenabled()
    try:
        return _build(options, progress)
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()
        else:
            gc.disable()


def _build(options: BuildOptions, progress: Optional[Callable[[str], None]] = None) -> BuildResult:
    timings = {}
    t0 = time.perf_counter()
    check_out_dir(options.out, options.content, options.project or options.content.parent)
    config: SiteConfig = load_config(options.content)
    if options.base_url:
        config = replace(config, base_url=normalize_base_url(options.base_url))
    paths = find_pages(options.content)
    failures: list = []
    taxonomy = themes_stage.load_taxonomy(options.content)
    seg = segment.Segmenter(lambda: themes_stage.taught_tokenizer(options.content, taxonomy))
    cache = PageCache(options.cache, options.content) if options.cache else None
    media_dir = options.cache / "media" if options.cache else Path(tempfile.mkdtemp(prefix="lingyuan-media-"))
    try:
        return _build_with(options, config, paths, taxonomy, seg, cache, media_dir, failures, timings, t0)
    finally:
        if not options.cache:
            shutil.rmtree(media_dir, ignore_errors=True)


def _build_with(options: BuildOptions, config: SiteConfig, paths: list, taxonomy, seg, cache, media_dir: Path, failures: list,
                timings: dict, t0: float) -> BuildResult:
    # Loading thousands of pages makes millions of objects and no reference cycles: the
    # collector, left on, walks them again and again (a third of the load at 2,000 pages). They
    # live to the end of the build, so afterwards they are frozen out of its walks too.
    gc.disable()
    pages = read_pages(paths, options.content, failures if options.keep_going else None, seg, taxonomy, cache)
    gc.enable()
    gc.freeze()
    timings["read+parse"] = time.perf_counter() - t0

    t = time.perf_counter()
    media = media_stage.Media(options.content, media_dir)
    pages = media.prepare(pages, failures if options.keep_going else None)
    timings["media"] = time.perf_counter() - t
    if not pages and paths:
        raise SiteError(str(options.content), f"no page could be read ({len(failures)} failed); nothing was published")

    t = time.perf_counter()
    published = [p for p in pages if not p.draft]
    themes_stage.apply(published, options.content, taxonomy, seg)
    timings["themes"] = time.perf_counter() - t

    t = time.perf_counter()
    slugs = SlugMemo(options.cache) if options.cache else None
    site = build_structure(published, config)
    attach_themes(site, taxonomy)
    timings["structure"] = time.perf_counter() - t  # with link_related, below

    out = options.out
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:
        raise SiteError(str(out), f"cannot write the site here ({exc.strerror}); choose another --out") from None
    try:
        memo = None
        if options.cache:
            templates = sorted(p for p in Path(options.templates).rglob("*") if p.is_file())
            salt = files_digest(templates + code_files(), repr(config).encode())
            memo = RenderMemo(options.cache / "render.pickle", out, salt)
        # the search stage needs the stories with their themes and keywords, not their related
        # stories or pages: on a large site it runs in a forked copy while this process links
        # related stories and renders
        t_search = time.perf_counter()
        search_part = Forked(_search_part, site, tmp, options.content, seg, memo) if len(published) >= PARALLEL_MIN_PAGES and _can_fork() else None
        try:
            t = time.perf_counter()
            related_path = options.cache / "related.pickle" if options.cache else None
            related = link_related(site, previous=read_state(related_path, cache.salt) if cache else None)
            if cache:
                write_state(related_path, cache.salt, related)
            timings["structure"] += time.perf_counter() - t
            t = time.perf_counter()
            renderer = Renderer(site, options.templates, options.static, memo, media_dir)
            files = renderer.render(tmp)
        except BaseException:
            if search_part is not None:
                search_part.cancel()
            raise
        timings["render"] = time.perf_counter() - t
        if search_part is not None:
            search_info, learnt = search_part.result()
            if memo is not None:
                memo.new.update(learnt[0])
                memo.reused += learnt[1]
            timings["search"] = time.perf_counter() - t_search  # beside related stories and render
        else:
            t = time.perf_counter()
            search_info = _search_part(site, tmp, options.content, seg, memo)[0]
            timings["search"] = time.perf_counter() - t
        files += search_info["files"]
        if memo is not None and memo.in_place:
            commit_in_place(tmp, out, files)
        else:
            os.chmod(tmp, 0o755)
            swap_in(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SiteError(str(getattr(exc, "filename", None) or out), f"cannot write the site ({exc.strerror}); the previous site is unchanged") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if cache:
        cache.prune()
        media_stage.prune(media_dir, pages)
    if memo is not None:
        write_pickle(memo.path, memo.state(out))
    if slugs is not None:
        slugs.save()
    timings["total"] = time.perf_counter() - t0
    warnings = [(p.path, w) for p in pages for w in p.warnings]
    report = options.report or default_report(out)
    try:
        write_report(report, pages, failures)
    except OSError:
        report = None  # the site is built; a report we cannot write is not worth failing for
    cache_figures = {"hits": cache.hits, "misses": cache.misses} if cache else {}
    if memo is not None:
        cache_figures["reused"] = memo.reused  # files linked from the previous site, not rendered
    media_figures = {"images": media.images, "encoded": sorted(media.encoded)}
    return BuildResult(site, pages, files, timings, warnings, search_info, failures, report, cache_figures, media_figures)
