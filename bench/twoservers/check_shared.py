"""Through nginx, with two app servers behind it: one session is served by either, and a background
export made by the worker is downloaded from either (sessions in the database, MEDIA_ROOT shared).

    python bench/twoservers/check_shared.py https://127.0.0.1:PORT ACCESS_LOG_A ACCESS_LOG_B CERTIFICATE

Prints what it saw; exit status 1 if either server never served the session or the download.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from pathlib import Path

import requests

PASSWORD = os.environ.get("DEMO_PASSWORD", "Demo@2026!")


def count(log: Path, pattern: str) -> int:
    return sum(1 for line in log.read_text().splitlines() if re.search(pattern, line)) if log.exists() else 0


def main(base: str, log_a: Path, log_b: Path, certificate: str) -> int:
    s = requests.Session()
    s.trust_env = False  # the run's own self-signed certificate, not a CA bundle from the environment
    s.verify = certificate
    page = s.get(f"{base}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    r = s.post(f"{base}/accounts/login/", data={"csrfmiddlewaretoken": token, "username": "d1_sup",
                                                "password": PASSWORD, "next": ""},
               headers={"Referer": f"{base}/accounts/login/"}, allow_redirects=False)
    assert r.status_code == 302, f"login: {r.status_code}"
    before = (count(log_a, r"GET /people/ "), count(log_b, r"GET /people/ "))
    statuses = [s.get(f"{base}/people/", allow_redirects=False).status_code for _ in range(20)]
    time.sleep(0.5)  # the access logs are written after the response
    served = (count(log_a, r"GET /people/ ") - before[0], count(log_b, r"GET /people/ ") - before[1])
    print(f"one session, 20 × GET /people/: statuses {sorted(set(statuses))}, served by A {served[0]}, B {served[1]}")
    ok = statuses == [200] * 20 and min(served) > 0

    r = s.get(f"{base}/people/export.xlsx", allow_redirects=False)
    assert r.status_code == 302 and "/exports/" in r.headers["Location"], f"export: {r.status_code}"
    job = r.headers["Location"].rstrip("/").split("/")[-1]
    start = time.monotonic()
    while time.monotonic() - start < 300:
        state = s.get(f"{base}/exports/{job}/status.json").json()
        if state["finished"]:
            break
        time.sleep(0.5)
    print(f"background export {job}: {state['status']}, {state['row_count']} rows, {state['size']} bytes, "
          f"{time.monotonic() - start:.1f} s (the worker wrote it to the shared MEDIA_ROOT)")
    ok = ok and state["status"] == "done"
    before = (count(log_a, f"GET /exports/{job}/download/"), count(log_b, f"GET /exports/{job}/download/"))
    digests = set()
    for _ in range(8):
        r = s.get(f"{base}/exports/{job}/download/")
        ok = ok and r.status_code == 200 and r.content[:2] == b"PK"
        digests.add(hashlib.sha256(r.content).hexdigest())
    time.sleep(0.5)
    served = (count(log_a, f"GET /exports/{job}/download/") - before[0],
              count(log_b, f"GET /exports/{job}/download/") - before[1])
    print(f"8 downloads of it: one file ({len(digests)} distinct), served by A {served[0]}, B {served[1]}")
    ok = ok and len(digests) == 1 and min(served) > 0
    print("sessions and background exports served by either server: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]))
