"""A judge's justification repeated over sessions is quoted once, with its session numbers, in the
terminal's failure text, the JUnit failure and the HTML page (issue 24 section 2), black-box
against the emulator: "Broken" fails "Completed" in sessions 3 to 10, each time "The agent hung
up." (``worlds/evidence.toml``).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_amigo.emulator import Emulator, World
from support.plugin import AmigoProject

WORLD = World.from_toml(Path(__file__).parent / "worlds" / "evidence.toml")
EVIDENCE = next(s.id for s in WORLD.sets if s.name == "Evidence")
WHY = "The agent hung up."


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(WORLD) as emulator:
        yield emulator


def test_a_repeated_justification_is_quoted_once_with_its_sessions(amigo: AmigoProject) -> None:
    out = amigo.run(f"--amigo-set={EVIDENCE}", "-k", "Broken", "--amigo-html=r.html")
    out.result.assert_outcomes(failed=1, deselected=2)
    grouped = [
        "*Completed*✔✔✘✘✘✘✘✘✘✘*2/10 met",
        "    sessions 3-10: false, needs is true",
        f'      "{WHY}"',
    ]
    out.result.stdout.fnmatch_lines(grouped, consecutive=True)
    stdout = out.result.stdout.str()
    failure = stdout.split("FAILURES", 1)[1].split("Amigo simulation sets", 1)[0]
    assert failure.count(WHY) == 1, failure

    [case] = out.cases
    assert case.text.count(WHY) == 1, case.text
    assert "    sessions 3-10: false, needs is true\n" in case.text

    page = html.unescape((amigo.pytester.path / "r.html").read_text(encoding="utf-8"))
    assert f"Completed</strong>, sessions 3-10: {WHY}</li>" in page
    # each failing session's panel: the text once, then where it was said first
    assert page.count(f">{WHY}</td>") == 1
    assert page.count(">same as session 3</td>") == 7
