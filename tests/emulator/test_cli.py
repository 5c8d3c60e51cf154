"""``python -m pytest_amigo.emulator`` as a user without the ``emulator`` extra meets it.

The extra cannot be uninstalled from the shared virtualenv, so the subprocess gets a
PYTHONPATH directory whose ``fastapi`` and ``uvicorn`` packages fail to import the way a
missing package does (ModuleNotFoundError naming the module).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = (
    "error: the Amigo emulator needs FastAPI and uvicorn: pip install 'pytest-amigo[emulator]'"
)


def _without_extra(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    blocked = tmp_path / "blocked"
    for name in ("fastapi", "uvicorn"):
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(
            f"raise ModuleNotFoundError(\"No module named '{name}'\", name={name!r})\n"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIGO_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(blocked), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest_amigo.emulator", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_the_extra_one_line_says_what_to_install(tmp_path: Path) -> None:
    done = _without_extra(tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", EXPECTED + "\n")


def test_without_the_extra_list_still_works(tmp_path: Path) -> None:
    done = _without_extra(tmp_path, "--list")
    assert (done.returncode, done.stderr) == (0, "")
    assert "sets (pytest --amigo-set=ID):" in done.stdout


def test_the_blocker_blocks(tmp_path: Path) -> None:
    """The stand-in for a missing extra fails like one (guards the tests above)."""
    blocked = tmp_path / "blocked"
    _without_extra(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", "import fastapi"],
        env={**os.environ, "PYTHONPATH": str(blocked)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "ModuleNotFoundError: No module named 'fastapi'" in done.stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_amigo.emulator", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_states_every_option_s_default() -> None:
    done = _cli("--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())  # argparse wraps the help
    for option, default in [
        ("--world FILE", "(default: the bundled demo world, pytest_amigo/emulator/default_world"),
        ("--port N", "(default: 0, any free port)"),
        ("--speed X", "(default: the world file's [emulator] speed, 1 when unset;"),
        ("--no-rate-limits", "(default: enforced, unless the world file sets"),
    ]:
        described = text.split("options:", 1)[1].split(option, 1)[1].split(" --", 1)[0]
        assert default in described, option


def test_list_prints_each_id_beside_its_name() -> None:
    done = _cli("--world", str(ROOT / "example_project/amigo-world.toml"), "--list")
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[:3] == [
        "organization acme-health",
        "sets (pytest --amigo-set=ID):",
        "  5e7a000000000000000000a1  Billing and refunds",
    ]
    # a set's unit tests by name too, not only the ids the set holds
    assert (
        "      unit test ac5fecdb562fac60821b9477  Duplicate copay is refunded  (run_count 6)"
        in (lines)
    )
    assert (
        "  7431ae5a51084b0220098fbf  Emulated service  (version sets: release, candidate)" in lines
    )
    assert (
        lines[lines.index("metrics:") + 1]
        == "  8c97aee54c54d20d86851a9b  Resolved without human handoff"
    )


def test_list_json_is_the_world_summary() -> None:
    done = _cli("--list", "--json")
    assert done.returncode == 0
    summary = json.loads(done.stdout)
    assert [s["name"] for s in summary["sets"]] == ["Support smoke", "Flaky backend"]


def test_json_without_list_is_a_usage_error() -> None:
    done = _cli("--json")
    assert done.returncode == 2
    assert "--json goes with --list" in done.stderr
