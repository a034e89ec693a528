"""The site's structure over the content model: stable URLs, reading order, 版面 navigation, archive
groups, lists split into pages that never grow with the archive, and related stories. Views and
search read it; neither computes URLs or orders itself.

Order. Pages (版面) are ordered by date, then by their 版面 label in natural order (第2版 before
第10版), then by file. Stories keep print order within their page. Reading order runs oldest page
first; "newest first" lists run newest page first and keep print order within each page, so a
page's lead story always comes before its briefs.

URLs are site-relative and end in "/": a story lives at ``YYYY/MM/<slug>/`` (``YYYY/<slug>/`` for a
year-only date), a newspaper page at ``pages/<slug>/``. Slugs are pinyin of the title (pypinyin,
which knows the readings of polyphonic characters in context: 重庆 → chong-qing), so they are
readable and stay the same from build to build. Two outputs claiming one URL is an error naming
both.

Long lists (a theme's, a keyword's, a month's stories) are cut into list pages of at most
LIST_SIZE stories: by year, then within a year into consecutive pages numbered from the year's
oldest story (``<list>/2022/``, ``<list>/2022/page/2/``, …). A new issue adds its stories to the
end of the current year, so it changes only that year's last list page: every other list URL keeps
showing the same stories. A 版面's stories stay on one list page unless it alone has more than
LIST_SIZE.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from .config import SiteConfig
from .errors import SiteError
from .model import SLUG_RE, Page, PageDate, Story

MAX_SLUG_SYLLABLES = 8
MAX_SLUG_LEN = 60
LIST_SIZE = 60  # stories on one list page, at most (a 版面 with more is split)
LANDING_SIZE = 30  # newest stories on a theme's or keyword's first page


SLUGS: dict[tuple, str] = {}  # memo of slugify; the build keeps it in its cache folder between builds
SLUGS_USED: set = set()


def slugify(text: str, max_parts: int = MAX_SLUG_SYLLABLES) -> str:
    """Readable ASCII slug: 凌源影调戏亮相 → ling-yuan-ying-diao-xi-liang-xiang. Memoised in
    SLUGS: pypinyin takes half a millisecond a title, a second for a 200-page archive."""
    SLUGS_USED.add((text, max_parts))
    found = SLUGS.get((text, max_parts))
    if found is None:
        found = SLUGS[(text, max_parts)] = _slugify(text, max_parts)
    return found


def _slugify(text: str, max_parts: int) -> str:
    from pypinyin import lazy_pinyin  # imported only when a slug is new (a third of a second)

    parts: list[str] = []
    for piece in lazy_pinyin(text):
        for word in re.findall(r"[A-Za-z0-9]+", piece):
            parts.append(word.lower())
    parts = parts[:max_parts]
    slug = "-".join(parts)
    while len(slug) > MAX_SLUG_LEN and "-" in slug:
        slug = slug.rsplit("-", 1)[0]
    return slug[:MAX_SLUG_LEN] or "story"


def label_key(label: Optional[str]) -> tuple:
    """Natural order of 版面 labels: 第2版 < 第10版, A2 < A10, 第一版 < 第二版; no label first."""
    if not label:
        return ()
    label = re.sub("[一二三四五六七八九十]+", lambda m: str(_chinese_number(m.group())), label)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.findall(r"\d+|\D+", label))


def _chinese_number(text: str) -> int:
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")}
    if "十" not in text:
        n = 0
        for ch in text:
            n = n * 10 + digits[ch]
        return n
    tens, _, ones = text.partition("十")
    return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)


@dataclass(eq=False)
class SiteStory:
    story: Story = field(repr=False)
    site_page: "SitePage" = field(repr=False)
    index: int  # position on its page (print order)
    url: str
    slug: str
    # links to other site objects stay out of repr (a chain of prev/next would print the archive)
    prev: Optional["SiteStory"] = field(default=None, repr=False)
    next: Optional["SiteStory"] = field(default=None, repr=False)
    related: list = field(default_factory=list, repr=False)
    themes: list = field(default_factory=list, repr=False)  # SiteTheme objects, filled by attach_themes
    keyword_links: list = field(default_factory=list, repr=False)  # SiteKeyword objects (url "" when no tag page)

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
    prev: Optional["SitePage"] = field(default=None, repr=False)  # the page before in date order (older)
    next: Optional["SitePage"] = field(default=None, repr=False)  # the page after (newer)
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
        """The page's lead story: its first feature, else its first story."""
        return next((e for e in self.stories if e.kind == "feature"), self.stories[0] if self.stories else None)


