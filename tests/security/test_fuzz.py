"""Malformed values to every list, filter and export URL: never a server error (issue 14 §9).

Every GET page of the access crawl is asked with its own form's field names (read off the page)
filled with out-of-range dates, NUL bytes, huge numbers, injection strings, repeated parameters and
bad cursors. Runs on SQLite and PostgreSQL (where NUL and out-of-range values fail differently).
"""

from __future__ import annotations

import base64
import json
import re

from tests.conftest import login
from tests.test_access_crawl import objects, project_urls  # noqa: F401 - objects: the crawl's fixture

NULS = ["a\x00b", "\x00"]
VALUES = ["0001-01-01", "9999-12-31", "99999-01-01", "9" * 40, "-1", "1e309", "NaN",
          "' OR 1=1--", "%", "2026-02-30", "１２３", "<script>", "-9" * 20, "0x10"]
BAD_CURSORS = ["!!!", base64.urlsafe_b64encode(json.dumps(["n", 0, ["a\u0000", 1]]).encode()).decode(),
               base64.urlsafe_b64encode(json.dumps(["n", 0, [10**30, 10**30]]).encode()).decode(),
               base64.urlsafe_b64encode(b"\xff\xfe").decode()]
NAME_RE = re.compile(r"""<(?:input|select|textarea)\b[^>]*\bname="([^"]+)\"""")
SKIP = {"csrfmiddlewaretoken", "_search"}


def _field_names(html: str) -> list[str]:
    return sorted({n for n in NAME_RE.findall(html) if n not in SKIP})


def test_malformed_values_on_every_list_filter_and_export_url(objects, users):  # noqa: F811
    client = login(users["city_sup"])
    checked = 0
    for name, url, rule in project_urls(objects, {"page"}):
        if rule.post_only or name in ("logout",):
            continue
        first = client.get(url)
        html = first.content.decode(errors="replace") if first.get("Content-Type", "").startswith("text/html") else ""
        names = _field_names(html) or ["q"]
        names += ["ordering", "page", "sort"]
        for shift in range(0, len(VALUES), 4):
            params = {field: VALUES[(shift + n) % len(VALUES)] for n, field in enumerate(names)}
            response = client.get(url, params)
            assert response.status_code < 500, (name, params, response.status_code)
        for nul in NULS:  # in every field at once (PostgreSQL refuses NUL in any text it is given)
            response = client.get(url, dict.fromkeys(names, nul))
            assert response.status_code < 500, (name, response.status_code)
        repeated = [(field, value) for field in names for value in ("1", "2026-01-01", "9999-12-31", "%00")]
        query = "&".join(f"{f}={v}" for f, v in repeated)
        assert client.get(f"{url}?{query}").status_code < 500, (name, "repeated")
        for cursor in BAD_CURSORS:
            assert client.get(url, {"cursor": cursor, "page": str(10**30)}).status_code < 500, (name, cursor)
        checked += 1
    assert checked > 30
