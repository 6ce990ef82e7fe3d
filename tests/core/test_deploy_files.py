"""deploy/ agrees with the settings and the README: every variable is in the environment-file
template, the nginx limits fit the application's, gunicorn recycles its workers. (The files are
exercised for real by tests/deploy/, which follows docs/deploy.md.)"""

from __future__ import annotations

import re
import runpy
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TEMPLATE = (DEPLOY / "servicecenter.env.example").read_text()
# Read by settings.py but not for deployments: the test runner's own.
NOT_FOR_DEPLOYMENT = {"SQLITE_TEST_NAME"}


def template_variables() -> set[str]:
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", TEMPLATE, flags=re.M))


def test_the_environment_template_has_every_variable_of_the_settings_and_the_readme():
    settings_source = (ROOT / "servicecenter" / "settings.py").read_text()
    read = set(re.findall(r"""(?:env_int|env_bool|os\.environ\.get)\(\s*"([A-Z][A-Z0-9_]+)\"""", settings_source))
    assert read - NOT_FOR_DEPLOYMENT, "the settings read no variable?"
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`(?: / `([A-Z][A-Z0-9_]+)`)?", readme, flags=re.M))
    documented_names = {name for pair in documented for name in pair if name}
    gunicorn = set(re.findall(r'"(GUNICORN_[A-Z_]+)"', (DEPLOY / "gunicorn.conf.py").read_text()))
    missing = (read - NOT_FOR_DEPLOYMENT | documented_names | gunicorn) - template_variables()
    assert not missing, f"not in deploy/servicecenter.env.example: {sorted(missing)}"
    assert not (read - NOT_FOR_DEPLOYMENT) - documented_names, "a setting's variable is missing from the README"


def test_the_template_is_production_ready_once_the_secrets_are_filled_in():
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", TEMPLATE, flags=re.M))
    assert values["DEBUG"] == "0"
    assert values["SECRET_KEY"] == values["FIELD_ENCRYPTION_KEY"] == "CHANGE-ME"
    assert values["BEHIND_TLS_PROXY"] == "1" and values["PROXY_COUNT"] == "1"
    assert "SECURE_SSL_REDIRECT" not in values  # the default (on) passes check --deploy behind nginx


def test_nginx_accepts_what_the_application_accepts_and_serves_no_upload():
    site = (DEPLOY / "nginx" / "servicecenter.conf").read_text()
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", site).group(1))
    assert megabytes * 1024 * 1024 >= settings.ATTACHMENT_MAX_BYTES + 1024 * 1024
    assert "/var/lib/servicecenter/media" not in site  # uploads only through the download view
    proxy = (DEPLOY / "nginx" / "servicecenter-proxy.conf").read_text()
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s;", proxy).group(1))
    gunicorn = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert read_timeout > gunicorn["timeout"]  # gunicorn gives up first, with its own error


def test_gunicorn_recycles_workers_and_drains_on_stop():
    gunicorn = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert gunicorn["max_requests"] > 0 and 0 < gunicorn["max_requests_jitter"] < gunicorn["max_requests"]
    assert gunicorn["graceful_timeout"] >= 20
    unit = (DEPLOY / "systemd" / "servicecenter-web.service").read_text()
    stop = int(re.search(r"^TimeoutStopSec=(\d+)", unit, flags=re.M).group(1))
    assert stop > gunicorn["graceful_timeout"]  # systemd waits for the drain before it kills


def test_every_unit_runs_as_the_service_user_from_the_current_release():
    for path in sorted((DEPLOY / "systemd").glob("*.service")):
        text = path.read_text()
        assert "User=servicecenter" in text and "EnvironmentFile=/etc/servicecenter/servicecenter.env" in text, path
        for command in re.findall(r"^Exec\w*=(\S+)", text, flags=re.M):
            assert command.startswith(("/opt/servicecenter/current/.venv/bin/", "/bin/kill")), (path, command)
    timer = (DEPLOY / "systemd" / "servicecenter-backup.timer").read_text()
    assert "OnCalendar=" in timer and "Persistent=true" in timer
