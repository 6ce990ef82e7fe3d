"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: see ``servicecenter.health``).

No login, no session, no data: the answer is the list of check names with ok/fail, the same for
everyone. Load balancers and monitors call them every second, so neither renders a template.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from servicecenter import health


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and answering requests; touches neither the database nor the disk."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


@login_not_required
@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    ready, checks = health.readiness()
    body = json.dumps({"status": health.OK if ready else health.FAIL, "checks": checks}, ensure_ascii=False)
    return HttpResponse(body + "\n", status=200 if ready else 503, content_type="application/json")
