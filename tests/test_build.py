"""Robust builds: every kind of bad input gives one clear line naming the file (and line), no
traceback, a non-zero exit when a page would be lost, and the previous site left byte-identical."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, digest

GOOD = "---\ndate: 2022-04\n---\n## 凌源新建口袋公园\n\n**本报讯** 近日，凌源市城区新建口袋公园3处，方便市民休闲。\n"


def run(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *map(str, args)], capture_output=True, text=True, cwd=cwd or ROOT)


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
    ("alias.md", "---\ndate: &a [lol, lol, lol, lol]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n---\n正文。\n",
     "front matter is not valid YAML (aliases (*name) are not allowed here)", 3),
    ("deep.md", "---\ndate: 2022\nx: " + "[" * 2000 + "]" * 2000 + "\n---\n正文。\n",
     "front matter is not valid YAML (nested more than 50 levels deep)", 3),
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
    # issue 38: YAML keeps the last of two keys silently (the page was filed under the second date)
    ("twodates.md", "---\ndate: 2022-04\ntitle: 第2版\ndate: 2023-05\n---\n正文。\n", "front matter is not valid YAML ('date' is given twice; keep one)", 4),
    # issue 38: 200,000 areas rectangles took a minute to refuse
    ("bigfront.md", "---\ndate: 2022-04\nnote: " + "长" * 100_001 + "\n---\n正文。\n",
     "front matter has 100,021 characters; at most 100,000 (the page's text goes below the second '---')", 2),
    # issue 38: a photo line above a headline became the next story's kicker, whatever it named
    ("notimage.md", "---\ndate: 2022-04\n---\n## 标题\n\n**本报讯** 正文。\n\n![说明](../../etc/passwd)\n\n## 第二条\n\n**本报讯** 正文。\n",
     "photo '../../etc/passwd' is outside the content folder", 8),
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


def test_broken_override_template(project, tmp_path):
    """A site's templates/ overrides the default theme file by file (a folder without story.html
    is no error: the default one is used); a broken override is one line naming it, and the
    previous site stays."""
    content, out, before = project
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "story.html").write_text("{% extends 'base.html' %}\n{% block main %}\n{% if %}\n{% endblock %}\n", encoding="utf-8")
    result = run("build", "--content", content, "--out", out, "--templates", templates)
    assert result.returncode == 1
    assert result.stderr.startswith("error: templates/story.html:3: template error:")
    assert digest(out) == before


@pytest.mark.parametrize("name, text, where, message", [
    ("story.html", "{% extends 'base.html' %}\n{% block main %}\n{% include 'story.html' %}\n{% endblock %}\n", "story.html",
     "template error: it includes or extends itself, or nests too deeply"),
    ("story.html", "{% extends 'base.html' %}\n{% block main %}\n<p>{{ 1 // 0 }}</p>\n{% endblock %}\n", "story.html:3",
     "template error: ZeroDivisionError: integer division or modulo by zero"),
])
def test_a_template_that_fails_when_rendered_is_one_line_naming_it(project, tmp_path, name, text, where, message):
    """Issue 38: these were internal errors (RecursionError, ZeroDivisionError)."""
    content, out, before = project
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / name).write_text(text, encoding="utf-8")
    result = run("build", "--content", content, "--out", out, "--templates", templates)
    assert result.returncode == 1
    assert result.stderr == f"error: templates/{where}: {message}\n"
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


def postings_of(site: Path, ref: int) -> dict:
    """Story number `ref`'s postings in each search shard (file name → sorted (term, field, count))."""
    from lingyuan_site import search

    found = {}
    for f in (site / "search" / "index").glob("*.bin"):
        p = search.decode(search.unpack(f.read_bytes()))
        mine = p.doc == ref
        if mine.any():
            found[f.name] = sorted(zip(p.terms[mine].tolist(), p.field[mine].tolist(), p.count[mine].tolist()))
    return found


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
    assert first.cache == {"hits": 0, "misses": 5, "touched": 0, "written": len(first.files), "kept": 0}
    again = go(tmp_path / "a")
    assert again.cache == {"hits": 5, "misses": 0, "touched": 0, "written": 0, "kept": len(first.files)}
    site = again.site
    # every story, page and list page, every search file, the feeds, the sitemaps and robots.txt
    assert len([f for f in again.files if f.endswith(".html")]) > 2 * 22 + 5
    assert again.search["written"] == 0
    unchanged_story = tmp_path / "a" / site.stories[0].url / "index.html"
    inode = unchanged_story.stat().st_ino
    (tmp_path / "a" / "stray.txt").write_text("not built by us", encoding="utf-8")
    page = content / "2021-06-sijie-sanyin.md"
    edited = next(e for e in site.stories if e.title == "食用菌产业年创产值6亿元")
    before_edit = postings_of(tmp_path / "a", edited.ref)
    page.write_text(page.read_text(encoding="utf-8").replace("食用菌产业年创产值6亿元", "食用菌产业年创产值7亿元")
                    .replace("产品供不应求。", "产品供不应求，远销京津。"), encoding="utf-8")
    warm = go(tmp_path / "a")
    assert warm.cache["hits"] == 4 and warm.cache["misses"] == 1
    # the index stores counts per posting and field lengths apart: the shards where the edited
    # story's postings changed are written again, not the others it is in
    after_edit = postings_of(tmp_path / "a", edited.ref)
    changed = {k for k in before_edit.keys() | after_edit.keys() if before_edit.get(k) != after_edit.get(k)}
    assert 0 < warm.search["written"] == len(changed) < len(before_edit.keys() | after_edit.keys()) / 2
    # the changed story, its page, its neighbours (prev/next titles) and the lists showing it are rendered again
    assert 0 < warm.cache["written"] < len(first.files) - 4
    go(tmp_path / "cold", use_cache=False)
    # the rebuild updated the site in place: an unchanged file was left alone, and a file the
    # build never wrote is not its business (finding one would walk the whole archive)
    assert unchanged_story.stat().st_ino == inode and (tmp_path / "a" / "stray.txt").exists()
    (tmp_path / "a" / "stray.txt").unlink()
    assert digest(tmp_path / "a") == digest(tmp_path / "cold")
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
    # files changed by hand in the published site and strays: a build without the store (a cold
    # build, swapped in whole) puts everything right
    (tmp_path / "a" / "archive/index.html").write_text("edited", encoding="utf-8")
    neighbour = next(p for p in (tmp_path / "a" / "2022").rglob("index.html") if p.parent.parent.name == "04")
    neighbour.write_text("edited by hand", encoding="utf-8")
    (tmp_path / "a" / "stray.txt").write_text("not built by us", encoding="utf-8")
    go(tmp_path / "a", use_cache=False)
    assert digest(tmp_path / "a") == digest(tmp_path / "cold")
    go(tmp_path / "a")  # and the store, which did not see that build, still knows the site
    assert digest(tmp_path / "a") == digest(tmp_path / "cold")
    # a template change renders every page made from it, and only those
    templates = tmp_path / "templates"
    shutil_copy(ROOT / "templates", templates)
    (templates / "story.html").write_text((templates / "story.html").read_text(encoding="utf-8").replace("相关报道", "相关稿件"), encoding="utf-8")
    changed = build(BuildOptions(content=content, out=tmp_path / "a", templates=templates, static=ROOT / "static", cache=cache))
    assert "相关稿件" in story_file(tmp_path / "a").read_text(encoding="utf-8")
    assert changed.cache["written"] >= 22 and changed.cache["hits"] == 5
    go(tmp_path / "a")
    assert digest(tmp_path / "a") == digest(tmp_path / "cold")
    # a deleted page leaves no stale output, and the store forgets it
    page.unlink()
    after = go(tmp_path / "a")
    assert after.cache["hits"] == 4 and after.cache["misses"] == 0
    assert not (tmp_path / "a" / "pages/2021-06-sijie-sanyin").exists()
    assert not (tmp_path / "a" / "2021/06").exists()  # it was the only page of June 2021
    import sqlite3

    with sqlite3.connect(after.store_path) as db:
        assert [p for (p,) in db.execute("SELECT path FROM sources ORDER BY path")] == sorted(p.name for p in content.glob("*.md"))
    go(tmp_path / "cold", use_cache=False)
    assert digest(tmp_path / "a") == digest(tmp_path / "cold")


