"""The site's structure, kept in the build store and changed as the pages change: stable URLs,
reading order, keywords, related stories, tag lists and search numbers. Views read it through
site.SiteData; neither computes URLs or order itself.

Order. Pages (版面) are ordered by date, then by their 版面 label in natural order (第2版 before
第10版), then by file (``ord``, a text that sorts as that tuple does, in Python and in SQLite).
Stories keep print order within their page. Reading order runs oldest page first; "newest first"
lists run newest page first and keep print order within each page.

URLs are site-relative and end in "/": a story lives at ``YYYY/MM/<slug>/`` (``YYYY/<slug>/`` for a
year-only date), a newspaper page at ``pages/<slug>/``. Slugs are pinyin of the title (pypinyin,
which knows readings in context: 重庆 → chong-qing); two stories of one folder with one slug get
-2, -3 … in reading order. A URL claimed twice (two pages with one slug; a story whose slug is a
day or month page's number) is an error naming both.

Changes, not rebuilds. ``Reduce`` takes the pages that changed since the last build (``put``,
``remove``) and works out what else changed because of them, touching only what they can reach:
the slugs of their folders, the keywords whose banded document frequency moved
(keywords.choose), related stories within reach of their tags (a story's candidates are the
RELATED_WINDOW stories nearest it in reading order in each of its tag lists), their days' search
numbers, their neighbours. A cold build is the same with every page new. ``finish`` returns a
``Dirty``: what render and search must write again. tests/test_incremental.py checks, over random
edits, that a rebuild's site equals a cold build's byte for byte.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from . import keywords as keywords_stage
from .errors import SiteError
from .model import SLUG_RE, Page, PageDate
from .store import Store, rows_of, value_of
from . import cards

MAX_SLUG_SYLLABLES = 8
MAX_SLUG_LEN = 60
RELATED_COUNT = 4
RELATED_WINDOW = 12
BULK_SHARE = 0.2  # past this share of the stories changed, a step recomputes everything at once
KEYWORD_BATCH = 2000  # stories whose keywords are chosen at a time
DF_FLUSH = 200_000  # document-frequency changes held before they go to the store
MIN_SLOTS = 64


# ---------------------------------------------------------------------------- keys and slugs
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


def _label_text(label: Optional[str]) -> str:
    """label_key as text that sorts as the tuple does (items joined by \\x02, numbers zero-padded)."""
    return "\x02".join(f"0{n:012d}" if kind == 0 else f"1{text}" for kind, n, text in label_key(label))


def page_ord(date: PageDate, label: Optional[str], path: str) -> str:
    return f"{date.year:04d}{date.month or 0:02d}{date.day or 0:02d}\x01{_label_text(label)}\x01{path}"


def story_ord(page: str, index: int) -> str:
    return f"{page}\x01{index:05d}"


def day_key(date: PageDate) -> int:
    """A number per date, in date order; a month-only date comes before the month's days."""
    return (date.year * 13 + (date.month or 0)) * 32 + (date.day or 0)


def date_of_key(key: int) -> PageDate:
    ym, day = divmod(key, 32)
    year, month = divmod(ym, 13)
    return PageDate(year, month or None, day or None)


def months_of(date: PageDate) -> int:
    return date.year * 12 + (date.month or 6)


def date_folder(date: PageDate) -> str:
    return f"{date.year:04d}/{date.month:02d}/" if date.month else f"{date.year:04d}/"


def _slugify(text: str, max_parts: int) -> str:
    from pypinyin import lazy_pinyin  # imported only when a slug is new (a third of a second)

    # (a slug needs the first max_parts syllables: pypinyin reads a window of the title large
    # enough to give them with a margin, not a headline of 100,000 characters whole)
    window = 4 * max_parts + 32
    while True:
        parts: list[str] = []
        for piece in lazy_pinyin(text[:window]):
            for word in re.findall(r"[A-Za-z0-9]+", piece):
                parts.append(word.lower())
        if window >= len(text) or len(parts) > max_parts + 8:
            break
        window *= 4
    parts = parts[:max_parts]
    slug = "-".join(parts)
    while len(slug) > MAX_SLUG_LEN and "-" in slug:
        slug = slug.rsplit("-", 1)[0]
    return slug[:MAX_SLUG_LEN] or "story"


def slugify(text: str, max_parts: int = MAX_SLUG_SYLLABLES) -> str:
    """Readable ASCII slug: 凌源影调戏亮相 → ling-yuan-ying-diao-xi-liang-xiang."""
    return _slugify(text, max_parts)


