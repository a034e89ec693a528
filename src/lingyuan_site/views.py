"""Views: what each template receives, as plain data (strings, numbers, lists, dicts), made from the
site structure. One function per template. A template shows nothing its view does not hold, so the
render memo keys a file by its view's digest and a rebuild can never keep a file whose view
changed (Zola's SerializingPage, MkDocs' template context).

Shared pieces: ``card`` (a story in a list, a link, a rail), ``page_card`` (a 版面), ``date``.
Text for lists and meta tags (ledes, descriptions) is made here from the model, never in templates.
"""
from __future__ import annotations

import json
import re
from typing import Optional

from .cards import KIND_NAMES, clip, date, description, lead_index, lead_photo, lede
from .model import Page, PageDate, Story
from .site import LANDING_SIZE, archive_list_pages, day_url, month_url
from .structure import date_of_key, day_key

TOC_MIN_SECTIONS = 3
FRONT_SUMMARY_CHARS = 180
LONG_STORY_CHARS = 2500  # a story longer than this gets a back-to-top link
EDITION_MAX = 40  # a story's "本版稿件" lists at most this many of its page's stories, around itself
# (a printed page has fewer than 30; a page of thousands would make every story list them all)
TAGS_PER_INDEX_PAGE = 300
PAGES_LISTED = 300  # a year's pages listed one by one in 往期版面 up to this many
ROLE_RE = re.compile(r"记者|通讯员|实习生|摄影|编辑|撰稿|作者")


# ---------------------------------------------------------------------------- text helpers


def json_ld(data: dict) -> str:
    """JSON for a <script type="application/ld+json"> block that no text can close or break out of."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def byline(text: Optional[str]) -> Optional[dict]:
    """A byline as shown: as typed when it names the role (本报记者 张旭), else labelled 署名."""
    if not text:
        return None
    return {"label": None if ROLE_RE.search(text) else "署名", "text": text}


# ---------------------------------------------------------------------------- shared pieces


def pager(pages: list, current) -> dict:
    """Links to a year's list pages, each with the dates it covers."""
    items = []
    for lp in pages:
        first, last = (lp.stories[-1].date, lp.stories[0].date) if lp.stories else (None, None)
        items.append({"url": lp.url, "number": lp.number, "span": _span(first, last), "current": lp is current})
    index = pages.index(current)
    return {"links": items, "prev": pages[index - 1].url if index > 0 else None,
            "next": pages[index + 1].url if index + 1 < len(pages) else None}


def _span(first, last) -> str:
    if first is None:
        return ""
    a, b = _short(first), _short(last)
    return a if a == b else f"{a}—{b}"


def _short(d) -> str:
    if d.day:
        return f"{d.month}月{d.day}日"
    if d.month:
        return f"{d.month}月"
    return "月份不详"


def by_month(rows: list) -> list[dict]:
    """Stories grouped under month headings, in the order given."""
    groups: list[dict] = []
    for e in rows:
        d = e.date
        label = f"{d.year}年{d.month}月" if d.month else f"{d.year}年"
        if not groups or groups[-1]["label"] != label:
            groups.append({"label": label, "id": f"m{d.year}{d.month or 0:02d}", "stories": []})
        groups[-1]["stories"].append(e.card)
    return groups


def by_page(data, rows: list) -> list[dict]:
    """Stories grouped under their 版面, in the order given."""
    groups: list[dict] = []
    for e in rows:
        if not groups or groups[-1]["path"] != e.page:
            page = data.page(e.page)
            groups.append({"path": e.page, "page": page.card, "id": page.slug, "stories": []})
        groups[-1]["stories"].append(e.card)
    for g in groups:
        del g["path"]
    return groups


def crumbs(*items) -> list[dict]:
    return [{"label": label, "url": url} for label, url in items if label]


def date_crumbs(d) -> list:
    items = [(f"{d.year}年", f"{d.year:04d}/")]
    if d.month:
        items.append((f"{d.month}月", f"{d.year:04d}/{d.month:02d}/"))
    if d.day:
        items.append((f"{d.day}日", f"{d.year:04d}/{d.month:02d}/{d.day:02d}/"))
    return items


# ---------------------------------------------------------------------------- body
# The reading column's width; on a phone, two thirds of it: a 3× phone then loads the image a 2×
# phone needs (720 px for a 390-px screen), less than half the bytes of a 3× one and no visible
# difference at arm's length.
PHOTO_SIZES = "(max-width: 40em) calc((100vw - 2rem) * 2 / 3), (min-width: 64em) 40rem, calc(100vw - 2rem)"


