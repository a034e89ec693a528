"""Stage 6, render: the site structure → HTML files through Jinja templates.

Each template receives one view (views.py: plain data made from the structure) as ``v``, plus what
every page shows (``common``: the site's name, description …), ``root`` and the page's own address.
Templates never parse text and never reach into the model. A file's memo key is the digest of
exactly what its template receives, so a rebuild keeps a file only when nothing it shows changed.
Links are relative (``root`` is "../" repeated), so the site works under any sub-path; 404.html is
served by hosts at any depth, so its links start from the base URL's path instead.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional
from urllib.parse import urlparse

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound

from .errors import SiteError
from .output import RenderMemo, Writer
from .structure import LIST_SIZE, Site
from .views import TAGS_PER_INDEX_PAGE, Views
from . import feeds, media

PAGES_INDEX_ALL = 200  # 往期版面 on one page up to this many pages (about 80 KB); beyond, one page per year


class Renderer:
    def __init__(self, site: Site, templates: Path, static: Path, memo: Optional[RenderMemo] = None, media_dir: Optional[Path] = None):
        self.site = site
        self.media_dir = media_dir
        self.static = Path(static)
        self.memo = memo
        if not Path(templates).is_dir():
            raise SiteError(str(templates), "template folder not found")
        self.env = Environment(
            loader=FileSystemLoader(str(templates)),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # compiled templates kept in the build cache, as for the render memo
            bytecode_cache=FileSystemBytecodeCache(str(memo.folder("jinja"))) if memo is not None else None,
        )
        self.base_url = site.config.base_url
        self.base_path = urlparse(self.base_url).path or "/"
        self.absolute = self.base_url.startswith(("http://", "https://"))
        self.views = Views(site, self.abs_url, self.absolute)
        self._common = self.views.common()
        self.writer: Optional[Writer] = None

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

    def page(self, rel: str, template: str, view_of, root: Optional[str] = None) -> None:
        """Render `template` with the view `view_of()` to the folder URL `rel` ("2022/04/x/") or the
        file `rel` ("404.html"), unless the memo keeps the previous file (same view, same file)."""
        path = rel + "index.html" if rel == "" or rel.endswith("/") else rel
        context = {
            "v": view_of(),
            "common": self._common,
            "root": root if root is not None else "../" * path.count("/"),
            "url": rel,
            "canonical": self.abs_url(rel) if self.absolute and rel != "404.html" else None,
        }
        self.writer.write(template, path, context, lambda: self.render_text(template, context).encode("utf-8"))

    def render_text(self, template: str, context: dict) -> str:
        tpl = self.template(template)
        try:
            return tpl.render(**context)
        except TemplateError as exc:
            raise SiteError(f"templates/{template}", f"template error: {exc}", getattr(exc, "lineno", None)) from None

    def render(self, out: Path) -> list[str]:
        site, views = self.site, self.views
        self.writer = Writer(out, self.memo)
        self.page("", "home.html", views.home)
        self.page("archive/", "archive.html", views.archive)
        self.page("themes/", "themes.html", views.themes)
        self.page("search/", "search.html", views.search)
        self._pages_index()
        self._tags_index()
        for year in site.years:
            undated = year.month(None)
            firsts = undated.list_pages if undated else [None]
            self.page(year.url, "year.html", lambda y=year, lp=firsts[0]: views.year(y, lp))
            for lp in firsts[1:]:
                self.page(lp.url, "year.html", lambda y=year, lp=lp: views.year(y, lp))
            for month in year.months:
                if month.month is None:
                    continue
                for lp in month.list_pages:
                    self.page(lp.url, "month.html", lambda y=year, m=month, lp=lp: views.month(y, m, lp))
                for day in month.days:
                    for lp in day.list_pages:
                        self.page(lp.url, "day.html", lambda y=year, m=month, d=day, lp=lp: views.day(y, m, d, lp))
        for theme in site.themes:
            if theme.stories:
                self._story_list("主题", theme.name, theme.description, theme.list, theme.url + "feed.xml")
        for keyword in site.keywords:
            self._story_list("关键词", keyword.word, f"含关键词“{keyword.word}”的稿件。", keyword.list)
        for spage in site.pages:
            self.page(spage.url, "page.html", lambda sp=spage: views.page(sp))
        for entry in site.stories:
            self.page(entry.url, "story.html", lambda e=entry: views.story(e))
        self.page("404.html", "404.html", dict, root=self.base_path)
        if self.media_dir is not None:
            media.publish(media.images_of(sp.model for sp in site.pages), self.media_dir, self.writer)
        feeds.write(self)
        self.copy_static(out)
        return self.writer.files

    def _story_list(self, kind: str, name: str, about: str, lst, feed_url: Optional[str] = None) -> None:
        views = self.views
        self.page(lst.url, "list.html", lambda: views.list_landing(kind, name, about, lst, feed_url))
        for year, pages in lst.years.items():
            for lp in pages:
                self.page(lp.url, "list.html", lambda y=year, lp=lp: views.list_year(kind, name, lst, y, lp, lst.url))

    def _pages_index(self) -> None:
        years = self.site.years
        if len(self.site.pages) <= PAGES_INDEX_ALL or len(years) <= 1:
            self.page("pages/", "pages.html", lambda: self.views.pages_index(years, None, years))
            return
        for i, year in enumerate(years):
            self.page("pages/" if i == 0 else f"pages/{year.year}/", "pages.html",
                      lambda y=year: self.views.pages_index([y], y, years))

    def _tags_index(self) -> None:
        keywords = self.site.keywords
        count = max(1, -(-len(keywords) // TAGS_PER_INDEX_PAGE))
        for n in range(1, count + 1):
            part = keywords[(n - 1) * TAGS_PER_INDEX_PAGE : n * TAGS_PER_INDEX_PAGE]
            self.page("tags/" if n == 1 else f"tags/page/{n}/", "tags.html",
                      lambda n=n, part=part: self.views.tags(n, count, part, (n - 1) * TAGS_PER_INDEX_PAGE))

    def copy_static(self, out: Path) -> None:
        if not self.static.is_dir():
            return
        for src in sorted(self.static.rglob("*")):
            if src.is_file():
                rel = src.relative_to(self.static).as_posix()
                dst = out / "static" / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
                self.writer.files.append(f"static/{rel}")


__all__ = ["Renderer", "RenderMemo", "LIST_SIZE"]
