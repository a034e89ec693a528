"""Keywords: up to six terms per story that an editor would sign, each a tag page when two or more
stories share it.

A keyword is a term the story is about: a noun or a noun phrase (网格管理平台, 刀尔登镇), a place or
organisation name, a term the story quotes (“四接三引”), a Latin acronym (LNG) or a local name from
content/dict.txt. It is chosen from the story's own text as jieba cuts it, tagged with jieba's
dictionary tags (no posseg: its HMM would cost four times the cut):

* Candidates. Runs of nominal words become phrases of one to four words; a verb or an adjective
  counts only inside a phrase, never alone. Words jieba invents (its HMM joins unknown characters:
  促行解, 个村, names such as 晋辉) are not candidates on their own, nor are numbers and counters
  (余人次, 十大), nor the archive's generic news words (GENERIC) and an editor's stop list.
  Bylines, photo credits, column labels, the 核心提示 label and data-box labels are never read.
* Evidence. A phrase must be in the headline or used at least twice; a single word must be in the
  headline, or a name (organisation, brand, acronym) used twice, or a local term, or quoted. A word
  used mostly to modify others (智慧 in 智慧党建, 智慧治理) is not a keyword by itself.
* One term per concept: of two candidates where one holds the other (刀尔登 / 刀尔登镇), the longer
  stays when the story uses it at least half as often as the shorter.
* Rank: (1 + ln of the field-weighted count) × how specific the term is in general (jieba's IDF)
  × how rare it is in this archive (the archive's own IDF, so 凌源 and 发展 never lead), best six,
  none under a quarter of the best. A term in more than half of a large archive's stories is never
  a keyword.

The per-story part (candidates and their local weights) runs in the build workers and is kept in
the page cache; the archive part (document frequencies, the choice) is `assign`.
"""
from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from . import segment
from .errors import SiteError
from .model import Page, Story
from .sitefolder import content_file
from .yamlfile import load_yaml

