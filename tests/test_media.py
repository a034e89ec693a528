"""Photos and page scans (issue 17): derivatives made with Pillow (upright, never enlarged, WebP
and JPEG, no metadata, named by content), the markup a phone needs (picture, srcset, dimensions,
lazy loading), the lead photo as og:image and thumbnail, the scan with each story's area as a
link, a rebuild that encodes only what changed, and every bad image as one line."""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from conftest import ROOT, _Server, build_site, make_image, photo_content
from lingyuan_site.views import PHOTO_SIZES

BASE = "https://example.org/archive/"


@pytest.fixture(scope="module")
def photo_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    content = photo_content(root / "content")
    out = root / "public"
    result = build_site(out, content=content, base_url=BASE)
    return content, out, result


def story(result, title):
    return next(e for e in result.site.stories if e.title == title)


def html_of(out: Path, url: str) -> str:
    return (out / url / "index.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- derivatives
def test_every_photo_in_each_width_as_webp_and_jpeg_upright_never_enlarged(photo_site):
    _, out, result = photo_site
    heron = story(result, "凌河湿地迎来候鸟季").story.photos[0].image
    assert (heron.width, heron.height) == (1600, 2400)  # the EXIF orientation (6) applied
    assert [(s.width, s.height) for s in heron.sizes] == [(480, 720), (720, 1080), (1080, 1620), (1600, 2400)]
    bridge = story(result, "石拱桥修缮完工").story.photos[0].image
    assert [s.width for s in bridge.sizes] == [480, 600]  # 600 wide: never enlarged to 720
    for img in (heron, bridge):
        for s in img.sizes:
            for rel, fmt in ((s.webp, "WEBP"), (s.jpeg, "JPEG")):
                assert re.fullmatch(r"media/[0-9a-f]{16}-\d+\.(webp|jpg)", rel)
                with Image.open(out / rel) as derived:
                    assert derived.format == fmt and derived.size == (s.width, s.height)


def test_no_metadata_is_published(photo_site):
    content, out, _ = photo_site
    with Image.open(content / "d-photos-scan" / "heron.jpg") as source:
        assert 0x8825 in source.getexif()  # the source holds a GPS position
    for path in (out / "media").iterdir():
        with Image.open(path) as derived:
            assert not derived.getexif() and "exif" not in derived.info and "xmp" not in derived.info, path.name
        assert b"Exif" not in path.read_bytes()[:4096]


def test_a_png_with_alpha_keeps_it_in_webp_and_is_flattened_in_jpeg(photo_site):
    _, out, result = photo_site
    ranger = story(result, "凌河湿地迎来候鸟季").story.photos[1].image
    with Image.open(out / ranger.sizes[0].webp) as webp:
        assert webp.mode == "RGBA"
    with Image.open(out / ranger.sizes[0].jpeg) as jpeg:
        assert jpeg.mode == "RGB" and jpeg.getpixel((0, 0)) > (200, 200, 200)  # transparent → white


def test_derivatives_are_named_by_content_and_cached(photo_site, tmp_path):
    content, out, result = photo_site
    again = build_site(tmp_path / "again", content=content, base_url=BASE)
    names = sorted(p.name for p in (out / "media").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "again" / "media").iterdir())
    assert len(names) == 2 * (4 + 4 + 2 + 4 + 2)  # heron, ranger (480, 720, 1080, 1200), bridge (480, 600), wheat, the scan (800, 1200)


