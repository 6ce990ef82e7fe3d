"""Relief grants at their edges: the hardship file and the household, the per-type limit and
cap (no double dipping, enforced by the database too), maker-checker and the approval levels, the
fund source's restriction, holds placed and released, and the cashier's payment paid once."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from funds import services
from funds.models import FundSource, Grant, ReliefType
from servicecenter import approvals
from servicecenter.models import AuditEvent
from servicecenter.roles import Role
from tests.hardship.conftest import make_user

from .conftest import Grants, fund, set_param

S = Grant.Status
D = Decimal


def held(grants: Grants) -> Decimal:
    grants.account.refresh_from_db()
    return grants.account.held


def test_living_relief_needs_an_archived_hardship_file(grants):
    with pytest.raises(ValidationError) as caught:
        grants.apply(relief_type=ReliefType.LIVING, person=grants.person())
    assert "须是在档困难职工" in " ".join(caught.value.message_dict["hardship_file_id"])
    g = grants.apply(relief_type=ReliefType.LIVING)
    assert g.household == f"file:{g.hardship_file_id}" and g.capped


def test_a_file_not_archived_or_of_another_household_is_refused(grants):
    from hardship.models import HardshipFile

    pending = grants.kit.make(HardshipFile.Status.APPLIED)
    with pytest.raises(ValidationError, match="不在档"):
        grants.apply(relief_type=ReliefType.LIVING, file=pending, person=pending.applicant)
    archived = grants.archived_file()
    with pytest.raises(ValidationError, match="不是困难职工档案"):
        grants.apply(relief_type=ReliefType.LIVING, file=archived, person=grants.person())


def test_two_members_of_one_household_cannot_both_get_living_relief(grants):
    from hardship.models import Member

    f = grants.archived_file()
    first = grants.make(S.PAID, relief_type=ReliefType.LIVING, file=f)
    spouse = grants.person(name="王丽")
    Member.objects.filter(file_id=f.pk, relation="spouse").update(person=spouse)
    before = Grant.objects.count()
    with pytest.raises(ValidationError) as caught:
        grants.apply(relief_type=ReliefType.LIVING, file=f, person=spouse)
    message = " ".join(caught.value.message_dict["relief_type"])
    assert "每户每年限一次" in message and str(first.amount) in message and "府山街道" in message
    assert Grant.objects.count() == before
    assert AuditEvent.objects.filter(action="funds.grant_apply.refused", outcome="denied").exists()


def test_the_database_refuses_a_second_live_capped_grant_of_the_household(grants):
    g = grants.apply(relief_type=ReliefType.LIVING)
    with pytest.raises(IntegrityError), transaction.atomic():
        Grant.objects.create(number="JZ-X", org_unit=g.org_unit, person=g.person, household=g.household,
                             relief_type=g.relief_type, period=g.period, capped=True, amount=D("1"), reason="x",
                             token=uuid.uuid4(), applied_on=g.applied_on, applied_by=g.applied_by)


def test_a_cancelled_grant_frees_the_household_cap(grants):
    g = grants.make(S.CANCELLED, relief_type=ReliefType.LIVING)
    from hardship.models import HardshipFile

    f = HardshipFile.objects.get(pk=g.hardship_file_id)
    again = grants.apply(relief_type=ReliefType.LIVING, file=f)
    assert again.status == S.APPLIED


@pytest.mark.parametrize("amount, message", [("0", "金额须大于零"), ("-1", "金额须大于零"), ("10000.01", "最多 10000")])
def test_amounts_outside_the_type_limit_are_refused(grants, amount, message):
    with pytest.raises(ValidationError) as caught:
        grants.apply(relief_type=ReliefType.EMERGENCY, amount=amount)
    assert message in " ".join(caught.value.message_dict["amount"])


def test_the_limit_is_a_parameter(grants, units):
    set_param(units["330602"], "funds.limit.emergency", "500")
    with pytest.raises(ValidationError, match="最多 500"):
        grants.apply(relief_type=ReliefType.EMERGENCY, amount="500.01")


def test_medical_relief_needs_the_original_receipts(grants):
    with pytest.raises(ValidationError) as caught:
        grants.apply(relief_type=ReliefType.MEDICAL, evidence="")
    assert "原始票据" in " ".join(caught.value.message_dict["evidence"])


def test_nobody_approves_their_own_application(grants):
    g = grants.apply(by=grants.sup)
    services.grant_verify(grant=g, by=grants.worker, note="属实")
    with pytest.raises(ValidationError, match="不能审批本人"):
        services.grant_approve(grant=g, by=grants.sup, account=grants.account)
    g.refresh_from_db()
    assert g.status == S.VERIFIED and held(grants) == 0


def test_approval_places_a_hold_and_rejection_or_revocation_releases_it(grants):
    g = grants.make(S.APPROVED, amount="1200")
    assert g.hold is not None and held(grants) == D("1200.00")
    services.grant_revoke(grant=g, by=grants.sup, reason="对象已去世")
    assert held(grants) == 0
    g2 = grants.make(S.VERIFIED)
    services.grant_reject(grant=g2, by=grants.sup, reason="不符合条件")
    assert held(grants) == 0


def test_above_the_threshold_the_city_approves_too(grants, users):
    g = grants.make(S.VERIFIED, amount="8000")
    services.grant_approve(grant=g, by=grants.sup, account=grants.account, opinion="同意，报市")
    g.refresh_from_db()
    assert g.status == S.VERIFIED and g.hold is None and held(grants) == 0
    pending = approvals.pending(g).get()
    assert pending.org_unit.code == "330600" and pending.level == 2
    with pytest.raises(ValidationError):  # the district has decided its level
        services.grant_approve(grant=g, by=grants.sup, account=grants.account)
    services.grant_approve(grant=g, by=users["city_sup"], account=grants.account, opinion="同意")
    g.refresh_from_db()
    assert g.status == S.APPROVED and held(grants) == D("8000.00")


def test_a_source_restricted_to_other_types_cannot_pay(grants, users, units):
    medical_only = fund(users, units, "5000", restriction=(ReliefType.MEDICAL,), kind=FundSource.Kind.CENTRAL)
    g = grants.make(S.VERIFIED)
    with pytest.raises(ValidationError) as caught:
        services.grant_approve(grant=g, by=grants.sup, account=medical_only)
    assert "限定用于医疗救助" in " ".join(caught.value.message_dict["account"])
    g.refresh_from_db()
    assert g.status == S.VERIFIED


def test_approval_beyond_the_available_money_is_refused(grants, users, units):
    small = fund(users, units, "500")
    g = grants.make(S.VERIFIED, amount="800")
    with pytest.raises(ValidationError, match="可用余额不足"):
        services.grant_approve(grant=g, by=grants.sup, account=small)
    g.refresh_from_db()
    assert g.status == S.VERIFIED and approvals.pending(g).exists()


def test_earlier_help_of_an_uncapped_type_needs_a_reason_to_approve(grants):
    person = grants.person()
    grants.make(S.PAID, person=person)
    g = grants.make(S.VERIFIED, person=person)
    with pytest.raises(ValidationError) as caught:
        services.grant_approve(grant=g, by=grants.sup, account=grants.account)
    assert "重复救助确认理由" in " ".join(caught.value.message_dict["confirm_reason"])
    services.grant_approve(grant=g, by=grants.sup, account=grants.account, confirm_reason="再次遭灾，情况属实")
    g.refresh_from_db()
    assert g.status == S.APPROVED and g.prior_confirm_reason == "再次遭灾，情况属实"
    assert "重复救助确认" in g.events.get(kind="approve").note


def test_only_the_cashier_pays(grants, users):
    g = grants.make(S.APPROVED)
    for name in ("d1_sup", "d1_accountant", "s11_worker"):
        with pytest.raises(PermissionDenied):
            services.grant_pay(grant=g, by=users[name], key="k1", method=Grant.Method.CASH)
    g.refresh_from_db()
    assert g.status == S.APPROVED


def test_a_double_submitted_payment_pays_once(grants):
    g = grants.make(S.APPROVED, amount="600")
    grants.account.refresh_from_db()
    balance = grants.account.balance
    services.grant_pay(grant=g, by=grants.cashier, key="pay-form-1", method=Grant.Method.CASH)
    services.grant_pay(grant=g, by=grants.cashier, key="pay-form-1", method=Grant.Method.CASH)
    grants.account.refresh_from_db()
    assert grants.account.balance == balance - D("600") and grants.account.held == 0
    with pytest.raises(ValidationError, match="已发放，不能重复发放"):
        services.grant_pay(grant=g, by=grants.cashier, key="pay-form-2", method=Grant.Method.CASH)
    assert grants.account.entries.filter(kind="disburse").count() == 1
    assert AuditEvent.objects.filter(action="funds.grant_pay.refused").exists()


def test_nobody_pays_what_they_approved(grants, units):
    both = make_user("d1_both", units["330602"], Role.SUPERVISOR, Role.CASHIER)
    g = grants.make(S.VERIFIED)
    services.grant_approve(grant=g, by=both, account=grants.account)
    with pytest.raises(ValidationError, match="不能发放本人"):
        services.grant_pay(grant=g, by=both, key="k", method=Grant.Method.CASH)


def test_a_proxy_is_recorded_with_a_valid_id(grants):
    from tests.conftest import new_id_number

    g = grants.make(S.APPROVED)
    with pytest.raises(ValidationError) as caught:
        services.grant_pay(grant=g, by=grants.cashier, key="k", method=Grant.Method.CASH, by_proxy=True,
                           proxy_name="赵小明", proxy_relation="儿子", proxy_id_number="123")
    assert "18位" in " ".join(caught.value.message_dict["proxy_id_number"])
    number = new_id_number()
    services.grant_pay(grant=g, by=grants.cashier, key="k", method=Grant.Method.CASH, by_proxy=True,
                       proxy_name="赵小明", proxy_relation="儿子", proxy_id_number=number)
    g.refresh_from_db()
    assert g.status == S.PAID and g.proxy_id_masked == number[:6] + "********" + number[-4:]
