"""The rendered site: one page per story with its title in the h1, links that resolve, Chinese
markup, nothing Traditional, and the same bytes on every build."""
from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from conftest import build_site
from lingyuan_site.normalize import traditional_chars_in
from lingyuan_site.views import body_sections, data_box


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.h1, self.text, self.lang, self.ids = [], [], [], None, set()
        self._in_h1 = self._skip = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if key in attrs and tag in ("a", "link", "script", "img"):
                self.links.append(attrs[key])
        if tag == "h1":
            self._in_h1 = True
            self.h1.append("")
        if tag in ("script", "style"):
            self._skip = True

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False
        if tag in ("script", "style"):
            self._skip = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1[-1] += data
        if not self._skip:
            self.text.append(data)


def read(path: Path) -> Page:
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def html_files(out: Path):
    return sorted(out.rglob("*.html"))


def test_every_story_has_exactly_one_page_with_its_title_in_h1(built):
    out, result = built
    stories = result.site.stories
    assert len(stories) == 22
    assert len({s.url for s in stories}) == 22
    h1s = {}
    for path in html_files(out):
        for h in read(path).h1:
            h1s.setdefault(h.strip(), []).append(path.relative_to(out).as_posix())
    for entry in stories:
        assert h1s.get(entry.story.title) == [entry.url + "index.html"], entry.story.title


def test_story_urls_are_readable_ascii_by_date():
    from lingyuan_site.structure import slugify

    assert slugify("凌源影调戏亮相全国稀有剧种嘉年华") == "ling-yuan-ying-diao-xi-liang-xiang-quan"
    assert slugify("倡导文明健康绿色环保生活方式") == "chang-dao-wen-ming-jian-kang-lv-se"
    assert slugify("总投资174亿元 LNG项目") == "zong-tou-zi-174-yi-yuan-lng-xiang"


def test_story_urls(built):
    _, result = built
    urls = {e.story.title: e.url for e in result.site.stories}
    assert urls["地企融合谋共赢"] == "2026/01/di-qi-rong-he-mou-gong-ying/"
    assert urls["奋楫扬帆开新局"] == "2021/fen-ji-yang-fan-kai-xin-ju/"  # a year-only date
    assert urls["食用菌产业年创产值6亿元"] == "2021/06/shi-yong-jun-chan-ye-nian-chuang-chan/"
    assert all(re.fullmatch(r"[0-9a-z/-]+", u) for u in urls.values())


def test_every_internal_link_resolves(built):
    out, _ = built
    checked = 0
    for path in html_files(out):
        rel = path.relative_to(out).as_posix()
        if rel == "404.html":
            continue  # its links start from the base path; checked in test_404_links_from_base_path
        page = read(path)
        base = "http://site/" + rel
        for href in page.links:
            target = urlparse(urljoin(base, href))
            if target.netloc != "site":
                continue
            local = out / unquote(target.path.lstrip("/"))
            if target.path.endswith("/"):
                local = local / "index.html"
            assert local.is_file(), f"{rel}: link {href} → {local.relative_to(out)} missing"
            if target.fragment and local == path:
                assert target.fragment in page.ids, f"{rel}: #{target.fragment} missing"
            checked += 1
    assert checked > 300


def test_404_links_from_base_path(built):
    out, _ = built
    page = read(out / "404.html")
    assert "/" in page.links and "/archive/" in page.links and "/static/css/site.css" in page.links


def test_html_is_chinese_and_has_no_traditional_characters(built):
    out, _ = built
    for path in html_files(out):
        page = read(path)
        assert page.lang == "zh-CN", path
        assert traditional_chars_in("".join(page.text)) == [], path


def test_story_page_shows_everything_of_the_story(built):
    out, result = built
    entry = next(e for e in result.site.stories if e.story.title == "凌源市：加压奋进当好朝阳振兴先锋队")
    html = (out / entry.url / "index.html").read_text(encoding="utf-8")
    for text in ["本报记者 张旭", "核心提示", "数说 2021", "<dt>地区生产总值</dt><dd>161.4亿元</dd>", "<h3>强化科技支撑</h3>",
                 "辽宁炜盛新型复合材料有限公司正在生产中。 <span class=\"credit\">本报特约记者 仇一军 摄</span>",
                 '<h2 id="s2">挂图作战 全力跑出项目建设新速度</h2>', '<a href="#s2">挂图作战 全力跑出项目建设新速度</a>',
                 "<span>聚焦</span><span>高质量</span>", "本版图片除署名外由本报记者张旭摄", "2022年2月",
                 'href="../../../pages/2022-02-jiaya-fenjin/"']:
        assert text in html, text
    text = "".join(read(out / entry.url / "index.html").text)
    for paragraph in entry.story.paragraphs:
        assert paragraph in text


