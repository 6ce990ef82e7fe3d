import datetime

import pytest
from django.core.exceptions import ValidationError

from servicecenter import demo
from servicecenter.validators import (
    mask_resident_id,
    resident_id_birth_date,
    resident_id_sex,
    validate_phone,
    validate_resident_id,
    validate_uscc,
)

VALID_ID = demo.resident_id("330602", datetime.date(1975, 3, 12), 0, male=True)
VALID_USCC = demo.credit_code("330602", 1234)


def _wrong_last(value: str, alphabet: str) -> str:
    return value[:-1] + next(c for c in alphabet if c != value[-1])


def test_valid_resident_id_is_normalised_and_parsed():
    assert validate_resident_id(f" {VALID_ID[:6]} {VALID_ID[6:].lower()} ") == VALID_ID
    assert resident_id_birth_date(VALID_ID) == datetime.date(1975, 3, 12)
    assert resident_id_sex(VALID_ID) == "M"
    assert resident_id_sex(demo.resident_id("330602", datetime.date(1975, 3, 12), 0, male=False)) == "F"
    assert mask_resident_id(VALID_ID) == VALID_ID[:6] + "********" + VALID_ID[-4:]


def test_x_check_digit_is_accepted():
    # Find a serial whose check digit is X, to prove the X is handled (and lower-case x too).
    number = next(n for n in (demo.resident_id("330602", datetime.date(1990, 1, 1), s, male=True) for s in range(400))
                  if n.endswith("X"))
    assert validate_resident_id(number.lower()) == number


@pytest.mark.parametrize(("value", "message"), [
    (_wrong_last(VALID_ID, "0123456789"), "校验位不正确"),
    ("330602197502300017", "出生日期 1975-02-30 不存在"),
    ("33060219750312001", "应为18位，现在是17位"),
    ("3306021975031200177", "应为18位，现在是19位"),
    ("33060219750312A017", "前17位应为数字"),
    ("", "应为18位，现在是0位"),
])
def test_bad_resident_ids_get_a_chinese_message(value, message):
    with pytest.raises(ValidationError) as exc:
        validate_resident_id(value)
    assert message in exc.value.messages[0]


def test_future_birth_date_is_refused():
    body = "33060220990101001"
    from stdnum.cn import ric

    with pytest.raises(ValidationError, match="不合理"):
        validate_resident_id(body + ric.calc_check_digit(body + "0"))


def test_unknown_province_is_refused():
    from stdnum.cn import ric

    body = "99060219750312001"
    with pytest.raises(ValidationError, match="省级行政区划"):
        validate_resident_id(body + ric.calc_check_digit(body + "0"))


def test_valid_credit_code():
    assert validate_uscc(VALID_USCC.lower()) == VALID_USCC


@pytest.mark.parametrize(("value", "message"), [
    (_wrong_last(VALID_USCC, "0123456789ABCDEFGHJKLMNPQRTUWXY"), "校验位不正确"),
    (VALID_USCC[:-1], "应为18位，现在是17位"),
    (VALID_USCC + "1", "应为18位，现在是19位"),
    ("91330602MA2BCDEFGZ", "格式不正确"),
    ("9133O602MA2BCDEFG1", "格式不正确"),
])
def test_bad_credit_codes_get_a_chinese_message(value, message):
    with pytest.raises(ValidationError) as exc:
        validate_uscc(value)
    assert message in exc.value.messages[0]


@pytest.mark.parametrize(("value", "expected"), [
    ("13800138000", "13800138000"), ("138 0013 8000", "13800138000"), ("+8613800138000", "13800138000"),
    ("0575-88123456", "0575-88123456"), ("057588123456", "057588123456"), ("010-12345678-801", "010-12345678-801"),
])
def test_valid_phones(value, expected):
    assert validate_phone(value) == expected


@pytest.mark.parametrize("value", ["12345678901", "1380013800", "88123456", "abc", "0575-123", ""])
def test_bad_phones(value):
    with pytest.raises(ValidationError, match="手机号码"):
        validate_phone(value)


def test_fast_select_renderer_matches_djangos_markup():
    from django import forms
    from django.forms.renderers import DjangoTemplates

    from servicecenter.forms import FastSelectRenderer

    class F(forms.Form):
        plain = forms.ChoiceField(choices=[("a", "甲<b>"), ("b", "乙")], initial="b")
        grouped = forms.ChoiceField(choices=[("组", [("1", "一"), ("2", "二")]), ("3", "三")], required=False)
        many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")], initial=["x", "y"])

    def squash(html: str) -> str:
        return "".join(line.strip() for line in str(html).splitlines())

    for name in ("plain", "grouped", "many"):
        fast = F(renderer=FastSelectRenderer())[name].as_widget()
        django = F(renderer=DjangoTemplates())[name].as_widget()
        assert squash(fast) == squash(django), name
