#!/usr/bin/env python3
"""Write N synthetic newspaper pages in the seeds' layout into a content folder, for benchmarks.

Each page: a feature (kicker, title, —— subtitle, 核心提示, three bare-line sections of paragraphs,
captions after blank-line runs, a column break inside a sentence) and a 凌源时讯 column of four or
five briefs (本报讯), sometimes a 图说 photo story; about one page in five is in Traditional
characters. Text is recombined from the seed pages' sentences, deterministically (seeded).

    python bench/generate.py N OUT_DIR [--seed 1] [--daily] [--photos]

--daily lays the pages out as a daily paper's: eight pages a day (第1版 … 第8版) on consecutive
days from 2012-01-01, instead of one page in each of 180 months over 15 years.
--photos gives every story a photo, a 4000 × 3000 JPEG beside its page (page-00001/p1.jpg …):
copies of a few photo-like images, each with its own JPEG comment, so every story's file has
its own bytes and is encoded on its own, as a real photo would be. The text is the same as
without.
"""
from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from lingyuan_site.load import load_file  # noqa: E402
from lingyuan_site.parse import parse_page  # noqa: E402

PLACES = ["凌源", "宋杖子镇", "刀尔登镇", "三道河子乡", "小城子镇", "四官营子镇", "万元店镇", "松岭子镇", "北炉乡", "乌兰白镇"]
TOPICS = ["产业", "项目", "乡村", "文旅", "民生", "生态", "科技", "党建", "城市", "招商"]
ACTIONS = ["推进", "建设", "提升", "打造", "加快", "实施", "深化", "助力"]
GOALS = ["高质量发展", "全面振兴", "产业升级", "民生改善", "数字赋能", "绿色转型", "乡村振兴", "营商环境"]


def material():
    sentences, titles, captions = [], [], []
    for path in sorted((ROOT / "content").glob("*.md")):
        page = parse_page(load_file(path))
        for story in page.stories:
            titles.append(story.title or "")
            captions.extend(c.text for c in story.captions)
            for p in story.paragraphs:
                sentences.extend(s for s in re.findall(r"[^。！？]+[。！？]", p.replace("本报讯 ", "")) if len(s) > 12)
    return sentences, [t for t in titles if t], captions


def headline(rng) -> str:
    return f"{rng.choice(PLACES)}{rng.choice(ACTIONS)}{rng.choice(TOPICS)}{rng.choice(GOALS)}"


def paragraph(rng, sentences, n=None) -> str:
    return "".join(rng.choice(sentences) for _ in range(n or rng.randint(2, 5)))


