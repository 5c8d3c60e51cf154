"""``python -m pytest_amigo.emulator --world world.toml [--port 0] [--speed X] [--list]``."""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading
from types import FrameType
from typing import Any

from pytest_amigo.emulator.world import World, WorldError

# One line, quoted so that zsh does not glob the brackets.
MISSING_EXTRA = (
    "error: the Amigo emulator needs FastAPI and uvicorn: pip install 'pytest-amigo[emulator]'"
)


def _extra_installed() -> bool:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        return False
    return True


def listing(summary: dict[str, Any]) -> str:
    """``--list``: the world's ids, each beside its name; sets first (for ``--amigo-set``)."""
    names = {u["id"]: u["name"] for u in summary["unit_tests"]}
    lines = [f"organization {summary['organization']}", "sets (pytest --amigo-set=ID):"]
    for s in summary["sets"]:
        lines.append(f"  {s['id']}  {s['name']}")
        lines += [
            f"      unit test {u['id']}  {names.get(u['id'], '?')}  (run_count {u['run_count']})"
            for u in s["unit_tests"]
        ]
    lines.append("services (their version sets: --amigo-version-set, --amigo-compare):")
    for service in summary["services"]:
        versions = ", ".join(v["name"] for v in service["version_sets"]) or "none"
        lines.append(f"  {service['id']}  {service['name']}  (version sets: {versions})")
    lines.append("unit tests:")
    lines += [
        f"  {u['id']}  {u['name']}  (version set {u['version_set']})" for u in summary["unit_tests"]
    ]
    for kind in ("metrics", "personas", "scenarios"):
        lines.append(f"{kind}:")
        lines += [f"  {o['id']}  {o['name']}" for o in summary[kind]]
    lines.append(f"users: {', '.join(summary['users'])}")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m pytest_amigo.emulator``."""
    found = argparse.ArgumentParser(
        prog="python -m pytest_amigo.emulator",
        description="Serve a local emulation of the Amigo simulation API.",
    )
    found.add_argument(
        "--world",
        metavar="FILE",
        help="world file (TOML) (default: the bundled demo world, "
        "pytest_amigo/emulator/default_world.toml)",
    )
    found.add_argument(
        "--port",
        type=int,
        default=0,
        metavar="N",
        help="TCP port on 127.0.0.1 (default: 0, any free port)",
    )
    found.add_argument(
        "--speed",
        type=float,
        metavar="X",
        help="world seconds per real second (default: the world file's [emulator] speed, "
        "1 when unset; the demo world's is 10)",
    )
    found.add_argument(
        "--no-rate-limits",
        action="store_true",
        help="do not enforce the documented rate limits (default: enforced, unless the "
        "world file sets [emulator] rate_limits = false)",
    )
    found.add_argument(
        "--list",
        action="store_true",
        help="print the world's ids, each beside its name (sets with their unit tests, "
        "services, metrics, personas, scenarios, users), and exit",
    )
    found.add_argument("--json", action="store_true", help="with --list: print them as JSON")
    return found


def main(argv: list[str] | None = None) -> int:
    command_line = parser()
    args = command_line.parse_args(argv)
    if args.json and not args.list:
        command_line.error("--json goes with --list")
    try:
        world = World.from_toml(args.world) if args.world else World.default()
        overrides: dict[str, object] = {}
        if args.speed is not None:
            if args.speed <= 0:
                command_line.error("--speed must be positive")
            overrides["speed"] = args.speed
        if args.no_rate_limits:
            overrides["rate_limits"] = False
        if overrides:
            world = world.with_options(**overrides)
    except WorldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        print(json.dumps(world.summary(), indent=2) if args.json else listing(world.summary()))
        return 0

    if not _extra_installed():
        print(MISSING_EXTRA, file=sys.stderr)
        return 2
    from pytest_amigo.emulator.server import Emulator

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    emulator = Emulator(world, port=args.port)
    try:
        print(f"Amigo emulator serving {world.source} at {emulator.base_url}", flush=True)
        print("# export these to point amigo-sdk / pytest-amigo at it:")
        for key, value in emulator.env().items():
            print(f"export {key}={shlex.quote(value)}")
        for s in world.sets:
            print(f"# set {s.id}  {s.name}")
        print("# Ctrl-C to stop", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    print("Amigo emulator stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