@dataclass(eq=False)
class ListPage:
    """One page of a long list: its URL, the year it covers and its place among that year's pages,
    and its stories in the order shown."""

    url: str
    year: Optional[int]
    number: int  # 1-based, within the year
    stories: list = field(repr=False)


@dataclass(eq=False)
class StoryList:
    """A list of stories (a theme's, a keyword's) with its list pages: the newest stories on the
    landing page, then every story on year pages (see the module docstring)."""

    url: str
    stories: list = field(repr=False)  # newest first
    years: dict = field(default_factory=dict, repr=False)  # year → [ListPage], each year's pages in number order

    @property
    def landing(self) -> list:
        return self.stories[:LANDING_SIZE]


@dataclass(eq=False)
class ArchiveDay:
    """A day's pages (a daily's issue): listed at YYYY/MM/DD/, in label order, cut into list pages."""

    date: PageDate
    url: str
    pages: list = field(repr=False)
    list_pages: list = field(default_factory=list, repr=False)
    prev: Optional["ArchiveDay"] = field(default=None, repr=False)  # the day before that has pages
    next: Optional["ArchiveDay"] = field(default=None, repr=False)

    @property
    def story_count(self) -> int:
        return sum(len(p.stories) for p in self.pages)


@dataclass(eq=False)
class ArchiveMonth:
    """A month's pages. Pages dated to the day are listed on day pages, reached from the month's
    calendar; the rest (dated to the month) are listed on the month page itself, as are all of a
    month's stories when there are at most LIST_SIZE of them."""

    year: int
    month: Optional[int]  # None: pages dated to the year only
    url: str
    pages: list = field(repr=False)  # SitePage, date order
    list_pages: list = field(default_factory=list, repr=False)  # ListPage, oldest first (the first at `url`)
    days: list = field(default_factory=list, repr=False)  # ArchiveDay, in date order

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月" if self.month else f"{self.year}年（月份不详）"

    @property
    def story_count(self) -> int:
        return sum(len(p.stories) for p in self.pages)


@dataclass(eq=False)
class ArchiveYear:
    year: int
    url: str
    months: list  # ArchiveMonth, January first; the year-only group (month None) first of all

    @property
    def story_count(self) -> int:
        return sum(m.story_count for m in self.months)

    @property
    def page_count(self) -> int:
        return sum(len(m.pages) for m in self.months)

    def month(self, number: Optional[int]) -> Optional[ArchiveMonth]:
        return next((m for m in self.months if m.month == number), None)


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
    stories: list = field(default_factory=list, repr=False)  # newest first
    list: Optional[StoryList] = field(default=None, repr=False)


@dataclass
class Site:
    config: SiteConfig
    pages: list = field(repr=False)  # SitePage, newest first
    stories: list = field(repr=False)  # SiteStory, reading order: oldest page first, print order within a page
    years: list = field(repr=False)  # ArchiveYear, newest first
    themes: list = field(default_factory=list)  # SiteTheme, filled by attach_themes
    keywords: list = field(default_factory=list)  # SiteKeyword with a tag page, most used first

    @property
    def latest(self) -> list:
        """Every story, newest page first, print order within each page."""
        return [e for p in self.pages for e in p.stories]


def page_slug(page: Page) -> str:
    if page.slug:
        return page.slug
    stem = re.sub(r"\.[^.]+$", "", page.path.replace("\\", "/").rsplit("/", 1)[-1])
    if SLUG_RE.match(stem):
        return stem
    return slugify(stem, 12)


def date_folder(date: PageDate) -> str:
    return f"{date.year:04d}/{date.month:02d}/" if date.month else f"{date.year:04d}/"


def page_order(page: Page) -> tuple:
    return (page.date.sort_key, label_key(page.label), page.path)


class URLs:
    """Every URL the site gives out, with what claimed it: a second claim is an error naming both."""

    def __init__(self):
        self.owners: dict[str, str] = {}

    def claim(self, url: str, owner: str, path: Optional[str]) -> None:
        found = self.owners.get(url)
        if found is not None:
            raise SiteError(path, f"{owner} would be published at /{url}, which is already {found}; "
                                  "change its title or the page's date")
        self.owners[url] = owner

    def taken(self, url: str) -> bool:
        return url in self.owners


