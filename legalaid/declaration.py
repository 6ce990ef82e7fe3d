"""How 法律援助 plugs into the core: its one ``ServiceApp`` (docs/architecture.md, "add a service
app"). The app is a landing page so far; its parameters are declared already because the numbers
of DOMAIN.md are data from day one."""

from __future__ import annotations

from servicecenter import registry
from servicecenter.parameters import ParameterSpec

PARAMETERS = (
    ParameterSpec("legalaid.decision_working_days", "法律援助审查时限", int, 7, "个工作日", source="FORMS §4",
                  minimum=1),
    ParameterSpec("mediation.agreement_days", "调解期限", int, 15, "天", source="FORMS §4", minimum=1),
)


def declare() -> None:
    from . import summary, urls

    registry.register(registry.ServiceApp(
        label="legalaid", name="法律援助", urls=urls, order=30,
        nav=(registry.NavEntry("法律援助", "legalaid:landing"),),
        parameters=PARAMETERS,
        person_section=summary.person_section,
    ))
