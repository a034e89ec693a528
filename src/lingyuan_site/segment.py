"""Chinese word segmentation shared by the themes and search stages: one jieba Tokenizer with the
site's user dictionary (content/dict.txt) for local names jieba does not know (凌源影调戏 is not
凌源/影/调戏).

jieba's tables are large (its prefix dictionary holds 498,000 entries, its IDF table 350,000)
and every build process used to load them whole: 0.6 s, most of a rebuild that segments one
page. Here each table is split by its words' first two characters into a store (PrefixStore,
written once per machine beside jieba's own cache) and a process loads only the parts the text
it cuts can reach; past 30,000 characters it loads the whole dictionary. Lookups stay plain dict
lookups, so segmenting is as fast as before; tests/test_segment.py checks the tables and the
cuts equal jieba's own."""
from __future__ import annotations

import hashlib
import logging
import marshal
import operator
import os
import re
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

if "pkg_resources" in sys.modules or "jieba" in sys.modules:
    import jieba
else:
    # jieba finds its data files with pkg_resources when it can, and importing pkg_resources costs
    # 0.15 s in every process; without it jieba opens the files beside its own module (the
    # fallback in jieba/_compat.py), which is where pkg_resources would find them too.
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes `import pkg_resources` fail
    try:
        import jieba
    finally:
        del sys.modules["pkg_resources"]

jieba.setLogLevel(logging.WARNING)

STORE_FORMAT = 4  # 4: a checksum over each file


class PrefixStore:
    """A word table split by each word's first two characters (one-character words by their one),
    each part marshalled on its own and grouped by first character, in one file: opening it costs
    a few thousand groups, and `fill(table, text)` unpacks only the groups and parts that words
    inside `text` can be in. A part is loaded before anything is written under its key and only
    once, so nothing is overwritten."""

    def __init__(self, groups: dict[str, bytes], extra):
        self._groups = groups  # first character → marshalled {first two characters → marshalled words}
        self._parts: dict[str, bytes] = {}  # parts of the unpacked groups not loaded yet
        self.extra = extra

    @classmethod
    def open(cls, name: str, sources: Iterable[Path], make: Callable[[], tuple[dict, object]]) -> "PrefixStore":
        """The store for `sources` (keyed by their size and mtime and jieba's version), from
        tempdir, or made with `make() -> (table, extra)` and saved there."""
        key = hashlib.sha256(repr((STORE_FORMAT, jieba.__version__, [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in sources])).encode()).hexdigest()[:16]
        path = Path(tempfile.gettempdir()) / f"lingyuan-{name}-{key}.marshal"
        try:
            data = path.read_bytes()
            body = data[20:]
            # a checksum over the bytes (format tag, blake2b): a damaged or edited store is made again
            if data[:4] == b"LYJ1" and hashlib.blake2b(body, digest_size=16).digest() == data[4:20]:
                extra, groups = marshal.loads(body)
                return cls(groups, extra)
        except (OSError, EOFError, ValueError, TypeError):  # not made yet, or damaged: make it again
            pass
        table, extra = make()
        parts: dict[str, dict[str, dict]] = {}
        for word, value in table.items():
            parts.setdefault(word[:1], {}).setdefault(word[:2], {})[word] = value
        groups = {ch: marshal.dumps({k: marshal.dumps(words) for k, words in group.items()}) for ch, group in parts.items()}
        try:
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            body = marshal.dumps((extra, groups))
            tmp.write_bytes(b"LYJ1" + hashlib.blake2b(body, digest_size=16).digest() + body)
            os.replace(tmp, path)
        except OSError:  # a read-only tempdir costs speed, not correctness
            pass
        return cls(groups, extra)

    def fill(self, table: dict, text: str) -> None:
        """Load every part a piece of `text` can be in: its characters and character pairs."""
        keys = set(text)
        keys.update(map(operator.add, text, text[1:]))
        self.load(table, keys)

    def load(self, table: dict, keys: set[str]) -> None:
        # membership tests, not set.intersection(dict), which walks the whole dict
        groups, parts = self._groups, self._parts
        for ch in {k[:1] for k in keys if k[:1] in groups}:
            parts.update(marshal.loads(groups.pop(ch)))
        for k in [k for k in keys if k in parts]:
            table.update(marshal.loads(parts.pop(k)))


class Tokenizer(jieba.Tokenizer):
    """jieba's Tokenizer with its prefix dictionary filled from a PrefixStore just before it cuts
    (or is taught) a text. Every lookup jieba makes while cutting a text is a piece of that text,
    so the cut is the one the whole dictionary gives. Filling costs about a tenth of cutting, so
    once a process has cut WHOLE_AFTER characters (a cold build's workers) it loads the whole
    dictionary, keeping the words it was taught."""

    WHOLE_AFTER = 30_000

    def __init__(self, store: PrefixStore):
        super().__init__()
        self._store: Optional[PrefixStore] = store
        self._filled = 0
        self.FREQ, self.total = {}, store.extra
        self.initialized = True

    def prefetch(self, text: str) -> None:
        if self._store is not None:
            self._filled += len(text)
            if self._filled > self.WHOLE_AFTER:
                whole = _jieba_dictionary()[0]
                whole.update(self.FREQ)  # what it was taught, and their prefixes
                self.FREQ.update(whole)  # in place: callers may hold the dict
                self._store = None
            else:
                self._store.fill(self.FREQ, text)

    def frequency(self, word: str) -> Optional[int]:
        """The dictionary frequency of `word` (0 or None when jieba does not know it as a word)."""
        self.prefetch(word)
        return self.FREQ.get(word)

    def cut(self, sentence, *args, **kwargs):
        self.prefetch(sentence)
        return super().cut(sentence, *args, **kwargs)

    def add_word(self, word, freq=None, tag=None):
        self.prefetch(word)
        super().add_word(word, freq, tag)


