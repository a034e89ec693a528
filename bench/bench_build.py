#!/usr/bin/env python3
"""Benchmark the build at archive scale (issue 6). Prints figures; asserts nothing.

For each N (pages; about 5.8 stories a page) it generates pages with bench/generate.py, then:
cold build time and time per stage, peak memory of the build process, output size, the rebuild
time after one page changes, and the bytes a first search downloads (ours and Pagefind's, on the
same built site, for the same queries). References printed in the same run: jieba segmenting the
same text once in one process, and Pagefind. Builds run in a child process so peak memory is the
build's own.

    python bench/bench_build.py [N ...] [--daily]     (default: 200 2000; --daily: a daily's layout,
                                                     eight labelled pages a day, see generate.py)
    python bench/bench_build.py [N ...] --photos     (issue 17; default N 200: a 4000 × 3000 JPEG in
                                                     every story, see generate.py)
    python bench/bench_build.py [N ...] --no-extras  (the build figures only: no serve, no site
                                                     figures, no Pagefind; for the largest sizes)
    python bench/bench_build.py [N ...] --no-pagefind (serve measured, but no site figures and no
                                                     Pagefind, which takes longest at 17,000 pages)

With --photos it prints, instead of the search figures: the cold build time each photo adds (the
same pages built without photos in the same run), the photos a rebuild re-encodes after one page
and one of its photos changed, the output bytes per photo, and the image bytes the first screen
of a few stories fetches on a 390 px phone at 3× (Chromium; target at most 120 KB).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1] + "/src")
from pathlib import Path
from lingyuan_site.build import BuildOptions, build
root = Path(sys.argv[1])
t = time.perf_counter()
cache = Path(sys.argv[4]) if len(sys.argv) > 4 else None
r = build(BuildOptions(content=Path(sys.argv[2]), out=Path(sys.argv[3]), templates=root / "templates", static=root / "static", cache=cache))
total = time.perf_counter() - t
kinds = {}
if r.media["images"]:  # (the photo figures; materialising the site costs memory a build does not use)
    for e in r.site.stories:
        if e.story.photos:
            kinds.setdefault(e.story.kind, e.url)
print(json.dumps({"timings": r.timings, "total": total, "cache": r.cache, "stories": r.counts["stories"], "files": r.counts["files"],
                  "media": r.media, "photo_stories": kinds,
                  "shards": r.search["shards"], "compact": r.search["compact_bytes"],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "children_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""

JIEBA_ONCE = r"""
import sys, time
sys.path.insert(0, sys.argv[1] + "/src")
from pathlib import Path
from lingyuan_site.build import find_pages
from lingyuan_site.load import load_file
import jieba, logging
jieba.setLogLevel(logging.WARNING)
text = "\n".join("\n".join(load_file(Path(p)).body) for _, p, _ in find_pages(Path(sys.argv[2])))
tk = jieba.Tokenizer(); tk.initialize()
t = time.perf_counter(); tk.lcut(text); print(time.perf_counter() - t, len(text))
"""


def tree_memory_kb(pid: int, field: str) -> int:
    """Memory of a process and all its descendants now, in KB: `field` VmRSS (from status, cheap;
    a page shared by a forked copy counts once per process) or Pss (from smaps_rollup; a shared
    page is split between the processes sharing it, so the sum is what the build really holds)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            text = Path(f"/proc/{p}/status" if field == "VmRSS" else f"/proc/{p}/smaps_rollup").read_text()
            total += int(next(line.split()[1] for line in text.splitlines() if line.startswith(field + ":")))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, StopIteration, ValueError):
            continue
    return total


