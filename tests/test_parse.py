"""The seeds parse into their 22 stories, checked value by value; the layout rules on small pages."""
from __future__ import annotations

import pytest

from conftest import ROOT, parse_text

# (kind, title, kicker, subtitle, column, section headings, paragraph count per section)
EXPECTED = {
    "000": [
        ("feature", "地企融合谋共赢", None, "——凌源市与凌钢集团“双凌共建”发展纪实", None,
         ["产业协同强根基", "人才共育激活力", "产城融合惠民生"], [10, 6, 9]),
        ("brief", "推出五大主题冬季旅游产品", None, None, None, [None], [2]),
        ("brief", "百合优质种球实现国产化", None, None, None, [None], [3]),
        ("brief", "流动党员为家乡献智献策", None, None, None, [None], [2]),
        ("brief", "凌源影调戏亮相全国稀有剧种嘉年华", None, None, None, [None], [2]),
    ],
    "001": [
        ("brief", "凌源通过“四接三引”融入京津冀", "对接通道、产业、平台、市场 引进企业、资本、人才", None, None, [None], [5]),
        ("brief", "40余个旅游资源开发项目增色全域旅游", None, None, None, [None], [4]),
        ("brief", "以学促行解群众“急难愁盼”", None, None, None, [None], [5]),
        ("brief", "整合20多个平台资源 构建“1+8+N”运行模式 智慧凌源网格管理平台上线运行", None, None, None, [None], [4]),
        ("brief", "建设区域性物流集散中心", None, None, "凌源时讯", [None], [3]),
        ("brief", "食用菌产业年创产值6亿元", None, None, "凌源时讯", [None], [2]),
        ("brief", "蔬菜配送中心项目开工建设", None, None, "凌源时讯", [None], [5]),
        ("brief", "联合攻关解决技术难题30余个", None, None, "凌源时讯", [None], [2]),
        ("photo", "智能滑轨走俏市场", None, None, "图说", [None], [2]),
    ],
    "002": [
        ("feature", "凌源市：加压奋进当好朝阳振兴先锋队", None, None, None,
         [None, "挂图作战 全力跑出项目建设新速度", "数字赋能 加快构建现代工业新体系", "统筹推进 城乡融合发展促全面振兴"],
         [1, 5, 5, 4]),
    ],
    "003": [
        ("feature", "奋楫扬帆开新局", None, "——朝阳凌源经济开发区贯彻新发展理念推动高质量发展", None,
         ["抢抓机遇精准招商", "集聚项目活力四射", "优化升级绿色发展", "主题鲜明创新引领", "创优环境培育沃土"],
         [6, 6, 5, 6, 8]),
    ],
    "004": [
        ("feature", "凌源市统筹抓好疫情防控和经济社会发展工作 争分夺秒抢进度 全力以赴赶工期", None, None, None,
         ["总投资174亿元 90个重点项目集中开工", "服务企业不停步 线上招商不停歇", "不误农时不负春 乡间田野生产忙"],
         [2, 3, 1]),
        ("brief", "开展十大提升行动 创建省级文明城市", None, None, "凌源时讯", [None], [1]),
        ("brief", "实施系列村级工程 加快乡村振兴步伐", None, None, "凌源时讯", [None], [1]),
        ("brief", "创建数字农业示范展示平台", None, None, "凌源时讯", [None], [1]),
        ("brief", "反诈宣传进校园进家庭", None, None, "凌源时讯", [None], [1]),
        ("photo", "倡导文明健康绿色环保生活方式", None, None, "图说", [None], [1]),
    ],
}


def test_seeds_hold_22_stories(seeds):
    assert sum(len(p.stories) for p in seeds.values()) == 22


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_story_structure(seeds, key):
    got = [
        (s.kind, s.title, s.kicker, s.subtitle, s.column, [x.heading for x in s.sections], [len(x.paragraphs) for x in s.sections])
        for s in seeds[key].stories
    ]
    assert got == EXPECTED[key]