KEYWORDS_PER_STORY = 3
FIELD_WEIGHTS = {"title": 3.0, "lead": 2.0, "body": 1.0, "captions": 1.0}
MAX_TERM_WORDS = 3
MAX_TERM_CHARS = 8
MIN_SHARE_OF_BEST = 0.25
ARCHIVE_WIDE = 0.5  # a term in more than this share of the stories (of ten or more) is never a keyword
SINGLE_TAGS = frozenset("n nr nrt nrfg ns nt nz nw j l eng".split())  # a word alone: nouns, names, fixed terms (无人机 is l)
HEAD_TAGS = SINGLE_TAGS | {"vn"}  # the last word of a phrase
INNER_TAGS = HEAD_TAGS | {"b", "an", "a"}  # any word of a phrase (adjectives only inside one)
NAME_TAGS = frozenset({"nt", "nz", "eng"})  # organisation and brand names, acronyms
# one-character words that end a place or institution name: 小城子 + 镇, 杖子 + 村
SUFFIXES = frozenset("镇乡村县市区街路河山湖园馆局站所厂港桥院校队办社")
NUMERIC_START = re.compile(r"^[0-9０-９零〇一二三四五六七八九十百千万亿两几余多个每第各该此本全近约]")
LATIN = re.compile(r"^(?=(?:.*[A-Za-z]){2}|[0-9]+G$)[A-Za-z0-9+]+$")  # LNG, FTA, AI, 5G (not S200 alone)
PLACE_SUFFIXES = frozenset("镇乡村县区")  # after a name jieba does not know: 宋杖子 + 镇
QUOTE_RE = re.compile(r"“([^“”]{2,12})”")
CJK_WORD = re.compile(r"^[\u4e00-\u9fff]+$")
CLAUSE_RE = re.compile(r"[，。；：！？、,;:!?…—]")
# Words of regional news in general, too common to say what one story is about: administrative and
# procedural nouns, people in general, and nouns that mostly name an action. In a large archive
# its own IDF removes them too; a small one needs the list. An editor adds to it in keywords.yaml.
GENERIC = frozenset(
    """本报讯 本报 记者 通讯员 今年 去年 目前 近日 日前 当前 近年来 同时 方面 问题 情况 工作 任务 目标 举措 措施 方式 方法
    模式 机制 体系 体制 制度 政策 规划 方案 意见 要求 标准 规范 原则 理念 思路 思想 意识 观念 精神 作风 能力 水平 质量
    效益 效率 效果 成效 成果 成绩 经验 基础 条件 环境 氛围 形势 态势 趋势 机遇 挑战 优势 短板 难题 困难 矛盾 力度 力量
    步伐 进度 速度 规模 总量 数量 比例 部门 单位 机构 组织 队伍 人员 干部 群众 市民 居民 村民 农民 农户 职工 员工 学生
    家长 家庭 百姓 人民 人口 社会 经济 政府 国家 全国 全省 全市 全县 全镇 地方 地区 区域 城乡 城市 城区 农村 乡村 乡镇
    街道 社区 小区 村级 项目 企业 产业 行业 领域 市场 平台 载体 中心 基地 园区 产业园 工程 活动 行动 服务 管理 建设 发展
    改革 创新 合作 交流 宣传 教育 培训 体验 整治 治理 保障 支持 帮助 助力 推动 推进 提升 实施 开展 加强 落实 完善 保护
    上线 运行 开工 投产 亮相 倡导 主题 特色 重点 核心 关键 战略 高质量 新时代 新动能 动能 全民 家乡 智慧 智能 数字 科技
    技术 文明 健康 美丽 绿色 生态 安全 幸福 美好 品质 品牌 文化 旅游 时代 当代 年度 全年 季度 时间 期间 阶段 过程 历史
    资源 资金 投资 收入 效应 作用 影响 价值 意义 地位 责任 使命 贡献 产品 系统 线路 专业 学校 职业 农业 工业 事项
    经济社会 深加工 精深加工 设施 设备 材料 生产 销售 产值 创产值 规模化 新开工 新开通 新建 储备 内容 面向""".split()
)


@dataclass
class Candidates:
    """A story's keyword candidates with their local weights (kept in the page cache): the terms,
    and per term (1 + ln of its field-weighted count) × its general specificity."""

    words: tuple
    weights: array
    also: str = ""  # terms the story uses that one of `words` holds (for the archive's document
    # frequency), joined by NUL as TermCounts keeps its terms: some 280 a story, and as a tuple of
    # strings they were 60 % of a page record's memory, which every stage that reads it pays

    def also_terms(self) -> list[str]:
        return self.also.split("\0") if self.also else []


@dataclass
class KeywordConfig:
    """content/keywords.yaml: `stop` (never a keyword) and `merge` (a synonym → its tag)."""

    stop: frozenset = frozenset()
    merge: dict = field(default_factory=dict)


def load_config(content: Path) -> KeywordConfig:
    path = content_file(content, "keywords.yaml")
    if path is None:
        return KeywordConfig()
    return config_from_dict(load_yaml(path), str(path))


