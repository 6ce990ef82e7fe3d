"""批量救助 and the bank file round trip (funds/batches.py, funds/bank_files.py): the list chosen
by a filter with each household's help this year, the cap and the limit, maker-checker, one hold
per line placed in one transaction at approval, payment per line, the bank list out and the bank's
result in (success paid once, failure released and re-issued, paid lines never re-sent), malformed
result files, access, pinned query counts, and the workflow's generated tests."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from funds import batches, ledger, services
from funds.batch_models import BankTransfer, Batch, BatchLine
from funds.models import Budget, FundSource, Grant, LedgerEntry, ReliefType
from servicecenter.models import Approval
from servicecenter.roles import Role
from tests.hardship.conftest import make_user
from tests.kernel import run_case, workflow_cases

from .conftest import Grants, fund

D = Decimal
S = Batch.Status
L = BatchLine.State
GS = Grant.Status


class Batches:
    """Archived files at station 330602001 and batches of them: built by the station worker,
    approved by the district supervisor on the district's donation account, paid by the cashier."""

    def __init__(self, grants: Grants) -> None:
        self.g = grants
        self.users, self.units = grants.users, grants.units
        self.worker, self.sup, self.cashier = grants.worker, grants.sup, grants.cashier
        self.station = grants.station
        self.account = grants.account

    def files(self, n: int = 3, grade: str = "extreme") -> list[Any]:
        from hardship.models import HardshipFile

        out = []
        for _ in range(n):
            f = self.g.archived_file()
            HardshipFile.objects.filter(pk=f.pk).update(grade=grade)
            f.refresh_from_db()
            out.append(f)
        return out

    def build(self, *, relief_type: str = ReliefType.HOLIDAY, amount: str = "500.00", grade: str = "",
              by: Any = None, unit: Any = None, title: str = "2026年春节送温暖") -> Batch:
        return batches.batch_create(by=by or self.worker, token=uuid.uuid4(), org_unit=unit or self.station,
                                    title=title, relief_type=relief_type, grade=grade, amount=amount)

    def bank(self, batch: Batch) -> None:
        for line in batch.lines.all():
            batches.batch_set_bank_account(batch=batch, by=self.worker, line=line, account_name=line.account_name,
                                           bank_name="中国银行绍兴分行", account_number=f"62166100000{line.seq:05d}")

    def approve(self, batch: Batch, **kwargs: Any) -> Batch:
        kwargs.setdefault("account", self.account)
        batches.batch_approve(batch=batch, by=self.sup, opinion="同意", **kwargs)
        batch.refresh_from_db()
        return batch

    def make(self, state: str) -> Batch:
        if not getattr(self, "_files", None):
            self._files = self.files(2)
        b = self.build()
        self.bank(b)
        if state == S.BUILT:
            return b
        if state == S.REJECTED:
            batches.batch_reject(batch=b, by=self.sup, reason="资金未到位")
            b.refresh_from_db()
            return b
        self.approve(b)
        if state == S.CLOSED:
            batches.batch_close(batch=b, by=self.sup, reason="春节已过")
            b.refresh_from_db()
        return b


@pytest.fixture
def bx(grants: Grants) -> Batches:
    return Batches(grants)


def result_file(rows: list[tuple], header: tuple = ("业务参考号", "户名", "金额（元）", "处理结果", "失败原因"),
                name: str = "回盘.xlsx") -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue(),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def bank_rows(response) -> list[tuple]:
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def books(account) -> None:
    account.refresh_from_db()
    assert ledger.ledger_sum(account) == (account.balance, account.held)
    assert 0 <= account.held_cents <= account.balance_cents


# --- the list ------------------------------------------------------------------------------------------------


def test_the_preview_lists_archived_files_with_their_help_this_year_and_leaves_out_the_capped(bx, grants):
    from hardship.models import HardshipFile

    a, b, c = bx.files(3)
    bx.g.kit.make(HardshipFile.Status.SUBMITTED)  # not archived: never listed
    ordinary = bx.files(1, grade="hardship")[0]
    # a: living relief already this year (capped type); b: an emergency grant (another type).
    grants.apply(relief_type=ReliefType.LIVING, file=a, amount="800")
    grants.apply(relief_type=ReliefType.EMERGENCY, file=b, amount="300")
    p = batches.batch_preview(by=bx.worker, org_unit=bx.station, grade="", relief_type=ReliefType.LIVING,
                              amount="600")
    assert [x.file_id for x in p.included] == [b.pk, c.pk, ordinary.pk]
    assert [x.file_id for x in p.excluded] == [a.pk]
    assert "每户每年限一次" in p.excluded[0].excluded and "800.00 元" in p.excluded[0].excluded
    helped = p.included[0].prior
    assert [(h["type_display"], h["amount"], h["unit"]) for h in helped] == [("临时/应急救助", "300.00", str(bx.station))]
    assert p.total == D("1800.00")
    only_extreme = batches.batch_preview(by=bx.worker, org_unit=bx.station, grade="extreme",
                                         relief_type=ReliefType.HOLIDAY, amount="500")
    assert ordinary.pk not in [x.file_id for x in only_extreme.included] and len(only_extreme.included) == 3


