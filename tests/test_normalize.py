"""The text rules on plain strings: t2s, punctuation widths, sentence ends, layout duplicates."""
from lingyuan_site import normalize as nz


def test_t2s_converts_traditional_and_keeps_length():
    line = "奮楫揚帆開新局——朝陽凌源經濟開發區"
    out = nz.normalize_line(line)
    assert out == "奋楫扬帆开新局——朝阳凌源经济开发区"
    assert len(out) == len(line)


def test_simplified_lines_are_not_sent_to_opencc():
    assert not nz.may_need_t2s("凌源市食用菌产业年创产值6亿元")
    assert nz.to_simplified("凌源市食用菌产业年创产值6亿元") == "凌源市食用菌产业年创产值6亿元"


def test_half_width_punctuation_between_chinese_becomes_full_width():
    assert nz.fix_punctuation("年初以来,凌源市:一是;二是?好!") == "年初以来，凌源市：一是；二是？好！"
    assert nz.fix_punctuation("乡(镇)街") == "乡（镇）街"
    assert nz.fix_punctuation("《数字凌源建设(2021—2025)实施方案》") == "《数字凌源建设（2021—2025）实施方案》"
    assert nz.fix_punctuation('叫响"京郊漫城"品牌') == "叫响“京郊漫城”品牌"


def test_numbers_and_latin_keep_their_punctuation():
    for text in ("1.5万户", "8890平台", "1+8+N", "12:30开始", "Room 1,2", "(a+b)", "FTA的"):
        assert nz.fix_punctuation(text) == text


def test_sentence_ends():
    assert nz.ends_sentence("有力支撑和保障。")
    assert nz.ends_sentence("管道防腐保温基本完成……")
    assert nz.ends_sentence("“说起身边交通的变化。”")
    assert not nz.ends_sentence("已于今年5月")
    assert not nz.ends_sentence("叫响“京郊漫城 北国凌源”")
    assert not nz.ends_sentence("建设北方地区领先的非金属新材料产业基地，")
    assert nz.ends_softly("主要措施如下：")


def test_mid_sentence_starts():
    assert nz.starts_mid_sentence("众的烦心事。")
    assert nz.starts_mid_sentence("的发展成果。")
    assert not nz.starts_mid_sentence("中流奋楫，加快振兴。")
    assert not nz.starts_mid_sentence("凌源经济开发区给出了答案。")


LAYOUT = (
    "突出数字赋能。这次实现集中开工，约占凌源97户原字号、老字号企业的28%。突出产业链拉长加粗。"
    "凌源市围绕主导产业大力建链、延链、补链、强链。突出补齐民生短板。围绕群众最关心的问题，"
    "这次实现集中开工，约占凌源97户原字号、老字号企业的28%。突出产业链拉长加粗。"
    "凌源市围绕主导产业大力建链、延链、补链、强链。"
)


def test_layout_duplicate_found_and_trimmed_to_clause_boundaries():
    first, second, length = nz.find_layout_duplicate(LAYOUT)
    span = LAYOUT[second : second + length]
    assert span == "这次实现集中开工，约占凌源97户原字号、老字号企业的28%。突出产业链拉长加粗。凌源市围绕主导产业大力建链、延链、补链、强链。"
    assert LAYOUT[first : first + length] == span
    assert first < second


def test_repeated_clause_is_not_a_layout_duplicate():
    text = (
        "钢铁冶金产业集群，依托工业物流园，新集聚了凌宇重工改装车、富华重工专用车间、康迈汽车零部件、路捷汽车零部件产业配套项目26个。"
        "汽车产业集群，依托汽车零部件产业园，新集聚了凌宇重工改装车、富华重工专用车间、康迈汽车零部件、路捷汽车零部件产业配套项目26个。"
    )
    assert nz.find_layout_duplicate(text) is None


def test_short_repeats_are_kept():
    assert nz.find_layout_duplicate("解决就业300余人。" * 2 + "其他内容。" * 3) is None
