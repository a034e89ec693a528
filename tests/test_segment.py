"""segment.py's fast loaders give exactly what jieba's own loaders give."""
from __future__ import annotations

import jieba

from lingyuan_site import segment


def test_fast_tokenizer_load_is_jiebas_prefix_dictionary():
    ours = jieba.Tokenizer()
    segment._initialize(ours)
    stock = jieba.Tokenizer()
    stock.initialize()
    assert ours.initialized and ours.total == stock.total and ours.FREQ == stock.FREQ
    assert ours.lcut("凌源市扎实推进乡村振兴") == stock.lcut("凌源市扎实推进乡村振兴")


def test_general_idf_is_jieba_analyses_table():
    import jieba.analyse

    loader = jieba.analyse.TFIDF().idf_loader
    freq, median = segment.general_idf()
    assert freq == loader.idf_freq and median == loader.median_idf
    assert freq["凌源"] > freq["乡村"] > freq["的"]  # the rarer the word, the higher its idf
