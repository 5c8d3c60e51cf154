"""docs/statistics.md: the glossary names every statistic the reports print, and the sentences it
quotes are the ones the code writes (``judging.words``, ``judging.ab``), so the page cannot drift
from the reports."""

from __future__ import annotations

import re
from pathlib import Path

from pytest_amigo.judging.ab import Pair, compare_sets, compare_units, drop_words
from pytest_amigo.judging.run_outcome import RunOutcome
from pytest_amigo.judging.stats import wilson_interval

DOC = Path(__file__).resolve().parents[3] / "docs" / "statistics.md"


def blocks() -> list[str]:
    """The page's code blocks, each as one line (the page wraps them)."""
    text = DOC.read_text(encoding="utf-8")
    return [" ".join(b.split()) for b in re.findall(r"```\n(.*?)```", text, re.S)]


def test_the_glossary_explains_every_statistic_the_reports_print() -> None:
    text = DOC.read_text(encoding="utf-8")
    for term in (
        "**pass^k**",
        "**Wilson interval.**",
        "**Fisher's exact test.**",
        "Holm and Benjamini-Hochberg",
        "**Cochran-Mantel-Haenszel (CMH).**",
        "**Power and the detectable drop.**",
    ):
        assert term in text, term
    low, high = wilson_interval(8, 8, 0.95)
    assert f"8 passes of 8 give {low:.2f}–{high:.2f} at" in " ".join(text.split())
    detectable = drop_words(20, 1, "holm").split(": ")[1].split(" (")[0]
    assert f'"with 20 sessions per side {detectable}"' in " ".join(text.split())


def test_the_quoted_sentences_are_the_reports() -> None:
    """The demo's numbers: 0/6 against 6/6 among 6 compared unit tests; 1/2 against 1/2."""

    def side(passed: int, valid: int) -> RunOutcome:
        return RunOutcome("passed" if passed == valid else "failed", passed, valid)

    pairs = [
        Pair("billing", 0, side(0, 6), side(6, 6)),
        Pair("billing", 1, side(6, 6), side(0, 6)),
        *(Pair(s, i, side(1 + i, 2), side(1 + i, 2)) for s in ("a", "c") for i in (0, 1)),
    ]
    units = compare_units(pairs, "release", "holm")
    sets = compare_sets(pairs, units, "release", "holm")
    worse, _, tiny, *_ = units
    quoted = blocks()
    assert quoted[0] == worse.words(loud=False)
    assert quoted[1].startswith("candidate 1/2 vs release 1/2 sessions passed (0 pts)")
    assert tiny.words().endswith(f" - but {tiny.power}")
    assert quoted[1].endswith(f"(...) - but {tiny.power}")
    assert quoted[2] == sets["billing"].words("R", loud=False)
