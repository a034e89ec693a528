"""One error type for bad input: it always names the file, and the line where known."""
from __future__ import annotations

from typing import Optional


class SiteError(Exception):
    """An editor-fixable problem. ``str()`` is the one-line message the CLI prints."""

    def __init__(self, path: Optional[str], message: str, line: Optional[int] = None):
        self.path = path
        self.line = line
        self.message = message
        super().__init__(self.__str__())

    def __reduce__(self):  # cross process boundaries (parallel builds) intact
        return (SiteError, (self.path, self.message, self.line))

    def __str__(self) -> str:
        where = self.path or "lingyuan-site"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"
