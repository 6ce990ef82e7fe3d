"""Fictitious but valid demo data: names, resident ID numbers and credit codes with correct check
digits, the demo organisation and its accounts. Used by ``seed_demo`` and by the tests."""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass

from stdnum.cn import ric, uscc

from .roles import Role

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕红梅玉兰春梅晓东丽娟小红文斌金凤国平永明卫东淑珍凤英德明"
STREETS = ["解放北路", "中兴中路", "胜利东路", "人民西路", "环城南路", "延安路", "城南大道", "江扬路", "市民大道", "百官街"]
COMPANY_WORDS = ["越兴", "鉴湖", "兰亭", "会稽", "稽山", "上虞", "曹娥", "古越", "镜湖", "东湖", "若耶", "府山"]
COMPANY_KINDS = [("纺织印染有限公司", "C"), ("机械制造有限公司", "C"), ("建筑工程有限公司", "E"),
                 ("物流有限公司", "G"), ("餐饮管理有限公司", "H"), ("商贸有限公司", "F"),
                 ("电子科技有限公司", "I"), ("物业服务有限公司", "O"), ("黄酒股份有限公司", "C"),
                 ("家政服务有限公司", "O")]
# Region codes in use for a long time, so that any birth year in the demo range looks plausible.
ID_REGIONS = ["330602", "330624", "330681", "330683", "330621"]


def resident_id(region: str, birth: datetime.date, serial: int, *, male: bool) -> str:
    """A GB 11643 number with a correct check digit. ``serial`` 0–499 picks the order code."""
    order = serial * 2 + (1 if male else 0)
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(region: str, serial: int) -> str:
    """A GB 32100 code for an enterprise (登记管理部门 9 工商, 类别 1 企业)."""
    body = f"91{region}{serial:09d}"[:17]
    body = body[:8] + "MA" + body[10:]  # the organisation part of post-2015 codes starts with letters
    return body + uscc.calc_check_digit(body)


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given[:2]


def mobile(rng: random.Random) -> str:
    return rng.choice(["13", "15", "17", "18"]) + f"{rng.randrange(10**9):09d}"


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str
    parent: str | None


ORGANISATION = [
    UnitSpec("330600", "绍兴市职工服务中心", "city", None),
    UnitSpec("330602", "越城区职工服务中心", "district", "330600"),
    UnitSpec("330602001", "府山街道工会服务站", "station", "330602"),
    UnitSpec("330602002", "塔山街道工会服务站", "station", "330602"),
    UnitSpec("330604", "上虞区职工服务中心", "district", "330600"),
    UnitSpec("330604001", "百官街道工会服务站", "station", "330604"),
    UnitSpec("330604002", "曹娥街道工会服务站", "station", "330604"),
    UnitSpec("330600I01", "市纺织产业工会", "industry", "330600"),
    UnitSpec("330600I0101", "越兴纺织集团工会", "company", "330600I01"),
    UnitSpec("330600I010101", "越兴印染厂工会", "base", "330600I0101"),
]

STATIONS = ["330602001", "330602002", "330604001", "330604002"]


@dataclass(frozen=True)
class AccountSpec:
    username: str
    full_name: str
    unit: str
    roles: tuple[Role, ...]


ACCOUNTS = [
    AccountSpec("sysadmin", "系统管理员", "330600", (Role.SYSADMIN,)),
    AccountSpec("secaudit", "安全审计员", "330600", (Role.SECAUDIT,)),
    AccountSpec("auditor", "审计员钱敏", "330600", (Role.AUDITOR,)),
    AccountSpec("city_sup", "市中心主任周建国", "330600", (Role.SUPERVISOR,)),
    AccountSpec("d1_sup", "越城区分管主席陈红梅", "330602", (Role.SUPERVISOR,)),
    AccountSpec("d2_sup", "上虞区分管主席黄志强", "330604", (Role.SUPERVISOR,)),
    AccountSpec("d1_accountant", "越城区会计许丽娟", "330602", (Role.ACCOUNTANT,)),
    AccountSpec("d1_cashier", "越城区出纳沈小红", "330602", (Role.CASHIER,)),
    AccountSpec("s11_clerk", "府山站接待员王芳", "330602001", (Role.CLERK,)),
    AccountSpec("s11_worker", "府山站工作人员李强", "330602001", (Role.WORKER,)),
    AccountSpec("s12_clerk", "塔山站接待员张敏", "330602002", (Role.CLERK,)),
    AccountSpec("s21_clerk", "百官站接待员刘洋", "330604001", (Role.CLERK,)),
    # Each station's worker files its monthly summary (DOMAIN §1).
    AccountSpec("s12_worker", "塔山站工作人员孙丽", "330602002", (Role.WORKER,)),
    AccountSpec("s21_worker", "百官站工作人员马超", "330604001", (Role.WORKER,)),
    AccountSpec("s22_worker", "曹娥站工作人员朱静", "330604002", (Role.WORKER,)),
]


_BIRTH_START = datetime.date(1960, 1, 1)


