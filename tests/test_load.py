"""Loading: encodings, line endings, front matter, dates; errors name the file and line."""
import pytest

from conftest import SEEDS, parse_file
from lingyuan_site.errors import SiteError
from lingyuan_site.load import decode, load_file, load_text, parse_date
from lingyuan_site.parse import parse_page

PAGE = "---\ndate: 2022-04\ntitle: 测试\n---\n## 凌源新闻\n\n**本报讯** 凌源市，今天。\n"


@pytest.mark.parametrize(
    "data",
    [
        PAGE.encode("utf-8"),
        b"\xef\xbb\xbf" + PAGE.encode("utf-8"),
        PAGE.replace("\n", "\r\n").encode("utf-8"),
        PAGE.encode("gb18030"),
        PAGE.encode("gbk"),
        PAGE.encode("utf-16"),
    ],
    ids=["utf8", "bom", "crlf", "gb18030", "gbk", "utf16"],
)
def test_encodings_and_line_endings_decode_alike(data):
    assert decode(data, "p.md") == PAGE


@pytest.mark.parametrize("key", sorted(SEEDS))
def test_seed_copies_in_other_encodings_parse_the_same(tmp_path, key):
    import opencc

    original = parse_file(SEEDS[key]).to_dict()
    text = SEEDS[key].read_text(encoding="utf-8")
    _, fm, body = text.split("---\n", 2)
    traditional = f"---\n{fm}---\n" + opencc.OpenCC("s2t").convert(body)
    copies = {
        "crlf.md": text.replace("\n", "\r\n").encode("utf-8"),
        "gb.md": text.encode("gb18030"),
        "bom.md": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "trad.md": traditional.encode("utf-8"),
    }
    assert traditional != text
    for name, data in copies.items():
        (tmp_path / name).write_bytes(data)
        got = parse_page(load_file(tmp_path / name)).to_dict()
        got["file"] = original["file"]
        assert got == original, name


@pytest.mark.parametrize(
    "value, expected",
    [("2022", (2022, None, None)), (2021, (2021, None, None)), ("2022-04", (2022, 4, None)), ("2022-4-15", (2022, 4, 15))],
)
def test_date_precision_is_kept(value, expected):
    d = parse_date(value, "p.md", 2)
    assert (d.year, d.month, d.day) == expected


def test_date_display_and_iso():
    d = parse_date("2022-04", "p.md", 2)
    assert (d.display, d.iso, d.precision) == ("2022年4月", "2022-04", "month")
    assert parse_date("2021", "p.md", 2).display == "2021年"


def test_yaml_date_object_keeps_day_precision():
    raw = load_text("---\ndate: 2022-04-15\n---\n正文。\n", "p.md")
    assert raw.date.display == "2022年4月15日"


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("---\ndate: 2022-13\n---\n正文。\n", "date 2022-13 does not exist", 2),
        ("---\ndate: 2022-02-30\n---\n正文。\n", "date 2022-02-30 does not exist", 2),
        ("---\ndate: yesterday\n---\n正文。\n", "is not YYYY, YYYY-MM or YYYY-MM-DD", 2),
        ("---\ntitle: x\n---\n正文。\n", "front matter needs 'date'", 2),
        ("---\ndate: 2022\ntitle: [unclosed\n---\n正文。\n", "front matter is not valid YAML", 3),
        ("---\ndate: 2022\n", "front matter is not closed", 1),
        ("正文。\n", "has no front matter", 1),
        ("---\ndate: 2022\n---\n\n\n", "has front matter but no page text", 4),
        ("---\ndate: 2022\nslug: ../etc\n---\n正文。\n", "slug '../etc' must be lowercase ASCII", 3),
        ("---\ndate: 2022\ndraft: maybe\n---\n正文。\n", "'draft' must be true or false", 3),
    ],
)
def test_bad_front_matter_is_one_clear_line(text, message, line):
    with pytest.raises(SiteError) as info:
        load_text(text, "content/p.md")
    assert message in str(info.value)
    assert info.value.line == line
    assert str(info.value).startswith(f"content/p.md:{line}: ")


def test_unknown_front_matter_key_is_a_warning_with_its_line():
    raw = load_text("---\ndate: 2022\nauthor: 张旭\n---\n正文。\n", "p.md")
    assert raw.warnings == [("unknown-key", "unknown front matter key 'author' is ignored", 3)]


def test_empty_nul_and_undecodable_files(tmp_path):
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "nul.md").write_bytes(b"---\ndate: 2022\n---\nab\x00cd\n")
    (tmp_path / "bad.md").write_bytes(b"---\ndate: 2022\n---\n\xef\xbb\xbf\xff\xfe\xfd\x81\n")
    with pytest.raises(SiteError, match="is empty"):
        load_file(tmp_path / "empty.md")
    with pytest.raises(SiteError, match="NUL byte") as info:
        load_file(tmp_path / "nul.md")
    assert info.value.line == 4
    with pytest.raises(SiteError, match="cannot be decoded"):
        load_file(tmp_path / "bad.md")
