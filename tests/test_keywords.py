"""Keywords an editor would sign (issue 16): measured against tests/gold_keywords.yaml, which was
written from the texts before the keyword code changed; no byline, credit, counter, fragment or
near-duplicate; an editor's keywords.yaml and front matter correct it; tag pages only for
keywords two stories share."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import CONTENT, FIXTURE_PAGES, ROOT, SEEDS, build_site, parse_file, parse_text
from lingyuan_site import keywords, themes
from lingyuan_site.errors import SiteError

GOLD = yaml.safe_load((ROOT / "tests" / "gold_keywords.yaml").read_text(encoding="utf-8"))
NEVER = {w for words in GOLD["never"].values() for w in words}


@pytest.fixture(scope="module")
def tagged():
    """The seed pages tagged as the content/ build tags them."""
    pages = [parse_file(p) for p in SEEDS.values()]
    themes.apply(pages, CONTENT)
    return pages


@pytest.fixture(scope="module")
def fixtures_tagged(tagged):
    pages = [parse_file(p) for p in FIXTURE_PAGES]
    themes.apply(pages + [parse_file(p) for p in SEEDS.values()], CONTENT)
    return pages


def precision(pages, group: str) -> tuple[int, int]:
    shown = ok = 0
    for page in pages:
        for story in page.stories:
            accepted = GOLD[group][story.title]["accept"]
            shown += len(story.keywords)
            ok += sum(k in accepted for k in story.keywords)
    return ok, shown


def test_the_gold_covers_every_story(tagged, fixtures_tagged):
    assert {s.title for p in tagged for s in p.stories} == set(GOLD["stories"])
    assert {s.title for p in fixtures_tagged for s in p.stories} == set(GOLD["fixtures"])
    assert all(isinstance(w, str) for g in GOLD["stories"].values() for w in g["accept"])


def test_seed_keyword_precision_against_the_gold(tagged):
    ok, shown = precision(tagged, "stories")
    print(f"keywords on the seeds: {ok}/{shown} accepted = {ok / shown:.3f}")
    assert shown >= 40  # about two a story: not precision bought by showing nothing
    assert ok / shown >= 0.95


def test_fixture_keyword_precision_floor(fixtures_tagged):
    ok, shown = precision(fixtures_tagged, "fixtures")
    print(f"keywords on the fixtures: {ok}/{shown} accepted = {ok / shown:.3f}")
    assert shown >= 10 and ok / shown >= 0.8


def test_no_keyword_from_a_byline_credit_or_label(tagged, fixtures_tagged):
    shown = {k for p in tagged + fixtures_tagged for s in p.stories for k in s.keywords}
    assert shown & NEVER == set()
    # the bylines and credits these pages carry are real: the words are there to be picked
    bylines = {s.byline for p in tagged + fixtures_tagged for s in p.stories if s.byline}
    assert {"本报记者 张旭", "李永诚 李国恩", "本报记者 王芳 通讯员 刘强"} <= bylines


def test_no_counter_or_near_duplicate(tagged, fixtures_tagged):
    for page in tagged + fixtures_tagged:
        for story in page.stories:
            for k in story.keywords:
                assert not keywords.NUMERIC_START.match(k), (story.title, k)
                assert not any(k != other and k in other for other in story.keywords), (story.title, story.keywords)


def test_clear_keywords_of_clear_stories(tagged):
    by_title = {s.title: s for p in tagged for s in p.stories}
    assert by_title["食用菌产业年创产值6亿元"].keywords == ["食用菌", "刀尔登镇", "北炉"]
    assert "凌源影调戏" in by_title["凌源影调戏亮相全国稀有剧种嘉年华"].keywords
    assert "双凌共建" in by_title["地企融合谋共赢"].keywords  # a quoted term, whole
    assert by_title["蔬菜配送中心项目开工建设"].keywords[-1] == "宋杖子镇"  # an unknown name + 镇 is a place
    for common in ("凌源", "凌源市", "发展", "建设", "本报讯", "朝阳"):
        assert common not in {k for s in by_title.values() for k in s.keywords}


def test_a_place_with_its_suffix_wins_over_the_bare_name():
    page = parse_text("## 刀尔登镇发展食用菌\n\n**本报讯** 刀尔登镇建立食用菌合作社4个。刀尔登、松岭子等乡镇连片种植食用菌。刀尔登镇社员280余户。\n")
    themes.apply([page], CONTENT)
    assert "刀尔登镇" in page.stories[0].keywords and "刀尔登" not in page.stories[0].keywords


def test_keywords_yaml_stops_and_merges(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    for name in ("dict.txt",):  # themes: the packaged default
        (content / name).write_bytes((CONTENT / name).read_bytes())
    (content / "a.md").write_bytes(SEEDS["001"].read_bytes())
    plain = build_site(tmp_path / "p1", content=content).site
    food = next(e for e in plain.stories if e.title == "食用菌产业年创产值6亿元")
    assert food.story.keywords == ["食用菌", "刀尔登镇", "北炉"]
    (content / "keywords.yaml").write_text("stop: [北炉]\nmerge:\n  食用菌产业: [食用菌]\n", encoding="utf-8")
    site = build_site(tmp_path / "p2", content=content).site
    food = next(e for e in site.stories if e.title == "食用菌产业年创产值6亿元")
    assert "北炉" not in food.story.keywords and food.story.keywords[0] == "食用菌产业"


@pytest.mark.parametrize("text, message", [
    ("stop: 北炉\n", "'stop' must be a list of words"),
    ("merge: [a, b]\n", "'merge' must map each tag to a list of its synonyms"),
    ("merge:\n  凌钢: [凌钢集团]\n  凌源钢铁: [凌钢集团]\n", "merge: '凌钢集团' is a synonym of both '凌钢' and '凌源钢铁'"),
    ("stops: [a]\n", "unknown key 'stops' (known: merge, stop)"),
    ("stop: [a\n", "is not valid YAML"),
])
def test_keywords_yaml_errors_name_the_file(tmp_path, text, message):
    (tmp_path / "keywords.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SiteError) as info:
        keywords.load_config(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / 'keywords.yaml'}") and message in str(info.value)


def test_front_matter_sets_keywords_per_page_and_story():
    page = parse_text("## 春耕\n\n**本报讯** 农民种植蔬菜，设施农业发展迅速。\n\n## 公园\n\n**本报讯** 城区新建口袋公园。\n")
    page.keywords = {"公园": ["口袋公园"]}
    themes.apply([page], CONTENT)
    assert page.stories[1].keywords == ["口袋公园"] and page.stories[1].keywords_from == "front matter"
    assert page.stories[0].keywords_from == "tagger"
    page.keywords = {"没有这篇": ["x"]}
    with pytest.raises(SiteError, match="front matter keywords name a story '没有这篇'"):
        themes.apply([page], CONTENT)


def test_no_tag_page_for_a_byline_or_credit_name_on_a_generated_archive(generated):
    _, out, result = generated
    words = {k.word for k in result.site.keywords}
    assert len(words) > 20
    # bench/generate.py credits every photo to 本报记者 张旭 and every page to him
    assert "张旭" not in words and "本报记者" not in words and words.isdisjoint(NEVER)
    assert all(len(k.stories) >= 2 for k in result.site.keywords)
    assert not (out / "tags" / "zhang-xu").exists()