def test_000_feature_summary_captions_and_rejoins(seeds):
    page = seeds["000"]
    feature = page.stories[0]
    assert feature.summary == [
        "今年，凌源市委与凌钢集团党委立足“加速凌钢高质量发展和实现产城融合发展”这一共识，以“双凌共建”融合发展为纽带，锚定产业协同、人才共育、民生共惠、党的建设等核心方向深化合作，在全面振兴新突破的征程中书写政企同心、互利共赢的新篇章。"
    ]
    assert [(c.text, c.credit) for c in feature.captions] == [
        ("凌钢集团焦炉装备升级绿色发展改造项目现场。", None),
        ("凌钢集团焦炉装备升级绿色发展改造项目中控室。", None),
    ]
    paragraphs = feature.paragraphs
    # the caption dropped into 已于今年5月 … 投产 is lifted out and the sentence rejoined
    assert "总投资23.4亿元的1#—4#高炉装备升级项目，已于今年5月投产，生铁日产量5500吨以上。" in paragraphs[6]
    assert "凌钢集团焦炉装备升级绿色发展改造项目中控室" not in "".join(paragraphs)
    assert feature.captions[1].paragraph == 7  # the photo stands after the paragraph it interrupted
    assert "银奖项目“长寿窑烧结机台车车轮”针对烧结工序中的痛点问题" in paragraphs[11]
    assert paragraphs[18].startswith("“双凌共建”的初心，是让发展成果惠及每一名市民和企业职工。")
    assert page.credits == ["本版稿件由本报记者张旭采写，图片由凌源市委宣传部提供"]
    brief = page.stories[2]
    assert brief.paragraphs[0].startswith("本报讯 日前，记者在凌源市获悉")
    assert brief.paragraphs[-1] == "2025年，凌源市种球裸地繁育面积达4000亩，成功繁育种球8000万粒，产量较往年显著提升。"


def test_001_briefs_columns_credits_and_defects(seeds):
    page = seeds["001"]
    first, tourism, study, grid, logistics, fungi, vegetables, research, photo = page.stories
    assert [(c.text, c.credit) for c in first.captions] == [("航天凌河汽车装配车间。", "本报记者 张旭 摄")]
    assert "建设北方地区领先的非金属新材料产业基地，以中国建材、翅冀矿业等企业为标杆" in first.paragraphs[2]
    assert "围绕石灰石精深加工与中国建材集团深入对接；围绕玻纤产业" in first.paragraphs[3]
    assert [(c.text, c.credit) for c in tourism.captions] == [("凌源市首届文化旅游节活动现场。", None)]
    assert "全力打造全域旅游发展新格局。围绕推进全域旅游建设" in tourism.paragraphs[1]
    assert study.paragraphs[0] == "众的烦心事。"
    assert "对急难型救助对象可采取直接受理、一事一议、补办手续等方式" in study.paragraphs[1]
    assert fungi.paragraphs[1].startswith("凌源市大力支持食用菌产业发展")
    assert "凌源市大力支持三道河子、刀尔登、北炉等乡镇" in fungi.paragraphs[1]
    assert "专业化、智能化、集团化物流产业的空白" in logistics.paragraphs[1]
    # interleaved briefs: the vegetable text printed inside the research brief is moved home
    assert research.paragraphs[-1].endswith("推动汽车制造、现代钢铁、新材料、农产品深")
    assert vegetables.paragraphs[2] == "极开展招商引资，与北京七上兴食品有限责任公司签订了投资协议，建设蔬菜配送中心项目。"
    assert vegetables.paragraphs[3].startswith("蔬菜配送中心占地200亩")
    # the two sentences printed twice in it are kept once
    assert sum(p.count("标准化包装的蔬菜产品将由首农集团负责销往全国各地") for p in vegetables.paragraphs) == 1
    assert photo.byline == "本报记者 张旭 摄"
    assert photo.paragraphs[1].startswith("三沅环保科技产业园是低能耗、低排放的环保型产业园")
    assert photo.paragraphs[1].endswith("图为智能滑轨生产线上工人的紧张工作。")
    assert [(c.name, c.label) for c in page.columns] == [("凌源时讯", "SHIXUN"), ("图说", "TUSHUO")]
    assert page.credits == ["本报稿件均由本报记者张旭采写"]
    kinds = {(w.kind, w.line) for w in page.warnings}
    assert ("mid-sentence-start", 54) in kinds  # 众的烦心事。 (file line = seed line + 3)
    assert ("interleaved", 112) in kinds
    assert ("duplicate", 116) in kinds
    assert ("mid-sentence-end", 110) in kinds


