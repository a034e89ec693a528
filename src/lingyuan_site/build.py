"""Stage 7, build: orchestration. Reads every page, runs the stages in order, renders into a
temporary folder beside --out and swaps it in only when everything succeeded, so a failed build
leaves the previous site untouched."""
from __future__ import annotations

import os
import shutil
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
from .render import Renderer
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


def read_pages(paths: list[Path], content: Path, failures: Optional[list] = None) -> list[Page]:
    """Load, normalise and parse every page. With `failures`, a page that fails is recorded
    there and left out; without, the first failure stops the build."""
    pages = []
    for path in paths:
        try:
            pages.append(parse_page(load_file(path, display_path(path))))
        except SiteError as exc:
            if failures is None:
                raise
            failures.append(exc)
    return pages


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


def build(options: BuildOptions, progress: Optional[Callable[[str], None]] = None) -> BuildResult:
    timings = {}
    t0 = time.perf_counter()
    check_out_dir(options.out, options.content, options.project or options.content.parent)
    config: SiteConfig = load_config(options.content)
    if options.base_url:
        config = replace(config, base_url=normalize_base_url(options.base_url))
    paths = find_pages(options.content)
    failures: list = []
    pages = read_pages(paths, options.content, failures if options.keep_going else None)
    if not pages and paths:
        raise SiteError(str(options.content), f"no page could be read ({len(failures)} failed); nothing was published")
    timings["read+parse"] = time.perf_counter() - t0

    t = time.perf_counter()
    published = [p for p in pages if not p.draft]
    taxonomy = themes_stage.load_taxonomy(options.content)
    seg = segment.Segmenter(lambda: themes_stage.taught_tokenizer(options.content, taxonomy))
    themes_stage.apply(published, options.content, taxonomy, seg)
    timings["themes"] = time.perf_counter() - t

    t = time.perf_counter()
    site = build_structure(published, config)
    attach_themes(site, taxonomy)
    link_related(site)
    timings["structure"] = time.perf_counter() - t

    out = options.out
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:
        raise SiteError(str(out), f"cannot write the site here ({exc.strerror}); choose another --out") from None
    try:
        t = time.perf_counter()
        renderer = Renderer(site, options.templates, options.static)
        files = renderer.render(tmp)
        timings["render"] = time.perf_counter() - t
        t = time.perf_counter()
        search_info = search_stage.write_index(site, tmp, options.content, seg)
        files += search_info["files"]
        timings["search"] = time.perf_counter() - t
        os.chmod(tmp, 0o755)
        swap_in(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SiteError(str(getattr(exc, "filename", None) or out), f"cannot write the site ({exc.strerror}); the previous site is unchanged") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    timings["total"] = time.perf_counter() - t0
    warnings = [(p.path, w) for p in pages for w in p.warnings]
    report = options.report or default_report(out)
    try:
        write_report(report, pages, failures)
    except OSError:
        report = None  # the site is built; a report we cannot write is not worth failing for
    return BuildResult(site, pages, files, timings, warnings, search_info, failures, report)
