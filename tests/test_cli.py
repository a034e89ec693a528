"""`build.py inspect`: the JSON interface other tools depend on, and the editor's outline."""
import json
import subprocess
import sys

from conftest import ROOT, SEEDS


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], capture_output=True, text=True, cwd=ROOT)


def test_inspect_json_interface():
    result = run("inspect", str(SEEDS["002"]), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["date"] == "2022-02"
    assert set(data) >= {"source", "date", "stories", "credits", "warnings"}
    story = data["stories"][0]
    assert set(story) >= {"kind", "title", "kicker", "subtitle", "summary", "byline", "column", "sections",
                          "captions", "data", "themes", "keywords"}
    assert story["kind"] == "feature"
    assert story["title"] == "凌源市：加压奋进当好朝阳振兴先锋队"
    assert story["kicker"] is None and story["column"] is None
    assert story["sections"][1]["heading"] == "挂图作战 全力跑出项目建设新速度"
    assert story["captions"][0] == {"text": "辽宁炜盛新型复合材料有限公司正在生产中。", "credit": "本报特约记者 仇一军 摄"}
    assert story["data"][0] == {"label": "地区生产总值", "value": "161.4亿元"}
    assert data["credits"] == ["本版图片除署名外由本报记者张旭摄"]


def test_inspect_json_warnings_have_lines():
    data = json.loads(run("inspect", str(SEEDS["001"]), "--json").stdout)
    assert {"kind": "interleaved", "line": 112} == {k: v for k, v in data["warnings"][2].items() if k != "message"}


def test_inspect_outline_for_an_editor():
    result = run("inspect", str(SEEDS["004"]))
    assert result.returncode == 0
    assert "1. [feature] 凌源市统筹抓好疫情防控和经济社会发展工作 争分夺秒抢进度 全力以赴赶工期" in result.stdout
    assert "   § 服务企业不停步 线上招商不停歇：3段" in result.stdout
    assert ":22: duplicate: removed a 238-character span printed twice" in result.stdout


def test_inspect_bad_file_is_one_line_and_nonzero(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text("---\ndate: 2022-02-30\n---\n正文。\n", encoding="utf-8")
    result = run("inspect", str(bad))
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {bad}:2: date 2022-02-30 does not exist"
    assert "Traceback" not in result.stderr


def test_inspect_into_a_closed_pipe_is_not_an_error(tmp_path):
    """`build.py inspect FILE | head -1`: the reader stops early; that is no internal error. (The
    page is large enough that its JSON overflows the pipe's buffer.)"""
    from conftest import generate_pages

    generate_pages(tmp_path / "gen", daily=16)
    bodies = [p.read_text(encoding="utf-8").split("\n---\n", 1)[1] for p in sorted((tmp_path / "gen").glob("*.md"))]
    page = tmp_path / "big.md"
    page.write_text("---\ndate: 2012-01-01\n---\n" + "\n\n".join(bodies), encoding="utf-8")
    assert len(run("inspect", str(page), "--json").stdout.encode()) > 200_000
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "inspect", str(page), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    first = proc.stdout.read(16)
    proc.stdout.close()  # as `head` does once it has its line
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(30) == 0 and first.startswith(b"{")
    assert "internal error" not in err and "Traceback" not in err


def test_build_a_site_folder_from_elsewhere_and_a_missing_one(tmp_path):
    """`new` then `build --site DIR` from another folder: the output goes to DIR/public; the 凌源
    repository's files (its site.yaml, dict.txt) play no part."""
    made = run("new", str(tmp_path / "paper"), "--newspaper", "南方周报", "--title", "南方周报: 往期")
    assert made.returncode == 0, made.stderr
    assert 'title: "南方周报: 往期"' in (tmp_path / "paper" / "content" / "site.yaml").read_text(encoding="utf-8")
    built = run("build", "--site", str(tmp_path / "paper"))
    assert built.returncode == 0, built.stderr
    home = (tmp_path / "paper" / "public" / "index.html").read_text(encoding="utf-8")
    assert "<title>南方周报: 往期</title>" in home and "南方周报数字档案上线" in home
    missing = run("build", "--site", str(tmp_path / "nope"))
    assert missing.returncode == 1
    assert missing.stderr.strip() == (f"error: {tmp_path / 'nope'}: site folder not found "
                                      "(a site folder holds content/; start one with `lingyuan-site new DIR`)")
