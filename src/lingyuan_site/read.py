"""The read stage, the build's map: one page file's bytes → its model, with the per-story work of the
later stages done beside the parsing (theme scores and the themes chosen, keyword candidates,
counted search tokens), which is all the jieba work a build does.

It runs wherever workers.executor puts it: in the build, on worker processes, or on a Dask
cluster. So a task carries everything it needs (the page's bytes and name, and a Context with the
taxonomy and the user dictionary), and a worker keeps its segmenter between tasks
(workers.cached), made again only when the Context changes.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import segment
from . import themes as themes_stage
from .errors import SiteError
from .load import decode, load_text
from .model import Page
from .parse import parse_page
from .search import prepare_page
from .workers import cached


@dataclass(frozen=True)
class Context:
    """What reading a page needs besides the page: the taxonomy (themes.yaml) and content/dict.txt."""

    taxonomy: themes_stage.Taxonomy
    user_dict: Optional[bytes]
    salt: bytes  # a digest of both: a worker makes its segmenter again when it changes


def context(content: Path, taxonomy: themes_stage.Taxonomy) -> Context:
    path = Path(content) / "dict.txt"
    user_dict = path.read_bytes() if path.is_file() else None
    salt = hashlib.sha256(repr(taxonomy).encode("utf-8") + b"\0" + (user_dict or b"-")).digest()
    return Context(taxonomy, user_dict, salt)


def segmenter(ctx: Context) -> segment.Segmenter:
    """The segmenter of this process for `ctx` (jieba's dictionary, the user dictionary, the theme keywords)."""
    return cached(ctx.salt, lambda: segment.Segmenter(lambda: _tokenizer(ctx)))


def _tokenizer(ctx: Context):
    user_dict = None
    if ctx.user_dict is not None:
        digest = hashlib.sha256(ctx.user_dict).hexdigest()[:16]
        path = Path(tempfile.gettempdir()) / f"lingyuan-dict-{digest}.txt"
        if not _holds(path, digest):  # (missing, or damaged: its name is its content's digest)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(ctx.user_dict)
            os.replace(tmp, path)
        user_dict = str(path)
    tk = segment.tokenizer(user_dict)
    themes_stage.teach_keywords(ctx.taxonomy, tk)
    return tk


def _holds(path: Path, digest: str) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16] == digest
    except OSError:
        return False


def read_bytes(display: str, data: bytes, ctx: Optional[Context]) -> Page:
    """Load, normalise and parse one page; with `ctx`, also its per-story theme, keyword and search
    work. The ledger and source lines, which only tests of text fidelity read, are dropped."""
    if not data.strip():
        raise SiteError(display, "is empty: a page needs front matter and text")
    page = parse_page(load_text(decode(data, display), display))
    page.ledger, page.lines = [], []
    if ctx is not None and not page.draft:
        seg = segmenter(ctx)
        themes_stage.check_front_matter(page, ctx.taxonomy)
        for story in page.stories:
            themes_stage.prepare_story(story, ctx.taxonomy, seg)
        themes_stage.choose_themes(page, ctx.taxonomy)
        themes_stage.keyword_front_matter([page])
        prepare_page(page, seg)
        seg.memo.clear()  # each text is segmented for this page only
    return page


def read_task(task: tuple) -> tuple:
    """(key, display, bytes, Context) → (key, Page or None, SiteError or None): a task for
    workers.executor. Bytes None: the file could not be read, `ctx` is then the reason."""
    key, display, data, ctx = task
    if data is None:
        return key, None, ctx if isinstance(ctx, SiteError) else SiteError(display, f"cannot be read ({ctx})")
    try:
        return key, read_bytes(display, data, ctx), None
    except SiteError as exc:
        return key, None, exc
    except RecursionError:
        return key, None, SiteError(display, "is nested too deeply to read")
