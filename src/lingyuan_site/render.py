"""Stage 6, render: the site's structure → HTML files through Jinja templates.

Each template receives one view (views.py: plain data read from the store) as ``v``, plus what
every page shows (``common``: the site's name, description …), ``root`` and the page's own address.
Templates never parse text and never reach into the model. A file's digest is the digest of exactly
what its template receives, so a rebuild keeps a file only when nothing it shows changed.
Links are relative (``root`` is "../" repeated), so the site works under any sub-path; 404.html is
served by hosts at any depth, so its links start from the base URL's path instead.

Work comes as tasks (``plan``): a story, a page, a month, one year of a tag's list … Each task
renders every file of its group (``story:<key>``, ``list:t:economy:2022`` …), so the files a group
no longer produces can be deleted. A cold build plans every task; a rebuild plans what
structure.Dirty names. Tasks run on the build's workers (workers.executor), each opening the
store for itself and writing into the staging folder.
"""
from __future__ import annotations

import os
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional
from urllib.parse import urlparse

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound

from .config import SiteConfig
from .errors import SiteError
from .publish import Writer
from .sitefolder import files_of
from .store import Damaged, pack, unpack, value_of
from .site import (LIST_SIZE, LANDING_SIZE, SiteData, archive_list_pages, day_url, list_pages, month_url, page_groups,
                   tag_year_pages)
from .structure import Dirty, date_of_key
from .views import TAGS_PER_INDEX_PAGE, Views
from . import feeds

PAGES_INDEX_ALL = 200  # 往期版面 on one page up to this many pages (about 80 KB); beyond, one page per year
TASK_CHUNK = 64


