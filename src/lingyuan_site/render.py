"""Stage 6, render: the site structure → HTML files through Jinja templates.

Templates receive plain data (the model, the structure, URLs) and never parse text: everything a
template shows is prepared here (body blocks with figures in place, data-box groups, ledes).
Links are relative (``root`` is "../" repeated), so the site works under any sub-path; 404.html is
served by hosts at any depth, so its links start from the base URL's path instead.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import urlparse

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound
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


class Renderer:
    def __init__(self, site: Site, templates: Path, static: Path):
        self.site = site
        self.static = Path(static)
        if not Path(templates).is_dir():
            raise SiteError(str(templates), "template folder not found")
        self.env = Environment(
            loader=FileSystemLoader(str(templates)),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.base_url = site.config.base_url
        self.base_path = urlparse(self.base_url).path or "/"
        self.absolute = self.base_url.startswith(("http://", "https://"))
        for entry in site.stories:
            entry.lede = lede(entry.story)
            entry.description = lede(entry.story, DESCRIPTION_CHARS) or entry.title
            entry.chars = sum(len(p) for p in entry.story.paragraphs)
        self.files: list[str] = []

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

    def write(self, out: Path, rel: str, template: str, **context) -> None:
        """Render `template` to `rel` (a site-relative folder URL like "2022/04/x/", or a file)."""
        path = rel + "index.html" if rel == "" or rel.endswith("/") else rel
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
            macros=self.env.get_template("_macros.html").module,
            kind_names=KIND_NAMES,
            **context,
        )

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
            self.write(out, year.url, "list.html", heading=f"{year.year}年", intro=f"{year.year}年共{year.count}篇稿件。",
                       groups=year.months, feed_url=None)
            for month in year.months:
                if month.url != year.url:
                    self.write(out, month.url, "list.html", heading=month.label, intro=f"{month.label}共{len(month.stories)}篇稿件。",
                               groups=[month], feed_url=None)
        for theme in site.themes:
            if theme.stories:
                self.write(out, theme.url, "list.html", heading=f"主题：{theme.name}",
                           intro=f"{theme.description} 共{len(theme.stories)}篇稿件，最新的在前。",
                           groups=[Group("全部稿件", theme.stories)], feed_url=theme.url + "feed.xml")
        for keyword in site.keywords:
            self.write(out, keyword.url, "list.html", heading=f"关键词：{keyword.word}",
                       intro=f"含关键词“{keyword.word}”的稿件共{len(keyword.stories)}篇，最新的在前。",
                       groups=[Group("全部稿件", keyword.stories)], feed_url=None)
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

    def _page(self, out: Path, spage: SitePage) -> None:
        previous = None
        columns = {c.name: c for c in spage.page.columns}
        for entry in spage.stories:
            col = entry.story.column
            entry.column_start = columns.get(col) if col and col != previous else None
            previous = col
        self.write(out, spage.url, "page.html", spage=spage)

    def _story(self, out: Path, entry: SiteStory) -> None:
        story = entry.story
        body = body_sections(story)
        headed = [s for s in body if s.heading]
        self.write(
            out,
            entry.url,
            "story.html",
            entry=entry,
            story=story,
            body=body,
            toc=len(headed) >= TOC_MIN_SECTIONS,
            data_groups=data_groups(story),
            keywords=entry.keyword_links,
            json_ld=json_ld(self.news_article(entry)),
        )

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
