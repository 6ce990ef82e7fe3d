"""The lawful-wording checker (jobs/wording.py) against its corpus: phrases a posting may not use,
each with the article it must name, and ordinary phrases that must pass."""

from __future__ import annotations

import pytest

from jobs import wording

EPL27 = "《就业促进法》第二十七条"
WR43_1 = "《妇女权益保障法》第四十三条第一项"
EPL26 = "《就业促进法》第二十六条"
WR43_2 = "《妇女权益保障法》第四十三条第二项"
WR43_3 = "《妇女权益保障法》第四十三条第三项"
WR43_4 = "《妇女权益保障法》第四十三条第四项"
EPL28 = "《就业促进法》第二十八条"
EPL29 = "《就业促进法》第二十九条"
EPL30 = "《就业促进法》第三十条"
EPL31 = "《就业促进法》第三十一条"

# (phrase, an article the refusal must name)
REFUSED = [
    # sex: men only / men first
    ("限男性", WR43_1), ("男性优先", WR43_1), ("仅限男性", EPL27), ("只招男工", WR43_1), ("男士优先", WR43_1),
    ("男生优先", WR43_1), ("限男", WR43_1), ("要求男性，身体强壮", WR43_1), ("适合男性", WR43_1),
    ("女性勿扰", WR43_1), ("不招女性", WR43_1), ("谢绝女士应聘", WR43_1), ("男，35岁以下", WR43_1),
    ("招聘男性保安两名", WR43_1), ("限 男 性", WR43_1), ("以男性为主", WR43_1),
    # sex: women only
    ("限女性", EPL26), ("女性优先", EPL26), ("仅招女工", EPL26), ("男士勿扰", EPL26), ("不招男性", EPL26),
    ("女，25岁以下", EPL26),
    # marriage and childbearing
    ("已婚已育", WR43_4), ("限未婚", WR43_4), ("未婚优先", WR43_4), ("已婚", WR43_4), ("已育优先", WR43_4),
    ("三年内不得生育", WR43_4), ("入职两年内不能怀孕", WR43_4), ("单身", WR43_4), ("离异者勿扰", WR43_4),
    ("已生二胎者优先", WR43_4), ("婚否：已婚", WR43_4), ("入职需做孕检", WR43_3), ("入职体检含妊娠测试", WR43_3),
    ("需提供婚育证明", WR43_2), ("请注明婚姻状况", WR43_2), ("入职须交结婚证复印件", WR43_2),
    # ethnicity
    ("限汉族", EPL28), ("汉族优先", EPL28), ("仅限汉族", EPL28), ("不招少数民族", EPL28), ("少数民族勿扰", EPL28),
    ("维族勿扰", EPL28), ("民族：汉", EPL28),
    # religion
    ("无宗教信仰", EPL26), ("不信教", EPL26), ("信教者勿扰", EPL26), ("限佛教徒", EPL26), ("穆斯林勿扰", EPL26),
    ("基督徒免谈", EPL26), ("非穆斯林", EPL26),
    # disability
    ("残疾人勿扰", EPL29), ("不招残疾人", EPL29), ("身体无残疾", EPL29), ("肢体健全", EPL29), ("四肢健全", EPL29),
    ("残疾人除外", EPL29), ("谢绝残疾人", EPL29),
    # carriers of an infectious pathogen
    ("非乙肝", EPL30), ("乙肝携带者勿扰", EPL30), ("乙肝五项正常", EPL30), ("需做两对半检查", EPL30), ("大三阳免谈", EPL30),
    ("小三阳不要", EPL30), ("HBsAg阴性", EPL30), ("澳抗阴性", EPL30), ("无乙肝", EPL30), ("乙肝病毒携带者除外", EPL30),
    ("HIV携带者勿扰", EPL30),
    # rural household registration
    ("限城镇户口", EPL31), ("城镇户口优先", EPL31), ("非农业户口", EPL31), ("农村户口勿扰", EPL31),
    ("不招农村人员", EPL31), ("不要农民工", EPL31),
    # local household registration, place of origin
    ("本地户口", EPL26), ("限本地户籍", EPL26), ("本市户口优先", EPL26), ("本地人优先", EPL26), ("外地人勿扰", EPL26),
    ("限绍兴户籍", EPL26), ("需本地常住户口", EPL26), ("外地户口免谈", EPL26), ("不招外地人", EPL26),
    ("河南籍勿扰", EPL26), ("须具有本市户籍", EPL26),
]

