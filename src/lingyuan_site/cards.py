"""Cards: what a list, a link or a rail shows of a story or a 版面, made from the model alone. The
structure stage keeps each card in the store (so lists never open a page's record) and the views
put them in front of the templates; both import them from here."""
from __future__ import annotations

import re
from typing import Optional

from .model import Page, Story

KIND_NAMES = {"feature": "通讯", "brief": "消息", "photo": "图片新闻"}
LEDE_CHARS = 90
DESCRIPTION_CHARS = 150


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending on a sentence end when one is near."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind("。"), cut.rfind("！"), cut.rfind("？"))
    return cut[: end + 1] if end >= limit // 2 else cut.rstrip("，、；：") + "…"


def lede(story: Story, limit: int = LEDE_CHARS) -> str:
    text = story.summary[0] if story.summary else (story.paragraphs[0] if story.paragraphs else "")
    text = re.sub(r"^本报讯\s*", "", text)
    if not text and story.captions:
        text = story.captions[0].text
    return clip(text, limit)


def description(story: Story, title: str) -> str:
    return lede(story, DESCRIPTION_CHARS) or title


def date(d) -> dict:
    return {"iso": d.iso, "display": d.display, "year": d.year, "month": d.month}


def lead_index(page: Page) -> Optional[int]:
    """The page's lead story: its first feature, else its first story."""
    return next((i for i, s in enumerate(page.stories) if s.kind == "feature"), 0 if page.stories else None)


def page_card_of(page: Page, url: str) -> dict:
    """What a list shows of a 版面 (kept in the store with the page)."""
    i = lead_index(page)
    lead_title = page.story_title(i) if i is not None else page.display_title
    scan = page.scan_image
    photo = lead_photo(page.stories[i]) if i is not None else None
    return {"url": url, "title": page.display_title, "label": page.label, "date": date(page.date), "source": page.source,
            "count": len(page.stories), "lead": lead_title,
            "thumb": thumb(scan, f"{page.date.display}{page.label or ''}版面图") if scan else (thumb(photo.image, photo.caption or lead_title) if photo else None)}


def story_card_of(story: Story, title: str, d) -> dict:
    """What a list, a link or a rail shows of a story, but its URL and its page's (structure adds
    those once they are known, and keeps the card in the store)."""
    photo = lead_photo(story)
    return {"title": title, "kind": story.kind, "kind_name": KIND_NAMES[story.kind], "kicker": story.kicker, "column": story.column,
            "date": date(d), "lede": lede(story), "thumb": thumb(photo.image, photo.caption or title) if photo else None}


def thumb(img, alt: str) -> Optional[dict]:
    """A small picture for lists (the smallest size is 480 px: sharp at 8rem on any screen)."""
    if img is None:
        return None
    small = img.sizes[0]
    return {"webp": small.webp, "jpeg": small.jpeg, "width": small.width, "height": small.height, "alt": alt}


def lead_photo(story: Story):
    return next((p for p in story.photos if p.image is not None), None)
