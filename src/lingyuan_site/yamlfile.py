"""Reading the YAML files an editor writes (site.yaml, themes.yaml, keywords.yaml, front matter):
one loader, one error line naming the file and line."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import yaml

from .errors import SiteError


def load_yaml(path: Path, display: Optional[str] = None):
    """The data in a YAML file (None when it is empty)."""
    display = display or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SiteError(display, "is not UTF-8 text") from None
    except OSError as exc:
        raise SiteError(display, f"cannot be read ({exc.strerror})") from None
    return parse_yaml(text, display)


def parse_yaml(text: str, display: str, loader=yaml.SafeLoader, first_line: int = 1, what: str = "is not valid YAML"):
    """YAML text → data; an error is one line naming `display` and the line (counted from
    `first_line`, for front matter that starts below the file's first line)."""
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SiteError(display, f"{what} ({problem})", mark.line + first_line if mark is not None else None) from None