def test_damaged_cache_files_mean_a_full_build_not_a_failure(tmp_path):
    """A damaged page record or compiled template is made again (noted), a store SQLite cannot
    read is moved aside and rebuilt: the site equals a cold build's every time."""
    import sqlite3

    import shutil

    from lingyuan_site.build import BuildOptions, build
    from lingyuan_site.store import reseal

    cache = tmp_path / "cache"
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    options = dict(content=content, templates=ROOT / "templates", static=ROOT / "static")
    first = build(BuildOptions(out=tmp_path / "a", cache=cache, **options))
    # a same-length edit inside every page's record, and in every compiled template
    db = sqlite3.connect(first.store_path)
    with db:
        for path, record in db.execute("SELECT path, record FROM sources").fetchall():
            db.execute("UPDATE sources SET record=? WHERE path=?", (record[:40] + bytes([record[40] ^ 1]) + record[41:], path))
    db.close()
    reseal(first.store_path)  # damage as a disk makes it, the file's modification time unchanged
    compiled = list((cache / "jinja").iterdir())
    assert compiled
    for f in compiled:
        data = f.read_bytes()
        f.write_bytes(data[:-5] + bytes([data[-5] ^ 1]) + data[-4:])
    page = content / "2021-06-sijie-sanyin.md"  # an edit, so pages are rendered with the templates
    page.write_text(page.read_text(encoding="utf-8").replace("产品供不应求。", "产品供不应求，远销京津。"), encoding="utf-8")
    build(BuildOptions(out=tmp_path / "cold", cache=None, **options))
    again = build(BuildOptions(out=tmp_path / "a", cache=cache, **options))
    assert again.cache["misses"] >= 4 and "a damaged page record in the build store was made again" in again.notes
    assert digest(tmp_path / "a") == digest(tmp_path / "cold")
    # a store that is not SQLite at all
    for suffix in ("", "-wal", "-shm"):
        p = Path(f"{first.store_path}{suffix}")
        if p.exists():
            p.write_bytes(b"not a database" * 100)
    reseal(first.store_path)
    third = build(BuildOptions(out=tmp_path / "a", cache=cache, **options))
    assert third.cache["misses"] == 5 and any("could not be read" in n for n in third.notes)
    assert digest(tmp_path / "a") == digest(tmp_path / "cold")