class Slugs:
    """slugify memoised in the store (pypinyin takes half a millisecond a title)."""

    def __init__(self, store: Store):
        self.db = store.db
        self.new: dict = {}

    def __call__(self, text: str, parts: int = MAX_SLUG_SYLLABLES) -> str:
        found = self.new.get((text, parts))
        if found is None:
            row = self.db.execute("SELECT slug FROM slugs WHERE text=? AND parts=?", (text, parts)).fetchone()
            found = row[0] if row else _slugify(text, parts)
            if not row:
                self.new[(text, parts)] = found
        return found

    def save(self) -> None:
        self.db.executemany("INSERT OR REPLACE INTO slugs VALUES (?, ?, ?)", [(t, p, s) for (t, p), s in self.new.items()])
        self.new.clear()


def page_slug(page: Page, slugs: Callable = slugify) -> str:
    if page.slug:
        return page.slug
    stem = re.sub(r"\.[^.]+$", "", page.path.replace("\\", "/").rsplit("/", 1)[-1])
    if SLUG_RE.match(stem):
        return stem
    return slugs(stem, 12)


def _digest(value) -> str:
    return hashlib.blake2b(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8"), digest_size=12).hexdigest()


# ---------------------------------------------------------------------------- what changed
@dataclass
class Dirty:
    """What a build must write again (render.plan and search read it)."""

    everything: bool = False  # render every file (a cold build, new templates or settings)
    stories: set = field(default_factory=set)  # story keys whose story page must render
    pages: set = field(default_factory=set)  # page paths whose page view must render
    sources: set = field(default_factory=set)  # page paths read again or removed (their media)
    gone_stories: dict = field(default_factory=dict)  # key → old URL of stories no longer on the site
    gone_pages: dict = field(default_factory=dict)  # path → old URL
    days: set = field(default_factory=set)  # day keys whose archive pages (day, month, year) must render
    lists: dict = field(default_factory=dict)  # tag → years of its list to render (None: its landing; a theme's feed always)
    tags_index: bool = False  # keyword counts changed: the tags index pages
    pages_index: bool = False  # the set of pages or their order changed: every year of 往期版面
    search: set = field(default_factory=set)  # story keys whose search postings or document changed
    search_all: bool = False  # the search index is made afresh
    years: set = field(default_factory=set)  # years whose sitemap must be written again


@dataclass
class _Old:
    """A story as the store held it before this build."""

    key: str
    page: str
    ord: str
    url: str
    folder: str
    themes: list
    keywords: list
    kw: dict
    ref: Optional[int]
    daykey: int
    year: int
    card: str
    related: list


def _tags(themes: list, keywords: list) -> list[str]:
    return [f"t:{t}" for t in themes] + [f"k:{w}" for w in keywords]


class Reduce:
    """One build's changes to the site tables (see the module docstring). Use: put() or remove()
    each changed page, then finish(). Everything happens inside the caller's store transaction."""

    def __init__(self, store: Store, kwconfig: keywords_stage.KeywordConfig, display: Callable[[str], str], everything: bool = False):
        self.store, self.db = store, store.db
        self.kwconfig = kwconfig
        self.display = display  # page key → how messages name the file
        self.slugs = Slugs(store)
        self.dirty = Dirty(everything=everything)
        self.old: dict[str, _Old] = {}  # story key → before
        self.old_pages: dict[str, tuple] = {}  # page path → (ord, url, daykey, card)
        self.new_keys: set = set()  # stories put by this build
        self.new_pages: set = set()
        self.df_delta: Counter = Counter()  # term → stories using it, added minus removed (see _apply_df)
        self.moved_terms: set = set()
        self.counts: Counter = Counter()

    # -- pages in and out ------------------------------------------------------
    def _forget(self, path: str) -> None:
        row = self.db.execute("SELECT ord, url, daykey, card FROM pages WHERE path=?", (path,)).fetchone()
        if row is None:
            return
        self.old_pages.setdefault(path, row)
        self.counts["pages"] -= 1
        for r in self.db.execute("SELECT key, page, ord, url, folder, themes, keywords, kw, ref, daykey, card, related, tp FROM stories WHERE page=?", (path,)):
            key, page, ordv, url, folder, themes, kws, kw, ref, daykey, card, related, tp = r
            self.counts["text_postings"] -= tp
            kw = json.loads(kw)
            self.old.setdefault(key, _Old(key, page, ordv, url, folder, json.loads(themes), json.loads(kws), kw, ref, daykey,
                                          date_of_key(daykey).year, card, json.loads(related or "[]")))
            for term in kw["used"]:
                self.df_delta[term] -= 1
            self.counts["stories"] -= 1
            self.counts[f"day:{daykey}"] -= 1
        self.db.execute("DELETE FROM kwcand WHERE key IN (SELECT key FROM stories WHERE page=?)", (path,))
        self.db.execute("DELETE FROM tags WHERE key IN (SELECT key FROM stories WHERE page=?)", (path,))
        self.db.execute("DELETE FROM stories WHERE page=?", (path,))
        self.db.execute("DELETE FROM pages WHERE path=?", (path,))

    def remove(self, path: str) -> None:
        """A page that is no longer published (deleted, now a draft, or failing with --keep-going)."""
        self._forget(path)
        self.new_pages.discard(path)

    def _choose_keywords(self, rows: list, n_after: int, updates: list, changed: set, count: Counter) -> None:
        """One batch of _keywords: each story's keywords chosen against the document frequencies."""
        weights = [json.loads(r[3])["w"] for r in rows]
        df = dict(self._rows_of("SELECT term, n FROM kwdf WHERE term IN ({})", {t for w in weights for t in w}))
        for (key, current, kwfrom, _), w in zip(rows, weights):
            if kwfrom == "front matter":
                chosen = json.loads(current)
            else:
                chosen = keywords_stage.choose(w, df, n_after)
            text = json.dumps(chosen, ensure_ascii=False)
            if text != current:
                updates.append((text, key))
            old = self.old.get(key)
            if old is not None:
                before = old.keywords
            elif key in self.new_keys:
                before = None  # a new story
            else:
                before = json.loads(current)
            if before != chosen:
                changed.add(key)
                count.subtract(before or [])
                count.update(chosen)

    def _apply_df(self) -> None:
        """The document-frequency changes counted so far, into the store (kwdf); the terms whose
        band moved are kept (self.moved_terms). Called when they reach DF_FLUSH terms, so a cold
        build does not hold every term of the archive, and once more by _keywords. A term whose
        band moves over the whole build moves in one of the steps, so the set is complete; one
        that moves and moves back is kept too, which costs a story's keywords chosen again."""
        db = self.db
        deltas = [(t, n) for t, n in self.df_delta.items() if n]
        self.df_delta = Counter()
        before = dict(self._rows_of("SELECT term, n FROM kwdf WHERE term IN ({})", [t for t, _ in deltas]))
        for term, n in deltas:
            old = before.get(term, 0)
            if keywords_stage.band(old) != keywords_stage.band(old + n):
                self.moved_terms.add(term)
        db.executemany("INSERT INTO kwdf VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET n = n + excluded.n", deltas)

    def put(self, path: str, page: Page) -> None:
        """A published page, new or changed (its media prepared, themes chosen)."""
        self._forget(path)
        self.new_pages.add(path)
        date = page.date
        ordv = page_ord(date, page.label, path)
        slug = page_slug(page, self.slugs)
        dk = day_key(date)
        card = cards.page_card_of(page, f"pages/{slug}/")
        self.db.execute("INSERT INTO pages VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        (path, ordv, slug, f"pages/{slug}/", date.year, date.month, date.day, dk, page.label,
                         page.display_title, len(page.stories), json.dumps(card, ensure_ascii=False, sort_keys=True)))
        self.counts["pages"] += 1
        folder = date_folder(date)
        rows, cands = [], []
        for i, story in enumerate(page.stories):
            key = f"{path}#{i}"
            title = page.story_title(i)
            weights, used = keywords_stage.story_weights(story.keyword_counts, self.kwconfig) if story.keyword_counts is not None else ({}, [])
            for term in used:
                self.df_delta[term] += 1
            kw = {"w": weights, "used": used}
            fixed = story.keywords if story.keywords_from == "front matter" else None
            partial = cards.story_card_of(story, title, date)
            tp = sum(len(c.counts) for c in (story.index_terms or {}).values())
            self.counts["text_postings"] += tp
            rows.append((key, path, i, story_ord(ordv, i), folder, self.slugs(story.title or page.display_title), "", title,
                         story.kind, months_of(date), dk, json.dumps(story.themes, ensure_ascii=False),
                         json.dumps(fixed if fixed is not None else None, ensure_ascii=False),
                         "front matter" if fixed is not None else "tagger", json.dumps(kw, ensure_ascii=False, sort_keys=True),
                         "[]", None, json.dumps(partial, ensure_ascii=False, sort_keys=True), tp))
            cands.extend((t, key) for t in weights)
            self.new_keys.add(key)
            self.counts["stories"] += 1
            self.counts[f"day:{dk}"] += 1
        self.db.executemany("INSERT INTO stories VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        self.db.executemany("INSERT OR IGNORE INTO kwcand VALUES (?, ?)", cands)
        if len(self.df_delta) > DF_FLUSH:
            self._apply_df()

    # -- finishing ----------------------------------------------------------------
    def finish(self) -> Dirty:
        d = self.dirty
        self.slugs.save()
        self._check_page_slugs()
        url_changed = self._story_urls()
        self._check_archive_collisions()
        n_before = self.store.count("stories")
        self.store.add_counts(self.counts)
        n_after = self.store.count("stories")
        kw_changed, link_changed = self._keywords(n_before, n_after)
        self._tags(kw_changed)
        related_changed = self._related(kw_changed | url_changed)
        card_changed = self._cards(url_changed)
        page_card_changed = self._page_cards()
        self._refs()
        # what to render
        gone = set(self.old) - self._existing(self.old)
        for key in gone:
            d.gone_stories[key] = self.old[key].url
        for path, (_, url, _, _) in self.old_pages.items():
            if path not in self.new_pages:
                d.gone_pages[path] = url
        touched = self.new_keys | gone
        d.stories |= self.new_keys | url_changed | related_changed | kw_changed | link_changed
        moved = {k for k in self.new_keys if k not in self.old or self.old[k].ord != self._ord(k)} | gone
        for key in card_changed | moved:
            d.stories |= self._neighbours(key)
        d.stories |= self._related_to(card_changed | gone)
        d.stories -= gone
        d.pages |= self.new_pages | page_card_changed
        # a page view links its stories: one whose URL or card changed changes it
        d.pages |= {r[0] for r in self._rows_of("SELECT DISTINCT page FROM stories WHERE key IN ({})", url_changed | card_changed)}
        d.sources |= self.new_pages | set(self.old_pages)
        # the pages beside one, and its issue's 版面 strip, show its card in its place: they change
        # when the card or the place did, or the page came or went (not when it was only read again)
        for path in page_card_changed | (set(self.old_pages) ^ self.new_pages):
            d.pages |= self._page_neighbours(path)
        d.pages -= set(d.gone_pages)
        d.pages_index = bool(set(self.old_pages) ^ self.new_pages) or bool(page_card_changed) or any(
            self.old_pages[p][0] != self._page_ord(p) for p in self.old_pages if p in self.new_pages)
        # a story read again with its card, day, place, themes and keywords as they were changes
        # no list, day or year page (they show its card); its themes' feeds show its summary and
        # byline, so they render (a tag in `lists` with no years: its feed only)
        same = self._same_in_lists(self.new_keys - card_changed - kw_changed - moved)
        for key in same:
            for theme in self.old[key].themes:
                d.lists.setdefault(f"t:{theme}", set())
        for key in (touched - same) | card_changed | kw_changed:
            old = self.old.get(key)
            if old is not None:
                d.days.add(old.daykey)
                d.years.add(old.year)
                for tag in _tags(old.themes, old.keywords):
                    d.lists.setdefault(tag, set()).update((old.year, None))
            row = self.db.execute("SELECT daykey, themes, keywords FROM stories WHERE key=?", (key,)).fetchone()
            if row is not None:
                dk, themes, kws = row
                d.days.add(dk)
                d.years.add(date_of_key(dk).year)
                for tag in _tags(json.loads(themes), json.loads(kws)):
                    d.lists.setdefault(tag, set()).update((date_of_key(dk).year, None))
        # likewise a page read again with its card, day and place as they were changes no archive page
        for path in page_card_changed | {p for p in set(self.old_pages) | self.new_pages if not self._page_as_it_was(p)}:
            for dk in {self.old_pages[path][2]} if path in self.old_pages else set():
                d.days.add(dk)
                d.years.add(date_of_key(dk).year)
            row = self.db.execute("SELECT daykey FROM pages WHERE path=?", (path,)).fetchone()
            if row:
                d.days.add(row[0])
                d.years.add(date_of_key(row[0]).year)
        d.search |= self.new_keys | kw_changed | card_changed
        d.search -= gone
        return d

    def _page_as_it_was(self, path: str) -> bool:
        """The page was here before this build, on the same day and in the same place (its card is
        compared apart)."""
        old = self.old_pages.get(path)
        row = self.db.execute("SELECT ord, daykey FROM pages WHERE path=?", (path,)).fetchone()
        return old is not None and row is not None and (old[0], old[2]) == tuple(row)

    def _same_in_lists(self, keys: set) -> set:
        """Of the stories read again, those whose day, themes and keywords are as they were."""
        same = set()
        for key, daykey, themes, kws in self._rows_of("SELECT key, daykey, themes, keywords FROM stories WHERE key IN ({})", keys):
            old = self.old.get(key)
            if old is not None and old.daykey == daykey and old.themes == json.loads(themes) and old.keywords == json.loads(kws):
                same.add(key)
        return same

    def _existing(self, keys: Iterable[str]) -> set:
        return {r[0] for r in self._rows_of("SELECT key FROM stories WHERE key IN ({})", keys)}

    def _ord(self, key: str) -> Optional[str]:
        return value_of(self.db, "SELECT ord FROM stories WHERE key=?", (key,))

    def _page_ord(self, path: str) -> Optional[str]:
        return value_of(self.db, "SELECT ord FROM pages WHERE path=?", (path,))

    # -- URLs --------------------------------------------------------------------
    def _check_page_slugs(self) -> None:
        for path in sorted(self.new_pages):
            slug = self.db.execute("SELECT slug FROM pages WHERE path=?", (path,)).fetchone()[0]
            rows = self.db.execute("SELECT path, ord FROM pages WHERE slug=? ORDER BY ord", (slug,)).fetchall()
            if len(rows) > 1:
                first, later = rows[0], rows[1]
                raise SiteError(self.display(later[0]), f"page slug '{slug}' is also used by {self.display(first[0])}; "
                                                        "give one of them another 'slug'")

    def _story_urls(self) -> set:
        """Slugs in every folder a changed story left or joined; returns the keys whose URL changed."""
        folders = {o.folder for o in self.old.values()}
        folders.update(r[0] for r in self._rows_of("SELECT DISTINCT folder FROM stories WHERE page IN ({})", self.new_pages))
        changed = set()
        updates = []
        for folder in sorted(folders):
            taken: set = set()
            for key, base, url in self.db.execute("SELECT key, base, url FROM stories WHERE folder=? ORDER BY ord", (folder,)).fetchall():
                slug, n = base, 2
                while slug in taken:
                    slug, n = f"{base}-{n}", n + 1
                taken.add(slug)
                new = f"{folder}{slug}/"
                if new != url:
                    updates.append((new, key))
                # before this build: a re-read story's old row, else the row itself ("" for a new story)
                old = self.old.get(key)
                if (old.url if old is not None else url) != new:
                    changed.add(key)
        self.db.executemany("UPDATE stories SET url=? WHERE key=?", updates)
        return changed

    def _rows_of(self, sql: str, values: Iterable) -> list:
        return rows_of(self.db, sql, values)

    def _check_archive_collisions(self) -> None:
        """A story whose slug is a number can take the URL of a month's page (in a year-only
        folder: 2022/04/) or a day's (2022/04/12/): an error naming both."""
        folders = {o.folder for o in self.old.values()}
        dates = set()
        for path in self.new_pages | set(self.old_pages):
            row = self.db.execute("SELECT year, month, day FROM pages WHERE path=?", (path,)).fetchone()
            if row:
                dates.add(row)
                folders.add(date_folder(PageDate(row[0], row[1], row[2])))
                folders.add(f"{row[0]:04d}/")
        for folder in sorted(folders):
            for key, url, page in self.db.execute("SELECT key, url, page FROM stories WHERE folder=? AND url GLOB ?", (folder, f"{folder}[0-9]*")):
                slug = url[len(folder):-1]
                if not slug.isdigit() or len(slug) != 2:
                    continue
                parts = [int(p) for p in folder.strip("/").split("/")] + [int(slug)]
                if len(parts) == 2:
                    hit = self.db.execute("SELECT path FROM pages WHERE year=? AND month=? ORDER BY ord LIMIT 1", parts).fetchone()
                    what = f"{parts[0]}年{parts[1]}月"
                else:
                    hit = self.db.execute("SELECT path FROM pages WHERE year=? AND month=? AND day=? ORDER BY ord LIMIT 1", parts).fetchone()
                    what = f"{parts[0]}年{parts[1]}月{parts[2]}日"
                if hit:
                    title = self.db.execute("SELECT title FROM stories WHERE key=?", (key,)).fetchone()[0]
                    raise SiteError(self.display(hit[0]), f"the archive page of {what} would be published at /{url}, which is "
                                                          f"already story '{title}' of {self.display(page)}; change its title or the page's date")

    # -- keywords ------------------------------------------------------------------
    def _keywords(self, n_before: int, n_after: int) -> tuple[set, set]:
        """Document frequencies, then the keywords of every story they can have changed. Returns
        (stories whose keywords changed, stories holding a keyword whose tag page appeared,
        went or moved)."""
        db = self.db
        self._apply_df()
        moved_terms = sorted(self.moved_terms)
        db.execute("DELETE FROM kwdf WHERE n <= 0")
        everyone = keywords_stage.band(n_before) != keywords_stage.band(n_after) or self.dirty.everything
        if everyone or len(self.new_keys) > BULK_SHARE * max(1, n_after):
            todo = None  # every story
        else:
            todo = set(self.new_keys)
            todo.update(r[0] for r in self._rows_of("SELECT key FROM kwcand WHERE term IN ({})", moved_terms))
        changed: set = set()
        updates = []
        # a batch of stories at a time (each row holds the ~280 terms its story uses: all of
        # them at once were the largest part of a cold build's memory)
        if todo is None:
            cursor = db.execute("SELECT key, keywords, kwfrom, kw FROM stories")
            batches = iter(lambda: cursor.fetchmany(KEYWORD_BATCH), [])
        else:
            found = self._rows_of("SELECT key, keywords, kwfrom, kw FROM stories WHERE key IN ({})", todo)
            batches = (found[i : i + KEYWORD_BATCH] for i in range(0, len(found), KEYWORD_BATCH))
        # the keywords with tag pages are counted as they change: a story's keywords before this
        # build (its old row; the row itself for a story only chosen again) out, the new ones in
        count: Counter = Counter()
        for rows in batches:
            self._choose_keywords(rows, n_after, updates, changed, count)
        db.executemany("UPDATE stories SET keywords=? WHERE key=?", updates)
        for key in set(self.old) - set(self.new_keys):  # stories gone
            count.subtract(self.old[key].keywords)
        bases = set()
        words_changed = set()
        for word, n in count.items():
            if not n:
                continue
            row = db.execute("SELECT n, base FROM keywords WHERE word=?", (word,)).fetchone()
            before = row[0] if row else 0
            after = before + n
            base = row[1] if row else self.slugs(word, 12)
            if after <= 0:
                db.execute("DELETE FROM keywords WHERE word=?", (word,))
            elif row:
                db.execute("UPDATE keywords SET n=? WHERE word=?", (after, word))
            else:
                db.execute("INSERT INTO keywords VALUES (?, ?, NULL, ?)", (word, base, after))
            if (before >= 2) != (after >= 2):
                bases.add(base)
            if before != after:
                self.dirty.tags_index = True
                words_changed.add(word)
        self.slugs.save()
        moved_words = self._keyword_slugs(bases)
        link_changed = set(r[0] for r in self._rows_of("SELECT key FROM tags WHERE tag IN ({})", [f"k:{w}" for w in moved_words]))
        for word in words_changed | moved_words:
            self.dirty.lists.setdefault(f"k:{word}", set()).add(None)
        return changed, link_changed

    def _keyword_slugs(self, bases: set) -> set:
        """Tag-page slugs of the keywords of `bases` (a keyword's pinyin): in word order, base,
        base-2, …; where base-k is itself the base of other keywords with tag pages, base-xk.
        Returns the words whose tag page URL changed (appeared, went or moved)."""
        moved = set()
        reserved = {"page"}
        for base in list(bases):  # a base that appeared or went can move the slugs of the base it extends
            m = re.match(r"^(.+)-(?:x?)(\d+)$", base)
            if m:
                bases.add(m.group(1))
        for base in sorted(bases):
            rows = self.db.execute("SELECT word, slug, n FROM keywords WHERE base=? ORDER BY word", (base,)).fetchall()
            k = 1
            for word, slug, n in rows:
                if n < 2:
                    if slug is not None:
                        self.db.execute("UPDATE keywords SET slug=NULL WHERE word=?", (word,))
                        moved.add(word)
                    continue
                new = base if k == 1 else f"{base}-{k}"
                if new in reserved or (k > 1 and self.db.execute("SELECT 1 FROM keywords WHERE base=? AND n>=2", (new,)).fetchone()):
                    new = f"{base}-x{k}"
                k += 1
                if new != slug:
                    self.db.execute("UPDATE keywords SET slug=? WHERE word=?", (new, word))
                    moved.add(word)
        return moved

    # -- tags and related stories --------------------------------------------------
    def _tags(self, kw_changed: set) -> None:
        keys = (self.new_keys | kw_changed)
        rows = self._rows_of("SELECT key, ord, themes, keywords, daykey FROM stories WHERE key IN ({})", keys)
        self._rows_of("DELETE FROM tags WHERE key IN ({})", [r[0] for r in rows if r[0] in kw_changed and r[0] not in self.new_keys])
        inserts = []
        for key, ordv, themes, kws, dk in rows:
            for tag in _tags(json.loads(themes), json.loads(kws)):
                inserts.append((tag, ordv, key, date_of_key(dk).year))
        self.db.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?, ?, ?)", inserts)

    def _related(self, changed: set) -> set:
        """Related stories of every story a change can reach (see the module docstring): `changed`
        holds the stories whose tags or URL changed besides the pages put and removed. Returns the
        keys whose related stories changed."""
        db = self.db
        n = self.store.count("stories")
        moved = set(self.new_keys) | changed | (set(self.old) - set(self.new_keys))
        if self.dirty.everything or len(moved) > BULK_SHARE * max(1, n):
            return self._related_all()
        region = set(self.new_keys) | changed
        for key in moved:
            spots = []
            old = self.old.get(key)
            if old is not None:
                spots += [(tag, old.ord) for tag in _tags(old.themes, old.keywords)]
            row = db.execute("SELECT ord, themes, keywords FROM stories WHERE key=?", (key,)).fetchone()
            if row is not None:
                spots += [(tag, row[0]) for tag in _tags(json.loads(row[1]), json.loads(row[2]))]
            for tag, ordv in spots:
                region.update(r[0] for r in db.execute("SELECT key FROM tags WHERE tag=? AND ord<=? ORDER BY ord DESC LIMIT ?",
                                                       (tag, ordv, RELATED_WINDOW + 1)))
                region.update(r[0] for r in db.execute("SELECT key FROM tags WHERE tag=? AND ord>? ORDER BY ord LIMIT ?",
                                                       (tag, ordv, RELATED_WINDOW + 1)))
        info = _StoryInfo(db)
        changed = set()
        for key in sorted(region):
            row = info.get(key)
            if row is None:
                continue
            candidates = set()
            for tag in row.tags:
                candidates.update(r[0] for r in db.execute("SELECT key FROM tags WHERE tag=? AND ord<? ORDER BY ord DESC LIMIT ?",
                                                           (tag, row.ord, RELATED_WINDOW)))
                candidates.update(r[0] for r in db.execute("SELECT key FROM tags WHERE tag=? AND ord>? ORDER BY ord LIMIT ?",
                                                           (tag, row.ord, RELATED_WINDOW)))
            chosen = _score_related(row, [info.get(k) for k in candidates])
            if self._set_related(key, chosen):
                changed.add(key)
        return changed

    def _related_all(self) -> set:
        db = self.db
        stories = []
        groups: dict = {}
        places = []
        for key, ordv, page, url, months, themes, kws in db.execute("SELECT key, ord, page, url, months, themes, keywords FROM stories ORDER BY ord"):
            info = _Info(key, ordv, page, url, months, set(json.loads(themes)), set(json.loads(kws)))
            mine = []
            for tag in info.tags:
                group = groups.setdefault(tag, [])
                mine.append((group, len(group)))
                group.append(len(stories))
            stories.append(info)
            places.append(mine)
        changed = set()
        for n, info in enumerate(stories):
            candidates = set()
            for group, i in places[n]:
                candidates.update(group[max(0, i - RELATED_WINDOW) : i + RELATED_WINDOW + 1])
            candidates.discard(n)
            chosen = _score_related(info, [stories[m] for m in candidates])
            if self._set_related(info.key, chosen):
                changed.add(info.key)
        return changed

    def _set_related(self, key: str, chosen: list) -> bool:
        """Keep a story's related stories; True if they differ from the last build's."""
        text = json.dumps(chosen, ensure_ascii=False)
        stored = self.db.execute("SELECT related FROM stories WHERE key=?", (key,)).fetchone()[0]
        if stored != text:
            self.db.execute("UPDATE stories SET related=? WHERE key=?", (text, key))
            self.db.execute("DELETE FROM related WHERE src=?", (key,))
            self.db.executemany("INSERT OR IGNORE INTO related VALUES (?, ?)", [(k, key) for k in chosen])
        old = self.old.get(key)
        return (old.related if old is not None else json.loads(stored)) != chosen

    # -- cards, neighbours -------------------------------------------------------
    def _cards(self, url_changed: set) -> set:
        """Complete the cards (a story in a list: its URL and its page's) of the stories whose
        URL, page or text changed; returns those whose card changed."""
        keys = set(self.new_keys) | url_changed
        changed = set()
        updates = []
        rows = self._rows_of("SELECT s.key, s.url, s.card, p.url, p.label, p.title FROM stories s JOIN pages p ON p.path = s.page "
                             "WHERE s.key IN ({})", keys)
        for key, url, card, page_url, label, title in rows:
            data = json.loads(card)
            data.update(url=url, page_url=page_url, page_label=label, page_title=title)
            text = json.dumps(data, ensure_ascii=False, sort_keys=True)
            if text != card:
                updates.append((text, key))
            old = self.old.get(key)
            if old is None or old.card != text:
                changed.add(key)
        self.db.executemany("UPDATE stories SET card=? WHERE key=?", updates)
        return changed

    def _page_cards(self) -> set:
        changed = set()
        for path in self.new_pages:
            old = self.old_pages.get(path)
            row = self.db.execute("SELECT card, ord FROM pages WHERE path=?", (path,)).fetchone()
            if old is None or old[3] != row[0] or old[0] != row[1]:
                changed.add(path)
        return changed

    def _neighbours(self, key: str) -> set:
        """The stories before and after `key` in reading order, where it is and where it was."""
        found = set()
        places = []
        old = self.old.get(key)
        if old is not None:
            places.append(old.ord)
        now = self._ord(key)
        if now is not None:
            places.append(now)
        for ordv in places:
            found.update(r[0] for r in self.db.execute("SELECT key FROM stories WHERE ord<? ORDER BY ord DESC LIMIT 1", (ordv,)))
            found.update(r[0] for r in self.db.execute("SELECT key FROM stories WHERE ord>? ORDER BY ord LIMIT 1", (ordv,)))
        return found

    def _page_neighbours(self, path: str) -> set:
        found = set()
        places = []
        if path in self.old_pages:
            places.append((self.old_pages[path][0], self.old_pages[path][2]))
        row = self.db.execute("SELECT ord, daykey FROM pages WHERE path=?", (path,)).fetchone()
        if row:
            places.append(row)
        for ordv, dk in places:
            found.update(r[0] for r in self.db.execute("SELECT path FROM pages WHERE ord<? ORDER BY ord DESC LIMIT 1", (ordv,)))
            found.update(r[0] for r in self.db.execute("SELECT path FROM pages WHERE ord>? ORDER BY ord LIMIT 1", (ordv,)))
            found.update(r[0] for r in self.db.execute("SELECT path FROM pages WHERE daykey=?", (dk,)))
        return found

    def _related_to(self, keys: set) -> set:
        return {r[0] for r in self._rows_of("SELECT src FROM related WHERE dst IN ({})", keys)}

    # -- search numbers ------------------------------------------------------------
    def _refs(self) -> None:
        """Search numbers: ref = day key × slots + the story's place in its day, counted from the
        day's last story (so ascending numbers run oldest day first and descending ones read a
        day's pages in order). Only the days a change touched are numbered again, unless the
        slots a day needs (a power of two) changed."""
        db = self.db
        most = db.execute("SELECT max(n) FROM counts WHERE key GLOB 'day:*'").fetchone()[0] or 0
        slots = MIN_SLOTS
        while slots < most:
            slots *= 2
        before = self.store.get("search_slots")
        self.store.set("search_slots", slots)
        if before != slots or self.dirty.everything:
            days = [r[0] for r in db.execute("SELECT DISTINCT daykey FROM stories")]
            self.dirty.search_all = True
        else:
            days = {o.daykey for o in self.old.values()}
            days.update(r[0] for r in self._rows_of("SELECT DISTINCT daykey FROM stories WHERE key IN ({})", self.new_keys))
        updates = []
        for dk in sorted(days):
            rows = db.execute("SELECT key, ref FROM stories WHERE daykey=? ORDER BY ord", (dk,)).fetchall()
            for i, (key, ref) in enumerate(rows):
                new = dk * slots + (len(rows) - 1 - i)
                if ref != new:
                    updates.append((new, key))
                old = self.old.get(key)
                was = old.ref if old is not None else ref
                if was is not None and was != new:
                    self.dirty.search.add(key)
        db.executemany("UPDATE stories SET ref=? WHERE key=?", updates)


