"""Stage 3, parse: a normalised page → stories.

markdown-it-py reads the block structure (``##``/``###`` headings, paragraphs, ``**本报讯**``); the
newspaper rules below then decide what each block is (title, kicker, caption, credit, data box,
section heading, body) and which story it belongs to.

Every text value is built from *fragments*: ``(line, start, end)`` slices of the normalised source.
When the page is frozen into the model, each fragment is written to the page's ledger with the
place it went to, so tests can prove that nothing was lost, duplicated or invented.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from markdown_it import MarkdownIt

from . import normalize as nz
from .load import RawPage
from .model import BRIEF, FEATURE, PHOTO, Caption, Column, DataItem, LedgerEntry, Page, Photo, Section, Story, PageWarning

_MD = MarkdownIt("zero").enable(["heading", "emphasis"])

_NAME = r"[\u4e00-\u9fff·]{2,4}"
_SP = r"[ \u3000]"
_ROLE = r"(?:本报)?(?:特约)?(?:摄影)?(?:记者|通讯员|实习生)"
COLUMN_RE = re.compile(rf"^([\u4e00-\u9fff]{{2,8}}){_SP}+([A-Z][A-Za-z]{{2,}})$")
PAGE_CREDIT_RE = re.compile(r"^(?:本版|本报稿件|本期)\S*?(?:采写|摄|提供|撰稿|编辑|供图)$")
PAGE_CREDIT_TAIL_RE = re.compile(r"(?:本版|本报稿件|本期)[^。！？]*?(?:采写|摄|提供|撰稿|供图)$")
PHOTO_CREDIT_RE = re.compile(rf"^{_ROLE}{_SP}*{_NAME}(?:[ \u3000、]+{_NAME})*{_SP}*摄$")
CAPTION_CREDIT_RE = re.compile(
    rf"(?:{_ROLE}{_SP}*{_NAME}(?:[ \u3000、]+{_NAME})*{_SP}*摄|（资料片）|（[^（）]{{1,16}}摄）)$"
)
BYLINE_RE = re.compile(rf"^(?:{_ROLE}{_SP}*{_NAME}(?:[ \u3000、]+{_NAME})*{_SP}*)+$")
NAMES_RE = re.compile(rf"^[\u4e00-\u9fff]{{2,4}}(?:{_SP}+[\u4e00-\u9fff]{{2,4}}){{0,4}}$")
SUMMARY_LABEL = "核心提示"
DATELINE_RE = re.compile(r"^本报讯")
DATA_LABEL = "数说"
DATA_VALUE_RE = re.compile(r"^[0-9０-９][0-9０-９.,．，%％]*[ \u3000]*[\u4e00-\u9fff%％‰]{0,4}$")
SUBTITLE_RE = re.compile(r"^(?:——|--|—)")
PHOTO_RE = re.compile(r"^!\[([^\]]*)\]\(([^()\s]+)\)$")  # ![说明](path/to/photo.jpg)
CAPTION_MAX = 60
INTERLEAVE_EVIDENCE = 6
# interleaved text belongs to a story printed near its own (a page has a few dozen stories at most):
# a page of thousands of stories is not searched end to end at every break
INTERLEAVE_REACH = 48
DUPLICATE_SCAN_LIMIT = 200_000  # characters per story; the scan keeps a window per position
MARKUP = ("#", "*", "_", SUMMARY_LABEL)


# ---------------------------------------------------------------------------- fragments
@dataclass
class Frag:
    line: int
    start: int
    end: int
    text: str


Run = list  # list[Frag]


def run_text(run: Run) -> str:
    return "".join(f.text for f in run)


def run_slice(run: Run, i: int, j: int) -> tuple[Run, Run]:
    """Split `run` by text offsets: (the run without [i, j), the fragments covering [i, j))."""
    kept, cut, pos = [], [], 0
    for f in run:
        a, b = pos, pos + len(f.text)
        pos = b
        lo, hi = max(a, i), min(b, j)
        if lo >= hi:
            kept.append(f)
            continue
        if a < lo:
            kept.append(Frag(f.line, f.start, f.start + lo - a, f.text[: lo - a]))
        cut.append(Frag(f.line, f.start + lo - a, f.start + hi - a, f.text[lo - a : hi - a]))
        if hi < b:
            kept.append(Frag(f.line, f.start + hi - a, f.end, f.text[hi - a :]))
    return kept, cut


def _strip(run: Run) -> Run:
    run = [f for f in run if f.text]
    if run:
        f = run[0]
        t = f.text.lstrip()
        run[0] = Frag(f.line, f.end - len(t), f.end, t)
        f = run[-1]
        t = f.text.rstrip()
        run[-1] = Frag(f.line, f.start, f.start + len(t), t)
    return [f for f in run if f.text]


def _sub(run: Run, i: int, j: Optional[int] = None) -> Run:
    text_len = len(run_text(run))
    j = text_len if j is None else j
    kept, cut = run_slice(run, i, j)
    return _strip(cut)


# ---------------------------------------------------------------------------- blocks
@dataclass
class Block:
    kind: str  # "h" or "p"
    level: int
    lines: list  # list[Run], one per source line
    markup: list  # list[Frag]
    blank_before: int
    strong_lead: bool = False

    @property
    def line(self) -> int:
        return self.lines[0][0].line if self.lines and self.lines[0] else 0

    @property
    def text(self) -> str:
        return "".join(run_text(r) for r in self.lines)

    @property
    def single(self) -> bool:
        return len(self.lines) == 1


def read_blocks(lines: list[str], first_line: int) -> list[Block]:
    blocks: list[Block] = []
    tokens = _MD.parse("\n".join(lines))
    prev_end = None
    for idx, tok in enumerate(tokens):
        if tok.type not in ("heading_open", "paragraph_open") or tok.map is None:
            continue
        a, b = tok.map
        blank = 0 if prev_end is None else sum(1 for k in range(prev_end, a) if not lines[k].strip())
        prev_end = b
        if tok.type == "heading_open":
            blocks.append(_heading_block(lines, a, first_line, int(tok.tag[1]), blank))
        else:
            blocks.append(_paragraph_block(lines, a, b, tokens[idx + 1], first_line, blank))
    return blocks  # may include empty ones ("## " alone): the parser takes their markup, then drops them


def _heading_block(lines, a, first_line, level, blank) -> Block:
    src = lines[a]
    line = first_line + a
    m = re.match(r"^(\s*)(#{1,6})(\s+|$)(.*?)(?:\s+#+)?\s*$", src)
    if m is None:  # markdown-it saw a heading our pattern does not: keep the line as text
        return _plain_block(lines, a, a + 1, first_line, blank)
    markup = [Frag(line, m.start(2), m.end(2), m.group(2))]
    content = [Frag(line, m.start(4), m.end(4), m.group(4))] if m.group(4) else []
    tail = src[m.end(4):].strip()
    if tail:
        pos = src.rindex(tail)
        markup.append(Frag(line, pos, pos + len(tail), tail))
    content = _strip(content)
    return Block("h", level, [content] if content else [], markup, blank)


def _paragraph_block(lines, a, b, inline, first_line, blank) -> Block:
    # Walk the inline tokens (text and emphasis markup) over the content, then place each content
    # line back on its source line, so every fragment knows its column. markdown-it trims the
    # content (a line of only U+3000 is not blank to it), so lines are found by searching forward;
    # if anything does not line up, the block's source lines are taken as plain text.
    segments = []  # (is_markup, text)
    for child in inline.children or []:
        if child.type in ("strong_open", "strong_close", "em_open", "em_close"):
            segments.append((True, child.markup))
        elif child.type == "softbreak":
            segments.append((False, "\n"))
        else:
            segments.append((False, child.content))
    content_lines = inline.content.split("\n")
    placed = []  # (source line index, column) per content line
    k = a
    for cl in content_lines:
        while k < b and cl not in lines[k]:
            k += 1
        if k >= b:
            break
        placed.append((k, lines[k].find(cl)))
        k += 1
    if "".join(s for _, s in segments) != inline.content or len(placed) != len(content_lines):
        return _plain_block(lines, a, b, first_line, blank)
    runs, markup = [], []
    li, col = 0, 0
    cur: Run = []
    strong_lead = False
    for seg_index, (is_markup, text) in enumerate(segments):
        parts = text.split("\n")
        for pi, part in enumerate(parts):
            if pi > 0:
                runs.append(cur)
                cur, li, col = [], li + 1, 0
            if not part:
                continue
            src_index, offset = placed[li]
            start = offset + col
            frag = Frag(first_line + src_index, start, start + len(part), part)
            if is_markup:
                markup.append(frag)
                if seg_index <= 1 and li == 0:
                    strong_lead = True
            else:
                cur.append(frag)
            col += len(part)
    runs.append(cur)
    runs = [_strip(r) for r in runs]
    return Block("p", 0, [r for r in runs if r], markup, blank, strong_lead)


def _plain_block(lines, a, b, first_line, blank) -> Block:
    runs = [_strip([Frag(first_line + k, 0, len(lines[k]), lines[k])]) for k in range(a, b)]
    return Block("p", 0, [r for r in runs if r], [], blank)


# ---------------------------------------------------------------------------- item types
def is_headline_like(text: str, max_len: int = 44) -> bool:
    text = text.strip()
    if not text or len(text) > max_len:
        return False
    if any(p in text for p in "，。；！？"):
        return False
    return not nz.ends_sentence(text) and text[-1] not in "、：:,;"


def is_section_heading_like(text: str) -> bool:
    return is_headline_like(text, 24) and "、" not in text and not DATELINE_RE.match(text)


def column_of(block: Block) -> Optional[re.Match]:
    if not block.single or block.level == 2:
        return None
    return COLUMN_RE.match(block.text)


def is_dateline(block: Block) -> bool:
    return block.kind == "p" and bool(DATELINE_RE.match(block.text))


def is_caption(block: Block) -> bool:
    if block.kind != "p" or not block.single or block.blank_before < 2:
        return False
    text = block.text
    tail = PAGE_CREDIT_TAIL_RE.search(text) or CAPTION_CREDIT_RE.search(text)
    body = text[: tail.start()] if tail else text
    if not body.strip() or len(body) > CAPTION_MAX:
        return False
    return bool(tail) or nz.ends_sentence(body)


def is_slogan(block: Block) -> bool:
    return (
        block.kind == "p"
        and len(block.lines) >= 2
        and all(len(run_text(r)) <= 6 and is_headline_like(run_text(r)) and not DATA_VALUE_RE.match(run_text(r)) for r in block.lines)
        and run_text(block.lines[0]) != DATA_LABEL
    )


def is_data_block(block: Block) -> bool:
    """Label / value lines: 地区生产总值 / 161.4亿元, optionally led by a group heading."""
    texts = [run_text(r) for r in block.lines]
    if block.kind != "p" or len(texts) < 2:
        return False
    if len(texts) % 2:
        texts = texts[1:]
    return all(not DATA_VALUE_RE.match(l) and DATA_VALUE_RE.match(v) for l, v in zip(texts[0::2], texts[1::2]))


def is_data_start(block: Block) -> bool:
    return block.kind == "p" and re.match(rf"^{DATA_LABEL}(?:{_SP}*\d{{4}})?$", run_text(block.lines[0])) is not None


# ---------------------------------------------------------------------------- drafts
@dataclass
class Para:
    run: Run
    merged_into: Optional["Para"] = None
    moved: bool = False  # moved here from another story (interleaved text): never moved again

    @property
    def text(self) -> str:
        return run_text(self.run)

    @property
    def line(self) -> int:
        return self.run[0].line if self.run else 0

    def final(self) -> "Para":
        p = self
        while p.merged_into is not None:
            p = p.merged_into
        return p


@dataclass
class SectionDraft:
    heading: Optional[Run]
    paras: list = field(default_factory=list)
    line: int = 0


@dataclass
class CaptionDraft:
    text: Run
    credit: Optional[Run]
    after: Optional[Para]
    line: int


@dataclass
class PhotoDraft:
    src: Run
    caption: Run
    credit: Optional[Run]
    after: Optional[Para]
    line: int


@dataclass
class StoryDraft:
    line: int
    column: Optional[Column] = None
    kicker: list = field(default_factory=list)  # runs
    title: list = field(default_factory=list)  # runs
    subtitle: list = field(default_factory=list)
    summary: list = field(default_factory=list)  # Paras
    byline: list = field(default_factory=list)  # runs
    sections: list = field(default_factory=list)
    captions: list = field(default_factory=list)
    photos: list = field(default_factory=list)  # PhotoDraft
    pending_photo: Optional[PhotoDraft] = None  # a photo whose caption is the caption block after it
    data_title: list = field(default_factory=list)
    data: list = field(default_factory=list)  # (label run, value run | None)
    slogans: list = field(default_factory=list)
    has_dateline: bool = False
    titled_by_heading: bool = False
    mode: Optional[str] = None  # "summary" | "data"

    @property
    def title_text(self) -> str:
        return "".join(run_text(r) for r in self.title)

    @property
    def paras(self) -> list:
        return [p for s in self.sections for p in s.paras]

    def last_para(self) -> Optional[Para]:
        for s in reversed(self.sections):
            if s.paras:
                return s.paras[-1]
        return None

    def add_para(self, run: Run) -> Para:
        para = Para(run)
        if self.mode == "summary":
            self.summary.append(para)
            return para
        if not self.sections:
            self.sections.append(SectionDraft(None, line=para.line))
        self.sections[-1].paras.append(para)
        return para


# ---------------------------------------------------------------------------- the page parser
class PageParser:
    def __init__(self, page: Page, trace: Optional[list] = None):
        self.page = page
        self.trace = trace  # (line, rule name, text) of each block, when asked (inspect --explain)
        self.stories: list[StoryDraft] = []
        self.markup: list[Frag] = []
        self.removed: list[Frag] = []
        self.credits: list[Run] = []
        self.columns: list[tuple[Column, Run, Optional[Run]]] = []
        self._story_grams: dict[int, set] = {}  # id(story) → bigrams of its title and paragraphs (see _grams_of)

    def warn(self, kind: str, message: str, line: Optional[int]) -> None:
        self.page.warnings.append(PageWarning(kind, message, line))

    def explain(self, block: Block, rule: str) -> None:
        if self.trace is not None:
            self.trace.append((block.line, rule, block.text))

    # -- segmentation ----------------------------------------------------------
    def parse(self) -> Page:
        blocks = read_blocks(self.page.lines, self.page.first_line)
        for b in blocks:
            self.markup.extend(b.markup)
        blocks = [b for b in blocks if b.lines]
        starts = self._story_starts(blocks)
        cur: Optional[StoryDraft] = None
        column: Optional[Column] = None
        i = 0
        while i < len(blocks):
            block = blocks[i]
            col = column_of(block)
            if col:
                column = self._column(block, col)
                self.explain(block, "column")
                cur = None
                i += 1
                continue
            if block.kind == "p" and block.single and PAGE_CREDIT_RE.match(block.text):
                self.credits.append(block.lines[0])
                self.explain(block, "page_credit")
                i += 1
                continue
            if i in starts:
                cur = StoryDraft(block.line, column)
                self.stories.append(cur)
                kicker, title = starts[i]
                self.explain(block, "story_start")
                for k in kicker:
                    self.explain(blocks[k], "story_start:kicker")
                for t in title:
                    self.explain(blocks[t], "story_start:headline")
                nxt = self._header(cur, blocks, i, starts[i])
                if nxt == i:  # a 本报讯 paragraph with no headline above it
                    self._body(cur, blocks, i, starts)
                    nxt = i + 1
                i = nxt
                continue
            if cur is None or self._photo_story_starts(cur, column, blocks, i):
                self.explain(block, "story_start:photo" if cur is not None else "story_start")
                cur = StoryDraft(block.line, column)
                self.stories.append(cur)
            self._body(cur, blocks, i, starts)
            i += 1
        self._close()
        return self._freeze()

    def _column(self, block: Block, match: re.Match) -> Column:
        run = block.lines[0]
        name = _sub(run, match.start(1), match.end(1))
        label = _sub(run, match.start(2), match.end(2))
        column = Column(match.group(1), match.group(2), block.line)
        self.columns.append((column, name, label))
        return column

    def _story_starts(self, blocks: list[Block]) -> dict[int, tuple[list[int], list[int]]]:
        """Index of each story's first block → (kicker block indexes, title block indexes).
        A story starts at a ## heading (plain headline lines just above it are its kicker) or at
        the headline lines above a 本报讯 paragraph."""
        starts = {}
        taken = set()
        for i, block in enumerate(blocks):
            if block.kind == "h" and block.level <= 2:
                kicker = []
                j = i - 1
                while j >= 0 and j not in taken and len(kicker) < 2 and self._plain_headline(blocks[j]):
                    kicker.insert(0, j)
                    j -= 1
                first = kicker[0] if kicker else i
                starts[first] = (kicker, [i])
                taken.update(kicker + [i])
            elif is_dateline(block):
                if i - 1 in taken:
                    continue
                title = []
                j = i - 1
                while j >= 0 and j not in taken and len(title) < 3 and self._plain_headline(blocks[j]):
                    title.insert(0, j)
                    j -= 1
                if title:
                    starts[title[0]] = ([], title)
                    taken.update(title)
                else:
                    starts[i] = ([], [])
                taken.add(i)
        return starts

    @staticmethod
    def _plain_headline(block: Block) -> bool:
        return (
            block.kind == "p"
            and all(is_headline_like(run_text(r)) for r in block.lines)
            and len(block.lines) <= 2
            and not column_of(block)
            and not is_dateline(block)
            and not BYLINE_RE.match(block.text)
            and not PHOTO_CREDIT_RE.match(block.text)
            and not PAGE_CREDIT_RE.match(block.text)
            and not PHOTO_RE.match(block.text)  # (a photo line above a headline is a photo, not its kicker)
        )

    def _header(self, story: StoryDraft, blocks: list[Block], i: int, spec) -> int:
        kicker, title = spec
        for k in kicker:
            story.kicker.extend(blocks[k].lines)
        for t in title:
            story.title.extend(blocks[t].lines)
        story.titled_by_heading = any(blocks[t].kind == "h" for t in title)
        if story.title:
            story.line = story.title[0][0].line
        return max(kicker + title) + 1 if (kicker or title) else i

    def _photo_story_starts(self, cur: StoryDraft, column, blocks, i) -> bool:
        """Under a 图说 column each headline line followed by text is a new photo story."""
        if not (column and column.is_photo) or not cur.title or not (cur.paras or cur.captions or cur.photos):
            return False
        block = blocks[i]
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        return self._plain_headline(block) and nxt is not None and nxt.kind == "p" and not self._plain_headline(nxt)

    def _is_story_end(self, blocks, i, starts) -> bool:
        if i >= len(blocks):
            return True
        block = blocks[i]
        return i in starts or bool(column_of(block)) or (block.kind == "p" and block.single and bool(PAGE_CREDIT_RE.match(block.text)))

    def _body(self, story: StoryDraft, blocks: list[Block], i: int, starts) -> None:
        """Give a block inside a story to the first rule of BODY_RULES that takes it."""
        block = blocks[i]
        at = At(story, block, block.text, blocks[i + 1] if i + 1 < len(blocks) else None,
                bool(story.summary) or any(sec.paras for sec in story.sections), story.pending_photo, blocks, i, starts)
        story.pending_photo = None
        for name, rule in BODY_RULES:
            if rule(self, at):
                self.explain(block, name)
                return

    def _caption(self, story: StoryDraft, block: Block) -> None:
        run = block.lines[0]
        text = run_text(run)
        page_tail = PAGE_CREDIT_TAIL_RE.search(text)
        if page_tail:
            self.credits.append(_sub(run, page_tail.start()))
            run = _sub(run, 0, page_tail.start())
            text = run_text(run)
        tail = CAPTION_CREDIT_RE.search(text)
        credit = None
        if tail:
            credit = _sub(run, tail.start())
            run = _sub(run, 0, tail.start())
        if not run:  # only credits on the line: a photographer's credit, not a caption
            if credit:
                self._photo_credit(story, credit)
            return
        story.captions.append(CaptionDraft(run, credit, story.last_para(), block.line))

    def _photo(self, story: StoryDraft, block: Block) -> None:
        """![说明](path): the brackets and parentheses are markup, the text in brackets the caption
        (when empty, the caption block right after the line), the path the photo's source."""
        run = block.lines[0]
        m = PHOTO_RE.match(run_text(run))
        rest, opening = run_slice(run, 0, 2)
        self.markup.extend(opening)
        _, caption = run_slice(run, 2, m.end(1))
        _, middle = run_slice(run, m.end(1), m.start(2))
        self.markup.extend(middle)
        _, src = run_slice(run, m.start(2), m.end(2))
        _, closing = run_slice(run, m.end(2), m.end(2) + 1)
        self.markup.extend(closing)
        caption = _strip(caption)
        photo = PhotoDraft(src, caption, None, story.last_para(), block.line)
        story.photos.append(photo)
        if not caption:
            story.pending_photo = photo

    @staticmethod
    def _photo_caption(photo: PhotoDraft, block: Block) -> bool:
        """The caption block after a photo line without a caption (one the parser takes for a
        caption anyway, or a short line ending in a photo credit): its text and credit are the
        photo's. False (and nothing taken) when the block is not one."""
        run = block.lines[0]
        text = run_text(run)
        tail = CAPTION_CREDIT_RE.search(text)
        body = text[: tail.start()] if tail else text
        if not body.strip() or len(body) > CAPTION_MAX or not (tail or is_caption(block)):
            return False
        if tail:
            photo.credit = _sub(run, tail.start())
            run = _sub(run, 0, tail.start())
        photo.caption = run
        return True

    @staticmethod
    def _photo_credit(story: StoryDraft, run: Run) -> None:
        """A standalone credit belongs to the last caption without one, else to the story."""
        target = next((c for c in reversed(story.captions) if c.credit is None), None)
        if target is not None:
            target.credit = run
        else:
            story.byline.append(run)

    def _data_items(self, story: StoryDraft, runs: list) -> None:
        if len(runs) % 2:
            story.data.append((runs[0], None))
            runs = runs[1:]
        for label, value in zip(runs[0::2], runs[1::2]):
            story.data.append((label, value))

    # -- page-level passes --------------------------------------------------------
    def _close(self) -> None:
        for story in self.stories:
            if not story.paras and len(story.summary) > 1:
                # a standalone 核心提示 with no section after it: its first paragraph is the summary
                story.sections.append(SectionDraft(None, story.summary[1:], story.summary[1].line))
                story.summary = story.summary[:1]
        self._index_stories()
        for story in self.stories:
            self._rejoin(story)
            self._note_end(story)
        for story in self.stories:
            self._dedupe(story)
        for story in self.stories:
            self._flag(story)

    def _rejoin(self, story: StoryDraft) -> None:
        """Rejoin paragraphs broken at column or page breaks (深入对 / 接), unless the text after
        the break belongs to another story on the page (interleaved briefs): then move it there,
        joined to that story's dangling sentence if it has one."""
        # (linear in the page: the bigrams of the story so far and the end of the paragraph being
        # joined are kept as it grows, never recomputed from the whole text)
        for paras in [story.summary] + [s.paras for s in story.sections]:
            i = 0
            tail = None  # the end of paras[i]'s text, right-stripped (what ends_sentence reads)
            own = None  # the bigrams of the title and paras[: i + 1], with i
            while i < len(paras) - 1:
                if tail is None:
                    tail = paras[i].text.rstrip()[-64:]
                if nz.ends_sentence(tail) or nz.ends_softly(tail):
                    i += 1
                    tail = None
                    continue
                if own is None or own.upto != i:
                    own = _Grams(story.title_text + "".join(p.text for p in paras[: i + 1]), i)
                # (text moved here from another story is joined, never moved on: a page of
                # copies of one page pushed a growing block from story to story, at quadratic cost)
                target = None if paras[i + 1].moved else self._interleave_target(story, own.grams, paras[i + 1].text)
                if target is not None:
                    self._move(paras, i + 1, own.grams, target)
                    self._story_grams.pop(id(story), None)
                    continue
                nxt = paras.pop(i + 1)
                if own.joined:  # (the paragraph's own copy, made at its first join: extended in place)
                    paras[i].run.extend(nxt.run)
                else:
                    paras[i].run = paras[i].run + nxt.run
                    own.joined = True
                nxt.merged_into = paras[i]
                piece = nxt.text
                own.add(piece)
                tail = (tail + piece).rstrip()[-64:]

    def _interleave_target(self, story: StoryDraft, own: set, text: str) -> Optional[StoryDraft]:
        """The story on the page that `text` (a paragraph after a mid-sentence break) continues:
        it shares clearly more of its wording with that story than with its own, and that story
        either ends mid-sentence or has a piece of its headline in `text`."""
        grams = _bigrams(text)
        if not grams:
            return None
        own_score = len(grams & own) / len(grams)
        best, best_score = None, 0.0
        # (the stories that qualify, found from the dangling set and the titles' pieces in `text`,
        # not by asking every story of the page at every break)
        n = INTERLEAVE_EVIDENCE
        here = self._order[id(story)]
        found = {k for k in self._dangling if abs(k - here) <= INTERLEAVE_REACH}
        for i in range(len(text) - n + 1):
            found.update(k for k in self._title_pieces.get(text[i : i + n], ()) if abs(k - here) <= INTERLEAVE_REACH)
        for k in sorted(found):
            other = self.stories[k]
            if other is story or not other.title:
                continue
            score = len(grams & self._grams_of(other)) / len(grams)
            if score > best_score:
                best, best_score = other, score
        if best is not None and best_score >= 0.2 and best_score >= own_score + 0.1:
            return best
        return None

    def _index_stories(self) -> None:
        """What the interleave check asks of every other story, kept for the page: each title's
        pieces of INTERLEAVE_EVIDENCE characters (no spaces) → the stories, and the stories whose
        last paragraph ends mid-sentence (updated as paragraphs move)."""
        n = INTERLEAVE_EVIDENCE
        self._order = {id(s): k for k, s in enumerate(self.stories)}
        self._title_pieces: dict[str, set] = {}
        self._dangling: set = set()
        for k, story in enumerate(self.stories):
            title = story.title_text
            for i in range(len(title) - n + 1):
                if " " not in title[i : i + n]:
                    self._title_pieces.setdefault(title[i : i + n], set()).add(k)
            self._note_end(story)

    def _note_end(self, story: StoryDraft) -> None:
        last = story.last_para()
        if last is not None and not (nz.ends_sentence(last.text) or nz.ends_softly(last.text)):
            self._dangling.add(self._order[id(story)])
        else:
            self._dangling.discard(self._order[id(story)])

    def _grams_of(self, story: StoryDraft) -> set:
        """The bigrams of a story's title and paragraphs, kept until a move changes its text (a
        join does not: it keeps the paragraphs' text, in order). Made afresh at every break,
        they made a page's interleave checks cost its stories times its breaks times its text."""
        found = self._story_grams.get(id(story))
        if found is None:
            found = self._story_grams[id(story)] = _bigrams(story.title_text + "".join(p.text for p in story.paras))
        return found

    def _move(self, paras: list, start: int, own: set, target: StoryDraft) -> None:
        """Move paras[start] and the paragraphs after it that read more like `target` than like
        their own story."""
        theirs = _Grams(target.title_text + "".join(p.text for p in target.paras), 0)
        theirs.add(paras[start].text)  # (the bigrams of theirs and paras[start:end], grown as end moves)
        end = start + 1
        while end < len(paras) and not paras[end].moved:
            grams = _bigrams(paras[end].text)
            mine = len(grams & own) / max(1, len(grams))
            other = len(grams & theirs.grams) / max(1, len(grams))
            if other <= mine:
                break
            theirs.add(paras[end].text)
            end += 1
        self._story_grams.pop(id(target), None)
        moved = paras[start:end]
        del paras[start:end]
        for para in moved:
            para.moved = True
        if not target.sections:
            target.sections.append(SectionDraft(None, line=moved[0].line))
        last = target.last_para()
        joined = last is not None and not (nz.ends_sentence(last.text) or nz.ends_softly(last.text))
        if joined:
            last.run = last.run + moved[0].run
            moved[0].merged_into = last
            target.sections[-1].paras.extend(moved[1:])
        else:
            target.sections[-1].paras.extend(moved)
        lines = f"{moved[0].line}" if len(moved) == 1 else f"{moved[0].line}–{moved[-1].line}"
        how = "joined to its unfinished last sentence" if joined else "added at its end; check the order there"
        self.warn(
            "interleaved",
            f"text at line {lines} does not continue this sentence; it belongs to '{target.title_text}' "
            f"and was moved there ({how})",
            moved[0].line,
        )
        self._note_end(target)

    def _dedupe(self, story: StoryDraft) -> None:
        for _ in range(8):
            paras = story.paras
            text = "".join(p.text for p in paras)
            if len(text) > DUPLICATE_SCAN_LIMIT:
                self.warn("not-checked", f"story is {len(text):,} characters long; not checked for spans printed twice", story.line)
                return
            found = nz.find_layout_duplicate(text)
            if not found:
                return
            first, second, length = found
            first_line = self._line_at(paras, first)
            line = self._line_at(paras, second)
            pos = 0
            for section in story.sections:
                for para in list(section.paras):
                    n = len(para.text)
                    lo, hi = max(pos, second), min(pos + n, second + length)
                    if lo < hi:
                        para.run, cut = run_slice(para.run, lo - pos, hi - pos)
                        self.removed.extend(cut)
                        para.run = _strip(para.run)
                        if not para.run:
                            section.paras.remove(para)
                            prev = section.paras[-1] if section.paras else None
                            para.merged_into = prev
                    pos += n
            self.warn(
                "duplicate",
                f"removed a {length}-character span printed twice (first at line {first_line}): "
                f"“{text[second:second + 16]}…”",
                line,
            )

    @staticmethod
    def _line_at(paras: list, offset: int) -> int:
        pos = 0
        for para in paras:
            for f in para.run:
                if pos + len(f.text) > offset:
                    return f.line
                pos += len(f.text)
        return paras[-1].line if paras else 0

    def _flag(self, story: StoryDraft) -> None:
        if not story.title:
            self.warn("no-title", "story has no headline", story.line)
        paras = story.paras
        if paras and not story.has_dateline and nz.starts_mid_sentence(paras[0].text):
            self.warn("mid-sentence-start", f"story '{story.title_text}' starts mid-sentence: “{paras[0].text[:12]}”", paras[0].line)
        for para in story.summary + paras:
            if not nz.ends_sentence(para.text) and not nz.ends_softly(para.text):
                self.warn("mid-sentence-end", f"paragraph ends mid-sentence: “…{para.text[-12:]}”", para.run[-1].line)

    # -- freeze into the model, with the ledger ------------------------------------
    def _freeze(self) -> Page:
        page = self.page
        ledger: list[LedgerEntry] = []

        def put(run: Run, path: tuple) -> str:
            for f in run:
                ledger.append(LedgerEntry(f.line, f.start, f.end, path))
            return run_text(run)

        def put_runs(runs: list, path: tuple) -> Optional[str]:
            if not runs:
                return None
            return "".join(put(r, path) for r in runs)

        for k, (column, name, label) in enumerate(self.columns):
            put(name, ("columns", k, "name"))
            if label:
                put(label, ("columns", k, "label"))
            page.columns.append(column)
        for k, run in enumerate(self.credits):
            page.credits.append(put(run, ("credits", k)))

        for k, d in enumerate(self.stories):
            base = ("stories", k)
            story = Story(kind=BRIEF, title=put_runs(d.title, base + ("title",)), line=d.line)
            story.kicker = put_runs(d.kicker, base + ("kicker",))
            story.subtitle = put_runs(d.subtitle, base + ("subtitle",))
            story.summary = [put(p.run, base + ("summary",)) for p in d.summary]
            story.byline = " ".join(put(r, base + ("byline",)) for r in d.byline) or None
            story.column = d.column.name if d.column else None
            index: dict[int, int] = {}
            n = 0
            for s, sec in enumerate(d.sections):
                heading = put(sec.heading, base + ("sections", s, "heading")) if sec.heading else None
                section = Section(heading, [], sec.line)
                for p, para in enumerate(sec.paras):
                    section.paragraphs.append(put(para.run, base + ("sections", s, "paragraphs", p)))
                    index[id(para)] = n
                    n += 1
                story.sections.append(section)
            def position(draft) -> int:
                """The paragraph a caption or photo follows in its story (0: before the first)."""
                after = draft.after.final() if draft.after is not None else None
                return index[id(after)] + 1 if after is not None and id(after) in index else 0

            for c, cap in enumerate(d.captions):
                where = base + ("captions", c)
                story.captions.append(Caption(put(cap.text, where + ("text",)),
                                              put(cap.credit, where + ("credit",)) if cap.credit else None, cap.line, position(cap)))
            for j, ph in enumerate(d.photos):
                where = base + ("photos", j)
                story.photos.append(Photo(put(ph.src, where + ("src",)),
                                          put(ph.caption, where + ("caption",)) if ph.caption else None,
                                          put(ph.credit, where + ("credit",)) if ph.credit else None, ph.line, position(ph)))
            story.data_title = " ".join(put(r, base + ("data_title",)) for r in d.data_title) or None
            for j, (label, value) in enumerate(d.data):
                story.data.append(
                    DataItem(put(label, base + ("data", j, "label")), put(value, base + ("data", j, "value")) if value else None)
                )
            story.slogans = [put(r, base + ("slogans", j)) for j, r in enumerate(d.slogans)]
            story.kind = _kind(d, story)
            page.stories.append(story)
        for f in self.markup:
            ledger.append(LedgerEntry(f.line, f.start, f.end, ("markup",)))
        for f in self.removed:
            ledger.append(LedgerEntry(f.line, f.start, f.end, ("removed",)))
        page.ledger = ledger
        page.warnings.sort(key=lambda w: (w.line or 0))
        return page


