"""Themes: the taxonomy is validated, the tagger meets a floor against our gold labels, front matter
overrides it, keywords are archive-specific, and every theme in use has its page."""
from pathlib import Path

import pytest
import yaml

from conftest import CONTENT, ROOT, SEEDS, parse_file, parse_text
from lingyuan_site import themes
from lingyuan_site.errors import SiteError

GOLD = yaml.safe_load((ROOT / "tests" / "gold_themes.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tagged():
    pages = [parse_file(p) for p in SEEDS.values()]
    themes.apply(pages, CONTENT)
    return pages


def precision_recall(pages):
    tp = fp = fn = 0
    for page in pages:
        gold = GOLD[Path(page.path).name]
        for story in page.stories:
            want, got = set(gold[story.title]), set(story.themes)
            tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
    return tp / (tp + fp), tp / (tp + fn)


def test_gold_file_covers_all_22_stories_and_the_fixtures(tagged):
    seed_files = {p.name for p in SEEDS.values()}
    assert sum(len(v) for k, v in GOLD.items() if k in seed_files) == 22
    assert {s.title for p in tagged for s in p.stories} == {t for k, v in GOLD.items() if k in seed_files for t in v}
    assert sum(len(v) for k, v in GOLD.items() if k not in seed_files) == 14


def test_tagger_precision_and_recall_floor(tagged):
    precision, recall = precision_recall(tagged)
    print(f"theme tagger against gold: precision {precision:.2f}, recall {recall:.2f}")
    assert precision >= 0.93  # 0.950 measured (issue 16; 0.905 before)
    assert recall >= 0.78  # 0.809 measured, unchanged: the 0.9 is not reached


def test_tagger_on_the_fixtures_labelled_before_the_vocabulary_was_revised():
    from conftest import FIXTURE_PAGES

    pages = [parse_file(p) for p in FIXTURE_PAGES]
    themes.apply(pages + [parse_file(p) for p in SEEDS.values()], CONTENT)
    precision, recall = precision_recall(pages)
    print(f"theme tagger on the fixtures: precision {precision:.2f}, recall {recall:.2f}")
    assert precision >= 0.95 and recall >= 0.75  # 1.00 / 0.79 measured (0.47 recall before)


def test_each_story_gets_one_to_four_themes(tagged):
    for page in tagged:
        for story in page.stories:
            assert 1 <= len(story.themes) <= 4, story.title


def test_clear_cases(tagged):
    by_title = {s.title: s for p in tagged for s in p.stories}
    assert by_title["凌源影调戏亮相全国稀有剧种嘉年华"].themes == ["culture-tourism"]
    assert by_title["流动党员为家乡献智献策"].themes == ["party"]
    assert by_title["反诈宣传进校园进家庭"].themes == ["livelihood"]
    assert by_title["食用菌产业年创产值6亿元"].themes[0] == "agriculture"


def test_scores_explain_the_choice(tagged):
    story = tagged[1].stories[0]  # 凌源通过“四接三引”融入京津冀
    regional = next(s for s in story.theme_scores if s.theme == "regional")
    assert {"京津冀", "融入", "先导区"} <= set(regional.words)
    assert regional.score >= 4.0 and "regional" in story.themes


def test_keywords_not_in_the_dictionary_are_taught_to_jieba(tagged):
    story = next(s for p in tagged for s in p.stories if s.title == "实施系列村级工程 加快乡村振兴步伐")
    agri = next(s for s in story.theme_scores if s.theme == "agriculture")
    assert "乡村振兴" in agri.words


def test_keywords_are_specific_to_the_story(tagged):
    all_keywords = [k for p in tagged for s in p.stories for k in s.keywords]
    for common in ("凌源", "凌源市", "发展", "建设", "本报讯"):
        assert common not in all_keywords
    by_title = {s.title: s for p in tagged for s in p.stories}
    assert "食用菌" in by_title["食用菌产业年创产值6亿元"].keywords
    assert "影调戏" in "".join(by_title["凌源影调戏亮相全国稀有剧种嘉年华"].keywords)
    assert "疫情防控" in tagged[4].stories[0].keywords


def test_front_matter_overrides_the_tagger():
    page = parse_text("## 标题\n\n**本报讯** 凌源市春耕生产有序推进，农民忙着种植蔬菜。\n")
    page.themes = ["urban"]
    themes.apply([page], CONTENT)
    assert page.stories[0].themes == ["urban"] and page.stories[0].themes_from == "front matter"


def test_front_matter_override_per_story_title():
    page = parse_text("## 春耕\n\n**本报讯** 农民种植蔬菜。\n\n## 公园\n\n**本报讯** 城区新建口袋公园。\n")
    page.themes = {"公园": ["urban", "environment"]}
    themes.apply([page], CONTENT)
    assert [s.themes for s in page.stories] == [["agriculture"], ["urban", "environment"]]


def test_front_matter_unknown_theme_is_an_error():
    page = parse_text("## 标题\n\n正文。\n", path="content/x.md")
    page.themes = ["sports"]
    with pytest.raises(SiteError, match=r"^content/x.md: front matter theme 'sports' is not in themes.yaml"):
        themes.apply([page], CONTENT)


TAXONOMY = {"themes": [{"slug": "farm", "name": "农业", "description": "农业农村", "keywords": {"农业": 2}}]}


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["themes"][0].update(colour="red"), "theme 'farm': unknown key 'colour'"),
        (lambda d: d["themes"].append(dict(d["themes"][0])), "theme 'farm': duplicate slug 'farm'"),
        (lambda d: d["themes"][0].update(keywords=[]), "theme 'farm': 'keywords' must be a non-empty list"),
        (lambda d: d["themes"][0].update(keywords={"农业": 0}), "theme 'farm': keyword '农业' needs a positive weight"),
        (lambda d: d["themes"][0].update(slug="Farm Land"), "theme 'Farm Land': 'slug' must be lowercase"),
        (lambda d: d["themes"][0].pop("name"), "theme 'farm': 'name' must be non-empty text"),
        (lambda d: d.update(settings={"min_scor": 3}), "unknown settings key 'min_scor'"),
        (lambda d: d.update(colours=[]), "unknown top-level key 'colours'"),
    ],
)
def test_taxonomy_errors_name_the_file_and_theme(change, message):
    import copy

    data = copy.deepcopy(TAXONOMY)
    change(data)
    with pytest.raises(SiteError) as info:
        themes.taxonomy_from_dict(data, "content/themes.yaml")
    assert str(info.value).startswith("content/themes.yaml: ")
    assert message in str(info.value)


