"""The ``pytest-amigo`` command (``python -m pytest_amigo``) hosts ``merge`` and the tests-as-code
commands ``validate``, ``plan`` and ``export``: one parser, each command carried out by its own
module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_amigo.__main__ import main, parser


def test_every_command_is_listed_in_the_help() -> None:
    text = parser().format_help()
    for command in ("merge", "validate", "plan", "export"):
        assert f"    {command} " in text, command


def test_validate_is_carried_out_by_tests_as_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--definitions", str(tmp_path / "missing")]) == 1
    assert "missing" in capsys.readouterr().err


def test_merge_is_carried_out_by_the_merge_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["merge", str(tmp_path / "none.json")]) == 2
    assert "none.json: cannot read it" in capsys.readouterr().err


def test_python_m_pytest_amigo_is_the_command() -> None:
    command = [sys.executable, "-m", "pytest_amigo", "--help"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "validate" in done.stdout and "merge" in done.stdout
