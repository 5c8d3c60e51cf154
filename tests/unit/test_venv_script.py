"""``scripts/_venv.sh`` (behind ``./scripts/demo`` and ``./scripts/test``) says it is installing
before the minute a first install takes, and is silent once installed.

It runs in a copy of the layout it expects (``scripts/``, ``pyproject.toml``) with a stand-in
Python whose ``-m venv`` makes a ``.venv/bin/python`` that records its arguments: nothing is
downloaded.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

STAND_IN = """#!/bin/sh
# "python3 -m venv .venv" makes a .venv/bin/python that only records how it was called
if [ "$1 $2" = "-m venv" ]; then
    mkdir -p "$3/bin"
    printf '#!/bin/sh\\necho "$@" >> "%s/calls"\\n' "$PWD/$3" > "$3/bin/python"
    chmod +x "$3/bin/python"
fi
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts/_venv.sh", tmp_path / "scripts/_venv.sh")
    # sourced as ./scripts/demo sources it (it finds the project from the script's own path)
    (tmp_path / "scripts/run").write_text('. "$(dirname "$0")/_venv.sh"\n', encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    python = tmp_path / "python3"
    python.write_text(STAND_IN, encoding="utf-8")
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    return tmp_path


def _source(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "scripts/run"],
        cwd=project,
        env={**os.environ, "PYTHON": str(project / "python3")},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_first_run_says_it_is_installing_and_the_next_is_silent(tmp_path: Path) -> None:
    project = _project(tmp_path)
    first = _source(project)
    assert first.returncode == 0, first.stderr
    assert first.stderr.startswith(
        "first run: installing pytest-amigo and its dev tools into .venv (about a minute"
    ), first.stderr
    assert "-m pip install --quiet -e .[dev]" in (project / ".venv/calls").read_text()
    assert first.stdout == ""

    again = _source(project)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")


def test_a_changed_pyproject_says_it_reinstalls(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _source(project)
    installed = project / ".venv/.installed"
    os.utime(installed, (1, 1))  # older than pyproject.toml
    done = _source(project)
    assert done.stderr.startswith("pyproject.toml changed: reinstalling pytest-amigo"), done.stderr