def picture(img, alt: str, sizes: str = PHOTO_SIZES, lazy: bool = True) -> Optional[dict]:
    """What <picture> needs of an image: its sizes as WebP and JPEG, the JPEG for the src, the
    dimensions (so nothing moves when it loads), whether to load it lazily."""
    if img is None:
        return None
    middle = img.sizes[min(2, len(img.sizes) - 1)]
    return {"sizes": [{"w": s.width, "webp": s.webp, "jpeg": s.jpeg} for s in img.sizes], "src": middle.jpeg,
            "width": middle.width, "height": middle.height, "alt": alt, "media_sizes": sizes, "lazy": lazy}


def body_sections(story: Story, title: str = "") -> list[dict]:
    """Sections with paragraphs, and each photo and caption as a figure after the paragraph it
    followed; the first photo is loaded at once, the others lazily."""
    figures: dict[int, list] = {}
    for photo in story.photos:
        figures.setdefault(photo.paragraph, []).append(photo)
    for caption in story.captions:
        figures.setdefault(caption.paragraph, []).append(caption)
    out, n = [], 0
    for k, section in enumerate(story.sections, 1):
        blocks = []
        for text in section.paragraphs:
            blocks.extend(_figure(c) for c in figures.pop(n, []))
            blocks.append({"kind": "p", "text": text})
            n += 1
        out.append({"id": f"s{k}", "heading": section.heading, "blocks": blocks})
    rest = [c for k in sorted(figures) for c in figures[k]]
    if rest:  # captions after the last paragraph (or a story with no body text)
        if not out:
            out.append({"id": "s1", "heading": None, "blocks": []})
        out[-1]["blocks"].extend(_figure(c) for c in rest)
    return _pictures(out, title or story.title or "")


def _figure(item) -> dict:
    if hasattr(item, "src"):  # a Photo
        return {"kind": "figure", "text": item.caption, "credit": item.credit, "photo": item}
    return {"kind": "figure", "text": item.text, "credit": item.credit, "photo": None}


def _pictures(sections: list, title: str) -> list:
    """Photos in body order become pictures: alt text from the caption, else the title; the
    first one is not lazy (it is likely on the first screen)."""
    first = True
    for sec in sections:
        for block in sec["blocks"]:
            if block["kind"] == "figure":
                photo = block.pop("photo")
                block["picture"] = picture(photo.image, photo.caption or title, lazy=not first) if photo is not None and photo.image is not None else None
                if block["picture"] is not None:
                    first = False
    return sections


def data_box(story: Story) -> Optional[dict]:
    if not story.data:
        return None
    groups = [{"heading": None, "rows": []}]
    for item in story.data:
        if item.value is None:
            groups.append({"heading": item.label, "rows": []})
        else:
            groups[-1]["rows"].append({"label": item.label, "value": item.value})
    return {"title": story.data_title or "数据", "groups": [g for g in groups if g["rows"] or g["heading"]]}