# ---------------------------------------------------------------------------- body rules
@dataclass
class At:
    """What a body rule sees: the block, the story it falls in, and the page around it."""

    story: StoryDraft
    block: Block
    text: str
    nxt: Optional[Block]  # the next block, if any
    has_body: bool  # the story has 核心提示 or paragraphs already
    pending: Optional[PhotoDraft]  # a photo (![…](…)) just before, waiting for its caption
    blocks: list
    i: int
    starts: dict  # PageParser._story_starts


def rule_photo(p: "PageParser", at: At) -> bool:
    """![说明](photo.jpg) on a line of its own."""
    if at.block.kind == "p" and at.block.single and PHOTO_RE.match(at.text):
        p._photo(at.story, at.block)
        return True
    return False


def rule_photo_caption(p: "PageParser", at: At) -> bool:
    """The caption line right under a photo."""
    return at.pending is not None and at.block.kind == "p" and at.block.single and p._photo_caption(at.pending, at.block)


def rule_data_item(p: "PageParser", at: At) -> bool:
    """Inside a data box (数说 2021): a label / value block; anything else ends the box."""
    if at.story.mode == "data":
        if is_data_block(at.block):
            p._data_items(at.story, at.block.lines)
            return True
        at.story.mode = None
    return False


def rule_heading_title(p: "PageParser", at: At) -> bool:
    """A markdown heading before any text: the story's title."""
    story = at.story
    if at.block.kind == "h" and not story.title and not at.has_body:
        story.mode = None
        story.title.extend(at.block.lines)
        story.titled_by_heading = True
        story.line = at.block.line
        return True
    return False


