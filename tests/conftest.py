"""Shared fixtures: the content pages, parsed once; the conservation check every page must pass."""
from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from lingyuan_site.load import load_file, load_text  # noqa: E402
from lingyuan_site.model import Page  # noqa: E402
from lingyuan_site.parse import parse_page  # noqa: E402

CONTENT = ROOT / "content"
FIXTURES = ROOT / "tests" / "fixtures"
SEEDS = {
    "000": CONTENT / "2026-01-shuangling-gongjian.md",
    "001": CONTENT / "2021-06-sijie-sanyin.md",
    "002": CONTENT / "2022-02-jiaya-fenjin.md",
    "003": CONTENT / "2021-fenji-yangfan.md",
    "004": CONTENT / "2022-04-zhengfen-duomiao.md",
}
CONTENT_PAGES = sorted(CONTENT.glob("*.md"))
FIXTURE_PAGES = sorted((FIXTURES / "pages").glob("*.md"))


def digest(folder: Path) -> dict:
    """Every file of a built site: its path → the SHA-256 of its bytes (two sites are equal when
    their digests are)."""
    import hashlib

    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}

# String fields of Page.to_dict() that hold page text (everything else is derived: kind, column
# reference, themes, dates, line numbers, warnings).
TEXT_KEYS = {"title", "kicker", "subtitle", "summary", "byline", "heading", "paragraphs", "text",
             "credit", "data_title", "label", "value", "slogans", "name", "credits", "caption", "src"}
# markup: headings, emphasis, the 核心提示 label, and the syntax of a photo line ![说明](path)
MARKUP = {"#" * n for n in range(1, 7)} | {"**", "*", "__", "_", "核心提示", "：", ":", "![", "](", ")"}


def parse_file(path: Path) -> Page:
    return parse_page(load_file(path))


def parse_text(body: str, date: str = "2022-04", path: str = "test.md") -> Page:
    return parse_page(load_text(f"---\ndate: {date}\n---\n{body}", path))


def build_site(out: Path, content: Path = CONTENT, base_url=None):
    from lingyuan_site.build import BuildOptions, build

    return build(BuildOptions(content=content, out=out, templates=ROOT / "templates", static=ROOT / "static", base_url=base_url))


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The site built from content/ once per test session: (output folder, BuildResult)."""
    out = tmp_path_factory.mktemp("site") / "public"
    return out, build_site(out)


@pytest.fixture(scope="session")
def seeds() -> dict[str, Page]:
    return {key: parse_file(path) for key, path in SEEDS.items()}


def _get(data, path):
    for key in path:
        data = data[key]
    return data


def _text_leaves(data, path=()):
    """(path, string) for every page-text string in a Page.to_dict(). At the top level only
    stories, columns and credits hold page text (title, source, page come from front matter)."""
    if not path:
        for i, credit in enumerate(data["credits"]):
            yield ("credits", i), credit
        for key in ("stories", "columns"):
            for i, item in enumerate(data[key]):
                yield from _text_leaves(item, (key, i))
        return
    for key, value in data.items():
        if key in ("sections", "captions", "data", "photos"):
            for i, item in enumerate(value):
                yield from _text_leaves(item, path + (key, i))
        elif key in TEXT_KEYS:
            if isinstance(value, list):
                for i, item in enumerate(value):
                    yield path + (key, i), item
            elif value is not None:
                yield path + (key,), value


def _squash(text: str) -> str:
    return "".join(text.split())


def assert_conserved(page: Page) -> None:
    """Every non-space character of the (normalised) page went to exactly one place: a field of
    the model, markup, or a reported duplicate; and every field holds exactly what went to it."""
    counts = {n: [0] * len(t) for n, t in enumerate(page.lines, start=page.first_line)}
    by_path: dict[tuple, str] = defaultdict(str)
    for e in page.ledger:
        text = page.line_text(e.line)
        assert 0 <= e.start < e.end <= len(text), e
        for c in range(e.start, e.end):
            counts[e.line][c] += 1
        piece = text[e.start : e.end]
        if e.path == ("markup",):
            assert piece in MARKUP, f"line {e.line}: {piece!r} taken as markup"
        by_path[e.path] += piece
    for line, cols in counts.items():
        text = page.line_text(line)
        for c, n in enumerate(cols):
            if text[c].isspace():
                assert n <= 1, f"{page.path}:{line}: space at {c} placed {n} times"
            else:
                assert n == 1, f"{page.path}:{line}:{c}: {text[c]!r} placed {n} times in «{text[max(0, c - 10):c + 10]}»"
    data = page.to_dict()
    for path, text in by_path.items():
        if path in (("markup",), ("removed",)):
            continue
        assert _squash(_get(data, path)) == _squash(text), f"{path} holds text that is not its source"
    leaves = dict(_text_leaves(data))
    for path, value in leaves.items():
        assert path in by_path, f"{path} = {value!r} has no source"
    if ("removed",) in by_path:
        assert any(w.kind == "duplicate" for w in page.warnings)


# ---------------------------------------------------------------- browser (headless Chromium)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class _Server:
    """A static file server on 127.0.0.1 for a built site, optionally under a sub-path."""

    def __init__(self, root: Path, prefix: str = "/"):
        import functools
        import http.server
        import threading

        prefix = prefix if prefix.endswith("/") else prefix + "/"

        class Handler(http.server.SimpleHTTPRequestHandler):
            def translate_path(self, path):
                if not path.startswith(prefix):
                    return str(root / "__missing__")
                return super().translate_path("/" + path[len(prefix):])

            def send_error(self, code, message=None, explain=None):
                if code == 404 and (root / "404.html").exists():
                    body = (root / "404.html").read_bytes()
                    self.send_response(404)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                super().send_error(code, message, explain)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{prefix}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def server(built):
    srv = _Server(built[0])
    yield srv
    srv.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed (.ci/run installs it)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def phone(browser):
    """A 390-px-wide page that records console errors in `page.errors`."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    ctx.close()


