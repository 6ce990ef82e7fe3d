"""How 就业援助 plugs into the core: its one ``ServiceApp`` (docs/architecture.md, "add a service
app"). The app is a landing page so far; its parameters are declared already because the numbers
of DOMAIN.md are data from day one."""

from __future__ import annotations

from servicecenter import registry

PARAMETERS: tuple = ()


def declare() -> None:
    from . import summary, urls

    registry.register(registry.ServiceApp(
        label="jobs", name="就业援助", urls=urls, order=40,
        nav=(registry.NavEntry("就业援助", "jobs:landing"),),
        parameters=PARAMETERS,
        person_section=summary.person_section,
    ))