def rule_heading_section(p: "PageParser", at: At) -> bool:
    """Any other markdown heading (### 小标题): a new section."""
    if at.block.kind == "h":
        at.story.mode = None
        at.story.sections.append(SectionDraft(at.block.lines[0], line=at.block.line))
        return True
    return False


def rule_caption(p: "PageParser", at: At) -> bool:
    """A short line ending in a photographer's credit (…… 本报记者 张旭 摄) or （资料片）."""
    if is_caption(at.block):
        p._caption(at.story, at.block)
        return True
    return False


def rule_photo_credit(p: "PageParser", at: At) -> bool:
    """A credit line alone: 本报记者 张旭 摄."""
    if at.block.single and PHOTO_CREDIT_RE.match(at.text):
        p._photo_credit(at.story, at.block.lines[0])
        return True
    return False


def rule_byline(p: "PageParser", at: At) -> bool:
    """本报记者 王丽 通讯员 李强."""
    if at.block.single and BYLINE_RE.match(at.text):
        at.story.byline.append(at.block.lines[0])
        return True
    return False


def rule_summary(p: "PageParser", at: At) -> bool:
    """核心提示, inline (核心提示：……) or as a label over the paragraphs that follow."""
    story, block = at.story, at.block
    if not at.text.startswith(SUMMARY_LABEL) or story.summary:
        return False
    rest, label = run_slice(block.lines[0], 0, len(SUMMARY_LABEL))
    p.markup.extend(label)
    rest = _strip(rest)
    if rest and rest[0].text[:1] in "：:":
        rest, colon = run_slice(rest, 0, 1)
        p.markup.extend(colon)
        rest = _strip(rest)
    runs = ([rest] if rest else []) + list(block.lines[1:])
    if runs:  # inline: 核心提示 发展是第一要务……
        story.summary.append(Para([f for r in runs for f in r]))
    else:
        story.mode = "summary"
    return True


