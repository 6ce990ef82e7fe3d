"""Run in a subprocess by tests/core/test_registry.py (settings: tests.settings_without_app): migrate
a fresh database, load the demo data, and report what a clerk and a supervisor see, as JSON."""

from __future__ import annotations

import io
import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings_without_app")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from servicecenter import registry  # noqa: E402
from servicecenter.models import Person, User  # noqa: E402

setup_test_environment()  # so that responses carry their template context
call_command("migrate", verbosity=0, interactive=False)
call_command("seed_demo", verbosity=0, stdout=io.StringIO())
out: dict = {"apps": [a.label for a in registry.service_apps()], "pages": {}}
person = Person.objects.order_by("pk").first()
for username in ("s11_clerk", "d1_sup"):
    client = Client()
    user = User.objects.get(username=username)
    client.force_login(user)
    urls = ["/", "/inbox/", f"/people/{person.pk}/", "/people/", "/reports/"]
    if "hardship" in out["apps"]:
        from django.apps import apps

        from servicecenter.access import visible

        files = apps.get_model("hardship", "HardshipFile").objects.filter(status="archived")
        urls += [f"/hardship/{visible(files, user).order_by('pk').first().pk}/", "/hardship/roster/"]
    for url in urls:
        response = client.get(url)
        out["pages"][f"{username} {url}"] = {"status": response.status_code,
                                             "body": response.content.decode(errors="replace")}
    out["nav"] = [item["label"] for item in client.get("/").context["nav"]]
json.dump(out, sys.stdout, ensure_ascii=False)
