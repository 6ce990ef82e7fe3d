"""Eligibility, explained and replayable (DOMAIN §4, seed [004]).

``evaluate(facts, params)`` is a pure function: from a household's figures (``Facts``) and the
parameter values in force on the decision date (``Params``) it computes the household income per
head per month and evaluates every 困难 rule, every 特困 ground and every exclusion. Each rule keeps
its clauses — a Decimal comparison with both sides named (``Comparison``) or a stated fact
(``Condition``) — so that the page can say, for instance::

    人均月收入 812.00 元 ≤ 低保标准 700.00 元 × 120% = 840.00 元 → 符合

The whole evaluation (facts, parameters with their unit and year, rules, verdict) is stored as
JSON (``models.Evaluation``). ``replay(facts_json, params_json)`` recomputes it from those stored
values only — nothing is read from the database — and gives back exactly the stored outcome.

Arithmetic: money is ``Decimal`` throughout; a figure shown with two decimals is rounded half up
to the cent before it is compared, so what the page shows is what was compared. Thresholds that
are a product (standard × ratio) are rounded the same way. Comparisons, as the source words them:
收入 "高于低保标准20%以下" → ≤ (the threshold itself qualifies); "低于低保边缘" → < ; 自付医疗费
"占家庭年收入50%以上" → ≥ ; 特困 "超过家庭当年全部收入" → > ; 补差 "达到平均补差1.5倍以上" → ≥ ;
housing "人均超过40平方米 / 超过70平方米" → > ; "近五年购买或自建" → on or after the same day five
years before the decision date.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import codes

ENGINE = "2026.1"  # changes whenever a rule changes; stored with every evaluation
CENT = Decimal("0.01")
ZERO = Decimal("0")
WORKING_AGE = (16, 59)  # 劳动年龄, both ends included

# The parameters the rules read (``servicecenter.parameters`` keys).
DIBAO = "dibao.monthly_standard"
EDGE = "hardship.dibao_edge_standard"
AVERAGE_TOPUP = "hardship.average_topup"
INCOME_RATIO = "hardship.income_ratio"
SPENDING_RATIO = "hardship.spending_income_ratio"
MEDICAL_RATIO = "hardship.medical_cost_ratio"
TOPUP_RATIO = "hardship.extreme_topup_ratio"
AREA_PER_HEAD = "hardship.housing_area_per_head"
AREA_SINGLE = "hardship.housing_area_single"
PURCHASE_YEARS = "hardship.home_purchase_years"
FAMILY_PLANNING = "hardship.exclude_family_planning"
KEYS = (DIBAO, EDGE, AVERAGE_TOPUP, INCOME_RATIO, SPENDING_RATIO, MEDICAL_RATIO, TOPUP_RATIO, AREA_PER_HEAD,
        AREA_SINGLE, PURCHASE_YEARS, FAMILY_PLANNING)


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _date(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


# --- Inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberFacts:
    name: str
    relation: str
    age: int
    work_status: str
    health: str
    monthly_income: Decimal
    schooling: str = ""


@dataclass(frozen=True)
class Facts:
    """What the rules read about a household, as of ``as_of`` (the decision date). Incomes and
    spending are yuan; ``other_income`` and the costs are per year, ``dibao_topup`` per head per
    month; ``housing_area`` in m²."""

    as_of: datetime.date
    members: tuple[MemberFacts, ...]
    other_income: Decimal = ZERO
    medical_cost: Decimal = ZERO
    education_cost: Decimal = ZERO
    rent_cost: Decimal = ZERO
    housing_area: Decimal = ZERO
    home_owned: bool = False
    home_acquired_on: datetime.date | None = None
    luxury_residence: bool = False
    has_car: bool = False
    luxury_goods: bool = False
    receives_dibao: bool = False
    receives_dibao_edge: bool = False
    basic_support: tuple[str, ...] = ()
    dibao_topup: Decimal = ZERO
    disaster: bool = False
    tuition_hardship: bool = False
    other_special: bool = False
    child_private_school: bool = False
    vice: bool = False
    family_planning_breach: bool = False

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat()
        out["home_acquired_on"] = self.home_acquired_on.isoformat() if self.home_acquired_on else None
        out["basic_support"] = list(self.basic_support)
        for key, value in list(out.items()):
            if isinstance(value, Decimal):
                out[key] = str(value)
        out["members"] = [{**m, "monthly_income": str(m["monthly_income"])} for m in out["members"]]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Facts:
        values = dict(data)
        values["as_of"] = _date(values["as_of"])
        values["home_acquired_on"] = _date(values.get("home_acquired_on"))
        values["basic_support"] = tuple(values.get("basic_support") or ())
        values["members"] = tuple(MemberFacts(**{**m, "monthly_income": _dec(m["monthly_income"])})
                                  for m in values["members"])
        for name in ("other_income", "medical_cost", "education_cost", "rent_cost", "housing_area", "dibao_topup"):
            values[name] = _dec(values.get(name, "0"))
        return cls(**values)


@dataclass(frozen=True)
class ParamUsed:
    """One parameter as it was in force: its value and where it came from (``source``: the unit
    that set it, or 系统默认值; ``year``: the year row used, for a per-year standard)."""

    key: str
    label: str
    value: Any
    unit: str = ""
    source: str = "系统默认值"
    year: int | None = None
    since: str = ""  # the date the value was last set ("" for the default)

    def to_json(self) -> dict[str, Any]:
        value = str(self.value) if isinstance(self.value, Decimal) else self.value
        return {"key": self.key, "label": self.label, "value": value, "unit": self.unit, "source": self.source,
                "year": self.year, "since": self.since}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ParamUsed:
        value = data["value"]
        if isinstance(value, str):
            value = Decimal(value)
        return cls(data["key"], data["label"], value, data.get("unit", ""), data.get("source", ""),
                   data.get("year"), data.get("since", ""))

    @property
    def where(self) -> str:
        """“绍兴市职工服务中心设定，2026年度” / “系统默认值”."""
        text = self.source
        if self.year:
            text += f"，{self.year}年度"
        if self.since:
            text += f"，{self.since}起"
        return text


Params = Mapping[str, ParamUsed]


def params_to_json(params: Params) -> dict[str, Any]:
    return {key: params[key].to_json() for key in sorted(params)}


def params_from_json(data: Mapping[str, Any]) -> dict[str, ParamUsed]:
    return {key: ParamUsed.from_json(value) for key, value in data.items()}


# --- The trace ----------------------------------------------------------------------------------


def money(value: Decimal) -> str:
    return f"{q2(value):.2f} 元"


def area(value: Decimal) -> str:
    return f"{q2(value):.2f} ㎡"


def percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"


def plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


@dataclass(frozen=True)
class Comparison:
    """``left op right``, both sides named; ``right`` may be a product (``expr``) computed first."""

    left: str
    left_value: str
    op: str  # ≤ < ≥ > =
    right: str
    right_value: str
    expr: str = ""  # "低保标准 700.00 元 × 120%": how right_value was computed, when it was
    holds: bool = False

    def text(self) -> str:
        return clause_text({"type": "comparison", **asdict(self)})


@dataclass(frozen=True)
class Condition:
    """A fact the rule needs: ``label`` is ``value`` (what the file says), required to be ``want``."""

    label: str
    value: str
    holds: bool = False

    def text(self) -> str:
        return clause_text({"type": "condition", **asdict(self)})


Clause = Comparison | Condition


def compare(left: str, left_value: Decimal, op: str, right: str, right_value: Decimal, *, expr: str = "",
            fmt: Any = money) -> Comparison:
    ops = {"≤": left_value <= right_value, "<": left_value < right_value, "≥": left_value >= right_value,
           ">": left_value > right_value, "=": left_value == right_value}
    return Comparison(left, fmt(left_value), op, right, fmt(right_value), expr, ops[op])


def yes_no(value: bool) -> str:
    return "是" if value else "否"


@dataclass(frozen=True)
class Rule:
    code: str
    group: str  # hardship | extreme_base | extreme | exclusion
    title: str
    clauses: tuple[Clause, ...]
    met: bool
    note: str = ""
    enabled: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "group": self.group, "title": self.title, "met": self.met, "note": self.note,
                "enabled": self.enabled,
                "clauses": [{"type": "comparison", **asdict(c)} if isinstance(c, Comparison) else
                            {"type": "condition", **asdict(c)} for c in self.clauses]}


GROUP_TITLES = {"hardship": "困难职工认定条件（符合其一）", "extreme_base": "特困职工前提",
                "extreme": "特困职工认定情形（符合其一）", "exclusion": "不予认定情形"}


@dataclass(frozen=True)
class Outcome:
    figures: dict[str, str]
    rules: tuple[Rule, ...]
    verdict: str  # extreme | hardship | none | excluded

    def to_json(self) -> dict[str, Any]:
        return {"engine": ENGINE, "figures": dict(self.figures), "rules": [r.to_json() for r in self.rules],
                "verdict": self.verdict}


# --- The rules ------------------------------------------------------------------------------------


@dataclass
class _Figures:
    size: int
    wages: Decimal
    annual: Decimal
    per_head: Decimal
    spending: Decimal
    net_per_head: Decimal
    serious: list[str] = field(default_factory=list)


def figures_of(facts: Facts) -> _Figures:
    size = len(facts.members)
    if size < 1:
        raise ValueError("a household has at least one member")
    wages = sum((m.monthly_income * 12 for m in facts.members), ZERO)
    annual = wages + facts.other_income
    spending = facts.medical_cost + facts.education_cost + facts.rent_cost
    months = Decimal(12 * size)
    serious = [f"{m.name}（{codes.Health(m.health).label}）" for m in facts.members
               if m.health in codes.SERIOUS_ILLNESSES]
    return _Figures(size, wages, annual, q2(annual / months), spending, q2((annual - spending) / months), serious)


def _v(params: Params, key: str) -> Any:
    return params[key].value


def _label(params: Params, key: str) -> str:
    return params[key].label


def hardship_rules(f: _Figures, facts: Facts, params: Params) -> list[Rule]:
    dibao, edge = _v(params, DIBAO), _v(params, EDGE)
    ratio, spend_ratio, med_ratio = _v(params, INCOME_RATIO), _v(params, SPENDING_RATIO), _v(params, MEDICAL_RATIO)
    t1 = q2(dibao * ratio)
    c1 = compare("人均月收入", f.per_head, "≤", "低保标准", t1, expr=f"低保标准 {money(dibao)} × {percent(ratio)}")
    supported = facts.receives_dibao or facts.receives_dibao_edge
    c2 = Condition("享受低保或低保边缘救助", yes_no(supported) + "（须为否）", not supported)
    k1 = Rule("K1", "hardship", "家庭月人均收入不高于低保标准的120%，且未享受低保、低保边缘救助", (c1, c2), c1.holds and c2.holds)

    t2 = q2(dibao * spend_ratio)
    c3 = compare("人均月收入", f.per_head, "≤", "低保标准", t2, expr=f"低保标准 {money(dibao)} × {percent(spend_ratio)}")
    c4 = Comparison("刚性支出（医疗、教育、房租）", money(f.spending), ">", "", money(ZERO), "", f.spending > 0)
    c5 = compare("扣除刚性支出后人均月收入", f.net_per_head, "<", "低保边缘标准", edge)
    k2 = Rule("K2", "hardship", "人均收入不高于低保标准的150%，因疾病、工伤、子女非义务教育、租房等支出过大，实际生活低于低保边缘",
              (c3, c4, c5), c3.holds and c4.holds and c5.holds)

    ill = Condition("家庭成员患大病重病", "、".join(f.serious) if f.serious else "否", bool(f.serious))
    t3 = q2(f.annual * med_ratio)
    c6 = compare("当年自付医疗费", facts.medical_cost, "≥", "家庭年收入", t3,
                 expr=f"家庭年收入 {money(f.annual)} × {percent(med_ratio)}")
    c7 = compare("扣除刚性支出后人均月收入", f.net_per_head, "<", "低保边缘标准", edge)
    k3 = Rule("K3", "hardship", "本人或家庭成员患大病重病，当年自付医药费占家庭年收入50%以上，实际生活低于低保边缘",
              (ill, c6, c7), ill.holds and c6.holds and c7.holds)

    d = Condition("遭受灾害或重大意外事故，家庭财产和生活必需品严重损失", yes_no(facts.disaster), facts.disaster)
    k4 = Rule("K4", "hardship", "因灾害、重大意外事故造成家庭财产和生活必需品严重损失", (d,), d.holds)
    return [k1, k2, k3, k4]


def extreme_rules(f: _Figures, facts: Facts, params: Params) -> list[Rule]:
    received = [codes.BasicSupport(s).label for s in facts.basic_support if s in codes.BasicSupport.values]
    base = Condition("已享受最低工资、下岗基本生活费、失业保险金、养老金或低保补差",
                     "、".join(received) if received else "否", bool(received))
    t0 = Rule("T0", "extreme_base", "已享受基本保障仍生活难以为继（特困职工的前提）", (base,), base.holds)

    ill = Condition("家庭成员患大病重病", "、".join(f.serious) if f.serious else "否", bool(f.serious))
    c1 = compare("当年自付医疗费", facts.medical_cost, ">", "家庭当年全部收入", f.annual)
    t1 = Rule("T1", "extreme", "本人及家庭成员患大病重病，年医疗费个人自付部分超过家庭当年全部收入", (ill, c1),
              ill.holds and c1.holds)

    students = [m.name for m in facts.members if m.schooling in codes.NON_COMPULSORY]
    s1 = Condition("子女接受义务教育以外的全日制学历教育", "、".join(students) if students else "否", bool(students))
    s2 = Condition("支付学费特别困难，不经救助面临辍学", yes_no(facts.tuition_hardship), facts.tuition_hardship)
    t2 = Rule("T2", "extreme", "子女接受义务教育以外的全日制学历教育，支付学费特别困难", (s1, s2), s1.holds and s2.holds)

    low, high = WORKING_AGE
    working_age = [m for m in facts.members if low <= m.age <= high]
    employed = [m for m in working_age if m.work_status in codes.EMPLOYED_STATUSES]
    z1 = Comparison(f"劳动年龄（{low}—{high}岁）家庭成员", f"{len(working_age)} 人", "≥", "", "1 人", "",
                    len(working_age) >= 1)
    z2 = Comparison("其中就业人数", f"{len(employed)} 人", "=", "", "0 人", "", not employed)
    t3 = Rule("T3", "extreme", "零就业家庭（劳动年龄成员均未实现就业）", (z1, z2), z1.holds and z2.holds)

    d = Condition("因天灾人祸家庭财产遭受重大损失，影响基本生活", yes_no(facts.disaster), facts.disaster)
    t4 = Rule("T4", "extreme", "由于天灾人祸等原因，家庭财产遭受重大损失，影响基本生活", (d,), d.holds)

    average, topup_ratio = _v(params, AVERAGE_TOPUP), _v(params, TOPUP_RATIO)
    t5_value = q2(average * topup_ratio)
    c5 = compare("家庭人均月低保补差", facts.dibao_topup, "≥", "当地平均补差", t5_value,
                 expr=f"当地平均补差 {money(average)} × {plain(topup_ratio)}")
    t5 = Rule("T5", "extreme", "家庭人均享受低保补差达到当地平均补差标准1.5倍以上", (c5,), c5.holds,
              note="依此条件纳入特困职工的人数原则上不超过当地享受低保总人数的5%（由审批单位掌握）。")

    o = Condition("其他原因造成生活特别困难", yes_no(facts.other_special), facts.other_special)
    t6 = Rule("T6", "extreme", "其他原因造成生活特别困难", (o,), o.holds)
    return [t0, t1, t2, t3, t4, t5, t6]


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def exclusion_rules(f: _Figures, facts: Facts, params: Params) -> list[Rule]:
    x1c = Condition("子女择校或义务教育阶段就读高收费私立学校", yes_no(facts.child_private_school),
                    facts.child_private_school)
    x1 = Rule("X1", "exclusion", "子女择校就读或义务教育期间进入高收费私立学校就读", (x1c,), x1c.holds)
    x2c = Condition("赌博、吸毒、嫖娼、豢养宠物", yes_no(facts.vice), facts.vice)
    x2 = Rule("X2", "exclusion", "赌博、吸毒、嫖娼、豢养宠物", (x2c,), x2c.holds)
    car = Condition("家庭成员拥有或使用汽车", yes_no(facts.has_car), facts.has_car)
    gold = Condition("配戴金银首饰或使用高档消费品", yes_no(facts.luxury_goods), facts.luxury_goods)
    x3 = Rule("X3", "exclusion", "家庭成员拥有或使用汽车、配戴金银首饰或使用高档消费品", (car, gold), car.holds or gold.holds)

    years = _v(params, PURCHASE_YEARS)
    if facts.home_acquired_on is not None:
        window = _years_before(facts.as_of, int(years))
        c = Comparison("购房或建房日期", f"{facts.home_acquired_on:%Y-%m-%d}", "≥",
                       "", f"{window:%Y-%m-%d}", f"认定日 {facts.as_of:%Y-%m-%d} 前 {years} 年",
                       facts.home_acquired_on >= window)
        x4 = Rule("X4", "exclusion", f"近{years}年购买商品房或自建房屋", (c,), c.holds)
    else:
        x4 = Rule("X4", "exclusion", f"近{years}年购买商品房或自建房屋",
                  (Condition("购房或建房日期", "未填写（无自有房屋或购建已久）", False),), False)
    lux = Condition("居住高档住宅", yes_no(facts.luxury_residence), facts.luxury_residence)
    x5 = Rule("X5", "exclusion", "居住高档住宅", (lux,), lux.holds)
    if f.size >= 2:
        per_head = _v(params, AREA_PER_HEAD)
        limit = q2(per_head * f.size)
        c = compare("住房建筑面积", facts.housing_area, ">", "", limit,
                    expr=f"人均 {area(per_head)} × {f.size} 人", fmt=area)
        x6 = Rule("X6", "exclusion", f"家庭成员两人以上，人均住房面积超过{plain(per_head)}平方米", (c,), c.holds,
                  note=f"人均 {area(facts.housing_area / f.size)}")
    else:
        single = _v(params, AREA_SINGLE)
        c = compare("住房建筑面积", facts.housing_area, ">", "一人户上限", single, fmt=area)
        x6 = Rule("X6", "exclusion", f"家庭成员一人，住房面积超过{plain(single)}平方米", (c,), c.holds)
    enabled = bool(_v(params, FAMILY_PLANNING))
    fp = Condition("违反计划生育政策", yes_no(facts.family_planning_breach), facts.family_planning_breach)
    x7 = Rule("X7", "exclusion", "违反计划生育政策", (fp,), enabled and fp.holds, enabled=enabled,
              note="" if enabled else "本单位未启用此项（参数“按计划生育政策排除”为否），不作为排除条件。")
    return [x1, x2, x3, x4, x5, x6, x7]


def evaluate(facts: Facts, params: Params) -> Outcome:
    """Every rule, every ground and every exclusion for ``facts`` under ``params``."""
    missing = [k for k in KEYS if k not in params]
    if missing:
        raise KeyError(f"missing parameters: {missing}")
    f = figures_of(facts)
    hardship = hardship_rules(f, facts, params)
    extreme = extreme_rules(f, facts, params)
    exclusions = exclusion_rules(f, facts, params)
    if any(r.met for r in exclusions):
        verdict = "excluded"
    elif extreme[0].met and any(r.met for r in extreme[1:]):
        verdict = codes.Grade.EXTREME.value
    elif any(r.met for r in hardship):
        verdict = codes.Grade.HARDSHIP.value
    else:
        verdict = "none"
    figures = {"size": str(f.size), "wages": str(q2(f.wages)), "annual_income": str(q2(f.annual)),
               "per_head": str(f.per_head), "spending": str(q2(f.spending)), "net_per_head": str(f.net_per_head)}
    return Outcome(figures, (*hardship, *extreme, *exclusions), verdict)


def replay(facts_json: Mapping[str, Any], params_json: Mapping[str, Any]) -> dict[str, Any]:
    """The outcome JSON recomputed from a stored evaluation's facts and parameters alone."""
    return evaluate(Facts.from_json(facts_json), params_from_json(params_json)).to_json()


