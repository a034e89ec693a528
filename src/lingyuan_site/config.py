"""Site configuration: content/site.yaml, validated once, here. Every error names the file and key."""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Optional

from .errors import SiteError
from .yamlfile import load_yaml


@dataclass(frozen=True)
class SiteConfig:
    title: str = "新闻档案"
    description: str = "本地新闻报道档案：按日期、版面与主题浏览，可全文检索。"
    base_url: str = "/"  # absolute (https://example.org/archive/) or a path (/archive/)
    language: str = "zh-CN"
    source: Optional[str] = None  # default newspaper name for pages without front matter `source`
    copyright: Optional[str] = None
    latest_count: int = 8  # recent pages (版面) shown on the home page under the newest one
    search_placeholder: str = "搜索稿件"  # the search box's hint, e.g. examples of what readers look for
    max_page_mb: int = 16  # a page file larger than this is refused (one error line), not read
    max_page_lines: int = 200_000


_TYPES = {"latest_count": int, "max_page_mb": int, "max_page_lines": int}


def load_config(content_dir: Path) -> SiteConfig:
    path = Path(content_dir) / "site.yaml"
    if not path.exists():
        return SiteConfig()
    return config_from_dict(load_yaml(path) or {}, str(path))


def config_from_dict(data: Any, display: str = "site.yaml") -> SiteConfig:
    if not isinstance(data, dict):
        raise SiteError(display, "must be a mapping of 'key: value' lines")
    known = {f.name: f for f in fields(SiteConfig)}
    values = {}
    for key, value in data.items():
        if key not in known:
            raise SiteError(display, f"unknown key '{key}' (known keys: {', '.join(sorted(known))})")
        expected = _TYPES.get(key, str)
        if value is None and known[key].default is None:
            values[key] = None
            continue
        if expected is int:
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise SiteError(display, f"key '{key}' must be a positive whole number, not {value!r}")
        elif not isinstance(value, str) or not value.strip():
            raise SiteError(display, f"key '{key}' must be non-empty text, not {value!r}")
        values[key] = value
    if "base_url" in values:
        values["base_url"] = normalize_base_url(values["base_url"], display)
    return SiteConfig(**values)


def normalize_base_url(url: str, display: str = "--base-url") -> str:
    url = url.strip()
    if not (url.startswith("/") or url.startswith("http://") or url.startswith("https://")):
        raise SiteError(display, f"base_url {url!r} must start with / or http(s)://")
    return url if url.endswith("/") else url + "/"
