#!/usr/bin/env python3
"""Benchmark one very large page (issue 21): a page of MB megabytes of generated text (features,
briefs, column breaks inside sentences, as bench/generate.py writes them) against MB pages of one
megabyte each, the same text. Prints the build time of each and the peak memory of the build and
its workers (PSS, sampled, as bench_build.py measures it). Asserts nothing.

    python bench/bench_bigpage.py [MB]        (default 5; targets: time at most 5 x, peak at most 500 MB)
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


if __name__ == "__main__":
    main()
