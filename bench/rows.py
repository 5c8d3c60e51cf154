"""A row of the main table, as every measurement returns its figures."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One figure: its id (a1, ...), what it measures, its value, its baseline and their ratio."""

    id: str
    measurement: str
    value: str
    baseline: str
    ratio: str


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.3f}" if reference else "nan"


def seconds(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f} s"


def timed_row(id_: str, measurement: str, value: float, baseline: float, digits: int = 2) -> Row:
    """A row of two times in seconds."""
    return Row(
        id_, measurement, seconds(value, digits), seconds(baseline, digits), ratio(value, baseline)
    )


def count_row(id_: str, measurement: str, value: int, baseline: int) -> Row:
    """A row of two counts."""
    return Row(id_, measurement, str(value), str(baseline), ratio(value, baseline))


def median_or_nan(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
