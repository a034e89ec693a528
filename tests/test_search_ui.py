"""Search a reader reaches for (issue 15), in real Chromium: instant results in the header box on
every page (the WAI-ARIA combobox pattern, the search code loaded only on demand), the hit marked
on arrival, date order and year filters in the URL, only results that hold the terms as typed, and
the reader's place kept across Back. A query is never HTML."""
from __future__ import annotations

import re
from urllib.parse import quote, unquote

import pytest
from playwright.sync_api import expect

STORY = "2021/06/shi-yong-jun-chan-ye-nian-chuang-chan/"
FEATURE = "2026/01/di-qi-rong-he-mou-gong-ying/"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def desk(browser):
    """A 1280-px page that records console errors and every request."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.errors, page.requests, page.dialogs = [], [], []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    yield page
    ctx.close()


def article_text(page) -> str:
    return page.locator("article.story").inner_text()


# ---------------------------------------------------------------------------- 1. from every page
def test_header_box_loads_search_code_only_when_used(desk, server):
    desk.goto(server.url + STORY)
    desk.wait_for_load_state("networkidle")
    assert not [u for u in desk.requests if "lunr" in u or "search.js" in u or "/search/index/" in u]
    desk.focus("#site-search-q")
    desk.wait_for_function("() => window.lingyuanSearch !== undefined")
    assert any(u.endswith("static/vendor/lunr.min.js") for u in desk.requests)


def test_header_box_is_a_combobox_with_keyboard(desk, server):
    desk.goto(server.url + STORY)
    box = desk.locator("#site-search-q")
    assert box.get_attribute("role") is None or box.get_attribute("role") == "combobox"
    box.focus()
    desk.keyboard.type("凌钢", delay=40)
    options = desk.locator("#site-search-panel [role=option]")
    expect(options.first).to_be_visible()
    # the panel is painted twice (the first result, then up to five more): the keys go to the second
    expect(options).to_have_count(6)
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-controls") == "site-search-panel"
    assert desk.locator("#site-search-panel").get_attribute("role") == "listbox"
    titles = desk.locator("#site-search-panel .search-option-title").all_inner_texts()
    assert titles[0] == "地企融合谋共赢" and titles[-1] == "全部结果"
    assert options.last.get_attribute("href") == "../../../search/?q=" + quote("凌钢")
    assert options.first.get_attribute("href") == "../../../" + FEATURE + "?h=" + quote("凌钢")
    desk.keyboard.press("ArrowDown")
    first_id = options.first.get_attribute("id")
    assert box.get_attribute("aria-activedescendant") == first_id and options.first.get_attribute("aria-selected") == "true"
    desk.keyboard.press("ArrowUp")  # wraps to 全部结果
    assert box.get_attribute("aria-activedescendant") == options.last.get_attribute("id")
    desk.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and desk.locator("#site-search-panel").is_hidden()
    desk.keyboard.press("ArrowDown")  # opens again
    expect(desk.locator("#site-search-panel")).to_be_visible()
    desk.keyboard.press("ArrowDown")
    desk.keyboard.press("Enter")
    desk.wait_for_url("**/" + FEATURE + "?h=*")
    assert desk.locator("h1").inner_text() == "地企融合谋共赢"
    assert desk.errors == []


def test_slash_focuses_the_search_box_from_anywhere(desk, server):
    desk.goto(server.url + "archive/")
    desk.locator("body").click(position={"x": 5, "y": 400})
    desk.keyboard.press("/")
    assert desk.evaluate("document.activeElement.id") == "site-search-q"
    desk.goto(server.url + "search/")
    desk.keyboard.press("/")
    assert desk.evaluate("document.activeElement.id") == "search-q"


def test_enter_without_a_choice_opens_every_result_and_the_search_page_has_one_box(desk, server):
    desk.goto(server.url + STORY)
    desk.fill("#site-search-q", "热水汤")
    desk.press("#site-search-q", "Enter")
    desk.wait_for_url("**/search/?q=" + quote("热水汤"))
    desk.wait_for_selector("#search-results li")
    assert desk.locator("input[type=search]").count() == 1
    assert desk.input_value("#search-q") == "热水汤"


def test_markup_typed_in_the_header_box_stays_text(desk, server):
    desk.goto(server.url + STORY)
    desk.focus("#site-search-q")
    desk.keyboard.type(XSS + " 凌钢", delay=5)
    expect(desk.locator("#site-search-panel")).to_be_visible()
    desk.wait_for_timeout(300)
    assert desk.locator("#site-search-panel img").count() == 0 and desk.locator("img[src=x]").count() == 0
    assert desk.dialogs == []


# ---------------------------------------------------------------------------- 2. marked on arrival
def test_every_match_is_marked_on_arrival_with_previous_next_and_clear(desk, server):
    desk.goto(server.url + FEATURE + "?h=" + quote("凌钢"))
    marks = desk.locator("article mark.hit")
    expect(desk.locator(".hit-bar")).to_be_visible()
    text = article_text(desk)
    assert marks.count() == text.count("凌钢") == 31
    assert set(marks.all_inner_texts()) == {"凌钢"}
    bar = desk.locator(".hit-count")
    assert bar.inner_text() == "“凌钢” 第 1 处，共 31 处"
    desk.click(".hit-bar >> text=下一处")
    assert bar.inner_text() == "“凌钢” 第 2 处，共 31 处"
    assert marks.nth(1).evaluate("m => m.classList.contains('current')")
    box = marks.nth(1).bounding_box()
    assert 0 <= box["y"] <= 900  # scrolled to it
    desk.click(".hit-bar >> text=上一处")
    desk.click(".hit-bar >> text=上一处")
    assert bar.inner_text() == "“凌钢” 第 31 处，共 31 处"
    desk.click(".hit-bar >> text=清除")
    assert marks.count() == 0 and desk.locator(".hit-bar").count() == 0
    assert "h=" not in desk.url and article_text(desk) == text


def test_marks_fold_width_case_and_traditional(desk, server):
    desk.goto(server.url + FEATURE + "?h=" + quote("ＬＮＧ"))
    expect(desk.locator(".hit-bar")).to_be_visible()
    assert set(desk.locator("article mark.hit").all_inner_texts()) == {"LNG"}
    desk.goto(server.url + FEATURE + "?h=" + quote("凌鋼"))  # Traditional, folded with the site's table
    expect(desk.locator(".hit-bar")).to_be_visible()
    assert desk.locator("article mark.hit").count() == 31


def test_markup_in_h_is_only_ever_text(desk, server):
    desk.goto(server.url + FEATURE + "?h=" + quote(XSS + " 凌钢"))
    expect(desk.locator(".hit-bar")).to_be_visible()
    assert desk.locator("img").count() == 0 and desk.dialogs == []
    assert XSS in desk.locator(".hit-count").inner_text()


# ---------------------------------------------------------------------------- 3. date order and filters
def result_dates(page) -> list[str]:
    page.wait_for_selector("#search-status:has-text('找到'), #search-status:has-text('没有找到')")
    return page.locator("#search-results li time").evaluate_all("ts => ts.map(t => t.getAttribute('datetime'))")


def test_date_order_and_years_in_the_url_and_the_controls(desk, server):
    desk.goto(server.url + "search/?q=" + quote("凌钢") + "&sort=date")
    dates = result_dates(desk)
    assert dates == ["2026-01", "2022-02", "2021-06", "2021-06", "2021"]
    assert desk.input_value("#search-sort") == "date"
    assert desk.locator("#search-results li .meta").first.inner_text() == "2026年1月"
    desk.goto(server.url + "search/?q=" + quote("凌钢") + "&year=2021")
    assert set(result_dates(desk)) == {"2021-06", "2021"}
    assert desk.input_value("#search-from") == "2021" and desk.input_value("#search-to") == "2021"
    desk.goto(server.url + "search/?q=" + quote("凌钢") + "&sort=date&year=2022-2026")
    assert result_dates(desk) == ["2026-01", "2022-02"]
    assert "2022—2026年" in desk.locator("#search-status").inner_text()
    # the controls write the URL, and Back brings the last state back
    desk.select_option("#search-from", "")
    desk.wait_for_url("**/search/?q=*&sort=date&year=-2026")
    assert len(result_dates(desk)) == 5 and "2026年及以前" in desk.locator("#search-status").inner_text()
    desk.select_option("#search-to", "2022")
    desk.wait_for_url("**/search/?q=*&sort=date&year=-2022")
    assert result_dates(desk) == ["2022-02", "2021-06", "2021-06", "2021"]
    desk.go_back()
    desk.go_back()
    desk.wait_for_url("**/search/?q=*&sort=date&year=2022-2026")
    assert result_dates(desk) == ["2026-01", "2022-02"] and desk.input_value("#search-from") == "2022"


def test_year_facets_and_theme_combine(desk, server, built):
    _, result = built
    agri_2021 = {e.title for e in result.site.stories if "agriculture" in e.story.themes and e.date.year == 2021}
    desk.goto(server.url + "search/?q=" + quote("项目") + "&theme=agriculture&year=2021")
    result_dates(desk)
    titles = set(desk.locator("#search-results li h2").all_inner_texts())
    assert titles and titles <= agri_2021
    desk.goto(server.url + "search/?q=" + quote("凌钢"))
    result_dates(desk)
    assert desk.locator("#search-years .year-facet").all_inner_texts() == ["2026年 1", "2022年 1", "2021年 3"]
    desk.click("#search-years >> text=2021年")
    desk.wait_for_url("**year=2021*")
    assert set(result_dates(desk)) == {"2021-06", "2021"}


def test_markup_in_filters_is_ignored(desk, server):
    desk.goto(server.url + "search/?q=" + quote("凌钢") + "&year=" + quote(XSS) + "&theme=" + quote(XSS) + "&sort=" + quote(XSS))
    assert len(result_dates(desk)) == 5  # an unknown theme, sort or year is ignored
    assert desk.locator("main img").count() == 0 and desk.dialogs == []


# ---------------------------------------------------------------------------- 4. exact terms
def test_results_hold_every_term_as_typed(desk, server, built):
    out, _ = built
    from lingyuan_site import search

    for q in ("融合作", "京津冀 旅游", '"凌源 影调戏"', "源市"):
        desk.goto(server.url + "search/?q=" + quote(q))
        result_dates(desk)
        terms = search.query_terms(q)
        for link in desk.locator("#search-results li h2 a").evaluate_all("as => as.map(a => a.getAttribute('href'))"):
            url = unquote(link.split("?")[0]).replace("../", "")
            html = (out / url / "index.html").read_text(encoding="utf-8")
            assert search.holds_terms(re.sub(r"<[^>]+>", "", html), terms), (q, url)
    desk.goto(server.url + "search/?q=" + quote("融合作"))
    result_dates(desk)
    assert desk.locator("#search-status").inner_text().startswith("没有找到")


# ---------------------------------------------------------------------------- 5. keyboard and state
def test_back_brings_back_query_results_place_and_focus(desk, server):
    desk.goto(server.url + "search/?q=" + quote("源市"))
    result_dates(desk)
    desk.click("#search-more")
    desk.wait_for_function("() => document.querySelectorAll('#search-results li').length === 20")
    link = desk.locator("#search-results li h2 a").nth(14)
    link.scroll_into_view_if_needed()
    title = link.inner_text()
    desk.wait_for_timeout(300)
    scrolled = desk.evaluate("window.scrollY")
    assert scrolled > 500
    link.click()
    desk.wait_for_url("**?h=*")
    desk.go_back()
    desk.wait_for_function("() => document.querySelectorAll('#search-results li').length === 20")
    desk.wait_for_function("() => document.activeElement && document.activeElement.tagName === 'A'")
    assert desk.evaluate("document.activeElement.textContent") == title
    assert abs(desk.evaluate("window.scrollY") - scrolled) < 50
    assert desk.input_value("#search-q") == "源市"
    assert desk.locator("#search-status").get_attribute("aria-live") == "polite"
    assert desk.locator("#search-status").inner_text().startswith("找到 20 篇")
