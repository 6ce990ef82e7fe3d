"""Summary of one ``bench/soak/run.sh`` run: p95 per 5 minutes, each worker's memory after warm-up
and at the end, errors (Markdown, also written to summary.md there).

    python bench/soak/summary.py RESULTS_DIR

Exit status 1 when a request failed or a worker grew by more than 50 MB after the warm-up.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

GROWTH_LIMIT_MB = 50
WARMUP_S = 300


def memory(path: Path) -> dict[int, list[tuple[float, float, float]]]:
    out: dict[int, list[tuple[float, float, float]]] = defaultdict(list)
    if path.exists():
        with path.open(newline="") as f:
            for row in csv.DictReader(f):
                out[int(row["pid"])].append((float(row["seconds"]), float(row["rss_mb"]), float(row["uss_mb"])))
    return out


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares MB per hour."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    var = sum((p[0] - mx) ** 2 for p in points)
    return 0.0 if not var else sum((p[0] - mx) * (p[1] - my) for p in points) / var * 3600


def phase(out: Path, name: str, lines: list[str]) -> tuple[int, list[float]]:
    meta = json.loads((out / f"{name}_meta.json").read_text())
    minutes = json.loads((out / f"{name}_minutes.json").read_text()) if (out / f"{name}_minutes.json").exists() else {}
    lines.append(f"### {name}: {meta['description']}")
    lines.append("")
    lines.append("| minutes | requests | failed | p50 ms | p95 ms (worst minute) | p99 ms |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    failed = 0
    p95s = []
    keys = sorted(int(k) for k in minutes)
    for start in range(0, (max(keys) + 1) if keys else 0, 5):
        window = [minutes[str(m)] for m in range(start, start + 5) if str(m) in minutes]
        if not window:
            continue
        requests = sum(w["requests"] for w in window)
        fails = sum(w["failures"] for w in window)
        failed += fails
        worst = max(w["p95"] for w in window)
        p95s.append(worst)
        lines.append(f"| {start}–{start + len(window)} | {requests:,} | {fails} | "
                     f"{sorted(w['p50'] for w in window)[len(window) // 2]:.0f} | {worst:.0f} | "
                     f"{max(w['p99'] for w in window):.0f} |")
    lines.append("")
    workers = memory(out / f"{name}_memory.csv")
    lines.append(f"Memory of each gunicorn worker (max_requests={meta['max_requests']}; warm-up = the first "
                 f"{WARMUP_S // 60} minutes):")
    lines.append("")
    lines.append("| worker | samples | RSS at warm-up end MB | RSS at end MB | growth MB | USS growth MB | USS trend MB/h |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    worst_growth = 0.0
    for pid, samples in sorted(workers.items()):
        after = [s for s in samples if s[0] >= WARMUP_S] or samples
        if len(after) < 2:
            continue
        growth = after[-1][1] - after[0][1]
        uss_growth = after[-1][2] - after[0][2]
        worst_growth = max(worst_growth, growth, uss_growth)
        lines.append(f"| {pid} | {len(samples)} | {after[0][1]:.0f} | {after[-1][1]:.0f} | {growth:+.1f} | "
                     f"{uss_growth:+.1f} | {slope([(s[0], s[2]) for s in after]):+.1f} |")
    lines.append("")
    met = failed == 0 and worst_growth <= GROWTH_LIMIT_MB
    lines.append(f"Goal (0 errors, every worker's growth after warm-up ≤ {GROWTH_LIMIT_MB} MB): "
                 f"{'met' if met else 'NOT met'} — {failed} errors, largest growth {worst_growth:+.1f} MB; "
                 f"p95 per 5 minutes {min(p95s, default=0):.0f}–{max(p95s, default=0):.0f} ms.")
    lines.append("")
    return (0 if met else 1), p95s


def main(out: Path) -> int:
    lines = ["## Soak", ""]
    meta = json.loads((out / "meta.json").read_text()) if (out / "meta.json").exists() else {}
    if meta:
        lines += [f"{meta.get('scale', 0):,} people; gunicorn {meta.get('workers')} sync workers; {meta.get('machine')}; "
                  f"commit {meta.get('commit')}.", ""]
    status = 0
    for name in ("soak", "hostile"):
        if (out / f"{name}_meta.json").exists():
            code, _ = phase(out, name, lines)
            status |= code
    text = "\n".join(lines)
    print(text)
    (out / "summary.md").write_text(text + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
