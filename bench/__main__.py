"""pytest-amigo benchmarks against the bundled emulator; prints Markdown tables.

    python -m bench [--size smoke|small|full] [--only a,b,c,d,e,f,g,h]

Every figure is a ratio against a baseline measured in the same run (see bench/README.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from bench import (
    api_requests,
    collection,
    compare,
    concurrency,
    download,
    shards,
    startup,
    wall,
)
from bench.harness import SIZES
from bench.report import Results, render

# measurement -> (the field of Results it fills, what measures it)
STEPS: dict[str, tuple[str, Callable[..., Any]]] = {
    "a": ("wall", wall.measure),
    "b": ("requests", api_requests.measure),
    "c": ("collection", collection.measure),
    "d": ("download", download.measure),
    "e": ("startup", startup.measure),
    "f": ("concurrent", concurrency.measure),
    "g": ("compare", compare.measure),
    "h": ("shards", shards.measure),
}
ALONE = ({"f"}, {"g"}, {"h"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated measurements: a,b,c,d,e,f,g,h (f, g or h alone: "
        "its rows only; anything else needs all of a-h)",
    )
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    if only and only not in ALONE and only != set(STEPS):
        parser.error("--only: 'f', 'g' or 'h' alone, or every measurement")
    start = time.perf_counter()
    found: dict[str, Any] = {}
    for key, (name, measure) in STEPS.items():
        if only and key not in only:
            continue
        t = time.perf_counter()
        found[name] = measure(size)
        print(f"[{key}] done in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    results = Results(**found, shards_run="shards" in found)
    print(render(size, time.perf_counter() - start, results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
