"""``manage.py check --deploy`` passes with production settings and refuses the development keys.

Run in a subprocess: settings are read from the environment once, at start-up.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import ERROR

from servicecenter.checks import production_secrets
from servicecenter.settings import DEV_FIELD_ENCRYPTION_KEY, DEV_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]

# Everything settings.py reads that could change the outcome; each case sets what it needs.
SETTINGS_ENV = {"DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS",
                "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "BEHIND_TLS_PROXY"}


def production_env(**overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), FIELD_ENCRYPTION_KEY=secrets.token_urlsafe(40),
               ALLOWED_HOSTS="example.org", DJANGO_SETTINGS_MODULE="servicecenter.settings")
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_production_settings_pass():
    result = deploy_check(production_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output


def test_development_keys_are_refused():
    result = deploy_check(production_env(SECRET_KEY=None, FIELD_ENCRYPTION_KEY=None))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "SECRET_KEY" in output and "sc.E001" in output
    assert "FIELD_ENCRYPTION_KEY" in output and "sc.E002" in output


# The finer cases call the check function in-process: a subprocess costs seconds of start-up.
@pytest.mark.parametrize(("overrides", "codes"), [
    pytest.param({}, [], id="production"),
    pytest.param({"SECRET_KEY": DEV_SECRET_KEY}, ["sc.E001"], id="secret-key-default"),
    pytest.param({"FIELD_ENCRYPTION_KEY": DEV_FIELD_ENCRYPTION_KEY}, ["sc.E002"], id="encryption-key-default"),
    pytest.param({"FIELD_ENCRYPTION_KEY": "short-key"}, ["sc.E003"], id="encryption-key-too-short"),
    pytest.param({"FIELD_ENCRYPTION_KEY": "k" * 60, "SECRET_KEY": "k" * 60}, ["sc.E004"], id="same-keys"),
])
def test_production_secrets_check(settings, overrides, codes):
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    settings.FIELD_ENCRYPTION_KEY = secrets.token_urlsafe(40)
    for key, value in overrides.items():
        setattr(settings, key, value)
    problems = production_secrets(None)
    assert [p.id for p in problems] == codes
    assert all(p.level >= ERROR for p in problems)
