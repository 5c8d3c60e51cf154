"""The documented options table (docs/options.md, "Options, ini keys and markers") says what the
declarations (``plugin.declarations``) declare: one row per setting, its flag (with its choices),
its ini key and its default; nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_amigo.plugin.declarations import SETTINGS, Declared

OPTIONS = Path(__file__).parents[3] / "docs/options.md"
HEADING = "## Options, ini keys and markers"
# a flag cell: `--amigo-on-conflict=attach\|cancel\|fail`; an ini cell: `amigo_sets` (lines)
FLAG = re.compile(r"`(--amigo-[a-z-]+)(?:=([^`]*))?`")
INI = re.compile(r"`(amigo_[a-z_]+)`")


def rows() -> list[list[str]]:
    """The table's rows, each its cells (an escaped ``\\|`` stays in its cell)."""
    text = OPTIONS.read_text(encoding="utf-8").split(HEADING, 1)[1]
    lines = [line for line in text.split("\n\n", 2)[1].splitlines() if line.startswith("|")]
    assert lines[0].startswith("| option | ini key | default |"), lines[0]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines[2:]]


def documented() -> dict[tuple[str | None, str | None], list[str]]:
    """(flag, ini key) -> the row's cells."""
    table: dict[tuple[str | None, str | None], list[str]] = {}
    for cells in rows():
        flag, ini = FLAG.match(cells[0]), INI.match(cells[1])
        key = (flag[1] if flag else None, ini[1] if ini else None)
        assert key != (None, None) and key not in table, cells
        table[key] = cells
    return table


def row_of(declared: Declared) -> list[str]:
    row = documented().get((declared.flag, declared.ini))
    assert row is not None, f"docs/options.md: no row for {declared.flag} / {declared.ini}"
    return row


def test_every_row_is_a_declared_setting_and_every_setting_has_a_row() -> None:
    declared = {(d.flag, d.ini) for d in SETTINGS}
    assert set(documented()) == declared


@pytest.mark.parametrize("declared", SETTINGS, ids=lambda d: d.field)
def test_the_row_states_the_declared_default(declared: Declared) -> None:
    assert row_of(declared)[2].replace("`", "") == declared.default_text


@pytest.mark.parametrize("declared", SETTINGS, ids=lambda d: d.field)
def test_the_row_shows_the_flag_as_help_does_with_its_choices(declared: Declared) -> None:
    row = row_of(declared)
    flag = FLAG.match(row[0])
    value = (flag[2] or "") if flag else ""
    if declared.flag and declared.choices:
        assert value.split("\\|") == list(declared.choices)
    elif declared.flag:
        assert value == (declared.metavar or "").replace("|", "\\|")
    else:  # an ini key's choices: in its meaning
        assert all(choice in row[3] for choice in declared.choices)
