"""The site structure: related stories (tests/test_incremental.py checks that a rebuild's
structure equals a cold build's)."""
from __future__ import annotations

from lingyuan_site.structure import months_of


def shared(a, b) -> int:
    return 2 * len({t.slug for t in a.themes} & {t.slug for t in b.themes}) + len(set(a.story.keywords) & set(b.story.keywords))


def test_related_stories_share_tags_most_first_then_nearest_in_time(built):
    _, result = built
    site = result.site
    food = next(e for e in site.stories if e.title == "食用菌产业年创产值6亿元")
    assert food.related and food not in food.related and len(food.related) <= 4
    for entry in site.stories:
        keys = [(-shared(entry, r), abs(months_of(r.date) - months_of(entry.date)), r.url) for r in entry.related]
        assert all(k[0] < 0 for k in keys), entry.title  # every related story shares a theme or keyword
        assert keys == sorted(keys), entry.title
