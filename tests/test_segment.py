"""segment.py's fast loaders give exactly what jieba's own loaders give."""
from __future__ import annotations

import jieba
import pytest

from lingyuan_site import segment
from conftest import CONTENT


@pytest.fixture(scope="module")
def stock():
    tk = jieba.Tokenizer()
    tk.initialize()
    return tk


def test_fast_tokenizer_load_is_jiebas_prefix_dictionary(stock):
    ours = jieba.Tokenizer()
    segment._initialize(ours)
    assert ours.initialized and ours.total == stock.total and ours.FREQ == stock.FREQ


def test_per_character_dictionary_cuts_as_the_whole_dictionary(stock):
    """The lazily filled tokenizer cuts every seed page (precise and search mode) exactly as jieba
    with its whole dictionary does, while holding only a small part of it."""
    ours = segment.Tokenizer(segment.PrefixStore.open("jieba-dict", [segment.Path(jieba.__file__).parent / "dict.txt"], segment._jieba_dictionary))
    ours.WHOLE_AFTER = 10**9  # stay per part
    for page in sorted(CONTENT.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        assert ours.lcut(text) == stock.lcut(text), page.name
        assert ours.lcut_for_search(text) == stock.lcut_for_search(text), page.name
    assert 0 < len(ours.FREQ) < len(stock.FREQ) / 5
    assert all(ours.FREQ[w] == stock.FREQ[w] for w in ours.FREQ)
    for word in stock.FREQ:
        ours.prefetch(word[:2])
    assert ours.FREQ == stock.FREQ and ours.total == stock.total


def test_teaching_a_word_keeps_the_dictionary_around_it(stock):
    """add_word on a character not loaded yet loads it first: the taught word is added and no word
    jieba already knows under that character is lost."""
    ours = segment.Tokenizer(segment.PrefixStore.open("jieba-dict", [segment.Path(jieba.__file__).parent / "dict.txt"], segment._jieba_dictionary))
    ours.add_word("凌源影调戏")
    assert ours.frequency("凌源影调戏") > 0
    assert ours.frequency("凌源") == stock.FREQ["凌源"]
    assert ours.lcut("凌源影调戏亮相") == ["凌源影调戏", "亮相"]
    # past WHOLE_AFTER characters it loads the whole dictionary and still knows what it was taught
    ours.WHOLE_AFTER = 0
    text = (CONTENT / "2026-01-shuangling-gongjian.md").read_text(encoding="utf-8")
    stock_taught = jieba.Tokenizer()
    segment._initialize(stock_taught)
    stock_taught.add_word("凌源影调戏")
    assert ours.lcut(text) == stock_taught.lcut(text)
    assert ours.FREQ == stock_taught.FREQ and ours.total == stock_taught.total
    assert ours.lcut("凌源影调戏亮相") == ["凌源影调戏", "亮相"]


def test_general_idf_is_jieba_analyses_table():
    import jieba.analyse

    loader = jieba.analyse.TFIDF().idf_loader
    idf = segment.general_idf()
    assert idf.median == loader.median_idf
    weights = idf.weights(["凌源", "乡村", "的", "不是词的词语啊"])
    assert weights == {"凌源": loader.idf_freq["凌源"], "乡村": loader.idf_freq["乡村"], "的": loader.idf_freq["的"],
                       "不是词的词语啊": loader.median_idf}
    assert weights["凌源"] > weights["乡村"] > weights["的"]  # the rarer the word, the higher its idf
    idf.weights(loader.idf_freq)
    assert idf.table == loader.idf_freq


def test_a_run_without_punctuation_reaches_jieba_in_pieces_and_printed_text_whole(stock):
    """Issue 38: jieba's HMM costs the square of a run's length (a 100,000-character headline took
    minutes). A run over LONG_RUN characters goes to jieba in pieces of LONG_RUN; text with
    punctuation, as printed text has, is cut exactly as jieba cuts it."""
    seen = []

    class Recording:
        FREQ = stock.FREQ

        def lcut(self, text):
            seen.append(len(text))
            return stock.lcut(text)

    words, _ = segment.analyze("凌" * 1000 + "，凌源市新建口袋公园。" + "源" * 300, Recording())
    assert max(seen) == segment.LONG_RUN and "".join(words) == "凌" * 1000 + "，凌源市新建口袋公园。" + "源" * 300
    text = (CONTENT / "2021-06-sijie-sanyin.md").read_text(encoding="utf-8")
    seen.clear()
    words = segment.analyze(text, Recording())[0]
    assert seen == [len(text)]  # (one piece: the seed page has no run over LONG_RUN)
    assert [w for w in words if w != segment.SEPARATOR] == [w for w in stock.lcut(text) if w.strip()]
