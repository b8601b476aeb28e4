"""The `portal` command: migrate the database, load the demo data, import emails, and
generate a large firm for measuring."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from models import Client
from portal import demo, migrations
from portal.db import unit_of_work
from portal.services import emails
from portal.services.errors import Conflict


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


def _import_eml(args: argparse.Namespace) -> int:
    """Every file is read before anything is imported, so a typo in one path imports nothing."""
    with unit_of_work() as session:
        client = session.get(Client, args.client_id)
        client_name = client.name if client else None
    if client_name is None:
        print(
            f"There is no client with id {args.client_id}; nothing was imported.", file=sys.stderr
        )
        return 2

    raws: list[tuple[str, bytes]] = []
    unreadable = []
    for name in args.files:
        try:
            raws.append((name, Path(name).read_bytes()))
        except OSError as exc:
            unreadable.append(f"{name}: {exc.strerror or exc}")
    if unreadable:
        for line in unreadable:
            print(f"Cannot read {line}", file=sys.stderr)
        print("Nothing was imported.", file=sys.stderr)
        return 1

    imported = skipped = 0
    for name, raw in raws:
        try:
            with unit_of_work() as session:
                email = emails.import_eml(session=session, client_id=args.client_id, raw=raw)
        except Conflict as exc:
            skipped += 1
            print(f"Skipped {name}: {exc.message}")
            continue
        imported += 1
        subject = email.subject or "(no subject)"
        print(f"Imported {name}: “{subject}” from {email.from_addr or 'unknown sender'}")
    print(f"{imported} imported, {skipped} skipped, into {client_name} (client {args.client_id}).")
    return 0


def _generate(args: argparse.Namespace) -> int:
    """A generated firm beside whatever the database holds (see portal/generate.py)."""
    from portal import generate
    from portal.db import engine_for
    from portal.settings import get_settings

    url = args.database_url or get_settings().database_url
    migrations.upgrade(url)
    result = generate.generate(
        engine_for(url), args.scale, seed=args.seed, progress=not args.no_progress
    )
    for line in generate.report(result):
        print(line)
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
    eml_cmd = commands.add_parser(
        "import-eml", help="add received emails (.eml files) to a client's thread"
    )
    eml_cmd.add_argument("--client-id", type=int, required=True, help="the client's id")
    eml_cmd.add_argument("files", nargs="+", metavar="FILE", help=".eml files to import")
    eml_cmd.set_defaults(run=_import_eml)
    gen_cmd = commands.add_parser(
        "generate",
        help="add a generated firm of the given size (for benchmarks)",
        description="Add one generated firm (staff, bookkeepers, clients, filings, steps, "
        "checklists, time, comments, documents, emails) to the database, migrating it first. "
        "Document files go to PORTAL_DOCUMENT_DIR. Prints the firm id and sign-in accounts.",
    )
    gen_cmd.add_argument(
        "--scale",
        choices=("small", "medium", "large"),
        required=True,
        help="small: 1k steps; medium: 100k steps; large: 1M steps, 20k clients, "
        "200k filings, 500 bookkeepers, 200 staff",
    )
    gen_cmd.add_argument(
        "--database-url", default="", help="a SQLAlchemy URL (default: PORTAL_DATABASE_URL)"
    )
    gen_cmd.add_argument("--seed", type=int, default=1, help="the same seed makes the same firm")
    gen_cmd.add_argument("--no-progress", action="store_true", help="no progress bar")
    gen_cmd.set_defaults(run=_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
