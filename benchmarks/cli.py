"""`python -m benchmarks`: measure the data-layer rows (and, with --websocket, the event rows)
at each scale on each database, print one table and write benchmarks/results.md."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

from benchmarks import report
from benchmarks.datasets import Cluster, Dataset, release, settings_for, sqlite_dataset
from benchmarks.measure import Budget
from benchmarks.rows import PROFILABLE

SCALES = ("small", "medium", "large")
DATABASES = ("sqlite", "postgresql")


def _list(value: str, allowed: tuple[str, ...], what: str) -> list[str]:
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    wrong = [v for v in chosen if v not in allowed]
    if wrong or not chosen:
        raise argparse.ArgumentTypeError(f"{what}: choose from {', '.join(allowed)}")
    return chosen


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--scales",
        type=lambda v: _list(v, SCALES, "--scales"),
        default=list(SCALES),
        help="comma separated: small,medium,large (default: all three)",
    )
    parser.add_argument(
        "--databases",
        type=lambda v: _list(v, DATABASES, "--databases"),
        default=list(DATABASES),
        help="comma separated: sqlite,postgresql (default: both)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a quarter of the usual samples (a smoke run)"
    )
    parser.add_argument(
        "--no-data", action="store_true", help="skip the data-layer rows (with --websocket)"
    )
    parser.add_argument(
        "--import-only",
        action="store_true",
        help="measure only the client import rows (issue 12), keeping every other figure",
    )
    parser.add_argument(
        "--websocket",
        action="store_true",
        help="also run the event rows over real websockets (benchmarks/websocket.py)",
    )
    parser.add_argument(
        "--ws-scale", default="medium", choices=SCALES, help="firm for the event rows"
    )
    parser.add_argument(
        "--ws-modes",
        default="embedded,cluster",
        help="comma separated: embedded (SQLite, one worker), cluster (PostgreSQL, "
        "2 workers sharing Redis)",
    )
    parser.add_argument(
        "--ws-duration", type=float, default=60.0, help="seconds of the 200-socket load"
    )
    parser.add_argument("--ws-sockets", type=int, default=200, help="sockets of the open load")
    parser.add_argument(
        "--ws-closed-seconds",
        type=float,
        default=15.0,
        help="seconds of each 20-socket closed-loop measurement",
    )
    parser.add_argument(
        "--profile",
        metavar="ROW",
        choices=PROFILABLE,
        help=f"run one row under pyinstrument instead: {', '.join(PROFILABLE)}",
    )
    parser.add_argument("--scale", default="large", choices=SCALES, help="for --profile")
    parser.add_argument("--database", default="sqlite", choices=DATABASES, help="for --profile")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="how long --profile samples the row"
    )
    return parser


def log(message: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(message, highlight=False)


@contextlib.contextmanager
def datasets(databases: list[str], scales: list[str]) -> Iterator[Iterator[Dataset]]:
    """Each dataset asked for, in turn; the PostgreSQL cluster runs while it is needed."""
    cluster: Cluster | None = None

    def each() -> Iterator[Dataset]:
        nonlocal cluster
        for database in databases:
            if database == "postgresql":
                cluster = Cluster(log=log)
                log("Starting the benchmark PostgreSQL cluster on 127.0.0.1 ...")
                cluster.start()
            for scale in scales:
                dataset = (
                    sqlite_dataset(scale, log=log)
                    if database == "sqlite"
                    else cluster.dataset(scale)
                )
                try:
                    yield dataset
                finally:
                    release(dataset, cluster)
            if cluster is not None:
                cluster.stop()
                cluster = None

    try:
        yield each()
    finally:
        if cluster is not None:
            cluster.stop()


def measure_data(args: argparse.Namespace) -> None:
    from benchmarks.rows import find_cast, measure_all
    from portal.db import get_engine

    budget = Budget().scaled(0.25) if args.quick else Budget()
    results = report.load()
    measured: list[tuple[str, str]] = []
    with datasets(args.databases, args.scales) as each:
        for dataset in each:
            with settings_for(dataset.url, dataset.data_dir, dataset.document_dir):
                engine = get_engine()
                cast = find_cast(engine, dataset.firm_id)
                log(f"[bold]{dataset.database} {dataset.scale}[/bold]: {cast.describe()}")
                machine = report.machine()
                rows = measure_all(
                    engine,
                    cast,
                    budget,
                    lambda what: log(f"  measuring {what} ..."),
                    import_only=args.import_only,
                )
            per_scale = results.setdefault("data", {}).setdefault(dataset.database, {})
            if args.import_only:
                # The other rows keep the figures (and the run details) they had.
                kept = per_scale.get(dataset.scale)
                for row in rows.values():
                    row["detail"] += f"; measured {machine['at']}, load average {machine['load']}"
                if kept:
                    kept["rows"].update(rows)
                    report.save(results)
                    measured.append((dataset.database, dataset.scale))
                    continue
            per_scale[dataset.scale] = {
                "rows": rows,
                "cast": cast.describe(),
                "machine": machine,
                "generated": {"seconds": dataset.generated_seconds, "at": dataset.generated_at},
                "quick": args.quick,
            }
            report.save(results)
            measured.append((dataset.database, dataset.scale))
    report.print_table(results, measured)
    log(f"Written: {report.RESULTS_MD}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.profile:
        from benchmarks.profiling import profile

        with datasets([args.database], [args.scale]) as each:
            for dataset in each:
                profile(args.profile, dataset, seconds=args.seconds, log=log)
        return 0
    if not args.no_data:
        measure_data(args)
    if args.websocket:
        from benchmarks import websocket

        modes = [m.strip() for m in args.ws_modes.split(",") if m.strip()]
        unknown = set(modes) - {"embedded", "cluster"}
        if unknown:
            raise SystemExit(f"unknown --ws-modes: {', '.join(sorted(unknown))}")
        for mode in modes:
            database = "postgresql" if mode == "cluster" else "sqlite"
            with datasets([database], [args.ws_scale]) as each:
                for dataset in each:
                    websocket.measure(
                        dataset,
                        duration=args.ws_duration,
                        sockets=args.ws_sockets,
                        closed_seconds=args.ws_closed_seconds,
                        cluster=mode == "cluster",
                        log=log,
                    )
    return 0
