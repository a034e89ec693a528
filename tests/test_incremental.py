"""Incremental builds: after any edit, a rebuild from the build store publishes exactly the site a
cold build of the same content publishes, byte for byte (the store's promise), while it reads and
writes only what the edit touches."""
from __future__ import annotations

import os
import random
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, digest, generate_pages
from lingyuan_site.build import BuildOptions, build


def body_lines(text: str) -> tuple[list[str], list[int]]:
    """The page's lines and the numbers of its non-empty lines after the front matter."""
    lines = text.split("\n")
    end = lines.index("---", 1)
    return lines, [i for i in range(end + 1, len(lines)) if lines[i].strip()]


def edit_text(path: Path, rng: random.Random) -> str:
    """A sentence of one paragraph rewritten (a number and words changed)."""
    lines, numbered = body_lines(path.read_text(encoding="utf-8"))
    i = rng.choice([i for i in numbered if len(lines[i]) > 60])
    lines[i] = lines[i][:20] + "凌源市新建口袋公园12处，方便市民休闲。" + lines[i][20:]
    path.write_text("\n".join(lines), encoding="utf-8")
    return f"text of {path.name}"


def retitle(path: Path, rng: random.Random) -> str:
    """The lead story's title (the line after the kicker) changed: a new URL, new list entries."""
    lines, numbered = body_lines(path.read_text(encoding="utf-8"))
    lines[numbered[1]] = "温泉小镇" + lines[numbered[1]]
    path.write_text("\n".join(lines), encoding="utf-8")
    return f"title in {path.name}"


def redate(path: Path, rng: random.Random) -> str:
    """The page moved to another day (its stories move folder, two days' lists change)."""
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^date: .*$", "date: 2012-01-0%d" % rng.randint(5, 9), text, count=1, flags=re.M), encoding="utf-8")
    return f"date of {path.name}"


def delete(path: Path, rng: random.Random) -> str:
    path.unlink()
    return f"{path.name} deleted"


