"""Stage 6, render: the site structure → HTML files through Jinja templates.

Templates receive plain data (the model, the structure, URLs) and never parse text: everything a
template shows is prepared here (body blocks with figures in place, data-box groups, ledes).
Links are relative (``root`` is "../" repeated), so the site works under any sub-path; 404.html is
served by hosts at any depth, so its links start from the base URL's path instead.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import urlparse

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound
from markupsafe import Markup

from .errors import SiteError
from .model import Caption, Story
from .structure import Site, SitePage, SiteStory

KIND_NAMES = {"feature": "通讯", "brief": "消息", "photo": "图片新闻"}
TOC_MIN_SECTIONS = 3
FEED_ENTRIES = 50
LEDE_CHARS = 90
DESCRIPTION_CHARS = 150


@dataclass
class BodyBlock:
    kind: str  # "p" or "figure"
    text: str = ""
    caption: Optional[Caption] = None


@dataclass
class BodySection:
    id: str
    heading: Optional[str]
    blocks: list = field(default_factory=list)


@dataclass
class FeedEntry:
    title: str
    id: str
    link: str
    updated: str
    author: str
    themes: list
    summary: str


@dataclass
class SitemapURL:
    loc: str
    lastmod: Optional[str]


def rfc3339(date) -> str:
    """Atom needs a full timestamp: the first moment of the period the date names."""
    return f"{date.year:04d}-{date.month or 1:02d}-{date.day or 1:02d}T00:00:00Z"


def json_ld(data: dict) -> Markup:
    """JSON for a <script type="application/ld+json"> block that no text can close or break out of."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


@dataclass
class Group:
    label: str
    stories: list


@dataclass
class DataGroup:
    heading: Optional[str]
    items: list = field(default_factory=list)


def body_sections(story: Story) -> list[BodySection]:
    """Sections with paragraphs, and each caption as a figure after the paragraph it followed."""
    figures: dict[int, list] = {}
    for caption in story.captions:
        figures.setdefault(caption.paragraph, []).append(caption)
    out, n = [], 0
    for k, section in enumerate(story.sections, 1):
        sec = BodySection(f"s{k}", section.heading)
        for text in section.paragraphs:
            sec.blocks.extend(BodyBlock("figure", caption=c) for c in figures.pop(n, []))
            sec.blocks.append(BodyBlock("p", text))
            n += 1
        out.append(sec)
    rest = [c for k in sorted(figures) for c in figures[k]]
    if rest:  # captions after the last paragraph (or a story with no body text)
        if not out:
            out.append(BodySection("s1", None))
        out[-1].blocks.extend(BodyBlock("figure", caption=c) for c in rest)
    return out


def data_groups(story: Story) -> list[DataGroup]:
    groups = [DataGroup(None)]
    for item in story.data:
        if item.value is None:
            groups.append(DataGroup(item.label))
        else:
            groups[-1].items.append(item)
    return [g for g in groups if g.items or g.heading]


def _clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending on a sentence end when one is near."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind("。"), cut.rfind("！"), cut.rfind("？"))
    return cut[: end + 1] if end >= limit // 2 else cut.rstrip("，、；：") + "…"


def lede(story: Story, limit: int = LEDE_CHARS) -> str:
    text = story.summary[0] if story.summary else (story.paragraphs[0] if story.paragraphs else "")
    text = re.sub(r"^本报讯\s*", "", text)
    if not text and story.captions:
        text = story.captions[0].text
    return _clip(text, limit)


def _card(e: SiteStory):
    """What a story list, a prev/next link or a related story shows of a story (macros.story_item)."""
    return (e.title, e.url, e.date.iso, e.date.display, e.story.column, e.page.url, e.page.title, e.lede)


def _page_meta(spage: SitePage):
    page = spage.page
    return (spage.url, spage.title, page.date.iso, page.date.display, page.page, page.source, list(page.credits))


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
        digest = hashlib.sha256(pickle.dumps((kind, path, key), protocol=5)).digest()
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


