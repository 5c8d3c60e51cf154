"""``python -m pytest_amigo.emulator --world world.toml [--port 0] [--speed X] [--list]``."""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading
from types import FrameType

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_amigo.emulator",
        description="Serve a local emulation of the Amigo simulation API.",
    )
    parser.add_argument("--world", help="world file (TOML); default: the bundled demo world")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any)")
    parser.add_argument("--speed", type=float, help="world seconds per real second")
    parser.add_argument("--no-rate-limits", action="store_true", help="do not enforce limits")
    parser.add_argument(
        "--list", action="store_true", help="print the ids of the world's objects and exit"
    )
    args = parser.parse_args(argv)
    try:
        world = World.from_toml(args.world) if args.world else World.default()
        overrides: dict[str, object] = {}
        if args.speed is not None:
            if args.speed <= 0:
                parser.error("--speed must be positive")
            overrides["speed"] = args.speed
        if args.no_rate_limits:
            overrides["rate_limits"] = False
        if overrides:
            world = world.with_options(**overrides)
    except WorldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        print(json.dumps(world.summary(), indent=2))
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
