"""``python -m pytest_amigo.emulator`` as a user without the ``emulator`` extra meets it.

The extra cannot be uninstalled from the shared virtualenv, so the subprocess gets a
PYTHONPATH directory whose ``fastapi`` and ``uvicorn`` packages fail to import the way a
missing package does (ModuleNotFoundError naming the module).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    assert '"sets"' in done.stdout


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
