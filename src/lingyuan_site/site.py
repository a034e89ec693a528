"""The published site as views read it: SiteData answers from the build store (structure.py keeps
it), one query at a time, so rendering a page reads what that page shows and nothing more. Rows
come back as small objects (StoryRow, PageRow); a page's full model (text, photos, scan) is read
only when a view shows it (`record`).

`materialize()` builds the whole site as linked objects (Site: pages, stories with prev/next,
related, themes, keywords, the archive): for tools, `inspect`, and tests of small archives.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from .config import SiteConfig
from .model import Page, PageDate
from .store import Store, value_of
from .structure import date_folder, date_of_key

LIST_SIZE = 60  # stories on one list page, at most (a 版面 with more is split)
LANDING_SIZE = 30  # newest stories on a theme's or keyword's first page


@dataclass
class StoryRow:
    key: str
    page: str
    index: int
    ord: str
    url: str
    title: str
    kind: str
    daykey: int
    themes: list
    keywords: list
    related: list
    ref: Optional[int]
    card: dict

    @property
    def date(self) -> PageDate:
        return date_of_key(self.daykey)

    @property
    def slug(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class PageRow:
    path: str
    ord: str
    slug: str
    url: str
    date: PageDate
    daykey: int
    label: Optional[str]
    title: str
    count: int
    card: dict


@dataclass
class ThemeInfo:
    slug: str
    name: str
    description: str

    @property
    def url(self) -> str:
        return f"themes/{self.slug}/"


STORY_COLUMNS = "key, page, idx, ord, url, title, kind, daykey, themes, keywords, related, ref, card"
PAGE_COLUMNS = "path, ord, slug, url, year, month, day, daykey, label, title, n, card"


def _story(row) -> StoryRow:
    key, page, idx, ordv, url, title, kind, dk, themes, kws, related, ref, card = row
    return StoryRow(key, page, idx, ordv, url, title, kind, dk, json.loads(themes), json.loads(kws) or [], json.loads(related or "[]"),
                    ref, json.loads(card))


def _page(row) -> PageRow:
    path, ordv, slug, url, y, m, d, dk, label, title, n, card = row
    return PageRow(path, ordv, slug, url, PageDate(y, m, d), dk, label, title, n, json.loads(card))


class SiteData:
    """Read access to the site in a store (see the module docstring)."""

    def __init__(self, store: Store, config: SiteConfig, themes: list, display: Callable[[str], str] = str, cache: int = 4096):
        self.store, self.db = store, store.db
        self.config = config
        self.themes = [ThemeInfo(t.slug, t.name, t.description) for t in themes]
        self.theme_by_slug = {t.slug: t for t in self.themes}
        self.display = display
        self._stories: OrderedDict = OrderedDict()
        self._records: OrderedDict = OrderedDict()
        self._cache = cache

    # -- rows ------------------------------------------------------------------
    def story(self, key: Optional[str]) -> Optional[StoryRow]:
        if key is None:
            return None
        found = self._stories.get(key)
        if found is None:
            row = self.db.execute(f"SELECT {STORY_COLUMNS} FROM stories WHERE key=?", (key,)).fetchone()
            if row is None:
                return None
            found = self._stories[key] = _story(row)
            if len(self._stories) > self._cache:
                self._stories.popitem(last=False)
        return found

    def stories(self, keys) -> list:
        return [self.story(k) for k in keys]

    def page(self, path: Optional[str]) -> Optional[PageRow]:
        if path is None:
            return None
        row = self.db.execute(f"SELECT {PAGE_COLUMNS} FROM pages WHERE path=?", (path,)).fetchone()
        return _page(row) if row else None

    def record(self, path: str) -> Page:
        """A page's full model, as the map stage made it (with its media)."""
        found = self._records.get(path)
        if found is None:
            from .store import unpack

            blob = self.db.execute("SELECT record FROM sources WHERE path=?", (path,)).fetchone()[0]
            found = unpack(blob)
            found.path = self.display(path)
            self._records[path] = found
            if len(self._records) > 16:
                self._records.popitem(last=False)
        return found

    def card(self, key: Optional[str]) -> Optional[dict]:
        row = self.story(key)
        return row.card if row else None

    # -- order -------------------------------------------------------------------
    def page_story_keys(self, path: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT key FROM stories WHERE page=? ORDER BY idx", (path,))]

    def page_story_window(self, path: str, idx: int, n: int) -> tuple[list[str], int, int]:
        """At most `n` of a page's stories around its story number `idx`: (keys, the first one's
        position from 0, how many the page has)."""
        total = self.db.execute("SELECT count(*) FROM stories WHERE page=?", (path,)).fetchone()[0]
        start = max(0, min(idx - n // 2, total - n))
        keys = [r[0] for r in self.db.execute("SELECT key FROM stories WHERE page=? ORDER BY idx LIMIT ? OFFSET ?", (path, n, start))]
        return keys, start, total

    def story_before(self, ordv: str) -> Optional[str]:
        return value_of(self.db, "SELECT key FROM stories WHERE ord<? ORDER BY ord DESC LIMIT 1", (ordv,))

    def story_after(self, ordv: str) -> Optional[str]:
        return value_of(self.db, "SELECT key FROM stories WHERE ord>? ORDER BY ord LIMIT 1", (ordv,))

    def page_before(self, ordv: str) -> Optional[str]:
        return value_of(self.db, "SELECT path FROM pages WHERE ord<? ORDER BY ord DESC LIMIT 1", (ordv,))

    def page_after(self, ordv: str) -> Optional[str]:
        return value_of(self.db, "SELECT path FROM pages WHERE ord>? ORDER BY ord LIMIT 1", (ordv,))

    def same_date(self, daykey: int) -> list[PageRow]:
        return [_page(r) for r in self.db.execute(f"SELECT {PAGE_COLUMNS} FROM pages WHERE daykey=? ORDER BY ord", (daykey,))]

    def newest_pages(self, n: int) -> list[PageRow]:
        return [_page(r) for r in self.db.execute(f"SELECT {PAGE_COLUMNS} FROM pages ORDER BY ord DESC LIMIT ?", (n,))]

    def newest_stories(self, n: int) -> list[StoryRow]:
        """The newest `n` stories, newest page first, print order within a page."""
        out: list = []
        for page in self.newest_pages(n):
            out.extend(self.stories(self.page_story_keys(page.path)))
            if len(out) >= n:
                break
        return out[:n]

    def counts(self) -> dict:
        return {"pages": self.store.count("pages"), "stories": self.store.count("stories")}

    # -- the archive -------------------------------------------------------------
    def years(self) -> list[int]:
        """Years with pages, newest first."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT year FROM pages ORDER BY year DESC")]

    def year_pages(self, year: int) -> list[PageRow]:
        return [_page(r) for r in self.db.execute(f"SELECT {PAGE_COLUMNS} FROM pages WHERE year=? ORDER BY ord", (year,))]

    def month_pages(self, year: int, month: Optional[int]) -> list[PageRow]:
        if month is None:
            sql, args = f"SELECT {PAGE_COLUMNS} FROM pages WHERE year=? AND month IS NULL ORDER BY ord", (year,)
        else:
            sql, args = f"SELECT {PAGE_COLUMNS} FROM pages WHERE year=? AND month=? ORDER BY ord", (year, month)
        return [_page(r) for r in self.db.execute(sql, args)]

    def day_pages(self, daykey: int) -> list[PageRow]:
        return self.same_date(daykey)

    def months(self, year: int) -> list[tuple]:
        """(month or None, pages, stories) of a year, the year-only group first, then January on."""
        rows = self.db.execute("SELECT month, count(*), sum(n) FROM pages WHERE year=? GROUP BY month ORDER BY coalesce(month, 0)", (year,))
        return [(m, p, s) for m, p, s in rows]

    def year_counts(self) -> list[tuple]:
        """(year, pages, stories), newest first."""
        return list(self.db.execute("SELECT year, count(*), sum(n) FROM pages GROUP BY year ORDER BY year DESC"))

    def day_neighbours(self, daykey: int) -> tuple:
        """The day keys of the dated days before and after (None at the ends)."""
        before = self.db.execute("SELECT max(daykey) FROM pages WHERE daykey<? AND day IS NOT NULL", (daykey,)).fetchone()[0]
        after = self.db.execute("SELECT min(daykey) FROM pages WHERE daykey>? AND day IS NOT NULL", (daykey,)).fetchone()[0]
        return before, after

    # -- tags ----------------------------------------------------------------------
    def tag_keys(self, tag: str, year: Optional[int] = None) -> list[str]:
        """A tag's stories in reading order (oldest first), of one year or all."""
        if year is None:
            return [r[0] for r in self.db.execute("SELECT key FROM tags WHERE tag=? ORDER BY ord", (tag,))]
        return [r[0] for r in self.db.execute("SELECT key FROM tags WHERE tag=? AND year=? ORDER BY ord", (tag, year))]

    def tag_count(self, tag: str) -> int:
        return self.db.execute("SELECT count(*) FROM tags WHERE tag=?", (tag,)).fetchone()[0]

    def tag_years(self, tag: str) -> list[tuple]:
        """(year, stories) of a tag, newest year first."""
        return list(self.db.execute("SELECT year, count(*) FROM tags WHERE tag=? GROUP BY year ORDER BY year DESC", (tag,)))

    def tag_newest(self, tag: str, n: int) -> list[StoryRow]:
        """A tag's newest `n` stories: newest page first, print order within a page (so the
        oldest page shown may keep only its first stories)."""
        keys = [r[0] for r in self.db.execute("SELECT key FROM tags WHERE tag=? ORDER BY ord DESC LIMIT ?", (tag, n))]
        if not keys:
            return []
        oldest = self.story(keys[-1])
        # the oldest page's stories of the tag: that page's few stories, each looked up in the tag
        # (CROSS JOIN keeps SQLite from walking every story of the tag instead: a third of the archive)
        keys += [r[0] for r in self.db.execute("SELECT s.key FROM stories s CROSS JOIN tags t ON t.tag=? AND t.ord=s.ord "
                                               "WHERE s.page=?", (tag, oldest.page))]
        rows = sorted({k: self.story(k) for k in keys}.values(), key=lambda r: r.ord)
        return newest_first(rows)[:n]

    def keyword(self, word: str) -> Optional[tuple]:
        """(slug, stories) of a keyword with a tag page, else None."""
        row = self.db.execute("SELECT slug, n FROM keywords WHERE word=? AND n>=2", (word,)).fetchone()
        return row

    def keywords_ranked(self, offset: int = 0, limit: int = -1) -> list[tuple]:
        """(word, slug, stories) of the keywords with tag pages, most used first."""
        return list(self.db.execute("SELECT word, slug, n FROM keywords WHERE n>=2 ORDER BY n DESC, slug LIMIT ? OFFSET ?", (limit, offset)))

    def keyword_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM keywords WHERE n>=2").fetchone()[0]

    def theme_counts(self) -> dict:
        """Stories per theme (counted once per SiteData: a count walks every theme tag, and the
        home, themes and search views each ask)."""
        if getattr(self, "_theme_counts", None) is None:
            self._theme_counts = dict(self.db.execute("SELECT substr(tag, 3), count(*) FROM tags WHERE tag GLOB 't:*' GROUP BY tag"))
        return self._theme_counts


# ---------------------------------------------------------------------------- list pages
@dataclass(eq=False)
class ListPage:
    """One page of a long list: its URL, the year it covers and its place among that year's pages,
    and its stories in the order shown."""

    url: str
    year: Optional[int]
    number: int  # 1-based, within the year
    stories: list = field(repr=False)


def cut(items: list, stories_of: Callable, size: int = LIST_SIZE) -> list[list]:
    """Consecutive `items` (pages, or stories as their own one-story groups) into list pages of at
    most `size` stories, keeping an item's stories together unless it alone has more."""
    chunks: list[list] = []
    current: list = []
    for item in items:
        group = stories_of(item)
        if current and len(current) + len(group) > size:
            chunks.append(current)
            current = []
        for story in group:
            if len(current) == size:
                chunks.append(current)
                current = []
            current.append(story)
    if current:
        chunks.append(current)
    return chunks


def page_groups(rows: list) -> list[list]:
    """Consecutive stories of one page, grouped."""
    groups: list[list] = []
    for row in rows:
        if groups and groups[-1][-1].page == row.page:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def newest_first(rows: list) -> list:
    """Stories in reading order → newest page first, print order kept within each page."""
    return [e for group in reversed(page_groups(rows)) for e in group]


def list_pages(url: str, year: Optional[int], groups: list) -> list[ListPage]:
    """List pages of `groups` (lists of stories, each kept together), numbered from the oldest."""
    return [ListPage(url if n == 1 else f"{url}page/{n}/", year, n, chunk) for n, chunk in enumerate(cut(groups, lambda g: g), 1)]


def tag_year_pages(data: SiteData, tag: str, url: str, year: int) -> list[ListPage]:
    """A theme's or keyword's year: its stories cut into list pages from the year's oldest, each
    shown newest first (structure's module docstring says why)."""
    rows = data.stories(data.tag_keys(tag, year))
    pages = list_pages(f"{url}{year}/", year, page_groups(rows))
    for lp in pages:
        lp.stories = newest_first(lp.stories)
    return pages


def archive_list_pages(data: SiteData, url: str, year: int, pages: list[PageRow]) -> list[ListPage]:
    """A month's or day's pages with their stories, cut into list pages (a page's stories together)."""
    groups = [data.stories(data.page_story_keys(p.path)) for p in pages]
    return list_pages(url, year, [g for g in groups if g])


def month_url(year: int, month: Optional[int]) -> str:
    return f"{year:04d}/{month:02d}/" if month else f"{year:04d}/"


def day_url(date: PageDate) -> str:
    return f"{date_folder(date)}{date.day:02d}/"


# ---------------------------------------------------------------------------- the site as objects
@dataclass(eq=False)
class SiteStory:
    story: object = field(repr=False)  # model.Story, with its chosen keywords
    site_page: "SitePage" = field(repr=False)
    index: int
    url: str
    slug: str
    key: str = ""
    ref: Optional[int] = None  # its number in the search index
    prev: Optional["SiteStory"] = field(default=None, repr=False)
    next: Optional["SiteStory"] = field(default=None, repr=False)
    related: list = field(default_factory=list, repr=False)
    themes: list = field(default_factory=list, repr=False)  # SiteTheme
    keyword_links: list = field(default_factory=list, repr=False)  # SiteKeyword (url "" when no tag page)

    @property
    def title(self) -> str:
        return self.site_page.model.story_title(self.index)

    @property
    def date(self) -> PageDate:
        return self.site_page.model.date

    @property
    def kind(self) -> str:
        return self.story.kind


@dataclass(eq=False)
class SitePage:
    """A newspaper page (版面) on the site."""

    model: Page = field(repr=False)
    url: str
    slug: str
    stories: list = field(default_factory=list, repr=False)
    prev: Optional["SitePage"] = field(default=None, repr=False)  # older
    next: Optional["SitePage"] = field(default=None, repr=False)  # newer
    same_date: list = field(default_factory=list, repr=False)  # every page of this date, itself included, in label order

    @property
    def title(self) -> str:
        return self.model.display_title

    @property
    def date(self) -> PageDate:
        return self.model.date

    @property
    def label(self) -> Optional[str]:
        return self.model.label

    @property
    def lead(self) -> Optional[SiteStory]:
        return next((e for e in self.stories if e.kind == "feature"), self.stories[0] if self.stories else None)


@dataclass(eq=False)
class StoryList:
    url: str
    stories: list = field(repr=False)  # newest first
    years: dict = field(default_factory=dict, repr=False)  # year → [ListPage]

    @property
    def landing(self) -> list:
        return self.stories[:LANDING_SIZE]


@dataclass(eq=False)
class SiteTheme:
    slug: str
    name: str
    description: str
    url: str
    stories: list = field(default_factory=list, repr=False)  # newest first
    list: Optional[StoryList] = field(default=None, repr=False)


@dataclass(eq=False)
class SiteKeyword:
    word: str
    slug: str
    url: str
    stories: list = field(default_factory=list, repr=False)
    list: Optional[StoryList] = field(default=None, repr=False)


class _Pages:
    """What a day and a month of the archive share: their pages' stories counted."""

    @property
    def story_count(self) -> int:
        return sum(len(p.stories) for p in self.pages)


@dataclass(eq=False)
class ArchiveDay(_Pages):
    date: PageDate
    url: str
    pages: list = field(repr=False)
    list_pages: list = field(default_factory=list, repr=False)


@dataclass(eq=False)
class ArchiveMonth(_Pages):
    year: int
    month: Optional[int]
    url: str
    pages: list = field(repr=False)
    list_pages: list = field(default_factory=list, repr=False)
    days: list = field(default_factory=list, repr=False)


@dataclass(eq=False)
class ArchiveYear:
    year: int
    url: str
    months: list

    @property
    def story_count(self) -> int:
        return sum(m.story_count for m in self.months)

    @property
    def page_count(self) -> int:
        return sum(len(m.pages) for m in self.months)

    def month(self, number: Optional[int]) -> Optional[ArchiveMonth]:
        return next((m for m in self.months if m.month == number), None)


@dataclass
class Site:
    config: SiteConfig
    pages: list = field(repr=False)  # SitePage, newest first
    stories: list = field(repr=False)  # SiteStory, reading order
    years: list = field(repr=False)  # ArchiveYear, newest first
    themes: list = field(default_factory=list)  # SiteTheme
    keywords: list = field(default_factory=list)  # SiteKeyword with a tag page, most used first

    @property
    def latest(self) -> list:
        """Every story, newest page first, print order within each page."""
        return [e for p in self.pages for e in p.stories]


def materialize(data: SiteData) -> Site:
    """The whole site as linked objects, read from the store (small archives: tools and tests)."""
    db = data.db
    pages: list[SitePage] = []
    by_key: dict[str, SiteStory] = {}
    for row in [_page(r) for r in db.execute(f"SELECT {PAGE_COLUMNS} FROM pages ORDER BY ord")]:
        model = data.record(row.path)
        sp = SitePage(model, row.url, row.slug)
        for s in data.stories(data.page_story_keys(row.path)):
            story = model.stories[s.index]
            story.keywords = list(s.keywords)
            entry = SiteStory(story, sp, s.index, s.url, s.slug, s.key, s.ref)
            sp.stories.append(entry)
            by_key[s.key] = entry
        pages.append(sp)
    for a, b in zip(pages, pages[1:]):
        a.next, b.prev = b, a
    by_date: dict = {}
    for sp in pages:
        by_date.setdefault(sp.date, []).append(sp)
    for group in by_date.values():
        for sp in group:
            sp.same_date = group
    stories = [e for sp in pages for e in sp.stories]
    for a, b in zip(stories, stories[1:]):
        a.next, b.prev = b, a
    themes = {t.slug: SiteTheme(t.slug, t.name, t.description, t.url) for t in data.themes}
    keywords = {w: SiteKeyword(w, slug, f"tags/{slug}/") for w, slug, _ in data.keywords_ranked()}
    for e in stories:
        row = data.story(e.key)
        e.related = [by_key[k] for k in row.related]
        e.themes = [themes[s] for s in row.themes if s in themes]
        e.keyword_links = [keywords.get(w) or SiteKeyword(w, "", "") for w in row.keywords]
    latest = [e for sp in reversed(pages) for e in sp.stories]
    for e in latest:
        for t in e.themes:
            t.stories.append(e)
        for w in e.story.keywords:
            if w in keywords:
                keywords[w].stories.append(e)
    for kind, items in (("t", themes.values()), ("k", keywords.values())):
        for item in items:
            tag = f"{kind}:{item.slug if kind == 't' else item.word}"
            years = {}
            if len(item.stories) > LANDING_SIZE:
                for y, _ in data.tag_years(tag):
                    years[y] = [_objects(lp, by_key) for lp in tag_year_pages(data, tag, item.url, y)]
            item.list = StoryList(item.url, item.stories, years)
    years = []
    for y in data.years():
        months = []
        for m, _, _ in data.months(y):
            url = month_url(y, m)
            mpages = [sp for sp in pages if sp.date.year == y and sp.date.month == m]
            month = ArchiveMonth(y, m, url, mpages)
            rows = data.month_pages(y, m)
            days = {}
            for p in rows:
                if p.date.day:
                    days.setdefault(p.daykey, []).append(p)
            for dk, dpages in days.items():
                d = date_of_key(dk)
                month.days.append(ArchiveDay(d, day_url(d), [sp for sp in mpages if sp.date == d],
                                             [_objects(lp, by_key) for lp in archive_list_pages(data, day_url(d), y, dpages)]))
            listed = rows if not days or sum(p.count for p in rows) <= LIST_SIZE else [p for p in rows if not p.date.day]
            month.list_pages = [_objects(lp, by_key) for lp in archive_list_pages(data, url, y, listed)] or [ListPage(url, y, 1, [])]
            months.append(month)
        years.append(ArchiveYear(y, f"{y:04d}/", months))
    return Site(data.config, list(reversed(pages)), stories, years, list(themes.values()),
                sorted(keywords.values(), key=lambda k: (-len(k.stories), k.slug)))


def _objects(lp: ListPage, by_key: dict) -> ListPage:
    return ListPage(lp.url, lp.year, lp.number, [by_key[r.key] for r in lp.stories])
