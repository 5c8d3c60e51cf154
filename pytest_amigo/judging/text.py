"""Text from the service made safe to show: for a terminal, XML, and one-line names; counts with
their nouns, and session numbers grouped for a reader.

The API's words (session errors, justifications, names) may hold control characters: every part
that prints them escapes them here first.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

T = TypeVar("T", bound=Hashable)


def printable(text: str) -> str:
    """Text from the service, safe for a terminal and XML: control characters escaped."""
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or ch in "\n\t" else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def one_line(text: str) -> str:
    """A name from the service, safe for a terminal and XML on one line: control characters,
    newlines and tabs included, escaped."""
    return printable(text).replace("\n", "\\n").replace("\t", "\\t")


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 error``, ``0 errors``, ``2 unit tests``: a count and its noun, singular only for one
    (``many``: an irregular plural)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def session_numbers(numbers: Iterable[int]) -> str:
    """Session numbers as a reader scans them: ``session 4``, ``sessions 1-3, 5``."""
    found = sorted(set(numbers))
    runs: list[str] = []
    start = previous = None
    for number in [*found, None]:
        if previous is not None and number == previous + 1:
            previous = number
            continue
        if start is not None and previous is not None:
            runs.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = number
    return f"{'session' if len(found) == 1 else 'sessions'} {', '.join(runs)}"


def grouped(pairs: Iterable[tuple[int, T]]) -> list[tuple[tuple[int, ...], T]]:
    """``(session number, text)`` pairs grouped by identical text, each group with its session
    numbers, in the order of each group's first session: a judge's justification repeated over
    six sessions is quoted once, with ``sessions 1-6``."""
    found: dict[T, list[int]] = {}
    for number, value in pairs:
        found.setdefault(value, []).append(number)
    return sorted(((tuple(n), v) for v, n in found.items()), key=lambda group: group[0][0])
