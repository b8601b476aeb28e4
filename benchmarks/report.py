"""The figures: one printed table, benchmarks/results.json (every figure, merged over runs)
and benchmarks/results.md (a table per database, rows by scales, with issue 9's targets)."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from benchmarks.rows import ROWS, Row

HERE = Path(__file__).resolve().parent
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "results.md"
SCALES = ("small", "medium", "large")
DATABASES = ("sqlite", "postgresql")
DB_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def load() -> dict[str, Any]:
    if RESULTS_JSON.exists():
        return json.loads(RESULTS_JSON.read_text())
    return {"data": {}, "websocket": {}}


def save(results: dict[str, Any]) -> None:
    RESULTS_JSON.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    RESULTS_MD.write_text(markdown(results))


def machine() -> dict[str, Any]:
    load1, load5, _ = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "load": f"{load1:.1f} / {load5:.1f}",
        "python": platform.python_version(),
        "at": time.strftime("%Y-%m-%d %H:%M"),
    }


def cell(row: Row, result: dict | None) -> str:
    if not result:
        return ""
    if "ratio" in result:
        text = f"{result['ratio']:.2f}x"
    elif "p99_ms" in result:
        text = f"{result['p50_ms']:.2f} / {result['p99_ms']:.2f}"
    elif "value" in result:
        text = f"{result['value']:g}"
    else:
        text = "?"
    met = row.target.met(result) if row.target else None
    return text + ("" if met is None else " ✓" if met else " ✗")


def verdict(row: Row, by_scale: dict[str, dict]) -> str:
    if row.target is None:
        return ""
    measured = {scale: r for scale, r in by_scale.items() if r}
    if not measured:
        return "not measured"
    missed = [s for s in SCALES if s in measured and row.target.met(measured[s]) is False]
    return "pass" if not missed else "miss: " + ", ".join(missed)


def markdown(results: dict[str, Any]) -> str:
    out = [
        "# Benchmark results (issue 9)",
        "",
        "Made by `make bench` (`python -m benchmarks`); every figure is also in "
        "`results.json`. Rerun a part with `make bench SCALES=small DATABASES=sqlite`: the "
        "other columns keep their last figures. Times are **p50 / p99 in milliseconds** of "
        "one call as a page state makes it (`runner.perform`, one unit of work per call; the "
        "scope-decision rows call `clients.get_client` inside one open session, beside the "
        "same SQL run raw on a DBAPI cursor) on the generated firm of each scale "
        "(`portal generate`); ratios are of medians measured interleaved in the same run. "
        "✓ meets issue 9's target, ✗ misses it. The machine these figures come from was "
        "shared with other test runs unless the load average below says otherwise.",
        "",
    ]
    for database in DATABASES:
        per_scale = results.get("data", {}).get(database, {})
        out += [f"## {DB_LABELS[database]}", ""]
        if not per_scale:
            out += ["Not measured yet.", ""]
            continue
        out += [
            "| Row | Target | small | medium | large | Pass / miss |",
            "|---|---|---|---|---|---|",
        ]
        for row in ROWS:
            by_scale = {s: per_scale.get(s, {}).get("rows", {}).get(row.key) for s in SCALES}
            target = row.target.text if row.target else ""
            cells = " | ".join(cell(row, by_scale[s]) for s in SCALES)
            out.append(f"| {row.label} | {target} | {cells} | {verdict(row, by_scale)} |")
        out += ["", "Runs:", ""]
        for scale in SCALES:
            run = per_scale.get(scale)
            if not run:
                continue
            quick = " (a `--quick` run: fewer samples)" if run.get("quick") else ""
            m = run.get("machine", {})
            gen = run.get("generated", {})
            details = [
                f"{key}: {r['detail']}" for key, r in run.get("rows", {}).items() if r.get("detail")
            ]
            out.append(
                f"- **{scale}**{quick}: measured {m.get('at', '?')} on {m.get('cpus', '?')} CPUs, "
                f"load average {m.get('load', '?')} (1 / 5 min) at the start; firm generated "
                f"in {gen.get('seconds', '?')} s on {gen.get('at', '?')}. Cast: "
                f"{run.get('cast', '')}. " + "; ".join(details)
            )
        out.append("")

    out += [
        "## Websocket rows",
        "",
        "<!-- websocket: written by benchmarks/websocket.py (`python -m benchmarks "
        "--websocket`) -->",
        "",
    ]
    ws = results.get("websocket") or {}
    if not ws:
        out += ["Not measured yet: `python -m benchmarks --websocket`.", ""]
    else:
        from benchmarks.websocket import markdown as ws_markdown

        out += ws_markdown(ws)
    out += [
        "## Misses: profiles and plans",
        "",
        "`python -m benchmarks --profile ROW --scale large --database sqlite` runs one row "
        "under pyinstrument and keeps the profile in `benchmarks/profiles/`: "
        "`ROW-database-scale.txt` (committed) and `.html` (interactive, several MB, not "
        "committed). Each remaining miss gets its profile and a plan here.",
        "",
    ]
    misses = []
    for database in DATABASES:
        per_scale = results.get("data", {}).get(database, {})
        for row in ROWS:
            if row.target is None:
                continue
            for scale in SCALES:
                result = per_scale.get(scale, {}).get("rows", {}).get(row.key)
                if result and row.target.met(result) is False:
                    profile = f"profiles/{row.key}-{database}-{scale}.txt"
                    have = (HERE / profile).exists()
                    misses.append(
                        f"- {DB_LABELS[database]}, {scale}: {row.label.strip()}: "
                        f"{cell(row, result)} against {row.target.text}"
                        + (f" (profile: `{profile}`)" if have else "")
                    )
    out += misses or ["None."]
    out.append("")
    # Why each miss remains and what would close it: written by hand after a run, kept with
    # the figures so the two are read together.
    plans = HERE / "plans.md"
    if plans.exists():
        out += ["### Why, and the plan", "", plans.read_text().strip(), ""]
    return "\n".join(out)


def print_table(results: dict[str, Any], measured: list[tuple[str, str]]) -> None:
    """The rows of this run, one column per database and scale measured."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Data layer: p50 / p99 ms, or ratio of medians (✓ target met)")
    table.add_column("Row")
    table.add_column("Target")
    for database, scale in measured:
        table.add_column(f"{DB_LABELS[database]} {scale}", justify="right")
    for row in ROWS:
        cells = [
            cell(row, results["data"].get(db, {}).get(scale, {}).get("rows", {}).get(row.key))
            for db, scale in measured
        ]
        table.add_row(row.label, row.target.text if row.target else "", *cells)
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    console.print(table)
