#!/usr/bin/env python3
"""Benchmark the search a reader uses (issues 6 and 15), next to Pagefind on the same site and the
same queries, in headless Chromium. Prints figures; asserts nothing.

Builds a generated archive (default 2,000 pages, bench/generate.py) or a content folder, runs
Pagefind (`pip install 'pagefind[bin]'`) over a copy holding only the story pages (both index the
same documents), and draws queries from the stories' own text: 2 to 6 characters, some in
Traditional characters, some two terms with a space. For each query, in the header box of a story
page (the way a reader searches):
  - time from the keystroke to the first result painted in the box's panel, with an empty browser
    cache (cold: the search code, the index and the result files all load) and again on another page
    with them cached (warm);
  - bytes fetched by the cold search (uncompressed): the index data and result files, and with the
    libraries; Pagefind's for the same query (its index chunks and the fragments of one screen of
    results, as its JS API returns them), and with its libraries;
  - precision: the share of shown results whose story holds every query term as typed.
Targets (issue 15): precision 1.0, first result within 300 ms cold on loopback, data bytes at most
0.5 x Pagefind's.

    python bench/bench_search.py [--pages N] [--queries N] [--content DIR]
"""
from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from browser import Server, launch  # noqa: E402
from lingyuan_site import search  # noqa: E402
from lingyuan_site.build import BuildOptions, build  # noqa: E402

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

# When the first result option appears in the header panel after the input event: measured in
# the page, from the input event to the next animation frame after the option is inserted.
HOOK = """() => {
  const box = document.getElementById('site-search-q'), panel = document.getElementById('site-search-panel');
  window.__t0 = null; window.__first = null; window.__done = false;
  box.addEventListener('input', () => { window.__t0 = performance.now(); }, {once: true});
  new MutationObserver(() => {
    if (window.__first !== null || window.__t0 === null) return;
    const opts = panel.querySelectorAll('[role=option]');
    if (panel.querySelector('.search-none') || opts.length) {
      window.__done = true;
      if (opts.length > 1) requestAnimationFrame(() => { window.__first = performance.now() - window.__t0; });
      else window.__first = -1;
    }
  }).observe(panel, {childList: true, subtree: true});
}"""


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


def draw_queries(stories: list, n: int, seed: int = 5) -> list[str]:
    """Queries from the stories' text: pieces of 2 to 6 Chinese characters (no punctuation), one
    in eight in Traditional characters, one in eight two pieces of one story with a space."""
    import opencc

    s2t = opencc.OpenCC("s2t")
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        entry = rng.choice(stories)
        text = "".join(entry.story.paragraphs) or entry.title
        runs = [r for r in re.findall(r"[\u4e00-\u9fff]{2,}", text) if len(r) >= 2]
        if not runs:
            continue

        def piece(k: int) -> str:
            run = rng.choice(runs)
            k = min(k, len(run))
            i = rng.randrange(0, len(run) - k + 1)
            return run[i : i + k]

        kind = len(out) % 8
        if kind == 3:
            q = s2t.convert(piece(rng.randint(3, 4)))
        elif kind == 6:
            q = piece(2) + " " + piece(rng.randint(2, 3))
        else:
            q = piece(rng.choice([2, 2, 3, 4, 5, 6]))
        if q not in out:
            out.append(q)
    return out


def story_text(out: Path, href: str) -> str:
    url = unquote(href.split("?")[0]).replace("../", "")
    html = (out / url / "index.html").read_text(encoding="utf-8")
    main = html[html.index("<main"): html.index("</main>")]
    return re.sub(r"<[^>]+>", "", main)