def test_001_half_width_punctuation_becomes_full_width(seeds):
    text = seeds["001"].stories[0].paragraphs[0]
    assert text.startswith("本报讯 主攻京津冀、深耕京津冀、融入京津冀。年初以来，凌源市")
    assert "," not in text
    assert "《数字凌源建设（2021—2025）实施方案》" in seeds["001"].stories[3].paragraphs[3]
    assert "1.5万户" in seeds["001"].stories[6].paragraphs[1]


def test_002_byline_slogans_data_box_and_captions(seeds):
    story = seeds["002"].stories[0]
    assert story.byline == "本报记者 张旭"
    assert story.slogans == ["聚焦", "高质量", "聚力", "项目年"]
    assert story.data_title == "数说 2021"
    assert [(d.label, d.value) for d in story.data] == [
        ("地区生产总值", "161.4亿元"),
        ("一般公共预算收入", "12.46亿元"),
        ("社会消费品零售总额", "40.2亿元"),
        ("农村常住居民人均可支配收入", "16860元"),
        ("强化科技支撑", None),
        ("获批雏鹰企业", "2家"),
        ("获批瞪羚企业", "1家"),
    ]
    assert story.summary[0].startswith("发展是第一要务，项目是第一载体。2月14日")
    assert [(c.text, c.credit) for c in story.captions] == [
        ("辽宁炜盛新型复合材料有限公司正在生产中。", "本报特约记者 仇一军 摄"),
        ("一汽凌源汽车制造有限公司装配生产线。", None),
        ("辽宁航天凌河汽车有限公司生产车间。", "本报特约记者 仇一军 摄"),
        ("朝阳致远物流港产业园项目建设中。", None),
        ("凌源小城子镇百合花种植基地。", None),
    ]
    assert seeds["002"].credits == ["本版图片除署名外由本报记者张旭摄"]
    assert "围绕争取中央预算内资金、地方政府债券，包装一批重点项目，并进入国家、省支持范围。" in story.sections[2].paragraphs[1]


def test_003_traditional_feature(seeds):
    story = seeds["003"].stories[0]
    assert story.title == "奋楫扬帆开新局"
    assert len(story.summary) == 5
    assert story.summary[0] == "年初，“建设融入京津冀协同发展战略先导区”，朝阳迎来了新的发展机遇。如何搭上这列机遇的快车？"
    assert story.summary[2] == "中流奋楫，加快振兴。"
    assert story.byline == "李永诚 李国恩"
    assert [(c.text, c.credit) for c in story.captions] == [
        ("辽宁炜盛新型复合材料有限公司高性能玻纤织布生产线。", "（资料片）"),
        ("辽宁航天凌河汽车有限公司新下线的重卡和轻卡。", "（资料片）"),
        ("三沅环保科技（凌源）有限公司滑轨生产线。", "（资料片）"),
        ("辽宁鑫屹电器设备有限公司线缆生产线。", "（资料片）"),
    ]
    assert story.sections[1].paragraphs[2] == "企业、项目近悦远来，经济向上发展的力量在这里汇聚。"
    # a clause the newspaper repeated in two sentences is not a layout duplicate: both stay
    body = "".join(story.paragraphs)
    assert body.count("新集聚了凌宇重工改装车、富华重工专用车间、康迈汽车零部件、路捷汽车零部件、环硕汽车零部件产业配套项目26个。") == 2
    assert not [w for w in seeds["003"].warnings if w.kind == "duplicate"]