def _jieba_dictionary() -> tuple[dict, int]:
    tk = jieba.Tokenizer()
    _initialize(tk)
    return tk.FREQ, tk.total


@lru_cache(maxsize=4)
def tokenizer(user_dict: Optional[str] = None) -> Tokenizer:
    store = PrefixStore.open("jieba-dict", [Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME], _jieba_dictionary)
    tk = Tokenizer(store)
    if user_dict and Path(user_dict).is_file():
        tk.load_userdict(user_dict)
    return tk


def _initialize(tk: jieba.Tokenizer) -> None:
    """tk.initialize(), four times faster. jieba keeps its prefix dictionary in a marshal cache
    (tempdir/jieba.cache, written on first use) and reads it with marshal.load on an open file,
    which reads a few bytes at a time (1.5 s); marshal.loads on the file's bytes takes 0.35 s."""
    cache = Path(tk.tmp_dir or tempfile.gettempdir()) / "jieba.cache"
    if tk.dictionary == jieba.DEFAULT_DICT and not tk.cache_file and cache.is_file():
        try:
            tk.FREQ, tk.total = marshal.loads(cache.read_bytes())
            tk.initialized = True
            return
        except Exception:  # a damaged cache: let jieba rebuild it
            pass
    tk.initialize()


IDF_FILE = Path(jieba.__file__).parent / "analyse" / "idf.txt"  # what jieba.analyse.tfidf.DEFAULT_IDF names


def _jieba_idf() -> tuple[dict, float]:
    """jieba.analyse's IDF table and its median, as jieba.analyse.TFIDF loads them, parsed in one
    split instead of line by line (importing jieba.analyse itself loads jieba.posseg's models)."""
    items = IDF_FILE.read_text(encoding="utf-8").split()
    freq = dict(zip(items[0::2], map(float, items[1::2])))
    return freq, sorted(freq.values())[len(freq) // 2]


class GeneralIdf:
    """jieba's general-language IDF, loaded by the first two characters of the words asked about."""

    def __init__(self, store: PrefixStore):
        self._store = store
        self.table: dict[str, float] = {}
        self.median: float = store.extra

    def weights(self, words: Iterable[str]) -> dict[str, float]:
        words = list(words)
        self._store.load(self.table, {w[:2] for w in words})
        return {w: self.table.get(w, self.median) for w in words}


@lru_cache(maxsize=1)
def general_idf() -> GeneralIdf:
    return GeneralIdf(PrefixStore.open("jieba-idf", [IDF_FILE], _jieba_idf))


def _jieba_tags() -> tuple[dict, None]:
    """jieba's part-of-speech tag of every dictionary word (the third column of its dict.txt, which
    jieba.posseg reads), without posseg's HMM: tags are looked up, never inferred."""
    items = (Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME).read_text(encoding="utf-8").split()
    return dict(zip(items[0::3], items[2::3])), None


class WordTags:
    """jieba's dictionary tags (n, ns, nt, v, …), loaded by the first two characters of the words asked about."""

    def __init__(self, store: PrefixStore):
        self._store = store
        self.table: dict[str, str] = {}

    def of(self, words: Iterable[str]) -> dict[str, Optional[str]]:
        words = list(words)
        self._store.load(self.table, {w[:2] for w in words})
        return {w: self.table.get(w) for w in words}


@lru_cache(maxsize=1)
def word_tags() -> WordTags:
    return WordTags(PrefixStore.open("jieba-tags", [Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME], _jieba_tags))


def user_dict_path(content: Path) -> Optional[str]:
    path = Path(content) / "dict.txt"
    return str(path) if path.is_file() else None


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


SEPARATOR = " "  # stands for whitespace between words in `words`: a phrase never runs across it


# jieba cuts a text into runs of the characters its regex names (Han, Latin, digits …) and each
# run on its own; its HMM (finalseg.viterbi) copies a path per character, so a run costs the
# square of its length: 20,000 characters without punctuation took 5 s, 100,000 over a minute.
# A run longer than LONG_RUN (never in printed text: a sentence has punctuation) is cut into
# pieces of LONG_RUN characters, and every other text is segmented exactly as jieba does.
LONG_RUN = 256
_LONG_RUN_RE = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]{" + str(LONG_RUN + 1) + ",}")


def _pieces(text: str) -> Iterator[str]:
    pos = 0
    if len(text) > LONG_RUN:
        for m in _LONG_RUN_RE.finditer(text):
            yield text[pos : m.start()]
            for i in range(m.start(), m.end(), LONG_RUN):
                yield text[i : min(i + LONG_RUN, m.end())]
            pos = m.end()
    yield text[pos:]


def analyze(text: str, tk) -> tuple[list[str], list[str]]:
    """(precise-mode words in order, whitespace as one SEPARATOR; search-mode words)."""
    freq = tk.FREQ
    words = []
    for w in (w for piece in _pieces(text) if piece for w in tk.lcut(piece)):
        if w.strip():
            words.append(w)
        elif words and words[-1] != SEPARATOR:
            words.append(SEPARATOR)
    search = []
    for w in words:
        if w == SEPARATOR:
            continue
        n = len(w)
        if n > 2:
            search.extend(g for g in (w[i : i + 2] for i in range(n - 1)) if freq.get(g))
        if n > 3:
            search.extend(g for g in (w[i : i + 3] for i in range(n - 2)) if freq.get(g))
        search.append(w)
    return words, search
