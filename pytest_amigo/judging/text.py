"""Text from the service made safe to show: for a terminal, XML, and one-line names.

The API's words (session errors, justifications, names) may hold control characters: every part
that prints them escapes them here first.
"""

from __future__ import annotations


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
