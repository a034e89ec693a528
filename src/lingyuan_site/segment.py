"""Chinese word segmentation shared by the themes and search stages: one jieba Tokenizer with the
site's user dictionary (content/dict.txt) for local names jieba does not know (凌源影调戏 is not
凌源/影/调戏). Building a tokenizer loads jieba's dictionary once per process (about a second)."""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Optional

import jieba

jieba.setLogLevel(logging.WARNING)


@lru_cache(maxsize=4)
def tokenizer(user_dict: Optional[str] = None) -> jieba.Tokenizer:
    tk = jieba.Tokenizer()
    tk.initialize()
    if user_dict and Path(user_dict).is_file():
        tk.load_userdict(user_dict)
    return tk


def user_dict_path(content: Path) -> Optional[str]:
    path = Path(content) / "dict.txt"
    return str(path) if path.is_file() else None


def words(text: str, tk: jieba.Tokenizer) -> list[str]:
    """Precise-mode words (for keywords)."""
    return [w for w in tk.lcut(text) if w.strip()]


def search_words(text: str, tk: jieba.Tokenizer) -> list[str]:
    """Search-mode words: compounds and their parts (招商引资 → 招商, 引资, 招商引资)."""
    return [w for w in tk.lcut_for_search(text) if w.strip()]


class Segmenter:
    """One jieba pass per text, shared by the stages of a build: the precise cut, and search-mode
    words derived from it exactly as jieba's cut_for_search does (a word's 2- and 3-character
    pieces that are dictionary words, then the word). Results are memoised by text, and can be
    filled in advance by worker processes (see build)."""

    def __init__(self, tk_factory):
        self._tk_factory = tk_factory
        self._tk = None
        self.memo: dict[str, tuple[list[str], list[str]]] = {}

    @property
    def tk(self):
        if self._tk is None:
            self._tk = self._tk_factory()
        return self._tk

    def analyze(self, text: str) -> tuple[list[str], list[str]]:
        found = self.memo.get(text)
        if found is None:
            found = analyze(text, self.tk)
            self.memo[text] = found
        return found

    def words(self, text: str) -> list[str]:
        return self.analyze(text)[0]

    def search_words(self, text: str) -> list[str]:
        return self.analyze(text)[1]


def as_segmenter(seg) -> "Segmenter":
    """A Segmenter as is, or a bare jieba tokenizer wrapped in one."""
    return seg if isinstance(seg, Segmenter) else Segmenter(lambda: seg)


def analyze(text: str, tk) -> tuple[list[str], list[str]]:
    freq = tk.FREQ
    words = [w for w in tk.lcut(text) if w.strip()]
    search = []
    for w in words:
        n = len(w)
        if n > 2:
            search.extend(g for g in (w[i : i + 2] for i in range(n - 1)) if freq.get(g))
        if n > 3:
            search.extend(g for g in (w[i : i + 3] for i in range(n - 2)) if freq.get(g))
        search.append(w)
    return words, search
