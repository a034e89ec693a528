#!/usr/bin/env python3
"""Screenshots of a built site in headless Chromium, at phone and desktop widths, to look at what a
reader sees (and for docs/screenshots/).

    python scripts/screenshots.py SITE_DIR OUT_DIR [PATH ...] [--widths 390,1280] [--full]

Each PATH (site-relative, e.g. "" for home or "pages/x/") gives OUT_DIR/<name>-<width>.png. The
site is served on 127.0.0.1 for the duration. Needs Debian's chromium and Playwright.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import re
import threading
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def serve(root: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


def name_of(path: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "_", path.split("?")[0].strip("/")) or "home"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("site")
    ap.add_argument("out")
    ap.add_argument("paths", nargs="*", default=[""])
    ap.add_argument("--widths", default="390,1280")
    ap.add_argument("--full", action="store_true", help="the whole page, not the first screen")
    ap.add_argument("--names", help="comma-separated file names for the paths")
    ap.add_argument("--dark", action="store_true")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    httpd, url = serve(Path(args.site))
    names = args.names.split(",") if args.names else [name_of(p) for p in args.paths]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for width in map(int, args.widths.split(",")):
                ctx = browser.new_context(viewport={"width": width, "height": 900 if width > 600 else 844},
                                          color_scheme="dark" if args.dark else "light")
                page = ctx.new_page()
                errors = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                for path, name in zip(args.paths, names):
                    page.goto(url + path)
                    page.wait_for_timeout(400)
                    overflow = page.evaluate("document.documentElement.scrollWidth") - width
                    target = out / f"{name}-{width}.png"
                    page.screenshot(path=str(target), full_page=args.full)
                    height = page.evaluate("document.documentElement.scrollHeight")
                    print(f"{target}  height {height}px{'  OVERFLOW %dpx' % overflow if overflow > 0 else ''}")
                if errors:
                    print("console errors:", *errors, sep="\n  ")
                ctx.close()
            browser.close()
    finally:
        httpd.shutdown()


if __name__ == "__main__":
    main()