def test_an_uncapped_type_already_given_is_flagged_and_needs_a_reason_to_approve(bx, grants):
    f, _ = bx.files(2)
    grants.apply(relief_type=ReliefType.HOLIDAY, file=f, amount="200")
    b = bx.build()
    flagged = b.lines.get(grant__hardship_file_id=f.pk)
    assert any(p.get("flag") for p in flagged.prior)
    with pytest.raises(ValidationError) as caught:
        bx.approve(b)
    assert "须填写重复救助确认理由" in str(caught.value) and "confirm_reason" in caught.value.error_dict
    bx.approve(b, confirm_reason="春节慰问与此前临时慰问不同")
    assert b.status == S.APPROVED
    assert flagged.grant.__class__.objects.get(pk=flagged.grant_id).prior_confirm_reason == "春节慰问与此前临时慰问不同"


@pytest.mark.parametrize(("amount", "message"), [("0", "金额须大于零"), ("2000.01", "每户最多 2000"),
                                                  ("abc", "请填写金额")])
def test_the_amount_per_household_at_its_edges(bx, amount, message):
    bx.files(1)
    with pytest.raises(ValidationError) as caught:
        bx.build(amount=amount)
    assert message in str(caught.value) and Batch.objects.count() == 0 and Grant.objects.count() == 0
    assert bx.build(amount="2000.00").total == D("2000.00")


def test_the_amount_is_within_the_limit_of_every_grade_on_the_list(bx, units):
    from .conftest import set_param

    bx.files(1)  # 特困 (bx's default grade)
    bx.files(1, grade="hardship")
    set_param(units["330602"], "funds.limit.holiday.hardship", "800")
    set_param(units["330602"], "funds.limit.holiday.extreme", "2500")  # above the type's 2000
    with pytest.raises(ValidationError) as caught:
        bx.build(amount="800.01")
    assert caught.value.message_dict["amount"] == [
        "困难职工节日慰问（送温暖）每次最多 800 元：名单中有 1 户困难职工，请降低金额或按困难类别分批。"]
    assert Batch.objects.count() == 0
    # Only the 特困 households: their own limit, above the type's, applies.
    assert bx.build(amount="2500.00", grade="extreme").total == D("2500.00")


def test_a_unit_out_of_scope_and_an_empty_list_are_refused(bx, units):
    bx.files(1)
    with pytest.raises(ValidationError) as caught:
        bx.build(unit=units["330602002"])  # the sibling station: not the worker's
    assert "请从列表中选择本单位或下级单位" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        bx.build(grade="hardship")  # every file here is 特困
    assert "没有符合条件的在档困难职工" in str(caught.value) and Batch.objects.count() == 0


def test_each_line_is_a_grant_the_register_and_the_cap_see(bx, grants):
    f1, f2 = bx.files(2)
    b = bx.build(relief_type=ReliefType.LIVING, amount="600")
    assert b.households == 2 and b.total == D("1200.00")
    lines = list(b.lines.select_related("grant"))
    assert [(x.grant.status, x.grant.batch_id, x.grant.household, x.state) for x in lines] == [
        (GS.VERIFIED, b.pk, f"file:{f1.pk}", L.PENDING), (GS.VERIFIED, b.pk, f"file:{f2.pk}", L.PENDING)]
    assert Approval.objects.get(object_id=b.pk, kind="funds.batch").status == Approval.Status.PENDING
    # The household cap: a single living-relief application for a household on the list is refused.
    with pytest.raises(ValidationError) as caught:
        grants.apply(relief_type=ReliefType.LIVING, file=f1, amount="300")
    assert "每户每年限一次" in str(caught.value)
    assert services.prior_grants(household=f"file:{f1.pk}", relief_type=ReliefType.LIVING, period=b.period) == [
        lines[0].grant]
    # The same token twice makes one batch.
    assert batches.batch_create(by=bx.worker, token=b.token, org_unit=bx.station, title="x",
                                relief_type=ReliefType.LIVING, grade="", amount="600") == b