def rule_data_box(p: "PageParser", at: At) -> bool:
    """数说 (and a year) opening a data box; label / value lines may follow in the same block."""
    if not is_data_start(at.block):
        return False
    story = at.story
    story.data_title.extend(at.block.lines[:1])
    rest = at.block.lines[1:]
    if rest and re.match(r"^\d{4}$", run_text(rest[0])):
        story.data_title.append(rest[0])
        rest = rest[1:]
    if rest:
        p._data_items(story, rest)
    story.mode = "data"
    return True


def rule_slogan(p: "PageParser", at: At) -> bool:
    """Decorative slogan lines before the text."""
    if is_slogan(at.block) and not at.has_body:
        at.story.slogans.extend(at.block.lines)
        return True
    return False


def rule_subtitle(p: "PageParser", at: At) -> bool:
    """——副题 under the title, before the text."""
    if SUBTITLE_RE.match(at.text) and not at.has_body and at.story.title:
        at.story.subtitle.extend(at.block.lines)
        return True
    return False


def rule_title_line(p: "PageParser", at: At) -> bool:
    """A headline-like line in a story that has neither title nor text yet."""
    story = at.story
    if at.block.single and not story.title and not at.has_body and is_headline_like(at.text):
        story.title.extend(at.block.lines)
        story.line = at.block.line
        return True
    return False


