"""Robust builds: every kind of bad input gives one clear line naming the file (and line), no
traceback, a non-zero exit when a page would be lost, and the previous site left byte-identical."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

GOOD = "---\ndate: 2022-04\n---\n## 凌源新建口袋公园\n\n**本报讯** 近日，凌源市城区新建口袋公园3处，方便市民休闲。\n"


def run(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *map(str, args)], capture_output=True, text=True, cwd=cwd or ROOT)


def digest(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def base_project(tmp_path_factory):
    root = tmp_path_factory.mktemp("base")
    content = root / "content"
    content.mkdir()
    (content / "good.md").write_text(GOOD, encoding="utf-8")
    first = run("build", "--content", content, "--out", root / "public")
    assert first.returncode == 0, first.stderr
    return root


@pytest.fixture
def project(base_project, tmp_path):
    """A content folder with one good page, and a site already built from it (copied from one
    build per module: a build costs seconds, mostly loading jieba)."""
    import shutil

    shutil.copytree(base_project / "content", tmp_path / "content")
    shutil.copytree(base_project / "public", tmp_path / "public")
    out = tmp_path / "public"
    return tmp_path / "content", out, digest(out)


CASES = [
    # (file name, bytes, expected error line after the path, line number or None)
    ("yaml.md", "---\ndate: 2022\ntitle: [oops\n---\n正文。\n", "front matter is not valid YAML", 3),
    ("unclosed.md", "---\ndate: 2022\n正文。\n", "front matter is not closed: add a line '---' after it", 1),
    ("only.md", "---\ndate: 2022\n---\n", "has front matter but no page text", 4),
    ("nodate.md", "---\ntitle: 无日期\n---\n正文。\n", "front matter needs 'date' (YYYY, YYYY-MM or YYYY-MM-DD)", 2),
    ("baddate.md", "---\ndate: 2022-02-30\n---\n正文。\n", "date 2022-02-30 does not exist", 2),
    ("wrongdate.md", "---\ndate: 22/4/2022\n---\n正文。\n", "date '22/4/2022' is not YYYY, YYYY-MM or YYYY-MM-DD", 2),
    ("empty.md", "", "is empty: a page needs front matter and text", None),
    ("nul.md", "---\ndate: 2022\n---\n正文\x00。\n", "contains a NUL byte", 4),
    ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "contains a NUL byte", 3),
    ("latin1.md", "---\ndate: 2022\n---\ncaf\xe9 \xff\xfe\n".encode("latin-1"), "cannot be decoded as UTF-8 or GB18030", 4),
    ("slug.md", "---\ndate: 2022\nslug: ../../etc\n---\n正文。\n", "slug '../../etc' must be lowercase ASCII", 3),
    ("slash.md", "---\ndate: 2022\nslug: a/b\n---\n正文。\n", "slug 'a/b' must be lowercase ASCII", 3),
    ("themes.md", "---\ndate: 2022\nthemes: urban\n---\n正文。\n", "front matter 'themes' must be a list of theme slugs", 3),
]


@pytest.mark.parametrize("name, data, message, line", CASES, ids=[c[0] for c in CASES])
def test_bad_page_is_one_clear_line_and_the_site_is_untouched(project, name, data, message, line):
    content, out, before = project
    path = content / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    result = run("build", "--content", content, "--out", out)
    assert result.returncode == 1
    where = f"{path}:{line}" if line else f"{path}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {where}: "), lines[0]
    assert message in lines[0]
    assert "Traceback" not in result.stderr
    assert digest(out) == before


def test_debug_shows_the_traceback(project):
    content, out, _ = project
    (content / "bad.md").write_text("---\ndate: 2022-13\n---\n正文。\n", encoding="utf-8")
    result = run("--debug", "build", "--content", content, "--out", out)
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "date 2022-13 does not exist" in result.stderr


def test_keep_going_builds_the_rest_and_lists_what_failed(project):
    content, out, _ = project
    (content / "bad.md").write_text("---\ndate: 2022-13\n---\n正文。\n", encoding="utf-8")
    (content / "second.md").write_text(GOOD.replace("口袋公园", "城市书房"), encoding="utf-8")
    result = run("build", "--content", content, "--out", out, "--keep-going")
    assert result.returncode == 1
    assert f"error: {content / 'bad.md'}:2: date 2022-13 does not exist" in result.stderr
    assert "error: 1 page(s) left out" in result.stderr
    assert "built 2 pages, 2 stories" in result.stdout
    assert (out / "2022/04/ling-yuan-xin-jian-cheng-shi-shu-fang/index.html").is_file()
    report = (out.parent / "public-report.txt").read_text(encoding="utf-8")
    assert "Pages left out (1):" in report and "bad.md:2: date 2022-13 does not exist" in report


def test_unknown_key_is_a_warning_in_the_build_and_the_report(project):
    content, out, _ = project
    (content / "good.md").write_text(GOOD.replace("date: 2022-04\n", "date: 2022-04\nauthor: 张旭\n"), encoding="utf-8")
    result = run("build", "--content", content, "--out", out)
    assert result.returncode == 0
    warning = f"warning: {content / 'good.md'}:3: unknown-key: unknown front matter key 'author' is ignored"
    assert warning in result.stderr
    report = (out.parent / "public-report.txt").read_text(encoding="utf-8")
    assert "good.md:3: unknown-key: unknown front matter key 'author' is ignored" in report
    assert not (out / "public-report.txt").exists()  # the report is never part of the public site


def test_a_single_enormous_line_builds(project):
    content, out, _ = project
    line = "凌源市经济开发区重点项目建设持续推进，" * 12_600  # 239,400 characters on one line
    (content / "huge.md").write_text(f"---\ndate: 2022-05\n---\n## 超长的一行\n\n{line}\n", encoding="utf-8")
    result = run("build", "--content", content, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "not-checked: story is 239,400 characters long" in result.stderr


def test_duplicate_page_slugs_name_both_files(project):
    content, out, before = project
    (content / "a.md").write_text(GOOD.replace("date: 2022-04\n", "date: 2022-04\nslug: same\n"), encoding="utf-8")
    (content / "b.md").write_text(GOOD.replace("date: 2022-04\n", "date: 2022-05\nslug: same\n"), encoding="utf-8")
    result = run("build", "--content", content, "--out", out)
    assert result.returncode == 1
    assert f"page slug 'same' is also used by {content / 'a.md'}" in result.stderr
    assert digest(out) == before


def test_same_story_title_in_one_month_gets_distinct_stable_urls(project):
    content, out, _ = project
    (content / "again.md").write_text(GOOD.replace("近日", "日前"), encoding="utf-8")
    assert run("build", "--content", content, "--out", out).returncode == 0
    assert (out / "2022/04/ling-yuan-xin-jian-kou-dai-gong-yuan/index.html").is_file()
    assert (out / "2022/04/ling-yuan-xin-jian-kou-dai-gong-yuan-2/index.html").is_file()


@pytest.mark.parametrize(
    "file, text, message",
    [
        ("site.yaml", "titel: 错字\n", "site.yaml: unknown key 'titel'"),
        ("site.yaml", "title: [oops\n", "site.yaml:2: is not valid YAML"),
        ("site.yaml", "base_url: example.org\n", "base_url 'example.org' must start with / or http(s)://"),
        ("themes.yaml", "themes:\n  - {slug: a, name: 甲, description: 说明, keywords: [农业]}\n  - {slug: a, name: 乙, description: 说明, keywords: [工业]}\n",
         "themes.yaml: theme 'a': duplicate slug 'a'"),
        ("themes.yaml", "themes:\n  - {slug: a, name: 甲, description: 说明, keywords: []}\n", "theme 'a': 'keywords' must be a non-empty list"),
    ],
)
def test_bad_configuration_names_the_file_and_key(project, file, text, message):
    content, out, before = project
    (content / file).write_text(text, encoding="utf-8")
    result = run("build", "--content", content, "--out", out)
    assert result.returncode == 1
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert digest(out) == before


def test_missing_and_broken_templates(project, tmp_path):
    content, out, before = project
    templates = tmp_path / "templates"
    templates.mkdir()
    for t in (ROOT / "templates").glob("*.html"):
        if t.name != "story.html":
            (templates / t.name).write_text(t.read_text(encoding="utf-8"), encoding="utf-8")
    result = run("build", "--content", content, "--out", out, "--templates", templates)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: templates/story.html: template is missing"
    (templates / "story.html").write_text("{% extends 'base.html' %}\n{% block main %}\n{% if %}\n{% endblock %}\n", encoding="utf-8")
    result = run("build", "--content", content, "--out", out, "--templates", templates)
    assert result.returncode == 1
    assert result.stderr.startswith("error: templates/story.html:3: template error:")
    assert digest(out) == before


def test_missing_content_folder(tmp_path):
    result = run("build", "--content", tmp_path / "nope", "--out", tmp_path / "public")
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'nope'}: content folder not found (use --content DIR)"


def test_unwritable_out(project, tmp_path):
    content, _, _ = project
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run("build", "--content", content, "--out", blocker / "public")
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {blocker / 'public'}: cannot write the site here")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("which", ["content", "project", "parent"])
def test_refuses_an_out_that_would_overwrite_sources(project, which):
    content, _, _ = project
    out = {"content": content, "project": ROOT, "parent": ROOT.parent}[which]
    result = run("build", "--content", content if which == "content" else ROOT / "content", "--out", out)
    assert result.returncode == 1
    assert "--out must not be" in result.stderr
    assert (ROOT / "content" / "site.yaml").is_file() and (content / "good.md").is_file()


def test_all_content_is_escaped_and_pages_have_no_inline_scripts(project):
    content, out, _ = project
    evil = "---\ndate: 2022-06\n---\n## <script>alert(1)</script>标题\n\n**本报讯** 正文<img src=x onerror=alert(1)>里有</script>标签。\n"
    (content / "evil.md").write_text(evil, encoding="utf-8")
    assert run("build", "--content", content, "--out", out).returncode == 0
    for html_file in out.rglob("*.html"):
        html = html_file.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "Content-Security-Policy" in html and "script-src 'self'" in html
        for tag in html.split("<script")[1:]:
            attrs, _, rest = tag.partition(">")
            if 'type="application/ld+json"' in attrs:  # a data block, never executed
                assert "<" not in rest.split("</script>")[0], html_file
                continue
            assert ' src="' in " " + attrs.strip(), html_file
    page = next(out.rglob("script-alert*/index.html"), None) or next(p for p in out.rglob("index.html") if "&lt;script&gt;alert(1)&lt;/script&gt;标题" in p.read_text(encoding="utf-8"))
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.read_text(encoding="utf-8")


def story_file(out: Path) -> Path:
    """A story page that shows related stories."""
    return next(p for p in sorted(out.glob("20*/**/index.html")) if "相关" in p.read_text(encoding="utf-8") and p.parent.parent.name.isdigit() and len(p.parent.parent.name) == 2)


def test_page_cache_rebuilds_only_what_changed_and_matches_a_cold_build(tmp_path):
    from lingyuan_site.build import BuildOptions, build
    from lingyuan_site.errors import SiteError

    content = tmp_path / "content"
    shutil_copy = __import__("shutil").copytree
    shutil_copy(ROOT / "content", content)
    cache = tmp_path / "cache"

    def go(out, use_cache=True):
        return build(BuildOptions(content=content, out=out, templates=ROOT / "templates", static=ROOT / "static",
                                  cache=cache if use_cache else None))

    first = go(tmp_path / "a")
    assert first.cache == {"hits": 0, "misses": 5, "reused": 0}
    again = go(tmp_path / "a")
    assert again.cache["hits"] == 5 and again.cache["misses"] == 0
    rendered_files = again.cache["reused"]
    site = again.site
    built_files = [f for f in again.files if not f.startswith("static/") and f != "search/index/meta.json"]
    html = [f for f in built_files if f.endswith(".html")]
    # every story, page and list page, every search result file, index shard and the field lengths,
    # the feeds, the sitemap and robots.txt came from the previous site
    assert rendered_files == len(built_files) == len(html) + 22 + 64 + 1 + 1 + sum(1 for t in site.themes if t.stories) + 2
    assert len(html) > 2 * 22 + 5
    assert again.search["written"] == 0
    unchanged_story = tmp_path / "a" / site.stories[0].url / "index.html"
    inode = unchanged_story.stat().st_ino
    (tmp_path / "a" / "stray.txt").write_text("not built by us", encoding="utf-8")
    page = content / "2021-06-sijie-sanyin.md"
    page.write_text(page.read_text(encoding="utf-8").replace("食用菌产业年创产值6亿元", "食用菌产业年创产值7亿元")
                    .replace("产品供不应求。", "产品供不应求，远销京津。"), encoding="utf-8")
    warm = go(tmp_path / "a")
    assert warm.cache["hits"] == 4 and warm.cache["misses"] == 1
    # the index stores counts, not weights: the added words (and the new number) rewrite only the
    # shards of their own terms, though every weight of that story and its field moved
    assert 0 < warm.search["written"] <= 8
    # the changed story, its page, its neighbours (prev/next titles) and the lists showing it are rendered again
    assert 0 < warm.cache["reused"] < rendered_files - 4
    go(tmp_path / "cold", use_cache=False)
    assert digest(tmp_path / "a") == digest(tmp_path / "cold")
    # the rebuild updated the site in place: an unchanged file was left alone, a stray one removed
    assert unchanged_story.stat().st_ino == inode and not (tmp_path / "a" / "stray.txt").exists()
    # a rebuild that fails leaves the site as it was
    before = digest(tmp_path / "a")
    broken = content / "2026-01-shuangling-gongjian.md"
    good_text = broken.read_text(encoding="utf-8")
    broken.write_text(good_text.replace("date: 2026-01", "date: 2026-13", 1), encoding="utf-8")
    with pytest.raises(SiteError):
        go(tmp_path / "a")
    assert digest(tmp_path / "a") == before
    broken.write_text(good_text, encoding="utf-8")
    story = (tmp_path / "a" / "2021/06/shi-yong-jun-chan-ye-nian-chuang-chan/index.html").read_text(encoding="utf-8")
    assert "<h1>食用菌产业年创产值7亿元</h1>" in story
    # a file changed by hand in the published site is rendered again, not trusted
    (tmp_path / "a" / "archive/index.html").write_text("edited", encoding="utf-8")
    neighbour = next(p for p in (tmp_path / "a" / "2022").rglob("index.html") if p.parent.parent.name == "04")
    neighbour.write_text("edited by hand", encoding="utf-8")
    go(tmp_path / "a")
    assert digest(tmp_path / "a") == digest(tmp_path / "cold")
    # a template change renders everything
    templates = tmp_path / "templates"
    shutil_copy(ROOT / "templates", templates)
    (templates / "story.html").write_text((templates / "story.html").read_text(encoding="utf-8").replace("相关报道", "相关稿件"), encoding="utf-8")
    changed = build(BuildOptions(content=content, out=tmp_path / "a", templates=templates, static=ROOT / "static", cache=cache))
    assert "相关稿件" in story_file(tmp_path / "a").read_text(encoding="utf-8")
    assert changed.cache["reused"] == 0
    go(tmp_path / "a")
    assert digest(tmp_path / "a") == digest(tmp_path / "cold")
    # a deleted page leaves no stale output, and the cache forgets it
    page.unlink()
    after = go(tmp_path / "a")
    assert after.cache["hits"] == 4 and after.cache["misses"] == 0
    assert not (tmp_path / "a" / "pages/2021-06-sijie-sanyin").exists()
    assert not (tmp_path / "a" / "2021/06").exists()  # it was the only page of June 2021
    assert len(list((cache / "pages").glob("*.pickle"))) == 4


def test_damaged_cache_files_mean_a_full_build_not_a_failure(tmp_path):
    from lingyuan_site.build import BuildOptions, build

    cache = tmp_path / "cache"
    options = dict(content=ROOT / "content", templates=ROOT / "templates", static=ROOT / "static")
    build(BuildOptions(out=tmp_path / "a", cache=cache, **options))
    for name in ("render.pickle", "slugs.pickle"):
        (cache / name).write_bytes(b"not a pickle")
    for entry in (cache / "pages").glob("*.pickle"):
        entry.write_bytes(b"\x80\x05truncated")
    again = build(BuildOptions(out=tmp_path / "a", cache=cache, **options))
    assert again.cache == {"hits": 0, "misses": 5, "reused": 0}
    build(BuildOptions(out=tmp_path / "cold", cache=None, **options))
    assert digest(tmp_path / "a") == digest(tmp_path / "cold")


def test_search_stage_in_a_forked_copy_gives_the_same_site(tmp_path, monkeypatch):
    """On a large site the search stage runs in a forked copy beside render, and a rebuild parses
    its changed pages in one while it loads the cached ones (build.Forked). Here the threshold is
    lowered so the five pages take those paths: the site, the render memo it leaves and the
    rebuilds from it equal the sequential builds', and an error in a copy stops the build with
    its own message, the previous site untouched."""
    import multiprocessing
    import shutil

    from lingyuan_site import build as build_module
    from lingyuan_site.build import BuildOptions, build
    from lingyuan_site.errors import SiteError

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this system: the build stays sequential")
    forks = []

    class Counted(build_module.Forked):
        def __init__(self, *args):
            forks.append(args[0].__name__)
            super().__init__(*args)

    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    options = dict(content=content, templates=ROOT / "templates", static=ROOT / "static")
    build(BuildOptions(out=tmp_path / "sequential", cache=tmp_path / "cache-sequential", **options))
    sequential = build(BuildOptions(out=tmp_path / "sequential", cache=tmp_path / "cache-sequential", **options))
    monkeypatch.setattr(build_module, "PARALLEL_MIN_PAGES", 2)
    monkeypatch.setattr(build_module, "Forked", Counted)
    monkeypatch.setattr(build_module, "_can_fork", lambda: True)  # the browser tests' threads may be running
    first = build(BuildOptions(out=tmp_path / "forked", cache=tmp_path / "cache", **options))
    assert forks == ["_search_part"]
    assert digest(tmp_path / "forked") == digest(tmp_path / "sequential")
    assert first.search["shards"] == 64 and "search/index/lengths.bin" in first.files
    again = build(BuildOptions(out=tmp_path / "forked", cache=tmp_path / "cache", **options))
    # the copy's memo entries reached the parent's memo: the rebuild kept every search file too
    assert again.search["written"] == 0 and again.cache == sequential.cache
    assert again.cache["reused"] > 2 * 22 + 64
    assert digest(tmp_path / "forked") == digest(tmp_path / "sequential")
    assert forks == ["_search_part"] * 2
    # one page edited: it is parsed in a forked copy while the other four come from the cache
    page = content / "2021-06-sijie-sanyin.md"
    page.write_text(page.read_text(encoding="utf-8").replace("产品供不应求。", "产品供不应求，远销京津。"), encoding="utf-8")
    edited = build(BuildOptions(out=tmp_path / "forked", cache=tmp_path / "cache", **options))
    assert forks == ["_search_part", "_search_part", "_read_list", "_search_part"]
    assert edited.cache["hits"] == 4 and edited.cache["misses"] == 1
    monkeypatch.setattr(build_module, "_can_fork", lambda: False)
    build(BuildOptions(out=tmp_path / "sequential", cache=tmp_path / "cache-sequential", **options))
    monkeypatch.setattr(build_module, "_can_fork", lambda: True)
    assert digest(tmp_path / "forked") == digest(tmp_path / "sequential")
    assert "远销京津" in (tmp_path / "forked" / "2021/06/shi-yong-jun-chan-ye-nian-chuang-chan/index.html").read_text(encoding="utf-8")
    before = digest(tmp_path / "forked")

    def broken(*args, **kwargs):
        raise SiteError("content", "search stage failed on purpose")

    monkeypatch.setattr(build_module.search_stage, "write_index", broken)
    with pytest.raises(SiteError, match="search stage failed on purpose"):
        build(BuildOptions(out=tmp_path / "forked", cache=tmp_path / "cache", **options))
    assert digest(tmp_path / "forked") == before
    assert forks[-1] == "_search_part" and len(forks) == 5


def test_no_fork_beside_other_threads():
    """serve's file watcher runs in threads; a fork beside them could wait forever on a lock one of
    them held, so the build then stays in one process."""
    import threading

    from lingyuan_site import build as build_module

    stop = threading.Event()
    watcher = threading.Thread(target=stop.wait)
    watcher.start()
    try:
        assert build_module._can_fork() is False
    finally:
        stop.set()
        watcher.join()
