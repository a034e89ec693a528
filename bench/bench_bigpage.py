#!/usr/bin/env python3
"""Benchmark one very large page (issue 21): a page of MB megabytes of generated text (features,
briefs, column breaks inside sentences, as bench/generate.py writes them) against MB pages of one
megabyte each, the same text. Prints the build time of each and the peak memory of the build and
its workers (PSS, sampled, as bench_build.py measures it). Asserts nothing.

    python bench/bench_bigpage.py [MB]        (default 5; targets: time at most 5 x, peak at most 500 MB)

    python bench/bench_bigpage.py hostile     (issue 38: the shapes whose cost grew faster than the
                                               page; target: each builds in at most 30 s)

The hostile shapes: a headline of 12,500 to 100,000 characters (one character repeated: no
punctuation, nothing jieba knows), each seed page's text repeated to 0.5, 1, 2 and 5 MB (every
layout defect of the seeds thousands of times on one page), and a scan with 200,000 `areas`
rectangles (refused, with the time it takes to say so).
"""
from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_build import CHILD, child  # noqa: E402
from generate import material, page_text  # noqa: E402


def body_of(text: str) -> str:
    return text.split("\n---\n", 1)[1] if text.startswith("---\n") else text


def pages_of(megabytes: float, rng, parts) -> str:
    """Page bodies of bench/generate.py, one after another, up to `megabytes` of UTF-8."""
    chunks, size, i = [], 0, 0
    while size < megabytes * 1_000_000:
        i += 1
        chunk = body_of(page_text(i, rng, *parts))
        chunks.append(chunk)
        size += len(chunk.encode("utf-8"))
    return "\n".join(chunks)


def main() -> None:
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    sentences, _titles, captions = material()
    tmp = Path(tempfile.mkdtemp(prefix="bench-bigpage-"))
    try:
        big, small = tmp / "big", tmp / "small"
        big.mkdir()
        small.mkdir()
        (big / "big.md").write_text("---\ndate: 2022-04-01\n---\n" + pages_of(mb, random.Random(1), (sentences, captions)),
                                    encoding="utf-8")
        rng = random.Random(1)
        for k in range(mb):
            (small / f"part-{k}.md").write_text(f"---\ndate: 2022-04-{k + 2:02d}\n---\n" + pages_of(1, rng, (sentences, captions)),
                                                encoding="utf-8")
        figures = {}
        for name, content in (("small", small), ("big", big)):
            peak: list = []
            run = json.loads(child(CHILD, content, tmp / f"out-{name}", tmp / f"cache-{name}", peak=peak))
            figures[name] = (run, peak[0])
            size = sum(p.stat().st_size for p in content.glob("*.md"))
            print(f"{name}: {len(list(content.glob('*.md')))} page(s), {size / 1e6:.2f} MB, {run['stories']} stories: "
                  f"{run['total']:.1f} s, peak {peak[0]:.0f} MB (PSS, build and workers), build process {run['rss_mb']:.0f} MB RSS")
            print("  stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in run["timings"].items() if k != "total"))
        (big_run, big_peak), (small_run, small_peak) = figures["big"], figures["small"]
        print(f"one {mb} MB page: {big_run['total'] / small_run['total']:.2f} x the time of {mb} pages of 1 MB "
              f"(target at most 5 x); peak {big_peak:.0f} MB against {small_peak:.0f} MB (target at most 500 MB)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def hostile() -> None:
    import subprocess
    import time

    tmp = Path(tempfile.mkdtemp(prefix="bench-hostile-"))

    def timed(name: str, text: str, expect_ok: bool = True) -> float:
        content = tmp / name
        content.mkdir()
        (content / "p.md").write_text(text, encoding="utf-8")
        t = time.perf_counter()
        done = subprocess.run([sys.executable, str(ROOT / "build.py"), "build", "--content", str(content), "--out", str(tmp / f"out-{name}"),
                               "--no-cache"], capture_output=True, text=True)
        seconds = time.perf_counter() - t
        said = (done.stdout if done.returncode == 0 else done.stderr).strip().splitlines()[-1 if done.returncode == 0 else 0]
        assert (done.returncode == 0) == expect_ok, done.stderr[-2000:]
        print(f"  {name}: {len(text.encode('utf-8')) / 1e6:.2f} MB, {seconds:.1f} s — {said[:110]}")
        return seconds

    try:
        worst = 0.0
        print("a headline of N characters:")
        for n in (12_500, 25_000, 50_000, 100_000):
            worst = max(worst, timed(f"headline-{n}", f"---\ndate: 2022-04\n---\n## {'凌' * n}\n\n**本报讯** 正文一句。\n"))
        print("a seed page repeated:")
        for seed in sorted((ROOT / "content").glob("*.md")):
            head, body = seed.read_text(encoding="utf-8").split("\n---\n", 1)
            for mb in (0.5, 1, 2, 5):
                copies = int(mb * 1_000_000 / len((body + "\n").encode("utf-8"))) + 1
                worst = max(worst, timed(f"{seed.stem}-{mb}MB", head + "\n---\n" + (body + "\n") * copies))
        print("a scan with 200,000 areas:")
        rects = ", ".join(["[0, 0, 10, 10]"] * 200_000)
        timed("areas", f"---\ndate: 2022-04\nscan: x.jpg\nareas: {{标题: [{rects}]}}\n---\n## 标题\n\n正文。\n", expect_ok=False)
        print(f"slowest: {worst:.1f} s (target at most 30 s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    hostile() if sys.argv[1:] == ["hostile"] else main()