def page_text(i: int, rng, sentences, captions, daily: bool = False, photo=None) -> str:
    """A page's text; with `photo` (story number → path), a photo line in every story."""
    year = 2012 + i % 15
    month = 1 + (i * 7) % 12

    def picture(k: int) -> list:
        return [f"![]({photo(k)})", ""] if photo else []

    out = ["", "", f"{rng.choice(GOALS)} {rng.choice(GOALS)}", "", f"{headline(rng)}（{i}）", "",
           f"——{rng.choice(PLACES)}{rng.choice(ACTIONS)}{rng.choice(GOALS)}纪实", "", "核心提示", "", paragraph(rng, sentences, 3), ""]
    for s in range(3):
        out += [f"{rng.choice(ACTIONS)}{rng.choice(TOPICS)}{rng.choice(GOALS)}", ""]
        for k in range(rng.randint(3, 5)):
            para = paragraph(rng, sentences)
            if k == 1 and s == 1:  # a caption dropped into a sentence at a column break
                cut = len(para) // 2
                out += [para[:cut], "", "", "", rng.choice(captions), "", para[cut:], ""]
            else:
                out += [para, ""]
            if k == 0 and s == 0:
                out += picture(0)
        if s == 2:
            out += ["", "", rng.choice(captions), ""]
    out += ["凌源时讯 SHIXUN", ""]
    for b in range(rng.randint(4, 5)):
        out += [f"{headline(rng)}", "", f"本报讯 {paragraph(rng, sentences, 3)}", ""] + picture(b + 1) + [paragraph(rng, sentences, 2), ""]
    if i % 3 == 0:
        out += ["图说 TUSHUO", "", f"{rng.choice(PLACES)}{rng.choice(TOPICS)}新景", ""] + picture(9) + ["", "", paragraph(rng, sentences, 2), "", "本报记者 张旭 摄", ""]
    out += ["本版稿件由本报记者张旭采写"]
    body = "\n".join(out) + "\n"
    if i % 5 == 2:
        import opencc

        body = opencc.OpenCC("s2t").convert(body)
    if daily:
        import datetime

        day = datetime.date(2012, 1, 1) + datetime.timedelta(days=i // 8)
        return f"---\ndate: {day.isoformat()}\npage: 第{i % 8 + 1}版\n---\n{body}"
    return f"---\ndate: {year}-{month:02d}\n---\n{body}"


def photo_like(size=(4000, 3000), seed: int = 0):
    """A picture with a photograph's statistics (brightness varying at every scale, as in natural
    images, over soft fields of colour), so it compresses as a photo does: about 1.4 bits a
    pixel as a JPEG at quality 78. Test and bench images are made with it, never committed."""
    from PIL import Image

    w, h = size
    luminance = Image.new("L", size, 128)
    for n, (scale, amount) in enumerate(((256, 0.5), (64, 0.4), (16, 0.32), (4, 0.25), (1, 0.2))):
        noise = Image.effect_noise((max(2, w // scale), max(2, h // scale)), 64 + seed % 7 + n).resize(size, Image.BICUBIC)
        luminance = Image.blend(luminance, noise, amount)
    rng = random.Random(seed)
    colours = Image.new("RGB", (3, 2))
    colours.putdata([(rng.randrange(70, 230), rng.randrange(90, 220), rng.randrange(80, 230)) for _ in range(6)])
    colour = colours.resize(size, Image.BICUBIC)
    return Image.composite(colour, Image.new("RGB", size, (20, 24, 28)), luminance)


def base_photos(count: int = 6, size=(4000, 3000)) -> list[bytes]:
    """A few photo-like 4000 × 3000 JPEGs."""
    import io

    photos = []
    for n in range(count):
        buf = io.BytesIO()
        photo_like(size, n).save(buf, "JPEG", quality=88)
        photos.append(buf.getvalue())
    return photos


def unique_copy(jpeg: bytes, note: str) -> bytes:
    """The same JPEG with a comment segment of its own: other bytes, the same picture."""
    comment = note.encode("utf-8")
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


def generate(n: int, out: Path, seed: int = 1, daily: bool = False, photos: bool = False) -> list[Path]:
    rng = random.Random(seed)
    sentences, _, captions = material()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in ("site.yaml", "dict.txt"):
        shutil.copyfile(ROOT / "content" / name, out / name)
    bases = base_photos() if photos else []
    paths = []
    for i in range(n):
        path = out / f"page-{i:05d}.md"
        photo = None
        if photos:
            def photo(k: int, i=i) -> str:
                rel = f"page-{i:05d}/p{k}.jpg"
                (out / rel).parent.mkdir(exist_ok=True)
                (out / rel).write_bytes(unique_copy(bases[(i + k) % len(bases)], f"page {i} photo {k}"))
                return rel
        path.write_text(page_text(i, rng, sentences, captions, daily, photo), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--daily", action="store_true", help="eight pages a day with 版面 labels")
    ap.add_argument("--photos", action="store_true", help="a 4000 x 3000 photo in every story")
    args = ap.parse_args()
    paths = generate(args.n, Path(args.out), args.seed, args.daily, args.photos)
    print(f"wrote {len(paths)} pages to {args.out}")


if __name__ == "__main__":
    main()
