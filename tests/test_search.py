"""Chinese full-text search: build-time and query-time tokens agree, folding works, the sharded
index answers exactly like the full one, and the real search page finds what a reader types."""
from __future__ import annotations

import hashlib
import json
import random
from urllib.parse import quote

import pytest
from lunr.index import Index

from conftest import CONTENT, ROOT
from lingyuan_site import search


@pytest.fixture(scope="module")
def tk():
    """The build's tokenizer: jieba, content/dict.txt and the theme keywords."""
    from lingyuan_site import themes

    return themes.taught_tokenizer(CONTENT, themes.load_taxonomy(CONTENT))


@pytest.fixture(scope="module")
def built_index(built):
    out, result = built
    return (*read_index(out), result.site)


def read_index(out):
    """A built site's index as the browser reads it: (meta, shards, documents)."""
    folder = out / "search" / "index"
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    parts = [search.unpack((folder / f"{k}.bin").read_bytes()) for k in range(shard_count(meta))]
    docs = search.read_docs(out)
    lengths: dict = {}
    for f, (name, _) in enumerate(search.FIELDS):
        for path in (out / "search" / "lengths" / name).glob("*.bin"):
            search.decode_lengths(search.unpack(path.read_bytes()), f, lengths)
    meta = {**meta, "story_lengths": lengths}  # (for merged(): every story's field lengths)
    return meta, parts, docs


def shard_count(meta) -> int:
    return meta["groups"] * meta["subs"]


def story_fields(entry, seg) -> dict[str, list[str]]:
    """Every field's tokens in full, in order: what stock lunr.py is given."""
    fields = {name: search.index_tokens(text, seg) if text else [] for name, text in search.text_fields(entry.story, entry.title).items()}
    fields.update(search.archive_fields(entry.story.keywords, [(t.slug, t.name) for t in entry.themes]))
    return fields


def stock_lunr_index(site, seg) -> dict:
    """The same documents through stock lunr.py (slow): the oracle for build_index."""
    from lunr.builder import Builder

    builder = Builder()
    builder.pipeline.reset()
    builder.search_pipeline.reset()
    builder.ref("id")
    for name, bst in search.FIELDS:
        builder.field(name, boost=bst)
    for entry in sorted(site.latest, key=lambda e: e.ref):  # (in number order, as the shards hold them)
        builder.add({"id": str(entry.ref), **story_fields(entry, seg)})
    return builder.build().serialize()


def merged(meta, parts) -> dict:
    return search.merge_shards(meta, parts, meta["story_lengths"])


def full_index(meta, parts):
    return Index.load(merged(meta, parts))


def in_text_order(index: dict) -> dict:
    """A serialised lunr index with its terms renumbered in text order (lunr.py numbers them in
    the order it meets them, merge_shards in text order) and its empty vectors left out (a shard
    holds postings, and an empty field has none)."""
    inverted = sorted(index["invertedIndex"], key=lambda e: e[0])
    number = {p["_index"]: i for i, (_, p) in enumerate(inverted)}
    vectors = []
    for ref, v in index["fieldVectors"]:
        if v:
            pairs = sorted((number[v[i]], v[i + 1]) for i in range(0, len(v), 2))
            vectors.append([ref, [x for pair in pairs for x in pair]])
    return {**index, "fieldVectors": sorted(vectors),
            "invertedIndex": [[t, {**p, "_index": number[p["_index"]]}] for t, p in inverted]}


# ------------------------------------------------------------------ tokens and folding
TEXTS = [
    "凌源影调戏亮相全国稀有剧种嘉年华",
    "凌钢钢焦一体化及焦炉煤气制LNG项目",
    "总投资174亿元的90个项目正式复工",
    "百合种球国产化实现从“0”到“1”的跨越",
    "热水汤温泉被誉为“矿泉之花”",
    "5G基站100个以上，1+8+N运行模式",
]