@dataclass
class _Info:
    key: str
    ord: str
    page: str
    url: str
    months: int
    themes: set
    keywords: set

    @property
    def tags(self) -> list:
        return [f"t:{t}" for t in sorted(self.themes)] + [f"k:{w}" for w in sorted(self.keywords)]


class _StoryInfo:
    def __init__(self, db):
        self.db = db
        self.memo: dict = {}

    def get(self, key: str) -> Optional[_Info]:
        if key not in self.memo:
            row = self.db.execute("SELECT key, ord, page, url, months, themes, keywords FROM stories WHERE key=?", (key,)).fetchone()
            self.memo[key] = _Info(row[0], row[1], row[2], row[3], row[4], set(json.loads(row[5])), set(json.loads(row[6]))) if row else None
        return self.memo[key]


def _score_related(me: _Info, others: list) -> list:
    """Most shared themes (×2) and keywords, then nearest in time, then URL; never a story of the
    same page (those are listed beside it as 本版稿件)."""
    scored = []
    for other in others:
        if other is None or other.key == me.key or other.page == me.page:
            continue
        shared = 2 * len(me.themes & other.themes) + len(me.keywords & other.keywords)
        if shared:
            scored.append((-shared, abs(other.months - me.months), other.url, other.key))
    scored.sort()
    return [s[3] for s in scored[:RELATED_COUNT]]
