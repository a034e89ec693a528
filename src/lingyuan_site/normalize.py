"""Stage 2, normalize: the text rules, applied without losing a character.

* ``normalize_line``: Traditional → Simplified (opencc-python-reimplemented, t2s) and half-width
  punctuation between Chinese characters → full-width. Both keep the line's length, so every
  position in a normalised line is a position in the source line.
* ``ends_sentence`` / ``starts_mid_sentence``: the tests the parser uses to rejoin lines broken at
  column or page breaks and to flag what it cannot place.
* ``find_layout_duplicate``: a verbatim repeated multi-sentence span (a layout error that printed
  text twice), trimmed to clause boundaries.

The parser decides *where* these apply (it knows headings, captions and stories); this module only
holds the rules, so they are tested on plain strings.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Optional

import opencc

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{CJK}]")
_FULLWIDTH_PUNCT = "，。、；：？！“”‘’（）《》〈〉【】「」『』—…·"

# Sentence-final marks; a closing quote or bracket after one of them also ends the sentence.
TERMINAL = "。！？…!?"
CLOSERS = "”’」』）)》"
# A paragraph ending in one of these introduces what follows: not a column break, not an error.
SOFT_END = "：:"
CLAUSE_PUNCT = "，、；：,;:"
ALL_PUNCT = TERMINAL + CLOSERS + CLAUSE_PUNCT + "“‘「『（(《—·."
# Characters that cannot begin a sentence: a paragraph starting with one was cut mid-sentence.
NO_START = "的了着过们地得之所，。、；：！？”’）》」』,.;:!?)"

_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def t2s_table() -> dict[str, str]:
    """OpenCC's one-character Traditional → Simplified table (first choice of each entry)."""
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        trad, _, simp = raw.partition("\t")
        simp = simp.split(" ")[0]
        if len(trad) == 1 and len(simp) == 1 and trad != simp:
            table[trad] = simp
    return table


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """Every character OpenCC's t2s could change: the character table's keys, and the characters
    a phrase entry changes (the phrase's other characters are ordinary Simplified ones)."""
    chars = set(t2s_table())
    path = Path(opencc.__file__).parent / "dictionary" / "TSPhrases.txt"
    for raw in path.read_text(encoding="utf-8").splitlines():
        trad, _, simp = raw.partition("\t")
        simp = simp.split(" ")[0]
        if len(trad) != len(simp):
            chars.update(trad)
        else:
            chars.update(t for t, s in zip(trad, simp) if t != s)
    return frozenset(chars)


def may_need_t2s(text: str) -> bool:
    """Cheap test before calling OpenCC: does the text hold any character its tables mention?"""
    trad = _traditional_chars()
    return any(ch in trad for ch in text)


def traditional_chars_in(text: str) -> list[str]:
    """The characters of `text` that OpenCC would turn into a different Simplified character."""
    table = t2s_table()
    return sorted({ch for ch in text if ch in table})


def to_simplified(text: str) -> str:
    """t2s for one line, only when it holds a Traditional character (most pages are Simplified).
    Should OpenCC's phrase table change the length, fall back to its character table, so that
    positions are kept."""
    if not may_need_t2s(text):
        return text
    converted = _converter().convert(text)
    if len(converted) != len(text):
        table = t2s_table()
        converted = "".join(table.get(ch, ch) for ch in text)
    return converted


def _is_cjk_side(ch: str) -> bool:
    return bool(ch) and (bool(_CJK_RE.match(ch)) or ch in _FULLWIDTH_PUNCT)


_HALF_RE = re.compile(r'[,;:?!()"]')


def fix_punctuation(text: str) -> str:
    """Half-width , ; : ? ! ( ) " next to Chinese become full-width; numbers and Latin stay
    (1.5万, 8890平台, 1+8+N, 5G, 12:30)."""
    if not _HALF_RE.search(text):
        return text
    chars = list(text)
    n = len(chars)
    for i, ch in enumerate(chars):
        if ch in _HALF_TO_FULL:
            before = chars[i - 1] if i else ""
            after = chars[i + 1] if i + 1 < n else ""
            if before.isascii() and before.isalnum() and after.isascii() and after.isalnum():
                continue  # 12:30, a,b
            if _is_cjk_side(before) or _is_cjk_side(after):
                chars[i] = _HALF_TO_FULL[ch]
    _pair_fix(chars, "(", ")", "（", "）")
    _quote_fix(chars)
    return "".join(chars)