@pytest.mark.parametrize("text", TEXTS)
def test_query_tokens_are_index_tokens_for_the_same_text(tk, text):
    indexed = set(search.index_tokens(text, tk))
    for run in text.replace("“", " ").replace("”", " ").replace("，", " ").split():
        for t in search.query_tokens(run):
            if t.required and not t.wildcard:
                assert t.token in indexed, (run, t.token)
            elif t.wildcard:
                assert any(i.startswith(t.token) for i in indexed), (run, t.token)


def test_index_tokens_hold_bigrams_words_and_latin_suffixes(tk):
    tokens = search.index_tokens("凌源影调戏 LNG 174亿元", tk)
    assert {"凌源", "源影", "影调", "调戏", "影调戏", "凌源影调戏", "lng", "ng", "174", "74", "亿元"} <= set(tokens)
    assert "调" not in tokens  # a single character only where it starts no bigram (the end of a run)
    assert "戏" in tokens and "元" in tokens


def test_folding_widths_case_and_traditional(built_index):
    meta = built_index[0]
    assert search.fold_query("ＬＮＧ　５Ｇ", meta["fold"]) == "lng 5g"
    assert search.fold_query("經濟開發區", meta["fold"]) == "经济开发区"
    assert search.fold_query("凌鋼集團", meta["fold"]) == "凌钢集团"


def test_fold_table_is_limited_to_characters_that_matter(built_index):
    table = dict(zip(built_index[0]["fold"][0::2], built_index[0]["fold"][1::2]))
    assert table["經"] == "经" and table["濟"] == "济"
    assert len(table) < 2000  # not OpenCC's whole 4,000-entry table
    assert all(s in "".join(json.dumps(p, ensure_ascii=False) for p in built_index[1]) for s in list(table.values())[:50])
    assert search.fold_table({"干", "乾"}) .get("乾") is None  # a character the archive itself holds is never folded


# ------------------------------------------------------------------ the sharded index
QUERIES = ["凌钢", "食用菌", "种球", "影调戏", "热水汤", "LNG", "ng", "174亿元", "經濟開發區", "凌钢 食用菌", "京津冀 旅游",
           "源市", "无人机", "反诈", "百合", "5G", "数", "凌", "xyzzy", "發展 項目", "张旭"]


def test_shards_of_code_points_is_shard_of_term_by_term():
    """The build places postings in numpy (shards.shards_of on code points); search.js and
    needed_shards place tokens one by one (shard_of): the same shard for every kind of term."""
    from lingyuan_site.search.shards import code_points, posting_hashes, shards_of

    terms = ["凌", "凌源", "凌源影调戏", "lng", "5g", "a", "𠀀字", "字𠀀", "1+8", "ng", "经济开发区"]
    for groups, subs in ((1, 1), (64, 1), (4096, 16), (512, 64)):
        assert shards_of(code_points(terms), groups, subs).tolist() == [search.shard_of(t, groups, subs) for t in terms]
    # a posting's hash changes with its term, field, count and story, each
    points = code_points(["凌源", "凌源", "凌源", "凌源", "凌"])
    h = posting_hashes(points, [2, 2, 3, 2, 2], [1, 2, 1, 1, 1], 7).tolist()
    assert h[0] == h[3] and len({h[0], h[1], h[2], h[4]}) == 4
    assert h[0] != posting_hashes(points[:1], [2], [1], 8).tolist()[0]


def test_sharded_index_answers_exactly_like_the_full_index(built_index):
    meta, parts, _, _ = built_index
    full = full_index(meta, parts)
    assert shard_count(meta) > 10
    for q in QUERIES:
        for theme in (None, "agriculture"):
            needed = search.needed_shards(q, meta, theme, meta["fold"])
            part_index = Index.load(merged(meta, [parts[k] for k in needed]))
            expected = search.python_search(full, q, theme, meta["fold"])
            got = search.python_search(part_index, q, theme, meta["fold"])
            assert [(r, n, round(s, 9)) for r, n, s in got] == [(r, n, round(s, 9)) for r, n, s in expected], (q, theme)
            assert len(needed) < shard_count(meta) / 2


