"""Bench-only WSGI entry point: the project's settings as they are, URLs from ``bench_urls``.

    gunicorn --pythonpath bench/load bench_wsgi:application --workers "$(nproc)" --bind 127.0.0.1:PORT

Nothing in the settings changes: each request is routed through ``bench_urls`` (Django's
per-request ``request.urlconf``), which is the project's URL list plus ``/bench/ping/``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicecenter.settings")

import django  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402

BENCH_URLCONF = "bench_urls"


class BenchHandler(WSGIHandler):
    def get_response(self, request):  # noqa: ANN001, ANN201
        request.urlconf = BENCH_URLCONF
        return super().get_response(request)


django.setup(set_prefix=False)
application = BenchHandler()