def build_structure(pages: list[Page], config: SiteConfig) -> Site:
    """Pages (drafts already left out) → the site: URLs, order, archive, prev/next."""
    ordered = sorted(pages, key=page_order)
    site_pages: list[SitePage] = []
    seen_pages: dict[str, str] = {}
    for page in ordered:
        slug = page_slug(page)
        if slug in seen_pages:
            raise SiteError(page.path, f"page slug '{slug}' is also used by {seen_pages[slug]}; give one of them another 'slug'")
        seen_pages[slug] = page.path
        site_pages.append(SitePage(page, f"pages/{slug}/", slug))
    for a, b in zip(site_pages, site_pages[1:]):
        a.next, b.prev = b, a
    by_date: dict[PageDate, list] = {}
    for sp in site_pages:
        by_date.setdefault(sp.date, []).append(sp)
    for group in by_date.values():
        for sp in group:
            sp.same_date = group

    urls = URLs()
    stories: list[SiteStory] = []
    for sp in site_pages:
        folder = date_folder(sp.date)
        for index, story in enumerate(sp.model.stories):
            base = slugify(story.title or sp.title)
            slug, n = base, 2
            while urls.taken(folder + slug + "/"):
                slug, n = f"{base}-{n}", n + 1
            url = f"{folder}{slug}/"
            urls.claim(url, f"story '{story.title or sp.title}' of {sp.model.path}", sp.model.path)
            entry = SiteStory(story, sp, index, url, slug)
            sp.stories.append(entry)
            stories.append(entry)
    for a, b in zip(stories, stories[1:]):
        a.next, b.prev = b, a
    years = archive(site_pages)
    for y in years:
        for m in y.months:
            for lp in m.list_pages:
                urls.claim(lp.url, f"the archive page of {m.label}", m.pages[0].model.path)
            for day in m.days:
                for lp in day.list_pages:
                    urls.claim(lp.url, f"the archive page of {day.date.display}", day.pages[0].model.path)
    return Site(config, list(reversed(site_pages)), stories, years)


def archive(site_pages: list[SitePage]) -> list[ArchiveYear]:
    """Years (newest first) of months (January first, the year-only group before them), each
    month's pages in date order and cut into list pages."""
    groups: dict[int, dict] = {}
    for sp in site_pages:
        groups.setdefault(sp.date.year, {}).setdefault(sp.date.month, []).append(sp)
    years = []
    for year in sorted(groups, reverse=True):
        months = []
        for month in sorted(groups[year], key=lambda m: m or 0):
            url = f"{year:04d}/{month:02d}/" if month else f"{year:04d}/"
            m = ArchiveMonth(year, month, url, groups[year][month])
            by_day: dict = {}
            for sp in m.pages:
                if sp.date.day:
                    by_day.setdefault(sp.date, []).append(sp)
            for d, pages in by_day.items():
                day = ArchiveDay(d, f"{url}{d.day:02d}/", pages)
                day.list_pages = _list_pages(day.url, year, pages)
                m.days.append(day)
            listed = m.pages if not m.days or sum(len(p.stories) for p in m.pages) <= LIST_SIZE else \
                [p for p in m.pages if not p.date.day]
            m.list_pages = _list_pages(url, year, listed) or [ListPage(url, year, 1, [])]
            months.append(m)
        years.append(ArchiveYear(year, f"{year:04d}/", months))
    days = [d for y in reversed(years) for m in y.months for d in m.days]
    for a, b in zip(days, days[1:]):
        a.next, b.prev = b, a
    return years


def _list_pages(url: str, year: int, pages: list) -> list[ListPage]:
    return [ListPage(url if n == 1 else f"{url}page/{n}/", year, n, chunk) for n, chunk in enumerate(cut(pages, lambda p: p.stories), 1)]


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


def story_list(url: str, newest_first: list) -> StoryList:
    """A theme's or keyword's list: its year pages cut from its stories in reading order (oldest
    first), each shown newest first. A list whose landing page shows every story has none."""
    if len(newest_first) <= LANDING_SIZE:
        return StoryList(url, newest_first, {})
    by_year: dict[int, list] = {}
    for entry in reversed(newest_first):
        by_year.setdefault(entry.date.year, []).append(entry)
    years = {}
    for year in sorted(by_year, reverse=True):
        pages = [list(group) for group in _page_groups(by_year[year])]
        chunks = cut(pages, lambda g: g)
        years[year] = [ListPage(f"{url}{year}/" if n == 1 else f"{url}{year}/page/{n}/", year, n, _newest_first(chunk))
                       for n, chunk in enumerate(chunks, 1)]
    return StoryList(url, newest_first, years)