def test_004_duplicate_span_kept_once(seeds):
    page = seeds["004"]
    story = page.stories[0]
    assert story.summary[0].startswith("当前，凌源市坚持疫情防控和经济社会发展“两手抓”“两不误”")
    para = story.sections[0].paragraphs[1]
    assert para.count("约占凌源97户原字号、老字号企业的28%。") == 1
    assert para.endswith("突出补齐民生短板。围绕城乡环境、公共服务等群众最关心的问题，")
    assert "整体推进全市矿山企业同步争创省、省级绿色矿山" in para
    assert [w.line for w in page.warnings if w.kind == "duplicate"] == [22]
    assert [(c.text, c.credit) for c in story.captions] == [
        ("三沅环保科技有限公司技术人员正在检查产品。", None),
        ("中玻（朝阳）新材料有限公司加紧进行智能管理和数字化生产线建设。", None),
        ("辽宁炜盛新型复合材料有限公司高性能玻璃纤维制品项目生产现场。", None),
    ]
    brief = page.stories[1]
    assert brief.paragraphs[0].startswith("本报讯 今年是凌源市创建省级文明标兵城市提升年")
    assert "环境卫生整治等工作。在交通秩序提升行动中" in brief.paragraphs[0]
    photo = page.stories[5]
    assert photo.paragraphs == [
        "4月22日，凌源市文明办、爱卫办联合组织开展以“文明健康绿色环保”为主题的第34个爱国卫生日现场宣传活动。"
        "此次宣传活动向广大市民发放了讲文明、重环保、守绿色、铸健康等各种宣传资料3000余份，悬挂条幅30余条，现场接待咨询300余人次。"
    ]


def test_no_traditional_characters_left(seeds):
    from lingyuan_site.normalize import traditional_chars_in

    for page in seeds.values():
        for story in page.stories:
            text = story.title + story.body_text + "".join(story.summary) + "".join(c.text for c in story.captions)
            assert traditional_chars_in(text) == [], story.title
    assert set(traditional_chars_in("奮楫揚帆開新局")) == {"開", "奮", "揚"}


# ---------------------------------------------------------------- small pages, one rule each
def test_headline_split_over_two_lines_before_baoxun():
    page = parse_text("正文第一段。\n\n城区新增\n\n三处口袋公园\n\n**本报讯** 近日，城区新增三处口袋公园。\n")
    assert [s.title for s in page.stories] == [None, "城区新增三处口袋公园"]
    assert page.stories[1].kind == "brief"


def test_column_break_rejoined_but_not_across_a_finished_sentence():
    page = parse_text("## 标题\n\n大力发展设施农\n\n业，效果明显。\n\n第二段从这里开始。\n")
    assert page.stories[0].paragraphs == ["大力发展设施农业，效果明显。", "第二段从这里开始。"]


def test_caption_needs_a_run_of_blank_lines():
    body = "## 标题\n\n第一段。\n\n\n\n新建的厂房。\n\n一行普通的短句。\n"
    story = parse_text(body).stories[0]
    assert [c.text for c in story.captions] == ["新建的厂房。"]
    assert story.paragraphs == ["第一段。", "一行普通的短句。"]


def test_brief_without_headline_is_kept_and_reported():
    page = parse_text("**本报讯** 没有标题的一条消息。\n")
    assert page.stories[0].paragraphs == ["本报讯 没有标题的一条消息。"]
    assert [w.kind for w in page.warnings] == ["no-title"]


def test_markdown_entities_and_html_are_kept_as_text():
    story = parse_text("## 标题\n\n价格 &amp; 数量 <b>不变</b>。\n").stories[0]
    assert story.paragraphs == ["价格 &amp; 数量 <b>不变</b>。"]


# ---------------------------------------------------------------- our own pages (tests/fixtures)
def test_fixture_a_traditional_briefs_and_photo_column():
    from conftest import FIXTURES, parse_file

    page = parse_file(FIXTURES / "pages" / "a-traditional-briefs.md")
    assert page.date.display == "2023年5月18日" and page.label == "第3版"
    assert [(s.kind, s.title, s.column) for s in page.stories] == [
        ("brief", "凌源百合花海迎来首批游客", None),
        ("brief", "温室大棚用上智能控温系统", None),
        ("brief", "全市新增城市书房5处", "凌源时讯"),
        ("brief", "大凌河岸线整治完工", "凌源时讯"),
        ("photo", "春播正当时", "图说"),
        ("photo", "果园挂满“致富果”", "图说"),
    ]
    lilies = page.stories[0]
    assert lilies.kicker == "文旅融合 乡村振兴"
    assert [(c.text, c.credit) for c in lilies.captions] == [("小城子镇百合花田里的游客。", "本报通讯员 王丽 摄")]
    assert lilies.paragraphs[1].endswith("产品销往北京、上海、广州等地，部分出口日本和韩国。")
    assert "推出“赏花+研学+采摘”旅游线路" in lilies.paragraphs[1]
    greenhouse = page.stories[1]
    assert greenhouse.paragraphs[0].startswith("本报讯 近日，记者在凌源市三家子蒙古族乡看到")
    assert "种植户张德顺说：“过去半夜得起来看棚，现在手机一点就能放风。”" in greenhouse.paragraphs[0]
    assert page.stories[2].paragraphs == [
        "本报讯 今年以来，凌源市新建城市书房5处，新增图书2.4万册，实行24小时自助借阅。书房选址兼顾老城区和新建小区，"
        "市民步行15分钟即可到达。截至目前，城市书房累计接待读者3.1万人次，举办读书分享、亲子阅读等活动48场，"
        "成为市民家门口的“文化客厅”。书房还与市图书馆实现通借通还，读者凭一张借阅证即可在全市各书房借书还书。"
    ]
    assert [s.byline for s in page.stories[4:]] == ["本报记者 李明 摄", "本报记者 李明 摄"]
    assert page.credits == ["本版稿件由本报记者李明采写"]
    assert page.warnings == []


