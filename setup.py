"""Packs the default theme into the wheel.

The repository's top-level templates/ and static/ are the 凌源 archive's look and, at the same time,
the default theme every site gets (a site's own files override them one by one; see
src/lingyuan_site/sitefolder.py). They stay at the top level where an editor of this archive
finds them; this build step copies them into the package as lingyuan_site/theme/ so that an
installed tool has them. Everything else is declared in pyproject.toml.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
THEME = ("templates", "static")


class BuildPyWithTheme(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's own folders (sitefolder.default_theme)
        target = Path(self.build_lib) / "lingyuan_site" / "theme"
        for name in THEME:
            if (target / name).exists():
                shutil.rmtree(target / name)
            shutil.copytree(HERE / name, target / name)


setup(cmdclass={"build_py": BuildPyWithTheme})
