"""The core names no app; an app declares itself once; an app missing from INSTALLED_APPS is gone
from navigation, the person page, the dashboard and the demo data, without an error."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from servicecenter import registry
from servicecenter.parameters import ParameterSpec
from servicecenter.permissions import Permission
from servicecenter.workflow import Workflow, step

ROOT = Path(__file__).resolve().parents[2]
APPS = ("petitions", "hardship", "legalaid", "jobs", "funds")
# An import of an app, or an app's label or parameter prefix spelt in a string ("petitions.petition",
# "petition.deadline_days") — the same rule the before-stop check applies.
NAMES_AN_APP = re.compile(r"(from|import)\s+(petitions|hardship|legalaid|jobs|funds)\b"
                          r"|[\"'](petitions?|hardship|legalaid|jobs|funds)(\.|[\"'](?!\s*:))")


def test_no_core_module_names_an_app():
    offenders = []
    for path in sorted((ROOT / "servicecenter").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/migrations/" in rel or rel in ("servicecenter/settings.py", "servicecenter/urls.py"):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if NAMES_AN_APP.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_every_installed_service_app_is_declared():
    assert {a.label for a in registry.service_apps()} == set(APPS)
    petitions = registry.service_app("petitions")
    assert petitions is not None and petitions.workflows and petitions.permissions and petitions.parameters


def test_a_declaration_with_an_unknown_permission_fails_at_start_up():
    from petitions.models import Petition

    flow = Workflow(Petition, Petition.Status, [step("fly", "飞", [Petition.Status.OPEN], permission="petitions.fly")])
    with pytest.raises(ImproperlyConfigured, match="未声明"):
        registry.register(registry.ServiceApp(label="petitions_probe", name="x", workflows=(flow,)))
    assert registry.service_app("petitions_probe") is None


def test_a_step_to_an_unknown_state_fails_at_import():
    from petitions.models import Petition

    with pytest.raises(ImproperlyConfigured, match="未知状态"):
        Workflow(Petition, Petition.Status, [step("x", "x", ["nowhere"], permission="petitions.handle")])


def test_permissions_must_carry_the_app_label_and_parameters_are_declared_once():
    with pytest.raises(ImproperlyConfigured, match="应以"):
        registry.register(registry.ServiceApp(label="probe", name="x",
                                              permissions=(Permission.of("other.do", "x", ["clerk"]),)))
    with pytest.raises(ImproperlyConfigured, match="已由 petitions 声明"):
        registry.register(registry.ServiceApp(label="probe", name="x", parameters=(
            ParameterSpec("petition.deadline_days", "x", int, 1),)))


@pytest.mark.parametrize("app", ["petitions", "hardship", "jobs", "legalaid", "funds"])
def test_an_app_missing_from_installed_apps_disappears_without_an_error(app, tmp_path):
    env = {**os.environ, "SC_WITHOUT_APP": app, "DJANGO_SETTINGS_MODULE": "tests.settings_without_app",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "MEDIA_ROOT": str(tmp_path / "media"),
           "DEBUG": "1", "PYTHONPATH": str(ROOT)}
    # As a module (python -m): the script's own folder (tests/, with its tests/petitions/) must not
    # come first on sys.path, or "petitions" would be the test package.
    done = subprocess.run([sys.executable, "-m", "tests.app_removal_probe"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert app not in out["apps"] and set(out["apps"]) == set(APPS) - {app}
    name = {"petitions": "信访接待", "hardship": "困难职工档案", "jobs": "就业援助", "legalaid": "法律援助", "funds": "帮扶资金"}[app]
    assert name not in out["nav"]
    for where, page in out["pages"].items():
        assert page["status"] == 200, where
        assert name not in page["body"], where
    # The hardship file page asks "help this year" of whichever service gives help (funds).
    help_pages = [p["body"] for where, p in out["pages"].items() if where.startswith("d1_sup /hardship/")]
    assert len(help_pages) == (0 if app == "hardship" else 2)
    for body in help_pages:
        assert ("本年度帮扶情况" in body or "本年度未帮扶过" in body) == (app != "funds")