# ---------------------------------------------------------------------------- the views
class Views:
    """The views of one site, read from `data` (site.SiteData). `abs_url(path)` gives a page's full
    address (render knows the base)."""

    def __init__(self, data, abs_url, absolute: bool):
        self.data = data
        self.config = data.config
        self.abs_url = abs_url
        self.absolute = absolute

    def common(self) -> dict:
        """What base.html shows on every page."""
        c = self.config
        return {"title": c.title, "description": c.description, "language": c.language, "copyright": c.copyright,
                "search_placeholder": c.search_placeholder, "newspaper": c.source}

    def _themes_of(self, slugs: list) -> list:
        return [self.data.theme_by_slug[s] for s in slugs if s in self.data.theme_by_slug]

    def _keyword_links(self, words: list) -> list:
        out = []
        for w in words:
            found = self.data.keyword(w)
            out.append({"word": w, "url": f"tags/{found[0]}/" if found else ""})
        return out

    # -- home ------------------------------------------------------------------
    def home(self) -> dict:
        data, config = self.data, self.config
        newest = data.newest_pages(1 + config.latest_count)
        front = None
        if newest:
            top = newest[0]
            rec = data.record(top.path)
            keys = data.page_story_keys(top.path)
            li = lead_index(rec)
            lead_key = keys[li] if li is not None else None
            others = [k for k in keys if k != lead_key]
            names = {rec.stories[i].column for i, k in enumerate(keys) if k != lead_key}
            column = next((c for c in rec.columns if names == {c.name}), None)  # only when all share it
            if lead_key is not None:
                story = rec.stories[li]
                title = rec.story_title(li)
                summary = clip("".join(story.summary), FRONT_SUMMARY_CHARS) if story.summary else lede(story, FRONT_SUMMARY_CHARS)
                photo = lead_photo(story)
                front = {
                    "page": top.card,
                    "lead": {**data.card(lead_key), "subtitle": story.subtitle, "summary": summary,
                             "picture": picture(photo.image, photo.caption or title, "(min-width: 64em) 48rem, calc(100vw - 2rem)", lazy=False)
                             if photo else None,
                             "caption": photo.caption if photo else None, "credit": photo.credit if photo else None,
                             "summary_label": "核心提示" if story.summary else None, "data": data_box(story),
                             "byline": byline(story.byline),
                             "sections": [{"id": f"s{k}", "heading": sec.heading} for k, sec in enumerate(story.sections, 1) if sec.heading]},
                    "column": {"name": column.name, "label": column.label} if column else None,
                    "others": [data.card(k) for k in others],
                }
        recent = [p.card for p in newest[1:]]
        counts = data.theme_counts()
        themes = []
        for t in data.themes:
            n = counts.get(t.slug, 0)
            if n:
                latest = data.tag_newest(f"t:{t.slug}", 1)
                themes.append({"name": t.name, "url": t.url, "count": n, "latest": latest[0].card})
        keywords = [{"word": w, "url": f"tags/{slug}/", "count": n} for w, slug, n in data.keywords_ranked(0, 24)]
        years = data.years()
        total = data.counts()
        return {"front": front, "recent": recent, "themes": themes, "keywords": keywords,
                "counts": {"pages": total["pages"], "stories": total["stories"],
                           "first": min(years) if years else None, "last": max(years) if years else None},
                "more_pages": total["pages"] > 1 + config.latest_count}

    # -- a story ---------------------------------------------------------------
    def story(self, key: str) -> dict:
        data = self.data
        e = data.story(key)
        sp = data.page(e.page)
        rec = data.record(e.page)
        story = rec.stories[e.index]
        body = body_sections(story, e.title)
        toc = [{"id": s["id"], "heading": s["heading"]} for s in body if s["heading"]]
        photo = lead_photo(story)
        chars = sum(len(p) for p in story.paragraphs)
        themes = self._themes_of(e.themes)
        edition, edition_start, edition_total = data.page_story_window(e.page, e.index, EDITION_MAX)
        return {
            "title": e.title, "url": e.url, "kind": e.kind, "kind_name": KIND_NAMES[e.kind],
            "kicker": story.kicker, "subtitle": story.subtitle, "column": story.column, "date": date(sp.date),
            "byline": byline(story.byline), "slogans": list(story.slogans), "summary": list(story.summary),
            "sections": body, "toc": toc if len(toc) >= TOC_MIN_SECTIONS else [], "data": data_box(story),
            "credits": list(rec.credits), "chars": chars, "long": chars > LONG_STORY_CHARS,
            "themes": [{"name": t.name, "url": t.url} for t in themes],
            "keywords": self._keyword_links(e.keywords),
            "page": sp.card,
            "edition": [{**data.card(k), "current": k == key} for k in edition],
            "edition_start": edition_start + 1, "edition_total": edition_total,
            "prev": data.card(data.story_before(e.ord)), "next": data.card(data.story_after(e.ord)),
            "related": [data.card(k) for k in e.related],
            "breadcrumb": crumbs(*date_crumbs(sp.date), (sp.label or "版面", sp.url)),
            "description": description(story, e.title),
            "json_ld": json_ld(self.news_article(e, story, rec, themes)),
            "address": self.abs_url(e.url),
            "og_image": self.abs_url(photo.image.sizes[-1].jpeg) if photo and self.absolute else None,
            "og_image_alt": (photo.caption or e.title) if photo else None,
            "area": f"{sp.url}#area-{e.index}" if e.index in rec.story_areas else None,
        }

    def news_article(self, e, story: Story, rec: Page, themes: list) -> dict:
        config = self.config
        publisher = rec.source or config.source or config.title
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": e.title,
            "datePublished": rec.date.iso,
            "inLanguage": config.language,
            "url": self.abs_url(e.url),
            "mainEntityOfPage": self.abs_url(e.url),
            "description": description(story, e.title),
            "author": {"@type": "Person", "name": story.byline} if story.byline else {"@type": "Organization", "name": publisher},
            "publisher": {"@type": "Organization", "name": publisher},
            "isPartOf": {"@type": "WebSite", "name": config.title, "url": self.abs_url("")},
        }
        if themes:
            data["articleSection"] = [t.name for t in themes]
        if e.keywords:
            data["keywords"] = list(e.keywords)
        images = [p.image for p in story.photos if p.image is not None]
        if images:
            data["image"] = [self.abs_url(img.sizes[-1].jpeg) for img in images]
        return data

    # -- a newspaper page ------------------------------------------------------
    def page(self, path: str) -> dict:
        data = self.data
        sp = data.page(path)
        rec = data.record(path)
        rows = data.stories(data.page_story_keys(path))
        columns = {c.name: c for c in rec.columns}
        li = lead_index(rec)
        items, previous = [], None
        for e in rows:
            story = rec.stories[e.index]
            col = story.column
            head = columns.get(col) if col and col != previous else None
            previous = col
            items.append({**e.card, "subtitle": story.subtitle, "chars": sum(len(p) for p in story.paragraphs),
                          "captions": len(story.captions), "lead": e.index == li,
                          "column_head": {"name": head.name, "label": head.label} if head else None})
        same = data.same_date(sp.daykey)
        before, after = data.page(data.page_before(sp.ord)), data.page(data.page_after(sp.ord))
        return {
            "page": sp.card, "stories": items, "credits": list(rec.credits), "scan": self.scan(sp, rec, rows),
            "prev": before.card if before else None, "next": after.card if after else None,
            "same_date": [{"url": p.url, "label": p.label or p.title, "current": p.path == path} for p in same] if len(same) > 1 else [],
            "breadcrumb": crumbs(*date_crumbs(sp.date)),
            "description": f"{sp.date.display}{sp.label or ''}版面，共{len(rows)}篇稿件：" + "；".join(e.title for e in rows),
            "address": self.abs_url(sp.url),
        }

    SCAN_SIZES = "(min-width: 64em) 44rem, calc(100vw - 2rem)"

    def scan(self, sp, rec: Page, rows: list) -> Optional[dict]:
        """The page's scan with each story's area as a link (rectangles in the scan's pixels: the
        SVG over the picture has the scan's size as its viewBox, so the areas scale with it)."""
        img = rec.scan_image
        if img is None:
            return None
        areas = []
        for e in rows:
            rects = rec.story_areas.get(e.index)
            if rects:
                areas.append({"id": f"area-{e.index}", "title": e.title, "url": e.url,
                              "rects": [{"x": x, "y": y, "w": w, "h": h} for x, y, w, h in rects]})
        label = f"{sp.date.display}{sp.label or ''}版面图"
        return {"picture": picture(img, label, self.SCAN_SIZES, lazy=False), "width": img.width, "height": img.height,
                "areas": areas, "full": img.sizes[-1].jpeg, "full_width": img.sizes[-1].width}

    # -- lists -----------------------------------------------------------------
    def list_landing(self, kind: str, name: str, about: str, tag: str, url: str, feed_url: Optional[str] = None) -> dict:
        """A theme's or keyword's first page: its newest stories and its years (with their counts)."""

        data = self.data
        total = data.tag_count(tag)
        shown = data.tag_newest(tag, LANDING_SIZE)
        years = [{"year": y, "url": f"{url}{y}/", "count": n, "current": False} for y, n in data.tag_years(tag)] if total > LANDING_SIZE else []
        return {
            "heading": f"{kind}：{name}", "name": name, "kind": kind, "intro": about,
            "total": total, "shown": len(shown), "groups": by_month(shown),
            "years": years, "pager": None, "feed_url": feed_url, "landing": True, "up": None,
        }

    def list_year(self, kind: str, name: str, url: str, years: list, year: int, pages: list, lp) -> dict:
        """A theme's or keyword's year page. Its year strip links the other years without their
        counts (the landing page has them), so a story added in one year changes no other year's pages."""
        count = sum(len(p.stories) for p in pages)
        return {
            "heading": f"{kind}：{name}（{year}年）", "name": name, "kind": kind,
            "intro": f"{year}年共{count}篇" + (f"，本页为第{lp.number}页，共{len(pages)}页" if len(pages) > 1 else "") + "，最新的在前。",
            "total": count, "shown": len(lp.stories), "groups": by_month(lp.stories),
            "years": [{"year": y, "url": f"{url}{y}/", "count": None, "current": y == year} for y in years],
            "pager": pager(pages, lp) if len(pages) > 1 else None, "feed_url": None, "landing": False,
            "up": {"label": name, "url": url, "current": f"{year}年" + (f" 第{lp.number}页" if lp.number > 1 else "")},
        }

    def month(self, year: int, month: int, pages: list, lps: list, lp) -> dict:
        """A month: its calendar of days (a daily) and the pages dated to the month only."""
        data = self.data
        label = f"{year}年{month}月"
        stories = sum(p.count for p in pages)
        days = _days(pages)
        return {
            "heading": label, "year": year, "month": month,
            "intro": f"{label}共{len(pages)}个版面、{stories}篇稿件"
                     + (f"；本页为第{lp.number}页，共{len(lps)}页" if len(lps) > 1 else "") + "，按日期与见报顺序排列。",
            "calendar": self._calendar(year, month, days) if days else None,
            "groups": by_page(data, lp.stories),
            "listed_label": "日期不详的版面" if days and lp.stories and len(lp.stories) < stories else None,
            "pager": _month_pager(lps, lp) if len(lps) > 1 else None,
            "months": [{"label": f"{m}月" if m else "月份不详", "url": month_url(year, m), "current": m == month} for m, _, _ in data.months(year)],
            "breadcrumb": crumbs(("归档", "archive/"), (f"{year}年", f"{year:04d}/")),
        }

    def day(self, d: PageDate, pages: list, lps: list, lp) -> dict:
        """A day's pages (a daily's issue) with their stories, like a 数字报's 目录 for that date."""
        data = self.data
        before, after = data.day_neighbours(day_key(d))
        prev_d, next_d = (date_of_key(before) if before is not None else None), (date_of_key(after) if after is not None else None)
        return {
            "heading": d.display, "date": date(d),
            "intro": f"{d.display}共{len(pages)}个版面、{sum(p.count for p in pages)}篇稿件"
                     + (f"；本页为第{lp.number}页，共{len(lps)}页" if len(lps) > 1 else "") + "，按版次与见报顺序排列。",
            "groups": by_page(data, lp.stories),
            "pager": _month_pager(lps, lp) if len(lps) > 1 else None,
            "prev": {"url": day_url(prev_d), "label": prev_d.display} if prev_d else None,
            "next": {"url": day_url(next_d), "label": next_d.display} if next_d else None,
            "breadcrumb": crumbs(("归档", "archive/"), (f"{d.year}年", f"{d.year:04d}/"), (f"{d.month}月", month_url(d.year, d.month))),
        }

    def year(self, year: int, undated_lps: list, lp) -> dict:
        """A year: its 12-month grid, its pages month by month, and the stories dated to the year only."""
        data = self.data
        months_info = data.months(year)
        listed = sum(p for m, p, _ in months_info if m is not None) <= YEAR_PAGES_LISTED
        months = []
        for m, n_pages, n_stories in months_info:
            if m is None:
                continue
            months.append({"label": f"{year}年{m}月", "url": month_url(year, m), "id": f"m{m:02d}",
                           "pages": [p.card for p in data.month_pages(year, m)] if listed else [], "story_count": n_stories})
        pages = sum(p for _, p, _ in months_info)
        stories = sum(s for _, _, s in months_info)
        has_undated = any(m is None for m, _, _ in months_info)
        return {
            "heading": f"{year}年", "year": year,
            "intro": f"{year}年共{pages}个版面、{stories}篇稿件。",
            "grid": _month_grid(year, months_info), "months": months if listed else [],
            "undated": {"label": "月份不详", "groups": by_page(data, lp.stories) if lp else [],
                        "pager": _month_pager(undated_lps, lp) if lp and len(undated_lps) > 1 else None}
            if has_undated else None,
            "breadcrumb": crumbs(("归档", "archive/")),
        }

    def archive(self) -> dict:
        data = self.data
        years = [{"year": y, "url": f"{y:04d}/", "pages": p, "stories": s, "grid": _month_grid(y, data.months(y))}
                 for y, p, s in data.year_counts()]
        total = data.counts()
        return {"years": years, "pages": total["pages"], "stories": total["stories"]}

    def pages_index(self, years: list, current: Optional[int], all_years: list) -> dict:
        """往期版面: every page grouped by year and month (a large archive: one year per page).
        `years` and `all_years` are (year, pages, stories), newest first."""
        data = self.data
        shown = []
        for y, n_pages, _ in years:
            months = []
            listed = n_pages <= PAGES_LISTED  # a daily's year (2,900 pages): each month links to its page
            for m, count, _ in reversed(data.months(y)):
                months.append({"label": f"{y}年{m}月" if m else f"{y}年（月份不详）", "url": month_url(y, m), "count": count,
                               "pages": [p.card for p in reversed(data.month_pages(y, m))] if listed else []})
            shown.append({"year": y, "url": f"{y:04d}/", "months": months, "count": n_pages})
        return {"years": shown, "nav": [{"year": y, "url": "pages/" if i == 0 else f"pages/{y}/", "count": n, "current": y == current}
                                        for i, (y, n, _) in enumerate(all_years)] if current is not None else [],
                "total": data.counts()["pages"]}

    def themes(self) -> dict:
        data = self.data
        counts = data.theme_counts()
        return {"themes": [{"name": t.name, "url": t.url, "description": t.description, "count": counts.get(t.slug, 0),
                            "latest": [e.card for e in data.tag_newest(f"t:{t.slug}", 3)]} for t in data.themes],
                "tags": data.keyword_count()}

    def tags(self, number: int, pages: int, keywords: list, offset: int, total: int) -> dict:
        return {"keywords": [{"word": w, "url": f"tags/{slug}/", "count": n, "rank": offset + i + 1} for i, (w, slug, n) in enumerate(keywords)],
                "number": number, "pages": pages, "total": total,
                "prev": None if number == 1 else ("tags/" if number == 2 else f"tags/page/{number - 1}/"),
                "next": f"tags/page/{number + 1}/" if number < pages else None}

    def search(self) -> dict:
        counts = self.data.theme_counts()
        return {"themes": [{"slug": t.slug, "name": t.name} for t in self.data.themes if counts.get(t.slug)],
                "years": self.data.years()}

    def _calendar(self, year: int, month: int, days: dict) -> dict:
        """The month's days in weeks (Monday first), each day with its pages and links."""
        import calendar


        data = self.data
        weeks = []
        for week in calendar.Calendar().monthdayscalendar(year, month):
            cells = []
            for n in week:
                pages = days.get(n)
                if not pages:
                    cells.append({"day": n or None, "links": [], "pages": 0, "lead": None})
                    continue
                d = PageDate(year, month, n)
                lps = archive_list_pages(data, day_url(d), year, pages)
                links = [{"url": lp.url, "label": _labels(data, lp.stories)} for lp in lps]
                cells.append({"day": n, "links": links, "pages": len(pages), "lead": pages[0].card["lead"]})
            weeks.append(cells)
        return {"weeks": weeks, "names": ["一", "二", "三", "四", "五", "六", "日"]}


