"""Stage 4, themes: tag every story with themes from content/themes.yaml, and give it keywords
(keywords.py chooses them).

* Themes: a score per theme over the story's jieba words (search mode, so 招商引资 also matches
  招商): each matched keyword adds weight × (1 + ln count), where a word in the title counts three
  times and in the kicker, subtitle or 核心提示 twice. A theme is kept when its score reaches
  ``min_score`` and ``min_share`` of the story's best score, at most ``max_themes``. A page's front
  matter ``themes`` overrides the tagger (a list for every story, or a mapping from story title to
  a list).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import keywords as keywords_stage
from . import segment
from .errors import SiteError
from .model import SLUG_RE, Page, Story, ThemeScore
from .sitefolder import content_file
from .yamlfile import load_yaml

THEME_KEYS = {"slug", "name", "description", "keywords"}
SETTING_KEYS = {"min_score", "min_share", "max_themes", "best_min_score"}
FIELD_WEIGHTS = {"title": 3.0, "lead": 2.0, "body": 1.0, "captions": 1.0}


@dataclass
class Theme:
    slug: str
    name: str
    description: str
    keywords: dict

    @property
    def url(self) -> str:
        return f"themes/{self.slug}/"


@dataclass
class Taxonomy:
    themes: list
    min_score: float = 4.0
    min_share: float = 0.35
    max_themes: int = 4
    best_min_score: Optional[float] = None  # the best theme is kept from this score on (None: min_score)

    def get(self, slug: str) -> Optional[Theme]:
        return next((t for t in self.themes if t.slug == slug), None)


def load_taxonomy(content: Path) -> Taxonomy:
    """The site's content/themes.yaml, else the package's default themes."""
    path = content_file(content, "themes.yaml")
    if path is None:
        return Taxonomy([])
    return taxonomy_from_dict(load_yaml(path), str(path))


def taxonomy_from_dict(data, display: str = "themes.yaml") -> Taxonomy:
    if not isinstance(data, dict) or not isinstance(data.get("themes"), list):
        raise SiteError(display, "must have a 'themes:' list (and optionally 'settings:')")
    unknown = set(data) - {"themes", "settings"}
    if unknown:
        raise SiteError(display, f"unknown top-level key '{sorted(unknown)[0]}' (known: settings, themes)")
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        raise SiteError(display, "'settings' must be a mapping")
    for key, value in settings.items():
        if key not in SETTING_KEYS:
            raise SiteError(display, f"unknown settings key '{key}' (known: {', '.join(sorted(SETTING_KEYS))})")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise SiteError(display, f"settings '{key}' must be a positive number")
    themes, seen = [], set()
    for n, raw in enumerate(data["themes"], 1):
        where = f"theme {n}"
        if not isinstance(raw, dict):
            raise SiteError(display, f"{where} must be a mapping with slug, name, description, keywords")
        if isinstance(raw.get("slug"), str):
            where = f"theme '{raw['slug']}'"
        for key in raw:
            if key not in THEME_KEYS:
                raise SiteError(display, f"{where}: unknown key '{key}' (known: {', '.join(sorted(THEME_KEYS))})")
        slug = raw.get("slug")
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            raise SiteError(display, f"{where}: 'slug' must be lowercase ASCII words joined by hyphens")
        if slug in seen:
            raise SiteError(display, f"{where}: duplicate slug '{slug}'")
        seen.add(slug)
        for key in ("name", "description"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise SiteError(display, f"{where}: '{key}' must be non-empty text")
        keywords = raw.get("keywords")
        if isinstance(keywords, list):
            keywords = {str(k): 1 for k in keywords}
        if not isinstance(keywords, dict) or not keywords:
            raise SiteError(display, f"{where}: 'keywords' must be a non-empty list or word: weight mapping")
        for word, weight in keywords.items():
            if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight <= 0:
                raise SiteError(display, f"{where}: keyword '{word}' needs a positive weight")
        themes.append(Theme(slug, raw["name"].strip(), raw["description"].strip(), {str(k): float(v) for k, v in keywords.items()}))
    best = settings.get("best_min_score")
    return Taxonomy(themes, float(settings.get("min_score", 4.0)), float(settings.get("min_share", 0.35)), int(settings.get("max_themes", 4)),
                    float(best) if best is not None else None)


def teach_keywords(taxonomy: Taxonomy, tk) -> None:
    """A theme keyword is a word: jieba must cut it out whole (乡村振兴 is not in its dictionary)."""
    for theme in taxonomy.themes:
        for word in theme.keywords:
            if not tk.frequency(word):
                tk.add_word(word)


def story_texts(story: Story) -> dict[str, str]:
    """A story's text by field, the same strings for the themes and search stages (so each is
    segmented once): title, lead (kicker, subtitle, byline, 核心提示, slogans), body (headings,
    paragraphs, data box) and captions."""
    lead = [story.kicker, story.subtitle, story.byline, *story.summary, *story.slogans]
    body = [s.heading for s in story.sections] + story.paragraphs + [story.data_title] + [f"{d.label} {d.value or ''}" for d in story.data]
    captions = [f"{c.text} {c.credit or ''}" for c in story.captions]
    return {
        "title": story.title or "",
        "lead": "\n".join(filter(None, lead)),
        "body": "\n".join(filter(None, body)),
        "captions": "\n".join(captions),
    }


def score_themes(story: Story, taxonomy: Taxonomy, seg: "segment.Segmenter") -> list[ThemeScore]:
    counts: Counter = Counter()
    for name, text in story_texts(story).items():
        for word in seg.search_words(text):
            counts[word] += FIELD_WEIGHTS[name]
    scores = []
    for theme in taxonomy.themes:
        matched = [(w, weight) for w, weight in theme.keywords.items() if counts.get(w)]
        score = sum(weight * (1 + math.log(counts[w])) if counts[w] >= 1 else weight * counts[w] for w, weight in matched)
        matched.sort(key=lambda m: (-m[1] * counts[m[0]], m[0]))
        scores.append(ThemeScore(theme.slug, round(score, 2), [w for w, _ in matched]))
    scores.sort(key=lambda s: (-s.score, s.theme))
    return scores


def choose(scores: list[ThemeScore], taxonomy: Taxonomy) -> list[str]:
    if not scores or scores[0].score <= 0:
        return []
    best = scores[0].score
    chosen = [s.theme for s in scores if s.score >= taxonomy.min_score and s.score >= taxonomy.min_share * best]
    floor = taxonomy.best_min_score
    if not chosen and floor is not None and best >= floor and (len(scores) < 2 or scores[1].score < best):
        chosen = [scores[0].theme]  # a short brief: its clear best theme
    return chosen[: taxonomy.max_themes]


def check_front_matter(page: Page, taxonomy: Taxonomy) -> None:
    spec = page.themes
    lists = spec.values() if isinstance(spec, dict) else [spec]
    known = {t.slug for t in taxonomy.themes}
    for slugs in lists:
        for slug in slugs or []:
            if slug not in known:
                raise SiteError(page.path, f"front matter theme '{slug}' is not in themes.yaml (known: {', '.join(sorted(known))})")
    if isinstance(spec, dict):
        titles = {s.title for s in page.stories}
        for title in spec:
            if title not in titles:
                raise SiteError(page.path, f"front matter themes name a story '{title}' that is not on this page")


def prepare_story(story: Story, taxonomy: Taxonomy, seg) -> None:
    """The per-story part of this stage (theme scores, keyword candidates): build workers run it
    on both cores, and the page cache keeps it."""
    story.theme_scores = score_themes(story, taxonomy, seg)
    story.keyword_counts = keywords_stage.candidates(story, seg)


def choose_themes(page: Page, taxonomy: Taxonomy) -> None:
    """Each story's themes: the page's front matter `themes`, else the tagger's choice."""
    for story in page.stories:
        override = page.themes.get(story.title) if isinstance(page.themes, dict) else (page.themes or None)
        if override:
            story.themes, story.themes_from = list(override), "front matter"
        else:
            story.themes, story.themes_from = choose(story.theme_scores, taxonomy), "tagger"