def _pair_fix(chars: list[str], open_: str, close: str, full_open: str, full_close: str) -> None:
    stack = []
    for i, ch in enumerate(chars):
        if ch == open_:
            stack.append(i)
        elif ch == close and stack:
            j = stack.pop()
            inner = "".join(chars[j + 1 : i])
            before = chars[j - 1] if j else ""
            after = chars[i + 1] if i + 1 < len(chars) else ""
            if _CJK_RE.search(inner) or _is_cjk_side(before) or _is_cjk_side(after):
                chars[j], chars[i] = full_open, full_close


def _quote_fix(chars: list[str]) -> None:
    positions = [i for i, ch in enumerate(chars) if ch == '"']
    if len(positions) % 2:
        return  # unbalanced: leave them as typed
    for a, b in zip(positions[0::2], positions[1::2]):
        inner = "".join(chars[a + 1 : b])
        if _CJK_RE.search(inner):
            chars[a], chars[b] = "“", "”"


def normalize_line(text: str) -> str:
    out = fix_punctuation(to_simplified(text))
    assert len(out) == len(text)
    return out


def normalize_lines(lines: list[str]) -> list[str]:
    return [normalize_line(line) for line in lines]


def ends_sentence(text: str) -> bool:
    """True when the text ends a sentence (…。 or …。” ), so the next paragraph is not its
    continuation."""
    text = text.rstrip()
    while text and text[-1] in CLOSERS:
        if len(text) >= 2 and text[-2] in TERMINAL:
            return True
        text = text[:-1]
        if text and text[-1] in CLOSERS:
            continue
        # 叫响“京郊漫城 北国凌源” at the end of a line: a quote, not a sentence end
        return False
    return bool(text) and text[-1] in TERMINAL


def ends_softly(text: str) -> bool:
    text = text.rstrip()
    return bool(text) and text[-1] in SOFT_END


def starts_mid_sentence(text: str) -> bool:
    """A paragraph that cannot be the start of a sentence: it begins with a particle or closing
    punctuation, or it is a tiny fragment ending a sentence (众的烦心事。)."""
    text = text.strip()
    if not text:
        return False
    if text[0] in NO_START:
        return True
    return len(text) < 10 and text[-1] in TERMINAL and not any(p in text for p in "，、；：")


def find_layout_duplicate(text: str, min_len: int = 50) -> Optional[tuple[int, int, int]]:
    """The longest verbatim span printed twice in `text`, as (first_start, second_start, length),
    or None. The span is trimmed to start after a clause mark and end on a sentence end, must be
    at least `min_len` characters and must cross a sentence end: a repeated clause (the same list
    of companies in two sentences) is how a writer writes, not a layout error."""
    k = 16
    n = len(text)
    if n < 2 * min_len:
        return None
    first: dict[str, int] = {}
    best = None
    i = 0
    while i <= n - k:
        window = text[i : i + k]
        j = first.get(window)
        if j is None:
            first[window] = i
            i += 1
            continue
        if j + k > i:  # overlapping repeat (e.g. 哈哈哈哈): not a printed-twice span
            i += 1
            continue
        a, b, length = j, i, k
        while a > 0 and b - 1 > a + length - 1 and text[a - 1] == text[b - 1]:
            a, b, length = a - 1, b - 1, length + 1
        while b + length < n and a + length < b and text[a + length] == text[b + length]:
            length += 1
        span = _trim_span(text, a, b, length)
        if span and span[2] >= min_len and (best is None or span[2] > best[2]):
            best = span
        i = b + length
    return best


def _trim_span(text: str, a: int, b: int, length: int) -> Optional[tuple[int, int, int]]:
    start = 0
    # start on a clause start: right after punctuation, or at the very beginning
    if not (b == 0 or text[b - 1] in ALL_PUNCT or text[b - 1] == "\n"):
        while start < length and text[b + start] not in ALL_PUNCT:
            start += 1
    while start < length and (text[b + start] in CLAUSE_PUNCT + "\n" or text[b + start].isspace()):
        start += 1
    end = length
    while end > start and text[b + end - 1] not in TERMINAL:
        end -= 1
    if end <= start:
        return None
    span = text[b + start : b + end]
    if not any(ch in TERMINAL for ch in span[:-1].rstrip(TERMINAL)):
        return None
    return a + start, b + start, end - start
