#!/usr/bin/env python3
"""Figures of a built site's HTML (issue 14: no HTML file grows with the archive): the largest HTML
file, and the most links to stories on one page that is not itself a story, read from the output.

    python bench/site_figures.py SITE_DIR
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from urllib.parse import urljoin, urlparse

HREF = re.compile(rb'href="([^"#?]+)"')


def figures(out: Path) -> dict:
    out = Path(out)
    pages = {}
    for folder, _dirs, names in os.walk(out):
        for name in names:
            if name.endswith(".html"):
                path = Path(folder) / name
                pages[path.relative_to(out).as_posix()] = path.read_bytes()
    stories = {rel for rel, data in pages.items() if b'class="story-page"' in data}
    largest = max(pages.items(), key=lambda kv: len(kv[1]))
    most, where = 0, ""
    for rel, data in pages.items():
        if rel in stories:
            continue
        base = "http://site/" + rel
        linked = set()
        for href in HREF.findall(data):
            target = urlparse(urljoin(base, href.decode("utf-8"))).path.lstrip("/")
            if target.endswith("/"):
                target += "index.html"
            if target in stories:
                linked.add(target)
        if len(linked) > most:
            most, where = len(linked), rel
    return {"html_files": len(pages), "stories": len(stories), "largest": (largest[0], len(largest[1])),
            "most_story_links": (where, most)}


def describe(f: dict) -> str:
    return (f"HTML: {f['html_files']:,} files; largest {f['largest'][1] / 1024:.1f} KB ({f['largest'][0]}); "
            f"most story links on one list page: {f['most_story_links'][1]} ({f['most_story_links'][0]})")


if __name__ == "__main__":
    print(describe(figures(Path(sys.argv[1]))))
