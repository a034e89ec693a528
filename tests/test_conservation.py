"""Text fidelity: on every content page and fixture, each character ends up in exactly one place."""
import pytest

from conftest import CONTENT_PAGES, FIXTURE_PAGES, assert_conserved, parse_file, parse_text


def test_there_are_pages_to_check():
    assert len(CONTENT_PAGES) >= 5
    assert len(FIXTURE_PAGES) >= 3


@pytest.mark.parametrize("path", CONTENT_PAGES + FIXTURE_PAGES, ids=lambda p: p.name)
def test_every_character_is_placed_once(path):
    assert_conserved(parse_file(path))


def test_the_check_catches_a_dropped_character(seeds):
    page = parse_file(CONTENT_PAGES[0])
    page.ledger = page.ledger[:-1]
    with pytest.raises(AssertionError):
        assert_conserved(page)


def test_the_check_catches_a_garbled_field():
    page = parse_text("## 标题\n\n第一段文字。\n")
    page.stories[0].sections[0].paragraphs[0] = "第一段文学。"
    with pytest.raises(AssertionError):
        assert_conserved(page)


def test_removed_duplicates_are_accounted_for():
    span = "这次实现集中开工，约占凌源97户原字号、老字号企业的28%。突出产业链拉长加粗，大力建链、延链、补链、强链。"
    page = parse_text(f"## 标题\n\n开头。{span}中间的话，{span}\n")
    assert page.stories[0].paragraphs == [f"开头。{span}中间的话，"]
    assert_conserved(page)
