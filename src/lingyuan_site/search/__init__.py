"""Stage 5, search: a lunr index (counted at build time, queried with lunr.js in the browser) that
understands Chinese, split into shards so a query downloads little, and patched, not rebuilt, when
a page changes (Zola's components/search and Pagefind's index/ split it the same way).

* tokens.py: what is indexed and what a query becomes (the contract search.js mirrors);
* shards.py: the file format (SHARD_FORMAT), how tokens map to shards and stories to blocks of
  field lengths;
* index.py: reading the index as the browser does (weights, merging, search), for the tests;
* write.py: the stage itself, afresh or patching.
"""
from __future__ import annotations

from .index import doc_text, fold_table, lunr_weight, merge_shards, needed_shards, python_search, read_docs
from .shards import FIELDS, SEARCH_FIELDS, SHARD_FORMAT, blocks_for, decode, decode_lengths, encode, shard_of, sizes
from .tokens import (WHOLE_WORD_BOOST, QueryToken, TermCounts, archive_fields, fold, fold_query, holds_terms, index_tokens,
                     prepare_page, query_terms, query_tokens, story_terms, text_fields, word_tokens)
from .write import defer_index, pack, unpack_file, write_index

unpack = unpack_file

__all__ = [
    "FIELDS", "SEARCH_FIELDS", "SHARD_FORMAT", "WHOLE_WORD_BOOST", "QueryToken", "TermCounts", "archive_fields", "blocks_for",
    "decode", "decode_lengths",
    "doc_text", "encode", "fold", "fold_query", "fold_table", "holds_terms", "index_tokens", "lunr_weight", "merge_shards",
    "needed_shards", "pack", "read_docs", "prepare_page", "python_search", "query_terms", "query_tokens", "shard_of", "sizes",
    "story_terms", "text_fields", "unpack", "word_tokens", "write_index",
]
