"""Reading the YAML files an editor writes (site.yaml, themes.yaml, keywords.yaml, front matter):
one loader, one error line naming the file and line."""
from __future__ import annotations

import copy
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
    key = (display, text)
    if key not in _PARSED:
        if len(_PARSED) >= 8:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = parse_yaml(text, display)
    return copy.deepcopy(_PARSED[key])


# (display, text) → data, for the files a process reads on every build: serve builds again on
# each save, and parsing themes.yaml took 0.15 s of it; reading the file is what tells a change
_PARSED: dict = {}


MAX_DEPTH = 50  # nesting an editor's file never needs; deeper is refused before Python's recursion limit


class _Bounded:
    """A loader that refuses aliases (``*name``: a few hundred bytes of them can expand to
    gigabytes, "billion laughs"), nesting deeper than MAX_DEPTH, and a key given twice in one
    mapping (YAML's loaders keep the last silently: a page with two `date:` lines was filed
    under the second)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"'{key}' is given twice; keep one", key_node.start_mark)
                seen[key] = True
        return super().construct_mapping(node, deep=deep)

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.events.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed here", event.start_mark)
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_BOUNDED: dict = {}


def bounded(loader):
    found = _BOUNDED.get(loader)
    if found is None:
        found = _BOUNDED[loader] = type(f"Bounded{loader.__name__}", (_Bounded, loader), {})
    return found


def parse_yaml(text: str, display: str, loader=yaml.SafeLoader, first_line: int = 1, what: str = "is not valid YAML"):
    """YAML text → data; an error is one line naming `display` and the line (counted from
    `first_line`, for front matter that starts below the file's first line)."""
    try:
        return yaml.load(text, Loader=bounded(loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SiteError(display, f"{what} ({problem})", mark.line + first_line if mark is not None else None) from None