def test_a_rebuild_encodes_only_the_changed_photo(tmp_path):
    from lingyuan_site.build import BuildOptions, build

    content = photo_content(tmp_path / "content")
    options = dict(content=content, out=tmp_path / "public", templates=ROOT / "templates", static=ROOT / "static", cache=tmp_path / "cache")
    first = build(BuildOptions(**options))
    assert first.media == {"images": 5, "encoded": ["d-photos-scan/bridge.webp", "d-photos-scan/heron.jpg", "d-photos-scan/page.jpg",
                                                    "d-photos-scan/ranger.png", "d-photos-scan/wheat.jpg"]}
    assert build(BuildOptions(**options)).media == {"images": 5, "encoded": []}
    make_image(content / "d-photos-scan" / "wheat.jpg", (3000, 2000))  # a new photo under the same name
    result = build(BuildOptions(**options))
    assert result.media == {"images": 5, "encoded": ["d-photos-scan/wheat.jpg"]}
    assert story(result, "麦收").story.photos[0].image.width == 3000
    # the site's derivatives are copies of the cache's files, never the same file (issue 38: a
    # published photo edited in place must not change the cache)
    heron = story(result, "凌河湿地迎来候鸟季").story.photos[0].image
    cached = tmp_path / "cache" / "media" / heron.key[:2] / heron.key / heron.sizes[0].webp.split("/")[1]
    published = tmp_path / "public" / heron.sizes[0].webp
    assert published.read_bytes() == cached.read_bytes() and published.stat().st_ino != cached.stat().st_ino
    # the old derivatives are gone from the site and the cache
    live = {rel for e in result.site.stories for p in e.story.photos for rel in p.image.files()}
    assert {f"media/{p.name}" for p in (tmp_path / "public" / "media").iterdir()} == live | set(result.site.pages[0].model.scan_image.files())


# ---------------------------------------------------------------------------- markup
def test_story_markup_for_phones(photo_site):
    _, out, result = photo_site
    entry = story(result, "凌河湿地迎来候鸟季")
    html = html_of(out, entry.url)
    heron, ranger = (p.image for p in entry.story.photos)
    figures = re.findall(r'<figure class="photo has-picture">(.*?)</figure>', html, re.S)
    assert len(figures) == 2
    first, second = figures
    webp_srcset = ", ".join(f"../../../{s.webp} {s.width}w" for s in heron.sizes)
    assert f'<source type="image/webp" srcset="{webp_srcset}" sizes="{PHOTO_SIZES}">' in first
    assert f'src="../../../{heron.sizes[2].jpeg}"' in first and 'width="1080" height="1620"' in first
    assert 'alt="白鹭在大凌河湿地浅滩觅食。"' in first and 'loading="lazy"' not in first
    assert "<figcaption>白鹭在大凌河湿地浅滩觅食。 <span class=\"credit\">本报记者 李明 摄</span></figcaption>" in first
    assert 'loading="lazy" decoding="async"' in second and 'alt="湿地管护员巡护记录鸟类数量"' in second
    # the photo stands after the paragraph it followed in print
    assert html.index("二十余种水鸟") < html.index(heron.sizes[0].webp) < html.index("退耕还湿")
    # og:image and JSON-LD image: the largest JPEG, at its full address
    assert f'<meta property="og:image" content="{BASE}{heron.sizes[-1].jpeg}">' in html
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert ld["image"] == [BASE + heron.sizes[-1].jpeg, BASE + ranger.sizes[-1].jpeg]


def test_alt_text_falls_back_to_the_title(tmp_path):
    content = tmp_path / "content"
    make_image(content / "x" / "a.jpg", (800, 600))
    (content / "x.md").write_text("---\ndate: 2024-06\n---\n## 口袋公园开放\n\n**本报讯** 城区新建口袋公园3处。\n\n![](x/a.jpg)\n\n公园里有儿童游乐设施。\n", encoding="utf-8")
    result = build_site(tmp_path / "public", content=content)
    html = html_of(tmp_path / "public", result.site.stories[0].url)
    assert 'alt="口袋公园开放"' in html and "<figcaption>" not in html.split('<div class="story-body">')[1].split("</div>")[0]


