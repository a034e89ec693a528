#!/usr/bin/env python3
"""Thin entry point: `python build.py [build|inspect|serve] …` works from a fresh checkout."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from lingyuan_site.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(root=Path(__file__).resolve().parent))