def _page_groups(entries: Iterable[SiteStory]) -> list[list]:
    groups: list[list] = []
    for entry in entries:
        if groups and groups[-1][-1].site_page is entry.site_page:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


def _newest_first(entries: list) -> list:
    """Stories in reading order → newest page first, print order kept within each page."""
    return [e for group in reversed(_page_groups(entries)) for e in group]


def attach_themes(site: Site, taxonomy) -> None:
    """Theme pages for every theme; tag pages for keywords shared by two or more stories."""
    themes = {t.slug: SiteTheme(t.slug, t.name, t.description, t.url) for t in taxonomy.themes}
    by_word: dict[str, list] = {}
    for entry in site.latest:
        entry.themes = [themes[slug] for slug in entry.story.themes if slug in themes]
        for theme in entry.themes:
            theme.stories.append(entry)
        for word in entry.story.keywords:
            by_word.setdefault(word, []).append(entry)
    site.themes = list(themes.values())
    for theme in site.themes:
        theme.list = story_list(theme.url, theme.stories)
    taken: set = set()
    keywords = {}
    for word in sorted(w for w, entries in by_word.items() if len(entries) >= 2):
        base = slugify(word, 12)
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        keyword = keywords[word] = SiteKeyword(word, slug, f"tags/{slug}/", by_word[word])
        keyword.list = story_list(keyword.url, keyword.stories)
    site.keywords = sorted(keywords.values(), key=lambda k: (-len(k.stories), k.slug))
    for entry in site.stories:
        entry.keyword_links = [keywords.get(w) or SiteKeyword(w, "", "") for w in entry.story.keywords]


def link_related(site: Site, count: int = 4, window: int = 12, previous: Optional[dict] = None) -> dict:
    """Related stories: most shared themes (x2) and keywords, then nearest in time; never itself,
    never a story of the same page (those are listed beside it as 本版稿件).
    Candidates are, for each of a story's themes and keywords, the `window` stories nearest in
    reading order that share it: comparing every pair is quadratic (10,000 stories make 100
    million pairs), and a far-away story sharing one tag never outranks a near one sharing it.

    Returns what a rebuild passes back as `previous`: a story whose own tags, date and URL and
    whose candidates (each with its tags, date and URL) are all as they were keeps its related
    stories without scoring them again."""
    groups: dict[tuple, list] = {}  # tag -> the numbers of the stories holding it, in reading order
    places: list[list] = []  # per story: (its group, its position there) for each tag
    for n, entry in enumerate(site.stories):
        mine = []
        for key in [("t", theme.slug) for theme in entry.themes] + [("k", word) for word in entry.story.keywords]:
            group = groups.setdefault(key, [])
            mine.append((group, len(group)))
            group.append(n)
        places.append(mine)
    tags = [({t.slug for t in e.themes}, set(e.story.keywords)) for e in site.stories]
    months = [_months(e.date) for e in site.stories]
    page_of = [e.site_page.url for e in site.stories]
    # what a story's related stories depend on, as one number per story
    marks = [int.from_bytes(hashlib.blake2b(repr((e.url, sorted(tags[n][0]), e.story.keywords, months[n], page_of[n])).encode("utf-8"),
                                            digest_size=8).digest(), "big") for n, e in enumerate(site.stories)]
    previous = previous or {}
    by_url = {e.url: e for e in site.stories}
    state = {}
    for n, entry in enumerate(site.stories):
        candidates = set()
        for group, i in places[n]:
            candidates.update(group[max(0, i - window) : i + window + 1])
        candidates.discard(n)
        # the candidates as one number: a sum of random 64-bit marks (another set of candidates
        # gives the same sum with odds of 2**-64)
        inputs = (marks[n], len(candidates), sum(map(marks.__getitem__, candidates)))
        kept = previous.get(entry.url)
        if kept is not None and kept[0] == inputs:
            urls = kept[1]
        else:
            mine_t, mine_k = tags[n]
            scored = []
            for m in candidates:
                if page_of[m] == page_of[n]:
                    continue
                their_t, their_k = tags[m]
                shared = 2 * len(mine_t & their_t) + len(mine_k & their_k)
                if shared:
                    scored.append((-shared, abs(months[m] - months[n]), site.stories[m].url))
            scored.sort()
            urls = [s[2] for s in scored[:count]]  # (URLs are unique: no two stories tie on all three)
        entry.related = [by_url[u] for u in urls]
        state[entry.url] = (inputs, urls)
    return state


def _months(d) -> int:
    return d.year * 12 + (d.month or 6)