def child(code: str, *args, peak: Optional[list] = None) -> str:
    """Run `code` in a child process; with `peak`, sample the memory of the child and its
    workers and forked copies, and append the largest sums seen: the RSS sum every 20 ms, and the
    PSS sum (shared pages counted once) every 0.5 s, as reading it costs the kernel about 15 ms
    a gigabyte."""
    proc = subprocess.Popen([sys.executable, "-c", code, str(ROOT), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    rss = pss = 0
    if peak is not None:
        last_pss = 0.0
        while proc.poll() is None:
            rss = max(rss, tree_memory_kb(proc.pid, "VmRSS"))
            if time.monotonic() - last_pss >= 0.5:
                pss = max(pss, tree_memory_kb(proc.pid, "Pss"))
                last_pss = time.monotonic()
            time.sleep(0.02)
        peak.extend([pss / 1024, rss / 1024])
    out, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(err[-3000:])
    return out.strip().splitlines()[-1]


def serve_reload(content: Path, out: Path, cache: Path, times: int = 3) -> list:
    """Save-to-reload of one page under `serve` (issue 18): start the preview server on the built
    site, listen to its reload events as a browser does, append a sentence to a page and time the
    save until the reload event arrives; the next save once the server has also brought the
    search index up to date. Returns the seconds of each of `times` saves."""
    import http.client
    import socket
    import threading

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = ("import sys; sys.path.insert(0, sys.argv[1] + '/src'); from lingyuan_site.cli import main; "
            "sys.exit(main(sys.argv[2:]))")
    proc = subprocess.Popen([sys.executable, "-c", code, str(ROOT), "serve", "--content", str(content), "--out", str(out),
                             "--cache-dir", str(cache), "--templates", str(ROOT / "templates"), "--static", str(ROOT / "static"),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in proc.stdout:
            if "serving http" in line:
                break
        else:
            raise SystemExit("serve did not start")
        rebuilt = threading.Semaphore(0)

        def drain():  # (keep its pipe drained; a "rebuilt" line: the save's search index is done too)
            for line in proc.stdout:
                if line.startswith("rebuilt"):
                    rebuilt.release()

        threading.Thread(target=drain, daemon=True).start()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        conn.request("GET", "/__livereload")
        events = conn.getresponse()
        assert events.readline().startswith(b": connected")
        events.readline()
        seconds = []
        page = content / "page-00002.md"
        for i in range(times):
            started = time.perf_counter()
            page.write_text(page.read_text(encoding="utf-8") + f"\n预览第{i + 1}次修改。\n", encoding="utf-8")
            while not events.readline().startswith(b"event: reload"):
                pass
            seconds.append(time.perf_counter() - started)
            rebuilt.acquire(timeout=600)  # the next save comes after the server is idle again
            time.sleep(0.5)
        conn.close()
        return seconds
    finally:
        proc.terminate()
        proc.wait(30)


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def first_screen_image_bytes(out: Path, urls: list) -> list:
    """(url, image bytes, image files) the first screen of each story fetches on a 390 × 844 phone at
    3× in Chromium, scrolled nowhere."""
    from browser import Server, launch
    from playwright.sync_api import sync_playwright

    srv, rows = Server(out), []
    try:
        with sync_playwright() as pw:
            browser = launch(pw)
            for url in urls:
                ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3)
                page = ctx.new_page()
                got: list = []
                page.on("response", lambda r, got=got: got.append(len(r.body())) if r.request.resource_type == "image" else None)
                page.goto(srv.url + url)
                page.wait_for_load_state("networkidle")
                rows.append((url, sum(got), len(got)))
                ctx.close()
            browser.close()
    finally:
        srv.close()
    return rows


def photo_figures(n: int, tmp: Path) -> None:
    """Issue 17's figures: what photos cost a build and a reader."""
    from generate import generate

    plain, content, out = tmp / "plain", tmp / "content", tmp / "public"
    generate(n, plain, daily="--daily" in sys.argv)
    generate(n, content, daily="--daily" in sys.argv, photos=True)
    photos = sum(1 for _ in content.glob("page-*/*.jpg"))
    source_bytes = sum(p.stat().st_size for p in content.glob("page-*/*.jpg"))
    without = json.loads(child(CHILD, plain, tmp / "plain-out", tmp / "plain-cache"))
    peak: list = []
    cold = json.loads(child(CHILD, content, out, tmp / "cache", peak=peak))
    added = cold["total"] - without["total"]
    print(f"\n=== N = {n} pages, {cold['stories']} stories, {photos} photos of 4000 x 3000 "
          f"({source_bytes / photos / 1e6:.2f} MB each as JPEG)")
    print(f"cold build without photos {without['total']:.2f} s, with {cold['total']:.2f} s: "
          f"{added:.2f} s more = {added / photos * 1000:.0f} ms a photo (2 cores; media stage {cold['timings']['media']:.2f} s)")
    print("  stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in cold["timings"].items() if k != "total"))
    print(f"peak memory: {peak[0]:.0f} MB (PSS, build and workers together)")
    media = sum(p.stat().st_size for p in (out / "media").iterdir())
    files = sum(1 for _ in (out / "media").iterdir())
    print(f"output: {media / 1e6:.1f} MB of images in {files} files = {media / photos / 1024:.0f} KB a photo "
          f"(all widths, WebP and JPEG; {media / source_bytes:.2f} x the sources)")
    same = json.loads(child(CHILD, content, out, tmp / "cache"))
    print(f"rebuild, nothing changed: {same['total']:.2f} s, {len(same['media']['encoded'])} photos encoded")
    page = content / "page-00001.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    changed = sorted((content / "page-00001").glob("*.jpg"))[0]
    changed.write_bytes(changed.read_bytes()[:2] + b"\xff\xfe\x00\x07edited" + changed.read_bytes()[2:])
    warm = json.loads(child(CHILD, content, out, tmp / "cache"))
    on_page = len(list((content / "page-00001").glob("*.jpg")))
    print(f"rebuild after page-00001 and one of its {on_page} photos changed: {warm['total']:.2f} s = "
          f"{warm['total'] / cold['total']:.2f} x cold; encoded {warm['media']['encoded']} (target: at most that page's photos)")
    rows = first_screen_image_bytes(out, list(cold["photo_stories"].values()))
    for (url, size, count), kind in zip(rows, cold["photo_stories"]):
        print(f"  first screen at 390 px, 3x, {kind} {url}: {size / 1024:.1f} KB of images in {count} files")
    print(f"first screen, largest: {max(r[1] for r in rows) / 1024:.1f} KB (target: at most 120 KB)")


def checkout_rebuild(content: Path, out: Path, cache: Path, edit: Optional[Path] = None) -> dict:
    """A rebuild after every page of `content` got a new mtime with the same bytes (as a fresh
    checkout gives them), and `edit`'s text changed too when given."""
    import os

    stamp = time.time_ns() - 3600 * 10**9 - int(time.monotonic_ns() % 10**9)  # (an hour ago: not the mtimes the store has)
    if edit is not None:
        edit.write_text(edit.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    for page in content.glob("*.md"):
        os.utime(page, ns=(stamp, stamp))
    return json.loads(child(CHILD, content, out, cache))


def main() -> None:
    if "--photos" in sys.argv:
        for n in [int(a) for a in sys.argv[1:] if not a.startswith("--")] or [200]:
            tmp = Path(tempfile.mkdtemp(prefix=f"bench-photos-{n}-"))
            try:
                photo_figures(n, tmp)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        return
    sizes = [int(a) for a in sys.argv[1:] if not a.startswith("--")] or [200, 2000]
    daily = "--daily" in sys.argv
    from generate import generate

    for n in sizes:
        tmp = Path(tempfile.mkdtemp(prefix=f"bench-{n}-"))
        content, out = tmp / "content", tmp / "public"
        generate(n, content, daily=daily)
        jieba_s, chars = child(JIEBA_ONCE, content).split()
        jieba_s = float(jieba_s)
        cache = tmp / "cache"  # empty: the first build is cold (all misses) and fills it
        peak: list = []
        cold = json.loads(child(CHILD, content, out, cache, peak=peak))
        # rebuild after one page changes
        page = content / "page-00001.md"
        page.write_text(page.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
        warm = json.loads(child(CHILD, content, out, cache))
        print(f"\n=== N = {n} pages, {cold['stories']} stories, {int(chars):,} characters")
        print(f"jieba once (reference): {jieba_s:.2f} s")
        print(f"cold build: {cold['total']:.2f} s = {cold['total'] / jieba_s:.2f} x jieba once")
        print("  stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in cold["timings"].items() if k != "total"))
        print(f"rebuild after one page changed: {warm['total']:.2f} s = {warm['total'] / cold['total']:.2f} x cold "
              f"(page cache: {warm['cache'].get('hits', 0)} hits, {warm['cache'].get('misses', 0)} miss)")
        print("  stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in warm["timings"].items() if k != "total"))
        # what a CI checkout does (issue 36): every page gets a new mtime, the bytes stay
        checkout = checkout_rebuild(content, out, cache)
        print(f"rebuild after every page's mtime changed (a checkout): {checkout['total']:.2f} s = "
              f"{checkout['total'] / cold['total']:.3f} x cold (target at most 0.05; {checkout['cache'].get('touched', 0)} pages hashed, "
              f"{checkout['cache'].get('misses', 0)} read, {checkout['cache'].get('written', 0)} files written)")
        print("  stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in checkout["timings"].items() if k != "total"))
        # the same edit as the one-page rebuild's (a sentence appended to the same page), after a checkout
        edited = checkout_rebuild(content, out, cache, edit=page)
        print(f"  and one page's text changed too: {edited['total']:.2f} s = {edited['total'] / warm['total']:.2f} x the "
              f"one-page rebuild (target at most 1.5; {edited['cache'].get('misses', 0)} read)")
        print("  stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in edited["timings"].items() if k != "total"))
        extras = "--no-extras" not in sys.argv
        if extras:
            reloads = serve_reload(content, out, cache)
            print(f"serve, save to reload of one page: {', '.join(f'{x:.2f}' for x in reloads)} s "
                  f"(median {sorted(reloads)[1]:.2f} s; three saves, debounce included)")
        print(f"peak memory: {peak[0]:.0f} MB for the build and its workers together (PSS, sampled; "
              f"RSS summed per process {peak[1]:.0f} MB, counting pages a forked worker shares twice); "
              f"build process {cold['rss_mb']:.0f} MB, worker processes {cold['children_rss_mb']:.0f} MB each at most")
        print(f"output: {cold['files']:,} files, {size_of(out) / 1e6:.1f} MB; search index {cold['compact'] / 1e6:.1f} MB "
              f"uncompressed in {cold['shards']} shards, {size_of(out / 'search') / 1e6:.1f} MB on disk")
        print(f"  a story costs {size_of(out) / 1024 / cold['stories']:.1f} KB and {cold['files'] / cold['stories']:.2f} files of output "
              f"(targets: at most 12 KB and 1.5 files)")
        if not extras or "--no-pagefind" in sys.argv:
            shutil.rmtree(tmp, ignore_errors=True)
            continue
        from site_figures import describe, figures

        print(describe(figures(out)) + " (targets: at most 150 KB, at most 60)")
        if shutil.which(sys.executable) and subprocess.run([sys.executable, "-m", "pagefind", "--version"], capture_output=True).returncode == 0:
            from bench_search import draw_queries, measure, pagefind_copy
            from lingyuan_site.build import BuildOptions, build

            # the site as objects (a warm build from the store, in this process: not measured)
            result = build(BuildOptions(content=content, out=out, templates=ROOT / "templates", static=ROOT / "static", cache=cache))
            stories = result.site.stories
            pf = pagefind_copy(out, stories, tmp / "pf")
            rows = measure(draw_queries(stories, 12), out, tmp / "pf", stories[len(stories) // 2].url, stories[len(stories) // 3].url)
            med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
            ours, theirs = med([r["data"] for r in rows]), med([r["pf_data"] for r in rows])
            total = sum(r["data"] for r in rows) / max(1, sum(r["pf_data"] for r in rows))
            print(f"first search (median of {len(rows)} queries, cold): ours {ours / 1024:.1f} KB, Pagefind {theirs / 1024:.1f} KB "
                  f"= {ours / max(1, theirs):.2f} x Pagefind (all queries {total:.2f} x; target at most 0.5); "
                  f"Pagefind index {pf['bytes'] / 1e6:.1f} MB")
        else:
            print("Pagefind not installed (pip install 'pagefind[bin]'): no search comparison")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
