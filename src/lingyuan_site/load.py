"""Stage 1, load: read a page file (any of the encodings editors save), split off the YAML front
matter and validate it. Produces the raw body lines plus a `Page` shell; no text is changed here."""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from .errors import SiteError
from .yamlfile import parse_yaml
from .model import SLUG_RE, PageDate

FRONT_MATTER_KEYS = {"date", "title", "source", "page", "slug", "draft", "themes", "keywords", "scan", "areas"}
MAX_FRONT_MATTER = 100_000  # characters: 1,000 areas rectangles with their titles need a third of it
MAX_AREAS = 1000  # rectangles on one scan: a printed page has a few dozen stories (200,000 made a 15 MB page view)
DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: we validate them ourselves, with a clear message
    (PyYAML's own date constructor raises a bare ValueError on 2022-02-30)."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class RawPage:
    path: str
    meta: dict[str, Any]
    date: PageDate
    body: list[str]  # body lines, newline-free, in file order
    first_line: int  # file line number (1-based) of body[0]
    warnings: list[tuple[str, str, Optional[int]]] = field(default_factory=list)
    key_lines: dict[str, int] = field(default_factory=dict)  # front matter key → file line


def decode(data: bytes, path: str) -> str:
    """UTF-8 with or without BOM, UTF-16 with BOM, or GB18030/GBK; LF, CRLF or CR → LF."""
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise SiteError(path, "contains a NUL byte: this is not a text file; save the page as UTF-8 text", line)
    if data.startswith(b"\xef\xbb\xbf"):
        text = _strict(data[3:], "utf-8", path)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _strict(data, "utf-16", path)
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _strict(data, "gb18030", path)
    if "\x00" in text:
        raise SiteError(path, "contains a NUL character; save the page as UTF-8 text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _strict(data: bytes, encoding: str, path: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SiteError(path, "cannot be decoded as UTF-8 or GB18030; save the page as UTF-8", line) from None


def parse_date(value: Any, path: str, line: Optional[int]) -> PageDate:
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return PageDate(value.year, value.month, value.day)
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    match = DATE_RE.match(text)
    if not match:
        raise SiteError(path, f"date {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD", line)
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        _dt.date(year, month or 1, day or 1)
    except ValueError:
        raise SiteError(path, f"date {text} does not exist", line) from None
    return PageDate(year, month, day)


def split_front_matter(text: str, path: str) -> tuple[dict[str, Any], list[str], int, dict[str, int]]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise SiteError(path, "has no front matter: start the file with a line '---', then 'date: YYYY-MM', then '---'", 1)
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise SiteError(path, "front matter is not closed: add a line '---' after it", 1)
    block = "\n".join(lines[1:end])
    if len(block) > MAX_FRONT_MATTER:
        # (PyYAML reads about 60 KB a second: 200,000 areas rectangles took a minute to refuse)
        raise SiteError(path, f"front matter has {len(block):,} characters; at most {MAX_FRONT_MATTER:,} "
                              "(the page's text goes below the second '---')", 2)
    meta = parse_yaml(block, path, _Loader, first_line=2, what="front matter is not valid YAML") if block.strip() else {}
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise SiteError(path, "front matter must be 'key: value' lines", 2)
    key_lines = {}
    for number, raw in enumerate(lines[1:end], start=2):
        key = raw.split(":", 1)[0].strip()
        if key and not raw.startswith((" ", "\t", "-")):
            key_lines.setdefault(key, number)
    return meta, lines[end + 1 :], end + 2, key_lines


def load_text(text: str, path: str) -> RawPage:
    meta, body, first_line, key_lines = split_front_matter(text, path)
    warnings = []
    for key in sorted(set(map(str, meta)) - FRONT_MATTER_KEYS):
        warnings.append(("unknown-key", f"unknown front matter key '{key}' is ignored", key_lines.get(key)))
    if "date" not in meta or meta["date"] in (None, ""):
        raise SiteError(path, "front matter needs 'date' (YYYY, YYYY-MM or YYYY-MM-DD)", 2)
    date = parse_date(meta["date"], path, key_lines.get("date"))
    for key in ("title", "source", "page"):
        if key in meta and meta[key] is not None and not isinstance(meta[key], (str, int)):
            raise SiteError(path, f"front matter '{key}' must be text", key_lines.get(key))
    if meta.get("slug") is not None:
        slug = meta["slug"]
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            raise SiteError(path, f"slug {slug!r} must be lowercase ASCII letters, digits and single hyphens", key_lines.get("slug"))
    if "draft" in meta and not isinstance(meta["draft"], bool):
        raise SiteError(path, "front matter 'draft' must be true or false", key_lines.get("draft"))
    themes = meta.get("themes")
    if themes is not None and not _theme_spec_ok(themes):
        raise SiteError(
            path,
            "front matter 'themes' must be a list of theme slugs, or a mapping from story title to such a list",
            key_lines.get("themes"),
        )
    keywords = meta.get("keywords")
    if keywords is not None and not _theme_spec_ok(keywords):
        raise SiteError(
            path,
            "front matter 'keywords' must be a list of words, or a mapping from story title to such a list",
            key_lines.get("keywords"),
        )
    scan = meta.get("scan")
    if scan is not None and (not isinstance(scan, str) or not scan.strip()):
        raise SiteError(path, "front matter 'scan' must be the path of the page's scan, e.g. scan: 2022-04-x/page.jpg", key_lines.get("scan"))
    areas = meta.get("areas")
    if areas is not None and not _areas_ok(areas):
        raise SiteError(path, "front matter 'areas' must map a story title to rectangles [x, y, w, h] in the scan's pixels, "
                              "e.g. areas: {地企融合谋共赢: [[40, 60, 900, 1200]]}", key_lines.get("areas"))
    if areas and not scan:
        raise SiteError(path, "front matter 'areas' needs a 'scan'", key_lines.get("areas"))
    if areas and sum(len(v) for v in areas.values()) > MAX_AREAS:
        raise SiteError(path, f"front matter 'areas' has {sum(len(v) for v in areas.values()):,} rectangles; "
                              f"a page may have at most {MAX_AREAS} (each is a link on the page view)", key_lines.get("areas"))
    if not any(line.strip() for line in body):
        raise SiteError(path, "has front matter but no page text", first_line)
    return RawPage(path=path, meta=meta, date=date, body=body, first_line=first_line, warnings=warnings, key_lines=key_lines)


def _areas_ok(areas: Any) -> bool:
    def rect(r):
        return (isinstance(r, list) and len(r) == 4 and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in r)
                and r[2] > 0 and r[3] > 0)

    return isinstance(areas, dict) and all(
        isinstance(k, str) and k.strip() and isinstance(v, list) and v and all(rect(r) for r in v) for k, v in areas.items())


def _theme_spec_ok(spec: Any) -> bool:
    def slugs(value):
        return isinstance(value, list) and all(isinstance(t, str) for t in value)

    if isinstance(spec, dict):
        return all(isinstance(k, str) and slugs(v) for k, v in spec.items())
    return slugs(spec)


def load_file(path: Path | str, display: Optional[str] = None) -> RawPage:
    display = display or str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SiteError(display, f"cannot be read ({exc.strerror})") from None
    if not data.strip():
        raise SiteError(display, "is empty: a page needs front matter and text")
    return load_text(decode(data, display), display)