def measure(queries: list[str], site: Path, pf_site: Path, story_url: str, other_url: str) -> list[dict]:
    from playwright.sync_api import sync_playwright

    ours, pf = Server(site), Server(pf_site)
    rows = []
    try:
        with sync_playwright() as p:
            browser = launch(p)
            for q in queries:
                row = {"query": q}
                ctx = browser.new_context()
                page = ctx.new_page()
                got: list = []
                page.on("response", lambda r: got.append((r.url, len(r.body()))) if r.ok and r.request.method == "GET" else None)
                for label, url in (("cold", story_url), ("warm", other_url)):
                    page.goto(ours.url + url)
                    page.wait_for_load_state("networkidle")
                    got.clear()
                    page.evaluate(HOOK)
                    page.focus("#site-search-q")
                    page.fill("#site-search-q", q)
                    page.wait_for_function("() => window.__first !== null", timeout=30_000)
                    row[label] = page.evaluate("window.__first")
                    if label == "cold":
                        page.wait_for_load_state("networkidle")
                        row["data"] = sum(n for u, n in got if "/search/" in u)
                        row["all"] = row["data"] + sum(n for u, n in got if u.endswith(".js"))
                        hrefs = page.locator("#site-search-panel a[role=option]").evaluate_all(
                            "as => as.slice(0, -1).map(a => a.getAttribute('href'))")
                        terms = search.query_terms(q, page.evaluate("window.lingyuanSearch.meta().fold"))
                        row["shown"] = len(hrefs)
                        row["hold"] = sum(search.holds_terms(story_text(site, h), terms) for h in hrefs)
                ctx.close()
                # Pagefind: a fresh context, its JS API, data for the first 10 results (one screen)
                ctx = browser.new_context()
                page = ctx.new_page()
                got = []
                page.on("response", lambda r: got.append((r.url, len(r.body()))) if r.ok else None)
                page.goto(pf.url + "bench.html")
                page.wait_for_function("() => window.ready === true")
                res = page.evaluate("q => window.runSearch(q)", q)
                page.wait_for_timeout(100)
                row["pf_count"] = res["count"]
                row["pf_data"] = sum(n for u, n in got if "/pagefind/" in u and not u.endswith((".js", ".wasm")) and "wasm" not in u)
                row["pf_all"] = sum(n for u, n in got if "/pagefind/" in u)
                ctx.close()
                rows.append(row)
            browser.close()
    finally:
        ours.close()
        pf.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=2000, help="generated pages (bench/generate.py)")
    ap.add_argument("--content", help="a content folder instead of a generated archive")
    ap.add_argument("--queries", type=int, default=60)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        if args.content:
            content = Path(args.content)
        else:
            from generate import generate

            content = tmp / "content"
            generate(args.pages, content)
        site = tmp / "site"
        result = build_site(content, site)
        stories = result.site.stories
        pf = pagefind_copy(site, stories, tmp / "pf")
        queries = draw_queries(stories, args.queries)
        rows = measure(queries, site, tmp / "pf", stories[len(stories) // 2].url, stories[len(stories) // 3].url)
        ours_bytes = sum(p.stat().st_size for p in (site / "search").rglob("*") if p.is_file())
        print(f"stories: {len(stories)}; index on disk: ours {ours_bytes / 1e6:.1f} MB ({result.search['shards']} shards), "
              f"Pagefind {pf['bytes'] / 1e6:.1f} MB in {pf['files']} files")
        print(f"{'query':16} {'cold ms':>8} {'warm ms':>8} {'ours KB':>8} {'PF KB':>7} {'ours+js':>8} {'PF+js':>7} {'shown':>6} {'hold':>5} {'PF n':>5}")
        for r in rows:
            print(f"{r['query']:16} {r['cold']:8.0f} {r['warm']:8.0f} {r['data'] / 1024:8.1f} {r['pf_data'] / 1024:7.1f} "
                  f"{r['all'] / 1024:8.1f} {r['pf_all'] / 1024:7.1f} {r['shown']:6d} {r['hold']:5d} {r['pf_count']:5d}")
        answered = [r for r in rows if r["cold"] >= 0]
        cold = sorted(r["cold"] for r in answered)
        warm = sorted(r["warm"] for r in answered)
        p95 = lambda xs: xs[min(len(xs) - 1, int(0.95 * len(xs)))]  # noqa: E731
        shown, hold = sum(r["shown"] for r in rows), sum(r["hold"] for r in rows)
        data, pf_data = sum(r["data"] for r in rows), sum(r["pf_data"] for r in rows)
        print(f"\n{len(rows)} queries, {len(answered)} with results")
        print(f"first result painted: cold median {statistics.median(cold):.0f} ms, p95 {p95(cold):.0f} ms, max {cold[-1]:.0f} ms; "
              f"warm median {statistics.median(warm):.0f} ms, max {warm[-1]:.0f} ms (target: cold at most 300 ms)")
        print(f"bytes per query: ours median {statistics.median(r['data'] for r in rows) / 1024:.1f} KB, Pagefind "
              f"{statistics.median(r['pf_data'] for r in rows) / 1024:.1f} KB; in total {data / max(1, pf_data):.2f} x Pagefind "
              f"(target at most 0.5); with libraries ours {statistics.median(r['all'] for r in rows) / 1024:.1f} KB, "
              f"Pagefind {statistics.median(r['pf_all'] for r in rows) / 1024:.1f} KB")
        print(f"precision: {hold}/{shown} shown results hold every term = {hold / max(1, shown):.3f} (target 1.0)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