def test_lead_photo_is_a_thumbnail_in_lists_home_and_search(photo_site):
    _, out, result = photo_site
    entry = story(result, "凌河湿地迎来候鸟季")
    small = entry.story.photos[0].image.sizes[0]
    theme = html_of(out, entry.themes[0].url)
    assert f'<picture class="thumb"><source type="image/webp" srcset="../../{small.webp}"><img src="../../{small.jpeg}" width="480" height="720" alt="白鹭在大凌河湿地浅滩觅食。" loading="lazy" decoding="async"></picture>' in theme
    home = (out / "index.html").read_text(encoding="utf-8")
    assert '<figure class="front-photo">' in home and 'loading="lazy"' not in home.split('<figure class="front-photo">')[1].split("</figure>")[0]
    from lingyuan_site import search

    doc = next(d for d in search.read_docs(out).values() if d["title"] == "凌河湿地迎来候鸟季")
    assert doc["thumb"] == {"webp": small.webp, "jpeg": small.jpeg, "w": 480, "h": 720}


def test_page_view_shows_the_scan_with_each_story_as_an_area_link(photo_site):
    _, out, result = photo_site
    page = result.site.pages[0]
    html = html_of(out, page.url)
    assert '<svg class="scan-areas" viewBox="0 0 1200 1800" preserveAspectRatio="none"' in html
    areas = re.findall(r'<a id="(area-\d)" href="([^"]+)" aria-label="([^"]+)"><title>[^<]+</title>((?:<rect[^>]+/>)+)</a>', html)
    assert [(a[0], a[2]) for a in areas] == [("area-0", "凌河湿地迎来候鸟季"), ("area-1", "石拱桥修缮完工"), ("area-2", "麦收")]
    assert areas[1][1] == "../../" + story(result, "石拱桥修缮完工").url
    assert areas[1][3] == ('<rect x="40" y="1000" width="540" height="700" vector-effect="non-scaling-stroke"/>'
                           '<rect x="600" y="1000" width="540" height="300" vector-effect="non-scaling-stroke"/>')
    wheat = html_of(out, story(result, "麦收").url)
    assert f'<a href="../../../{page.url}#area-2">在版面图中查看</a>' in wheat


# ---------------------------------------------------------------------------- bad images
def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def truncated_jpeg(path: Path) -> None:
    make_image(path, (1600, 1200))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def huge_png(path: Path) -> None:
    """A PNG whose header says 9000 × 6000 (54 megapixels): the build must refuse it without
    decoding it."""
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[16:24] = (9000).to_bytes(4, "big") + (6000).to_bytes(4, "big")
    import zlib

    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    path.write_bytes(bytes(data))


BAD = [
    ("gif", lambda d: Image.new("RGB", (10, 10)).save(d / "x.gif", "GIF"), "![](x/../x.gif)", "photo 'x/../x.gif' is a GIF image; use JPEG, PNG or WebP"),
    ("missing", lambda d: None, "![](x/nope.jpg)", "photo 'x/nope.jpg' not found"),
    ("outside", lambda d: make_image(d.parent.parent / "elsewhere.jpg"), "![](../../elsewhere.jpg)", "is outside the content folder"),
    ("absolute", lambda d: None, "![](/etc/passwd)", "must be a path relative to the page, inside content/"),
    ("garbage", lambda d: (d / "x").mkdir() or (d / "x" / "g.jpg").write_bytes(b"not an image at all"), "![](x/g.jpg)", "is not a JPEG, PNG or WebP image"),
    ("truncated", lambda d: truncated_jpeg(d / "x" / "t.jpg"), "![](x/t.jpg)", "cannot be read"),
    ("huge", lambda d: (d / "x").mkdir() or huge_png(d / "x" / "h.png"), "![](x/h.png)", "has 9000 × 6000 = 54 megapixels; at most 50 are read"),
    ("narrow", lambda d: (d / "x").mkdir() or Image.new("RGB", (1, 40_000), (90, 90, 90)).save(d / "x" / "n.png"), "![](x/n.png)",
     "photo 'x/n.png' is 1 × 40000 pixels: too narrow to show (at most 16,383 times as tall as wide); crop or split it"),
]


