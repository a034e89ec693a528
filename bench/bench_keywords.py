#!/usr/bin/env python3
"""Keywords and themes against the editor's gold (issue 16). Prints figures; asserts nothing.

Keywords: precision (the share of shown keywords the gold accepts) on the 22 seed stories and on
the fixture pages, and the shown keywords the gold does not accept, by reason class:
  byline   a person from a byline, a photo credit or a quote (the gold's `never` list)
  credit   a credit or label word (资料片, 本版)
  counter  a number or counter (余人次, 十大, 两条)
  duplicate  another keyword of the same story holds it, or it holds another
  fragment a piece of a term the gold accepts (四接 of 四接三引)
  generic  anything else: a generic noun, a verb or adjective, a term the gold did not list
Themes: precision and recall against tests/gold_themes.yaml.

    python bench/bench_keywords.py
"""
from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from lingyuan_site import themes  # noqa: E402
from lingyuan_site.load import load_file  # noqa: E402
from lingyuan_site.parse import parse_page  # noqa: E402

COUNTER = re.compile(r"^[0-9０-９零〇一二三四五六七八九十百千万亿两几余多个]|[余个条次件项批名户家座栋人]$")


def pages(folder: Path) -> list:
    return [parse_page(load_file(p)) for p in sorted(folder.glob("*.md"))]


def reason(word: str, shown: list, accepted: list, never: dict) -> str:
    for cls in ("byline", "credit"):
        if word in never.get(cls, []) or (cls == "byline" and word in never.get("quoted", [])):
            return cls
    if COUNTER.search(word) and not any(word in a for a in accepted):
        return "counter"
    if any(w != word and (w in word or word in w) for w in shown):
        return "duplicate"
    if any(word != a and word in a for a in accepted):
        return "fragment"
    return "generic"


def keyword_report(groups: dict, gold: dict) -> None:
    for name, (stories, accepted_of) in groups.items():
        shown = ok = 0
        junk: Counter = Counter()
        examples: dict = {}
        for story in stories:
            accepted = accepted_of[story.title]["accept"]
            for word in story.keywords:
                shown += 1
                if word in accepted:
                    ok += 1
                else:
                    cls = reason(word, story.keywords, accepted, gold["never"])
                    junk[cls] += 1
                    examples.setdefault(cls, []).append(word)
        print(f"keywords, {name}: {len(stories)} stories, {shown} shown ({shown / max(1, len(stories)):.1f} a story), "
              f"precision {ok}/{shown} = {ok / max(1, shown):.3f}")
        for cls in ("byline", "credit", "counter", "duplicate", "fragment", "generic"):
            if junk[cls]:
                print(f"  {cls:9} {junk[cls] / shown:5.1%} of shown: {' '.join(examples[cls][:12])}")


def theme_report(groups: dict, gold: dict) -> None:
    for name, (page_list, _) in groups.items():
        tp = fp = fn = 0
        for page in page_list:
            labels = gold[Path(page.path).name]
            for story in page.stories:
                want, got = set(labels[story.title]), set(story.themes)
                tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
        print(f"themes, {name}: precision {tp / max(1, tp + fp):.3f}, recall {tp / max(1, tp + fn):.3f}")


def main() -> None:
    gold = yaml.safe_load((ROOT / "tests" / "gold_keywords.yaml").read_text(encoding="utf-8"))
    theme_gold = yaml.safe_load((ROOT / "tests" / "gold_themes.yaml").read_text(encoding="utf-8"))
    seeds, fixtures = pages(ROOT / "content"), pages(ROOT / "tests" / "fixtures" / "pages")
    themes.apply(seeds + fixtures, ROOT / "content")  # one archive: the seeds and the fixtures
    keyword_report({"seeds": ([s for p in seeds for s in p.stories], gold["stories"]),
                    "fixtures": ([s for p in fixtures for s in p.stories], gold["fixtures"])}, gold)
    theme_report({"seeds": (seeds, None), "fixtures": (fixtures, None)}, theme_gold)


if __name__ == "__main__":
    main()
