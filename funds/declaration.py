"""How 帮扶资金与物资 plugs into the core: its one ``ServiceApp`` (docs/architecture.md, "add a service
app"). The app is a landing page so far; its parameters are declared already because the numbers
of DOMAIN.md are data from day one."""

from __future__ import annotations

from servicecenter import registry
from servicecenter.parameters import ParameterSpec

PARAMETERS = (
    ParameterSpec("funds.living_grants_per_year", "生活救助每年次数", int, 1, "次", source="DOMAIN §7 [002]"),
)


def declare() -> None:
    from . import summary, urls

    registry.register(registry.ServiceApp(
        label="funds", name="帮扶资金与物资", urls=urls, order=50,
        nav=(registry.NavEntry("帮扶资金与物资", "funds:landing"),),
        parameters=PARAMETERS,
        person_section=summary.person_section,
    ))