def test_a_single_application_registered_while_the_list_is_made_stops_the_batch(bx, grants, monkeypatch):
    f, _ = bx.files(2)
    real = batches.batch_preview

    def meanwhile(**kwargs):  # the preview is read, then a counter registers living relief for f
        preview = real(**kwargs)
        grants.apply(relief_type=ReliefType.LIVING, file=f, amount="300")
        return preview

    monkeypatch.setattr(batches, "batch_preview", meanwhile)
    with pytest.raises(ValidationError) as caught:
        bx.build(relief_type=ReliefType.LIVING, amount="600")
    assert "请重新预览名单" in str(caught.value)
    assert Batch.objects.count() == 0 and not Grant.objects.filter(batch__isnull=False).exists()


def test_a_rejected_batch_frees_the_households(bx, grants):
    f, _ = bx.files(2)
    b = bx.build(relief_type=ReliefType.LIVING, amount="600")
    batches.batch_reject(batch=b, by=bx.sup, reason="资金未到位")
    assert set(Grant.objects.filter(batch=b).values_list("status", flat=True)) == {GS.REJECTED}
    assert grants.apply(relief_type=ReliefType.LIVING, file=f, amount="300").status == GS.APPLIED


# --- approval ---------------------------------------------------------------------------------------------


def test_approval_places_one_hold_per_line_and_reserves_the_total(bx, grants):
    bx.files(3)
    import datetime

    Budget.objects.create(org_unit=bx.units["330602"], year=datetime.date.today().year, relief_type=ReliefType.HOLIDAY,
                          amount_cents=200000)
    b = bx.approve(bx.build())
    account = bx.account
    account.refresh_from_db()
    holds = LedgerEntry.objects.filter(account=account, kind="hold")
    assert holds.count() == 3 and {h.amount for h in holds} == {D("500.00")}
    assert account.held == D("1500.00")
    assert Budget.objects.get().committed == D("1500.00")
    assert set(b.lines.values_list("state", flat=True)) == {L.READY}
    assert set(Grant.objects.filter(batch=b).values_list("status", flat=True)) == {GS.APPROVED}
    books(account)


def test_a_file_that_left_the_archive_before_approval_is_not_paid(bx):
    from hardship import codes
    from hardship import services as hardship

    f1, f2 = bx.files(2)
    b = bx.build()
    hardship.file_exit(file=f2, by=bx.worker, reason=codes.ExitReason.REEMPLOYED, note="已再就业")
    b = bx.approve(b)
    states = dict(b.lines.values_list("grant__hardship_file_id", "state"))
    assert states == {f1.pk: L.READY, f2.pk: L.CLOSED}
    assert Grant.objects.get(hardship_file_id=f2.pk).status == GS.CANCELLED
    bx.account.refresh_from_db()
    assert bx.account.held == D("500.00")
    assert "1 户档案已不在档" in b.events.get(kind="approve").note


def test_above_the_threshold_per_household_the_level_above_approves_too(bx, users, units):
    from .conftest import set_param

    set_param(units["330602"], "funds.approval_threshold", "499.99")
    bx.files(2)
    b = bx.approve(bx.build())  # the district approves first: nothing is held yet
    assert b.status == S.BUILT and LedgerEntry.objects.filter(kind="hold").count() == 0
    pending = Approval.objects.get(object_id=b.pk, kind="funds.batch", status="pending")
    assert pending.org_unit == units["330600"] and pending.level == 2
    batches.batch_approve(batch=b, by=users["city_sup"], account=bx.account, opinion="同意")
    b.refresh_from_db()
    assert b.status == S.APPROVED and LedgerEntry.objects.filter(kind="hold").count() == 2
    # At the threshold itself one level is enough.
    set_param(units["330602"], "funds.approval_threshold", "500")
    assert bx.approve(bx.build(title="第二批"), confirm_reason="第二批").status == S.APPROVED


def test_a_restricted_source_not_enough_money_or_budget_refuse_and_hold_nothing(bx, grants, users, units):
    bx.files(3)
    b = bx.build()
    central = fund(users, units, "100000", restriction=(ReliefType.MEDICAL,), kind=FundSource.Kind.CENTRAL)
    with pytest.raises(ValidationError) as caught:
        bx.approve(b, account=central)
    assert "限定用于医疗救助" in str(caught.value)
    small = fund(users, units, "1499.99")
    with pytest.raises(ValidationError) as caught:
        bx.approve(b, account=small)
    assert "可用余额不足" in str(caught.value) and "1500.00" in str(caught.value)
    import datetime

    Budget.objects.create(org_unit=units["330602"], year=datetime.date.today().year, relief_type=ReliefType.HOLIDAY,
                          amount_cents=149999)
    with pytest.raises(ValidationError) as caught:
        bx.approve(b)
    assert "超出" in str(caught.value) and "剩余 1499.99 元" in str(caught.value)
    b.refresh_from_db()
    assert b.status == S.BUILT and LedgerEntry.objects.filter(kind="hold").count() == 0
    assert Budget.objects.get().committed_cents == 0
    assert Approval.objects.get(object_id=b.pk, kind="funds.batch").status == Approval.Status.PENDING


