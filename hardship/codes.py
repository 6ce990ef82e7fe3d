"""The code lists of the national hardship-worker form (shared/FORMS.md §1a–1c), as ``TextChoices``.

Values are the form's own numbering where it has one (致困原因 1–10), short codes otherwise; labels
are the form's words, which is what the roster (花名册) and the printed forms show.
"""

from __future__ import annotations

from django.db import models


class Grade(models.TextChoices):
    HARDSHIP = "hardship", "困难职工"
    EXTREME = "extreme", "特困职工"


class Relation(models.TextChoices):
    SELF = "self", "本人"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    PARENT = "parent", "父母"
    PARENT_IN_LAW = "in_law", "岳父母/公婆"
    GRANDCHILD = "grandchild", "孙子女/外孙子女"
    GRANDPARENT = "grandparent", "祖父母/外祖父母"
    SIBLING = "sibling", "兄弟姐妹"
    OTHER = "other", "其他"


class Health(models.TextChoices):
    """健康状况, the newer national list (FORMS §1c)."""

    GOOD = "01", "良好"
    CANCER = "02", "恶性肿瘤"
    CARDIOVASCULAR = "03", "心血管病"
    CEREBROVASCULAR = "04", "脑血管病"
    RENAL = "05", "终末期肾病"
    MENTAL = "06", "精神病"
    LIVER = "07", "肝病"
    BLOOD = "08", "血液病"
    DIABETES = "09", "糖尿病"
    TUMOUR = "10", "肿瘤病"
    SPINE = "11", "腰颈椎病"
    HYPERTENSION = "12", "高血压病"
    LUNG = "13", "肺病"
    GENERAL = "14", "一般疾病"
    COMA = "15", "深度昏迷"
    PARALYSIS = "16", "永久瘫痪"
    ALZHEIMER = "17", "严重阿尔茨海默病"
    PARKINSON = "18", "严重帕金森病"
    MOTOR_NEURON = "19", "严重运动神经元病"
    DISABLED = "20", "残疾"


# What counts as 大病、重病 for the eligibility rules (DOMAIN §4). The sources defer to the medical
# insurance policy's list of diseases; this reading takes every named disease of the national list
# except the common chronic ones (腰颈椎病, 高血压病), 一般疾病, 良好 and 残疾 (a disability is not an
# illness; it has its own field).
SERIOUS_ILLNESSES = frozenset(set(Health.values) - {Health.GOOD, Health.SPINE, Health.HYPERTENSION,
                                                     Health.GENERAL, Health.DISABLED})


class WorkStatus(models.TextChoices):
    """工作状态 / 人员身份 (FORMS §1c), with 学生 and 其他 for household members."""

    EMPLOYED = "employed", "在岗"
    LAID_OFF = "laid_off", "下(待)岗"
    UNEMPLOYED = "unemployed", "失(无)业"
    RETIRED = "retired", "退休"
    RETIRED_CADRE = "lixiu", "离休"
    RETIRED_ILL = "ill_retired", "病退"
    SICK_LEAVE = "sick_leave", "病休"
    EARLY_RETIRED = "early_retired", "内退"
    MIGRANT = "migrant", "农民工"
    STUDENT = "student", "学生"
    OTHER = "other", "其他"


EMPLOYED_STATUSES = frozenset({WorkStatus.EMPLOYED, WorkStatus.MIGRANT})


class Schooling(models.TextChoices):
    """在读学段 of a household member; the ones after 初中 are beyond compulsory education."""

    NONE = "", "不在读"
    PRESCHOOL = "preschool", "学龄前"
    PRIMARY = "primary", "小学"
    JUNIOR = "junior", "初中"
    SENIOR = "senior", "高中"
    VOCATIONAL = "vocational", "中职"
    COLLEGE = "college", "大专"
    BACHELOR = "bachelor", "本科"
    GRADUATE = "graduate", "研究生"


NON_COMPULSORY = frozenset({Schooling.SENIOR, Schooling.VOCATIONAL, Schooling.COLLEGE, Schooling.BACHELOR,
                            Schooling.GRADUATE})


class HousingType(models.TextChoices):
    """住房类型, variant (b) of FORMS §1c."""

    SELF_BUILT = "self_built", "自建房"
    COMMERCIAL = "commercial", "商品房"
    AFFORDABLE = "affordable", "经济适用房"
    PRICE_CAPPED = "price_capped", "两限房"
    EMPLOYER_RENTAL = "employer_rental", "承租单位公房"
    PUBLIC_RENTAL = "public_rental", "政府廉租房"
    RENTED = "rented", "租房"
    OTHER = "other", "其他"


OWNED_HOUSING = frozenset({HousingType.SELF_BUILT, HousingType.COMMERCIAL, HousingType.AFFORDABLE,
                           HousingType.PRICE_CAPPED})


