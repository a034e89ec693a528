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

from .model import Story
from .structure import LANDING_SIZE, ArchiveMonth, ArchiveYear, ListPage, Site, SitePage, SiteStory, StoryList

KIND_NAMES = {"feature": "通讯", "brief": "消息", "photo": "图片新闻"}
TOC_MIN_SECTIONS = 3
LEDE_CHARS = 90
DESCRIPTION_CHARS = 150
FRONT_SUMMARY_CHARS = 180
LONG_STORY_CHARS = 2500  # a story longer than this gets a back-to-top link
TAGS_PER_INDEX_PAGE = 300
PAGES_LISTED = 300  # a year's pages listed one by one in 往期版面 up to this many
ROLE_RE = re.compile(r"记者|通讯员|实习生|摄影|编辑|撰稿|作者")


# ---------------------------------------------------------------------------- text helpers
def clip(text: str, limit: int) -> str:
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
    return clip(text, limit)


def description(entry: SiteStory) -> str:
    return lede(entry.story, DESCRIPTION_CHARS) or entry.title


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
def date(d) -> dict:
    return {"iso": d.iso, "display": d.display, "year": d.year, "month": d.month}


def page_card(sp: Optional[SitePage]) -> Optional[dict]:
    if sp is None:
        return None
    lead = sp.lead
    scan = sp.model.scan_image
    photo = lead_photo(lead.story) if lead else None
    return {"url": sp.url, "title": sp.title, "label": sp.label, "date": date(sp.date), "source": sp.model.source,
            "count": len(sp.stories), "lead": lead.title if lead else sp.title,
            "thumb": thumb(scan, f"{sp.date.display}{sp.label or ''}版面图") if scan else (thumb(photo.image, photo.caption or lead.title) if photo else None)}


def card(e: Optional[SiteStory]) -> Optional[dict]:
    """What a list, a link or a rail shows of a story."""
    if e is None:
        return None
    photo = lead_photo(e.story)
    return {"title": e.title, "url": e.url, "kind": e.kind, "kind_name": KIND_NAMES[e.kind], "kicker": e.story.kicker, "column": e.story.column,
            "date": date(e.date), "page_url": e.site_page.url, "page_label": e.site_page.label,
            "page_title": e.site_page.title, "lede": lede(e.story),
            "thumb": thumb(photo.image, photo.caption or e.title) if photo else None}


THUMB_SIZES = "8rem"


def thumb(img, alt: str) -> Optional[dict]:
    """A small picture for lists (the smallest size is 480 px: sharp at 8rem on any screen)."""
    if img is None:
        return None
    small = img.sizes[0]
    return {"webp": small.webp, "jpeg": small.jpeg, "width": small.width, "height": small.height, "alt": alt}


def pager(pages: list, current: ListPage) -> dict:
    """Links to a year's list pages, each with the dates it covers."""
    items = []
    for lp in pages:
        first, last = lp.stories[-1].date if lp.stories else None, lp.stories[0].date if lp.stories else None
        span = _span(first, last)
        items.append({"url": lp.url, "number": lp.number, "span": span, "current": lp is current})
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


def by_month(entries: list) -> list[dict]:
    """Stories grouped under month headings, in the order given."""
    groups: list[dict] = []
    for e in entries:
        label = f"{e.date.year}年{e.date.month}月" if e.date.month else f"{e.date.year}年"
        if not groups or groups[-1]["label"] != label:
            groups.append({"label": label, "id": f"m{e.date.year}{e.date.month or 0:02d}", "stories": []})
        groups[-1]["stories"].append(card(e))
    return groups


def by_page(entries: list) -> list[dict]:
    """Stories grouped under their 版面, in the order given."""
    groups: list[dict] = []
    for e in entries:
        if not groups or groups[-1]["page"]["url"] != e.site_page.url:
            groups.append({"page": page_card(e.site_page), "id": e.site_page.slug, "stories": []})
        groups[-1]["stories"].append(card(e))
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