def add(path: Path, rng: random.Random) -> str:
    """A new page: a copy of this one on another day, with another page label."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^date: .*$", "date: 2012-02-14", text, count=1, flags=re.M)
    text = re.sub(r"^page: .*$", "page: 第%d版" % rng.randint(1, 8), text, count=1, flags=re.M)
    new = path.with_name(f"x-{rng.randint(0, 10**6):06d}.md")
    new.write_text(text, encoding="utf-8")
    return f"{new.name} added"


EDITS = [edit_text, retitle, redate, delete, add]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    generate_pages(root / "content", daily=24, monthly=3, seed=11)
    return root


def build_into(content: Path, out: Path, cache):
    return build(BuildOptions(content=content, out=out, templates=ROOT / "templates", static=ROOT / "static", cache=cache))


@pytest.mark.parametrize("seed", [1])
def test_rebuilds_after_random_edits_equal_cold_builds(archive, tmp_path, seed):
    content = tmp_path / "content"
    shutil.copytree(archive / "content", content)
    cache, site = tmp_path / "cache", tmp_path / "site"
    first = build_into(content, site, cache)
    rng = random.Random(seed)
    for step in range(6):
        pages = sorted(content.glob("*.md"))
        # every kind of edit in turn, sometimes with a second one of any kind in the same build
        edits = [EDITS[step % len(EDITS)](rng.choice(pages), rng)]
        if rng.random() < 0.5:
            pages = sorted(content.glob("*.md"))
            edits.append(rng.choice(EDITS)(rng.choice(pages), rng))
        warm = build_into(content, site, cache)
        cold_out = tmp_path / f"cold-{step}"
        build_into(content, cold_out, None)
        assert digest(site) == digest(cold_out), edits
        # only the edited pages were read again; most files were kept
        # (a bound of 60 %, not half: documents in blocks took one file a story out of the site,
        # a third of it, and the files an edit writes stayed as many or fewer: 191 of 382 now
        # for a redate that wrote 214 of 510)
        assert warm.cache["misses"] <= len(edits) and warm.cache["written"] < 0.6 * len(first.files), (edits, warm.cache)
        shutil.rmtree(cold_out)


def test_a_rebuild_with_nothing_changed_reads_and_writes_nothing(archive, tmp_path):
    content = archive / "content"
    first = build_into(content, tmp_path / "site", tmp_path / "cache")
    again = build_into(content, tmp_path / "site", tmp_path / "cache")
    assert again.cache == {"hits": first.cache["misses"], "misses": 0, "touched": 0, "written": 0, "kept": len(first.files)}
    assert again.search["written"] == 0 and again.media["encoded"] == []


@pytest.mark.parametrize("case", ["other dictionary, other names", "same dictionary, same names"])
def test_one_cache_for_two_content_folders(tmp_path, case):
    """`--content` pointing at another folder with the same cache (the default cache is the
    project's): the store starts that folder afresh. When the dictionaries differed it used to
    keep the first folder's pages in its site tables (the records naming them had been dropped),
    and render failed with an internal error; with the same names, sizes and times in both folders
    it took the first folder's page for the second's."""
    first, second = tmp_path / "a" / "content", tmp_path / "b" / "content"
    names = ("a.md", "b.md") if case.startswith("other") else ("p.md", "p.md")
    for folder, name, title in ((first, names[0], "城区新建口袋公园"), (second, names[1], "乡村公路通到家门")):
        folder.mkdir(parents=True)
        (folder / name).write_text(f"---\ndate: 2022-04\n---\n## {title}\n\n**本报讯** 正文一句话。\n", encoding="utf-8")
    if case.startswith("other"):
        (second / "dict.txt").write_text("口袋公园 300 n\n", encoding="utf-8")
    else:
        stamp = (first / "p.md").stat().st_mtime_ns
        os.utime(second / "p.md", ns=(stamp, stamp))  # same name, size and time: only the folder differs
    build_into(first, tmp_path / "site", tmp_path / "cache")
    shared = build_into(second, tmp_path / "site", tmp_path / "cache")
    cold = build_into(second, tmp_path / "cold", None)
    assert [e.title for e in shared.site.stories] == ["乡村公路通到家门"]
    assert digest(tmp_path / "site") == digest(tmp_path / "cold") and cold.cache["misses"] == 1


def test_serve_puts_off_the_search_index_and_the_next_build_catches_up(archive, tmp_path):
    """serve publishes a save's pages first (defer_search) and builds the index right after: in
    between, the pages show the edit and the index and the sitemaps are the previous ones, whole; after, the site
    is exactly a cold build's. Two saves put off in a row are both caught up."""
    content = tmp_path / "content"
    shutil.copytree(archive / "content", content)
    site, cache = tmp_path / "site", tmp_path / "cache"
    build_into(content, site, cache)
    index_before = {k: v for k, v in digest(site).items() if k.startswith("search/")}
    maps_before = {k: v for k, v in digest(site).items() if k.startswith("sitemap")}
    pages = sorted(content.glob("*.md"))
    for page, word in ((pages[3], "远销京津"), (pages[7], "誉满辽西")):
        page.write_text(page.read_text(encoding="utf-8").replace("。", f"，{word}。", 1), encoding="utf-8")
        shown = build(BuildOptions(content=content, out=site, templates=ROOT / "templates", static=ROOT / "static",
                                   cache=cache, defer_search=True))
        assert shown.search["deferred"] >= 1
    # a new page: new URLs, which the sitemaps list
    text = pages[5].read_text(encoding="utf-8")
    (content / "x-new.md").write_text(re.sub(r"^date: .*$", "date: 2012-01-20", text, count=1, flags=re.M), encoding="utf-8")
    build(BuildOptions(content=content, out=site, templates=ROOT / "templates", static=ROOT / "static", cache=cache, defer_search=True))
    assert (site / "2012" / "01" / "20" / "index.html").is_file()
    assert {k: v for k, v in digest(site).items() if k.startswith("search/")} == index_before
    assert {k: v for k, v in digest(site).items() if k.startswith("sitemap")} == maps_before  # (crawlers' files wait too)
    assert any("誉满辽西" in p.read_text(encoding="utf-8") for p in site.rglob("index.html"))
    caught_up = build_into(content, site, cache)
    assert caught_up.cache["misses"] == 0 and caught_up.search["written"] > 0
    assert {k: v for k, v in digest(site).items() if k.startswith("sitemap")} != maps_before
    build_into(content, tmp_path / "cold", None)
    assert digest(site) == digest(tmp_path / "cold")


def test_an_edited_paragraph_renders_its_page_and_stories_not_its_whole_day(archive, tmp_path):
    """The last sentence of one 版面 of an eight-page day rewritten: the rebuild renders that page's
    stories and its page view, and the lists of their tags; not the day's other 40-odd stories
    (their URLs and cards are as they were) nor its seven other page views (this page's card and
    place in the issue are as they were). It used to render them all, the day being their folder."""
    content = tmp_path / "content"
    shutil.copytree(archive / "content", content)
    site, cache = tmp_path / "site", tmp_path / "cache"
    first = build_into(content, site, cache)
    page = content / "d-0010.md"
    mine = [e for e in first.site.stories if e.key.startswith("d-0010.md#")]
    day = [e for e in first.site.stories if e.site_page.date == mine[0].site_page.date]
    assert len(mine) >= 5 and len(day) > 3 * len(mine)
    text = page.read_text(encoding="utf-8")
    end = text.rindex("。")  # the page's last sentence: no card shows it (a lede is a story's first lines)
    page.write_text(text[:end] + "，凌源市新建口袋公园12处" + text[end:], encoding="utf-8")
    warm = build_into(content, site, cache)
    assert warm.cache["misses"] == 1
    assert warm.rendered["story"] == len(mine) and warm.rendered["page"] == 1
    tags = {f"t:{t}" for e in mine for t in e.story.themes} | {f"k:{k}" for e in mine for k in e.story.keywords}
    assert warm.rendered["landing"] <= len(tags)
    build_into(content, tmp_path / "cold", None)
    assert digest(site) == digest(tmp_path / "cold")


def test_a_sentence_no_card_shows_renders_no_list_and_no_archive_page(archive, tmp_path, monkeypatch):
    """A sentence appended to one 版面 (as bench/bench_build.py does) that changes no story's card,
    keywords or themes: the rebuild renders that page's stories, its view and its themes' feeds
    (they show a story's summary and byline), and no tag list, landing, day, month or year page,
    which show cards only, and no year's sitemap. They once rendered every list page of each tag's
    year, and every year's sitemap."""
    content = tmp_path / "content"
    shutil.copytree(archive / "content", content)
    site, cache = tmp_path / "site", tmp_path / "cache"
    first = build_into(content, site, cache)
    page = content / "d-0010.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    from lingyuan_site import feeds

    sitemaps, write = [], feeds._write
    monkeypatch.setattr(feeds, "_write", lambda r, path, *a, **k: (sitemaps.append(path), write(r, path, *a, **k)))
    warm = build_into(content, site, cache)
    assert sitemaps == ["sitemap-main.xml", "sitemap.xml"]  # (no page came, went or changed its date: no year's sitemap)
    before = {e.key: (e.story.keywords, e.story.themes) for e in first.site.stories if e.key.startswith("d-0010.md#")}
    after = {e.key: (e.story.keywords, e.story.themes) for e in warm.site.stories if e.key.startswith("d-0010.md#")}
    assert before == after and len(after) >= 5  # (what this test is about: no tag of the page's stories changed)
    themes = {t for _, ts in after.values() for t in ts}
    assert warm.rendered == {"home": 1, "static": 1, "feed": 1 + len(themes), "story": len(after), "page": 1, "media": 1}
    build_into(content, tmp_path / "cold", None)
    assert digest(site) == digest(tmp_path / "cold")


def test_the_report_is_written_again_only_when_it_would_say_something_else(archive, tmp_path):
    """The editor's report lists every page's warnings. A rebuild after an edit that changes no
    page's warnings leaves it as it was (it once read and wrote every page's warnings again on each
    build) and gives the warnings of the pages it read; one that adds a warning writes it again."""
    content = tmp_path / "content"
    shutil.copytree(archive / "content", content)
    site, cache = tmp_path / "site", tmp_path / "cache"
    noisy = content / "d-0003.md"
    noisy.write_text(noisy.read_text(encoding="utf-8").replace("---\n", "---\nauthor: 张旭\n", 1), encoding="utf-8")
    first = build_into(content, site, cache)
    report = first.report
    text, stamp = report.read_text(encoding="utf-8"), report.stat().st_mtime_ns
    assert "d-0003.md:2: unknown-key: unknown front matter key 'author' is ignored" in text
    assert first.warning_count == text.count("\n  ") >= 1
    quiet = content / "d-0010.md"
    quiet.write_text(quiet.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    warm = build_into(content, site, cache)
    assert report.stat().st_mtime_ns == stamp and report.read_text(encoding="utf-8") == text
    assert warm.warning_count == first.warning_count
    assert {str(p).rsplit("/", 1)[-1] for p, _ in warm.warnings} <= {"d-0010.md"}
    quiet.write_text(quiet.read_text(encoding="utf-8").replace("---\n", "---\nsource: x\nauthor: 李明\n", 1), encoding="utf-8")
    again = build_into(content, site, cache)
    assert again.warning_count == first.warning_count + 1
    assert [w.message for p, w in again.warnings if w.kind == "unknown-key"] == ["unknown front matter key 'author' is ignored"]
    assert "d-0010.md:3: unknown-key: unknown front matter key 'author' is ignored" in report.read_text(encoding="utf-8")


def test_a_save_looks_only_at_the_files_serve_saw_and_the_next_build_at_all(archive, tmp_path):
    """serve passes the files its watcher saw (BuildOptions.changed): that build states and reads
    only those pages, so a page edited unseen waits for the next full build (serve runs one at
    once, for the search index), which reads it; the site is then a cold build's."""
    content = tmp_path / "content"
    shutil.copytree(archive / "content", content)
    site, cache = tmp_path / "site", tmp_path / "cache"
    build_into(content, site, cache)
    seen, unseen = content / "d-0003.md", content / "d-0017.md"
    for page, word in ((seen, "远销京津"), (unseen, "誉满辽西")):
        page.write_text(page.read_text(encoding="utf-8").replace("。", f"，{word}。", 1), encoding="utf-8")
    editor_temp = content / "4913"  # (vim's probe: made and gone before the build looks)
    shown = build(BuildOptions(content=content, out=site, templates=ROOT / "templates", static=ROOT / "static", cache=cache,
                               defer_search=True, changed=frozenset({seen, editor_temp})))
    assert shown.cache["misses"] == 1
    html = "".join(p.read_text(encoding="utf-8") for p in site.rglob("index.html"))
    assert "远销京津" in html and "誉满辽西" not in html
    caught_up = build_into(content, site, cache)
    assert caught_up.cache["misses"] == 1
    build_into(content, tmp_path / "cold", None)
    assert digest(site) == digest(tmp_path / "cold")


def test_a_save_of_an_image_scans_every_page(archive, tmp_path):
    """A file of content/ that is not a page may be an image a page shows: that save scans all."""
    content = tmp_path / "content"
    shutil.copytree(archive / "content", content)
    site, cache = tmp_path / "site", tmp_path / "cache"
    build_into(content, site, cache)
    page = content / "d-0005.md"
    page.write_text(page.read_text(encoding="utf-8").replace("。", "，誉满辽西。", 1), encoding="utf-8")
    (content / "photo.jpg").write_bytes(b"not looked at")
    shown = build(BuildOptions(content=content, out=site, templates=ROOT / "templates", static=ROOT / "static", cache=cache,
                               defer_search=True, changed=frozenset({content / "photo.jpg"})))
    assert shown.cache["misses"] == 1 and shown.cache["hits"] == len(list(content.glob("*.md"))) - 1


# ---------------------------------------------------------------- content, not clocks (issues 36 and 38)
def changes_of(path: Path) -> tuple[str, list, list]:
    """A --changes file: (its first line, the paths written, the paths removed)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0], [x[2:] for x in lines[1:] if x.startswith("+ ")], [x[2:] for x in lines[1:] if x.startswith("- ")]


def test_a_checkout_elsewhere_with_the_store_reads_and_writes_only_the_edited_page(archive, tmp_path):
    """What CI does with the store carried (issue 36): the content folder checked out afresh in
    another place (every mtime new), the store and the published site restored beside it, one page
    edited. Only that page is read, only its files are written (the same ones an in-place rebuild
    writes), and the site equals a cold build's."""
    here, there = tmp_path / "here", tmp_path / "there"
    shutil.copytree(archive / "content", here / "content")
    build_into(here / "content", here / "public", here / "cache")
    # the checkout: same bytes, new files, new mtimes; the CI cache: the store and the site as they were
    shutil.copytree(here / "content", there / "content", copy_function=shutil.copyfile)
    checkout = (here / "content" / "d-0003.md").stat().st_mtime_ns - 3600 * 10**9  # (an hour ago: any other time than the store's)
    for page in (there / "content").iterdir():
        os.utime(page, ns=(checkout, checkout))
    shutil.copytree(here / "cache", there / "cache")
    shutil.copytree(here / "public", there / "public")
    for root in (here, there):  # the same edit in both places
        edit_text(root / "content" / "d-0003.md", random.Random(5))
    pages = len(list((there / "content").glob("*.md")))
    in_place = build(BuildOptions(content=here / "content", out=here / "public", templates=ROOT / "templates", static=ROOT / "static",
                                  cache=here / "cache", changes=here / "changes.txt"))
    moved = build(BuildOptions(content=there / "content", out=there / "public", templates=ROOT / "templates", static=ROOT / "static",
                               cache=there / "cache", changes=there / "changes.txt"))
    assert (moved.cache["misses"], moved.cache["touched"], moved.cache["hits"]) == (1, pages - 1, pages - 1)
    assert moved.cache["written"] == in_place.cache["written"] < 60
    head, written, removed = changes_of(there / "changes.txt")
    assert (written, removed) == changes_of(here / "changes.txt")[1:]
    assert head == f"# lingyuan-site changes: {len(written)} written, {len(removed)} removed"
    assert "2012/01/" in " ".join(written) and ".lingyuan-site" in written
    build_into(there / "content", tmp_path / "cold", None)
    assert digest(there / "public") == digest(tmp_path / "cold")
    # and the next build, with nothing changed, reads nothing and hashes only the page saved just
    # now (within RACY_NS of its read): the new mtimes were recorded
    again = build_into(there / "content", there / "public", there / "cache")
    assert (again.cache["misses"], again.cache["touched"], again.cache["written"]) == (0, 1, 0)


def test_changes_after_a_full_build_list_the_whole_site_and_what_went(archive, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(archive / "content", content)
    options = dict(content=content, out=tmp_path / "public", templates=ROOT / "templates", static=ROOT / "static",
                   cache=tmp_path / "cache", changes=tmp_path / "changes.txt")
    first = build(BuildOptions(**options))
    head, written, removed = changes_of(tmp_path / "changes.txt")
    assert head == "# lingyuan-site changes: whole site (copy every file, remove any other)"
    assert sorted(written) == sorted(first.files + [".lingyuan-site"]) and removed == []
    gone = sorted(p for p in first.files if p.startswith("2012/01/") and p.endswith("/index.html"))
    (content / "d-0000.md").unlink()
    (tmp_path / "templates").mkdir()  # a template edit: every file rendered again, the old site known
    shutil.copytree(ROOT / "templates", tmp_path / "templates", dirs_exist_ok=True)
    with open(tmp_path / "templates" / "base.html", "a", encoding="utf-8") as fh:
        fh.write("\n")
    second = build(BuildOptions(**{**options, "templates": tmp_path / "templates"}))
    head, written, removed = changes_of(tmp_path / "changes.txt")
    assert head.endswith("written, %d removed" % len(removed)) and removed
    assert set(removed) == set(first.files) - set(second.files) and set(removed) & set(gone)
    assert sorted(written) == sorted(second.files + [".lingyuan-site"])


@pytest.mark.parametrize("same_clock", [False, True], ids=["later mtime", "same size and mtime"])
def test_a_save_while_the_page_is_being_read_is_published_by_the_next_build(archive, tmp_path, monkeypatch, same_clock):
    """Issue 38: a page saved again while a rebuild read it was lost for good (the build stated the
    file after parsing it, and recorded the second save's mtime for the first save's text). Also
    when the second save has the same size and the same mtime as the first (one clock tick):
    a page saved so close before it was read is compared by digest at the next scan."""
    import lingyuan_site.read as read_module

    content = tmp_path / "content"
    shutil.copytree(archive / "content", content)
    site, cache = tmp_path / "site", tmp_path / "cache"
    build_into(content, site, cache)
    page = content / "d-0002.md"
    text = page.read_text(encoding="utf-8")
    first, second = text.replace("。", "，一稿。", 1), text.replace("。", "，二稿。", 1)
    assert len(first.encode()) == len(second.encode())
    page.write_text(first, encoding="utf-8")
    real = read_module.read_task

    def read_and_save_again(task):
        if task[0] == "d-0002.md":
            stamp = page.stat().st_mtime_ns
            page.write_text(second, encoding="utf-8")  # the editor saves again while the build reads
            if same_clock:
                os.utime(page, ns=(stamp, stamp))
        return real(task)

    monkeypatch.setattr(read_module, "read_task", read_and_save_again)
    during = build_into(content, site, cache)
    monkeypatch.setattr(read_module, "read_task", real)
    assert during.cache["misses"] == 1
    assert (shows(site, "一稿"), shows(site, "二稿")) == (True, False)  # the first save, as read
    after = build_into(content, site, cache)
    assert after.cache["misses"] == 1
    assert (shows(site, "一稿"), shows(site, "二稿")) == (False, True)
    build_into(content, tmp_path / "cold", None)
    assert digest(site) == digest(tmp_path / "cold")


def shows(site: Path, text: str) -> bool:
    """Whether a story page of the site shows `text`."""
    return any(text in p.read_text(encoding="utf-8") for p in site.glob("2012/**/index.html"))


def test_pages_deleted_while_a_cold_build_reads_are_left_out(archive, tmp_path, monkeypatch):
    """Issue 38: a page deleted while a cold build ran gave 'internal error (FileNotFoundError …)'.
    One deleted before its turn to be read, one after it was read: the site is the one of the
    pages that are left, as the next build (which finds nothing to do) agrees."""
    import lingyuan_site.read as read_module

    content = tmp_path / "content"
    shutil.copytree(archive / "content", content)
    real = read_module.read_task

    def read_and_delete(task):
        if task[0] == "d-0001.md":
            (content / "d-0000.md").unlink()  # read already
            (content / "d-0009.md").unlink()  # not yet
        return real(task)

    monkeypatch.setattr(read_module, "read_task", read_and_delete)
    first = build_into(content, tmp_path / "site", tmp_path / "cache")
    monkeypatch.setattr(read_module, "read_task", real)
    shown = {Path(p.model.path).name for p in first.site.pages}
    assert "d-0009.md" not in shown and {"d-0000.md", "d-0001.md", "d-0010.md"} <= shown
    again = build_into(content, tmp_path / "site", tmp_path / "cache")
    assert again.cache["misses"] == 0 and again.cache["hits"] == len(list(content.glob("*.md")))
    build_into(content, tmp_path / "cold", None)
    assert digest(tmp_path / "site") == digest(tmp_path / "cold")