# --- Showing a stored trace ---------------------------------------------------------------------------


def clause_text(clause: Mapping[str, Any]) -> str:
    """A stored clause in Chinese (the page and the printed forms read the JSON, not the code)."""
    if clause["type"] == "comparison":
        rhs = f"{clause['expr']} = {clause['right_value']}" if clause["expr"] else \
            f"{clause['right']} {clause['right_value']}".strip()
        return f"{clause['left']} {clause['left_value']} {clause['op']} {rhs}"
    return f"{clause['label']}：{clause['value']}"


def rule_lines(outcome: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each stored rule with its clauses as sentences and its result word."""
    out = []
    for rule in outcome["rules"]:
        exclusion = rule["group"] == "exclusion"
        if not rule.get("enabled", True):
            word = "未启用"
        elif exclusion:
            word = "不予认定" if rule["met"] else "不适用"
        else:
            word = "符合" if rule["met"] else "不符合"
        clauses = [{"text": clause_text(c), "holds": c["holds"]} for c in rule["clauses"]]
        out.append({**rule, "word": word, "clause_texts": clauses,
                    "sentence": "；".join(c["text"] for c in clauses) + f" → {word}"})
    return out


def grouped(outcome: Mapping[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    lines = rule_lines(outcome)
    return [(GROUP_TITLES[g], [r for r in lines if r["group"] == g]) for g in GROUP_TITLES]

