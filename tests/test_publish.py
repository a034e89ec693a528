"""Publishing: Atom feeds, sitemap, robots, story metadata, sub-path hosting, live preview, and
Lighthouse scores."""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
import time
from xml.etree import ElementTree

import feedparser
import pytest

from conftest import CONTENT, ROOT, _Server, build_site, digest
from lingyuan_site.views import description

BASE = "https://example.org/archive/"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    out = tmp_path_factory.mktemp("pub") / "public"
    return out, build_site(out, base_url=BASE)


def test_site_feed_has_one_entry_per_story(published):
    out, result = published
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "凌源新闻档案：最新稿件"
    links = [e.link for e in feed.entries]
    assert len(links) == len(set(links)) == len(result.site.stories) == 22
    assert links[0] == BASE + result.site.latest[0].url
    entry = next(e for e in feed.entries if e.title == "食用菌产业年创产值6亿元")
    assert entry.link == BASE + "2021/06/shi-yong-jun-chan-ye-nian-chuang-chan/"
    assert entry.updated.startswith("2021-06-01")
    assert entry.summary.startswith("近年来，凌源市食用菌产业规模不断扩大")
    assert {t.term for t in entry.tags} == set(next(e for e in result.site.stories if e.title == entry.title).story.themes)


def test_theme_feeds(published):
    out, result = published
    for theme in result.site.themes:
        if not theme.stories:
            assert not (out / theme.url / "feed.xml").exists()
            continue
        feed = feedparser.parse((out / theme.url / "feed.xml").read_bytes())
        assert not feed.bozo
        assert [e.link for e in feed.entries] == [BASE + e.url for e in theme.stories]
        html = (out / theme.url / "index.html").read_text(encoding="utf-8")
        assert f'<link rel="alternate" type="application/atom+xml" title="凌源新闻档案：主题：{theme.name}" href="../../{theme.url}feed.xml">' in html


def test_feed_dates_are_deterministic_or_from_source_date_epoch(tmp_path, published):
    out, _ = published
    assert "<updated>2026-01-01T00:00:00Z</updated>" in (out / "feed.xml").read_text(encoding="utf-8")
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"  # 2023-11-14T22:13:20Z, unlike any story date
    try:
        build_site(tmp_path / "p", base_url=BASE)
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    feed = (tmp_path / "p" / "feed.xml").read_text(encoding="utf-8")
    assert "<updated>2023-11-14T22:13:20Z</updated>" in feed.split("<entry>")[0]


def test_sitemap_lists_every_page(published):
    out, result = published
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    # sitemap.xml is an index of sitemaps: one for the archive's own pages, one for each year
    index = ElementTree.parse(out / "sitemap.xml").getroot()
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = [m.find("s:loc", ns).text for m in index.findall("s:sitemap", ns)]
    years = sorted({e.date.year for e in result.site.stories})
    assert parts == [f"{BASE}sitemap-main.xml", *(f"{BASE}sitemap-{y}.xml" for y in years)] == \
        [f"{BASE}sitemap-main.xml", f"{BASE}sitemap-2021.xml", f"{BASE}sitemap-2022.xml", f"{BASE}sitemap-2026.xml"]
    locs = {}
    for part in parts:
        tree = ElementTree.parse(out / part[len(BASE):])
        for u in tree.getroot().findall("s:url", ns):
            loc = u.find("s:loc", ns).text
            assert loc not in locs
            locs[loc] = u.find("s:lastmod", ns).text if u.find("s:lastmod", ns) is not None else None
    html_pages = {BASE + p.relative_to(out).as_posix()[: -len("index.html")] for p in out.rglob("index.html")}
    assert set(locs) == html_pages
    for e in result.site.stories:
        assert locs[BASE + e.url] == e.date.iso
    assert (out / "robots.txt").read_text(encoding="utf-8") == f"User-agent: *\nAllow: /\nSitemap: {BASE}sitemap.xml\n"


def meta(html: str, prop: str, attr: str = "property") -> list:
    return re.findall(rf'<meta {attr}="{re.escape(prop)}" content="([^"]*)">', html)


def test_every_story_page_has_its_metadata(published):
    out, result = published
    for e in result.site.stories:
        html = (out / e.url / "index.html").read_text(encoding="utf-8")
        url = BASE + e.url
        assert f'<link rel="canonical" href="{url}">' in html
        described = description(e.story, e.title)
        assert meta(html, "description", "name") == [described] and described
        assert described.startswith((e.story.summary or e.story.paragraphs or [""])[0][:20].replace("本报讯 ", "")[:10])
        assert meta(html, "og:type") == ["article"]
        assert meta(html, "og:title") == [e.title]
        assert meta(html, "og:url") == [url]
        assert meta(html, "article:published_time") == [e.date.iso]
        ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
        assert ld["@type"] == "NewsArticle"
        assert ld["headline"] == e.title
        assert ld["datePublished"] == e.date.iso  # in the date's own precision: 2022-04, 2021
        assert ld["url"] == url
        assert ld["publisher"] == {"@type": "Organization", "name": "凌源新闻档案"}
        assert ld["author"]["name"] == (e.story.byline or "凌源新闻档案")
        assert ld.get("articleSection", []) == [t.name for t in e.themes]


