"""The lawful-wording checker: a posting may not restrict sex, marriage or childbearing, ethnicity,
religion, disability, carriers of an infectious pathogen (乙肝), or rural or local household
registration — 《中华人民共和国就业促进法》第二十六条至第三十一条 and 《中华人民共和国妇女权益保障法》
（2022年修订）第四十三条.

Everything the checker knows is in the two tables below; nothing else decides:

- ``ALLOWED``: wording that is lawful although it contains a word a rule looks for (男女不限,
  生育保险, 单身宿舍, 少数民族优先 — the law asks employers to give minorities appropriate care).
  These are blanked out first.
- ``RULES``: per ground of discrimination, the article it breaks and the words (plain phrases) and
  word families (regular expressions) that restrict on that ground.

``check(text)`` normalises the text (full-width to half-width, lower case, no spaces), blanks the
allowed wording and returns one ``Finding`` per rule that still matches, each naming its article.
``tests/jobs/test_wording.py`` holds the corpus: at least 50 phrases that must be refused (with the
article each must name) and 50 ordinary ones that must pass.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

EPL = "《就业促进法》"
WRPL = "《妇女权益保障法》"

# Characters that end a word in a posting's text (after normalisation).
_SEP = r"[,;:、()。!?\s|/]"
_NOT = r"不(?:招|要|收|录用|考虑|接受)"
_GONE = r"(?:勿扰|免谈|谢绝|除外|不要|不招|不收|不考虑)"
_ONLY = r"(?:限|仅限|只限|只招|仅招|只要|要求|需|须)"


def _token(word: str) -> str:
    """``word`` standing alone between separators (“男，35岁以下”), not inside a word (男装)."""
    return f"(?:^|(?<={_SEP})){word}(?={_SEP}|$)"


@dataclass(frozen=True)
class Rule:
    code: str
    ground: str  # what the wording restricts
    law: str  # the article(s) it breaks
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    @cached_property
    def regex(self) -> re.Pattern[str]:
        parts = [re.escape(p) for p in self.phrases] + [f"(?:{p})" for p in self.patterns]
        return re.compile("|".join(parts))


@dataclass(frozen=True)
class Finding:
    rule: Rule
    matched: str

    @property
    def message(self) -> str:
        return f"“{self.matched}”{self.rule.ground}，违反{self.rule.law}。"


ALLOWED: tuple[str, ...] = (
    r"(?:不限|不论|无论)(?:男女|性别|户籍|户口|民族|婚否|婚姻状况|婚育状况|宗教信仰|地域|籍贯)",
    r"(?:男女|性别|户籍|户口|民族|婚否|婚姻状况|籍贯|地域)(?:不限|均可|皆可|都可|兼收|不论)",
    r"各民族(?:均可|皆可|都可)",
    r"男女(?:同工同酬|平等|职工|员工|宿舍|各半)",
    r"(?:欢迎|适合)(?:残疾人|农民工|少数民族|下岗|失业|退役)",
    r"(?:残疾人|少数民族|农民工|下岗失业人员|下岗职工|失业人员|退役军人)(?:优先|可|均可)",
    r"生育保险", r"生育津贴", r"婚假", r"产假", r"育儿假", r"单身(?:宿舍|公寓)", r"乙肝疫苗",
    r"残疾人(?:证|就业保障金|按比例就业)",
)
_ALLOWED = re.compile("|".join(f"(?:{p})" for p in ALLOWED))

RULES: tuple[Rule, ...] = (
    Rule("sex_male", "限定男性或男性优先", f"{EPL}第二十七条、{WRPL}第四十三条第一项",
         phrases=("女性勿扰", "女士勿扰", "女生勿扰", "谢绝女", "女性免谈", "男同志"),
         patterns=(f"{_ONLY}男", r"男(?:性|士|生|工)?(?:优先|为主)", r"适合男", f"{_NOT}女", r"(?<!不)招(?:聘)?男(?:工|性|士|生)",
                   _token("男(?:性|士|生)?"))),
    Rule("sex_female", "以性别为由限定录用", f"{EPL}第二十六条（第三条：不因性别而受歧视）",
         phrases=("男性勿扰", "男士勿扰", "男生勿扰", "谢绝男", "男性免谈"),
         patterns=(f"{_ONLY}女(?!职工|员工)", r"女(?:性|士|生|工)?(?:优先|为主)", f"{_NOT}男", r"(?<!不)招(?:聘)?女(?:工|性|士|生)",
                   _token("女(?:性|士|生)?"))),
    Rule("marriage", "以婚姻、生育状况为录用条件", f"{EPL}第二十七条第二款、{WRPL}第四十三条第四项",
         phrases=("已婚", "未婚", "已育", "未育", "单身", "离异", "二胎", "二孩", "三胎", "有孩子", "有小孩"),
         patterns=(r"不(?:得|能|可|准)?(?:结婚|生育|怀孕|生孩子|要孩子|生小孩|生二胎)", r"(?:结婚|生育|怀孕)(?:后|者)?(?:辞退|解聘|自动离职)")),
    Rule("pregnancy_test", "将妊娠测试作为入职体检项目", f"{WRPL}第四十三条第三项",
         phrases=("孕检", "妊娠", "怀孕检查", "验孕")),
    Rule("marital_inquiry", "询问或调查婚育情况", f"{WRPL}第四十三条第二项",
         phrases=("婚育", "结婚证", "婚姻状况", "婚否", "计生证明", "准生证")),
    Rule("ethnicity", "限制民族", f"{EPL}第二十八条（第三条：不因民族而受歧视）",
         phrases=("谢绝少数民族",),
         patterns=(f"{_ONLY}汉族", r"汉族(?:人员)?(?:优先|为主)", r"民族:?汉(?!语)",
                   f"{_NOT}(?:少数民族|维吾尔族|维族|藏族|回族|彝族|壮族|苗族|蒙古族)",
                   f"(?:少数民族|维吾尔族|维族|藏族|回族|彝族|壮族|苗族|蒙古族)(?:人员|同胞)?{_GONE}",
                   _token("汉族"))),
    Rule("religion", "限制宗教信仰", f"{EPL}第二十六条（第三条：不因宗教信仰而受歧视）",
         phrases=("无宗教信仰", "不信仰宗教", "不信教", "非穆斯林", "非基督徒"),
         patterns=(f"(?:信教|宗教信仰|信徒)(?:者|人士|人员)?{_GONE}",
                   f"{_ONLY}(?:佛教|基督教|天主教|伊斯兰教|道教|基督徒|穆斯林|信徒)",
                   f"(?:佛教|基督教|天主教|基督徒|穆斯林|伊斯兰教)(?:徒|信徒|人士)?(?:优先|{_GONE})")),
    Rule("disability", "歧视残疾人", f"{EPL}第二十九条",
         phrases=("无残疾", "非残疾", "无肢体残疾", "谢绝残疾"),
         patterns=(f"残疾(?:人|人士|者)?{_GONE}", f"{_NOT}残疾", r"(?:身体|肢体|四肢)(?:健全|无缺陷)")),
    Rule("carrier", "以传染病病原携带者（乙肝等）为由限制录用", f"{EPL}第三十条",
         phrases=("乙肝", "hbv", "hbsag", "澳抗", "大三阳", "小三阳", "两对半", "hiv", "艾滋", "病原携带")),
    Rule("rural_hukou", "对农村劳动者设置户籍限制", f"{EPL}第三十一条",
         phrases=("非农户口", "非农业户口", "城镇户口", "城镇户籍", "城市户口"),
         patterns=(f"农(?:村|业)(?:户口|户籍)?(?:人员)?{_GONE}", f"{_NOT}农(?:村|民)")),
    Rule("local_hukou", "以户籍、籍贯限制录用", f"{EPL}第二十六条（不得实施就业歧视）",
         phrases=("本地户口", "本地户籍", "本市户口", "本市户籍", "当地户口", "当地户籍", "省内户籍"),
         patterns=(r"(?:本地|本市|本省|本县|本区|当地|绍兴|浙江|省内|市内)(?:常住)?(?:户口|户籍|籍)(?!本)",
                   f"{_ONLY}(?:本地|本市|当地)人", r"(?:本地|本市|当地)人(?:员)?(?:优先|为主)",
                   f"{_ONLY}(?:具有|具备)?(?:常住)?(?:户口|户籍)(?!本|簿|所在地)",
                   f"外地(?:人|户口|户籍|人员)?{_GONE}", f"{_NOT}外地",
                   f"[\u4e00-\u9fff]{{2,3}}籍(?:人员|人士)?{_GONE}")),
)


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, spaces removed: “限 男 性” is “限男性”."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).lower()


def check(text: str) -> list[Finding]:
    """What in ``text`` restricts unlawfully: one finding per rule, in table order."""
    cleaned = _ALLOWED.sub("|", normalise(text))
    findings = []
    for rule in RULES:
        match = rule.regex.search(cleaned)
        if match:
            findings.append(Finding(rule, _clause(cleaned, match.start(), match.end())))
    return findings


_SEP_CHARS = re.compile(_SEP)


def _clause(text: str, start: int, end: int) -> str:
    """The words around a match, up to the separators on either side (“限男性”, not “限男”)."""
    while start > 0 and not _SEP_CHARS.match(text[start - 1]):
        start -= 1
    while end < len(text) and not _SEP_CHARS.match(text[end]):
        end += 1
    return text[start:end].strip(",;:、()。!?|/") or text[start:end]


def refusal(text: str) -> str:
    """The Chinese message for ``text`` (empty when lawful), naming each article it breaks."""
    return "".join(f.message for f in check(text))