# ---------------------------------------------------------------- a generated archive
def generate_pages(content: Path, daily: int = 0, monthly: int = 0, seed: int = 3) -> None:
    """Pages in the seeds' layout (bench/generate.py): `daily` pages as a daily paper's (eight a
    day, labelled 第1版 … from 2012-01-01), and `monthly` more dated to March 2012 only."""
    import random
    import re as _re
    import shutil

    sys.path.insert(0, str(ROOT / "bench"))
    import generate

    content.mkdir(parents=True, exist_ok=True)
    for name in ("site.yaml", "dict.txt"):
        shutil.copyfile(CONTENT / name, content / name)
    rng = random.Random(seed)
    sentences, _, captions = generate.material()
    for i in range(daily):
        (content / f"d-{i:04d}.md").write_text(generate.page_text(i, rng, sentences, captions, daily=True), encoding="utf-8")
    for i in range(monthly):
        text = generate.page_text(1000 + i, rng, sentences, captions)
        (content / f"m-{i:04d}.md").write_text(_re.sub(r"^date: .*$", "date: 2012-03", text, count=1, flags=_re.M), encoding="utf-8")


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """A generated archive (96 daily pages over 12 days, 14 pages dated to a month), built once:
    (content folder, output folder, BuildResult)."""
    root = tmp_path_factory.mktemp("generated")
    generate_pages(root / "content", daily=96, monthly=14)
    out = root / "public"
    return root / "content", out, build_site(out, content=root / "content")


# ---------------------------------------------------------------- images, made here (no binaries in the repository)
def make_image(path: Path, size=(1200, 800), fmt: str = "JPEG", orientation: int = 1, alpha: bool = False, gps: bool = False) -> Path:
    """A photo-like test image (gradients, shapes and noise, so it compresses like a photo): `size`
    as stored, with an EXIF orientation and a camera GPS position if asked."""
    from PIL import Image

    sys.path.insert(0, str(ROOT / "bench"))
    import generate

    w, h = size
    img = generate.photo_like(size, w * 7 + h)
    if alpha:
        img = img.convert("RGBA")
        img.putalpha(Image.linear_gradient("L").resize((w, h)))
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (41.0, 14.0, 0.0), 3: "E", 4: (119.0, 24.0, 0.0)}
    kwargs = {"exif": exif.tobytes()} if fmt in ("JPEG", "WEBP") and (orientation != 1 or gps) else {}
    img.save(path, fmt, **kwargs)
    return path


def photo_content(folder: Path) -> Path:
    """A content folder with tests/fixtures/pages/d-photos-scan.md and its images."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("site.yaml", "dict.txt"):
        shutil.copyfile(CONTENT / name, folder / name)
    shutil.copyfile(FIXTURES / "pages" / "d-photos-scan.md", folder / "d-photos-scan.md")
    images = folder / "d-photos-scan"
    make_image(images / "heron.jpg", (2400, 1600), orientation=6, gps=True)  # shown upright: 1600 × 2400
    make_image(images / "ranger.png", (1200, 900), "PNG", alpha=True)
    make_image(images / "bridge.webp", (600, 400), "WEBP")  # smaller than 960: never enlarged
    make_image(images / "wheat.jpg", (4000, 3000))
    make_scan(images / "page.jpg", folder / "d-photos-scan.md")
    return folder


def make_scan(path: Path, page_file: Path, size=(1200, 1800)) -> Path:
    """A newspaper page's scan for a page with front matter `areas`: each story's headline and
    text set in its area (Noto CJK when the machine has it), so the areas can be seen to fit."""
    import yaml
    from PIL import Image, ImageDraw, ImageFont

    from lingyuan_site.load import load_file
    from lingyuan_site.parse import parse_page

    page = parse_page(load_file(page_file))
    meta = yaml.safe_load(page_file.read_text(encoding="utf-8").split("---")[1])
    img = Image.new("RGB", size, (246, 242, 232))
    draw = ImageDraw.Draw(img)

    def font(size_px, bold=False):
        for name in ("NotoSerifCJK-Bold.ttc" if bold else "NotoSerifCJK-Regular.ttc", "NotoSansCJK-Regular.ttc"):
            try:
                return ImageFont.truetype(f"/usr/share/fonts/opentype/noto/{name}", size_px)
            except OSError:
                continue
        return ImageFont.load_default()

    draw.text((40, 12), f"{page.date.display}  {page.label or ''}", fill=(60, 60, 60), font=font(28))
    for key, rects in (meta.get("areas") or {}).items():
        story = next(s for s in page.stories if (s.title or "").startswith(key))
        for n, (x, y, w, h) in enumerate(rects):
            draw.rectangle((x, y, x + w, y + h), outline=(180, 170, 150), width=2)
            top = y + 16
            if n == 0:
                draw.text((x + 20, top), story.title, fill=(20, 20, 20), font=font(56 if w > 800 else 40, bold=True))
                top += 90 if w > 800 else 66
            body = font(24)
            text = "".join(story.paragraphs) * 3
            per_line = max(1, (w - 40) // 25)
            for i in range(0, len(text), per_line):
                if top > y + h - 36:
                    break
                draw.text((x + 20, top), text[i:i + per_line], fill=(45, 45, 45), font=body)
                top += 34
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "JPEG", quality=88)
    return path
