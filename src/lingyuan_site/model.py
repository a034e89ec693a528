"""The content model every pipeline stage reads: plain dataclasses, no behaviour beyond views.

A page is parsed into stories; each text value is a plain ``str``. Alongside the model the parser
records a *ledger*: for every piece of source text, the place (a path into ``Page.to_dict()``) it
went to. The conservation test uses the ledger to prove that every character of a page ends up in
exactly one place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

FEATURE, BRIEF, PHOTO = "feature", "brief", "photo"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # a slug in front matter, themes.yaml or a URL


@dataclass(frozen=True)
class PageDate:
    """A date with the precision it was given in: year, year-month or year-month-day."""

    year: int
    month: Optional[int] = None
    day: Optional[int] = None

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    @property
    def iso(self) -> str:
        parts = [f"{self.year:04d}"]
        if self.month:
            parts.append(f"{self.month:02d}")
        if self.day:
            parts.append(f"{self.day:02d}")
        return "-".join(parts)

    @property
    def display(self) -> str:
        """As a Chinese reader writes it, to the precision given: 2022年4月."""
        text = f"{self.year}年"
        if self.month:
            text += f"{self.month}月"
        if self.day:
            text += f"{self.day}日"
        return text

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)


@dataclass
class Caption:
    text: str
    credit: Optional[str]
    line: int
    # Where the photo stood in print: before body paragraph number `paragraph` (0-based, counted
    # over the whole story body), so a renderer can place the figure near its text.
    paragraph: int = 0


@dataclass
class Photo:
    """A photo attached to a story by a line ``![说明](path/to/photo.jpg)``: the path as typed
    (relative to the page file), its caption and credit, and where it stood in print."""

    src: str
    caption: Optional[str]
    credit: Optional[str]
    line: int
    paragraph: int = 0  # before body paragraph number `paragraph`, as Caption.paragraph
    image: Any = field(default=None, repr=False)  # media.Image, filled by the media stage


@dataclass
class DataItem:
    label: str
    value: Optional[str]  # None for a group heading inside a data box (强化科技支撑)


@dataclass
class ThemeScore:
    """Why a story got (or did not get) a theme: its score and the keywords that matched."""

    theme: str
    score: float
    words: list[str] = field(default_factory=list)


@dataclass
class Section:
    heading: Optional[str]
    paragraphs: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class Story:
    kind: str
    title: Optional[str]
    line: int
    kicker: Optional[str] = None
    subtitle: Optional[str] = None
    summary: list[str] = field(default_factory=list)
    byline: Optional[str] = None
    column: Optional[str] = None
    sections: list[Section] = field(default_factory=list)
    captions: list[Caption] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)
    data_title: Optional[str] = None
    data: list[DataItem] = field(default_factory=list)
    slogans: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    theme_scores: list[ThemeScore] = field(default_factory=list)
    themes_from: str = "tagger"  # or "front matter"
    keywords_from: str = "tagger"  # or "front matter"
    keyword_counts: Any = field(default=None, repr=False)  # keywords.Candidates: terms and local weights
    index_terms: Any = field(default=None, repr=False)  # field -> search.TermCounts, for the search index

    @property
    def paragraphs(self) -> list[str]:
        return [p for s in self.sections for p in s.paragraphs]

    @property
    def body_text(self) -> str:
        return "\n".join(self.paragraphs)

    def to_dict(self, scores: bool = True) -> dict[str, Any]:
        """The story as plain data; `scores` keeps the tagger's theme scores."""
        data = {
            "kind": self.kind,
            "title": self.title,
            "kicker": self.kicker,
            "subtitle": self.subtitle,
            "summary": "\n".join(self.summary) if self.summary else None,
            "byline": self.byline,
            "column": self.column,
            "sections": [{"heading": s.heading, "paragraphs": list(s.paragraphs)} for s in self.sections],
            "captions": [{"text": c.text, "credit": c.credit} for c in self.captions],
            "photos": [{"src": p.src, "caption": p.caption, "credit": p.credit} for p in self.photos],
            "data_title": self.data_title,
            "data": [{"label": d.label, "value": d.value} for d in self.data],
            "slogans": list(self.slogans),
            "themes": list(self.themes),
            "keywords": list(self.keywords),
        }
        if scores:
            data["theme_scores"] = [{"theme": t.theme, "score": t.score, "words": list(t.words)} for t in self.theme_scores]
        data["line"] = self.line
        return data


@dataclass
class Column:
    """A column header such as 凌源时讯 SHIXUN: not a story; its name is kept on each story under it."""

    name: str
    label: Optional[str]
    line: int

    @property
    def is_photo(self) -> bool:
        return "图说" in self.name or (self.label or "").upper() == "TUSHUO"


@dataclass
class PageWarning:
    """Something the parser repaired or could not check, for the editor's report."""

    kind: str
    message: str
    line: Optional[int]


@dataclass(frozen=True)
class LedgerEntry:
    """Source text `line[start:end]` (1-based file line, normalised text) went to `path`."""

    line: int
    start: int
    end: int
    path: tuple


@dataclass
class Page:
    path: str  # the content file, as given
    date: PageDate
    title: Optional[str] = None
    source: Optional[str] = None  # the newspaper
    label: Optional[str] = None  # 版面 label (front matter `page`: 第2版)
    slug: Optional[str] = None
    draft: bool = False
    themes: Any = field(default_factory=list)  # front matter: list of slugs, or {story title: slugs}
    keywords: Any = field(default_factory=list)  # front matter: list of keywords, or {story title: keywords}
    scan: Optional[str] = None  # front matter: the page's scan (版面图), relative to the page file
    areas: dict = field(default_factory=dict)  # front matter: story title (or a unique prefix) → [[x, y, w, h], …]
    scan_image: Any = field(default=None, repr=False)  # media.Image of the scan, filled by the media stage
    story_areas: dict = field(default_factory=dict)  # story index → its rectangles on the scan, by the media stage
    meta_lines: dict = field(default_factory=dict, repr=False)  # front matter key → file line, for errors
    stories: list[Story] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)
    warnings: list[PageWarning] = field(default_factory=list)
    # Normalised source lines (index 0 is file line `first_line`) and where each piece went.
    lines: list[str] = field(default_factory=list, repr=False)
    first_line: int = 1
    ledger: list[LedgerEntry] = field(default_factory=list, repr=False)

    def story_title(self, index: int) -> str:
        """The title a story is listed and searched under: its own, or the page's with its place."""
        return self.stories[index].title or f"{self.display_title}（{index + 1}）"

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        for story in self.stories:
            if story.title:
                return story.title
        return self.path

    def line_text(self, line: int) -> str:
        return self.lines[line - self.first_line]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "source": self.source,
            "date": self.date.iso,
            "title": self.title,
            "page": self.label,
            "stories": [s.to_dict() for s in self.stories],
            "columns": [{"name": c.name, "label": c.label} for c in self.columns],
            "credits": list(self.credits),
            "warnings": [{"kind": w.kind, "message": w.message, "line": w.line} for w in self.warnings],
        }
