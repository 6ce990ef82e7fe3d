"""The 500s the probe found (issue 14 §4): each answered as a normal page on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json

import pytest


def _cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(["n", 0, values]).encode()).decode().rstrip("=")


@pytest.mark.parametrize("url", ["/petitions/?received_after=0001-01-01", "/petitions/?received_before=0001-01-01",
                                 "/petitions/?received_after=9999-12-31", "/petitions/?received_before=9999-12-31", "/petitions/export.xlsx?received_after=0001-01-01"])
def test_extreme_dates_on_the_petition_list_are_no_server_error(client_for, url):
    response = client_for("d1_sup").get(url)
    assert response.status_code in (200, 302)
    if url.startswith("/petitions/?"):
        assert "须在 1000-01-01 至 9998-12-31 之间" in response.content.decode()


def test_a_nul_byte_in_a_keyset_cursor_is_ignored(client_for, station_person):
    from servicecenter import listing
    from servicecenter.models import Person

    keys = listing._keyset(Person, ["name_initials"])
    assert keys is not None
    token = listing._encode_cursor(listing.NEXT, keys, ["a\u0000b", station_person.pk])
    response = client_for("s11_clerk").get(f"/people/?ordering=name&cursor={token}")
    assert response.status_code == 200
    assert "张三丰" in response.content.decode()  # the cursor was dropped: page 1
