"""The default theme and the site folder's overrides.

A site is a folder: `content/` (the pages, `site.yaml`, and optionally `themes.yaml`, `dict.txt`,
`keywords.yaml`), and optionally `templates/` and `static/`. Everything a site does not have comes
from the package: the templates and static files of the default theme (this repository's top-level
`templates/` and `static/`, copied into the wheel as `lingyuan_site/theme/` by setup.py) and the
default `themes.yaml` (`lingyuan_site/defaults/`). A site's file overrides the default of the same
name, one file at a time — Hugo's and Zola's rule: `templates/story.html` in a site replaces the
default story template and leaves every other template as it was.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from .errors import SiteError

PACKAGE = Path(__file__).resolve().parent
DEFAULTS = PACKAGE / "defaults"
README = "README.md"  # a note in a site's templates/ or static/ folder (`new` writes one): not part of the site


def default_theme() -> Path:
    """The folder holding the default `templates/` and `static/`: the installed package's copy, or,
    run from a checkout (editable install, build.py), the repository's own folders."""
    for folder in (PACKAGE / "theme", PACKAGE.parents[1]):
        if (folder / "templates" / "base.html").is_file():
            return folder
    raise SiteError(str(PACKAGE / "theme"), "the default theme is missing from the installed package; reinstall lingyuan-site")


def _chain(site_folder: Optional[Path], name: str) -> list[Path]:
    """The folders to look in, the site's first; a site folder that is the default itself counts once."""
    default = default_theme() / name
    folders = [Path(site_folder)] if site_folder is not None and Path(site_folder).is_dir() else []
    if not any(f.resolve() == default.resolve() for f in folders):
        folders.append(default)
    return folders


def template_dirs(site_templates: Optional[Path]) -> list[Path]:
    """Jinja's search path: a template is taken from the first folder that has it."""
    return _chain(site_templates, "templates")


def files_of(folders: list[Path]) -> dict[str, Path]:
    """relative path → file, the first folder's file winning (a README.md at a folder's top left out)."""
    found: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            if path.is_file() and rel not in found and rel != README:
                found[rel] = path
    return dict(sorted(found.items()))


def static_dirs(site_static: Optional[Path]) -> list[Path]:
    """Where static files come from: a file of the site's static/ takes the place of the default's."""
    return _chain(site_static, "static")


def content_file(content: Path, name: str) -> Optional[Path]:
    """A site's settings file in its content folder, else the package's default (themes.yaml has
    one; dict.txt and keywords.yaml have none), else None."""
    own = Path(content) / name
    if own.is_file():
        return own
    default = DEFAULTS / name
    return default if default.is_file() else None