@pytest.mark.parametrize("name, make, line, message", BAD, ids=[b[0] for b in BAD])
def test_a_bad_photo_is_one_line_naming_page_and_line_and_the_site_stays(tmp_path, name, make, line, message):
    content = tmp_path / "content"
    content.mkdir()
    (content / "good.md").write_text("---\ndate: 2022-04\n---\n## 口袋公园\n\n**本报讯** 城区新建口袋公园3处。\n", encoding="utf-8")
    out = tmp_path / "public"
    assert run("build", "--content", content, "--out", out).returncode == 0
    before = sorted((p.relative_to(out).as_posix(), p.read_bytes()) for p in out.rglob("*") if p.is_file())
    make(content)
    page = content / "bad.md"
    page.write_text(f"---\ndate: 2022-05\n---\n## 一张照片\n\n**本报讯** 正文一句。\n\n{line}\n", encoding="utf-8")
    result = run("build", "--content", content, "--out", out)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {page}:8: "), result.stderr
    assert message in lines[0]
    assert sorted((p.relative_to(out).as_posix(), p.read_bytes()) for p in out.rglob("*") if p.is_file()) == before
    kept = run("build", "--content", content, "--out", out, "--keep-going")
    assert kept.returncode == 1 and "built 1 pages" in kept.stdout and message in kept.stderr


@pytest.mark.parametrize("areas, message", [
    ("{没有这篇: [[0, 0, 10, 10]]}", "areas: no story on this page is titled '没有这篇'"),
    ("{麦收: [[1000, 1700, 500, 500]]}", "areas: '麦收' has [1000, 1700, 500, 500] outside the scan (1200 × 1800 pixels)"),
    ("{麦收: [[0, 0, 10]]}", "front matter 'areas' must map a story title to rectangles [x, y, w, h]"),
    # issue 38: 200,000 rectangles made a 15 MB page view
    ("{麦收: [" + ", ".join(["[0, 0, 10, 10]"] * 1001) + "]}",
     "front matter 'areas' has 1,001 rectangles; a page may have at most 1000 (each is a link on the page view)"),
])
def test_bad_areas_name_the_page_and_line(tmp_path, areas, message):
    content = photo_content(tmp_path / "content")
    page = content / "d-photos-scan.md"
    text = page.read_text(encoding="utf-8")
    start, end = text.index("areas:"), text.index("---", 4)
    page.write_text(text[:start] + f"areas: {areas}\n" + text[end:], encoding="utf-8")
    result = run("build", "--content", content, "--out", tmp_path / "public")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()] and result.stderr.startswith(f"error: {page}:5: ")
    assert message in result.stderr


# ---------------------------------------------------------------------------- in Chromium
def test_scan_areas_are_focusable_links_and_the_scan_zooms(photo_site, phone):
    _, out, result = photo_site
    srv = _Server(out, "/archive/")
    try:
        page = result.site.pages[0]
        phone.goto(srv.url + page.url)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        areas = phone.locator(".scan-areas a")
        assert areas.count() == 3
        areas.nth(1).focus()
        assert phone.evaluate("document.activeElement.getAttribute('aria-label')") == "石拱桥修缮完工"
        image, svg = phone.locator(".scan-image").bounding_box(), phone.locator(".scan-areas").bounding_box()
        assert svg == pytest.approx(image, abs=1)  # the areas lie on the picture
        assert image["width"] == pytest.approx(390 - 32 - 2, abs=1)  # 整版 on a phone: the column, inside the viewer's border
        phone.click(".scan-tools >> text=再放大")
        zoomed = phone.locator(".scan-image").bounding_box()
        assert zoomed["width"] == pytest.approx(3 * image["width"], rel=0.02)
        assert phone.locator(".scan-areas").bounding_box()["height"] == pytest.approx(zoomed["height"], abs=1)
        areas.nth(1).focus()
        phone.keyboard.press("Enter")
        phone.wait_for_url("**/" + story(result, "石拱桥修缮完工").url)
        phone.click("text=在版面图中查看")
        phone.wait_for_url("**#area-1")
        assert phone.locator("#area-1").evaluate("a => getComputedStyle(a.querySelector('rect')).fill") != "rgba(0, 0, 0, 0)"
        assert phone.errors == []
    finally:
        srv.close()