def test_the_shipped_taxonomy_has_the_ten_themes():
    tax = themes.load_taxonomy(CONTENT)
    assert [(t.slug, t.name) for t in tax.themes] == [
        ("industry", "产业发展"), ("investment", "招商引资与项目建设"), ("agriculture", "农业农村"),
        ("culture-tourism", "文化旅游"), ("livelihood", "民生保障"), ("party", "党的建设"),
        ("innovation", "科技创新与数字化"), ("environment", "生态环保"), ("regional", "区域协同"),
        ("urban", "城市建设与治理"),
    ]


def test_every_theme_in_use_has_a_page_listing_its_stories_newest_first(built):
    out, result = built
    used = {slug for e in result.site.stories for slug in e.story.themes}
    assert len(used) >= 8
    for theme in result.site.themes:
        if theme.slug not in used:
            continue
        html = (out / theme.url / "index.html").read_text(encoding="utf-8")
        main = html[html.index("<main"):]
        entries = [e for e in result.site.latest if theme.slug in e.story.themes]
        assert f"共{len(entries)}篇稿件" in main
        positions = [main.index(f'<h3 class="headline"><a href="../../{e.url}">{e.title}</a></h3>') for e in entries]
        assert positions == sorted(positions), theme.slug


def test_story_page_links_its_themes_and_shared_keywords(built):
    out, result = built
    entry = next(e for e in result.site.stories if e.story.title == "食用菌产业年创产值6亿元")
    html = (out / entry.url / "index.html").read_text(encoding="utf-8")
    assert '<a href="../../../themes/agriculture/">农业农村</a>' in html
    shared = [k for k in entry.keyword_links if k.url]
    for k in shared:
        assert f'<a href="../../../{k.url}">{k.word}</a>' in html
        assert (out / k.url / "index.html").is_file()
        assert len(k.stories) >= 2


def test_home_shows_themes_with_counts(built):
    out, result = built
    html = (out / "index.html").read_text(encoding="utf-8")
    agri = next(t for t in result.site.themes if t.slug == "agriculture")
    assert f'<a class="theme-name" href="themes/agriculture/">农业农村</a> <span class="count">{len(agri.stories)}篇</span>' in html
    assert len(agri.stories) == 6


def test_inspect_shows_scores_and_matched_words():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(ROOT / "build.py"), "inspect", str(SEEDS["000"])], capture_output=True, text=True, cwd=ROOT).stdout
    assert "   主题（tagger）：culture-tourism" in out
    assert "     ✓ culture-tourism" in out and "旅游 游客" in out
