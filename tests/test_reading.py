"""Reading the archive as a newspaper (issue 14): the front page, print order everywhere, 版面
navigation, the 本版 rail, lists that never grow with the archive, every story within three clicks
of the archive, reading aids, print."""
from __future__ import annotations

import re
import shutil
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
from playwright.sync_api import expect

from conftest import CONTENT, _Server, build_site, generate_pages
from lingyuan_site.errors import SiteError
from lingyuan_site.site import LIST_SIZE
from lingyuan_site.structure import label_key


def main_of(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    return html[html.index("<main"):]


# ---------------------------------------------------------------------------- order
def test_newest_page_lead_comes_before_its_briefs(built):
    _, result = built
    latest = [e.title for e in result.site.latest]
    assert latest[:5] == ["地企融合谋共赢", "推出五大主题冬季旅游产品", "百合优质种球实现国产化", "流动党员为家乡献智献策",
                          "凌源影调戏亮相全国稀有剧种嘉年华"]
    # every page's stories stay together and in print order
    for sp in result.site.pages:
        positions = [latest.index(e.title) for e in sp.stories]
        assert positions == list(range(positions[0], positions[0] + len(positions)))


def test_front_page_shows_the_newest_page_with_hierarchy(built):
    out, _ = built
    html = main_of(out / "index.html")
    lead = html[html.index('<article class="front-lead">'):html.index("</article>")]
    assert '<h3 class="front-title"><a href="2026/01/di-qi-rong-he-mou-gong-ying/">地企融合谋共赢</a></h3>' in lead
    assert '<p class="subtitle">——凌源市与凌钢集团“双凌共建”发展纪实</p>' in lead
    assert "<b>核心提示</b> 今年，凌源市委与凌钢集团党委立足" in lead
    assert '<a href="2026/01/di-qi-rong-he-mou-gong-ying/#s2">人才共育激活力</a>' in lead
    briefs = html[html.index('<aside class="front-briefs"'):]
    titles = re.findall(r'<h4 class="headline"><a href="[^"]+">([^<]+)</a></h4>', briefs)
    assert titles == ["推出五大主题冬季旅游产品", "百合优质种球实现国产化", "流动党员为家乡献智献策", "凌源影调戏亮相全国稀有剧种嘉年华"]
    cards = re.findall(r'<span class="page-card-lead">([^<]+)</span>', html)
    assert cards[0] == "凌源市统筹抓好疫情防控和经济社会发展工作 争分夺秒抢进度 全力以赴赶工期" and len(cards) == 4


def test_front_page_shows_the_data_box_of_a_lead_story_that_has_one(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    shutil.copyfile(CONTENT / "2022-02-jiaya-fenjin.md", content / "a.md")
    build_site(tmp_path / "public", content=content)
    lead = main_of(tmp_path / "public" / "index.html")
    assert '<h2 id="front-data">数说 2021</h2>' in lead
    assert "<dt>地区生产总值</dt><dd>161.4亿元</dd>" in lead


def test_labels_sort_naturally():
    labels = ["第10版", "第2版", "第1版", None, "A10", "A2", "第十版", "第二版"]
    assert sorted(labels, key=label_key) == [None, "A2", "A10", "第1版", "第2版", "第二版", "第10版", "第十版"]


# ---------------------------------------------------------------------------- 版面 navigation
def test_page_view_links_the_previous_and_next_page_in_date_order(built):
    out, _ = built
    html = main_of(out / "pages/2021-06-sijie-sanyin/index.html")
    assert '<a rel="prev" href="../../pages/2021-fenji-yangfan/"><span>上一版</span>2021年 · 奋楫扬帆开新局</a>' in html
    assert '<a rel="next" href="../../pages/2022-02-jiaya-fenjin/"><span>下一版</span>2022年2月 · 凌源市：加压奋进当好朝阳振兴先锋队</a>' in html
    first = main_of(out / "pages/2021-fenji-yangfan/index.html")
    assert 'rel="prev"' not in first and 'rel="next"' in first


def test_pages_of_one_date_are_in_label_order_with_a_strip(generated):
    _, out, result = generated
    day = [sp for sp in reversed(result.site.pages) if sp.date.iso == "2012-01-03"]
    assert [sp.label for sp in day] == [f"第{n}版" for n in range(1, 9)]
    assert [sp.label for sp in day[2].same_date] == [f"第{n}版" for n in range(1, 9)]
    html = main_of(out / day[2].url / "index.html")
    strip = html[html.index('<nav class="same-date"'):]
    strip = strip[:strip.index("</nav>")]
    assert '<li><span aria-current="page">第3版</span></li>' in strip
    assert f'<li><a href="../../{day[3].url}">第4版</a></li>' in strip
    assert f'<a rel="prev" href="../../{day[1].url}"><span>上一版</span>2012年1月3日 第2版 · ' in html
    # the page before 第1版 is the previous day's 第8版
    first = main_of(out / day[0].url / "index.html")
    previous = next(sp for sp in result.site.pages if sp.date.iso == "2012-01-02" and sp.label == "第8版")
    assert f'<a rel="prev" href="../../{previous.url}"><span>上一版</span>2012年1月2日 第8版 · ' in first


def test_pages_index_lists_every_page_by_year_and_month(built):
    out, result = built
    html = main_of(out / "pages/index.html")
    for sp in result.site.pages:
        assert f'<a href="../{sp.url}">' in html
    years = re.findall(r'<h2 id="py(\d{4})">', html)
    assert years == ["2026", "2022", "2021"]
    assert html.index("2022年4月") < html.index("2022年2月")


def test_archive_month_of_a_daily_is_a_calendar_of_day_pages(generated):
    _, out, result = generated
    html = main_of(out / "2012/01/index.html")
    assert '<caption>2012年1月各日版面</caption>' in html
    assert '<a href="../../2012/01/03/"><span class="day">3<span class="visually-hidden">日</span></span>8版' in html
    day = main_of(out / "2012/01/03/index.html")
    assert "<h1>2012年1月3日</h1>" in day
    sections = re.findall(r'<h2 id="p-[^"]+"><a href="[^"]+">([^<]+)</a>', day)
    assert sections == [f"第{n}版" for n in range(1, 9)]
    assert '<a rel="prev" href="../../../2012/01/02/"><span>上一期</span>2012年1月2日</a>' in day


def test_a_month_of_undated_pages_is_split_without_breaking_a_page(generated):
    _, out, result = generated
    year = next(y for y in result.site.years if y.year == 2012)
    march = year.month(3)
    assert march.story_count > LIST_SIZE and len(march.list_pages) >= 2
    assert [lp.url for lp in march.list_pages][:2] == ["2012/03/", "2012/03/page/2/"]
    shown = [e for lp in march.list_pages for e in lp.stories]
    assert shown == [e for sp in march.pages for e in sp.stories]  # every story once, in date and print order
    for lp in march.list_pages:
        assert len(lp.stories) <= LIST_SIZE
        pages = {e.site_page for e in lp.stories}
        assert all(set(sp.stories) <= set(lp.stories) for sp in pages)  # no 版面 split over two list pages
    html = main_of(out / "2012/03/page/2/index.html")
    assert '<a rel="prev" href="../../../../2012/03/">上一页</a>' in html


# ---------------------------------------------------------------------------- a story's 本版 context
def test_story_has_breadcrumb_and_the_stories_of_its_page_in_print_order(built):
    out, result = built
    entry = next(e for e in result.site.stories if e.title == "食用菌产业年创产值6亿元")
    html = main_of(out / entry.url / "index.html")
    crumb = html[html.index('<nav class="breadcrumb"'):html.index("</nav>")]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', crumb) == [("../../../2021/", "2021年"), ("../../../2021/06/", "6月"),
                                                                   ("../../../pages/2021-06-sijie-sanyin/", "版面")]
    assert '<span aria-current="page">食用菌产业年创产值6亿元</span>' in crumb
    rail = html[html.index('<nav class="edition"'):]
    rail = rail[:rail.index("</nav>")]
    titles = re.findall(r'<a href="[^"]+"(?: aria-current="page")?>([^<]+)</a></li>', rail)
    assert titles == [e.title for e in entry.site_page.stories]
    assert '<a href="../../../2021/06/shi-yong-jun-chan-ye-nian-chuang-chan/" aria-current="page">食用菌产业年创产值6亿元</a>' in rail
    # related stories come from other pages: this page's stories are already beside it
    assert all(r.site_page is not e.site_page for e in result.site.stories for r in e.related)


def test_bylines_are_labelled(built):
    out, result = built
    names_only = next(e for e in result.site.stories if e.story.byline == "李永诚 李国恩")
    assert '<p class="byline"><span class="byline-label">署名：</span>李永诚 李国恩</p>' in main_of(out / names_only.url / "index.html")
    with_role = next(e for e in result.site.stories if e.story.byline == "本报记者 张旭")
    assert '<p class="byline">本报记者 张旭</p>' in main_of(out / with_role.url / "index.html")


# ---------------------------------------------------------------------------- lists that scale
def test_no_list_page_links_more_than_60_stories_or_weighs_more_than_150_kb(generated):
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "bench"))
    from site_figures import figures

    _, out, result = generated
    f = figures(out)
    assert f["stories"] == len(result.site.stories) > 600
    assert f["most_story_links"][1] <= LIST_SIZE, f["most_story_links"]
    assert f["largest"][1] <= 150 * 1024, f["largest"]
    theme = max(result.site.themes, key=lambda t: len(t.stories))
    assert len(theme.stories) > 2 * LIST_SIZE and len(theme.list.years[2012]) >= 3


