"""Summary of one ``bench/twoservers/run.sh`` run (Markdown, also written to summary.md there).

    python bench/twoservers/summary.py RESULTS_DIR

Exit status 1 when any request of a load run failed.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path


def aggregated(path: Path) -> dict | None:
    if not path.exists():
        return None
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            if row["Name"] == "Aggregated":
                return row
    return None


def main(out: Path) -> int:
    meta = json.loads((out / "meta.json").read_text()) if (out / "meta.json").exists() else {}
    lines = [f"## Two app servers behind nginx: {meta.get('users')} staff, {meta.get('duration')} s per mode, "
             f"{meta.get('scale', 0):,} people; {meta.get('workers_per_server')} gunicorn workers per server; "
             f"nginx {meta.get('nginx')}; {meta.get('machine')}; commit {meta.get('commit')}", ""]
    shared = (out / "shared.txt").read_text().strip() if (out / "shared.txt").exists() else "(not run)"
    lines += ["```", shared, "```", ""]
    lines += ["| mode | requests | failed | req/s | p50 ms | p95 ms | p99 ms | max ms | restarts |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    failed = 0
    for mode in ("drain", "abrupt"):
        row = aggregated(out / f"{mode}_stats.csv")
        if not row:
            continue
        failed += int(row["Failure Count"])
        restarts = "; ".join((out / f"{mode}_restarts.txt").read_text().strip().splitlines())
        lines.append(f"| {mode} | {int(row['Request Count']):,} | {row['Failure Count']} | "
                     f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} | "
                     f"{float(row['Max Response Time']):.0f} | {restarts} |")
        failures = out / f"{mode}_failures.csv"
        if failures.exists() and int(row["Failure Count"]):
            with failures.open(newline="") as f:
                for item in csv.DictReader(f):
                    lines.append(f"|  | {item['Method']} {item['Name']}: {item['Error'][:80]} × {item['Occurrences']} |||||||")
    per_server = {}
    for name in ("a", "b"):
        log = out / f"access-{name}.log"
        per_server[name] = sum(1 for _ in log.open()) if log.exists() else 0
    error_log = (out / "nginx-error.log").read_text() if (out / "nginx-error.log").exists() else ""
    refused = len(re.findall(r"connect\(\) failed \(111", error_log))
    reset = len(re.findall(r"prematurely closed|reset by peer", error_log))
    lines += ["", f"Requests served (access logs, whole run): A {per_server['a']:,}, B {per_server['b']:,}. "
              f"nginx error log: {refused} connections refused by a stopped server (each passed on to the other), "
              f"{reset} upstream connections closed or reset mid-request."]
    text = "\n".join(lines)
    print(text)
    (out / "summary.md").write_text(text + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