def test_maker_checker_the_builder_does_not_approve_the_approver_does_not_pay(bx, users, units):
    bx.files(2)
    b = bx.build(by=bx.sup)  # the supervisor may build a list too, then not approve it
    with pytest.raises(ValidationError) as caught:
        bx.approve(b)
    assert "不能审批本人制单" in str(caught.value)
    both = make_user("d1_both", units["330602"], Role.SUPERVISOR, Role.CASHIER)
    batches.batch_reject(batch=b, by=both, reason="重复")
    other = bx.build(title="第二批")
    batches.batch_approve(batch=other, by=both, account=bx.account)
    line = other.lines.first()
    with pytest.raises(ValidationError) as caught:
        batches.batch_pay_line(batch=other, by=both, line=line, key="k", method="cash")
    assert "不能发放本人制单或审批" in str(caught.value)
    with pytest.raises(PermissionDenied):
        batches.batch_pay_line(batch=other, by=bx.worker, line=line, key="k", method="cash")


def test_a_batch_grant_is_not_paid_or_cancelled_on_its_grant_page(bx):
    bx.files(1)
    b = bx.approve(bx.build())
    g = Grant.objects.get(batch=b)
    with pytest.raises(ValidationError) as caught:
        services.grant_pay(grant=g, by=bx.cashier, key="x", method="cash")
    assert "在批次页面办理" in str(caught.value)


# --- payment ----------------------------------------------------------------------------------------------


def test_paying_a_line_pays_its_hold_once(bx):
    bx.files(2)
    b = bx.approve(bx.build())
    line = b.lines.first()
    for _ in range(2):  # a double click: the same key pays once
        batches.batch_pay_line(batch=b, by=bx.cashier, line=line, key="form-1", method="goods")
    line.refresh_from_db()
    assert line.state == L.PAID and line.grant.status == GS.PAID and line.grant.method == "goods"
    assert LedgerEntry.objects.filter(kind="disburse").count() == 1
    with pytest.raises(ValidationError) as caught:
        batches.batch_pay_line(batch=b, by=bx.cashier, line=line, key="form-2", method="cash")
    assert "已发放，不能重复发放" in str(caught.value)
    bx.account.refresh_from_db()
    assert bx.account.held == D("500.00") and bx.account.balance == D("99500.00")
    books(bx.account)


def test_closing_releases_what_was_not_paid_and_waits_for_the_bank(bx):
    bx.files(3)
    b = bx.build()
    bx.bank(b)
    b = bx.approve(b)
    first, second, third = b.lines.order_by("seq")
    batches.batch_pay_line(batch=b, by=bx.cashier, line=first, key="p1", method="cash")
    BatchLine.objects.filter(pk=third.pk).update(account_number="")  # third not in the bank list
    batches.batch_bank_export(batch=b, by=bx.cashier)
    with pytest.raises(ValidationError) as caught:
        batches.batch_close(batch=b, by=bx.sup, reason="春节已过")
    assert "尚有 1 户已报银行" in str(caught.value)
    ref = BankTransfer.objects.get(line=second).reference
    batches.batch_bank_import(batch=b, by=bx.cashier, rows=[batches.ResultRow(2, ref, D("500.00"), False, "户名不符")])
    batches.batch_close(batch=b, by=bx.sup, reason="春节已过")
    states = dict(b.lines.values_list("seq", "state"))
    assert states == {1: L.PAID, 2: L.CLOSED, 3: L.CLOSED}
    assert list(Grant.objects.filter(batch=b).order_by("batch_line__seq").values_list("status", flat=True)) == [
        GS.PAID, GS.CANCELLED, GS.CANCELLED]
    bx.account.refresh_from_db()
    assert bx.account.held == 0 and bx.account.balance == D("99500.00")
    books(bx.account)


# --- the bank round trip ------------------------------------------------------------------------------