def config_from_dict(data, display: str = "keywords.yaml") -> KeywordConfig:
    if data is None:
        return KeywordConfig()
    if not isinstance(data, dict):
        raise SiteError(display, "must be a mapping with 'stop:' and/or 'merge:'")
    unknown = set(data) - {"stop", "merge"}
    if unknown:
        raise SiteError(display, f"unknown key '{sorted(map(str, unknown))[0]}' (known: merge, stop)")
    stop = data.get("stop") or []
    if not isinstance(stop, list) or not all(isinstance(w, str) and w.strip() for w in stop):
        raise SiteError(display, "'stop' must be a list of words")
    merge = data.get("merge") or {}
    if not isinstance(merge, dict):
        raise SiteError(display, "'merge' must map each tag to a list of its synonyms, e.g. 凌钢: [凌钢集团, 凌源钢铁]")
    into: dict[str, str] = {}
    for tag, synonyms in merge.items():
        if not isinstance(tag, str) or not tag.strip():
            raise SiteError(display, f"merge: {tag!r} is not a word")
        if not isinstance(synonyms, list) or not all(isinstance(w, str) and w.strip() for w in synonyms):
            raise SiteError(display, f"merge: '{tag}' must have a list of synonyms")
        for word in synonyms:
            if word in into and into[word] != tag:
                raise SiteError(display, f"merge: '{word}' is a synonym of both '{into[word]}' and '{tag}'")
            if word in merge and word != tag:
                raise SiteError(display, f"merge: '{word}' is a tag and a synonym of '{tag}'")
            into[word] = tag
    return KeywordConfig(frozenset(w.strip() for w in stop), into)


def texts(story: Story) -> dict[str, str]:
    """The text keywords are chosen from: the headline, the lead (kicker, subtitle, 核心提示,
    slogans), the body (section headings and paragraphs) and the captions, without bylines, photo
    credits or data-box labels."""
    lead = [story.kicker, story.subtitle, *story.summary, *story.slogans]
    body = [s.heading for s in story.sections] + story.paragraphs
    return {
        "title": story.title or "",
        "lead": "\n".join(filter(None, lead)),
        "body": "\n".join(filter(None, body)),
        "captions": "\n".join(c.text for c in story.captions),
    }


def candidates(story: Story, seg) -> Candidates:
    """The per-story part: a story's candidates and local weights (see the module docstring)."""
    seg = segment.as_segmenter(seg)
    tk = seg.tk
    user_tags = getattr(tk, "user_word_tag_tab", {})
    all_text = texts(story)
    fields = {name: seg.words(text) if text else [] for name, text in all_text.items()}
    every = {w for words in fields.values() for w in words}
    tags = segment.word_tags().of(every)
    for w in every:
        if w in user_tags:
            tags[w] = user_tags[w] or "n"
        elif LATIN.match(w):
            tags[w] = "eng"
    weighted: Counter = Counter()
    parts: dict[str, list] = {}  # a term's words
    uses: Counter = Counter()  # occurrences, for the evidence rules
    seen_in: dict[str, set] = {}
    as_modifier: Counter = Counter()
    as_head: Counter = Counter()
    for name, words in fields.items():
        for run in _runs(_place_names(words, tags), tags):
            for k, w in enumerate(run):
                if k + 1 < len(run) and run[k + 1] not in SUFFIXES:
                    as_modifier[w] += 1
                else:
                    as_head[w] += 1
            for term, words in _phrases(run, tags, user_tags):
                parts[term] = words
                weighted[term] += FIELD_WEIGHTS[name]
                uses[term] += 1
                seen_in.setdefault(term, set()).add(name)
    quoted = _quoted(all_text)
    for term in quoted - set(weighted):
        for name, text in all_text.items():
            n = text.count(term)
            if n:
                weighted[term] += FIELD_WEIGHTS[name] * n
                uses[term] += n
                seen_in.setdefault(term, set()).add(name)
    kept = {}
    for term, weight in weighted.items():
        where = seen_in[term]
        if not where - {"title"}:
            continue  # in the headline only: the story does not use it
        if "title" not in where and uses[term] < 2:
            continue  # used once, outside the headline
        single = term not in quoted and term not in user_tags and len(parts.get(term) or _split(term, tk)) == 1
        if single:
            if as_modifier[term] > as_head[term]:
                continue  # mostly part of longer terms: 智慧(党建)
            if "title" not in where and tags.get(term) not in NAME_TAGS:
                continue  # a common noun must be in the headline
        kept[term] = weight
    chosen = _one_per_concept(kept, parts, tags)
    specific = _specificity(chosen, tk)
    terms = sorted(chosen)
    # what the archive's document frequency counts besides: every term the story uses, and the
    # words inside longer ones (凌源 in 凌源市: jieba's search mode gives them)
    inner = {w for name, text in all_text.items() if text for w in seg.search_words(text) if CJK_WORD.match(w) and len(w) >= 2}
    return Candidates(tuple(terms), array("d", [(1 + math.log(chosen[t])) * specific[t] for t in terms]),
                      "\0".join(sorted((set(weighted) | inner) - set(chosen))))