class CheckedBytecodeCache(FileSystemBytecodeCache):
    """Jinja's compiled templates on disk, each file with a checksum (store.pack's rule): a damaged
    or edited file is compiled again, never executed. Jinja keys a file by the template's name and
    source, so a template edit is a new file."""

    def load_bytecode(self, bucket) -> None:
        try:
            data = Path(self._get_cache_filename(bucket)).read_bytes()
            body = unpack(data)
        except (OSError, Damaged):
            return
        try:
            bucket.bytecode_from_string(body)
        except Exception:  # (a checksummed file from another Python: jinja checks its magic)
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        name = Path(self._get_cache_filename(bucket))
        tmp = name.with_name(f"{name.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(pack(bucket.bytecode_to_string()))
            os.replace(tmp, name)
        except OSError:
            pass


# every template the site needs, checked (and compiled) before anything is written, in this order
TEMPLATES = ("base.html", "story.html", "page.html", "home.html", "list.html", "year.html", "month.html", "day.html",
             "archive.html", "themes.html", "tags.html", "pages.html", "search.html", "404.html", "feed.xml",
             "sitemap.xml", "sitemap-index.xml")


@dataclass(frozen=True)
class Setup:
    """What a render worker needs to open the site and write files (it pickles)."""

    store: str
    config: SiteConfig
    themes: tuple  # themes.Theme
    templates: tuple  # folders, the site's own first (sitefolder.template_dirs)
    static: tuple  # likewise (sitefolder.static_dirs)
    staging: str
    salt: bytes
    full: bool  # write every file (a cold build)
    jinja_cache: Optional[str] = None
    media_cache: Optional[str] = None


class Renderer:
    def __init__(self, setup: Setup, data: SiteData):
        self.setup = setup
        self.data = data
        self.env = Environment(
            loader=FileSystemLoader(list(setup.templates)),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            bytecode_cache=CheckedBytecodeCache(setup.jinja_cache) if setup.jinja_cache else None,
        )
        for name in TEMPLATES:
            self.template(name)
        self.config = setup.config
        self.base_url = self.config.base_url
        self.base_path = urlparse(self.base_url).path or "/"
        self.absolute = self.base_url.startswith(("http://", "https://"))
        self.views = Views(data, self.abs_url, self.absolute)
        self._common = self.views.common()
        previous = None if setup.full else _previous(data)
        self.writer = Writer(Path(setup.staging), previous, setup.salt)

    def abs_url(self, path: str) -> str:
        """A page's full address: https://host/base/path when base_url is absolute, else /base/path."""
        return self.base_url + path if self.absolute else self.base_path + path

    def template(self, name: str):
        try:
            return self.env.get_template(name)
        except TemplateNotFound:
            raise SiteError(f"templates/{name}", "template is missing") from None
        except TemplateError as exc:
            raise SiteError(f"templates/{getattr(exc, 'name', None) or name}", f"template error: {exc}", getattr(exc, "lineno", None)) from None

    def page(self, rel: str, template: str, view, group: str, year: Optional[int] = None, lastmod: Optional[str] = None,
             root: Optional[str] = None) -> None:
        """Render `template` with the view `view` to the folder URL `rel` ("2022/04/x/") or the file
        `rel` ("404.html"), unless the last build published the same view there."""
        path = rel + "index.html" if rel == "" or rel.endswith("/") else rel
        context = {
            "v": view,
            "common": self._common,
            "root": root if root is not None else "../" * path.count("/"),
            "url": rel,
            "canonical": self.abs_url(rel) if self.absolute and rel != "404.html" else None,
        }
        self.writer.write(template, path, context, lambda: self.render_text(template, context).encode("utf-8"), group, year, lastmod)

    def render_text(self, template: str, context: dict) -> str:
        tpl = self.template(template)
        try:
            return tpl.render(**context)
        except TemplateError as exc:
            raise SiteError(f"templates/{template}", f"template error: {exc}", getattr(exc, "lineno", None)) from None
        except SiteError:
            raise
        except RecursionError as exc:
            # (the template that recurs: the one of the templates folders that most of the frames are in)
            frames = self._template_frames(exc)
            name = Counter(f[0] for f in frames).most_common(1)[0][0] if frames else template
            raise SiteError(f"templates/{name}", "template error: it includes or extends itself, or nests too deeply") from None
        except Exception as exc:  # (a template's own expression failed: 1 / 0, a call on a missing value …)
            name, line = (self._template_frames(exc) or [(template, None)])[-1]
            raise SiteError(f"templates/{name}", f"template error: {type(exc).__name__}: {exc}", line) from None

    def _template_frames(self, exc: BaseException) -> list[tuple[str, int]]:
        """The template files and lines `exc` passed through, outermost first (Jinja's tracebacks
        name them), each as the site names it: relative to its templates folder."""
        found = []
        folders = [Path(d).resolve() for d in self.setup.templates]
        tb = exc.__traceback__
        while tb is not None:
            filename = Path(tb.tb_frame.f_code.co_filename)
            folder = next((f for f in folders if f in filename.parents), None)
            if folder is not None:
                found.append((filename.relative_to(folder).as_posix(), tb.tb_lineno))
            tb = tb.tb_next
        return found

    # -- tasks -------------------------------------------------------------------
    def run(self, task: tuple) -> None:
        getattr(self, "task_" + task[0])(*task[1:])

    def task_story(self, key: str) -> None:
        row = self.data.story(key)
        if row is not None:
            d = row.date
            self.page(row.url, "story.html", self.views.story(key), f"story:{key}", d.year, d.iso)

    def task_page(self, path: str) -> None:
        row = self.data.page(path)
        if row is not None:
            self.page(row.url, "page.html", self.views.page(path), f"page:{path}", row.date.year, row.date.iso)

    def task_media(self, path: str) -> None:
        """A page's photos and scan, copied from the media cache."""
        from . import media

        if self.data.page(path) is None or not self.setup.media_cache:
            return
        rec = self.data.record(path)
        for img in media.images_of([rec]):
            for rel in img.files():
                source = Path(self.setup.media_cache) / img.key[:2] / img.key / Path(rel).name
                # (grouped by image, not by page: two pages may show one photo, and its files go
                # when no page shows it any more; see Build._publish)
                self.writer.copy("media", rel, rel, str(source), f"img:{img.key}")

    def task_year(self, year: int) -> None:
        data, views = self.data, self.views
        if not data.year_pages(year):
            return
        undated = data.month_pages(year, None)
        lps = archive_list_pages(data, f"{year:04d}/", year, undated) if undated else []
        firsts = lps or [None]
        for lp in firsts:
            self.page(lp.url if lp else f"{year:04d}/", "year.html", views.year(year, lps, lp), f"year:{year}", year)

    def task_month(self, year: int, month: int) -> None:
        data, views = self.data, self.views
        pages = data.month_pages(year, month)
        if not pages:
            return
        url = month_url(year, month)
        has_days = any(p.date.day for p in pages)
        listed = pages if not has_days or sum(p.count for p in pages) <= LIST_SIZE else [p for p in pages if not p.date.day]
        lps = archive_list_pages(data, url, year, listed) or [_empty(url, year)]
        for lp in lps:
            self.page(lp.url, "month.html", views.month(year, month, pages, lps, lp), f"month:{year}-{month}", year)

    def task_day(self, daykey: int) -> None:
        data, views = self.data, self.views
        d = date_of_key(daykey)
        pages = data.day_pages(daykey)
        if not pages or not d.day:
            return
        lps = archive_list_pages(data, day_url(d), d.year, pages)
        for lp in lps:
            self.page(lp.url, "day.html", views.day(d, pages, lps, lp), f"day:{daykey}", d.year)

    def _tag(self, tag: str) -> Optional[tuple]:
        """(kind, name, about, url, feed url) of a tag with a list, else None."""
        if tag.startswith("t:"):
            theme = self.data.theme_by_slug.get(tag[2:])
            if theme is None:
                return None
            return "主题", theme.name, theme.description, theme.url, theme.url + "feed.xml"
        found = self.data.keyword(tag[2:])
        if found is None:
            return None
        return "关键词", tag[2:], f"含关键词“{tag[2:]}”的稿件。", f"tags/{found[0]}/", None

    def task_landing(self, tag: str) -> None:
        info = self._tag(tag)
        if info is None or not self.data.tag_count(tag):
            return
        kind, name, about, url, feed_url = info
        self.page(url, "list.html", self.views.list_landing(kind, name, about, tag, url, feed_url), f"list:{tag}")

    def task_list_year(self, tag: str, year: int) -> None:
        info = self._tag(tag)
        if info is None or self.data.tag_count(tag) <= LANDING_SIZE:
            return
        kind, name, _, url, _ = info
        pages = tag_year_pages(self.data, tag, url, year)
        years = [y for y, _ in self.data.tag_years(tag)]
        for lp in pages:
            self.page(lp.url, "list.html", self.views.list_year(kind, name, url, years, year, pages, lp), f"list:{tag}:{year}", year)

    def task_home(self) -> None:
        self.page("", "home.html", self.views.home(), "index:home")
        self.page("archive/", "archive.html", self.views.archive(), "index:archive")
        self.page("themes/", "themes.html", self.views.themes(), "index:themes")
        self.page("search/", "search.html", self.views.search(), "index:search")
        self.page("404.html", "404.html", {}, "index:404", root=self.base_path)

    def task_pages_index(self) -> None:
        data = self.data
        years = data.year_counts()
        if sum(p for _, p, _ in years) <= PAGES_INDEX_ALL or len(years) <= 1:
            self.page("pages/", "pages.html", self.views.pages_index(years, None, years), "index:pages")
            return
        for i, year in enumerate(years):
            self.page("pages/" if i == 0 else f"pages/{year[0]}/", "pages.html", self.views.pages_index([year], year[0], years), "index:pages")

    def task_tags_index(self) -> None:
        data = self.data
        total = data.keyword_count()
        count = max(1, -(-total // TAGS_PER_INDEX_PAGE))
        for n in range(1, count + 1):
            part = data.keywords_ranked((n - 1) * TAGS_PER_INDEX_PAGE, TAGS_PER_INDEX_PAGE)
            self.page("tags/" if n == 1 else f"tags/page/{n}/", "tags.html",
                      self.views.tags(n, count, part, (n - 1) * TAGS_PER_INDEX_PAGE, total), "index:tags")

    def task_feed(self, tag: Optional[str]) -> None:
        feeds.feed(self, tag)

    def task_static(self) -> None:
        for rel, src in files_of([Path(folder) for folder in self.setup.static]).items():
            data = src.read_bytes()
            self.writer.write("static", f"static/{rel}", data, lambda d=data: d, "static")


def _empty(url: str, year: int):
    from .site import ListPage

    return ListPage(url, year, 1, [])


def _previous(data: SiteData):
    db = data.db

    def previous(path: str) -> Optional[bytes]:
        return value_of(db, "SELECT digest FROM outputs WHERE path=?", (path,))

    return previous


# ---------------------------------------------------------------------------- planning
def plan(data: SiteData, dirty: Dirty) -> list[tuple]:
    """The tasks a build runs: all of them for a cold build, else what `dirty` names."""
    db = data.db
    tasks: list[tuple] = [("home",), ("static",), ("feed", None)]
    if dirty.everything:
        tasks += [("story", k) for (k,) in db.execute("SELECT key FROM stories ORDER BY ord")]
        tasks += [("page", p) for (p,) in db.execute("SELECT path FROM pages ORDER BY ord")]
        tasks += [("media", p) for (p,) in db.execute("SELECT path FROM pages ORDER BY ord")]
        tasks += [("year", y) for y in data.years()]
        tasks += [("month", y, m) for y, m in db.execute("SELECT DISTINCT year, month FROM pages WHERE month IS NOT NULL ORDER BY year, month")]
        tasks += [("day", k) for (k,) in db.execute("SELECT DISTINCT daykey FROM pages WHERE day IS NOT NULL ORDER BY daykey")]
        tags = [f"t:{t.slug}" for t in data.themes] + [f"k:{w}" for w, _, _ in data.keywords_ranked()]
        for tag in tags:
            tasks.append(("landing", tag))
            tasks += [("list_year", tag, y) for y, _ in data.tag_years(tag)]
        tasks += [("feed", f"t:{t.slug}") for t in data.themes]
        tasks += [("pages_index",), ("tags_index",)]
        return tasks
    tasks += [("story", k) for k in sorted(dirty.stories | set(dirty.gone_stories))]
    tasks += [("page", p) for p in sorted(dirty.pages | set(dirty.gone_pages))]
    tasks += [("media", p) for p in sorted(dirty.sources)]
    years, months, days = set(), set(), set()
    for dk in dirty.days:
        d = date_of_key(dk)
        years.add(d.year)
        if d.month:
            months.add((d.year, d.month))
        if d.day:
            days.add(dk)
    # a month that appeared or went changes its year's month strip on every month page of the
    # year; a day that appeared or went, the 前一天/后一天 links of the days beside it
    for y, m in list(months):
        if _exists(db, "pages WHERE year=? AND month=?", (y, m)) != _exists(db, "outputs WHERE grp=?", (f"month:{y}-{m}",)):
            months.update((y, mm) for (mm,) in db.execute("SELECT DISTINCT month FROM pages WHERE year=? AND month IS NOT NULL", (y,)))
    for dk in list(days):
        if _exists(db, "pages WHERE daykey=?", (dk,)) != _exists(db, "outputs WHERE grp=?", (f"day:{dk}",)):
            days.update(k for k in data.day_neighbours(dk) if k is not None)
    tasks += [("year", y) for y in sorted(years)]
    tasks += [("month", y, m) for y, m in sorted(months)]
    tasks += [("day", k) for k in sorted(days)]
    for tag in sorted(dirty.lists):
        wanted = dirty.lists[tag]
        if db.execute("SELECT 1 FROM outputs WHERE grp=? LIMIT 1", (f"list:{tag}",)).fetchone() is None:
            wanted = set(wanted) | {y for y, _ in data.tag_years(tag)} | {None}  # a list new to the site: all its years
        old_years = {r[0] for r in db.execute("SELECT DISTINCT year FROM outputs WHERE grp GLOB ?", (f"list:{_glob(tag)}:*",))}
        now_years = {y for y, _ in data.tag_years(tag)}
        if (data.tag_count(tag) > LANDING_SIZE) != bool(old_years):
            wanted = set(wanted) | old_years | now_years | {None}  # the list gained or lost its year pages
        if None in wanted:
            tasks.append(("landing", tag))
        tasks += [("list_year", tag, y) for y in sorted(y for y in wanted if y is not None)]
        if tag.startswith("t:"):
            tasks.append(("feed", tag))
    if dirty.pages_index:
        tasks.append(("pages_index",))
    if dirty.tags_index:
        tasks.append(("tags_index",))
    return tasks


def _exists(db, where: str, args: tuple) -> bool:
    return db.execute(f"SELECT 1 FROM {where} LIMIT 1", args).fetchone() is not None


def _glob(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


# a task's kind → the output groups it renders, formatted with the task's arguments
GROUPS = {
    "story": ["story:{1}"], "page": ["page:{1}"], "media": ["media:{1}"], "year": ["year:{1}"],
    "month": ["month:{1}-{2}"], "day": ["day:{1}"], "landing": ["list:{1}"], "list_year": ["list:{1}:{2}"],
    "home": ["index:home", "index:archive", "index:themes", "index:search", "index:404"],
    "pages_index": ["index:pages"], "tags_index": ["index:tags"], "static": ["static"],
}


def groups_of(task: tuple) -> list[str]:
    """The output groups a task renders (every file of them, so what it does not write is gone)."""
    if task[0] == "feed":
        return [f"feed:{task[1] or 'main'}"]
    return [g.format(*task) for g in GROUPS[task[0]]]


# ---------------------------------------------------------------------------- running
_WORKER: dict = {}


def run_tasks(setup: Setup, tasks: list) -> tuple[list, list]:
    """Run tasks (in a worker or in the build itself): their output records and the files written."""
    from .store import Store

    found = _WORKER.get("renderer")
    if found is None or found[0] != setup:
        store = Store(Path(setup.store), readonly=True)
        data = SiteData(store, setup.config, list(setup.themes))
        found = _WORKER["renderer"] = (setup, Renderer(setup, data))
    renderer = found[1]
    renderer.writer.records = []
    renderer.writer.written = []
    for task in tasks:
        renderer.run(task)
    return renderer.writer.records, renderer.writer.written


def chunks(tasks: list, size: int = TASK_CHUNK) -> Iterable[list]:
    for i in range(0, len(tasks), size):
        yield tasks[i : i + size]


__all__ = ["Renderer", "Setup", "plan", "groups_of", "run_tasks", "LIST_SIZE"]
