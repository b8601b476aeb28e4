"""The `portal` command: migrate the database and load the demo data."""

from __future__ import annotations

import argparse
import sys

from portal import demo, migrations
from portal.db import unit_of_work


def _migrate(_args: argparse.Namespace) -> int:
    migrations.upgrade()
    print("Database is up to date.")
    return 0


def _demo(args: argparse.Namespace) -> int:
    with unit_of_work() as session:
        if args.if_empty and demo.any_firm(session):
            print("The database already has data; the demo was not loaded.")
            return 0
        created = demo.load_demo(session)
    print("Demo data loaded." if created else "The demo firm is already there.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply every database migration").set_defaults(run=_migrate)
    demo_cmd = commands.add_parser("demo", help="load the demo firm (idempotent)")
    demo_cmd.add_argument(
        "--if-empty", action="store_true", help="only when the database holds no firm at all"
    )
    demo_cmd.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
