"""Tokens: the contract between the index and the browser (static/js/search.js mirrors
query_terms, query_tokens and fold; tests/test_search_ui.py compares them).

The browser has no jieba, yet every token it makes from a query must exist in the index for the
same text. So the index holds, for every run of Chinese characters, all its character bigrams
(which the browser can make too) and its last character (which starts no bigram, so a query
character next to a digit, as 把 in 把8项, still finds it), plus jieba's search-mode words of three
or more characters (for ranking whole words such as 凌源影调戏 higher); for every run of Latin
letters and digits, the run and its suffixes (so LNG is found by "LNG" and "NG"), a run cut at
MAX_LATIN characters (a 20,000-letter token would make 20,000 suffixes). A query term becomes its
bigrams, all required (a story holding 种球 holds the bigram 种球; one holding 经济开发区 holds all
of 经济 济开 开发 发区), plus the whole term as an optional boosted word.

Folding. Text is NFKC-normalised (full-width ＬＮＧ → lng) and lower-cased on both sides; the
browser also maps Traditional characters to Simplified with a table generated from OpenCC's data,
limited to characters whose Simplified form occurs in the archive (index.fold_table).
"""
from __future__ import annotations

import re
import unicodedata
from array import array
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from .. import segment
from ..normalize import CJK

WHOLE_WORD_BOOST = 5
RUN_RE = re.compile(f"[{CJK}]+|[0-9a-z]+")
MAX_LATIN = 32  # a Latin or digit run is indexed up to this many characters
_CJK_RE = re.compile(f"[{CJK}]")
_WORD3_RE = re.compile(f"^[{CJK}]{{3,}}$")
QUOTES_RE = re.compile(r'"([^"]*)"|“([^”]*)”|「([^」]*)」|(\S+)')


def fold(text: str) -> str:
    """Width and case folding shared with the browser (NFKC, lower case)."""
    return unicodedata.normalize("NFKC", text).lower()


def _is_cjk(ch: str) -> bool:
    return _CJK_RE.match(ch) is not None


def index_tokens(text: str, seg) -> list[str]:
    """The tokens indexed for `text` (see the module docstring). `seg` is a segment.Segmenter
    (or a jieba tokenizer); None leaves out jieba's words."""
    tokens: list[str] = []
    for match in RUN_RE.finditer(fold(text)):
        run = match.group()
        if _is_cjk(run[0]):
            if len(run) == 1:
                tokens.append(run)
                continue
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
            tokens.append(run[-1])  # the last character starts no bigram: index it alone
        else:
            run = run[:MAX_LATIN]
            tokens.append(run)
            tokens.extend(run[i:] for i in range(1, len(run) - 1))
    if seg is not None:
        tokens.extend(fold(w) for w in segment.as_segmenter(seg).search_words(text) if _WORD3_RE.match(w))
    return tokens


@dataclass
class QueryToken:
    token: str
    required: bool = True
    wildcard: bool = False
    boost: float = 1


def query_tokens(term: str) -> list[QueryToken]:
    """What the browser makes of one query term (search.js mirrors this; the tests compare them)."""
    out: list[QueryToken] = []
    for match in RUN_RE.finditer(fold(term)):
        run = match.group()
        if _is_cjk(run[0]):
            if len(run) == 1:
                out.append(QueryToken(run, wildcard=True))
            else:
                out.extend(QueryToken(run[i : i + 2]) for i in range(len(run) - 1))
                if len(run) >= 3:
                    out.append(QueryToken(run, required=False, boost=WHOLE_WORD_BOOST))
        else:
            out.append(QueryToken(run[:MAX_LATIN], wildcard=True))
    return out


def fold_query(query: str, table: str = "") -> str:
    """The browser's query folding: widths and case, then Traditional → Simplified."""
    pairs = dict(zip(table[0::2], table[1::2]))
    return "".join(pairs.get(ch, ch) for ch in fold(query))


def query_terms(query: str, table: str = "") -> list[str]:
    """What a query means (search.js parseQuery does the same): its folded terms, split at spaces,
    a phrase in quotes ("凌源 影调戏", “…”, 「…」) being one term whose spaces do not count. A result
    holds every term, as typed (after folding), somewhere in its text."""
    terms = []
    for m in QUOTES_RE.finditer(fold_query(query, table)):
        quoted = next((g for g in m.groups()[:3] if g is not None), None)
        term = "".join(quoted.split()) if quoted is not None else m.group(4)
        if term:
            terms.append(term)
    return terms


def holds_terms(text: str, terms: list[str]) -> bool:
    """Whether a story's text (doc_text) holds every term, folded, spaces ignored."""
    folded = "".join(fold(text).split())
    return all(t in folded for t in terms)


@lru_cache(maxsize=65536)
def word_tokens(word: str) -> tuple[str, ...]:
    """Index tokens of a text that is one word already (a keyword, a theme name): its characters'
    tokens, and the word itself when it is three or more Chinese characters. No jieba needed."""
    tokens = index_tokens(word, None)
    folded = fold(word)
    if _WORD3_RE.match(folded):
        tokens.append(folded)
    return tuple(tokens)


@dataclass
class TermCounts:
    """One field's index tokens, counted: the distinct terms in first-seen order joined by NUL
    (tokens never hold one), and how often each occurs. Compact to keep for thousands of stories."""

    terms: str
    counts: array

    @classmethod
    def of(cls, tokens: list[str]) -> "TermCounts":
        counted = Counter(tokens)
        return cls("\0".join(counted), array("I", counted.values()))

    def term_list(self) -> list[str]:
        return self.terms.split("\0") if self.terms else []

    @property
    def length(self) -> int:
        return sum(self.counts)


def text_fields(story, title: str) -> dict[str, str]:
    from ..themes import story_texts

    texts = story_texts(story)
    texts["title"] = title
    return texts


def story_terms(story, title: str, seg) -> dict[str, TermCounts]:
    """The per-story part of this stage: the counted tokens of the title, lead, body and captions.
    Build workers run it and the store keeps it (Story.index_terms)."""
    return {name: TermCounts.of(index_tokens(text, seg) if text else []) for name, text in text_fields(story, title).items()}


def prepare_page(page, seg) -> None:
    for i, story in enumerate(page.stories):
        story.index_terms = story_terms(story, page.story_title(i), seg)


def archive_fields(keywords: list, themes: list) -> dict[str, list[str]]:
    """The fields that depend on the whole archive (keywords, theme names, theme slugs): tokenised
    when the index is written. `themes` are (slug, name) pairs."""
    return {
        "keywords": [t for k in keywords for t in word_tokens(k)],
        "themes": [t for _, name in themes for t in word_tokens(name)],
        "theme": [slug for slug, _ in themes],
    }
