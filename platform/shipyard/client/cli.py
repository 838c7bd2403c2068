"""The `shipyard` command. Each area adds its subcommands from its own module (see COMMAND_MODULES)."""

from __future__ import annotations

import argparse
import importlib
import sys

from shipyard.client.http import ShipyardError

# Each module defines `register(subparsers: argparse._SubParsersAction) -> None`; each subcommand
# sets `func(args) -> int` as its default.
COMMAND_MODULES = (
    "shipyard.client.ci_cmd",
    "shipyard.client.registry_cmd",
    "shipyard.client.deploy_cmd",
    "shipyard.client.push_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shipyard", description="Shipyard command-line client.")
    parser.add_argument("--url", help="Shipyard URL (default: $SHIPYARD_URL or http://127.0.0.1:8000)")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ShipyardError as exc:
        print(f"shipyard: error: {exc.message} (HTTP {exc.status}, {exc.code})", file=sys.stderr)
        for field, messages in exc.fields.items():
            print(f"  {field}: {messages}", file=sys.stderr)
        return 1 if exc.status < 500 else 2


if __name__ == "__main__":
    raise SystemExit(main())
