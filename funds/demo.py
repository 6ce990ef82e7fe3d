"""Demo data for 帮扶资金与物资 (fictitious, idempotent): two fund sources at 越城区 (a donation for
every type and a central fund restricted to medical and education relief), one allocated down to
a station, this year's budgets at the district, grants in every state for the demo people (the
approved one's hold lapses in three days), and the help supermarket with a day's movements
(receipts, an issue to a paid goods grant) — through the services, like a user."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from servicecenter import registry
from servicecenter.models import OrgUnit, Person, User

from .models import FundAccount, FundSource, Grant, ReliefType

KEY = "demo-funds"


def seed(run: registry.DemoRun) -> str:
    users = {u.username: u for u in User.objects.filter(username__in=[
        "d1_accountant", "d1_sup", "d1_cashier", "s11_worker", "s11_clerk"])}
    if FundSource.objects.filter(note=KEY).exists():
        done = f"{FundSource.objects.count()} 笔资金来源，{Grant.objects.count()} 笔救助（已存在）"
        account = FundAccount.objects.filter(source__note=KEY, source__kind=FundSource.Kind.DONATION,
                                             org_unit__code="330602").first()
        if len(users) < 5 or account is None:
            return done
        return f"{done}；{_supermarket(users, account.org_unit, account)}"
    if len(users) < 5:
        return "缺少演示账号，未生成资金演示数据"
    from . import services

    district = OrgUnit.objects.get(code="330602")
    station = OrgUnit.objects.get(code="330602001")
    import datetime

    day = datetime.date.today() - datetime.timedelta(days=20)
    with transaction.atomic():
        donation = services.source_record(
            by=users["d1_accountant"], org_unit=district, kind=FundSource.Kind.DONATION, donor="绍兴市慈善总会（演示）",
            received_on=day, amount="200000.00", note=KEY, keeper=users["d1_accountant"], key=f"{KEY}-donation")
        central = services.source_record(
            by=users["d1_accountant"], org_unit=district, kind=FundSource.Kind.CENTRAL, donor="中央财政专项（演示）",
            received_on=day, amount="80000.00", restriction=[ReliefType.MEDICAL, ReliefType.EDUCATION], note=KEY,
            key=f"{KEY}-central")
        account = FundAccount.objects.get(source=donation, org_unit=district)
        services.allocation_make(by=users["d1_accountant"], account=account, to_unit=station, amount="20000.00",
                                 key=f"{KEY}-alloc", memo="下拨府山街道送温暖资金")
        # This year's budgets at the district (the grants below reserve from them).
        for relief_type, amount in ((ReliefType.EMERGENCY, "60000.00"), (ReliefType.LIVING, "120000.00"),
                                    (ReliefType.HOLIDAY, "40000.00"), (ReliefType.MEDICAL, "80000.00")):
            services.budget_set(by=users["d1_accountant"], org_unit=district, year=timezone.localdate().year,
                                relief_type=relief_type, amount=amount)
    people = list(Person.objects.filter(org_unit__path__startswith=station.path).order_by("id")[:7])
    states = [Grant.Status.APPLIED, Grant.Status.VERIFIED, Grant.Status.APPROVED, Grant.Status.PAID,
              Grant.Status.PAID, Grant.Status.REJECTED, Grant.Status.CANCELLED]
    made = 0
    for person, state in zip(people, states, strict=False):
        try:
            _grant(users, station, person, state, account)
            made += 1
        except Exception as exc:  # noqa: BLE001 — the demo keeps going; the line says what was skipped
            run.write(f"  救助演示数据跳过 {person.name}：{exc}")
    _ = central
    lines = _batch(users, station, account, run)
    batch = f"，批量救助 1 批 {lines} 户" if lines else ""
    return f"{FundSource.objects.count()} 笔资金来源，{made} 笔救助{batch}；{_supermarket(users, district, account)}"


def _supermarket(users: dict[str, Any], district: OrgUnit, account: FundAccount) -> str:
    """越城区's help supermarket: three items, today's receipts (one purchased, one donated) and an
    issue of rice and oil to the recipient of a paid goods grant (送温暖). Idempotent: the items and
    the movements' keys are looked up first."""
    from . import services, stock
    from .models import StockItem

    cashier = users["d1_cashier"]
    wanted = [("大米", "10kg", "袋", 10), ("食用油", "5L", "桶", 5), ("棉被", "200×230cm", "床", 3)]
    items = []
    for name, spec, measure, low in wanted:
        item = StockItem.objects.filter(org_unit=district, name=name, spec=spec).first()
        items.append(item or stock.stock_item_add(by=cashier, unit=district, name=name, spec=spec, measure=measure,
                                                  low_stock=low))
    rice, oil, quilt = items
    stock.stock_receive(by=cashier, item=rice, quantity=40, key=f"{KEY}-rice", quality_ok=True,
                        received_by="越城区出纳沈小红")
    stock.stock_receive(by=cashier, item=oil, quantity=20, key=f"{KEY}-oil", donated=True, value=Decimal("1600.00"),
                        quality_ok=True, received_by="越城区出纳沈小红")
    stock.stock_receive(by=cashier, item=quilt, quantity=4, key=f"{KEY}-quilt", donated=True, value=Decimal("1200.00"),
                        quality_ok=True, received_by="越城区出纳沈小红")
    station = OrgUnit.objects.get(code="330602001")
    people = list(Person.objects.filter(org_unit__path__startswith=station.path).order_by("id")[:8])
    person = people[-1] if people else None
    if person is None:
        return "帮扶超市：没有演示人员，未发放"
    grant = Grant.objects.filter(reason__endswith="（演示物资）").first()
    if grant is None:
        grant = services.grant_apply(by=users["s11_worker"], token=uuid.uuid4(), org_unit=station, person=person,
                                     relief_type=ReliefType.HOLIDAY, amount="300.00", reason="春节送温暖（演示物资）")
        services.grant_verify(grant=grant, by=users["s11_worker"], note="经入户核实，情况属实。")
        services.grant_approve(grant=grant, by=users["d1_sup"], account=account, opinion="同意。")
        services.grant_pay(grant=grant, by=cashier, key=f"{KEY}-goods-pay", method=Grant.Method.GOODS)
    stock.stock_issue(by=cashier, grant=grant, key=f"{KEY}-issue",
                      lines=[stock.Line(rice, 1), stock.Line(oil, 1), stock.Line(rice, 1)])
    return f"帮扶超市 {len(items)} 种物品"




