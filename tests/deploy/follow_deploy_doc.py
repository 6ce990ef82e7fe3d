"""Follow docs/deploy.md on this machine, as far as it can go without systemd, and check the result.

    tests/deploy/run.sh          # as root: a throwaway PostgreSQL, then this script (.ci/run step)

Every ```sh block of docs/deploy.md runs, in order, in one bash session (``set -euo pipefail``), except
the blocks after a ``<!-- test: skip -->`` line; a block after ``<!-- test: connected -->`` runs in the
source checkout (the "connected machine" of step 0: ``make wheelhouse`` downloads from the package
index). The paths the document names are rewritten into a temporary folder (``shim.py``), and the
commands that need a whole machine (systemctl, nginx, apt-get, sudo -u postgres, curl to the
document's host name) are stand-ins from ``shim.py``: the real nginx and gunicorn run, as the real
``servicecenter`` user, from the unit files the document installed. ``make install-offline`` runs in a
network namespace with no network at all.

Then, through nginx and TLS: the health endpoints, a login as the admin the document created, the
static files, the security headers, the upload limit, HTTP → HTTPS; the daily backup's archive, the
restore drill and the upgrade ran as the document says (their blocks are part of the run). Every
process started is stopped, the folder removed, and the ``servicecenter`` user removed again if this
run created it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deploy.md"
SHIM = Path(__file__).resolve().parent / "shim.py"
SHIMS = ("systemctl", "systemd-analyze", "nginx", "sudo", "apt-get", "curl", "make", "sc-manage")
HOST = "fw.example.org"
ADMIN = ("admin", "Kaishi@2026xyz")  # as in docs/deploy.md, step 7

NGINX_MAIN = """user www-data;
worker_processes 1;
pid {prefix}/run/nginx.pid;
error_log {prefix}/var/log/nginx/error.log;
events {{ worker_connections 256; }}
http {{
    include {prefix}/etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {prefix}/var/log/nginx/access.log;
    client_body_temp_path {prefix}/var/lib/nginx/body;
    proxy_temp_path {prefix}/var/lib/nginx/proxy;
    fastcgi_temp_path {prefix}/var/lib/nginx/fastcgi;
    uwsgi_temp_path {prefix}/var/lib/nginx/uwsgi;
    scgi_temp_path {prefix}/var/lib/nginx/scgi;
    include {prefix}/etc/nginx/sites-enabled/*;
}}
"""


def blocks(text: str) -> list[tuple[int, str, str]]:
    """(line, mode, code) of every ```sh block: mode run | skip | connected."""
    out = []
    lines = text.splitlines()
    i = 0
    mode = "run"
    while i < len(lines):
        line = lines[i]
        marker = re.match(r"<!-- test: (skip|connected)\b", line.strip())
        if marker:
            mode = marker.group(1)
        elif line.startswith("```sh"):
            start = i + 1
            body = []
            i += 1
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            out.append((start, mode, "\n".join(body)))
            mode = "run"
        elif line.startswith("```"):
            i += 1
            while not lines[i].startswith("```"):
                i += 1
            mode = "run"
        i += 1
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def user_exists(name: str) -> bool:
    return subprocess.run(["getent", "passwd", name], capture_output=True, check=False).returncode == 0


class Failed(Exception):
    pass


def check(condition: bool, what: str) -> None:
    print(f"  {'ok  ' if condition else 'FAIL'} {what}")
    if not condition:
        raise Failed(what)


def main() -> int:
    if os.geteuid() != 0:
        print("follow_deploy_doc.py: run as root (it creates the servicecenter user and runs nginx)", file=sys.stderr)
        return 2
    for var in ("PG_TEST_SOCKET", "PG_TEST_PORT", "PG_TEST_BIN"):
        if var not in os.environ:
            print(f"follow_deploy_doc.py: {var} missing — run through tests/deploy/run.sh", file=sys.stderr)
            return 2
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, check=False).stdout.strip()
    if dirty:
        print("follow_deploy_doc.py: note: uncommitted changes are not in the release (make wheelhouse "
              "packs the commit)")

    prefix = Path(tempfile.mkdtemp(prefix="sc-deploy."))
    os.chmod(prefix, 0o755)  # the servicecenter and www-data users reach the release and the files
    user_was_there = user_exists("servicecenter")
    ports = {"DEPLOY_TEST_HTTP_PORT": free_port(), "DEPLOY_TEST_HTTPS_PORT": free_port(),
             "DEPLOY_TEST_APP_PORT": free_port()}
    bin_dir = prefix / "shims"
    for folder in ("etc/nginx/sites-available", "etc/nginx/sites-enabled", "etc/systemd/system", "usr/local/bin",
                   "srv", "run/systemd/system", "run/shim", "var/cache", "var/log/nginx", "var/lib/nginx", "shims"):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    shutil.copy("/etc/nginx/mime.types", prefix / "etc/nginx/mime.types")
    (prefix / "etc/nginx/nginx.conf").write_text(NGINX_MAIN.format(prefix=prefix))
    for name in SHIMS:
        path = bin_dir / name
        path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{SHIM}" {name} "$@"\n')
        path.chmod(0o755)

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_", "SECRET_KEY", "FIELD_ENCRYPTION", "MEDIA_ROOT", "DEBUG", "VIRTUAL_ENV"))}
    env.update({k: str(v) for k, v in ports.items()})
    env.update(DEPLOY_TEST_PREFIX=str(prefix), SYSTEMD_DIR=str(prefix / "run/systemd/system"),
               PATH=f"{bin_dir}:{prefix}/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               HOME="/root", LANG="C.UTF-8")
    sys.path.insert(0, str(SHIM.parent))
    os.environ.update(env)
    import shim  # noqa: E402 — reads DEPLOY_TEST_PREFIX

    script = ["set -euo pipefail", "cd /"]
    ran = skipped = 0
    for line, mode, code in blocks(DOC.read_text()):
        if mode == "skip":
            skipped += 1
            continue
        ran += 1
        code = shim.rewrite(code)
        script.append(f"printf '\\n\\033[1m## docs/deploy.md line {line}{' (connected machine)' if mode == 'connected' else ''}\\033[0m\\n'")
        script.append(f"( cd {ROOT} && {code}\n)" if mode == "connected" else code)
    (prefix / "deploy-doc.sh").write_text("\n".join(script) + "\n")
    print(f"docs/deploy.md: {ran} command blocks to run, {skipped} marked skip; prefix {prefix}")

    started = time.monotonic()
    status = 1
    try:
        result = subprocess.run(["bash", str(prefix / "deploy-doc.sh")], env=env, cwd="/", timeout=1800, check=False)
        print(f"\ndocs/deploy.md commands: exit {result.returncode} in {time.monotonic() - started:.0f} s")
        if result.returncode:
            for log in sorted((prefix / "run/shim").glob("*.log")):
                print(f"--- {log.name} (last lines)\n{log.read_text()[-2500:]}")
            return result.returncode
        print("\nchecks through nginx:")
        after_checks(prefix, env)
        status = 0
    except Failed:
        for log in sorted((prefix / "run/shim").glob("*.log")) + [prefix / "var/log/nginx/error.log"]:
            if log.exists():
                print(f"--- {log.name} (last lines)\n{log.read_text()[-2500:]}")
        status = 1
    finally:
        subprocess.run([str(bin_dir / "systemctl"), "stop-all"], env=env, check=False)
        if not user_was_there and user_exists("servicecenter"):
            subprocess.run(["deluser", "--system", "--quiet", "servicecenter"], check=False)
            subprocess.run(["delgroup", "--system", "--quiet", "servicecenter"], check=False,
                           stderr=subprocess.DEVNULL)
        if os.environ.get("KEEP_DEPLOY_PREFIX") != "1":
            shutil.rmtree(prefix, ignore_errors=True)
    print(f"\ndeploy doc test: {'PASSED' if status == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s")
    return status


def after_checks(prefix: Path, env: dict[str, str]) -> None:
    curl = [str(prefix / "shims" / "curl"), "-sS", "--cacert", str(prefix / "etc/servicecenter/tls/fullchain.pem")]
    base = f"https://{HOST}"
    jar = prefix / "cookies.txt"

    def fetch(*args: str) -> tuple[int, str, str]:
        out = subprocess.run([*curl, "-D", "-", "-o", str(prefix / "body"), "-w", "\n%{http_code}", *args],
                             env=env, capture_output=True, text=True, check=False)
        lines = out.stdout.strip().splitlines()
        body = (prefix / "body").read_text(errors="replace") if (prefix / "body").exists() else ""
        return int(lines[-1]) if lines and lines[-1].isdigit() else 0, out.stdout, body

    code, headers, body = fetch(f"{base}/readyz")
    check(code == 200 and '"status": "ok"' in body, f"/readyz through nginx over TLS: {code} {body.strip()}")
    code, headers, _ = fetch(f"http://{HOST}/accounts/login/")
    check(code == 301 and f"location: https://{HOST}/accounts/login/" in headers.lower(), "http:// → 301 to https://")

    code, headers, body = fetch("-c", str(jar), f"{base}/accounts/login/")
    check(code == 200 and 'name="password"' in body, "login page")
    lower = headers.lower()
    for header in ("content-security-policy:", "strict-transport-security:", "x-content-type-options: nosniff",
                   "x-frame-options: deny", "referrer-policy: same-origin", "cross-origin-opener-policy:",
                   "permissions-policy:"):
        check(lower.count(header) == 1, f"one {header.rstrip(':')} header")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    check(token is not None, "CSRF token on the login form")
    code, headers, _ = fetch("-b", str(jar), "-c", str(jar), "-e", f"{base}/accounts/login/",
                             "--data-urlencode", f"csrfmiddlewaretoken={token.group(1)}",
                             "--data-urlencode", f"username={ADMIN[0]}", "--data-urlencode", f"password={ADMIN[1]}",
                             f"{base}/accounts/login/")
    check(code == 302, f"the admin of step 7 logs in ({code})")
    code, _, body = fetch("-b", str(jar), f"{base}/admin/")
    check(code == 200 and "组织单位" in body, f"/admin/ as the system admin ({code})")

    code, headers, _ = fetch(f"{base}/static/css/app.css")
    check(code == 200 and "cache-control: no-cache" in headers.lower(), "static file from nginx, revalidated")
    big = prefix / "big.bin"
    big.write_bytes(b"0" * (13 * 1024 * 1024))
    code, _, _ = fetch("-b", str(jar), "-F", f"file=@{big}", f"{base}/attachments/x.y/1/")
    check(code == 413, f"a 13 MB upload is refused by nginx ({code})")
    code, _, _ = fetch(f"{base}/media/exports/")
    check(code != 200, f"nothing under /media/ is served ({code})")

    backups = sorted((prefix / "var/backups/servicecenter").glob("servicecenter-*.tar"))
    # The nightly backup and make upgrade's: retention keeps the newest of the day.
    check(len(backups) == 1, f"one archive in BACKUP_DIR after the backup and the upgrade ({len(backups)})")
    check(all(oct(b.stat().st_mode & 0o777) == "0o600" and b.stat().st_uid == _uid("servicecenter")
              for b in backups), "archives are the servicecenter user's, mode 0600")
    for unit in ("servicecenter-web.service", "servicecenter-worker.service"):
        pid = int((prefix / "run/shim" / f"{unit}.pid").read_text())
        uid = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                   if line.startswith("Uid:"))
        check(uid == _uid("servicecenter"), f"{unit} runs as servicecenter")
    link = prefix / "opt/servicecenter/current"
    check(link.is_symlink() and (link / "RELEASE").exists(), f"current → {os.readlink(link)}")


def _uid(user: str) -> int:
    import pwd

    return pwd.getpwnam(user).pw_uid


if __name__ == "__main__":
    sys.exit(main())