def test_json_ld_cannot_close_the_script(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "x.md").write_text("---\ndate: 2022-06\n---\n## 标题</script><script>alert(1)</script>\n\n**本报讯** 正文&amp;。\n", encoding="utf-8")
    out = tmp_path / "public"
    result = build_site(out, content=content)
    html = (out / result.site.stories[0].url / "index.html").read_text(encoding="utf-8")
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and json.loads(block)["headline"] == "标题</script><script>alert(1)</script>"


def test_path_only_base_url_writes_no_invalid_absolute_links(built):
    out, _ = built
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'rel="canonical"' not in html
    assert "Sitemap:" not in (out / "robots.txt").read_text(encoding="utf-8")


def test_sub_path_hosting_links_and_search(tmp_path, phone):
    out = tmp_path / "public"
    build_site(out, base_url=BASE)
    srv = _Server(out, "/archive/")
    try:
        phone.goto(srv.url)
        assert phone.locator("h1").inner_text() == "凌源新闻档案"
        phone.click(".masthead >> text=按年月浏览")
        phone.wait_for_url("**/archive/archive/")
        phone.click("a[href='../2021/06/']")
        phone.wait_for_url("**/archive/2021/06/")
        phone.click("text=食用菌产业年创产值6亿元 >> nth=0")
        phone.wait_for_url("**/archive/2021/06/shi-yong-jun-chan-ye-nian-chuang-chan/")
        phone.click("text=农业农村")
        phone.wait_for_url("**/archive/themes/agriculture/")
        phone.fill("#site-search-q", "种球")
        phone.press("#site-search-q", "Enter")
        phone.wait_for_url("**/archive/search/?q=*")
        phone.wait_for_selector("#search-results li")
        phone.click("#search-results a >> nth=0")
        phone.wait_for_url("**/archive/2026/01/bai-he-you-zhi-zhong-qiu-shi-xian/?h=*")
        assert phone.locator("h1").inner_text() == "百合优质种球实现国产化"
        assert phone.errors == []
        assert phone.goto(srv.url + "no/such/page/").status == 404  # the browser logs this 404
        phone.click("text=回到首页")
        phone.wait_for_url(srv.url)
    finally:
        srv.close()