def _batch(users: dict[str, Any], station: OrgUnit, account: FundAccount, run: registry.DemoRun) -> int:
    """One batch (批量救助): 送温暖 for every archived file of the station, with bank accounts,
    approved by the district on its donation account, the first household paid in cash, the rest
    sent to the bank once."""
    from django.core.exceptions import ValidationError

    from . import batches

    if not batches.offered():
        return 0
    try:
        with transaction.atomic():
            b = batches.batch_create(by=users["s11_worker"], token=uuid.uuid5(uuid.NAMESPACE_URL, f"{KEY}-batch"),
                                     org_unit=station, title="春节送温暖（演示）", relief_type=ReliefType.HOLIDAY,
                                     grade="", amount="500.00")
            for line in b.lines.all():
                batches.batch_set_bank_account(batch=b, by=users["s11_worker"], line=line,
                                               account_name=line.account_name, bank_name="中国银行绍兴越城支行（演示）",
                                               account_number=f"6216610000{line.seq:06d}")
            batches.batch_approve(batch=b, by=users["d1_sup"], account=account, opinion="同意。",
                                  confirm_reason="节日慰问（演示）")
            first = b.lines.order_by("seq").first()
            if first is not None:
                batches.batch_pay_line(batch=b, by=users["d1_cashier"], line=first, key=f"{KEY}-batch-pay",
                                       method=Grant.Method.CASH)
            if b.lines.filter(state="ready").exists():
                batches.batch_bank_export(batch=b, by=users["d1_cashier"])
    except ValidationError as exc:  # e.g. no archived file at the station: the demo says so and goes on
        run.write(f"  批量救助演示数据跳过：{'；'.join(exc.messages)}")
        return 0
    return b.households


def _grant(users: dict[str, Any], station: OrgUnit, person: Person, state: str, account: FundAccount) -> Grant:
    from . import services

    g = services.grant_apply(by=users["s11_worker"], token=uuid.uuid4(), org_unit=station, person=person,
                             relief_type=ReliefType.EMERGENCY, amount="1500.00", reason="家庭突发变故，生活困难（演示）")
    if state == Grant.Status.APPLIED:
        return g
    if state == Grant.Status.CANCELLED:
        return services.grant_cancel(grant=g, by=users["s11_worker"], reason="申请人撤回（演示）")
    services.grant_verify(grant=g, by=users["s11_worker"], note="经入户核实，情况属实。")
    if state == Grant.Status.VERIFIED:
        return g
    if state == Grant.Status.REJECTED:
        return services.grant_reject(grant=g, by=users["d1_sup"], reason="已获其他救助（演示）")
    services.grant_approve(grant=g, by=users["d1_sup"], account=account, opinion="同意。")
    if state == Grant.Status.APPROVED:
        # Approved 27 days ago and not yet paid: its hold lapses in 3 days (the dashboard's and the
        # inbox's "holds expiring"; funds_expire_holds releases it after that).
        import datetime

        today = datetime.date.today()
        Grant.objects.filter(pk=g.pk).update(approved_on=today - datetime.timedelta(days=27),
                                             hold_expires_on=today + datetime.timedelta(days=3))
        return g
    return services.grant_pay(grant=g, by=users["d1_cashier"], key=uuid.uuid4().hex, method=Grant.Method.CASH)
