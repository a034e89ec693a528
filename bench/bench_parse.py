#!/usr/bin/env python3
"""Benchmark: load + normalize + parse every page in content/ (the five seeds), cold and warm.

Prints figures; asserts nothing. Run: python bench/bench_parse.py [--repeat N]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from lingyuan_site.load import load_file  # noqa: E402
from lingyuan_site.parse import parse_page  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    paths = sorted((ROOT / "content").glob("*.md"))
    chars = sum(len(p.read_text(encoding="utf-8")) for p in paths)

    t0 = time.perf_counter()
    pages = [parse_page(load_file(p)) for p in paths]
    cold = time.perf_counter() - t0  # includes OpenCC and markdown-it start-up

    runs = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for p in paths:
            parse_page(load_file(p))
        runs.append(time.perf_counter() - t0)
    warm = statistics.median(runs)
    stories = sum(len(p.stories) for p in pages)
    print(f"pages: {len(paths)}  stories: {stories}  characters: {chars:,}")
    print(f"first parse of all pages (cold, incl. dictionary loading): {cold * 1000:.0f} ms")
    print(f"parse of all pages, median of {args.repeat}: {warm * 1000:.1f} ms "
          f"({chars / warm / 1e6:.2f} M chars/s, {warm / len(paths) * 1000:.1f} ms per page)")


if __name__ == "__main__":
    main()
