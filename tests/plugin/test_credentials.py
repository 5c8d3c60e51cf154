"""Missing credentials, as a user without AMIGO_* variables or a .env file meets them."""

from __future__ import annotations

import os

import pytest

SET_ID = "66aa00000000000000000001"
MARKER_TEST = f"""
import pytest

@pytest.mark.amigo_set("{SET_ID}")
def test_gate(amigo_result):
    pass
"""


@pytest.fixture
def bare(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for key in list(os.environ):
        if key.startswith("AMIGO_"):
            monkeypatch.delenv(key)
    assert not (pytester.path / ".env").exists()
    return pytester


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # schemathesis (a dev dependency) wraps pytest_pycollect_makeitem in an old-style
    # hookwrapper whose teardown re-raises, so pluggy repeats any collection failure as a
    # warning; users without it never see that.
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:schemathesis", *args)


def _shown_once(result: pytest.RunResult) -> None:
    out = result.stdout.str() + result.stderr.str()
    # The short test summary repeats each error's first line (cut to the terminal's width).
    details = out.partition("short test summary info")[0]
    assert details.count("Amigo configuration incomplete") == 1, out
    assert "missing AMIGO_API_KEY, AMIGO_API_KEY_ID, AMIGO_USER_ID, AMIGO_ORGANIZATION_ID" in out
    assert "During handling of the above exception" not in out
    assert "Traceback" not in out
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_amigo_set_option_shows_the_error_once(bare: pytest.Pytester) -> None:
    bare.makepyfile("def test_plain():\n    pass\n")
    _shown_once(_run(bare, f"--amigo-set={SET_ID}"))


def test_amigo_set_marker_shows_the_error_once(bare: pytest.Pytester) -> None:
    bare.makepyfile(MARKER_TEST)
    _shown_once(_run(bare))
