"""Summary of one ``bench/load/run.sh`` run: reads the locust CSVs in the results folder, prints the
tables (Markdown) and writes them to ``summary.md`` and ``summary.json`` there.

    python bench/load/summary.py /tmp/sc-load-results.XXXXXX

Exit status 1 when any measured run had a failed request.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

P95_GOAL_MS = 300


def read_stats(path: Path) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    if not path.exists():
        return rows
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            rows[row["Name"]] = {  # the locustfile's names carry the method already
                "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]), "p50": _ms(row["50%"]), "p95": _ms(row["95%"]),
                "p99": _ms(row["99%"]), "max": _ms(row["Max Response Time"]),
                "avg": float(row["Average Response Time"] or 0),
            }
    return rows


def _ms(value: str) -> float | None:
    return None if value in ("", "N/A") else float(value)


def read_cpu(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def fmt(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def cpu_columns(cpu: dict | None) -> tuple[str, str, str, str]:
    """Server (gunicorn) and PostgreSQL CPU ms per request; client and other processes, % of the machine."""
    if not cpu or not cpu.get("requests"):
        return "–", "–", "–", "–"
    used, n = cpu["cpu_seconds"], cpu["requests"]
    capacity = cpu["wall_seconds"] * cpu["cores"]
    return (f"{1000 * used['server'] / n:.1f}", f"{1000 * used['postgres'] / n:.1f}",
            f"{100 * used['client'] / capacity:.0f} %", f"{100 * max(used['other'], 0) / capacity:.0f} %")


def table_header(lines: list[str]) -> None:
    lines.append("| request | count | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")


def table_row(lines: list[str], name: str, s: dict) -> None:
    label = f"**{name}**" if name == "Aggregated" else name
    lines.append(f"| {label} | {s['requests']:,} | {s['failures']} | {s['rps']:.1f} | {fmt(s['p50'])} | "
                 f"{fmt(s['p95'])} | {fmt(s['p99'])} | {fmt(s['max'])} |")


def main(out: Path) -> int:
    meta = json.loads((out / "meta.json").read_text()) if (out / "meta.json").exists() else {}
    lines: list[str] = []
    failed = 0
    result: dict = {"meta": meta}

    a = read_stats(out / "a_stats.csv")
    a_cpu = read_cpu(out / "a_cpu.json")
    result["a"] = {"stats": a, "cpu": a_cpu}
    agg = a.get("Aggregated")
    setup = (f"{meta.get('scale', 0):,} bulk people; gunicorn {meta.get('workers', '?')} workers × "
             f"{meta.get('threads', 1)} thread(s); PostgreSQL jit={meta.get('pg_jit', '?')}")
    lines.append(f"## (a) Working day: {meta.get('users_a', '?')} staff, 1–3 s pauses, {meta.get('duration_a', '?')} s "
                 f"measured once all have logged in ({setup})")
    lines.append("")
    table_header(lines)
    for name, s in sorted(a.items(), key=lambda kv: (kv[0] == "Aggregated", kv[0])):
        if s["requests"]:
            table_row(lines, name, s)
    if agg:
        failed += agg["failures"]
        met = agg["failures"] == 0 and agg["p95"] is not None and agg["p95"] < P95_GOAL_MS
        slow = [n for n, s in a.items() if n != "Aggregated" and (s["p95"] or 0) >= P95_GOAL_MS]
        lines.append("")
        lines.append(f"Goal (zero errors, p95 < {P95_GOAL_MS} ms over all requests): "
                     f"{'met' if met else 'NOT met'} — {agg['failures']} errors, p95 {fmt(agg['p95'])} ms."
                     + (f" Requests with p95 ≥ {P95_GOAL_MS} ms: {', '.join(slow)}." if slow else ""))
        result["a"]["goal_met"] = met
    arrival_path = out / "a_arrival.json"
    if arrival_path.exists():
        arrival = json.loads(arrival_path.read_text())
        result["a"]["arrival"] = arrival
        agg_arrival = arrival.get("Aggregated", {})
        failed += agg_arrival.get("failures", 0)
        lines.append("")
        lines.append(f"Arrival: the {meta.get('users_a', '?')} staff log in, {meta.get('spawn_a', '?')} a second "
                     f"({agg_arrival.get('seconds', '?')} s until the last login; not part of the figures above):")
        lines.append("")
        table_header(lines)
        for name, s in sorted(arrival.items(), key=lambda kv: (kv[0] == "Aggregated", kv[0])):
            if not name.startswith("_") and s["requests"]:
                table_row(lines, name, s)
        if arrival.get("_cpu"):
            srv, pg, client, other = cpu_columns(arrival["_cpu"])
            lines.append("")
            lines.append(f"CPU during the arrival, per request: gunicorn {srv} ms, PostgreSQL {pg} ms; other processes {other}.")
        lines.append("")
    if a_cpu:
        srv, pg, client, other = cpu_columns(a_cpu)
        lines.append(f"CPU during the measured window, per request: gunicorn {srv} ms, PostgreSQL {pg} ms; locust used {client} of the machine, "
                     f"other processes {other}; load average at the end {', '.join(f'{x:.1f}' for x in a_cpu['load_average'])}.")
    lines.append("")

    steps = []
    for path in sorted(out.glob("b_*_stats.csv"), key=lambda p: int(p.name.split("_")[1])):
        users = int(path.name.split("_")[1])
        stats = read_stats(path).get("Aggregated")
        if stats:
            steps.append((users, stats, read_cpu(out / f"b_{users}_cpu.json"), read_stats(path)))
    pings = []
    for path in sorted(out.glob("ping_*_stats.csv"), key=lambda p: int(p.name.split("_")[1])):
        users = int(path.name.split("_")[1])
        stats = read_stats(path).get("Aggregated")
        if stats:
            pings.append((users, stats, read_cpu(out / f"ping_{users}_cpu.json")))

    lines.append(f"## (b) Saturation: the same mix with no pauses, {meta.get('step_seconds', '?')} s per step "
                 "(measured after every user has logged in)")
    lines.append("")
    lines.append("| staff | requests | errors | req/s | p50 ms | p95 ms | p99 ms | gunicorn CPU ms/req | "
                 "PostgreSQL CPU ms/req | locust CPU | other processes |")
    lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for users, s, cpu, _ in steps:
        failed += s["failures"]
        lines.append(f"| {users} | {s['requests']:,} | {s['failures']} | {s['rps']:.1f} | {fmt(s['p50'])} | "
                     f"{fmt(s['p95'])} | {fmt(s['p99'])} | {' | '.join(cpu_columns(cpu))} |")
    for users, s, cpu in pings:
        failed += s["failures"]
        lines.append(f"| ping ×{users} | {s['requests']:,} | {s['failures']} | {s['rps']:.1f} | {fmt(s['p50'])} | "
                     f"{fmt(s['p95'])} | {fmt(s['p99'])} | {' | '.join(cpu_columns(cpu))} |")
    clean = [(u, s) for u, s, _, _ in steps if s["failures"] == 0]
    best = max(clean, key=lambda x: x[1]["rps"]) if clean else None
    ping_best = max((s["rps"] for _, s, _ in pings if s["failures"] == 0), default=None)
    lines.append("")
    if best:
        ratio = f"{best[1]['rps'] / ping_best:.1%}" if ping_best else "–"
        lines.append(f"Highest rate with zero errors: **{best[1]['rps']:.1f} req/s** at {best[0]} staff "
                     f"(p95 {fmt(best[1]['p95'])} ms); /bench/ping/ on the same gunicorn: "
                     f"**{fmt(ping_best, 1)} req/s** → ratio **{ratio}**.")
        result["b"] = {"best_users": best[0], "best_rps": best[1]["rps"], "ping_rps": ping_best}
        # What the mix costs, per request, at the best step.
        per = next(st for u, _, _, st in steps if u == best[0])
        lines.append("")
        lines.append(f"Per request at {best[0]} staff:")
        lines.append("")
        lines.append("| request | count | p50 ms | p95 ms | p99 ms |")
        lines.append("|---|---:|---:|---:|---:|")
        for name, s in sorted(per.items(), key=lambda kv: (kv[0] == "Aggregated", kv[0])):
            if name != "Aggregated" and s["requests"]:
                lines.append(f"| {name} | {s['requests']:,} | {fmt(s['p50'])} | {fmt(s['p95'])} | {fmt(s['p99'])} |")
    result["b_steps"] = {u: {"stats": s, "cpu": c} for u, s, c, _ in steps}
    result["ping"] = {u: {"stats": s, "cpu": c} for u, s, c in pings}
    lines.append("")
    lines.append(f"Setup: migrate {meta.get('migrate_seconds', '?')} s, seed_demo --scale {meta.get('scale', 0):,} "
                 f"{meta.get('seed_seconds', '?')} s, VACUUM (ANALYZE) {meta.get('vacuum_seconds', '?')} s. Machine: {meta.get('machine', '?')}, {meta.get('cpu_model', '?')}; "
                 f"PostgreSQL {meta.get('postgres', '?')}. Commit {meta.get('commit', '?')}.")

    text = "\n".join(lines)
    print(text)
    (out / "summary.md").write_text(text + "\n")
    (out / "summary.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    if failed:
        print(f"\n{failed} failed requests: see {out}/*_failures.csv", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
