"""Command line: `lingyuan-site [build|inspect|serve] …` (also `python build.py …`)."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Optional

from .errors import SiteError
from .load import load_file
from .model import Page
from .parse import parse_page


def read_page(path: str) -> Page:
    """File → model: the load, normalize and parse stages for one page."""
    return parse_page(load_file(path))


def outline(page: Page) -> str:
    """A readable outline of a parsed page for an editor."""
    out = [f"{page.path} — {page.date.display} — {len(page.stories)} 篇稿件"]
    for n, story in enumerate(page.stories, 1):
        head = f"{n}. [{story.kind}] {story.title or '（无标题）'}  (第{story.line}行)"
        out.append(head)
        for label, value in (("引题", story.kicker), ("副题", story.subtitle), ("作者", story.byline), ("栏目", story.column)):
            if value:
                out.append(f"   {label}：{value}")
        if story.slogans:
            out.append(f"   口号：{' / '.join(story.slogans)}")
        if story.summary:
            text = "".join(story.summary)
            out.append(f"   核心提示：{text[:40]}{'…' if len(text) > 40 else ''}")
        if story.data:
            out.append(f"   数据框：{story.data_title or ''}")
            for item in story.data:
                out.append(f"     {item.label}{' = ' + item.value if item.value else ''}")
        for section in story.sections:
            chars = sum(len(p) for p in section.paragraphs)
            out.append(f"   § {section.heading or '（正文）'}：{len(section.paragraphs)}段，{chars}字")
        for caption in story.captions:
            out.append(f"   图：{caption.text}{'  ' + caption.credit if caption.credit else ''}")
        if story.themes:
            out.append(f"   主题：{'、'.join(story.themes)}")
    for credit in page.credits:
        out.append(f"版面署名：{credit}")
    if page.warnings:
        out.append(f"警告（{len(page.warnings)}）：")
        for w in page.warnings:
            out.append(f"  {page.path}:{w.line or '-'}: {w.kind}: {w.message}")
    return "\n".join(out)


def cmd_inspect(args: argparse.Namespace) -> int:
    page = read_page(args.file)
    if args.json:
        json.dump(page.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(outline(page))
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lingyuan-site", description="Build the Lingyuan news archive.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("inspect", help="print how one page is parsed")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the parsed page as JSON")
    p.set_defaults(func=cmd_inspect)
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except SiteError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `inspect … | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
