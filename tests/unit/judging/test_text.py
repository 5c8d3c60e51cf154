"""Service text made safe to show (pytest_amigo.judging.text)."""

from __future__ import annotations

import pytest

from pytest_amigo.judging.text import one_line, printable


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain words", "plain words"),
        ("line\nnext\ttab", "line\nnext\ttab"),
        ("bad\x1b[31m\x00 crash", "bad\\x1b[31m\\x00 crash"),
        ("bell\x07 and \u200b", "bell\\x07 and \\u200b"),
    ],
)
def test_printable_escapes_control_characters_but_keeps_newlines_and_tabs(
    text: str, expected: str
) -> None:
    assert printable(text) == expected


def test_one_line_escapes_newlines_and_tabs_too() -> None:
    assert one_line("Set\nname\twith\x1b") == "Set\\nname\\twith\\x1b"
    assert one_line("Grüße ✔") == "Grüße ✔"