def _place_names(words: list, tags: dict) -> list:
    """A name jieba does not know, followed by 镇/乡/村/县/区, is a place: 宋杖子 + 镇 → 宋杖子镇."""
    out = []
    for w in words:
        if w in PLACE_SUFFIXES and out and tags.get(out[-1]) is None and len(out[-1]) >= 2 and CJK_WORD.match(out[-1]):
            out[-1] += w
            tags[out[-1]] = "ns"
        else:
            out.append(w)
    return out


def _runs(words: list, tags: dict) -> list[list]:
    """Maximal runs of words that can be part of a term (nominal words, adjectives, a place suffix
    after a word); anything else (punctuation, numbers, verbs, particles, invented words, generic
    words) ends a run."""
    runs, current = [], []
    for w in words:
        tag = tags.get(w)
        ok = (tag in INNER_TAGS and (tag == "eng" or not NUMERIC_START.match(w))) or (w in SUFFIXES and bool(current))
        if ok:
            current.append(w)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _phrases(run: list, tags: dict, user_tags: dict):
    """The terms a run holds: each word that may stand alone, and each phrase of 2 to 4 words
    ending in a noun (or a place suffix) whose other words are at least two characters long."""
    n = len(run)
    for i in range(n):
        for j in range(i + 1, min(n, i + MAX_TERM_WORDS) + 1):
            part = run[i:j]
            term = "".join(part)
            if not 2 <= len(term) <= MAX_TERM_CHARS:
                continue
            head = part[-1]
            specific = sum(w not in GENERIC and w not in SUFFIXES for w in part)
            if term in GENERIC or specific == 0 or (head in GENERIC and specific < 2) or len(part) - specific > 1 + (head in GENERIC):
                continue  # 全市工作, 数字化方面: a generic word modifies (数字农业) or heads two others (农产品供应基地)
            if j - i > 1 and all(tags.get(w) == "ns" for w in part):
                continue  # 朝阳凌源: two places, not a term
            if j - i == 1:
                if tags.get(head) in SINGLE_TAGS or head in user_tags:
                    yield term, part
            elif (all(len(w) >= 2 for w in part[:-1]) and tags.get(part[0]) != "vn"
                  and (head in SUFFIXES or (tags.get(head) in HEAD_TAGS and len(head) > 1))):
                yield term, part


def _quoted(all_text: dict) -> set:
    """Terms the story puts in quotes (“四接三引”, “京郊漫城 北国凌源”): two to six characters, not a
    clause, not a number."""
    found = set()
    for text in all_text.values():
        for m in QUOTE_RE.finditer(text):
            inner = m.group(1)
            if CLAUSE_RE.search(inner):
                continue
            for piece in inner.split():
                if 2 <= len(piece) <= 6 and not NUMERIC_START.match(piece) and piece not in GENERIC:
                    found.add(piece)
    return found


def _split(term: str, tk) -> list:
    return [w for w in tk.lcut(term, HMM=False) if w.strip()]