def rule_title_continued(p: "PageParser", at: At) -> bool:
    """The second line of a headline printed over two lines (not after a ## title)."""
    story = at.story
    if (
        at.block.single
        and story.title
        and not story.titled_by_heading
        and not at.has_body
        and not (story.sections or story.captions or story.subtitle or story.byline)
        and is_headline_like(at.text)
        and at.nxt is not None
        and at.nxt.kind == "p"
    ):
        story.title.extend(at.block.lines)
        return True
    return False


def rule_closing_names(p: "PageParser", at: At) -> bool:
    """Authors' names on the story's last line: 李永诚 李国恩."""
    if at.block.single and p._is_story_end(at.blocks, at.i + 1, at.starts) and NAMES_RE.match(at.text) and at.story.paras:
        at.story.byline.append(at.block.lines[0])
        return True
    return False


def rule_section_heading(p: "PageParser", at: At) -> bool:
    """A short bare line between finished sentences, followed by text: a section heading."""
    story, nxt = at.story, at.nxt
    last = story.last_para() if story.mode != "summary" else (story.summary[-1] if story.summary else None)
    if (
        at.block.single
        and is_section_heading_like(at.text)
        and at.has_body
        and nxt is not None
        and nxt.kind == "p"
        and not is_section_heading_like(nxt.text)
        and (last is None or nz.ends_sentence(last.text) or nz.ends_softly(last.text))
    ):
        story.mode = None
        story.sections.append(SectionDraft(at.block.lines[0], line=at.block.line))
        return True
    return False