def test_every_story_is_within_three_clicks_of_the_archive(generated):
    _, out, result = generated
    depth = {"archive/index.html": 0}
    queue = deque(["archive/index.html"])
    while queue:
        rel = queue.popleft()
        if depth[rel] == 3:
            continue
        html = (out / rel).read_text(encoding="utf-8")
        html = html[html.index("<main"):]  # the header's links (home, themes) are not the archive's
        for href in re.findall(r'href="([^"#?]+)"', html):
            target = urlparse(urljoin("http://site/" + rel, href)).path.lstrip("/")
            if target.endswith("/") or target == "":
                target += "index.html"
            if target.endswith(".html") and target not in depth and (out / unquote(target)).is_file():
                depth[target] = depth[rel] + 1
                queue.append(target)
    missing = [e.url for e in result.site.stories if e.url + "index.html" not in depth]
    assert missing == []


def test_adding_an_issue_changes_only_the_current_years_last_list_pages(tmp_path):
    content = tmp_path / "content"
    generate_pages(content, daily=72)
    first = build_site(tmp_path / "a", content=content)
    before = {t.slug: [[e.url for e in lp.stories] for lp in t.list.years[2012]] for t in first.site.themes if t.list.years}
    generate_pages(tmp_path / "more", daily=80)
    for name in sorted(p.name for p in (tmp_path / "more").glob("d-*.md"))[72:]:  # day 10: the next issue
        shutil.copyfile(tmp_path / "more" / name, content / name)
    second = build_site(tmp_path / "b", content=content)
    changed_pages = 0
    for t in second.site.themes:
        if t.slug not in before:
            continue
        after = [[e.url for e in lp.stories] for lp in t.list.years[2012]]
        old = before[t.slug]
        assert after[: len(old) - 1] == old[:-1], t.slug  # every earlier list page shows the same stories
        assert set(old[-1]) <= set(after[len(old) - 1])  # the last one may gain the new issue's stories
        changed_pages += sum(1 for a, b in zip(after, old) if a != b)
    assert changed_pages <= len(before)  # at most the last page of each list