def test_any_substring_of_a_story_finds_that_story(built_index):
    meta, parts, docs, site = built_index
    index = full_index(meta, parts)
    rng = random.Random(7)
    tried = 0
    for entry in site.latest:
        ref = entry.ref
        text = "\n".join([entry.title, *entry.story.paragraphs])  # a piece never spans two of them
        for _ in range(12):
            n = rng.randint(2, 6)
            i = rng.randrange(0, len(text) - n)
            piece = text[i : i + n]
            if any(not ch.isalnum() for ch in piece):
                continue
            refs = [r for r, _, _ in search.python_search(index, piece, table=meta["fold"])]
            assert str(ref) in refs, (piece, entry.title)
            tried += 1
    assert tried > 150


def test_all_shards_merged_are_lunr_pys_own_index(built_index, tk):
    """The shards' counts and field lengths, weighed by merge_shards, against stock lunr.py's
    Builder fed every field's full token list: the same terms, postings and weights, byte for
    byte once lunr.py's term numbers are put in text order."""
    meta, parts, _, site = built_index
    stock = in_text_order(stock_lunr_index(site, tk))
    ours = merged(meta, parts)
    a, b = json.dumps(ours, ensure_ascii=False), json.dumps(stock, ensure_ascii=False)
    if a != b:  # (pytest's own diff of two 2 MB strings takes minutes)
        at = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)
        pytest.fail(f"merged shards differ from stock lunr.py at {at}: {a[at - 200 : at + 100]!r} vs {b[at - 200 : at + 100]!r}")
    assert len(ours["invertedIndex"]) > 5000
    # the workers' counts (Story.index_terms) were used, not a fresh count
    assert all(entry.story.index_terms for entry in site.latest)
    # numbering aside, lunr.py's own serialised index (first-seen numbers) gives the same results
    for q in ("凌钢", "经济开发区", "lng", "京津冀 旅游"):
        expected = search.python_search(Index.load(stock_lunr_index(site, tk)), q, table=meta["fold"])
        got = search.python_search(Index.load(ours), q, table=meta["fold"])
        assert [(r, n, round(s, 9)) for r, n, s in got] == [(r, n, round(s, 9)) for r, n, s in expected], q