def test_on_a_wide_screen_the_whole_scan_is_in_view(photo_site, browser):
    _, out, result = photo_site
    srv = _Server(out, "/archive/")
    try:
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        page = ctx.new_page()
        page.goto(srv.url + result.site.pages[0].url)
        image = page.locator(".scan-image").bounding_box()
        assert image["height"] == pytest.approx(0.85 * 800 - 2, abs=1.5)  # 整版: as tall as the viewer
        assert image["width"] == pytest.approx(image["height"] * 1200 / 1800, abs=1.5)  # not stretched
        assert page.locator(".scan-areas").bounding_box() == pytest.approx(image, abs=1)
        ctx.close()
    finally:
        srv.close()


@pytest.mark.parametrize("width, height", [(390, 844), (1280, 800)])
def test_the_scan_has_its_place_before_it_loads(photo_site, browser, width, height):
    """Nothing on a page view moves when the scan arrives: with the image requests held, the
    scan's box and the caption under it already stand where they will be (it used to be 0 × 0,
    and the caption and stories jumped by the scan's height: Lighthouse's layout shift 0.27)."""
    _, out, result = photo_site
    srv = _Server(out, "/archive/")
    held = []
    try:
        ctx = browser.new_context(viewport={"width": width, "height": height})
        page = ctx.new_page()
        page.route("**/media/**", lambda route: held.append(route))
        page.goto(srv.url + result.site.pages[0].url, wait_until="domcontentloaded")
        box = "(() => { const r = document.querySelector('.scan-image').getBoundingClientRect(); " \
              "return [r.width, r.height, document.querySelector('.scan figcaption').getBoundingClientRect().top, " \
              "document.querySelector('.scan-image').complete]; })()"
        *before, loaded = page.evaluate(box)
        assert held and not loaded and before[1] > 300
        for route in held:
            route.continue_()
        page.unroute("**/media/**")
        page.evaluate("document.querySelector('.scan-image').decode()")  # (wait_for_function would eval: the CSP forbids it)
        *after, loaded = page.evaluate(box)
        assert after == pytest.approx(before, abs=0.5)
        ctx.close()
    finally:
        srv.close()


@pytest.mark.parametrize("title, limit", [
    ("麦收", 120),  # a 4000 × 3000 photo, as the bench attaches to each story: the budget
    ("凌河湿地迎来候鸟季", 140),  # opens with a tall portrait, and a second photo within Chromium's lazy-load distance
])
def test_a_phones_first_screen_of_a_story_fetches_few_image_bytes(photo_site, browser, title, limit):
    _, out, result = photo_site
    srv = _Server(out, "/archive/")
    try:
        ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3)
        page = ctx.new_page()
        got = []
        page.on("response", lambda r: got.append(len(r.body())) if r.request.resource_type == "image" else None)
        page.goto(srv.url + story(result, title).url)
        page.wait_for_load_state("networkidle")
        print(f"first screen of '{title}' at 390 px, 3x: {sum(got) / 1024:.1f} KB of images in {len(got)} files")
        assert 0 < sum(got) <= limit * 1024
        ctx.close()
    finally:
        srv.close()


def test_an_area_names_its_story_by_title_or_by_a_prefix_of_one_title_only():
    from types import SimpleNamespace

    from lingyuan_site.errors import SiteError
    from lingyuan_site.media import Image as Derived, story_areas
    from lingyuan_site.model import Story

    def page(areas):
        stories = [Story("brief", t, 1) for t in ("凌源新闻一则", "凌源新闻二则", "麦收")]
        return SimpleNamespace(path="p.md", meta_lines={"areas": 6}, stories=stories, areas=areas,
                               scan_image=Derived("s.jpg", "", 1000, 1000))

    assert story_areas(page({"麦收": [[0, 0, 10, 10]], "凌源新闻二": [[5, 5, 5, 5]]})) == {2: [[0, 0, 10, 10]], 1: [[5, 5, 5, 5]]}
    with pytest.raises(SiteError) as err:
        story_areas(page({"凌源新闻": [[0, 0, 10, 10]]}))
    assert (err.value.path, err.value.line) == ("p.md", 6)
    assert err.value.message == "areas: '凌源新闻' begins the titles of 2 stories; give more of the title"