def rule_paragraph(p: "PageParser", at: At) -> bool:
    """Everything else is text: a paragraph (of 核心提示 while that is open)."""
    if is_dateline(at.block):
        at.story.has_dateline = True
    at.story.add_para([f for r in at.block.lines for f in r])
    return True


# The order is the parser's judgement: the first rule that takes a block wins (markdown-it-py's
# rule chain). `inspect --explain` names the rule that took each block.
BODY_RULES = (
    ("photo", rule_photo),
    ("photo_caption", rule_photo_caption),
    ("data_item", rule_data_item),
    ("heading_title", rule_heading_title),
    ("heading_section", rule_heading_section),
    ("caption", rule_caption),
    ("photo_credit", rule_photo_credit),
    ("byline", rule_byline),
    ("summary", rule_summary),
    ("data_box", rule_data_box),
    ("slogan", rule_slogan),
    ("subtitle", rule_subtitle),
    ("title_line", rule_title_line),
    ("title_continued", rule_title_continued),
    ("closing_names", rule_closing_names),
    ("section_heading", rule_section_heading),
    ("paragraph", rule_paragraph),
)


def _kind(draft: StoryDraft, story: Story) -> str:
    if draft.column is not None and draft.column.is_photo:
        return PHOTO
    if story.summary or story.subtitle or any(s.heading for s in story.sections) or story.data:
        return FEATURE
    return BRIEF