def tag_pages(pages: list[Page], taxonomy: Taxonomy, seg) -> None:
    for page in pages:
        check_front_matter(page, taxonomy)
        for story in page.stories:
            if story.keyword_counts is None:
                prepare_story(story, taxonomy, seg)
        choose_themes(page, taxonomy)


def taught_tokenizer(content: Path, taxonomy: Taxonomy):
    """The build's jieba tokenizer: jieba's dictionary, content/dict.txt, and the theme keywords."""
    tk = segment.tokenizer(segment.user_dict_path(content))
    teach_keywords(taxonomy, tk)
    return tk


def apply(pages: list[Page], content: Path, taxonomy: Optional[Taxonomy] = None, seg=None,
          keyword_config: Optional[keywords_stage.KeywordConfig] = None) -> Taxonomy:
    """The themes stage: load the taxonomy, tag every story, choose keywords."""
    taxonomy = taxonomy if taxonomy is not None else load_taxonomy(content)
    if seg is None:
        seg = segment.Segmenter(lambda: taught_tokenizer(content, taxonomy))
    tag_pages(pages, taxonomy, seg)
    keyword_front_matter(pages)
    config = keyword_config if keyword_config is not None else keywords_stage.load_config(content)
    keywords_stage.assign([s for p in pages for s in p.stories], seg, config)
    return taxonomy


def keyword_front_matter(pages: list[Page]) -> None:
    """Front matter `keywords` sets a page's (a list) or a story's (a mapping from its title) keywords."""
    for page in pages:
        spec = page.keywords
        if isinstance(spec, dict):
            titles = {s.title for s in page.stories}
            for title in spec:
                if title not in titles:
                    raise SiteError(page.path, f"front matter keywords name a story '{title}' that is not on this page")
        for story in page.stories:
            chosen = spec.get(story.title) if isinstance(spec, dict) else (spec or None)
            if chosen:
                story.keywords, story.keywords_from = list(chosen), "front matter"
            else:
                story.keywords_from = "tagger"
