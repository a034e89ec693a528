"""Feeds, sitemaps and robots.txt (Zola's feeds.rs and sitemap.rs): what a feed reader, a search
engine and a crawler read, written through the build's Writer like every other file.

Feed timestamps come from story dates (or SOURCE_DATE_EPOCH), never from the clock, so builds stay
byte-identical. The sitemap is an index (sitemap.xml) of one sitemap per year of the archive
(sitemap-2022.xml: the year's stories, pages and archive pages) and one for the rest
(sitemap-main.xml), each far under the protocol's 50,000 addresses: an edit rewrites the sitemap of
its own year only.
"""
from __future__ import annotations

import os
import time
from typing import Optional

from .views import description

FEED_ENTRIES = 50
SITEMAP_MAX = 50_000


def rfc3339(date) -> str:
    """Atom needs a full timestamp: the first moment of the period the date names."""
    return f"{date.year:04d}-{date.month or 1:02d}-{date.day or 1:02d}T00:00:00Z"


def updated(dates: list) -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))
    return max((rfc3339(d) for d in dates), default="1970-01-01T00:00:00Z")


def feed(renderer, tag: Optional[str]) -> None:
    """The site's feed (tag None: its newest stories) or a theme's (tag 't:<slug>')."""
    data, config, abs_url, absolute = renderer.data, renderer.config, renderer.abs_url, renderer.absolute
    if tag is None:
        path, title, subtitle, alternate = "feed.xml", f"{config.title}：最新稿件", config.description, ""
        rows = data.newest_stories(FEED_ENTRIES)
    else:
        theme = data.theme_by_slug.get(tag[2:])
        if theme is None or not data.tag_count(tag):
            return
        path, title, subtitle, alternate = theme.url + "feed.xml", f"{config.title}：{theme.name}", theme.description, theme.url
        rows = data.tag_newest(tag, FEED_ENTRIES)
    items = []
    for e in rows:
        rec = data.record(e.page)
        story = rec.stories[e.index]
        items.append({
            "title": e.title,
            "id": abs_url(e.url) if absolute else f"tag:lingyuan-site,{e.date.iso}:{e.url}",
            "link": abs_url(e.url),
            "updated": rfc3339(e.date),
            "author": story.byline or rec.source or config.source or config.title,
            "themes": [{"slug": t.slug, "name": t.name} for t in (data.theme_by_slug.get(s) for s in e.themes) if t],
            "summary": description(story, e.title),
        })
    context = {"common": renderer._common, "feed_title": title, "feed_subtitle": subtitle,
               "feed_id": abs_url(path) if absolute else f"tag:lingyuan-site,2021:{path}",
               "feed_self": abs_url(path), "feed_alternate": abs_url(alternate), "feed_updated": updated([e.date for e in rows]),
               "entries": items, "abs_root": abs_url("")}
    renderer.writer.write("feed.xml", path, context, lambda: renderer.render_text("feed.xml", context).encode("utf-8"),
                          f"feed:{tag or 'main'}")


def sitemaps(renderer, db, years: Optional[set]) -> None:
    """The sitemaps of `years` (None: every year) and their index, from the outputs table (which
    holds this build's files by now), and robots.txt."""
    abs_url = renderer.abs_url
    all_years = sorted({r[0] for r in db.execute("SELECT DISTINCT year FROM outputs WHERE path GLOB '*index.html' AND year IS NOT NULL")})
    names = ["sitemap-main.xml"] + [f"sitemap-{y}.xml" for y in all_years]
    todo = [None] + (sorted(years) if years is not None else all_years)
    for y in todo:
        group = f"sitemap:{y if y is not None else 'main'}"
        if y is not None and y not in all_years:
            renderer.writer.forget(group)  # a year no longer in the archive: its sitemap goes
            continue
        rows = db.execute("SELECT path, lastmod FROM outputs WHERE path GLOB '*index.html' AND year IS ?", (y,)).fetchall()
        if y is None:
            newest = db.execute("SELECT max(lastmod) FROM outputs WHERE grp GLOB 'story:*'").fetchone()[0]
            rows = [(p, newest if p == "index.html" else m) for p, m in rows]
        pages = sorted(((p[: -len("index.html")], m) for p, m in rows), key=lambda r: (r[0].count("/"), r[0]))
        urls = [{"loc": abs_url(p), "lastmod": m} for p, m in pages][:SITEMAP_MAX]
        name = f"sitemap-{y}.xml" if y is not None else "sitemap-main.xml"
        _write(renderer, name, "sitemap.xml", {"urls": urls}, group, y)
    _write(renderer, "sitemap.xml", "sitemap-index.xml", {"maps": [abs_url(n) for n in names]}, "sitemap:index")
    robots = "User-agent: *\nAllow: /\n" + (f"Sitemap: {abs_url('sitemap.xml')}\n" if renderer.absolute else "")
    renderer.writer.write("robots", "robots.txt", robots, lambda: robots.encode("utf-8"), "robots")


def _write(renderer, path: str, template: str, context: dict, group: str, year: Optional[int] = None) -> None:
    renderer.writer.write(template, path, context, lambda: renderer.render_text(template, context).encode("utf-8"), group, year)
