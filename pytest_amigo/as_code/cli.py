"""``pytest-amigo validate|plan|export``: tests as code on the command line.

Exit status: ``validate`` 0 when the files are valid, 1 when not (every problem on stderr, with
file and line); ``plan`` 0 when nothing is pending, 2 when changes are, 1 when one cannot be
applied or the files are invalid; ``export`` 0, or 1 with the reason. Nothing is sent before the
files are valid. The client is the plugin's (``AMIGO_*`` settings, pacing, rate limits).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from pytest_amigo.api import SimulationApi

PROG = "pytest-amigo"
DEFAULT_DIRECTORY = "amigo"


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare ``validate``, ``plan`` and ``export`` on another command's sub-parsers."""
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--definitions",
        default=DEFAULT_DIRECTORY,
        metavar="DIR",
        help=f"the definitions directory (default: {DEFAULT_DIRECTORY}/)",
    )
    commands.add_parser("validate", parents=[where], help="check the definitions files offline")
    planning = commands.add_parser(
        "plan", parents=[where], help="what apply would change (exit 2 when changes are pending)"
    )
    planning.add_argument(
        "--prune", action="store_true", help="count deleting managed objects gone from the files"
    )
    exporting = commands.add_parser(
        "export", parents=[where], help="write existing sets and what they use into the files"
    )
    exporting.add_argument("sets", nargs="+", metavar="SET", help="a set's name or id")


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(prog=PROG, description="Tests as code: plan and export.")
    add_commands(found.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return found


def main(
    argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    args = parser().parse_args(argv)
    return run(args, out, err)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Carry out a parsed ``validate``, ``plan`` or ``export`` (for a host command's parser)."""
    try:
        from pytest_amigo.api import AmigoError, ConfigurationError

        from .commands import export, plan
        from .loader import DefinitionsError, load
        from .lock import LockError
        from .reading import ReadError
    except ImportError as missing:  # PyYAML is the definitions extra
        err.write(
            f"{PROG}: tests as code need PyYAML ({missing}); install pytest-amigo[definitions]\n"
        )
        return 1
    directory = Path(args.definitions)
    try:
        if args.command == "validate":
            found = load(directory)
            out.write(f"{directory}: valid ({_count(found)}).\n")
            return 0
        if args.command == "export":
            with _connect() as api:
                written = export(api, list(args.sets), directory)
            out.writelines(f"wrote {path}\n" for path in written)
            return 0
        from .render import render_plan

        if args.command == "plan":  # validate offline first: nothing is read for invalid files
            load(directory)
        with _connect() as api:
            result = plan(api, directory, prune=args.prune)
        out.write(render_plan(result))
        return result.exit_code()
    except (DefinitionsError, LockError, ReadError) as error:
        err.write(f"{error}\n")
        return 1
    except ConfigurationError as error:
        err.write(f"{PROG} {args.command}: {error}\n")
        return 1
    except AmigoError as error:  # refused or failed: what the platform said, never a traceback
        err.write(f"{PROG} {args.command}: the platform answered: {error}\n")
        return 1


def _count(found: object) -> str:
    parts = [
        f"{len(getattr(found, attr))} {attr.replace('_', ' ')}"
        for attr in ("personas", "scenarios", "unit_tests", "sets")
    ]
    return ", ".join(parts)


def _connect() -> SimulationApi:
    from pytest_amigo.api import SimulationApi

    return SimulationApi()