def _identity_parts(i: int) -> tuple[str, datetime.date, int]:
    """Region, birth date and serial of person index ``i``; distinct for every index below 20 million.

    5 regions × 250 serials per birthday, birthdays ``37 × k mod 16000`` days after 1960-01-01 (37 is
    prime to 16000, so they do not repeat for 16000 consecutive k): 1,000,000 people span 800 days
    spread over 44 years of birth dates.
    """
    region = ID_REGIONS[i % len(ID_REGIONS)]
    day_index, serial = divmod(i // len(ID_REGIONS), 250)
    birth = _BIRTH_START + datetime.timedelta(days=(day_index * 37) % 16000)
    serial = serial + 250 * (((day_index * 37) // 16000) % 2)
    return region, birth, serial


def _demo_birth(i: int) -> datetime.date:
    """Demo person ``i``'s birthday: spread over 1960–2003 (ages about 22 to 66), on days the bulk
    people never use — the bulk ones are born ``37k`` or ``37k + 21`` … days after 1960-01-01
    (``_identity_parts``); these ``37m + 18`` days after, which the bulk series reaches only past
    nine million people. 97 is prime to 430, so the first 430 demo people have distinct birthdays."""
    return _BIRTH_START + datetime.timedelta(days=37 * ((i * 97) % 430) + 18)


def people_rows(count: int, *, seed: int = 2026, offset: int = 0) -> Iterator[dict]:
    """Deterministic people: unique ID numbers for indices ``offset`` .. ``offset + count``, with
    varied birth dates (so ages) and sexes.

    Used for the 200 demo people; the tests read what it yields from here."""
    rng = random.Random(seed + offset)
    for i in range(offset, offset + count):
        region, _, serial = _identity_parts(i)
        birth = _demo_birth(i)
        male = rng.random() < 0.55
        jobless = "unemployed" if rng.random() < 0.05 else ""
        yield {
            "name": person_name(rng),
            "id_number": resident_id(region, birth, serial, male=male),
            "phone": mobile(rng),
            "address": f"绍兴市{rng.choice(STREETS)}{rng.randrange(1, 400)}号",
            "is_union_member": rng.random() < 0.6,
            "is_migrant_worker": rng.random() < 0.2,
            "model_worker": "city" if rng.random() < 0.02 else "",
            "jobless_certificate": jobless,
            "jobless_certificate_number": f"SY3306{i:08d}" if jobless else "",
        }


# --- Data at scale (``seed_demo --scale N``) ---------------------------------------------------------
# Bulk people are numbered from BULK_OFFSET (after the demo people); each one's ID number depends on
# its index alone, so the loader can tell which blocks are already there without generating them.

BULK_OFFSET = 200
EXTRA_STATIONS_PER_DISTRICT = 48
_DISTRICT_SHORT = {"330602": "越城区", "330604": "上虞区"}
_STATION_WORDS = "城东城西城南城北北海灵芝东湖鉴湖东浦陶堰富盛皋埠马山孙端斗门稽山迪荡蕺山梅山丰惠章镇盖北汤浦永和崧厦谢塘驿亭长塘岭南下管陈溪丁宅小越道墟"
EMPLOYERS_PER_PERSON = 30  # one employer for every 30 bulk people
_EMPLOYER_PREFIXES = ["绍兴", "绍兴市", "浙江", "越城区", "上虞区", "柯桥区", "诸暨"]


def extra_stations() -> list[UnitSpec]:
    """More stations under each district, so that a million people spread as in a real city
    (about 1 % of them per station) instead of a quarter each over the four demo stations."""
    out = []
    words = [_STATION_WORDS[k:k + 2] for k in range(0, len(_STATION_WORDS), 2)]
    for district, short in _DISTRICT_SHORT.items():
        for n in range(3, 3 + EXTRA_STATIONS_PER_DISTRICT):
            word = words[(n + (0 if district == "330602" else 11)) % len(words)]
            out.append(UnitSpec(f"{district}{n:03d}", f"{short}{word}第{n}工会服务站", "station", district))
    return out


def bulk_male(i: int) -> bool:
    return (i * 2654435761) % 1000 < 550


def bulk_id_number(i: int) -> str:
    """The ID number of bulk person ``i`` (no randomness: the loader probes for it)."""
    region, birth, serial = _identity_parts(i)
    return resident_id(region, birth, serial, male=bulk_male(i))


def bulk_people_rows(start: int, count: int, *, seed: int = 2026) -> Iterator[dict]:
    """Bulk people ``start`` .. ``start + count``. Deterministic for a given ``start``: generating a
    block again, or a shorter prefix of it, gives the same rows."""
    rng = random.Random(seed * 1_000_003 + start)
    for i in range(start, start + count):
        jobless = "unemployed" if rng.random() < 0.05 else ""
        union = rng.random() < 0.6
        yield {
            "index": i,
            "name": person_name(rng),
            "id_number": bulk_id_number(i),
            "phone": mobile(rng),
            "address": f"绍兴市{rng.choice(STREETS)}{rng.randrange(1, 400)}号",
            "is_union_member": union,
            "union_card_number": f"ZJ{rng.randrange(10**8):08d}" if union else "",
            "is_migrant_worker": rng.random() < 0.2,
            "model_worker": "city" if rng.random() < 0.02 else "",
            "jobless_certificate": jobless,
            "jobless_certificate_number": f"SY3306{i:08d}" if jobless else "",
            "has_employer": rng.random() < 0.8,
            "employer_pick": rng.random(),
        }


def bulk_employer(j: int) -> dict:
    """Bulk employer ``j``: a valid credit code that no demo or test employer uses."""
    rng = random.Random(7_000_000 + j)
    word = COMPANY_WORDS[j % len(COMPANY_WORDS)] + COMPANY_WORDS[(j // len(COMPANY_WORDS)) % len(COMPANY_WORDS)]
    kind, industry = COMPANY_KINDS[(j * 7) % len(COMPANY_KINDS)]
    region = ID_REGIONS[j % len(ID_REGIONS)]
    return {
        "name": f"{_EMPLOYER_PREFIXES[(j // 144) % len(_EMPLOYER_PREFIXES)]}{word}{kind}",
        "credit_code": credit_code(region, 1_000_000 + j),
        "legal_representative": person_name(rng),
        "address": f"绍兴市{rng.choice(STREETS)}{rng.randrange(1, 900)}号",
        "contact_person": person_name(rng),
        "contact_phone": mobile(rng),
        "industry": industry,
        "union_status": "established" if j % 4 else "none",
    }