def test_fixture_b_feature_with_late_data_box_and_cross_paragraph_duplicate():
    from conftest import FIXTURES, parse_file

    page = parse_file(FIXTURES / "pages" / "b-feature-databox-end.md")
    assert (page.title, page.source) == ("设施农业的凌源答卷", "凌源日报")
    (story,) = page.stories
    assert (story.kind, story.kicker, story.title, story.subtitle, story.byline) == (
        "feature", "产业兴旺 乡村振兴", "一棵黄瓜串起百亿产业链", "——凌源市设施农业高质量发展调查", "本报记者 王芳 通讯员 刘强"
    )
    assert len(story.summary) == 2 and story.summary[1].startswith("今年上半年，全市设施农业产值同比增长8.6%")
    assert [s.heading for s in story.sections] == ["育苗工厂育出“好苗子”", "科技赋能种出“金果子”", "冷链物流卖出“好价钱”"]
    assert story.sections[1].paragraphs[1].endswith("建成高标准设施农业园区27个。")
    assert story.sections[2].paragraphs[1] == "借助直播电商，凌源黄瓜还走进了南方市场。今年上半年，全市农产品网络零售额达到2.3亿元。"
    assert [(c.text, c.credit, c.paragraph) for c in story.captions] == [("育苗工厂里的嫁接苗。", "本报记者 王芳 摄", 3)]
    assert story.data_title == "数说 2023"
    assert [(d.label, d.value) for d in story.data] == [
        ("设施农业面积", "40万亩"), ("设施农业产值", "118亿元"), ("带动就业", None), ("农户", "5.2万户"), ("务工人员", "3.6万人"),
    ]
    assert page.credits == ["本版图片由凌源市委宣传部提供"]
    assert [(w.kind, w.line) for w in page.warnings] == [("duplicate", 46)]


def test_fixture_c_gb18030_crlf_interleaved_briefs_cut_on_both_sides():
    from conftest import FIXTURES, parse_file

    page = parse_file(FIXTURES / "pages" / "c-gb18030-mixed.md")
    feature, bus, drones, seniors = page.stories
    assert (feature.kind, feature.title, feature.byline) == ("feature", "美丽庭院扮靓乡村", "王芳 赵刚")
    assert feature.slogans == ["建设", "宜居", "宜业", "和美"]
    assert feature.summary[0].startswith("今年以来，凌源市以“美丽庭院”创建为抓手")
    assert [s.heading for s in feature.sections] == ["小院变花园", "旧物变景观"]
    assert feature.sections[0].paragraphs[1].endswith("全镇已评出示范户860户，带动农户主动整治庭院3200余户。")
    assert [(c.text, c.credit) for c in feature.captions] == [("整洁的农家小院。", "（资料片）")]
    assert bus.paragraphs == [
        "本报讯 6月1日起，凌源市新开通城区至北炉乡、城区至沟门子镇两条城乡公交线路，沿途设站42个，每天各发车8个班次。"
        "两条线路开通后，沿线1.8万名群众出行更加方便。此前，全市城乡公交已覆盖22个乡镇街，城乡公交线路总数达到31条，日均客运量超过6000人次。"
    ]
    assert drones.paragraphs == [
        "本报讯 今年秋季，凌源市职业教育中心新开设无人机操控与维护专业，首批招收学生60名。学校与本地无人机企业共建实训基地，"
        "还将邀请企业技术人员定期到校授课，开设无人机组装、航拍测绘等实训课程，学生在校期间即可参与企业项目。"
    ]
    assert seniors.paragraphs[0] == "的课程表已经排定。"
    assert [(w.kind, w.line) for w in page.warnings] == [("interleaved", 43), ("mid-sentence-start", 49)]


