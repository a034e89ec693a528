"""Command line: `lingyuan-site [build|serve|inspect|new] …` (also `python -m lingyuan_site …` and,
in this repository, `python build.py …`)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Optional

from . import __version__
from .build import BuildOptions, build
from .errors import SiteError
from .load import load_file
from .model import Page
from .parse import parse_page
from .sitefolder import DEFAULTS


DEFAULT_OUT = "public"
DEFAULT_CACHE = ".cache/lingyuan-site"


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
        if story.theme_scores:
            out.append(f"   主题（{story.themes_from}）：{'、'.join(story.themes) or '无'}")
            for score in story.theme_scores:
                if score.score > 0:
                    mark = "✓" if score.theme in story.themes else " "
                    out.append(f"     {mark} {score.theme:16} {score.score:6.2f}  {' '.join(score.words[:8])}")
        if story.keywords:
            out.append(f"   关键词：{'、'.join(story.keywords)}")
    for credit in page.credits:
        out.append(f"版面署名：{credit}")
    if page.warnings:
        out.append(f"警告（{len(page.warnings)}）：")
        for w in page.warnings:
            out.append(f"  {page.path}:{w.line or '-'}: {w.kind}: {w.message}")
    return "\n".join(out)


def read_with_themes(path: str, content: Optional[str]) -> Page:
    """Parse one page and tag it; keyword IDF is computed over its content folder (the file's
    own folder when it holds site.yaml or themes.yaml, else ./content), as in a build."""
    from . import themes

    folder = Path(content) if content else Path(path).resolve().parent
    if not content and not any((folder / name).exists() for name in ("site.yaml", "themes.yaml")):
        folder = Path.cwd() / "content"
    page = read_page(path)
    others = []
    if folder.is_dir():
        target = Path(path).resolve()
        for other in sorted(folder.glob("*.md")):
            if other.resolve() != target:
                try:
                    others.append(read_page(str(other)))
                except SiteError:
                    pass  # a broken neighbour must not stop inspecting this page
    themes.apply([page] + others, folder)
    return page


def explain(path: str) -> str:
    """Which rule took each block of the page (parse.BODY_RULES and the story starts), in order."""
    from .parse import parse_page

    trace: list = []
    parse_page(load_file(path), trace)
    markers = ("story_start", "story_start:photo")  # where a story begins; the block's own rule follows
    width = max((len(rule) for _, rule, _ in trace if rule not in markers), default=0)
    out = []
    for line, rule, text in trace:
        if rule in markers:
            out.append(f"——— 新稿件（第{line}行{'，图说下的新标题' if rule == 'story_start:photo' else ''}）")
            continue
        text = text.replace("\n", " ⏎ ")
        out.append(f"{line:>5}  {rule:<{width}}  {text[:30]}{'…' if len(text) > 30 else ''}")
    return "\n".join(out)


def cmd_inspect(args: argparse.Namespace) -> int:
    if args.explain:
        print(explain(args.file))
        return 0
    page = read_with_themes(args.file, args.content)
    if args.json:
        json.dump(page.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(outline(page))
    return 0


def _options(args: argparse.Namespace) -> BuildOptions:
    root = Path(args.site) if getattr(args, "site", None) else Path(args.root)
    if not root.is_dir():
        raise SiteError(str(root), "site folder not found (a site folder holds content/; start one with `lingyuan-site new DIR`)")
    return BuildOptions(
        content=Path(args.content) if args.content else root / "content",
        out=Path(args.out) if args.out else root / DEFAULT_OUT,
        templates=Path(args.templates) if args.templates else root / "templates",
        static=Path(args.static) if args.static else root / "static",
        base_url=args.base_url,
        keep_going=getattr(args, "keep_going", False),
        cache=None if getattr(args, "no_cache", False) else (Path(args.cache_dir) if getattr(args, "cache_dir", None) else root / DEFAULT_CACHE),
        project=root,
        report=Path(args.report) if getattr(args, "report", None) else None,
        changes=Path(args.changes) if getattr(args, "changes", None) else None,
        jobs=getattr(args, "jobs", 0) or 0,
        executor=getattr(args, "executor", None),
    )


def cmd_build(args: argparse.Namespace) -> int:
    options = _options(args)
    result = build(options)
    for path, w in result.warnings:
        print(f"warning: {path}:{w.line or '-'}: {w.kind}: {w.message}", file=sys.stderr)
    for exc in result.failures:
        print(f"error: {exc}", file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    counts = result.counts
    print(
        f"built {counts['pages']} pages, {counts['stories']} stories, {counts['files']} files "
        f"into {options.out} in {result.timings['total']:.2f} s ({result.cache['written']} written)"
        + (f" ({result.warning_count} warnings" + (f", {len(result.warnings)} in the pages read now" if len(result.warnings) < result.warning_count else "")
           + ")" if result.warning_count else "")
        + (f"; report: {result.report}" if result.report else "")
    )
    if not result.config.base_url.startswith(("http://", "https://")):
        print("note: base_url is a path; set it to the site's full address (site.yaml or --base-url) "
              "for canonical links, feed ids and the sitemap", file=sys.stderr)
    if result.failures:
        print(f"error: {len(result.failures)} page(s) left out (listed above); fix them and build again", file=sys.stderr)
        return 1
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    return serve(_options(args), host="127.0.0.1", port=args.port)


def cmd_new(args: argparse.Namespace) -> int:
    """Write a minimal site that builds as it is: content/site.yaml, one sample page, and the two
    override folders, each with a README line."""
    import datetime

    target = Path(args.dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SiteError(str(target), "already exists and is not an empty folder; choose a new one")
    newspaper = args.newspaper.strip()
    title = (args.title or f"{newspaper}数字档案").strip()
    if not newspaper or not title:
        raise SiteError(None, "--newspaper and --title must not be empty")
    today = datetime.date.today().isoformat()
    quote = lambda text: json.dumps(text, ensure_ascii=False)  # a YAML string, whatever the text holds
    fields = {"title": quote(title), "description": quote(f"{newspaper}新闻报道档案：按日期、版面与主题浏览，可全文检索。"),
              "source": quote(newspaper), "newspaper": newspaper, "date": today}
    scaffold = DEFAULTS / "new"
    for src in sorted(p for p in scaffold.rglob("*") if p.is_file()):
        rel = src.relative_to(scaffold)
        if rel.name == "sample.md":
            rel = rel.with_name(f"{today}-sample.md")
        text = src.read_text(encoding="utf-8")
        for key, value in fields.items():
            text = text.replace("{" + key + "}", value)
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(text, encoding="utf-8")
    (target / ".gitignore").write_text(f"/{DEFAULT_OUT}/\n/{DEFAULT_OUT}-report.txt\n/.cache/\n", encoding="utf-8")
    print(f"created a site in {target}: content/site.yaml, content/{today}-sample.md, templates/, static/\n"
          f"next: cd {target} && lingyuan-site serve")
    return 0


def _add_build_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site", help="the site folder, holding content/ and optional templates/ and static/ (default: the current folder)")
    p.add_argument("--content", help="content folder (default: SITE/content)")
    p.add_argument("--out", help=f"output folder (default: SITE/{DEFAULT_OUT})")
    p.add_argument("--base-url", dest="base_url", help="where the site is served, e.g. https://example.org/archive/ or /archive/")
    p.add_argument("--keep-going", dest="keep_going", action="store_true", help="build the other pages when one fails, and list what failed (exit status 1)")
    p.add_argument("--no-cache", dest="no_cache", action="store_true", help="ignore the page cache (a cold build)")
    p.add_argument("--cache-dir", dest="cache_dir", help=f"page cache folder (default: ./{DEFAULT_CACHE})")
    p.add_argument("--report", help="editorial report file (default: <out>-report.txt beside the output folder)")
    p.add_argument("--changes", metavar="FILE", help="write the list of files this build wrote (+ PATH) and removed (- PATH), for a deploy that copies only those")
    p.add_argument("--jobs", type=_positive, help="worker processes for reading and rendering (default: one per core)")
    p.add_argument("--executor", help="read pages on a Dask cluster: dask://HOST:PORT (needs the [dask] extra)")
    p.add_argument("--templates", help=argparse.SUPPRESS)
    p.add_argument("--static", help=argparse.SUPPRESS)


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, not {text!r}")
    return n


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lingyuan-site", description="Build a static archive of a newspaper's pages, "
                                     "with full-text Chinese search, from the page texts in a site folder.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("--version", action="version", version=f"lingyuan-site {__version__}")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("inspect", help="print how one page is parsed")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the parsed page as JSON")
    p.add_argument("--explain", action="store_true", help="print which parser rule took each block (parse.BODY_RULES)")
    p.add_argument("--content", help="content folder for themes.yaml, dict.txt and keyword statistics")
    p.set_defaults(func=cmd_inspect)
    p = sub.add_parser("build", help="build the site (the default command)")
    _add_build_options(p)
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("serve", help="build, then preview on http://127.0.0.1:PORT/ and rebuild on change")
    _add_build_options(p)
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("new", help="start a new site in DIR (a sample page, site.yaml, folders for overrides)")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--newspaper", default="示例日报", help="the newspaper's name (default: 示例日报)")
    p.add_argument("--title", help="the site's name (default: NEWSPAPER数字档案)")
    p.set_defaults(func=cmd_new)
    return parser


def main(argv: Optional[list[str]] = None, root: Optional[Path] = None) -> int:
    """`root` is the site folder when --site is not given (content/, the optional templates/ and
    static/, and the default output live there); build.py passes its own folder, the console script
    and `python -m lingyuan_site` use the current one."""
    parser = make_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not any(a in ("inspect", "build", "serve", "new", "-h", "--help", "--version") for a in argv):
        argv = [a for a in argv if a == "--debug"] + ["build"] + [a for a in argv if a != "--debug"]
    args = parser.parse_args(argv)
    args.root = str(root or Path.cwd())
    try:
        return args.func(args)
    except SiteError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `inspect … | head`: the reader has gone, which is no error
        try:
            sys.stdout = open(os.devnull, "w")  # Python's own flush at exit would raise again
        except OSError:
            pass
        return 0
    except Exception as exc:  # a bug, not bad input: one line, and how to see more
        if args.debug:
            raise
        print(f"error: internal error ({type(exc).__name__}: {exc}); run again with --debug for the traceback", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
