"""Parsers of what a user wrote for a setting (``Raw``: an option's value or an ini key's) into
its typed value; a ``SettingError`` says what the setting accepts. Messages name the setting as
the user wrote it (``{raw.flag}``, ``{raw.ini}``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Literal, TypeVar, get_args

from pytest_amigo.settings import PollInterval

C = TypeVar("C", bound=str)


class SettingError(ValueError):
    """A value a setting cannot take: the message says which and what it accepts."""


@dataclass(frozen=True)
class Raw:
    """What the user wrote for one setting: the option's value if the command line gave it,
    else the ini key's (a string, a list of lines or a bool)."""

    value: object
    shown: str  # the setting's default, as the user would write it
    flag: str = ""
    ini: str = ""
    base: Path = Path()  # what a relative path is relative to (option: the invocation directory)
    rootdir: Path = Path()
    given: bool = False  # the command line gave it (else the ini key, or nothing)

    @property
    def named(self) -> str:
        """The setting as the user gave it: the option, else ``ini <key>``."""
        return self.flag if self.given and self.flag else f"ini {self.ini}"

    @property
    def text(self) -> str:
        return "" if self.value is None else str(self.value).strip()

    @property
    def lines(self) -> tuple[str, ...]:
        """Repeated options or linelist ini lines, stripped, the empty ones dropped."""
        items = self.value if isinstance(self.value, list | tuple) else ()
        return tuple(str(item).strip() for item in items if str(item).strip())


def _number(text: str, what: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise SettingError(f"{what} must be a number, got {text!r}") from None


def strings(raw: Raw) -> tuple[str, ...]:
    return raw.lines


def switch(raw: Raw) -> bool:
    return bool(raw.value)


def text(raw: Raw) -> str | None:
    """A name: quotes kept by pytest.ini dropped, empty is unset."""
    return raw.text.strip("\"'") or None


def word(raw: Raw) -> str | None:
    return raw.text or None


@dataclass(frozen=True)
class Choice(Generic[C]):
    """One of a Literal's values (its choices: ``typing.get_args``)."""

    kind: object  # the Literal type
    fold: bool = False  # ini only: quotes dropped, any case
    either: bool = False  # the message lists "a, b or c" rather than "one of a, b, c"

    @property
    def choices(self) -> tuple[C, ...]:
        return get_args(self.kind)

    def __call__(self, raw: Raw) -> C:
        value = raw.text.strip("\"'").lower() if self.fold else raw.text
        for choice in self.choices:
            if value == choice:
                return choice
        *rest, last = self.choices
        listing = (
            f"{', '.join(rest)} or {last}" if self.either else f"one of {', '.join(self.choices)}"
        )
        raise SettingError(f"{raw.ini or raw.flag} must be {listing}, got {value!r}")


def share(*, closed: bool = True) -> Callable[[Raw], float | None]:
    """A share in (0, 1] (``closed``) or (0, 1)."""

    def parse(raw: Raw) -> float | None:
        value = _number(raw.text, raw.flag)
        if value is not None and not (0 < value <= 1 if closed else 0 < value < 1):
            interval = "(0, 1]" if closed else "(0, 1), e.g. 0.95"
            raise SettingError(f"{raw.flag} must be in {interval}, got {value:g}")
        return value

    return parse


def min_pass_rate(raw: Raw) -> float | None:
    rate = _number(raw.text, raw.named)
    if rate is not None and not 0 < rate <= 1:
        raise SettingError(f"{raw.named} (the minimum pass rate) must be in (0, 1], got {rate:g}")
    return rate


def seconds(empty: Literal["default", "zero"]) -> Callable[[Raw], float]:
    """Seconds; an empty value is the default or 0."""

    def parse(raw: Raw) -> float:
        value = _number(raw.text or (raw.shown if empty == "default" else ""), raw.ini)
        return value or 0.0

    return parse


def timeout(raw: Raw) -> float:
    value = _number(raw.text, f"ini {raw.ini}")
    value = float(raw.shown) if value is None else value
    if value <= 0:
        raise SettingError(f"{raw.flag} must be positive, got {value:g}")
    return value


def count(raw: Raw) -> int | None:
    if not raw.text:
        return None
    if not raw.text.isdigit() or int(raw.text) < 1:
        raise SettingError(f"{raw.flag} must be a whole number >= 1, got {raw.text!r}")
    return int(raw.text)


def resample(raw: Raw) -> int:
    value = raw.value if isinstance(raw.value, int) else 0
    if raw.value is not None and value < 1:
        raise SettingError(f"{raw.flag} must be a number of sessions >= 1, got {value}")
    return value


def pass_k(raw: Raw) -> int:
    value = str(raw.value)
    if not value.strip().isdigit() or int(value) < 1:
        raise SettingError(f"{raw.ini} must be a whole number of sessions >= 1, got {value!r}")
    return int(value)


def min_valid(raw: Raw) -> float:
    """``3`` -> at least 3 sessions; ``0.5`` / ``50%`` -> at least half of the run count."""
    text = raw.text
    try:
        if text.endswith("%"):
            value = float(text[:-1]) / 100
        elif text.isdigit():
            if int(text) >= 1:
                return int(text)
            raise ValueError
        else:
            value = float(text)
        if not 0 < value <= 1:
            raise ValueError
    except ValueError:
        raise SettingError(
            f"{raw.ini} must be a count of sessions (e.g. 3) or a share of the "
            f"run count in (0, 1] (e.g. 0.5 or 50%), got {str(raw.value)!r}"
        ) from None
    return value


def min_pass_k(raw: Raw) -> tuple[int, float] | None:
    text = raw.text.strip("\"'")  # pytest.ini keeps quotes that pyproject.toml strips
    if not text:
        return None
    parts = text.replace(",", " ").split()
    try:
        k, value = int(parts[0]), float(parts[1])
        if len(parts) != 2 or k < 1 or not 0 < value <= 1:
            raise ValueError
    except (ValueError, IndexError):
        raise SettingError(
            f"{raw.ini} must be 'K VALUE' (sessions >= 1, required pass^K in (0, 1]), "
            f"e.g. '4 0.9'; got {text!r}"
        ) from None
    return k, value


def poll_interval(raw: Raw) -> PollInterval:
    """``MIN MAX`` (first and last), one value for both; at least 0.2 s, MAX at least MIN."""
    poll = (raw.text or raw.shown).split()
    try:
        low, high = float(poll[0]), float(poll[-1])
    except ValueError:
        raise SettingError(f"{raw.ini} must be 'MIN MAX' seconds, got {poll!r}") from None
    return PollInterval(max(0.2, low), max(low, high))


AGE_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def age(raw: Raw) -> float:
    """``24h``, ``90m``, ``3600s``, ``2d``, or a number of hours."""
    text = raw.text.strip("\"'").lower()
    scale = AGE_UNITS.get(text[-1:], 0.0)
    try:
        value = float(text[:-1] if scale else text) * (scale or 3600.0)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise SettingError(f"{raw.ini} must be an age like 24h, 90m, 3600s or 2d, got {text!r}")
    return value


def path(raw: Raw) -> Path | None:
    """A path option is relative to where pytest was started, an ini path to the rootdir."""
    return raw.base / Path(raw.text).expanduser() if raw.text else None


def artifacts_dir(raw: Raw) -> Path | None:
    """Relative to the rootdir; ``none`` disables downloads, empty is the default."""
    text = raw.text or raw.shown
    return None if text.lower() == "none" else raw.rootdir / text


def hours(seconds: float) -> str:
    """An age as ``age`` reads it back: ``24h``."""
    return f"{seconds / 3600:g}h"