YEAR_PAGES_LISTED = 200  # a year page lists its pages month by month up to this many


def _days(pages: list) -> dict:
    """Day of month → that day's pages (pages dated to the month only are left out)."""
    days: dict = {}
    for p in pages:
        if p.date.day:
            days.setdefault(p.date.day, []).append(p)
    return days


def _month_grid(year: int, months_info: list) -> list[dict]:
    by_month = {m: (p, s) for m, p, s in months_info}
    cells = []
    for number in range(1, 13):
        p, s = by_month.get(number, (0, 0))
        cells.append({"month": number, "url": month_url(year, number) if number in by_month else None, "pages": p, "stories": s})
    if None in by_month:
        p, s = by_month[None]
        cells.append({"month": None, "url": month_url(year, None), "pages": p, "stories": s})
    return cells


def _labels(data, stories: list) -> str:
    """The 版面 labels a list page covers: 第1版—第8版."""
    labels = [data.page(s.page).label for s in stories]
    labels = [label for label in labels if label]
    if not labels:
        return ""
    return labels[0] if labels[0] == labels[-1] else f"{labels[0]}—{labels[-1]}"


def _month_pager(pages: list, current) -> dict:
    items = []
    for lp in pages:
        first, last = lp.stories[0].date, lp.stories[-1].date
        items.append({"url": lp.url, "number": lp.number, "span": _span(first, last), "current": lp is current})
    index = pages.index(current)
    return {"links": items, "prev": pages[index - 1].url if index > 0 else None,
            "next": pages[index + 1].url if index + 1 < len(pages) else None}


__all__ = ["Views", "KIND_NAMES", "body_sections", "data_box", "lede", "description", "json_ld", "page_card_of", "story_card_of"]