def _one_per_concept(counts: dict, parts: dict, tags: dict) -> dict:
    """One term per concept. Of two terms where one holds the other, the longer stays when the
    story uses it at least half as often as the shorter (刀尔登镇 over 刀尔登), else the shorter
    (食用菌 over 食用菌产业带); but a place before a term adds nothing to it
    (凌源市农业农村局 → 农业农村局)."""
    dropped = set()
    for term, words in parts.items():
        if len(words) > 1 and tags.get(words[0]) == "ns":
            rest = term[len(words[0]):]
            if rest in counts:
                dropped.add(term)
    ordered = sorted((t for t in counts if t not in dropped), key=lambda t: (-len(t), t))
    for longer in ordered:
        if longer in dropped:
            continue
        for shorter in ordered:
            if len(shorter) >= len(longer) or shorter in dropped or shorter not in longer:
                continue
            if counts[longer] >= 0.5 * counts[shorter]:
                dropped.add(shorter)
            else:
                dropped.add(longer)
                break
    return {t: c for t, c in counts.items() if t not in dropped}


def _specificity(terms: dict, tk) -> dict:
    """How specific a term is in general: jieba's IDF of the term, or of its most specific word
    (a phrase is at least as specific as its rarest word)."""
    idf = segment.general_idf()
    parts = {t: _split(t, tk) for t in terms}
    weights = idf.weights({w for ws in parts.values() for w in ws} | set(terms))
    out = {}
    for t, ws in parts.items():
        known = t in idf.table
        out[t] = weights[t] if known else max([weights[w] for w in ws if w in idf.table] or [idf.median])
    return out


def story_weights(found: Candidates, config: KeywordConfig) -> tuple[dict, list]:
    """A story's candidates after the editor's stop list and synonyms: {term: local weight}, and
    every term the story uses (what the archive's document frequency counts), sorted."""
    weights: dict = {}
    for word, weight in zip(found.words, found.weights):
        if word in config.stop:
            continue
        word = config.merge.get(word, word)
        weights[word] = max(weight, weights.get(word, 0.0))
    used = set(weights)
    used.update(config.merge.get(w, w) for w in found.also_terms())
    return weights, sorted(used)


def band(count: int) -> int:
    """A count's band on a grid of quarter octaves (1, 1.19, 1.41, 1.68, 2, 2.38 …). Keywords are
    chosen with banded counts, so one story more or less in the archive moves a term's weight only
    when its count crosses a band: a rebuild re-chooses only the stories holding such a term (and
    all of them when the archive's own size crosses one, every 19 % of growth)."""
    return int(4 * math.log2(count + 1) + 1e-9)


def banded(count: int) -> float:
    """The count its band stands for (the band's lower edge)."""
    return 2 ** (band(count) / 4) - 1


def choose(weights: dict, df: dict, n: int, per_story: int = KEYWORDS_PER_STORY) -> list:
    """A story's keywords from its weights and the archive's banded document frequencies (`df`:
    term → stories using it; `n`: stories in the archive)."""
    total = banded(n)
    cap = ARCHIVE_WIDE * total if total >= 10 else float("inf")
    scored = []
    for t, w in weights.items():
        f = banded(df.get(t, 0))
        if f <= cap:
            scored.append((-w * math.log((total + 1) / (f + 0.5)), t))
    scored.sort()
    best = -scored[0][0] if scored else 0.0
    return [t for s, t in scored[:per_story] if -s >= MIN_SHARE_OF_BEST * best and -s > 0]


def assign(stories: list, seg=None, config: Optional[KeywordConfig] = None, per_story: int = KEYWORDS_PER_STORY) -> None:
    """Each story's keywords: its candidates weighed by the archive's IDF (terms common across the
    archive, such as 凌源, say little about one story); the editor's stop list and synonyms apply
    here, so editing keywords.yaml re-ranks without segmenting again. A story whose keywords came
    from front matter keeps them. (The build does the same over its store: structure.Reduce.)"""
    config = config or KeywordConfig()
    counted = []
    df: Counter = Counter()
    for story in stories:
        found = story.keyword_counts if story.keyword_counts is not None else candidates(story, seg)
        weights, used = story_weights(found, config)
        counted.append(weights)
        df.update(used)
    for story, weights in zip(stories, counted):
        if getattr(story, "keywords_from", "") == "front matter":
            continue
        story.keywords = choose(weights, df, len(stories), per_story)
