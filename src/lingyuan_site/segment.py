"""Chinese word segmentation shared by the themes and search stages: one jieba Tokenizer with the
site's user dictionary (content/dict.txt) for local names jieba does not know (凌源影调戏 is not
凌源/影/调戏). Building a tokenizer loads jieba's dictionary once per process (about a second)."""
from __future__ import annotations

import logging
import marshal
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Optional

import jieba

jieba.setLogLevel(logging.WARNING)


@lru_cache(maxsize=4)
def tokenizer(user_dict: Optional[str] = None) -> jieba.Tokenizer:
    tk = jieba.Tokenizer()
    _initialize(tk)
    if user_dict and Path(user_dict).is_file():
        tk.load_userdict(user_dict)
    return tk


def _initialize(tk: jieba.Tokenizer) -> None:
    """tk.initialize(), four times faster. jieba keeps its prefix dictionary in a marshal cache
    (tempdir/jieba.cache, written on first use) and reads it with marshal.load on an open file,
    which reads a few bytes at a time (1.5 s); marshal.loads on the file's bytes takes 0.35 s.
    Every build process (the main one and each worker) pays this once."""
    cache = Path(tk.tmp_dir or tempfile.gettempdir()) / "jieba.cache"
    if tk.dictionary == jieba.DEFAULT_DICT and not tk.cache_file and cache.is_file():
        try:
            tk.FREQ, tk.total = marshal.loads(cache.read_bytes())
            tk.initialized = True
            return
        except Exception:  # a damaged cache: let jieba rebuild it
            pass
    tk.initialize()


@lru_cache(maxsize=1)
def general_idf() -> tuple[dict, float]:
    """jieba's general-language IDF table (jieba.analyse's idf.txt) and its median, as
    jieba.analyse.TFIDF loads them, parsed in one split instead of line by line (1.3 s → 0.1 s)."""
    # the path jieba.analyse.tfidf.DEFAULT_IDF names; importing jieba.analyse itself loads
    # jieba.posseg's models, another second
    items = (Path(jieba.__file__).parent / "analyse" / "idf.txt").read_text(encoding="utf-8").split()
    freq = dict(zip(items[0::2], map(float, items[1::2])))
    return freq, sorted(freq.values())[len(freq) // 2]


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
