"""Bench-only URLconf: the project's URLs plus ``/bench/ping/``, the trivial view of the load test.

``/bench/ping/`` answers "ok" without reading the database or the session: it passes through the
project's whole middleware stack (sessions and auth stay lazy and untouched with no cookie), so its
rate is the ceiling of the same gunicorn setup. Served only by ``bench_wsgi.py``; the project's
``servicecenter/urls.py`` is unchanged.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from servicecenter import urls as project_urls


@login_not_required
def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/ping/", ping, name="bench_ping"), *project_urls.urlpatterns]

handler403 = project_urls.handler403
handler404 = project_urls.handler404