def test_vendored_lunr_is_the_unmodified_2_3_9():
    data = (ROOT / "static" / "vendor" / "lunr.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == "0c50d9002b85780a842afffb567bb54ede402dae7c6dc5997a018614d8044fc8"
    assert b"2.3.9" in data


# ------------------------------------------------------------------ the real search page
def results(page):
    page.wait_for_selector("#search-status:has-text('找到'), #search-status:has-text('没有找到')")
    return page.locator("#search-results li h2").all_inner_texts()


def type_query(page, server, q, theme=None):
    page.goto(server.url + "search/")
    page.wait_for_selector("#search-status:has-text('输入关键词')")
    if theme:
        page.select_option("#search-theme", theme)
    page.fill("#search-q", q)
    page.press("#search-q", "Enter")
    return results(page)


CASES = [
    # (query, expected first result, at least this many results)
    ("凌钢", "地企融合谋共赢", 5),                                   # whole word
    ("食用菌", "食用菌产业年创产值6亿元", 2),
    ("种球", "百合优质种球实现国产化", 1),                             # part of 百合种球
    ("源市", None, 15),                                            # part of 凌源市, no word at all
    ("影调戏", "凌源影调戏亮相全国稀有剧种嘉年华", 1),                  # local name (jieba: 影/调戏)
    ("热水汤", "40余个旅游资源开发项目增色全域旅游", 3),                # local name
    ("LNG", "地企融合谋共赢", 1),                                   # Latin
    ("ＬＮＧ", "地企融合谋共赢", 1),                                  # full-width Latin
    ("lng", "地企融合谋共赢", 1),                                   # lower case
    ("174亿元", "凌源市统筹抓好疫情防控和经济社会发展工作 争分夺秒抢进度 全力以赴赶工期", 1),  # number
    ("5G", None, 3),
    ("經濟開發區", "奋楫扬帆开新局", 5),                               # Traditional
    ("凌鋼集團", "地企融合谋共赢", 3),                                 # Traditional
    ("凌钢 食用菌", "凌源市：加压奋进当好朝阳振兴先锋队", 1),            # two terms: the one story with both
    ("京津冀 旅游", None, 2),
    ("\"凌源 影调戏\"", "凌源影调戏亮相全国稀有剧种嘉年华", 1),         # a quoted phrase: 凌源影调戏
    ("融合作", None, 0),                                            # 融合 and 合作 apart, never 融合作
    ("反诈", "反诈宣传进校园进家庭", 1),
    ("众的烦心事", "以学促行解群众“急难愁盼”", 1),
    ("张旭", None, 3),                                             # a reporter's name
    ("数说", "凌源市：加压奋进当好朝阳振兴先锋队", 1),                   # data box title
    ("中控室", "地企融合谋共赢", 1),                                  # caption text
    ("xyzzy", None, 0),                                           # no hit
]


@pytest.mark.parametrize("query, first, at_least", CASES, ids=[c[0] for c in CASES])
def test_typed_queries_find_the_expected_stories(phone, server, query, first, at_least):
    titles = type_query(phone, server, query)
    if at_least == 0:
        assert titles == []
        assert phone.locator("#search-status").inner_text().startswith(f"没有找到与“{query}”相关的稿件")
        return
    assert len(titles) >= min(at_least, 10)
    if first:
        assert titles[0] == first
    status = phone.locator("#search-status").inner_text()
    assert status.startswith("找到")
    assert phone.errors == []


def test_two_terms_find_only_stories_holding_both(phone, server, built_index):
    meta, parts, docs, _ = built_index
    titles = type_query(phone, server, "京津冀 旅游")
    both = [docs[int(r)]["title"] for r, n, _ in search.python_search(full_index(meta, parts), "京津冀 旅游", table=meta["fold"], docs=docs)]
    assert titles == both == ["40余个旅游资源开发项目增色全域旅游", "凌源市：加压奋进当好朝阳振兴先锋队"]
    for title in titles:
        text = search.doc_text(next(d for d in docs.values() if d["title"] == title))
        assert "京津冀" in text and "旅游" in text


def test_bigrams_found_apart_never_make_a_result(built_index):
    meta, parts, docs, _ = built_index
    index = full_index(meta, parts)
    candidates = search.python_search(index, "融合作", table=meta["fold"])
    assert len(candidates) == 3  # each holds 融合 and 合作, none 融合作
    assert all("融合" in search.doc_text(docs[int(r)]) and "合作" in search.doc_text(docs[int(r)]) for r, _, _ in candidates)
    assert search.python_search(index, "融合作", table=meta["fold"], docs=docs) == []


def test_query_terms_fold_split_and_quote():
    assert search.query_terms("凌钢  食用菌") == ["凌钢", "食用菌"]
    assert search.query_terms('"凌源 影调戏" 旅游') == ["凌源影调戏", "旅游"]
    assert search.query_terms("“京郊漫城 北国凌源”") == ["京郊漫城北国凌源"]
    assert search.query_terms("ＬＮＧ 經濟", "經经濟济") == ["lng", "经济"]


def test_snippet_marks_the_matched_terms(phone, server):
    type_query(phone, server, "食用菌")
    first = phone.locator("#search-results li").first
    assert first.locator("a").get_attribute("href") == "../2021/06/shi-yong-jun-chan-ye-nian-chuang-chan/?h=%E9%A3%9F%E7%94%A8%E8%8F%8C"
    assert first.locator("time").inner_text() == "2021年6月"
    assert set(first.locator(".snippet mark").all_inner_texts()) == {"食用菌"}


def test_browser_tokens_and_folding_match_python(phone, server, tk):
    phone.goto(server.url + "search/")
    phone.wait_for_selector("#search-status:has-text('输入关键词')")
    phone.evaluate("() => window.lingyuanSearch.ready()")
    for text in TEXTS + ["經濟開發區", "ＬＮＧ ５Ｇ", "凌"]:
        js = phone.evaluate("t => { const f = window.lingyuanSearch.fold(t); return [f, f.split(/\\s+/).filter(Boolean).map(x => window.lingyuanSearch.queryTokens(x))]; }", text)
        meta_fold = phone.evaluate("() => fetch('../search/index/meta.json').then(r => r.json()).then(m => m.fold)")
        folded = search.fold_query(text, meta_fold)
        assert js[0] == folded
        py = [[{"token": t.token, "required": t.required, "wildcard": t.wildcard, "boost": t.boost} for t in search.query_tokens(term)] for term in folded.split()]
        assert js[1] == py, text


def test_browser_weighs_the_shards_exactly_as_python(phone, server, built_index):
    """search.js's merge (BM25 weights computed in the browser from the counts) gives the index
    merge_shards gives, weight for weight, for all shards and for one query's shards."""
    meta, parts, _, _ = built_index
    phone.goto(server.url + "search/")
    phone.wait_for_selector("#search-status:has-text('输入关键词')")
    phone.evaluate("() => window.lingyuanSearch.ready()")
    needed = sorted(search.needed_shards("凌钢 食用菌", meta, None, meta["fold"]))
    got = phone.evaluate("k => window.lingyuanSearch.mergedIndex(k)", needed)
    assert got == merged(meta, [parts[k] for k in needed])
    got = phone.evaluate("k => window.lingyuanSearch.mergedIndex(k)", list(range(shard_count(meta))))
    assert got == merged(meta, parts)
    assert len(got["fieldVectors"]) > 100


def test_browser_scores_a_query_with_only_its_candidates_lengths(browser, tmp_path, monkeypatch):
    """Field lengths are in blocks by story number, a file per field (format 6), and the browser
    fetches, for a query's candidates only, the files of the fields its terms are in there. Built
    with 8 blocks for 22 stories: every query gives the refs and scores Python gives from the whole
    index, and fetches exactly the (field, block) files of its results' matches: none for a query
    nothing matches."""
    from conftest import _Server, build_site

    monkeypatch.setattr("lingyuan_site.search.write.blocks_for", lambda docs: 8)
    out = tmp_path / "public"
    build_site(out)
    meta, parts, _ = read_index(out)
    assert meta["blocks"] == 8 and len(list((out / "search" / "lengths" / "title").glob("*.bin"))) == 8
    full = full_index(meta, parts)
    inverted = dict(merged(meta, parts)["invertedIndex"])
    srv = _Server(out)
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        asked: list = []
        page.on("request", lambda r: asked.append(r.url))
        page.goto(srv.url + "search/")
        page.wait_for_selector("#search-status:has-text('输入关键词')")
        fewer = 0
        for q in QUERIES:
            for theme in (None, "agriculture"):
                asked.clear()
                page.evaluate("() => window.lingyuanSearch.reset()")
                got = page.evaluate("([q, t]) => window.lingyuanSearch.run(q, t).then(r => r.results.map(x => [String(x.ref), x.n, x.score]))",
                                    [q, theme])
                expected = search.python_search(full, q, theme, meta["fold"])
                assert [(r, n, round(x, 9)) for r, n, x in got] == [(r, n, round(x, 9)) for r, n, x in expected], (q, theme)
                tokens = [t for term in search.query_terms(q, meta["fold"]) for t in search.query_tokens(term)]
                terms = [term for term in inverted if any(term.startswith(t.token) if t.wildcard else term == t.token for t in tokens)]
                results = {r for r, _, _ in expected}
                files = {(name, int(ref) % 8) for term in terms for name in search.SEARCH_FIELDS
                         for ref in inverted[term][name] if ref in results}
                files |= {("theme", int(ref) % 8) for ref in results} if theme else set()
                fetched = {tuple(u.split("/search/lengths/")[1].removesuffix(".bin").split("/")) for u in asked if "/search/lengths/" in u}
                assert {(name, int(b)) for name, b in fetched} == files, (q, theme)
                fewer += len(files) < len({b for _, b in files}) * len(search.FIELDS)
        assert fewer > 20  # most queries need fewer files than their results' whole blocks
    finally:
        ctx.close()
        srv.close()


def test_browser_rounds_weights_as_python(phone, server):
    """Python's round(x, 3), which lunr.py applies, goes by x's exact binary value and sends an
    exact tie to even; Math.round would not."""
    values = [0.0005, 0.0015, 1.0625, 0.0625, 0.1875, 2.5e-4, 3.14159, 12.3455, 7.0004999999, 0.1 + 0.2, 2.0 / 3, 4.4445]
    phone.goto(server.url + "search/")
    phone.wait_for_selector("#search-status:has-text('输入关键词')")
    got = phone.evaluate("v => v.map(window.lingyuanSearch.roundMilli)", values)
    assert got == [round(round(v, 3) * 1000) for v in values]
    assert got[2] == 1062 and got[3] == 62  # ties to even, where Math.round gives 1063 and 63


def test_url_follows_typing_and_back_button_works(phone, server):
    phone.goto(server.url + "search/")
    phone.wait_for_selector("#search-status:has-text('输入关键词')")
    phone.type("#search-q", "凌钢", delay=30)
    phone.wait_for_url("**/search/?q=%E5%87%8C%E9%92%A2")
    assert results(phone)[0] == "地企融合谋共赢"
    phone.fill("#search-q", "反诈")
    phone.press("#search-q", "Enter")
    phone.wait_for_url("**/search/?q=%E5%8F%8D%E8%AF%88")
    assert results(phone)[0] == "反诈宣传进校园进家庭"
    phone.go_back()
    phone.wait_for_url("**/search/?q=%E5%87%8C%E9%92%A2")
    phone.wait_for_selector("#search-results li h2:has-text('地企融合谋共赢')")
    assert phone.input_value("#search-q") == "凌钢"


def test_shareable_url_runs_the_search_on_load(phone, server):
    phone.goto(server.url + "search/?q=" + quote("种球"))
    assert results(phone) == ["百合优质种球实现国产化"]


def test_query_is_never_inserted_as_html(phone, server):
    evil = '<img src=x onerror="document.title=1">凌钢'
    phone.goto(server.url + "search/?q=" + quote(evil))
    results(phone)
    assert phone.locator("main img").count() == 0
    assert evil in phone.locator("#search-status").inner_text()
    assert phone.title().startswith("搜索")


def test_keyboard_alone(phone, server):
    type_query(phone, server, "食用菌")
    phone.focus("#search-q")
    phone.keyboard.press("ArrowDown")
    assert phone.evaluate("() => document.activeElement.textContent") == "食用菌产业年创产值6亿元"
    phone.keyboard.press("ArrowDown")
    assert phone.evaluate("() => document.activeElement.textContent") == "凌源市：加压奋进当好朝阳振兴先锋队"
    phone.keyboard.press("ArrowUp")
    phone.keyboard.press("Enter")
    phone.wait_for_url("**/2021/06/shi-yong-jun-chan-ye-nian-chuang-chan/?h=*")


def test_search_narrowed_to_a_theme(phone, server, built_index):
    _, _, _, site = built_index
    agri = {e.title for e in site.stories if "agriculture" in e.story.themes}
    titles = type_query(phone, server, "项目", theme="agriculture")
    assert titles and set(titles) <= agri
    assert "主题：农业农村" in phone.locator("#search-status").inner_text()
    assert "theme=agriculture" in phone.url


def test_header_search_box_leads_to_the_search_page(phone, server):
    phone.goto(server.url + "2021/06/shi-yong-jun-chan-ye-nian-chuang-chan/")
    phone.fill("#site-search-q", "热水汤")
    phone.press("#site-search-q", "Enter")
    phone.wait_for_url("**/search/?q=*")
    assert results(phone)[0] == "40余个旅游资源开发项目增色全域旅游"