def test_a_store_changed_by_anything_but_a_build_is_not_trusted(tmp_path):
    """SQLite keeps no checksums and the site tables' text has none: a title edited inside
    store.sqlite (same length, as the crash bench's damage matrix does) would be published. The
    seal beside the store (its size and modification time when the last build closed it) tells
    the next build, which starts an empty store: the site equals a cold build's, with a note.
    A build that closed the store normally leaves it trusted."""
    import shutil

    from lingyuan_site.build import BuildOptions, build

    cache = tmp_path / "cache"
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    options = dict(content=content, templates=ROOT / "templates", static=ROOT / "static")
    first = build(BuildOptions(out=tmp_path / "a", cache=cache, **options))
    again = build(BuildOptions(out=tmp_path / "a", cache=cache, **options))
    assert again.notes == [] and again.cache == {**again.cache, "hits": 5, "misses": 0}
    import sqlite3

    from lingyuan_site.store import reseal

    db = sqlite3.connect(first.store_path)  # (the log moved into the file, so the title is there)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    reseal(first.store_path)
    title = "凌源市统筹抓好疫情防控和经济社会发展工作".encode()
    data = first.store_path.read_bytes()
    assert title in data
    first.store_path.write_bytes(data.replace(title, "凋源市统筹抓好疫情防控和经济社会发展工作".encode(), 1))
    # a new page of April 2022: the page list that shows the edited title is rendered again
    (content / "touched.md").write_text("---\ndate: 2022-04\n---\n## 口袋公园\n\n**本报讯** 城区新建口袋公园3处。\n", encoding="utf-8")
    build(BuildOptions(out=tmp_path / "cold", cache=None, **options))
    third = build(BuildOptions(out=tmp_path / "a", cache=cache, **options))
    assert third.cache["misses"] == 6
    assert third.notes == [f"the build store {first.store_path} was changed since the last build closed it; it is rebuilt"]
    assert digest(tmp_path / "a") == digest(tmp_path / "cold")
    for page in ("pages/touched/index.html", "pages/2022-04-zhengfen-duomiao/index.html"):
        assert "凌源市统筹抓好疫情防控" in (tmp_path / "a" / page).read_text(encoding="utf-8")


