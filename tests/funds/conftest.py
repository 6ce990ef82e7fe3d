"""Funds fixtures: money at the district (越城区) through the services, and ``Grants`` to put a
relief grant in any state — applied at station 330602001 by its worker, approved by the district
supervisor, paid by the district cashier."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from funds import services
from funds.models import FundAccount, FundSource, Grant, ReliefType
from tests.conftest import make_person, new_id_number
from tests.hardship.conftest import Kit, set_param

S = Grant.Status
D = Decimal


def fund(users: dict[str, Any], units: dict[str, Any], amount: str = "10000.00", *, unit: str = "330602",
         restriction: tuple[str, ...] = (), kind: str = FundSource.Kind.DONATION, donor: str = "绍兴爱心企业") -> FundAccount:
    import datetime

    source = services.source_record(by=users["d1_accountant"] if unit.startswith("330602") else _city_accountant(units),
                                    org_unit=units[unit], kind=kind, donor=donor,
                                    received_on=datetime.date.today() - datetime.timedelta(days=1), amount=amount,
                                    restriction=restriction, key=uuid.uuid4().hex)
    return FundAccount.objects.get(source=source, org_unit=units[unit])


def _city_accountant(units: dict[str, Any]) -> Any:
    from servicecenter.models import User
    from servicecenter.roles import Role
    from tests.hardship.conftest import make_user

    return User.objects.filter(username="c_accountant").first() or make_user("c_accountant", units["330600"],
                                                                             Role.ACCOUNTANT)


class Grants:
    def __init__(self, users: dict[str, Any], units: dict[str, Any]) -> None:
        self.users, self.units = users, units
        self.worker, self.clerk, self.sup, self.cashier = (users["s11_worker"], users["s11_clerk"], users["d1_sup"],
                                                            users["d1_cashier"])
        self.station = units["330602001"]
        self.kit = Kit(users, units)
        self.account = fund(users, units, "100000.00")

    def person(self, **data: Any) -> Any:
        data.setdefault("name", "赵桂芳")
        data.setdefault("id_number", new_id_number())
        return make_person(self.worker, **data)

    def archived_file(self, person: Any = None) -> Any:
        from hardship.models import HardshipFile

        return self.kit.make(HardshipFile.Status.ARCHIVED, person=person)

    def apply(self, *, relief_type: str = ReliefType.EMERGENCY, amount: str = "1000.00", person: Any = None,
              file: Any = None, by: Any = None, **kwargs: Any) -> Grant:
        if relief_type in (ReliefType.LIVING, ReliefType.BATCH) and file is None and person is None:
            file = self.archived_file()
        person = person or (file.applicant if file is not None else self.person())
        kwargs.setdefault("evidence", "医院收费票据原件 3 张" if relief_type == ReliefType.MEDICAL else "")
        return services.grant_apply(by=by or self.worker, token=uuid.uuid4(), org_unit=self.station, person=person,
                                    relief_type=relief_type, amount=amount, reason="突发重病，家庭生活困难",
                                    hardship_file_id=file.pk if file is not None else None, **kwargs)

    def make(self, state: str, **kwargs: Any) -> Grant:
        g = self.apply(**kwargs)
        if state == S.APPLIED:
            return g
        if state == S.CANCELLED:
            services.grant_cancel(grant=g, by=self.worker, reason="申请人撤回")
            g.refresh_from_db()
            return g
        services.grant_verify(grant=g, by=self.worker, note="入户核实属实")
        if state == S.VERIFIED:
            g.refresh_from_db()
            return g
        if state == S.REJECTED:
            services.grant_reject(grant=g, by=self.sup, reason="不符合条件")
            g.refresh_from_db()
            return g
        services.grant_approve(grant=g, by=self.sup, account=self.account, opinion="同意")
        if state == S.APPROVED:
            g.refresh_from_db()
            return g
        services.grant_pay(grant=g, by=self.cashier, key=uuid.uuid4().hex, method=Grant.Method.BANK)
        g.refresh_from_db()
        return g


@pytest.fixture
def grants(users: dict, units: dict) -> Grants:
    return Grants(users, units)


__all__ = ["D", "Grants", "fund", "set_param"]