class Renderer:
    def __init__(self, site: Site, templates: Path, static: Path, memo: Optional[RenderMemo] = None):
        self.site = site
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
        for entry in site.stories:
            entry.lede = lede(entry.story)
            entry.description = lede(entry.story, DESCRIPTION_CHARS) or entry.title
            entry.chars = sum(len(p) for p in entry.story.paragraphs)
        self.files: list[str] = []
        self._macros = None
        self._cards: dict = {}
        self._models: dict = {}

    def _card(self, e: Optional[SiteStory]):
        """_card, once per story (a story appears in many lists)."""
        if e is None:
            return None
        card = self._cards.get(id(e))
        if card is None:
            card = self._cards[id(e)] = _card(e)
        return card

    def _model(self, story):
        """story.to_dict() without the tagger's scores, which no page shows: once per story (its
        page's key and its own both hold it)."""
        found = self._models.get(id(story))
        if found is None:
            found = self._models[id(story)] = story.to_dict(scores=False)
        return found

    def abs_url(self, path: str) -> str:
        """A page's full address: https://host/base/path when base_url is absolute, else /base/path."""
        return self.base_url + path if self.absolute else self.base_path + path

    def _template(self, name: str):
        try:
            return self.env.get_template(name)
        except TemplateNotFound:
            raise SiteError(f"templates/{name}", "template is missing") from None
        except TemplateError as exc:
            raise SiteError(f"templates/{getattr(exc, 'name', None) or name}", f"template error: {exc}", getattr(exc, "lineno", None)) from None

    def write(self, out: Path, rel: str, template: str, key=None, more: Optional[Callable[[], dict]] = None, **context) -> None:
        """Render `template` to `rel` (a site-relative folder URL like "2022/04/x/", or a file).
        `key`, plain data holding everything the template shows from `context` and `more()` (more
        context, made only if the file is rendered), lets a rebuild reuse the previous build's
        file when it has not changed (RenderMemo)."""
        path = rel + "index.html" if rel == "" or rel.endswith("/") else rel
        digest = None
        if key is not None and self.memo is not None:
            digest = self.memo.lookup(template, path, key, out)
            if digest is None:
                self.files.append(path)
                return
        if more is not None:
            context.update(more())
        if self._macros is None:
            self._macros = self._template("_macros.html").module
        depth = path.count("/")
        root = context.pop("root", None)
        if root is None:
            root = "../" * depth
        self._render_to(
            out,
            path,
            template,
            site=self.site,
            root=root,
            url=rel,
            canonical=self.abs_url(rel) if self.absolute and rel != "404.html" else None,
            macros=self._macros,
            kind_names=KIND_NAMES,
            **context,
        )
        if digest is not None:
            self.memo.record(digest, path, out)

    def _render_to(self, out: Path, path: str, template: str, **context) -> None:
        """Render `template` into the file `path` below `out`; template errors name the template."""
        tpl = self._template(template)
        try:
            text = tpl.render(config=self.site.config, **context)
        except TemplateError as exc:
            raise SiteError(f"templates/{template}", f"template error: {exc}", getattr(exc, "lineno", None)) from None
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        self.files.append(path)

    def render(self, out: Path) -> list[str]:
        site = self.site
        self.write(out, "", "home.html", latest_pages=site.pages[:8], latest_stories=site.latest[: site.config.latest_count])
        self.write(out, "archive/", "archive.html")
        self.write(out, "themes/", "themes.html")
        self.write(out, "search/", "search.html")
        for year in site.years:
            self._list(out, year.url, f"{year.year}年", f"{year.year}年共{year.count}篇稿件。", year.months)
            for month in year.months:
                if month.url != year.url:
                    self._list(out, month.url, month.label, f"{month.label}共{len(month.stories)}篇稿件。", [month])
        for theme in site.themes:
            if theme.stories:
                self._list(out, theme.url, f"主题：{theme.name}", f"{theme.description} 共{len(theme.stories)}篇稿件，最新的在前。",
                           [Group("全部稿件", theme.stories)], feed_url=theme.url + "feed.xml")
        for keyword in site.keywords:
            self._list(out, keyword.url, f"关键词：{keyword.word}", f"含关键词“{keyword.word}”的稿件共{len(keyword.stories)}篇，最新的在前。",
                       [Group("全部稿件", keyword.stories)])
        for spage in site.pages:
            self._page(out, spage)
        for entry in site.stories:
            self._story(out, entry)
        self.write(out, "404.html", "404.html", root=self.base_path)
        self._feeds(out)
        self._sitemap(out)
        self.copy_static(out)
        return self.files

    # -- feeds, sitemap, robots ---------------------------------------------------------
    def _updated(self, entries: list) -> str:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch and epoch.isdigit():
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))
        return max((rfc3339(e.date) for e in entries), default="1970-01-01T00:00:00Z")

    def _feed(self, out: Path, path: str, title: str, subtitle: str, alternate: str, entries: list) -> None:
        entries = entries[:FEED_ENTRIES]
        items = [
            FeedEntry(
                title=e.title,
                id=self.abs_url(e.url) if self.absolute else f"tag:lingyuan-site,{e.date.iso}:{e.url}",
                link=self.abs_url(e.url),
                updated=rfc3339(e.date),
                author=e.story.byline or e.page.page.source or self.site.config.source or self.site.config.title,
                themes=e.themes,
                summary=e.description,
            )
            for e in entries
        ]
        self._render_to(out, path, "feed.xml", feed_title=title, feed_subtitle=subtitle,
                        feed_id=self.abs_url(path) if self.absolute else f"tag:lingyuan-site,2021:{path}",
                        feed_self=self.abs_url(path), feed_alternate=self.abs_url(alternate),
                        feed_updated=self._updated(entries), entries=items, abs_root=self.abs_url(""))

    def _feeds(self, out: Path) -> None:
        site = self.site
        self._feed(out, "feed.xml", f"{site.config.title}：最新稿件", site.config.description, "", site.latest)
        for theme in site.themes:
            if theme.stories:
                self._feed(out, theme.url + "feed.xml", f"{site.config.title}：{theme.name}", theme.description, theme.url, theme.stories)

    def _sitemap(self, out: Path) -> None:
        site = self.site
        urls = [SitemapURL(self.abs_url(""), site.latest[0].date.iso if site.stories else None),
                SitemapURL(self.abs_url("archive/"), None), SitemapURL(self.abs_url("themes/"), None),
                SitemapURL(self.abs_url("search/"), None)]
        for year in site.years:
            urls.append(SitemapURL(self.abs_url(year.url), None))
            urls.extend(SitemapURL(self.abs_url(m.url), None) for m in year.months if m.url != year.url)
        urls.extend(SitemapURL(self.abs_url(t.url), None) for t in site.themes if t.stories)
        urls.extend(SitemapURL(self.abs_url(k.url), None) for k in site.keywords)
        urls.extend(SitemapURL(self.abs_url(p.url), p.date.iso) for p in site.pages)
        urls.extend(SitemapURL(self.abs_url(e.url), e.date.iso) for e in site.stories)
        self._render_to(out, "sitemap.xml", "sitemap.xml", urls=urls)
        robots = "User-agent: *\nAllow: /\n" + (f"Sitemap: {self.abs_url('sitemap.xml')}\n" if self.absolute else "")
        (out / "robots.txt").write_text(robots, encoding="utf-8")
        self.files.append("robots.txt")

    def _list(self, out: Path, url: str, heading: str, intro: str, groups: list, feed_url: Optional[str] = None) -> None:
        key = (heading, intro, feed_url, [(g.label, [self._card(e) for e in g.stories]) for g in groups])
        self.write(out, url, "list.html", key=key, heading=heading, intro=intro, groups=groups, feed_url=feed_url)

    def _page(self, out: Path, spage: SitePage) -> None:
        previous = None
        columns = {c.name: c for c in spage.page.columns}
        for entry in spage.stories:
            col = entry.story.column
            entry.column_start = columns.get(col) if col and col != previous else None
            previous = col
        key = (_page_meta(spage), [(self._model(e.story), self._card(e), e.chars, e.column_start and (e.column_start.name, e.column_start.label))
                                   for e in spage.stories])
        self.write(out, spage.url, "page.html", key=key, spage=spage)

    def _story(self, out: Path, entry: SiteStory) -> None:
        story = entry.story
        article = self.news_article(entry)
        key = (self._model(story), self._card(entry), entry.description, _page_meta(entry.page), self._card(entry.prev), self._card(entry.next),
               [self._card(r) for r in entry.related], [(t.name, t.url) for t in entry.themes], [(k.word, k.url) for k in entry.keyword_links],
               article)

        def context() -> dict:  # what only rendering needs, made only when the story is rendered
            body = body_sections(story)
            return dict(body=body, toc=sum(1 for s in body if s.heading) >= TOC_MIN_SECTIONS, data_groups=data_groups(story),
                        json_ld=json_ld(article))

        self.write(out, entry.url, "story.html", key=key, more=context, entry=entry, story=story, keywords=entry.keyword_links)

    def news_article(self, entry: SiteStory) -> dict:
        story, config = entry.story, self.site.config
        publisher = entry.page.page.source or config.source or config.title
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": entry.title,
            "datePublished": entry.date.iso,
            "inLanguage": config.language,
            "url": self.abs_url(entry.url),
            "mainEntityOfPage": self.abs_url(entry.url),
            "description": entry.description,
            "author": {"@type": "Person", "name": story.byline} if story.byline else {"@type": "Organization", "name": publisher},
            "publisher": {"@type": "Organization", "name": publisher},
            "isPartOf": {"@type": "WebSite", "name": config.title, "url": self.abs_url("")},
        }
        if entry.themes:
            data["articleSection"] = [t.name for t in entry.themes]
        if story.keywords:
            data["keywords"] = list(story.keywords)
        return data

    def copy_static(self, out: Path) -> None:
        if not self.static.is_dir():
            return
        for src in sorted(self.static.rglob("*")):
            if src.is_file():
                rel = src.relative_to(self.static).as_posix()
                dst = out / "static" / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
                self.files.append(f"static/{rel}")
