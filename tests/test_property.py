"""Property test: thousands of random and mutated pages never crash the parser, and every
character still ends up in exactly one place."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CONTENT_PAGES, FIXTURE_PAGES, assert_conserved
from lingyuan_site.load import load_file, load_text
from lingyuan_site.parse import parse_page

SEED_LINES = [line for path in CONTENT_PAGES + FIXTURE_PAGES for line in load_file(path).body if line.strip()]
PIECES = [
    "## ", "### ", "**本报讯** ", "本报讯 ", "核心提示", "核心提示：", "——", "数说", "2021", "161.4亿元", "图说 TUSHUO",
    "凌源时讯 SHIXUN", "本报记者 张旭 摄", "（资料片）", "本版稿件由本报记者张旭采写", "李永诚 李国恩", "本报记者 张旭",
    "，", "。", "、", ",", ":", "(", ")", '"', "“", "”", "……", "**", "*", "#", "&amp;", "<b>", "\\", "`", "> ", "1. ",
    "經濟開發區", "凌源", "LNG", "　", " ", "\t", "的", "众的烦心事。",
]

line_text = st.one_of(
    st.sampled_from(SEED_LINES),
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60),
    st.builds(lambda a, i, b: a[: i % (len(a) + 1)] + b, st.sampled_from(SEED_LINES), st.integers(0, 400), st.sampled_from(PIECES)),
)
blanks = st.integers(0, 4).map(lambda n: [""] * n)
page_body = st.lists(st.tuples(blanks, line_text), min_size=1, max_size=40).map(
    lambda items: "\n".join(line for bl, text in items for line in bl + [text]) + "\n"
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(page_body)
def test_random_pages_parse_and_conserve(body):
    if not body.strip():
        return
    page = parse_page(load_text(f"---\ndate: 2022-04\n---\n{body}", "random.md"))
    assert_conserved(page)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(CONTENT_PAGES + FIXTURE_PAGES), st.data())
def test_mutated_seed_pages_parse_and_conserve(path, data):
    lines = list(load_file(path).body)
    for _ in range(data.draw(st.integers(1, 6))):
        op = data.draw(st.sampled_from(["drop", "dup", "swap", "join", "split", "insert", "blank"]))
        i = data.draw(st.integers(0, max(0, len(lines) - 1)))
        if not lines:
            break
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif op == "join" and i + 1 < len(lines):
            lines[i : i + 2] = [lines[i] + lines[i + 1]]
        elif op == "split":
            cut = data.draw(st.integers(0, max(0, len(lines[i]))))
            lines[i : i + 1] = [lines[i][:cut], "", lines[i][cut:]]
        elif op == "insert":
            lines.insert(i, data.draw(line_text))
        elif op == "blank":
            lines[i:i] = [""] * data.draw(st.integers(1, 3))
    body = "\n".join(lines)
    if not body.strip():
        return
    page = parse_page(load_text(f"---\ndate: 2022-04\n---\n{body}\n", path.name))
    assert_conserved(page)