class Marital(models.TextChoices):
    MARRIED = "married", "已婚"
    SINGLE = "single", "未婚"
    DIVORCED = "divorced", "离异"
    WIDOWED = "widowed", "丧偶"


class Hukou(models.TextChoices):
    NON_AGRICULTURAL = "non_agri", "非农业"
    AGRICULTURAL = "agri", "农业"
    CONVERTED = "converted", "农转居"


class Political(models.TextChoices):
    PARTY = "party", "中共党员"
    LEAGUE = "league", "共青团员"
    MASSES = "masses", "群众"
    DEMOCRATIC = "democratic", "民主党派"
    OTHER = "other", "其他"


class Disability(models.TextChoices):
    NONE = "", "无"
    VISION = "vision", "视力"
    HEARING = "hearing", "听力"
    SPEECH = "speech", "言语"
    INTELLECTUAL = "intellectual", "智力"
    PHYSICAL = "physical", "肢体"
    MENTAL = "mental", "精神"
    MULTIPLE = "multiple", "多重"


class DisabilityGrade(models.TextChoices):
    NONE = "", "—"
    FIRST = "1", "一级(极重度)"
    SECOND = "2", "二级(重度)"
    THIRD = "3", "三级(中度)"
    FOURTH = "4", "四级(轻度)"


class Cause(models.TextChoices):
    """致困原因, the national form's numbering 1–10."""

    NO_WORK_CAPACITY = "1", "无劳动能力"
    ABLE_UNEMPLOYED = "2", "有劳动能力而未就业"
    LAID_OFF = "3", "下岗失业"
    UNINSURED = "4", "未参加社会保险"
    BENEFITS_UNPAID = "5", "社会保险待遇落实不到位"
    MAJOR_ILLNESS = "6", "患重特大疾病"
    DISASTER = "7", "遭受自然灾害"
    ACCIDENT = "8", "遭受意外事故"
    SCHOOLING = "9", "子女上学"
    OTHER = "10", "其他"


class IncomeKind(models.TextChoices):
    """家庭其他非薪资收入, by source (FORMS §1d: the income items that count)."""

    BUSINESS = "business", "经营净收入"
    PENSION = "pension", "离退休金/养老金"
    UNEMPLOYMENT = "unemployment", "失业保险金"
    SUPPORT = "support", "赡养费/抚养费"
    SURVIVOR = "survivor", "遗属补助"
    COMPENSATION = "compensation", "赔偿金"
    PROPERTY = "property", "财产性收入（利息、红利、房租）"
    RELIEF = "relief", "政府救助（低保金等）"
    UNION_HELP = "union_help", "工会及社会帮扶"
    OTHER = "other", "其他"


class BasicSupport(models.TextChoices):
    """The benefits a 特困 applicant already receives (DOMAIN §4: 最低工资 / 下岗基本生活费 /
    失业保险金 / 养老金 / 低保补差)."""

    MINIMUM_WAGE = "minimum_wage", "最低工资"
    LAYOFF_ALLOWANCE = "layoff", "下岗基本生活费"
    UNEMPLOYMENT = "unemployment", "失业保险金"
    PENSION = "pension", "养老金"
    DIBAO = "dibao", "低保补差"


class Evidence(models.TextChoices):
    """The evidence a file needs (DOMAIN §4 [002][004]); an attachment's 说明 names its kind."""

    ID_CARD = "身份证", "身份证"
    HOUSEHOLD_REGISTER = "户口簿", "户口簿"
    INCOME = "收入证明", "收入证明"
    MEDICAL = "病历及医疗费原始票据", "病历及医疗费原始票据"
    SCHOOL = "学籍证明或录取通知书", "学籍证明或录取通知书"
    DISASTER = "灾害证明", "灾害证明"
    UNION = "单位工会证明", "单位工会证明"
    OTHER = "其他材料", "其他材料"


class ExitReason(models.TextChoices):
    """解困脱困的原因 (FORMS §1e: no official list; these follow the practice it cites)."""

    REEMPLOYED = "reemployed", "实现再就业"
    INCOME_ROSE = "income_rose", "家庭收入提高"
    RECOVERED = "recovered", "病愈，医疗负担减轻"
    SCHOOLING_DONE = "schooling_done", "子女完成学业或就业"
    SAFETY_NET = "safety_net", "纳入社会保障，生活达到低保水平以上"
    OTHER = "other", "其他"


class CloseReason(models.TextChoices):
    """注销 (FORMS §1e: 死亡、调离; 退档 after data checks)."""

    DECEASED = "deceased", "本人死亡"
    MOVED = "moved", "迁出或调离"
    CHECK_FAILED = "check_failed", "核查不符，退档"
    OTHER = "other", "其他"