def lead_photo(story: Story):
    return next((p for p in story.photos if p.image is not None), None)


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
    """The views of one site. `abs_url(path)` gives a page's full address (render knows the base)."""

    def __init__(self, site: Site, abs_url, absolute: bool):
        self.site = site
        self.abs_url = abs_url
        self.absolute = absolute
        self._cards: dict = {}

    def card(self, e):
        if e is None:
            return None
        found = self._cards.get(id(e))
        if found is None:
            found = self._cards[id(e)] = card(e)
        return found

    def common(self) -> dict:
        """What base.html shows on every page."""
        c = self.site.config
        return {"title": c.title, "description": c.description, "language": c.language, "copyright": c.copyright,
                "search_placeholder": c.search_placeholder, "newspaper": c.source}

    # -- home ------------------------------------------------------------------
    def home(self) -> dict:
        site = self.site
        newest = site.pages[0] if site.pages else None
        lead = newest.lead if newest else None
        front = None
        if newest is not None:
            others = [e for e in newest.stories if e is not lead]
            names = {e.story.column for e in others}
            column = next((c for c in newest.model.columns if names == {c.name}), None)  # only when all share it
            story = lead.story
            summary = clip("".join(story.summary), FRONT_SUMMARY_CHARS) if story.summary else lede(story, FRONT_SUMMARY_CHARS)
            photo = lead_photo(story)
            front = {
                "page": page_card(newest),
                "lead": {**self.card(lead), "subtitle": story.subtitle, "summary": summary,
                         "picture": picture(photo.image, photo.caption or lead.title, "(min-width: 64em) 48rem, calc(100vw - 2rem)", lazy=False)
                         if photo else None,
                         "caption": photo.caption if photo else None, "credit": photo.credit if photo else None,
                         "summary_label": "核心提示" if story.summary else None, "data": data_box(story),
                         "byline": byline(story.byline),
                         "sections": [{"id": f"s{k}", "heading": sec.heading} for k, sec in enumerate(story.sections, 1) if sec.heading]},
                "column": {"name": column.name, "label": column.label} if column else None,
                "others": [self.card(e) for e in others],
            }
        recent = [page_card(p) for p in site.pages[1 : 1 + site.config.latest_count]]
        themes = [{"name": t.name, "url": t.url, "count": len(t.stories), "latest": self.card(t.stories[0])}
                  for t in site.themes if t.stories]
        keywords = [{"word": k.word, "url": k.url, "count": len(k.stories)} for k in site.keywords[:24]]
        years = [y.year for y in site.years]
        return {"front": front, "recent": recent, "themes": themes, "keywords": keywords,
                "counts": {"pages": len(site.pages), "stories": len(site.stories),
                           "first": min(years) if years else None, "last": max(years) if years else None},
                "more_pages": len(site.pages) > 1 + site.config.latest_count}

    # -- a story ---------------------------------------------------------------
    def story(self, e: SiteStory) -> dict:
        story, sp = e.story, e.site_page
        body = body_sections(story, e.title)
        toc = [{"id": s["id"], "heading": s["heading"]} for s in body if s["heading"]]
        photo = lead_photo(story)
        chars = sum(len(p) for p in story.paragraphs)
        article = self.news_article(e)
        return {
            "title": e.title, "url": e.url, "kind": e.kind, "kind_name": KIND_NAMES[e.kind],
            "kicker": story.kicker, "subtitle": story.subtitle, "column": story.column, "date": date(e.date),
            "byline": byline(story.byline), "slogans": list(story.slogans), "summary": list(story.summary),
            "sections": body, "toc": toc if len(toc) >= TOC_MIN_SECTIONS else [], "data": data_box(story),
            "credits": list(sp.model.credits), "chars": chars, "long": chars > LONG_STORY_CHARS,
            "themes": [{"name": t.name, "url": t.url} for t in e.themes],
            "keywords": [{"word": k.word, "url": k.url} for k in e.keyword_links],
            "page": page_card(sp),
            "edition": [{**self.card(s), "current": s is e} for s in sp.stories],
            "prev": self.card(e.prev), "next": self.card(e.next),
            "related": [self.card(r) for r in e.related],
            "breadcrumb": crumbs(*date_crumbs(e.date), (sp.label or "版面", sp.url)),
            "description": description(e),
            "json_ld": json_ld(article),
            "address": self.abs_url(e.url),
            "og_image": self.abs_url(photo.image.sizes[-1].jpeg) if photo and self.absolute else None,
            "og_image_alt": (photo.caption or e.title) if photo else None,
            "area": f"{sp.url}#area-{e.index}" if e.index in sp.model.story_areas else None,
        }

    def news_article(self, e: SiteStory) -> dict:
        story, config = e.story, self.site.config
        publisher = e.site_page.model.source or config.source or config.title
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": e.title,
            "datePublished": e.date.iso,
            "inLanguage": config.language,
            "url": self.abs_url(e.url),
            "mainEntityOfPage": self.abs_url(e.url),
            "description": description(e),
            "author": {"@type": "Person", "name": story.byline} if story.byline else {"@type": "Organization", "name": publisher},
            "publisher": {"@type": "Organization", "name": publisher},
            "isPartOf": {"@type": "WebSite", "name": config.title, "url": self.abs_url("")},
        }
        if e.themes:
            data["articleSection"] = [t.name for t in e.themes]
        if story.keywords:
            data["keywords"] = list(story.keywords)
        images = [p.image for p in story.photos if p.image is not None]
        if images:
            data["image"] = [self.abs_url(img.sizes[-1].jpeg) for img in images]
        return data

    # -- a newspaper page ------------------------------------------------------
    def page(self, sp: SitePage) -> dict:
        columns = {c.name: c for c in sp.model.columns}
        items, previous = [], None
        for e in sp.stories:
            col = e.story.column
            head = columns.get(col) if col and col != previous else None
            previous = col
            story = e.story
            items.append({**self.card(e), "subtitle": story.subtitle, "chars": sum(len(p) for p in story.paragraphs),
                          "captions": len(story.captions), "lead": e is sp.lead,
                          "column_head": {"name": head.name, "label": head.label} if head else None})
        return {
            "page": page_card(sp), "stories": items, "credits": list(sp.model.credits), "scan": self.scan(sp),
            "prev": page_card(sp.prev), "next": page_card(sp.next),
            "same_date": [{"url": p.url, "label": p.label or p.title, "current": p is sp} for p in sp.same_date]
            if len(sp.same_date) > 1 else [],
            "breadcrumb": crumbs(*date_crumbs(sp.date)),
            "description": f"{sp.date.display}{sp.label or ''}版面，共{len(sp.stories)}篇稿件：" + "；".join(e.title for e in sp.stories),
            "address": self.abs_url(sp.url),
        }

    SCAN_SIZES = "(min-width: 64em) 44rem, calc(100vw - 2rem)"

    def scan(self, sp: SitePage) -> Optional[dict]:
        """The page's scan with each story's area as a link (rectangles in the scan's pixels: the
        SVG over the picture has the scan's size as its viewBox, so the areas scale with it)."""
        img = sp.model.scan_image
        if img is None:
            return None
        areas = []
        for e in sp.stories:
            rects = sp.model.story_areas.get(e.index)
            if rects:
                areas.append({"id": f"area-{e.index}", "title": e.title, "url": e.url,
                              "rects": [{"x": x, "y": y, "w": w, "h": h} for x, y, w, h in rects]})
        label = f"{sp.date.display}{sp.label or ''}版面图"
        return {"picture": picture(img, label, self.SCAN_SIZES, lazy=False), "width": img.width, "height": img.height,
                "areas": areas, "full": img.sizes[-1].jpeg, "full_width": img.sizes[-1].width}

    # -- lists -----------------------------------------------------------------
    def list_landing(self, kind: str, name: str, about: str, lst: StoryList, feed_url: Optional[str] = None) -> dict:
        """A theme's or keyword's first page: its newest stories and its years."""
        shown = lst.landing
        total = len(lst.stories)
        return {
            "heading": f"{kind}：{name}", "name": name, "kind": kind, "intro": about,
            "total": total, "shown": len(shown), "groups": by_month(shown),
            "years": [{"year": y, "url": pages[0].url, "count": sum(len(p.stories) for p in pages), "current": False}
                      for y, pages in lst.years.items()],
            "pager": None, "feed_url": feed_url, "landing": True, "up": None,
        }

    def list_year(self, kind: str, name: str, lst: StoryList, year: int, lp: ListPage, landing_url: str) -> dict:
        pages = lst.years[year]
        count = sum(len(p.stories) for p in pages)
        return {
            "heading": f"{kind}：{name}（{year}年）", "name": name, "kind": kind,
            "intro": f"{year}年共{count}篇" + (f"，本页为第{lp.number}页，共{len(pages)}页" if len(pages) > 1 else "") + "，最新的在前。",
            "total": count, "shown": len(lp.stories), "groups": by_month(lp.stories),
            "years": [{"year": y, "url": ps[0].url, "count": sum(len(p.stories) for p in ps), "current": y == year}
                      for y, ps in lst.years.items()],
            "pager": pager(pages, lp) if len(pages) > 1 else None, "feed_url": None, "landing": False,
            "up": {"label": name, "url": landing_url, "current": f"{year}年" + (f" 第{lp.number}页" if lp.number > 1 else "")},
        }

    def month(self, year: ArchiveYear, month: ArchiveMonth, lp: ListPage) -> dict:
        pages = month.list_pages
        return {
            "heading": month.label, "year": year.year, "month": month.month,
            "intro": f"{month.label}共{len(month.pages)}个版面、{month.story_count}篇稿件"
                     + (f"；本页为第{lp.number}页，共{len(pages)}页" if len(pages) > 1 else "") + "，按日期与见报顺序排列。",
            "calendar": _calendar(month) if month.days else None,
            "groups": by_page(lp.stories),
            "listed_label": "日期不详的版面" if month.days and lp.stories and len(lp.stories) < month.story_count else None,
            "pager": _month_pager(pages, lp) if len(pages) > 1 else None,
            "months": _month_strip(year, month),
            "breadcrumb": crumbs(("归档", "archive/"), (f"{year.year}年", year.url)),
        }

    def day(self, year: ArchiveYear, month: ArchiveMonth, day, lp: ListPage) -> dict:
        """A day's pages (a daily's issue) with their stories, like a 数字报's 目录 for that date."""
        pages = day.list_pages
        return {
            "heading": day.date.display, "date": date(day.date),
            "intro": f"{day.date.display}共{len(day.pages)}个版面、{day.story_count}篇稿件"
                     + (f"；本页为第{lp.number}页，共{len(pages)}页" if len(pages) > 1 else "") + "，按版次与见报顺序排列。",
            "groups": by_page(lp.stories),
            "pager": _month_pager(pages, lp) if len(pages) > 1 else None,
            "prev": {"url": day.prev.url, "label": day.prev.date.display} if day.prev else None,
            "next": {"url": day.next.url, "label": day.next.date.display} if day.next else None,
            "breadcrumb": crumbs(("归档", "archive/"), (f"{year.year}年", year.url), (f"{month.month}月", month.url)),
        }

    def year(self, year: ArchiveYear, lp: Optional[ListPage]) -> dict:
        """A year: its 12-month grid, its pages month by month, and the stories dated to the year only."""
        undated = year.month(None)
        months = []
        for m in year.months:
            if m.month is None:
                continue
            months.append({"label": m.label, "url": m.url, "id": f"m{m.month:02d}", "pages": [page_card(p) for p in m.pages],
                           "story_count": m.story_count})
        listed = sum(len(m["pages"]) for m in months) <= 200
        return {
            "heading": f"{year.year}年", "year": year.year,
            "intro": f"{year.year}年共{year.page_count}个版面、{year.story_count}篇稿件。",
            "grid": _month_grid(year), "months": months if listed else [],
            "undated": {"label": "月份不详", "groups": by_page(lp.stories) if lp else [],
                        "pager": _month_pager(undated.list_pages, lp) if lp and len(undated.list_pages) > 1 else None}
            if undated else None,
            "breadcrumb": crumbs(("归档", "archive/")),
        }

    def archive(self) -> dict:
        years = [{"year": y.year, "url": y.url, "pages": y.page_count, "stories": y.story_count, "grid": _month_grid(y)}
                 for y in self.site.years]
        return {"years": years, "pages": len(self.site.pages), "stories": len(self.site.stories)}

    def pages_index(self, years: list, current: Optional[ArchiveYear], all_years: list) -> dict:
        """往期版面: every page grouped by year and month (a large archive: one year per page)."""
        shown = []
        for y in years:
            months = []
            listed = y.page_count <= PAGES_LISTED  # a daily's year (2,900 pages): each month links to its page
            for m in reversed(y.months):
                months.append({"label": m.label, "url": m.url, "count": len(m.pages),
                               "pages": [page_card(p) for p in reversed(m.pages)] if listed else []})
            shown.append({"year": y.year, "url": y.url, "months": months, "count": y.page_count})
        return {"years": shown, "nav": [{"year": y.year, "url": "pages/" if i == 0 else f"pages/{y.year}/",
                                         "count": y.page_count, "current": y is current}
                                        for i, y in enumerate(all_years)] if current is not None else [],
                "total": len(self.site.pages)}

    def themes(self) -> dict:
        return {"themes": [{"name": t.name, "url": t.url, "description": t.description, "count": len(t.stories),
                            "latest": [self.card(e) for e in t.stories[:3]]} for t in self.site.themes],
                "tags": len(self.site.keywords)}

    def tags(self, number: int, pages: int, keywords: list, offset: int) -> dict:
        return {"keywords": [{"word": k.word, "url": k.url, "count": len(k.stories), "rank": offset + i + 1}
                             for i, k in enumerate(keywords)],
                "number": number, "pages": pages, "total": len(self.site.keywords),
                "prev": None if number == 1 else ("tags/" if number == 2 else f"tags/page/{number - 1}/"),
                "next": f"tags/page/{number + 1}/" if number < pages else None}

    def search(self) -> dict:
        return {"themes": [{"slug": t.slug, "name": t.name} for t in self.site.themes if t.stories],
                "years": [y.year for y in self.site.years]}