ALLOWED = [
    "男女不限", "性别不限", "不限性别", "户籍不限", "不限户籍，欢迎外地务工人员", "熟悉本地道路，持C1驾照",
    "本地区域配送，电动车自备", "持有焊工证（特种作业操作证）", "能适应两班倒", "身体健康，能吃苦耐劳",
    "缴纳五险：养老、医疗、失业、工伤、生育保险", "按国家规定享受婚假、产假", "提供单身宿舍", "欢迎残疾人应聘",
    "少数民族优先", "下岗失业人员优先", "退役军人优先", "欢迎农民工", "有叉车证者优先", "高中以上学历",
    "18至50周岁", "会使用办公软件", "男装导购，熟悉服装陈列", "女装店营业员", "食品行业需持健康证",
    "有两年以上厨师经验", "能熟练使用缝纫机", "工作地点：越城区府山街道", "包吃包住，月休四天", "提供男女职工宿舍",
    "女职工享受三八节福利", "持电工证上岗", "需要轮班，能上夜班", "普通话标准", "吃苦耐劳，服从安排", "有责任心",
    "熟悉Excel表格", "入职需提供身份证、户口本复印件", "试用期一个月", "工资月结，按时足额发放", "欢迎应届毕业生",
    "能适应户外作业", "持有效健康证明", "孕期、哺乳期女职工依法享受特殊保护", "不限民族", "民族不限", "婚否不限",
    "具有会计从业经验", "能独立完成电焊作业", "有驾驶经验，无重大交通事故记录", "提供免费工作餐",
    "加班费按国家规定另计", "外地员工提供住宿", "本市区域内上门服务", "持残疾人证者可享受按比例就业岗位",
    "大专及以上学历，计算机相关专业", "年龄45周岁以下", "身高不限", "适合下岗职工再就业", "免费接种乙肝疫苗",
    "男女同工同酬", "熟练使用汉语拼音输入法", "户籍所在地不限",
]


def test_the_corpus_is_large_enough():
    assert len(REFUSED) >= 50 and len(ALLOWED) >= 50
    assert len({p for p, _ in REFUSED}) == len(REFUSED) and len(set(ALLOWED)) == len(ALLOWED)


@pytest.mark.parametrize(("phrase", "article"), REFUSED, ids=[p for p, _ in REFUSED])
def test_an_unlawful_requirement_is_refused_naming_its_article(phrase, article):
    message = wording.refusal(phrase)
    assert message, f"not refused: {phrase}"
    assert article in message, message


@pytest.mark.parametrize("phrase", ALLOWED)
def test_an_ordinary_requirement_passes(phrase):
    assert wording.check(phrase) == [], wording.refusal(phrase)


def test_every_rule_is_exercised_by_the_corpus():
    hit = {f.rule.code for phrase, _ in REFUSED for f in wording.check(phrase)}
    assert hit == {r.code for r in wording.RULES}


def test_a_refusal_inside_a_longer_text_names_the_phrase_and_every_ground():
    text = "招聘普工10名，限男性，已婚已育，本地户口优先，包吃住。"
    findings = wording.check(text)
    assert [f.rule.code for f in findings] == ["sex_male", "marriage", "local_hukou"]
    message = wording.refusal(text)
    assert "“限男性”" in message and "“已婚已育”" in message and "第四十三条第一项" in message and "第二十六条" in message