def test_keywords_have_their_own_index_most_used_first(built):
    out, result = built
    html = main_of(out / "tags/index.html")
    counts = [int(n) for n in re.findall(r'</a> <span class="count">(\d+)</span></li>', html)]
    assert len(counts) == len(result.site.keywords) and counts == sorted(counts, reverse=True)
    assert "关键词" not in main_of(out / "themes/index.html").split("</header>")[1]


# ---------------------------------------------------------------------------- URLs
def test_a_story_url_that_would_replace_an_archive_page_is_an_error_naming_both(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text("---\ndate: 2022-04\n---\n## 口袋公园\n\n**本报讯** 城区新建口袋公园3处。\n", encoding="utf-8")
    (content / "b.md").write_text("---\ndate: 2022\n---\n## 04\n\n**本报讯** 一则标题为数字的稿件。\n", encoding="utf-8")
    with pytest.raises(SiteError) as info:
        build_site(tmp_path / "public", content=content)
    message = str(info.value)
    assert message.startswith(str(content / "a.md")) and "the archive page of 2022年4月 would be published at /2022/04/" in message
    assert f"story '04' of {content / 'b.md'}" in message


# ---------------------------------------------------------------------------- in Chromium
@pytest.fixture(scope="module")
def generated_server(generated):
    srv = _Server(generated[1])
    yield srv
    srv.close()


def test_desktop_header_is_one_row_and_the_rail_stays_beside_the_story(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(server.url + "2026/01/di-qi-rong-he-mou-gong-ying/")
    boxes = {sel: page.locator(sel).bounding_box() for sel in (".site-title", ".site-nav", "#site-search-q", "article.story", "aside.rail")}
    assert abs(boxes[".site-title"]["y"] - boxes["#site-search-q"]["y"]) < 20 and abs(boxes[".site-nav"]["y"] - boxes[".site-title"]["y"]) < 20
    assert boxes["aside.rail"]["x"] > boxes["article.story"]["x"] + boxes["article.story"]["width"]
    placeholder = page.locator("#site-search-q").get_attribute("placeholder")
    assert page.evaluate("el => el.scrollWidth <= el.clientWidth", page.locator("#site-search-q").element_handle()) and placeholder
    # the side 本文目录 sticks and follows the reader
    assert page.locator(".toc-rail").evaluate("el => getComputedStyle(el).position") == "sticky"
    assert page.locator(".toc-inline").is_hidden()
    page.locator("#s2").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 200)")
    expect(page.locator(".toc-rail a[aria-current]")).to_have_text("人才共育激活力")
    assert page.locator(".toc-rail").bounding_box()["y"] >= 0  # still on screen after scrolling
    # back to top floats once the reader is down the page
    assert page.locator(".to-top").evaluate("el => el.classList.contains('floating')")
    ctx.close()


@pytest.mark.parametrize("path", ["", "pages/index.html", "2012/01/", "2012/01/03/", "2012/03/page/2/", "archive/", "tags/"])
def test_generated_archive_at_phone_width(phone, generated_server, path):
    response = phone.goto(generated_server.url + path)
    assert response.status == 200
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.errors == []


def test_phone_shows_the_pages_stories_after_the_story(phone, server):
    phone.goto(server.url + "2021/06/shi-yong-jun-chan-ye-nian-chuang-chan/")
    story, rail = phone.locator("article.story").bounding_box(), phone.locator("nav.edition").bounding_box()
    assert rail["y"] > story["y"] + story["height"] - 1
    assert phone.locator(".toc-rail").count() == 0 or phone.locator(".toc-rail").is_hidden()


def test_printout_carries_site_date_label_and_address(browser, tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "x.md").write_text("---\ndate: 2022-04-15\npage: 第3版\n---\n## 口袋公园\n\n**本报讯** 城区新建口袋公园3处，方便市民休闲。\n",
                                  encoding="utf-8")
    result = build_site(tmp_path / "public", content=content, base_url="https://example.org/archive/")
    srv = _Server(tmp_path / "public")
    try:
        page = browser.new_page()
        page.emulate_media(media="print")
        page.goto(srv.url + result.site.stories[0].url)
        head = page.locator(".print-head")
        assert head.is_visible()
        assert head.inner_text() == f"新闻档案 · 2022年4月15日 · 第3版 · https://example.org/archive/{result.site.stories[0].url}"
        assert page.locator(".site-header").is_hidden() and page.locator(".rail .edition").is_hidden()
        assert page.locator(".print-address").is_visible()
        page.close()
    finally:
        srv.close()