def test_serve_rebuilds_on_change_and_reloads_the_browser(tmp_path, browser):
    import socket

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--content", str(content), "--out", str(tmp_path / "public"),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        assert f"serving http://127.0.0.1:{port}/" in line, line
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/2026/01/ling-yuan-ying-diao-xi-liang-xiang-quan/")
        assert page.locator("h1").inner_text() == "凌源影调戏亮相全国稀有剧种嘉年华"
        time.sleep(0.5)  # the page's EventSource connects
        path = content / "2026-01-shuangling-gongjian.md"
        text = path.read_text(encoding="utf-8")
        assert "以其独特的艺术魅力惊艳四座" in text
        path.write_text(text.replace("以其独特的艺术魅力惊艳四座", "以其别具一格的艺术魅力惊艳四座"), encoding="utf-8")
        page.wait_for_selector("text=别具一格的艺术魅力", timeout=30_000)  # reloaded by the server, not by us
        built = (tmp_path / "public" / "2026/01/ling-yuan-ying-diao-xi-liang-xiang-quan/index.html").read_text(encoding="utf-8")
        assert "__livereload" not in built  # the reload script is only added while serving
        page.close()
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("point", ["read", "reduced", "rendered", "searched", "commit"])
def test_a_rebuild_killed_at_each_named_point_shows_old_or_new_and_recovers(tmp_path, point):
    """kill -9 at each named point of a rebuild (the build kills itself there, as bench/crash.py
    does at random instants too): the output folder is the previous site or the new one (except
    while the journal's moves run, "commit"), no temporary folder stays, and the next build
    publishes exactly a cold build's site.
    Killed after the search stage, the store once kept that stage's rows while the index files
    were never published; the next build then left the index without the edit."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    out, cache = tmp_path / "site" / "public", tmp_path / "cache"

    def run(*extra, env=None):
        return subprocess.run([sys.executable, str(ROOT / "build.py"), "build", "--content", str(content), "--out", str(out),
                               "--cache-dir", str(cache), *extra], capture_output=True, text=True, env=env, timeout=300)

    assert run().returncode == 0
    old = digest(out)
    page = content / "2021-06-sijie-sanyin.md"
    page.write_text(page.read_text(encoding="utf-8").replace("产品供不应求。", "产品供不应求，远销京津。"), encoding="utf-8")
    subprocess.run([sys.executable, str(ROOT / "build.py"), "build", "--content", str(content), "--out", str(tmp_path / "new"),
                    "--no-cache"], check=True, capture_output=True)
    new = digest(tmp_path / "new")
    killed = run(env=dict(os.environ, LINGYUAN_KILL_AT=point))
    assert killed.returncode == -9
    if point != "commit":  # (killed while moving its files in, a rebuild leaves part of the change: README's window)
        assert digest(out) in (old, new)
    again = run()
    assert again.returncode == 0, again.stderr
    assert digest(out) == new
    assert [p.name for p in out.parent.iterdir() if p.name not in ("public", "public-report.txt", ".public.lock")] == []
    # the edit is in the published index, not only in the pages: the bigram 销京 is new
    shards = [json.loads(gzip.decompress(f.read_bytes()) or b"{}") for f in (out / "search" / "index").glob("*.bin")]
    assert sum("销京" in shard.get("t", []) for shard in shards) == 1


def test_serve_binds_loopback_only():
    from lingyuan_site.errors import SiteError
    from lingyuan_site.serve import serve

    with pytest.raises(SiteError, match="127.0.0.1 only"):
        serve(None, host="0.0.0.0")


def test_serve_redirects_only_to_this_host_and_refuses_long_paths(tmp_path):
    """A folder asked for without its slash is redirected to a cleaned path (never a Location a
    browser reads as another host); an overlong path gets 414, not a dropped connection."""
    import functools
    import http.client
    import threading

    from lingyuan_site.serve import Reloader, Server, make_handler

    out = tmp_path / "public"
    (out / "2022").mkdir(parents=True)
    (out / "2022" / "index.html").write_text("<html><body>2022</body></html>", encoding="utf-8")
    (out / "404.html").write_text("<html><body>not found</body></html>", encoding="utf-8")
    handler = functools.partial(make_handler(out, "/", Reloader()), directory=str(out))
    httpd = Server(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    def get(path):
        conn = http.client.HTTPConnection("127.0.0.1", httpd.server_address[1], timeout=10)
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        conn.close()
        return r.status, r.getheader("Location")

    try:
        assert get("/2022") == (301, "/2022/")
        assert get("/\\evil.com/../2022") == (301, "/2022/")
        assert get("//evil.com/../2022") == (301, "/2022/")
        assert get("/%5Cevil.com/../2022") == (301, "/2022/")
        assert get("/2022/") == (200, None)
        assert get("/" + "a" * 5000) == (414, None)
        assert get("/" + "a/" * 400 + "b" * 300) == (404, None)  # (a name the file system refuses)
        assert httpd.request_queue_size >= 128
    finally:
        httpd.shutdown()
        httpd.server_close()


LIGHTHOUSE = os.environ.get("LIGHTHOUSE") or shutil.which("lighthouse")


def lighthouse(url: str, report: Path) -> dict:
    env = dict(os.environ, CHROME_PATH="/usr/bin/chromium")
    run = subprocess.run(
        [LIGHTHOUSE, url, "--quiet", "--output=json", f"--output-path={report}",
         "--only-categories=performance,accessibility,best-practices,seo",
         "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
        capture_output=True, text=True, env=env, timeout=240,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads(report.read_text(encoding="utf-8"))
    return {k: v["score"] for k, v in data["categories"].items()}


def test_lighthouse_scores(tmp_path):
    """Lighthouse on the seeds' home, a story, a page view, a theme page and the search page, and
    on a story with photos and a page view with its scan (tests/fixtures/pages/d-photos-scan.md)."""
    from conftest import photo_content

    assert LIGHTHOUSE, "Lighthouse is needed: .ci/run installs it from the npm registry and sets LIGHTHOUSE"
    out, photos = tmp_path / "public", tmp_path / "photos"
    srv, photo_srv = _Server(out), _Server(photos)  # bind first: each site is built for the address it is served at
    try:
        build_site(out, base_url=srv.url)
        result = build_site(photos, content=photo_content(tmp_path / "content"), base_url=photo_srv.url)
        urls = [srv.url + path for path in ("", "2022/02/ling-yuan-shi-jia-ya-fen-jin-dang/", "pages/2021-06-sijie-sanyin/",
                                            "themes/industry/", "search/?q=%E5%87%8C%E9%92%A2")]
        urls += [photo_srv.url + result.site.stories[0].url, photo_srv.url + result.site.pages[0].url]
        scores = {url: lighthouse(url, tmp_path / "lh.json") for url in urls}
        # Performance is timed on a shared 2-core machine: a page under the bar is measured twice
        # more and judged by the median of three runs, as Lighthouse CI does (numberOfRuns).
        runs = {}
        for url, cats in scores.items():
            if cats["performance"] < 0.95:
                runs[url] = sorted([cats["performance"]] + [lighthouse(url, tmp_path / "lh.json")["performance"] for _ in range(2)])
                cats["performance"] = runs[url][1]
        print("Lighthouse:", scores, "performance runs:", runs)
        for page, cats in scores.items():
            for cat, score in cats.items():
                assert score >= 0.95, (page, cat, score, runs.get(page))
    finally:
        srv.close()
        photo_srv.close()
