"""Stand-ins for the commands docs/deploy.md runs that need a whole machine (systemd, the system
nginx, PostgreSQL's superuser, apt), used by follow_deploy_doc.py. Invoked as ``shim.py NAME ARGS``.

Everything lives below DEPLOY_TEST_PREFIX: the paths the document names (/opt/servicecenter,
/etc/servicecenter, /etc/nginx, /etc/systemd/system …) are rewritten to that folder, in the
document's commands and in the files those commands install (``rewrite_tree``).

* systemctl — daemon-reload runs ``systemd-analyze verify`` on the installed units (any complaint
  fails); start/stop/restart/reload/enable --now read the unit file and do what systemd would with
  it: a clean environment from EnvironmentFile=/Environment=, User=/Group=, WorkingDirectory=,
  ExecStart= (oneshot: ExecStart then ExecStartPost, waited for), CacheDirectory=, SIGTERM then
  SIGKILL after TimeoutStopSec= on stop. "nginx" is the real nginx with the prefix's nginx.conf.
* nginx — the real nginx with ``-c <prefix>/etc/nginx/nginx.conf``.
* systemd-analyze — the real one, on the rewritten units; any complaint of ``verify`` fails.
* sudo -u postgres — the throwaway server's superuser over its private socket (PG_TEST_SOCKET).
* apt-get install — checks that the packages are installed (the machine is prepared by .ci/run).
* curl — fw.example.org:443/80 connect to the prefix nginx's ports.
* make — ``install-offline`` runs in a network namespace with no network (``unshare -n``).
* sc-manage — the installed one, with SC_HOME/SC_ENV pointing into the prefix.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

PREFIX = Path(os.environ.get("DEPLOY_TEST_PREFIX", "/nonexistent"))
PATHS = ["/opt/servicecenter", "/etc/servicecenter", "/var/lib/servicecenter", "/var/backups/servicecenter",
         "/var/cache/servicecenter", "/etc/nginx", "/etc/systemd/system", "/usr/local/bin", "/srv/wheelhouse"]
HOST = "fw.example.org"
STATE = PREFIX / "run" / "shim"
UNITS = PREFIX / "etc" / "systemd" / "system"
NGINX_CONF = PREFIX / "etc" / "nginx" / "nginx.conf"
REAL_NGINX = "/usr/sbin/nginx"


def rewrite(text: str) -> str:
    env = os.environ
    for path in PATHS:
        text = re.sub(r"(?<![\w.\-/])" + re.escape(path) + r"(?![\w.\-])", str(PREFIX) + path, text)
    text = text.replace("127.0.0.1:5432", f"127.0.0.1:{env['PG_TEST_PORT']}")
    text = text.replace("127.0.0.1:8000", f"127.0.0.1:{env['DEPLOY_TEST_APP_PORT']}")
    text = re.sub(r"^#GUNICORN_BIND=", "GUNICORN_BIND=", text, flags=re.M)
    return text


def rewrite_nginx(text: str) -> str:
    env = os.environ
    text = re.sub(r"^\s*listen \[::\]:\d+[^;]*;\n", "", text, flags=re.M)  # IPv6 may be off here
    text = re.sub(r"\blisten 443\b", f"listen {env['DEPLOY_TEST_HTTPS_PORT']}", text)
    text = re.sub(r"\blisten 80\b", f"listen {env['DEPLOY_TEST_HTTP_PORT']}", text)
    return text


def rewrite_tree() -> None:
    """The files the document installed under the prefix, rewritten in place (idempotent)."""
    for top in ("etc", "usr/local/bin"):
        for path in (PREFIX / top).rglob("*"):
            if not path.is_file() or path.is_symlink() or path.name == "mime.types":
                continue
            try:
                text = path.read_text()
            except (UnicodeDecodeError, PermissionError):
                continue
            new = rewrite(text)
            if "nginx" in path.parts:
                new = rewrite_nginx(new)
            if new != text:
                mode = path.stat().st_mode
                path.write_text(new)
                os.chmod(path, mode)


# --- systemctl ----------------------------------------------------------------------------------


def parse_unit(path: Path) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        values.setdefault(key.strip(), []).append(value.strip())
    return values


def unit_name(name: str) -> str:
    return name if "." in name else name + ".service"


def env_file(path: str) -> dict[str, str]:
    out = {}
    for line in Path(path.lstrip("-")).read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out[key.strip()] = value
    return out


def expand(text: str) -> str:
    return text.replace("%C", str(PREFIX / "var" / "cache"))


def service_env(unit: dict[str, list[str]]) -> dict[str, str]:
    env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8"}
    for file in unit.get("EnvironmentFile", []):
        env.update(env_file(file))
    for assignment in unit.get("Environment", []):
        for item in shlex.split(assignment):
            key, _, value = item.partition("=")
            env[key] = expand(value)
    user = (unit.get("User") or [""])[0]
    if user:
        env["USER"] = env["LOGNAME"] = user
        env["HOME"] = pwd.getpwnam(user).pw_dir
    return env


def demote(unit: dict[str, list[str]]):  # noqa: ANN201
    user = (unit.get("User") or [""])[0]
    group = (unit.get("Group") or [""])[0]
    umask = int((unit.get("UMask") or ["0022"])[0], 8)

    def run() -> None:
        os.umask(umask)
        if user:
            entry = pwd.getpwnam(user)
            os.setgid(grp.getgrnam(group).gr_gid if group else entry.pw_gid)
            os.initgroups(user, entry.pw_gid)
            os.setuid(entry.pw_uid)

    return run


def pid_file(name: str) -> Path:
    return STATE / f"{name}.pid"


def running(name: str) -> int | None:
    path = pid_file(name)
    if not path.exists():
        return None
    pid = int(path.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    # A zombie (exited, not yet reaped by anyone) is not running.
    try:
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return None
    except OSError:
        return None
    return pid


def nginx(*args: str) -> int:
    rewrite_tree()
    return subprocess.call([REAL_NGINX, "-c", str(NGINX_CONF), "-p", str(PREFIX), *args])


def start(name: str) -> int:
    name = unit_name(name)
    if name == "nginx.service":
        if running("nginx.service"):
            return 0
        code = nginx()
        pid_path = PREFIX / "run" / "nginx.pid"
        for _ in range(50):
            if pid_path.exists():
                break
            time.sleep(0.1)
        pid_file(name).write_text(pid_path.read_text().strip())
        return code
    if name.endswith(".timer"):
        (STATE / f"{name}.enabled").write_text("")
        return 0
    if running(name):
        return 0
    rewrite_tree()
    path = UNITS / name
    if not path.exists():
        print(f"systemctl (deploy test): Unit {name} not found.", file=sys.stderr)
        return 5
    unit = parse_unit(path)
    env = service_env(unit)
    for cache in unit.get("CacheDirectory", []):
        folder = PREFIX / "var" / "cache" / cache
        folder.mkdir(parents=True, exist_ok=True)
        user = (unit.get("User") or [""])[0]
        if user:
            os.chown(folder, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
    cwd = (unit.get("WorkingDirectory") or ["/"])[0]
    log = open(STATE / f"{name}.log", "ab")  # noqa: SIM115 — the service keeps it
    kind = (unit.get("Type") or ["simple"])[0]
    commands = [shlex.split(expand(c)) for c in unit.get("ExecStart", [])]
    if kind == "oneshot":
        for command in commands + [shlex.split(expand(c)) for c in unit.get("ExecStartPost", [])]:
            code = subprocess.call(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                   preexec_fn=demote(unit))  # noqa: PLW1509
            if code:
                print(f"systemctl (deploy test): {name}: {command[0]} exited {code}; log: {STATE / (name + '.log')}",
                      file=sys.stderr)
                sys.stderr.write((STATE / f"{name}.log").read_text()[-3000:])
                return code
        return 0
    proc = subprocess.Popen(commands[0], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                            preexec_fn=demote(unit), start_new_session=True)  # noqa: PLW1509
    pid_file(name).write_text(str(proc.pid))
    time.sleep(3)
    if proc.poll() is not None:
        print(f"systemctl (deploy test): {name} exited at once ({proc.returncode}):", file=sys.stderr)
        sys.stderr.write((STATE / f"{name}.log").read_text()[-3000:])
        return 1
    return 0


def stop(name: str) -> int:
    name = unit_name(name)
    if name == "nginx.service":
        if running(name):
            nginx("-s", "quit")
        pid_file(name).unlink(missing_ok=True)
        return 0
    pid = running(name)
    if not pid:
        return 0
    unit = parse_unit(UNITS / name)
    timeout = float((unit.get("TimeoutStopSec") or ["90"])[0])
    os.kill(pid, signal.SIGTERM)  # KillMode=mixed: the main process first
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and running(name):
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # whatever is left of the group
    pid_file(name).unlink(missing_ok=True)
    return 0


def reload(name: str) -> int:
    name = unit_name(name)
    if name == "nginx.service":
        return nginx("-s", "reload") if running(name) else start(name)
    pid = running(name)
    if not pid:
        return start(name)
    os.kill(pid, signal.SIGHUP)
    return 0


def verify() -> int:
    rewrite_tree()
    units = sorted(str(p) for p in UNITS.glob("servicecenter-*"))
    result = subprocess.run(["/usr/bin/systemd-analyze", "verify", *units], capture_output=True, text=True, check=False)
    output = (result.stdout + result.stderr).strip()
    print(f"systemd-analyze verify: {len(units)} units, exit {result.returncode}" + (f"\n{output}" if output else ""))
    return 1 if result.returncode or output else 0


def systemctl(args: list[str]) -> int:
    STATE.mkdir(parents=True, exist_ok=True)
    now = "--now" in args
    words = [a for a in args if not a.startswith("-")]
    verb, names = words[0], words[1:]
    code = 0
    if verb == "daemon-reload":
        return verify()
    if verb == "stop-all":  # the harness's cleanup
        for path in STATE.glob("*.pid"):
            code |= stop(path.name.removesuffix(".pid"))
        return code
    for name in names:
        if verb == "enable":
            (STATE / f"{unit_name(name)}.enabled").write_text("")
            code |= start(name) if now else 0
        elif verb == "start":
            code |= start(name)
        elif verb == "stop":
            code |= stop(name)
        elif verb == "restart":
            code |= stop(name) or start(name)
        elif verb == "reload":
            code |= reload(name)
        elif verb in ("status", "is-active"):
            name = unit_name(name)
            pid = running(name)
            alive = bool(pid) or (STATE / f"{name}.enabled").exists() and name.endswith(".timer")
            print(f"● {name} - {'active (running)' if pid else 'active (waiting)' if alive else 'inactive'}"
                  + (f"  Main PID: {pid}" if pid else ""))
            code |= 0 if alive else 3
        else:
            print(f"systemctl (deploy test): {verb} not supported", file=sys.stderr)
            return 1
    return code


# --- the others -----------------------------------------------------------------------------------


def main(name: str, args: list[str]) -> int:
    env = os.environ
    if name == "systemctl":
        return systemctl(args)
    if name == "nginx":
        return nginx(*args)
    if name == "systemd-analyze":
        rewrite_tree()
        result = subprocess.run(["/usr/bin/systemd-analyze", *args], capture_output=True, text=True, check=False)
        output = (result.stdout + result.stderr).strip()
        print(f"systemd-analyze {args[0]}: exit {result.returncode}" + (f"\n{output}" if output else ", no complaints"))
        # Warnings (an unknown key, a missing executable) count as failures.
        return 1 if result.returncode or (args[:1] == ["verify"] and output) else 0
    if name == "sudo":
        if len(args) < 3 or args[0] != "-u":
            print("sudo (deploy test): only `sudo -u USER COMMAND` is supported", file=sys.stderr)
            return 1
        user, command = args[1], args[2:]
        if user == "postgres":
            child = dict(env, PGHOST=env["PG_TEST_SOCKET"], PGPORT=env["PG_TEST_PORT"], PGUSER="postgres",
                         PATH=f"{env['PG_TEST_BIN']}:{env['PATH']}")
            return subprocess.call(command, env=child)
        return subprocess.call(["runuser", "-u", user, "--", *command])
    if name == "apt-get":
        packages = [a for a in args[1:] if not a.startswith("-")] if args and args[0] == "install" else []
        missing = [p for p in packages if subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True, check=False).stdout
            != "install ok installed"]
        if missing:
            print(f"apt-get (deploy test): not installed: {' '.join(missing)}", file=sys.stderr)
            return 100
        print(f"apt-get (deploy test): {len(packages)} packages already installed")
        return 0
    if name == "curl":
        routes = ["--connect-to", f"{HOST}:443:127.0.0.1:{env['DEPLOY_TEST_HTTPS_PORT']}",
                  "--connect-to", f"{HOST}:80:127.0.0.1:{env['DEPLOY_TEST_HTTP_PORT']}"]
        code = subprocess.call(["/usr/bin/curl", *routes, *args])
        print()
        return code
    if name == "make":
        rewrite_tree()
        if "install-offline" in args:
            print("make (deploy test): install-offline in a network namespace with no network (unshare -n)")
            return subprocess.call(["unshare", "--net", "/usr/bin/make", *args])
        return subprocess.call(["/usr/bin/make", *args])
    if name == "sc-manage":
        rewrite_tree()
        child = dict(env)
        child.setdefault("SC_HOME", str(PREFIX / "opt/servicecenter/current"))
        child.setdefault("SC_ENV", str(PREFIX / "etc/servicecenter/servicecenter.env"))
        return subprocess.call([str(PREFIX / "usr/local/bin/sc-manage"), *args], env=child)
    print(f"shim: unknown command {name}", file=sys.stderr)
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