def test_the_bank_round_trip_through_the_pages(bx, client_for):
    bx.files(3)
    b = bx.build()
    bx.bank(b)
    b = bx.approve(b)
    cashier = client_for("d1_cashier")
    response = cashier.post(f"/funds/batches/{b.pk}/bank-export/")
    assert response.status_code == 302 and response["Location"] == f"/funds/batches/{b.pk}/bank.xlsx?round=1"
    rows = bank_rows(cashier.get(response["Location"]))
    assert rows[0] == ("序号", "业务参考号", "户名", "开户银行", "银行账号", "金额（元）", "摘要")
    lines = list(b.lines.select_related("grant__person").order_by("seq"))
    refs = [f"{b.number}-{x.seq:04d}-01" for x in lines]
    assert [r[1] for r in rows[1:4]] == refs
    assert rows[1][2] == lines[0].grant.person.name and rows[1][3] == "中国银行绍兴分行"
    assert rows[1][4] == "6216610000000001" and isinstance(rows[1][4], str)  # every digit kept, as text
    assert [D(str(r[5])) for r in rows[1:4]] == [D("500")] * 3
    assert rows[4][0] == "合计" and D(str(rows[4][5])) == D("1500")
    assert set(b.lines.values_list("state", flat=True)) == {L.SENT}
    from servicecenter.models import AuditEvent

    assert AuditEvent.objects.filter(action="funds.batch_bank_list", target_id=str(b.pk)).count() == 1
    # A line at the bank cannot also be paid in cash.
    page = cashier.post(f"/funds/batches/{b.pk}/pay/", {"line": lines[0].pk, "method": "cash", "token": "t"})
    assert "已报银行，等待银行回盘" in page.content.decode()
    # The bank's result: the first two paid, the third returned.
    upload = [(refs[0], "张", 500, "成功", ""), (refs[1], "李", "500.00", "成功", ""), (refs[2], "王", 500, "失败", "账号不存在")]
    response = cashier.post(f"/funds/batches/{b.pk}/bank-import/", {"file": result_file(upload)})
    assert response.status_code == 302
    states = dict(b.lines.values_list("seq", "state"))
    assert states == {1: L.PAID, 2: L.PAID, 3: L.FAILED}
    assert list(Grant.objects.filter(batch=b).order_by("batch_line__seq").values_list("method", flat=True))[:2] == [
        "bank", "bank"]
    entries = LedgerEntry.objects.count()
    bx.account.refresh_from_db()
    assert bx.account.held == 0 and bx.account.balance == D("99000.00")
    # The same file again changes nothing.
    response = cashier.post(f"/funds/batches/{b.pk}/bank-import/", {"file": result_file(upload)}, follow=True)
    assert "3 户此前已导入" in response.content.decode() and LedgerEntry.objects.count() == entries
    # The approver re-issues the returned line with the corrected account; the next list has it alone.
    sup = client_for("d1_sup")
    third = lines[2]
    response = sup.post(f"/funds/batches/{b.pk}/reissue/", {"line": third.pk, "account_number": "6216 6100 0000 9999",
                                                           "note": "账号有误，已核对"})
    assert response.status_code == 302
    third.refresh_from_db()
    assert third.state == L.READY and third.account_number == "6216610000009999"
    bx.account.refresh_from_db()
    assert bx.account.held == D("500.00")
    response = cashier.post(f"/funds/batches/{b.pk}/bank-export/")
    rows = bank_rows(cashier.get(response["Location"]))
    assert [r[1] for r in rows[1:-1]] == [f"{b.number}-0003-02"] and rows[1][4] == "6216610000009999"
    # The old file once more: its line 3 was already returned; nothing changes.
    cashier.post(f"/funds/batches/{b.pk}/bank-import/", {"file": result_file(upload)})
    third.refresh_from_db()
    assert third.state == L.SENT and LedgerEntry.objects.filter(kind="release").count() == 1
    cashier.post(f"/funds/batches/{b.pk}/bank-import/",
                 {"file": result_file([(f"{b.number}-0003-02", "王", 500, "成功", "")])})
    assert set(b.lines.values_list("state", flat=True)) == {L.PAID}
    # Paid lines are never sent again.
    response = cashier.post(f"/funds/batches/{b.pk}/bank-export/", follow=True)
    assert "没有可报盘的户" in response.content.decode() and BankTransfer.objects.count() == 4
    bx.account.refresh_from_db()
    assert (bx.account.balance, bx.account.held) == (D("98500.00"), D("0.00"))
    assert LedgerEntry.objects.filter(kind="disburse").count() == 3
    books(bx.account)