def _trace(body: str) -> list:
    from lingyuan_site.load import load_text
    from lingyuan_site.parse import parse_page

    trace: list = []
    parse_page(load_text(f"---\ndate: 2023-05\n---\n{body}", "t.md"), trace)
    return [(line, rule) for line, rule, _ in trace]


def test_the_body_rules_are_named_and_each_takes_a_block_somewhere():
    """parse.BODY_RULES is an ordered table; each rule takes at least one block of the seeds, the
    fixtures or the two small pages here (which the seeds never need: a ### heading opening a page
    and a headline printed over two lines without 本报讯)."""
    from lingyuan_site.load import load_file
    from lingyuan_site.parse import BODY_RULES, parse_page

    used = set()
    for path in sorted((ROOT / "content").glob("*.md")) + sorted((ROOT / "tests" / "fixtures" / "pages").glob("*.md")):
        trace: list = []
        parse_page(load_file(path), trace)
        used |= {rule for _, rule, _ in trace}
    assert _trace("### 百合花海迎客忙\n\n5月16日，花海开园。\n") == [(4, "story_start"), (4, "heading_title"), (6, "paragraph")]
    assert _trace("百合花海迎客忙\n\n游客人数创新高\n\n5月16日，小城子镇的百合花海正式开园，首批游客在花田间拍照打卡。\n") == [
        (4, "story_start"), (4, "title_line"), (6, "title_continued"), (8, "paragraph")]
    used |= {"heading_title", "title_continued"}
    assert [name for name, _ in BODY_RULES if name not in used] == []
    assert [name for name, _ in BODY_RULES][-1] == "paragraph"  # the rule that takes whatever is left


def test_inspect_explain_names_the_rule_for_each_block():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "inspect", "--explain", str(ROOT / "content" / "2022-02-jiaya-fenjin.md")],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "——— 新稿件（第6行）"
    assert [line.split(None, 2) for line in lines[1:5]] == [
        ["6", "title_line", "凌源市：加压奋进当好朝阳振兴先锋队"], ["8", "byline", "本报记者 张旭"],
        ["10", "slogan", "聚焦高质量聚力项目年"], ["15", "data_box", "数说2021"]]
    assert ["44", "section_heading", "挂图作战 全力跑出项目建设新速度"] in [line.split(None, 2) for line in lines]


def test_a_page_of_copies_of_one_page_moves_each_paragraph_at_most_once():
    """Issue 38: a seed page repeated to 5 MB took over 10 minutes: every mid-sentence break
    compared its paragraph with every story of the page, and text moved to a story was moved on
    from it, a growing block pushed from copy to copy. Now moved text stays, so the moves are
    bounded by the paragraphs, and the page keeps every character (conservation)."""
    from conftest import assert_conserved
    from lingyuan_site import parse as parse_module
    from lingyuan_site.load import load_text

    text = (ROOT / "content" / "2021-06-sijie-sanyin.md").read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    moved = []
    real = parse_module.PageParser._move

    def counting(self, paras, start, own, target):
        before = len(paras)
        real(self, paras, start, own, target)
        moved.append(before - len(paras))

    parse_module.PageParser._move = counting
    try:
        page = parse_module.parse_page(load_text(head + "\n---\n" + (body + "\n") * 60, "copies.md"))
    finally:
        parse_module.PageParser._move = real
    one = parse_module.parse_page(load_text(text, "one.md"))
    assert len(page.stories) == 60 * len(one.stories)
    # the copies' interleaved briefs are each put right once (4 or 5 paragraphs), never a growing block
    assert len(moved) >= 60 and max(moved) == 5 and sum(moved) <= sum(len(s.paragraphs) for s in page.stories)
    assert_conserved(page)