def test_a_tall_photo_is_sized_within_webps_limits(tmp_path):
    """A 600 × 40,000 strip (a long scroll) is shown: its widest derivative is as wide as 16,383
    pixels of height allow."""
    content = tmp_path / "content"
    make_image(content / "x" / "strip.png", (600, 40_000), "PNG")
    (content / "p.md").write_text("---\ndate: 2022-04\n---\n## 长卷\n\n**本报讯** 正文一句。\n\n![长卷](x/strip.png)\n", encoding="utf-8")
    result = build_site(tmp_path / "public", content=content)
    sizes = story(result, "长卷").story.photos[0].image.sizes
    assert [(s.width, s.height) for s in sizes] == [(245, 16333)]
    with Image.open(tmp_path / "public" / sizes[0].webp) as img:
        assert img.size == (245, 16333)


def test_a_photo_two_pages_show_is_published_and_kept_while_one_shows_it(tmp_path):
    """A paper prints the same photo on two pages (issue 38: this failed the whole build with
    'cannot write the site (None)'). Both show it; when one page drops it, the other keeps it; when
    no page shows it, its files go; each site equals a cold build's."""
    from conftest import digest
    from lingyuan_site.build import BuildOptions, build

    content = tmp_path / "content"
    make_image(content / "x" / "shared.jpg", (1200, 800))
    for name, title in (("a.md", "口袋公园开放"), ("b.md", "公园里的新风景")):
        (content / name).write_text(f"---\ndate: 2022-04-0{1 + (name == 'b.md')}\n---\n## {title}\n\n**本报讯** 城区新建口袋公园3处。\n\n"
                                    "![口袋公园一角](x/shared.jpg)\n", encoding="utf-8")
    options = dict(content=content, out=tmp_path / "public", templates=ROOT / "templates", static=ROOT / "static", cache=tmp_path / "cache")
    first = build(BuildOptions(**options))
    files = first.site.stories[0].story.photos[0].image.files()
    assert [e.story.photos[0].image.files() for e in first.site.stories] == [files, files]
    assert all((tmp_path / "public" / rel).is_file() for rel in files)
    for step, name in enumerate(("a.md", "b.md")):
        page = content / name
        page.write_text(page.read_text(encoding="utf-8").replace("![口袋公园一角](x/shared.jpg)\n", ""), encoding="utf-8")
        build(BuildOptions(**options))
        build_site(tmp_path / f"cold-{step}", content=content)
        assert digest(tmp_path / "public") == digest(tmp_path / f"cold-{step}")
        assert all((tmp_path / "public" / rel).is_file() == (step == 0) for rel in files)


def test_a_published_photo_edited_in_place_does_not_reach_another_build(tmp_path):
    """Issue 38: derivatives were hard-linked from the cache, so editing the published file edited
    the cache, and the next build into another folder published the edited bytes."""
    from lingyuan_site.build import BuildOptions, build

    content = photo_content(tmp_path / "content")
    options = dict(content=content, templates=ROOT / "templates", static=ROOT / "static", cache=tmp_path / "cache")
    result = build(BuildOptions(out=tmp_path / "one", **options))
    rel = story(result, "凌河湿地迎来候鸟季").story.photos[0].image.sizes[0].jpeg
    original = (tmp_path / "one" / rel).read_bytes()
    with open(tmp_path / "one" / rel, "r+b") as fh:  # edited in place, as an image editor saving over it would
        fh.write(b"\xff\xd8 scribbled over")
    build(BuildOptions(out=tmp_path / "two", **options))
    assert (tmp_path / "two" / rel).read_bytes() == original
