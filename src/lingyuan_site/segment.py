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
