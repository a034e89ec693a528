"""The site structure: related stories, and the rebuild's memo of them."""
from __future__ import annotations

from lingyuan_site.structure import link_related, _months


def shared(a, b) -> int:
    return 2 * len({t.slug for t in a.themes} & {t.slug for t in b.themes}) + len(set(a.story.keywords) & set(b.story.keywords))


def test_related_stories_share_tags_most_first_then_nearest_in_time(built):
    _, result = built
    site = result.site
    food = next(e for e in site.stories if e.title == "食用菌产业年创产值6亿元")
    assert food.related and food not in food.related and len(food.related) <= 4
    for entry in site.stories:
        keys = [(-shared(entry, r), abs(_months(r.date) - _months(entry.date)), r.url) for r in entry.related]
        assert all(k[0] < 0 for k in keys), entry.title  # every related story shares a theme or keyword
        assert keys == sorted(keys), entry.title


def test_related_memo_reuses_only_what_did_not_change(built):
    _, result = built
    site = result.site
    before = {e.url: [r.url for r in e.related] for e in site.stories}
    state = link_related(site)
    assert {e.url: [r.url for r in e.related] for e in site.stories} == before
    # a state whose inputs all match is taken as it is: mark one story's kept answer to see it used
    target = site.stories[0]
    inputs, urls = state[target.url]
    tampered = dict(state)
    tampered[target.url] = (inputs, list(reversed(urls)))
    link_related(site, previous=tampered)
    assert [r.url for r in target.related] == list(reversed(urls)) != urls
    # one story's keywords change: every story whose answer could change is scored again, and the
    # result equals a fresh computation, even with every kept answer marked
    changed = next(e for e in site.stories if e.title == "食用菌产业年创产值6亿元")
    saved = list(changed.story.keywords)
    try:
        others = [e for e in site.stories if e.url not in {changed.url, *before[changed.url]}][-3:]
        changed.story.keywords = saved[:1] + [w for e in others for w in e.story.keywords[:3]]
        marked = {url: (inputs, list(reversed(urls))) for url, (inputs, urls) in state.items()}
        link_related(site, previous=marked)
        memo = {e.url: [r.url for r in e.related] for e in site.stories}
        link_related(site)
        fresh = {e.url: [r.url for r in e.related] for e in site.stories}
        moved = [url for url in fresh if fresh[url] != before[url]]
        assert changed.url in moved and len(moved) > 1
        assert all(memo[url] == fresh[url] for url in moved)  # all scored again
        kept = [url for url in fresh if url not in moved and len(before[url]) > 1]
        assert any(memo[url] == list(reversed(before[url])) for url in kept)  # and not everything
    finally:
        changed.story.keywords = saved
        link_related(site)
    assert {e.url: [r.url for r in e.related] for e in site.stories} == before