@pytest.mark.parametrize(("make", "message"), [
    (lambda refs: SimpleUploadedFile("回盘.xlsx", b"not a workbook"), "不是 xlsx 文件"),
    (lambda refs: SimpleUploadedFile("回盘.csv", b"a,b\n1,2\n"), "不是 xlsx 文件"),
    (lambda refs: result_file([(refs[0], 500, "成功")], header=("参考号", "金额", "结果")), "缺少列：业务参考号"),
    (lambda refs: result_file([(refs[0], "成功")], header=("业务参考号", "处理结果")), "缺少列：金额（元）"),
    (lambda refs: result_file([(refs[0], "张", 500, "成功", ""), ("PL-X-0001-01", "李", 500, "成功", "")]),
     "第3行：业务参考号 PL-X-0001-01 不是本批次的报盘记录"),
    (lambda refs: result_file([(refs[0], "张", 500, "成功", ""), (refs[1], "李", 499.99, "成功", "")]),
     "第3行：金额 499.99 元与报盘金额 500.00 元不一致"),
    (lambda refs: result_file([(refs[0], "张", 500, "已完成", "")]), "第2行：处理结果须为“成功”或“失败”，实为“已完成”"),
    (lambda refs: result_file([(refs[0], "张", "五百", "成功", "")]), "第2行：金额“五百”不是数字"),
    (lambda refs: result_file([(refs[0], "张", 500, "成功", ""), (refs[0], "张", 500, "成功", "")]), "重复出现"),
    (lambda refs: result_file([]), "没有数据行"),
])
def test_a_malformed_result_file_is_reported_row_by_row_and_changes_nothing(bx, client_for, make, message):
    bx.files(2)
    b = bx.build()
    bx.bank(b)
    b = bx.approve(b)
    batches.batch_bank_export(batch=b, by=bx.cashier)
    refs = list(BankTransfer.objects.order_by("line__seq").values_list("reference", flat=True))
    entries, events = LedgerEntry.objects.count(), b.events.count()
    response = client_for("d1_cashier").post(f"/funds/batches/{b.pk}/bank-import/", {"file": make(refs)})
    assert response.status_code == 200
    errors = response.context["import_form"].errors["file"]
    assert any(message in e for e in errors), errors
    assert message in response.content.decode()
    assert LedgerEntry.objects.count() == entries and b.events.count() == events
    assert set(b.lines.values_list("state", flat=True)) == {L.SENT}
    assert set(BankTransfer.objects.values_list("result", flat=True)) == {BankTransfer.Result.SENT}


def test_a_result_contradicting_one_already_imported_is_refused(bx):
    bx.files(1)
    b = bx.build()
    bx.bank(b)
    b = bx.approve(b)
    batches.batch_bank_export(batch=b, by=bx.cashier)
    ref = BankTransfer.objects.get().reference
    batches.batch_bank_import(batch=b, by=bx.cashier, rows=[batches.ResultRow(2, ref, D("500"), True, "")])
    with pytest.raises(ValidationError) as caught:
        batches.batch_bank_import(batch=b, by=bx.cashier, rows=[batches.ResultRow(2, ref, D("500"), False, "x")])
    assert "已导入为“成功”，与本文件不一致" in str(caught.value)
    assert LedgerEntry.objects.filter(kind="release").count() == 0


def test_bank_details_are_checked_and_fixed_at_approval(bx):
    bx.files(1)
    b = bx.build()
    line = b.lines.get()
    with pytest.raises(ValidationError) as caught:
        batches.batch_set_bank_account(batch=b, by=bx.worker, line=line, account_name="张三", bank_name="中行",
                                       account_number="12AB")
    assert "银行账号须为 8 至 32 位数字" in str(caught.value)
    bx.approve(b)
    with pytest.raises(ValidationError) as caught:
        batches.batch_set_bank_account(batch=b, by=bx.worker, line=line, account_name="张三", bank_name="中行",
                                       account_number="6216610000000001")
    assert "批次已审批，银行账户不能再改" in str(caught.value)


# --- pages, access, query counts -------------------------------------------------------------------------


def test_building_a_batch_on_the_pages(bx, client_for):
    bx.files(2)
    client = client_for("s11_worker")
    query = {"title": "2026年春节送温暖", "org_unit": bx.station.pk, "grade": "extreme", "relief_type": "holiday",
             "amount": "2500"}
    page = client.get("/funds/batches/new/", query)
    assert page.status_code == 200 and "每户最多 2000" in page.content.decode() and page.context["preview"] is None
    page = client.get("/funds/batches/new/", {**query, "amount": "500"})
    assert len(page.context["preview"].included) == 2 and "合计 1000.00 元" in page.content.decode()
    token = page.context["form"].data["token"]
    for _ in range(2):  # a double click makes one batch
        response = client.post("/funds/batches/new/", {**query, "amount": "500", "token": token})
    b = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/funds/batches/{b.pk}/"
    assert b.households == 2
    sup = client_for("d1_sup")
    page = sup.get(f"/funds/batches/{b.pk}/")
    assert [p.name for p in page.context["panels"]] == ["approve", "reject"]
    sup.post(f"/funds/batches/{b.pk}/approve/", {"account": bx.account.pk, "opinion": "同意"})
    b.refresh_from_db()
    assert b.status == S.APPROVED
    cashier = client_for("d1_cashier")
    line = b.lines.first()
    cashier.post(f"/funds/batches/{b.pk}/pay/", {"line": line.pk, "method": "cash", "token": "tok"})
    line.refresh_from_db()
    assert line.state == L.PAID


