"""Service text made safe to show (pytest_amigo.judging.text)."""

from __future__ import annotations

import pytest

from pytest_amigo.judging.text import grouped, one_line, plural, printable, session_numbers


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


@pytest.mark.parametrize(
    ("count", "noun", "many", "said"),
    [
        (1, "error", None, "1 error"),
        (0, "error", None, "0 errors"),
        (2, "unit test", None, "2 unit tests"),
        (3, "criterion", "criteria", "3 criteria"),
        (1, "criterion", "criteria", "1 criterion"),
    ],
)
def test_plural_is_singular_only_for_one(
    count: int, noun: str, many: str | None, said: str
) -> None:
    assert plural(count, noun, many) == said


@pytest.mark.parametrize(
    ("numbers", "said"),
    [
        ([4], "session 4"),
        ([1, 2, 3, 5], "sessions 1-3, 5"),
        ([5, 1, 3, 2], "sessions 1-3, 5"),
        ([1, 3, 4, 5, 7, 8], "sessions 1, 3-5, 7-8"),
        ([2, 2, 6], "sessions 2, 6"),
    ],
)
def test_session_numbers_read_as_ranges(numbers: list[int], said: str) -> None:
    assert session_numbers(numbers) == said


def test_grouped_gives_each_text_once_with_its_sessions_in_first_session_order() -> None:
    pairs = [(1, "b"), (2, "a"), (3, "b"), (4, None), (5, "a"), (6, "b")]
    assert grouped(pairs) == [((1, 3, 6), "b"), ((2, 5), "a"), ((4,), None)]
