"""gunicorn settings for 职工服务中心管理系统 (``gunicorn -c deploy/gunicorn.conf.py servicecenter.wsgi``).

Every value can be changed in /etc/servicecenter/servicecenter.env (GUNICORN_*); see docs/deploy.md.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


# nginx connects here (127.0.0.1 when it runs on the same machine; the machine's intranet address
# when nginx is in front of several app servers).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# Sync workers: each request has a process to itself (a PDF or a register blocks no one else's).
# Two per core: requests spend part of their time waiting for PostgreSQL. ~250–350 MB each.
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count())
worker_class = "sync"
# A worker is replaced after this many requests (plus up to max_requests_jitter, so they are not
# all replaced at once): any slow growth of a worker's memory is bounded. bench/soak/README.md has
# what a worker's memory does over a working day without it.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Registers and PDFs of a few thousand rows take seconds; larger exports go to the background worker.
timeout = _int("GUNICORN_TIMEOUT", 120)
# On stop (SIGTERM) or restart: the requests in progress get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# nginx talks HTTP/1.0 to the upstream without keepalive; sync workers close after each response.
keepalive = 2
# The heartbeat files of the workers on a tmpfs (a disk that stalls must not kill workers).
# (gunicorn creates them with mkstemp and unlinks them at once; PrivateDevices keeps a /dev/shm.)
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Request logs to the journal (systemd) in nginx's "combined" form plus the time taken (µs).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s'
# gunicorn ≥ 25's control socket (for gunicornc) is not used; it would go to the home folder, which the
# service user does not have, and two instances on one machine would share its default path.
control_socket_disable = True
proc_name = os.environ.get("GUNICORN_PROC_NAME", "servicecenter")
# Only nginx (local or on the intranet) may tell gunicorn the client's scheme.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