def test_the_register_and_the_person_page_see_batch_payments_and_the_list_searches(bx, client_for):
    bx.files(2)
    b = bx.approve(bx.build(title="春节送温暖"))
    line = b.lines.select_related("grant").first()
    batches.batch_pay_line(batch=b, by=bx.cashier, line=line, key="k1", method="cash")
    sup = client_for("d1_sup")
    register = sup.get("/funds/grants/?status=paid").content.decode()
    assert line.grant.number in register
    assert line.grant.number in sup.get(f"/people/{line.grant.person_id}/").content.decode()
    grant_page = sup.get(f"/funds/grants/{line.grant_id}/").content.decode()
    assert f"/funds/batches/{b.pk}/" in grant_page
    other = bx.build(title="中秋慰问", amount="300")
    listing = sup.get("/funds/batches/", {"q": "中秋"})
    assert [x.pk for x in listing.context["page"].items] == [other.pk]
    ordered = sup.get("/funds/batches/", {"ordering": "-built"})
    assert {x.pk for x in ordered.context["page"].items} == {b.pk, other.pk}


def test_without_the_hardship_app_batches_are_not_offered(bx, client_for, monkeypatch):
    monkeypatch.setattr(batches, "offered", lambda: False)
    client = client_for("s11_worker")
    page = client.get("/funds/batches/")
    assert page.status_code == 200 and "未启用困难职工档案" in page.content.decode()
    assert "/funds/batches/new/" not in page.content.decode()
    assert client.get("/funds/batches/new/").status_code == 404


def test_out_of_scope_is_not_found_and_the_bank_list_is_the_cashiers(bx, client_for):
    bx.files(1)
    b = bx.build()
    bx.bank(b)
    b = bx.approve(b)
    batches.batch_bank_export(batch=b, by=bx.cashier)
    for username in ("s12_clerk", "d2_sup", "s21_clerk"):
        client = client_for(username)
        for url in (f"/funds/batches/{b.pk}/", f"/funds/batches/{b.pk}/bank.xlsx"):
            assert client.get(url).status_code == 404, (username, url)
        assert client.post(f"/funds/batches/{b.pk}/pay/", {}).status_code == 404
        assert client.post(f"/funds/batches/{b.pk}/bank-import/", {}).status_code == 404
    assert client_for("d1_sup").get(f"/funds/batches/{b.pk}/bank.xlsx").status_code == 403
    assert client_for("auditor").post(f"/funds/batches/{b.pk}/bank-export/").status_code == 403
    assert client_for("d1_cashier").get(f"/funds/batches/{b.pk}/bank.xlsx?round=9").status_code == 404


def test_query_counts_of_the_batch_list_and_page_do_not_grow_with_rows(bx, client_for, django_assert_num_queries):
    bx.files(2)
    first = bx.build()
    bx.approve(first)
    client = client_for("d1_sup")
    counts = {}
    for url in ("/funds/batches/", f"/funds/batches/{first.pk}/"):
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        counts[url] = len(ctx)
    # More batches on the list, and a bigger batch on its page: the same number of queries.
    bx.files(3)
    bigger = bx.approve(bx.build(title="第二批"), confirm_reason="第二批慰问")
    assert bigger.households == 5
    pages = {"/funds/batches/": "/funds/batches/", f"/funds/batches/{first.pk}/": f"/funds/batches/{bigger.pk}/"}
    for url, n in counts.items():
        with django_assert_num_queries(n):
            assert client.get(pages[url]).status_code == 200
    assert list(counts.values()) == [6, 10]


# --- the workflow, from its table -----------------------------------------------------------------------


