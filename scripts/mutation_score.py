"""The mutation score of each module of pytest_amigo/judging/, from mutmut's results in mutants/.

Run by scripts/mutate after ``mutmut run``; ``python scripts/mutation_score.py [MODULE...]``
prints it again (only those modules, if named). Caught: killed by a test, timed out, or
refused by the type checker; the score is caught / (caught + survived + no tests), the mutants
that ran to an end (interrupted or unchecked ones are counted apart).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

RESULTS = Path("mutants/pytest_amigo/judging")
CAUGHT = {1, 3, 36, 37, -24, 24, 152, 255}  # killed (3: pytest internal error), timeout, type
SURVIVED = {0}
NO_TESTS = {5, 33}


def tally(meta: Path) -> Counter[str]:
    """How the mutants of one module did: caught, survived, no tests, other."""
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    counts: Counter[str] = Counter()
    for code in codes.values():
        if code in CAUGHT:
            counts["caught"] += 1
        elif code in SURVIVED:
            counts["survived"] += 1
        elif code in NO_TESTS:
            counts["no tests"] += 1
        else:
            counts["other"] += 1
    return counts


def line(name: str, counts: Counter[str]) -> str:
    decided = counts["caught"] + counts["survived"] + counts["no tests"]
    score = f"{100 * counts['caught'] / decided:5.1f}%" if decided else "    -"
    return (
        f"{name:<14} {score}  {counts['caught']:>5} caught  {counts['survived']:>4} survived  "
        f"{counts['no tests']:>4} no tests  {counts['other']:>3} other"
    )


def main(modules: list[str]) -> int:
    metas = sorted(RESULTS.glob("*.py.meta"))
    if modules:
        metas = [m for m in metas if m.name.removesuffix(".py.meta") in modules]
    if not metas:
        print(f"no mutmut results under {RESULTS}: run scripts/mutate first", file=sys.stderr)
        return 1
    total: Counter[str] = Counter()
    print("module         score  (caught / caught + survived + no tests)")
    for meta in metas:
        counts = tally(meta)
        total += counts
        print(line(meta.name.removesuffix(".py.meta"), counts))
    print(line("judging", total))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
