"""The site's structure over the content model: stable URLs, reading order, prev/next, archive
groups and related stories. Search and render both read it; neither computes URLs itself.

URLs are site-relative and end in "/": a story lives at ``YYYY/MM/<slug>/`` (``YYYY/<slug>/`` for
a year-only date), a newspaper page at ``pages/<slug>/``. Slugs are pinyin of the title (pypinyin,
which knows the readings of polyphonic characters in context: 重庆 → chong-qing), so they are
readable and stay the same from build to build.
"""
from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Optional

from .config import SiteConfig
from .errors import SiteError
from .model import Page, Story

MAX_SLUG_SYLLABLES = 8
MAX_SLUG_LEN = 60


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


@dataclass(eq=False)
class SiteStory:
    story: Story = field(repr=False)
    page: "SitePage" = field(repr=False)
    index: int  # position on its page (print order)
    url: str
    slug: str
    # links to other site objects stay out of repr (a chain of prev/next would print the archive)
    prev: Optional["SiteStory"] = field(default=None, repr=False)
    next: Optional["SiteStory"] = field(default=None, repr=False)
    related: list = field(default_factory=list, repr=False)
    themes: list = field(default_factory=list, repr=False)  # SiteTheme objects, filled by the themes stage
    keyword_links: list = field(default_factory=list, repr=False)  # SiteKeyword objects, filled by the themes stage
    # filled by render: what lists and meta tags show
    lede: str = ""
    description: str = ""
    chars: int = 0
    column_start: object = field(default=None, repr=False)

    @property
    def title(self) -> str:
        return self.page.page.story_title(self.index)

    @property
    def date(self):
        return self.page.page.date


@dataclass(eq=False)
class SitePage:
    page: Page = field(repr=False)
    url: str
    slug: str
    stories: list = field(default_factory=list, repr=False)

    @property
    def title(self) -> str:
        return self.page.display_title

    @property
    def date(self):
        return self.page.date


@dataclass
class ArchiveMonth:
    year: int
    month: Optional[int]  # None: stories dated to the year only
    url: str
    stories: list = field(repr=False)

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月" if self.month else f"{self.year}年（月份不详）"


@dataclass
class ArchiveYear:
    year: int
    url: str
    months: list

    @property
    def count(self) -> int:
        return sum(len(m.stories) for m in self.months)


@dataclass
class Site:
    config: SiteConfig
    pages: list = field(repr=False)  # SitePage, newest first
    stories: list = field(repr=False)  # SiteStory, reading order: oldest page first, print order within a page
    years: list = field(repr=False)  # ArchiveYear, newest first
    themes: list = field(default_factory=list)  # SiteTheme, filled by the themes stage
    keywords: list = field(default_factory=list)  # SiteKeyword, filled by the themes stage

    @property
    def latest(self) -> list:
        return list(reversed(self.stories))


def page_slug(page: Page) -> str:
    if page.slug:
        return page.slug
    stem = re.sub(r"\.[^.]+$", "", page.path.replace("\\", "/").rsplit("/", 1)[-1])
    if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", stem):
        return stem
    return slugify(stem, 12)


def date_folder(page: Page) -> str:
    d = page.date
    return f"{d.year:04d}/{d.month:02d}/" if d.month else f"{d.year:04d}/"


def build_structure(pages: list[Page], config: SiteConfig) -> Site:
    """Pages (drafts already left out) → the site: URLs, order, archive, prev/next."""
    ordered = sorted(pages, key=lambda p: (p.date.sort_key, p.path))
    site_pages: list[SitePage] = []
    seen_pages: dict[str, str] = {}
    for page in ordered:
        slug = page_slug(page)
        if slug in seen_pages:
            raise SiteError(page.path, f"page slug '{slug}' is also used by {seen_pages[slug]}; give one of them another 'slug'")
        seen_pages[slug] = page.path
        site_pages.append(SitePage(page, f"pages/{slug}/", slug))

    taken: dict[str, str] = {}
    stories: list[SiteStory] = []
    for sp in site_pages:
        folder = date_folder(sp.page)
        for index, story in enumerate(sp.page.stories):
            base = slugify(story.title or sp.title)
            slug, n = base, 2
            while folder + slug + "/" in taken:
                slug, n = f"{base}-{n}", n + 1
            url = f"{folder}{slug}/"
            taken[url] = sp.page.path
            entry = SiteStory(story, sp, index, url, slug)
            sp.stories.append(entry)
            stories.append(entry)
    for a, b in zip(stories, stories[1:]):
        a.next, b.prev = b, a

    years: "OrderedDict[int, dict]" = OrderedDict()
    for entry in reversed(stories):
        d = entry.date
        years.setdefault(d.year, OrderedDict()).setdefault(d.month, []).append(entry)
    archive = []
    for year in sorted(years, reverse=True):
        months = years[year]
        archive.append(
            ArchiveYear(
                year,
                f"{year:04d}/",
                [
                    ArchiveMonth(year, m, f"{year:04d}/{m:02d}/" if m else f"{year:04d}/", months[m])
                    for m in sorted(months, key=lambda m: m or 0, reverse=True)
                ],
            )
        )
    return Site(config, list(reversed(site_pages)), stories, archive)


@dataclass(eq=False)
class SiteTheme:
    slug: str
    name: str
    description: str
    url: str
    stories: list = field(default_factory=list, repr=False)  # newest first


@dataclass(eq=False)
class SiteKeyword:
    word: str
    slug: str
    url: str
    stories: list = field(default_factory=list, repr=False)  # newest first


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
    taken: set = set()
    keywords = {}
    for word in sorted(w for w, entries in by_word.items() if len(entries) >= 2):
        base = slugify(word, 12)
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        keywords[word] = SiteKeyword(word, slug, f"tags/{slug}/", by_word[word])
    site.keywords = sorted(keywords.values(), key=lambda k: (-len(k.stories), k.slug))
    for entry in site.stories:
        entry.keyword_links = [keywords.get(w) or SiteKeyword(w, "", "") for w in entry.story.keywords]


def link_related(site: Site, count: int = 4, window: int = 12, previous: Optional[dict] = None) -> dict:
    """Related stories: most shared themes (x2) and keywords, then nearest in time; never itself.
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
    # what a story's related stories depend on, as one number per story
    marks = [int.from_bytes(hashlib.blake2b(repr((e.url, sorted(tags[n][0]), e.story.keywords, months[n])).encode("utf-8"),
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
