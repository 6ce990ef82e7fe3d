"""Sample the memory of every gunicorn worker under a master pid until told to stop (bench/soak/).

    python bench/soak/memory.py MASTER_PID OUT.csv [SECONDS]     # every SECONDS (default 15); SIGTERM ends it

One row per worker and sample: seconds since the start, worker pid, RSS and USS in MB (USS: the pages
only this process has — what a leak grows; RSS also counts the pages shared with the master).
"""

from __future__ import annotations

import csv
import signal
import sys
import time

import psutil

running = True


def stop(*_args: object) -> None:
    global running
    running = False


def main(master: int, out: str, every: float) -> None:
    signal.signal(signal.SIGTERM, stop)
    start = time.monotonic()
    with open(out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["seconds", "pid", "rss_mb", "uss_mb", "requests_hint"])
        while running:
            try:
                workers = psutil.Process(master).children()
            except psutil.NoSuchProcess:
                return
            for worker in workers:
                try:
                    info = worker.memory_full_info()
                except psutil.Error:
                    continue
                writer.writerow([round(time.monotonic() - start, 1), worker.pid, round(info.rss / 2**20, 1),
                                 round(info.uss / 2**20, 1), ""])
            f.flush()
            deadline = time.monotonic() + every
            while running and time.monotonic() < deadline:
                time.sleep(0.5)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 15.0)
