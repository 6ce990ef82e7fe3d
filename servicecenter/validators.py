"""Checks for the identifiers staff type in: resident ID (GB 11643), credit code (GB 32100), phone.

Each returns the normalised value or raises ``ValidationError`` with a message a clerk understands.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def normalise_resident_id(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def validate_resident_id(value: str, *, today: datetime.date | None = None) -> str:
    number = normalise_resident_id(value)
    if len(number) != 18:
        raise ValidationError(f"身份证号码应为18位，现在是{len(number)}位。", code="length")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError("身份证号码前17位应为数字，最后一位为数字或X。", code="format")
    try:
        birth = ric.get_birth_date(number)
    except InvalidComponent:
        raise ValidationError(
            f"身份证号码中的出生日期 {number[6:10]}-{number[10:12]}-{number[12:14]} 不存在。", code="birth_date"
        ) from None
    if birth > (today or datetime.date.today()) or birth.year < 1900:
        raise ValidationError(f"身份证号码中的出生日期 {birth:%Y-%m-%d} 不合理。", code="birth_date")
    if number[17] != ric.calc_check_digit(number):
        raise ValidationError("身份证号码校验位不正确，请核对后重新输入。", code="checksum")
    if not _province_known(number[:2]):
        raise ValidationError(f"身份证号码前2位 {number[:2]} 不是有效的省级行政区划代码。", code="region")
    return number


def _province_known(code: str) -> bool:
    # Only the province is checked: the county part is the place of first issue, which may have
    # been renamed or created after the holder's birth, so stdnum's stricter birth-year check would
    # turn away real people.
    return any("province" in props for _, props in numdb.get("cn/loc").info(code + "0000"))


def resident_id_sex(number: str) -> str:
    """'M' or 'F' from the 17th digit (odd for men), as GB 11643 defines."""
    return "M" if int(number[16]) % 2 else "F"


def resident_id_birth_date(number: str) -> datetime.date:
    return ric.get_birth_date(number)


def mask_resident_id(number: str) -> str:
    return f"{number[:6]}********{number[-4:]}"


def normalise_uscc(value: str) -> str:
    return re.sub(r"[\s-]+", "", value or "").upper()


def validate_uscc(value: str) -> str:
    code = normalise_uscc(value)
    if len(code) != 18:
        raise ValidationError(f"统一社会信用代码应为18位，现在是{len(code)}位。", code="length")
    try:
        uscc.validate(code)
    except InvalidChecksum:
        raise ValidationError("统一社会信用代码校验位不正确，请核对后重新输入。", code="checksum") from None
    except (InvalidFormat, InvalidLength):
        raise ValidationError(
            "统一社会信用代码格式不正确（第3—8位为行政区划数字，不含I、O、Z、S、V）。", code="format"
        ) from None
    return code


def normalise_phone(value: str) -> str:
    return re.sub(r"[\s()（）]+", "", value or "")


def validate_phone(value: str) -> str:
    phone = normalise_phone(value)
    if phone.startswith("+86"):
        phone = phone[3:]
    if MOBILE_RE.match(phone) or LANDLINE_RE.match(phone):
        return phone
    raise ValidationError("请输入11位手机号码，或带区号的固定电话（如 0575-88123456）。", code="phone")