def test_figure_follows_the_paragraph_it_interrupted(seeds):
    story = seeds["000"].stories[0]
    blocks = body_sections(story)[0]["blocks"]
    kinds = [b["kind"] for b in blocks]
    assert kinds == ["figure"] + ["p"] * 7 + ["figure"] + ["p"] * 3
    assert blocks[8]["text"] == "凌钢集团焦炉装备升级绿色发展改造项目中控室。"
    assert blocks[7]["text"].startswith("“双凌共建 融合发展”战略实施以来")


def test_data_groups(seeds):
    groups = data_box(seeds["002"].stories[0])["groups"]
    assert [(g["heading"], [i["label"] for i in g["rows"]]) for g in groups] == [
        (None, ["地区生产总值", "一般公共预算收入", "社会消费品零售总额", "农村常住居民人均可支配收入"]),
        ("强化科技支撑", ["获批雏鹰企业", "获批瞪羚企业"]),
    ]


def test_page_view_lists_stories_in_print_order_with_columns(built):
    out, result = built
    html = (out / "pages/2021-06-sijie-sanyin/index.html").read_text(encoding="utf-8")
    html = html[html.index("<main"):]
    assert "<h1>版面：凌源通过“四接三引”融入京津冀</h1>" in html
    titles = [e.story.title for e in result.site.stories if e.site_page.slug == "2021-06-sijie-sanyin"]
    positions = [html.index(t) for t in titles]
    assert positions == sorted(positions)
    assert html.index("凌源时讯 <span>SHIXUN</span>") < html.index("建设区域性物流集散中心")
    assert html.index("图说 <span>TUSHUO</span>") < html.index("智能滑轨走俏市场")


def test_archive_counts_by_year_and_month(built):
    out, _ = built
    html = (out / "archive/index.html").read_text(encoding="utf-8")
    assert '<h2 id="y2021"><a href="../2021/">2021年</a> <span class="count">2个版面 · 10篇</span></h2>' in html
    assert '<a href="../2021/06/"><b>6月</b><span>1版 · 9篇</span></a>' in html
    assert '<a href="../2021/"><b>月份不详</b><span>1版 · 1篇</span></a>' in html
    assert '<a href="../2022/04/"><b>4月</b><span>1版 · 6篇</span></a>' in html
    assert '<span class="empty"><b>5月</b><span>—</span></span>' in html  # a month with no page


def test_prev_next_follow_reading_order(built):
    _, result = built
    stories = result.site.stories
    assert stories[0].prev is None and stories[-1].next is None
    assert all(a.next is b and b.prev is a for a, b in zip(stories, stories[1:]))
    assert stories[0].story.title == "奋楫扬帆开新局"  # 2021 sorts before 2021-06


def test_two_builds_are_byte_identical(tmp_path, built):
    out, _ = built
    again = tmp_path / "again"
    build_site(again)

    def digest(root):
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}

    assert digest(again) == digest(out)


def test_a_page_of_many_stories_lists_forty_around_each_story(tmp_path):
    """本版稿件 on a story of a page with more stories than EDITION_MAX: the 40 around it, the
    story itself marked, and a line saying how many the page has, linking to the page view.
    (Listing every story on every story made a page of 1,940 stories render quadratically.)"""
    import random
    import sys as _sys

    from conftest import ROOT, generate_pages
    from lingyuan_site.views import EDITION_MAX

    _sys.path.insert(0, str(ROOT / "bench"))
    import generate

    content = tmp_path / "content"
    generate_pages(content, monthly=1)
    rng = random.Random(5)
    sentences, _, captions = generate.material()
    bodies = [generate.page_text(i, rng, sentences, captions).split("\n---\n", 1)[1] for i in range(14)]
    (content / "big.md").write_text("---\ndate: 2022-04-01\nlabel: 第1版\n---\n" + "\n".join(bodies), encoding="utf-8")
    out = tmp_path / "public"
    result = build_site(out, content=content)
    stories = [s for s in result.site.stories if s.site_page.model.path.endswith("big.md")]
    total = len(stories)
    assert total > EDITION_MAX + 20
    page_url = stories[0].site_page.url
    for i, first in ((0, 0), (30, 30 - EDITION_MAX // 2), (total - 1, total - EDITION_MAX)):
        html = (out / stories[i].url / "index.html").read_text(encoding="utf-8")
        edition = html.split('<nav class="edition"', 1)[1].split("</nav>", 1)[0]
        listed = re.findall(r'<li class="edition-\w+"><a href="[^"]*"( aria-current="page")?>([^<]*)</a>', edition)
        assert [t for _, t in listed] == [s.title for s in stories[first : first + EDITION_MAX]]
        assert [t for cur, t in listed if cur] == [stories[i].title]
        assert f"本版共 {total} 篇，此处列出第 {first + 1}–{first + EDITION_MAX} 篇" in edition
        assert re.search(r'<a href="(\.\./)+' + re.escape(page_url) + '">全部见版面</a>', edition)
    # a printed page's stories are all listed, with no such line
    other = (out / next(s for s in result.site.stories if not s.site_page.model.path.endswith("big.md")).url / "index.html").read_text(encoding="utf-8")
    assert '<nav class="edition"' in other and "全部见版面" not in other