def _month_grid(year: ArchiveYear) -> list[dict]:
    cells = []
    for number in range(1, 13):
        m = year.month(number)
        cells.append({"month": number, "url": m.url if m else None, "pages": len(m.pages) if m else 0,
                      "stories": m.story_count if m else 0})
    undated = year.month(None)
    if undated is not None:
        cells.append({"month": None, "url": undated.url, "pages": len(undated.pages), "stories": undated.story_count})
    return cells


def _calendar(month: ArchiveMonth) -> dict:
    """The month's days in weeks (Monday first), each day with its pages and links."""
    import calendar

    days = {d.date.day: d for d in month.days}
    weeks = []
    for week in calendar.Calendar().monthdayscalendar(month.year, month.month):
        cells = []
        for n in week:
            d = days.get(n)
            if d is None:
                cells.append({"day": n or None, "links": [], "pages": 0, "lead": None})
                continue
            links = [{"url": lp.url, "label": _labels(lp.stories)} for lp in d.list_pages]
            lead = d.pages[0].lead
            cells.append({"day": n, "links": links, "pages": len(d.pages), "lead": lead.title if lead else None})
        weeks.append(cells)
    return {"weeks": weeks, "names": ["一", "二", "三", "四", "五", "六", "日"]}


def _labels(stories: list) -> str:
    """The 版面 labels a list page covers: 第1版—第8版."""
    labels = [s.site_page.label for s in stories if s.site_page.label]
    if not labels:
        return ""
    return labels[0] if labels[0] == labels[-1] else f"{labels[0]}—{labels[-1]}"


def _month_strip(year: ArchiveYear, current: ArchiveMonth) -> list[dict]:
    return [{"label": f"{m.month}月" if m.month else "月份不详", "url": m.url, "current": m is current} for m in year.months]


def _month_pager(pages: list, current: ListPage) -> dict:
    items = []
    for lp in pages:
        first, last = lp.stories[0].date, lp.stories[-1].date
        items.append({"url": lp.url, "number": lp.number, "span": _span(first, last), "current": lp is current})
    index = pages.index(current)
    return {"links": items, "prev": pages[index - 1].url if index > 0 else None,
            "next": pages[index + 1].url if index + 1 < len(pages) else None}


__all__ = ["Views", "KIND_NAMES", "LANDING_SIZE", "body_sections", "data_box", "lede", "description", "json_ld"]
