"""Group and serious/urgent petitions go at once to the owning unit's leadership and the level
above (a station's case: its district and the city), stay in each unit's inbox and on its
dashboard until a supervisor of that unit acknowledges, and the acknowledgement is per unit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from petitions import services
from petitions.models import Escalation
from petitions.summary import dashboard_section
from tests.petitions.conftest import make_petition


@pytest.fixture
def group(users, person, category):
    return make_petition(users["s11_clerk"], person, category, headcount=12)


def inbox(client):
    response = client.get("/petitions/escalations/")
    assert response.status_code == 200
    return [e.petition_id for e in response.context["items"]]


def test_group_petition_reaches_the_district_and_the_city_until_each_acknowledges(client_for, users, group):
    d1, city = client_for("d1_sup"), client_for("city_sup")
    assert inbox(d1) == [group.pk] and inbox(city) == [group.pk]
    assert inbox(client_for("d2_sup")) == []  # the other district is not told
    assert [e.petition_id for e in dashboard_section(users["d1_sup"]).context["escalations"]] == [group.pk]
    assert [e.petition_id for e in dashboard_section(users["city_sup"]).context["escalations"]] == [group.pk]

    assert d1.post(f"/petitions/{group.pk}/acknowledge/").status_code == 302
    assert inbox(d1) == [] and dashboard_section(users["d1_sup"]).context["escalations"] == []
    assert inbox(city) == [group.pk]  # acknowledged per unit
    assert city.post(f"/petitions/{group.pk}/acknowledge/").status_code == 302
    assert inbox(city) == []
    acks = dict(Escalation.objects.filter(petition=group).values_list("org_unit__code", "acknowledged_by__username"))
    # A station has no supervisors of its own (it is led by its district): no row waits there.
    assert acks == {"330602": "d1_sup", "330600": "city_sup"}
    assert list(group.events.filter(kind="acknowledge").values_list("by__username", flat=True)) == ["d1_sup", "city_sup"]


def test_urgent_petition_escalates_too(users, person, category):
    p = make_petition(users["s11_clerk"], person, category, is_urgent=True)
    assert set(Escalation.objects.filter(petition=p).values_list("org_unit__code", flat=True)) == {"330602", "330600"}


def test_district_case_goes_to_the_district_and_the_city(users, units, person, category):
    p = make_petition(users["d1_sup"], person, category, org_unit=units["330602"], headcount=30)
    assert set(Escalation.objects.filter(petition=p).values_list("org_unit__code", flat=True)) == {"330602", "330600"}


def test_sending_a_group_case_up_keeps_acknowledgements(users, group):
    services.petition_acknowledge(petition=group, by=users["d1_sup"])
    services.petition_send_up(petition=group, by=users["s11_clerk"], reason="涉及面广")
    rows = Escalation.objects.filter(petition=group)
    assert set(rows.values_list("org_unit__code", flat=True)) == {"330602", "330600"}
    assert rows.get(org_unit__code="330602").acknowledged_by == users["d1_sup"]


def test_acknowledgement_refusals(users, person, category, group):
    with pytest.raises(PermissionDenied):
        services.petition_acknowledge(petition=group, by=users["s11_clerk"])
    services.petition_acknowledge(petition=group, by=users["d1_sup"])
    with pytest.raises(ValidationError, match="本单位已于"):
        services.petition_acknowledge(petition=group, by=users["d1_sup"])
    ordinary = make_petition(users["s11_clerk"], person, category)
    with pytest.raises(ValidationError, match="没有待签收"):
        services.petition_acknowledge(petition=ordinary, by=users["d1_sup"])


def test_acknowledge_button_is_offered_only_to_a_unit_still_waiting(client_for, group):
    assert "acknowledge" in client_for("d1_sup").get(f"/petitions/{group.pk}/").context["actions"]
    assert "acknowledge" not in client_for("s11_clerk").get(f"/petitions/{group.pk}/").context["actions"]


def test_no_escalation_row_waits_where_nobody_could_acknowledge_it(users, group):
    """Every unit a group petition is reported to has supervisors who lead it (the defect: a row for
    the station itself, which has no supervisor, waited forever)."""
    from servicecenter.access import staff_holding

    for escalation in Escalation.objects.filter(petition=group).select_related("org_unit"):
        assert staff_holding("petitions.acknowledge", [escalation.org_unit]).exists(), escalation.org_unit.code
