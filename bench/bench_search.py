#!/usr/bin/env python3
"""Benchmark: what a first search downloads, ours next to Pagefind's, on the same built site.

Builds the site, runs Pagefind (`pip install 'pagefind[bin]'`) over a copy holding only the story
pages (so both index the same documents), then types each query into headless Chromium on both
and sums the bytes fetched (uncompressed): index data, and index data plus the search libraries.
Also reports how many of the queries each one answers. Prints figures; asserts nothing.

    python bench/bench_search.py [--content DIR]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, _Server  # noqa: E402
from lingyuan_site.build import BuildOptions, build  # noqa: E402

QUERIES = ["凌钢", "食用菌", "种球", "源市", "影调戏", "热水汤", "LNG", "ＬＮＧ", "lng", "174亿元", "5G", "經濟開發區",
           "凌鋼集團", "凌钢 食用菌", "京津冀 旅游", "反诈", "众的烦心事", "张旭", "数说", "中控室", "xyzzy"]

PAGEFIND_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"></head><body>
<script type="module">
window.runSearch = async (q) => {
  const pagefind = await import("./pagefind/pagefind.js");
  const search = await pagefind.search(q);
  const data = await Promise.all(search.results.slice(0, 10).map(r => r.data()));
  return {count: search.results.length, titles: data.map(d => d.meta.title)};
};
window.ready = true;
</script></body></html>"""


def build_site(content: Path, out: Path):
    return build(BuildOptions(content=content, out=out, templates=ROOT / "templates", static=ROOT / "static"))


def pagefind_copy(site: Path, stories: list, dest: Path) -> dict:
    for entry in stories:
        target = dest / entry.url / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(site / entry.url / "index.html", target)
    (dest / "bench.html").write_text(PAGEFIND_PAGE, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(dest)], capture_output=True, text=True)
    if run.returncode:
        raise SystemExit(f"pagefind failed: {run.stderr or run.stdout}")
    folder = dest / "pagefind"
    return {"bytes": sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()), "files": sum(1 for p in folder.rglob("*") if p.is_file())}


def measure(queries: list[str], site: Path, pf_site: Path) -> list[dict]:
    from playwright.sync_api import sync_playwright

    ours_srv, pf_srv = _Server(site), _Server(pf_site)
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for q in queries:
                row = {"query": q}
                # ours: a fresh context (empty cache), the search page with ?q=
                ctx = browser.new_context()
                page = ctx.new_page()
                got = []
                page.on("response", lambda r: got.append((r.url, len(r.body()))) if r.ok else None)
                page.goto(ours_srv.url + "search/?q=" + quote(q))
                page.wait_for_selector("#search-status:has-text('找到'), #search-status:has-text('没有找到')")
                row["ours_count"] = len(page.locator("#search-results li").all())
                status = page.locator("#search-status").inner_text()
                row["ours_total"] = int(status.split()[1]) if status.startswith("找到") else 0
                row["ours_data"] = sum(n for u, n in got if "/search/index/" in u or "/search/docs/" in u)
                row["ours_all"] = row["ours_data"] + sum(n for u, n in got if u.endswith((".js",)))
                ctx.close()
                # Pagefind: a fresh context, its JS API, data for the first 10 results (one screen, as ours)
                ctx = browser.new_context()
                page = ctx.new_page()
                got = []
                page.on("response", lambda r: got.append((r.url, len(r.body()))) if r.ok else None)
                page.goto(pf_srv.url + "bench.html")
                page.wait_for_function("() => window.ready === true")
                res = page.evaluate("q => window.runSearch(q)", q)
                page.wait_for_timeout(100)
                row["pf_total"] = res["count"]
                row["pf_data"] = sum(n for u, n in got if "/pagefind/" in u and not u.endswith((".js", ".wasm")) and "wasm" not in u)
                row["pf_all"] = sum(n for u, n in got if "/pagefind/" in u)
                ctx.close()
                rows.append(row)
            browser.close()
    finally:
        ours_srv.close()
        pf_srv.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--content", default=str(ROOT / "content"))
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-search-"))
    result = build_site(Path(args.content), tmp / "site")
    site = tmp / "site"
    ours_bytes = sum(p.stat().st_size for p in (site / "search" / "index").rglob("*") if p.is_file()) + sum(
        p.stat().st_size for p in (site / "search" / "docs").rglob("*") if p.is_file())
    pf = pagefind_copy(site, result.site.stories, tmp / "pf")
    rows = measure(QUERIES, site, tmp / "pf")
    print(f"stories: {len(result.site.stories)}")
    print(f"index on disk: ours {ours_bytes / 1024:.0f} KB in {len(list((site / 'search').rglob('*.*'))) - 1} files "
          f"({result.search['shards']} shards); Pagefind {pf['bytes'] / 1024:.0f} KB in {pf['files']} files")
    print(f"{'query':14} {'ours KB':>8} {'PF KB':>8} {'ours+js':>8} {'PF+js':>8} {'ours n':>7} {'PF n':>5}")
    for r in rows:
        print(f"{r['query']:14} {r['ours_data'] / 1024:8.1f} {r['pf_data'] / 1024:8.1f} {r['ours_all'] / 1024:8.1f} "
              f"{r['pf_all'] / 1024:8.1f} {r['ours_total']:7d} {r['pf_total']:5d}")
    n = len(rows)
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    print(f"median first-query data: ours {med([r['ours_data'] for r in rows]) / 1024:.1f} KB, "
          f"Pagefind {med([r['pf_data'] for r in rows]) / 1024:.1f} KB; with libraries: ours "
          f"{med([r['ours_all'] for r in rows]) / 1024:.1f} KB, Pagefind {med([r['pf_all'] for r in rows]) / 1024:.1f} KB")
    print(f"queries answered (at least one result): ours {sum(1 for r in rows if r['ours_total'])}/{n}, "
          f"Pagefind {sum(1 for r in rows if r['pf_total'])}/{n} (the last query, xyzzy, has no answer)")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
