"""Feeds, sitemap and robots.txt (Zola's feeds.rs and sitemap.rs): what a feed reader, a search
engine and a crawler read, written through the renderer's Writer like every other file.

Feed timestamps come from story dates (or SOURCE_DATE_EPOCH), never from the clock, so builds stay
byte-identical. The sitemap lists every HTML page the build wrote; past 50,000 addresses (the
sitemap protocol's limit per file) sitemap.xml becomes an index of numbered sitemaps.
"""
from __future__ import annotations

import os
import time

from .views import description

FEED_ENTRIES = 50
SITEMAP_MAX = 50_000


def rfc3339(date) -> str:
    """Atom needs a full timestamp: the first moment of the period the date names."""
    return f"{date.year:04d}-{date.month or 1:02d}-{date.day or 1:02d}T00:00:00Z"


def updated(entries: list) -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))
    return max((rfc3339(e.date) for e in entries), default="1970-01-01T00:00:00Z")


def feed(renderer, path: str, title: str, subtitle: str, alternate: str, entries: list) -> None:
    site, abs_url, absolute = renderer.site, renderer.abs_url, renderer.absolute
    entries = entries[:FEED_ENTRIES]
    items = [
        {
            "title": e.title,
            "id": abs_url(e.url) if absolute else f"tag:lingyuan-site,{e.date.iso}:{e.url}",
            "link": abs_url(e.url),
            "updated": rfc3339(e.date),
            "author": e.story.byline or e.site_page.model.source or site.config.source or site.config.title,
            "themes": [{"slug": t.slug, "name": t.name} for t in e.themes],
            "summary": description(e),
        }
        for e in entries
    ]
    context = {"common": renderer._common, "feed_title": title, "feed_subtitle": subtitle,
               "feed_id": abs_url(path) if absolute else f"tag:lingyuan-site,2021:{path}",
               "feed_self": abs_url(path), "feed_alternate": abs_url(alternate), "feed_updated": updated(entries),
               "entries": items, "abs_root": abs_url("")}
    renderer.writer.write("feed.xml", path, context, lambda: renderer.render_text("feed.xml", context).encode("utf-8"))


def write(renderer) -> None:
    """The site's feeds, sitemap and robots.txt (after every page is written: the sitemap lists them)."""
    site = renderer.site
    config = site.config
    feed(renderer, "feed.xml", f"{config.title}：最新稿件", config.description, "", site.latest)
    for theme in site.themes:
        if theme.stories:
            feed(renderer, theme.url + "feed.xml", f"{config.title}：{theme.name}", theme.description, theme.url, theme.stories)
    sitemap(renderer)
    robots = "User-agent: *\nAllow: /\n" + (f"Sitemap: {renderer.abs_url('sitemap.xml')}\n" if renderer.absolute else "")
    renderer.writer.write("robots", "robots.txt", robots, lambda: robots.encode("utf-8"))


def sitemap(renderer) -> None:
    site, abs_url = renderer.site, renderer.abs_url
    lastmod = {"": site.latest[0].date.iso if site.stories else None}
    lastmod.update((p.url, p.date.iso) for p in site.pages)
    lastmod.update((e.url, e.date.iso) for e in site.stories)
    pages = [p[: -len("index.html")] for p in renderer.writer.files if p.endswith("index.html")]
    urls = [{"loc": abs_url(p), "lastmod": lastmod.get(p)} for p in sorted(pages, key=lambda p: (p.count("/"), p))]
    parts = [urls[i : i + SITEMAP_MAX] for i in range(0, len(urls), SITEMAP_MAX)] or [[]]
    if len(parts) == 1:
        _write(renderer, "sitemap.xml", "sitemap.xml", {"urls": parts[0]})
        return
    for n, part in enumerate(parts, 1):
        _write(renderer, f"sitemap-{n}.xml", "sitemap.xml", {"urls": part})
    _write(renderer, "sitemap.xml", "sitemap-index.xml", {"maps": [abs_url(f"sitemap-{n}.xml") for n in range(1, len(parts) + 1)]})


def _write(renderer, path: str, template: str, context: dict) -> None:
    renderer.writer.write(template, path, context, lambda: renderer.render_text(template, context).encode("utf-8"))