class _Grams:
    """The bigrams of a text that grows at its end (what _bigrams of the whole would give)."""

    __slots__ = ("grams", "last", "upto", "joined")

    def __init__(self, text: str, upto: int):
        self.joined = False  # (for _rejoin: paras[upto] has its own run list)
        chars = [ch for ch in text if ch.isalnum()]
        self.grams = {a + b for a, b in zip(chars, chars[1:])}
        self.last = chars[-1] if chars else ""
        self.upto = upto

    def add(self, text: str) -> None:
        chars = [ch for ch in text if ch.isalnum()]
        if chars:
            if self.last:
                self.grams.add(self.last + chars[0])
            self.grams.update(a + b for a, b in zip(chars, chars[1:]))
            self.last = chars[-1]


def _bigrams(text: str) -> set:
    chars = [ch for ch in text if ch.isalnum()]
    return {a + b for a, b in zip(chars, chars[1:])}


def parse_page(raw: RawPage, trace: Optional[list] = None) -> Page:
    """A loaded page → the model: normalise its lines, then find its stories, columns, credits,
    warnings and ledger. `trace`, a list, receives (line, rule, text) for each block in order."""
    meta = raw.meta
    page = Page(
        path=raw.path,
        date=raw.date,
        title=str(meta["title"]) if meta.get("title") is not None else None,
        source=str(meta["source"]) if meta.get("source") is not None else None,
        label=str(meta["page"]) if meta.get("page") is not None else None,
        slug=meta.get("slug"),
        draft=bool(meta.get("draft", False)),
        themes=meta.get("themes") or [],
        keywords=meta.get("keywords") or [],
        scan=meta.get("scan"),
        areas={str(k): [list(r) for r in v] for k, v in (meta.get("areas") or {}).items()},
        meta_lines=dict(raw.key_lines),
        lines=nz.normalize_lines(raw.body),
        first_line=raw.first_line,
    )
    page.warnings.extend(PageWarning(kind, message, line) for kind, message, line in raw.warnings)
    return PageParser(page, trace).parse()