class BatchAdapter:
    def __init__(self, bx: Batches, users: dict[str, Any], units: dict[str, Any]) -> None:
        self.bx = bx
        district = units["330602"]
        self.roles = {Role.CLERK: users["s11_clerk"], Role.WORKER: users["s11_worker"], Role.SUPERVISOR: users["d1_sup"],
                      Role.ACCOUNTANT: users["d1_accountant"], Role.CASHIER: users["d1_cashier"],
                      Role.AUDITOR: make_user("d1_auditor", district, Role.AUDITOR),
                      Role.SYSADMIN: users["sysadmin"], Role.SECAUDIT: users["secaudit"]}

    def make(self, state: str) -> Batch:
        return self.bx.make(state)

    def prepare(self, step: str, batch: Batch) -> None:
        if step == "reissue":
            line = batch.lines.first()
            BatchLine.objects.filter(pk=line.pk).update(account_number="6216610000000001", account_name="户",
                                                        bank_name="中行")
            batches.batch_bank_export(batch=batch, by=self.bx.cashier)
            ref = BankTransfer.objects.filter(line=line).latest("id").reference
            batches.batch_bank_import(batch=batch, by=self.bx.cashier,
                                      rows=[batches.ResultRow(2, ref, line.grant.amount, False, "账号错误")])

    def actor(self, step: str, batch: Batch) -> Any:
        if step in ("approve", "reject", "reissue", "close"):
            return self.bx.sup
        return self.bx.cashier if step in ("pay", "bank") else self.bx.worker

    def user_with_role(self, role: Role, batch: Batch) -> Any:
        return self.roles[role]

    def perform(self, step: str, batch: Batch, user: Any) -> None:
        line = batch.lines.order_by("seq").first()
        calls = {
            "approve": lambda: batches.batch_approve(batch=batch, by=user, account=self.bx.account, opinion="同意"),
            "reject": lambda: batches.batch_reject(batch=batch, by=user, reason="资金未到位"),
            "bank_details": lambda: batches.batch_set_bank_account(batch=batch, by=user, line=line, account_name="张",
                                                                   bank_name="中行", account_number="6216610000000001"),
            "pay": lambda: batches.batch_pay_line(batch=batch, by=user, line=line, key=uuid.uuid4().hex, method="cash"),
            "bank": lambda: batches.batch_bank_export(batch=batch, by=user),
            "reissue": lambda: batches.batch_reissue(batch=batch, by=user, line=line),
            "close": lambda: batches.batch_close(batch=batch, by=user, reason="春节已过"),
        }
        calls[step]()

    def events(self, batch: Batch) -> int:
        return batch.events.count()


@pytest.mark.parametrize("case", workflow_cases(batches.BATCH_FLOW), ids=str)
def test_batch_workflow(case, bx, users, units):
    run_case(case, BatchAdapter(bx, users, units))


# --- on PostgreSQL: at once ------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_cashiers_on_one_line_and_two_imports_of_one_result_pay_once(bx, units):
    from .test_concurrency import assert_books, run_parallel

    bx.files(3)
    b = bx.build()
    bx.bank(b)
    b = bx.approve(b)
    second = make_user("d1_cashier2", units["330602"], Role.CASHIER)
    cashiers = [bx.cashier, second]
    line = b.lines.order_by("seq").first()
    # Two cashiers pay the same line at once (different forms, different keys): one payment.
    outcomes = run_parallel(8, lambda i: batches.batch_pay_line(batch=Batch.objects.get(pk=b.pk), by=cashiers[i % 2],
                                                                line=line.pk, key=f"pay-{i}", method="cash"))
    assert sum(isinstance(o, BatchLine) for o in outcomes) == 1, outcomes
    assert all("已发放，不能重复发放" in str(o) for o in outcomes if isinstance(o, ValidationError)), outcomes
    # The other two lines go to the bank; the same result file is imported by both at once.
    batches.batch_bank_export(batch=b, by=bx.cashier)
    rows = [batches.ResultRow(i + 2, t.reference, t.amount, True, "")
            for i, t in enumerate(BankTransfer.objects.order_by("line__seq"))]
    outcomes = run_parallel(8, lambda i: batches.batch_bank_import(batch=Batch.objects.get(pk=b.pk),
                                                                   by=cashiers[i % 2], rows=rows))
    reports = [o for o in outcomes if isinstance(o, batches.ImportReport)]
    assert len(reports) == 8, outcomes
    assert sum(r.paid for r in reports) == 2 and sum(r.unchanged for r in reports) == 14
    assert LedgerEntry.objects.filter(kind="disburse").count() == 3
    assert set(BatchLine.objects.filter(batch=b).values_list("state", flat=True)) == {L.PAID}
    bx.account.refresh_from_db()
    assert (bx.account.balance, bx.account.held) == (D("98500.00"), D("0.00"))
    assert_books(bx.account)


def test_the_demo_has_one_batch_paid_in_part_and_sent_to_the_bank(settings, db):
    from django.core.management import call_command

    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    b = Batch.objects.get()
    assert b.status == S.APPROVED and b.households >= 2, out.getvalue()
    assert b.lines.filter(state=L.PAID).count() == 1
    assert b.lines.filter(state=L.SENT).count() == b.households - 1 == BankTransfer.objects.count()
    call_command("seed_demo", stdout=io.StringIO())  # twice: still one batch
    assert Batch.objects.count() == 1