def test_worker_processes_give_the_same_site_and_their_errors(tmp_path, monkeypatch):
    """With the thresholds lowered, the five pages are read and rendered by two worker processes:
    the site equals the one-process build's, cold and after an edit, and a bad page read in a
    worker stops the build with its own one-line error, the previous site untouched."""
    import shutil

    from lingyuan_site import build as build_module
    from lingyuan_site import render
    from lingyuan_site.build import BuildOptions, build
    from lingyuan_site.errors import SiteError

    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    options = dict(content=content, templates=ROOT / "templates", static=ROOT / "static")

    def go(name, jobs):
        return build(BuildOptions(out=tmp_path / name, cache=tmp_path / f"cache-{name}", jobs=jobs, **options))

    go("one", 1)
    monkeypatch.setattr(build_module, "PARALLEL_MIN_PAGES", 2)
    monkeypatch.setattr(render, "TASK_CHUNK", 4)
    two = go("two", 2)
    assert two.cache["misses"] == 5
    assert digest(tmp_path / "two") == digest(tmp_path / "one")
    page = content / "2021-06-sijie-sanyin.md"
    page.write_text(page.read_text(encoding="utf-8").replace("产品供不应求。", "产品供不应求，远销京津。"), encoding="utf-8")
    other = content / "2022-04-zhengfen-duomiao.md"  # two pages to read, so the pool is used (a touch is not
    other.write_text(other.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # enough: the scan trusts content, not clocks)
    go("one", 1)
    edited = go("two", 2)
    assert edited.cache["hits"] == 3 and edited.cache["misses"] == 2
    assert digest(tmp_path / "two") == digest(tmp_path / "one")
    assert "远销京津" in (tmp_path / "two" / "2021/06/shi-yong-jun-chan-ye-nian-chuang-chan/index.html").read_text(encoding="utf-8")
    before = digest(tmp_path / "two")
    (content / "bad.md").write_text("---\ndate: 2022-02-30\n---\n正文。\n", encoding="utf-8")
    (content / "bad2.md").write_text(GOOD, encoding="utf-8")
    with pytest.raises(SiteError, match="date 2022-02-30 does not exist"):
        go("two", 2)
    assert digest(tmp_path / "two") == before


def test_no_fork_beside_other_threads():
    """serve's file watcher runs in threads; a fork beside them could wait forever on a lock one of
    them held, so the build then stays in one process."""
    import threading

    from lingyuan_site import workers

    stop = threading.Event()
    watcher = threading.Thread(target=stop.wait)
    watcher.start()
    try:
        assert workers.can_fork() is False
    finally:
        stop.set()
        watcher.join()


def test_page_limits_are_one_line_errors(project):
    content, out, before = project
    (content / "site.yaml").write_text("max_page_lines: 100\nmax_page_mb: 1\n", encoding="utf-8")
    (content / "long.md").write_text("---\ndate: 2022\n---\n" + "正文。\n" * 300, encoding="utf-8")
    result = run("build", "--content", content, "--out", out)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {content / 'long.md'}: has 304 lines; a page may have at most 100 (max_page_lines in site.yaml)"
    (content / "long.md").write_text("---\ndate: 2022\n---\n" + "正文。" * 200_000, encoding="utf-8")
    result = run("build", "--content", content, "--out", out)
    assert result.stderr.strip() == f"error: {content / 'long.md'}: is 1.8 MB; a page may be at most 1 MB (max_page_mb in site.yaml)"
    assert digest(out) == before


# ---------------------------------------------------------------- a build deletes only what it made (issue 38)
def test_an_out_folder_of_other_files_is_refused_and_untouched(project, tmp_path):
    content, _, _ = project
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n", encoding="utf-8")
    (home / "Documents").mkdir()
    (home / "Documents" / "thesis.txt").write_text("第一章\n", encoding="utf-8")
    before = digest(home)
    result = run("build", "--content", content, "--out", home)
    assert result.returncode == 1
    assert result.stderr == (f"error: {home}: --out holds files lingyuan-site did not make (no .lingyuan-site in it); "
                             "a build replaces its output folder: choose a new or empty one, or remove it first\n")
    assert digest(home) == before
    # an empty folder, and the folder of an earlier build, are fine
    (tmp_path / "empty").mkdir()
    assert run("build", "--content", content, "--out", tmp_path / "empty").returncode == 0
    assert (tmp_path / "empty" / ".lingyuan-site").read_text(encoding="utf-8").startswith("lingyuan-site ")
    assert run("build", "--content", content, "--out", tmp_path / "empty").returncode == 0
    # a site an earlier version built (no marker: a CI cache restores one on the first run after an upgrade)
    (tmp_path / "empty" / ".lingyuan-site").unlink()
    assert run("build", "--content", content, "--out", tmp_path / "empty").returncode == 0
    assert (tmp_path / "empty" / ".lingyuan-site").is_file()


@pytest.mark.parametrize("flag, target, message", [
    ("--report", "content/good.md", "--report must not be inside the content folder: it would overwrite or be published as one of its files"),
    ("--report", "content/site.yaml", "--report must not be inside the content folder"),
    ("--report", "public/report.txt", "--report must not be inside the output folder (--out)"),
    ("--changes", "content/changes.txt", "--changes must not be inside the content folder"),
    ("--cache-dir", "public", "--cache-dir must not be the output folder (--out), inside it or around it"),
    ("--cache-dir", "public/.cache", "--cache-dir must not be the output folder (--out), inside it or around it"),
    ("--cache-dir", "content/.cache", "--cache-dir must not be inside the content folder"),
])
def test_an_output_path_on_an_input_or_the_store_in_the_site_is_refused(project, flag, target, message):
    content, out, before = project
    root = content.parent
    pages = digest(content)
    result = run("build", "--content", content, "--out", out, flag, root / target)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {root / target}: {message}"), result.stderr
    assert digest(content) == pages and digest(out) == before


def test_two_builds_sharing_a_store_with_different_outs_both_finish_whole(tmp_path):
    """Issue 38: two builds at once on one --cache-dir each published half a site (16 year
    sitemaps missing). The store's lock makes the second wait."""
    from conftest import generate_pages

    content = tmp_path / "content"
    generate_pages(content, daily=40, monthly=4, seed=5)
    procs = [subprocess.Popen([sys.executable, str(ROOT / "build.py"), "build", "--content", str(content), "--out", str(tmp_path / name),
                               "--cache-dir", str(tmp_path / "cache"), "--jobs", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("one", "two")]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    assert run("build", "--content", content, "--out", tmp_path / "cold", "--no-cache").returncode == 0
    cold = digest(tmp_path / "cold")
    assert digest(tmp_path / "one") == cold and digest(tmp_path / "two") == cold
