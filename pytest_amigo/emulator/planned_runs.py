"""Planned runs: what each session of a run does, computed on demand from the plan and its index.

A run stores, per unit test, only what is shared by its sessions: the criteria, a few
*variants* (metric values, pass/fail per criterion, justifications, tool calls) and how session
``k`` picks its duration, error and variant. Nothing is stored per session, so a set with a
``run_count`` of millions costs no more to create than one with three; per-session objects
(:class:`PlannedSession`) are built only when an answer needs them.

* World sessions (``[[unit_tests.sessions]]``): session ``k`` behaves like spec ``k % L``.
* Random sessions (``[unit_tests.random]``): small runs draw every session from the store's
  seeded generator when the run is created (as before: results depend only on the seed and the
  sequence of runs); runs with more than :data:`EAGER_LIMIT` random sessions draw a seed and
  generate sessions in chunks of :data:`CHUNK` from ``Random(f"{seed}:{chunk}")`` on demand.
* Ids (evaluation, message, tool invocation) are derived from the run id, the unit test's
  position and the session index: ``<12 hex of sha1(run:position)><kind><10 hex index>``.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pytest_amigo.domain import Criterion, MetricValue
from pytest_amigo.emulator import world as w

CHUNK = 1024
EAGER_LIMIT = 20_000
"""Random sessions of one run drawn eagerly at creation; larger runs are generated lazily."""
RANDOM_ERROR = "The simulated session failed: the simulator stopped responding."

_EVALUATION, _MESSAGE, _TOOL = "e1", "d1", "c1"


@dataclass(frozen=True)
class Variant:
    """What a session reports: one value, verdict and justification per criterion."""

    values: tuple[MetricValue, ...]
    passed: tuple[bool, ...]
    justifications: tuple[str, ...]
    tools: tuple[w.ToolCall, ...] = ()


@dataclass(frozen=True)
class Fixed:
    """A world session spec: duration and error (its variant has the same index)."""

    duration: float
    error: str | None


@dataclass
class PlannedSession:
    """One session, materialized on demand."""

    index: int
    duration: float
    error: str | None
    values: list[MetricValue]
    passed: list[bool]
    justifications: list[str]
    evaluation_ids: list[str]
    message_ids: list[str]
    messages: list[dict[str, Any]]
    tools: list[tuple[str, w.ToolCall]]
    """(invocation id, call)."""


_Arrays = tuple["array[float]", bytearray, "array[int]"]


class RandomDraws:
    """(duration, errored, failing criterion or -1) of each random session."""

    def __init__(
        self, spec: w.RandomSessions, criteria: int, count: int, rng: random.Random, eager: bool
    ) -> None:
        self.spec = spec
        self.criteria = criteria
        self.count = count
        self._cache: dict[int, _Arrays] = {}
        self._all: _Arrays | None = None
        self.seed = 0
        if eager:
            self._all = self._draw(rng, count)
        else:
            self.seed = rng.getrandbits(64)

    def _draw(self, rng: random.Random, n: int) -> _Arrays:
        lo, hi = self.spec.duration
        error_rate, pass_rate, c = self.spec.error_rate, self.spec.pass_rate, self.criteria
        durations: array[float] = array("d")
        errored = bytearray()
        fails: array[int] = array("i")
        for _ in range(n):
            durations.append(rng.uniform(lo, hi))
            errored.append(rng.random() < error_rate)
            fails.append(rng.randrange(c) if rng.random() >= pass_rate and c else -1)
        return durations, errored, fails

    def _chunk(self, index: int) -> _Arrays:
        found = self._cache.get(index)
        if found is None:
            n = min(CHUNK, self.count - index * CHUNK)
            found = self._draw(random.Random(f"{self.seed}:{index}"), n)
            if len(self._cache) >= 8:
                self._cache.pop(next(iter(self._cache)))
            self._cache[index] = found
        return found

    def get(self, k: int) -> tuple[float, bool, int]:
        if self._all is not None:
            d, e, f = self._all
            return d[k], bool(e[k]), f[k]
        d, e, f = self._chunk(k // CHUNK)
        i = k % CHUNK
        return d[i], bool(e[i]), f[i]

    def chunks(self) -> Iterator[tuple[int, _Arrays]]:
        """(first session index, arrays) covering every session in order."""
        if self._all is not None:
            yield 0, self._all
            return
        for index in range((self.count + CHUNK - 1) // CHUNK):
            cached = self._cache.get(index)
            if cached is None:
                n = min(CHUNK, self.count - index * CHUNK)
                cached = self._draw(random.Random(f"{self.seed}:{index}"), n)
            yield index * CHUNK, cached


class PlannedUnitTest:
    """One entry of a run's set: its spec and how each of its ``run_count`` sessions behaves."""

    def __init__(
        self,
        *,
        run_id: str,
        position: int,
        unit_test_id: str,
        run_count: int,
        criteria: list[Criterion],
        spec: dict[str, Any],
        variants: list[Variant],
        fixed: tuple[Fixed, ...] = (),
        draws: RandomDraws | None = None,
        lines: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.unit_test_id = unit_test_id
        self.run_count = run_count
        self.criteria = criteria
        self.metric_versions = [1 for _ in criteria]
        self.spec = spec
        """The full-permission UnitTestRunSpec."""
        self.variants = variants
        self.fixed = fixed
        self.draws = draws
        self.lines = lines
        self.has_tools = any(v.tools for v in variants)
        self._prefix = hashlib.sha1(f"{run_id}:{position}".encode()).hexdigest()[:12]

    # -- one session -----------------------------------------------------------------------
    def draw(self, k: int) -> tuple[float, str | None, int]:
        """(duration, error, variant index) of session ``k``."""
        if self.draws is None:
            i = k % len(self.fixed)
            f = self.fixed[i]
            return f.duration, f.error, i
        d, errored, fail = self.draws.get(k)
        return d, RANDOM_ERROR if errored else None, fail + 1

    def iter_draws(self) -> Iterator[tuple[int, float, str | None, int]]:
        """(k, duration, error, variant index) of every session, in order."""
        if self.draws is None:
            fixed = self.fixed
            size = len(fixed)
            for k in range(self.run_count):
                f = fixed[k % size]
                yield k, f.duration, f.error, k % size
            return
        for start, (durations, errored, fails) in self.draws.chunks():
            for i, d in enumerate(durations):
                yield start + i, d, RANDOM_ERROR if errored[i] else None, fails[i] + 1

    def evaluation_id(self, k: int, j: int) -> str:
        return f"{self._prefix}{_EVALUATION}{k * len(self.criteria) + j:010x}"

    def evaluation_ids(self, ks: list[int], j: int) -> list[str]:
        """``evaluation_id(k, j)`` for every k of ``ks`` (the hot loop of a run listing)."""
        prefix, c = self._prefix + _EVALUATION, len(self.criteria)
        return [f"{prefix}{k * c + j:010x}" for k in ks]

    def _evaluation_ids(self, k: int) -> list[str]:
        return [self.evaluation_id(k, j) for j in range(len(self.criteria))]

    def message_ids(self, k: int) -> list[str]:
        n = len(self.lines)
        return [f"{self._prefix}{_MESSAGE}{k * n + i:010x}" for i in range(n)]

    def session(self, k: int) -> PlannedSession:
        duration, error, v = self.draw(k)
        variant = self.variants[v]
        ids = self.message_ids(k)
        messages = [
            {"id": mid, "interaction_index": n // 2, "sender": sender, "message": text}
            for n, (mid, (sender, text)) in enumerate(zip(ids, self.lines, strict=True))
        ]
        tools = variant.tools
        return PlannedSession(
            index=k,
            duration=float(duration),
            error=error,
            values=list(variant.values),
            passed=list(variant.passed),
            justifications=list(variant.justifications),
            evaluation_ids=[] if error is not None else self._evaluation_ids(k),
            message_ids=ids,
            messages=messages,
            tools=[
                (f"{self._prefix}{_TOOL}{k * len(tools) + n:010x}", call)
                for n, call in enumerate(tools)
            ],
        )

    @property
    def sessions(self) -> Iterator[PlannedSession]:
        for k in range(self.run_count):
            yield self.session(k)

    # -- aggregates (no per-session storage) -----------------------------------------------
    @cached_property
    def _aggregates(self) -> tuple[float, float, float | None]:
        """(longest duration, shortest duration, shortest duration of a failing valid session)."""
        failing = [not all(v.passed) for v in self.variants]
        if self.draws is None:
            present = self.fixed[: self.run_count]
            spans = [f.duration for f in present]
            fails = [f.duration for i, f in enumerate(present) if f.error is None and failing[i]]
            return max(spans), min(spans), min(fails, default=None)
        longest, shortest = 0.0, float("inf")
        first_fail: float | None = None
        for _, (durations, errored, fail_idx) in self.draws.chunks():
            longest = max(longest, max(durations, default=0.0))
            shortest = min(shortest, min(durations, default=shortest))
            for i, f in enumerate(fail_idx):
                if f >= 0 and not errored[i] and failing[f + 1]:
                    d = durations[i]
                    if first_fail is None or d < first_fail:
                        first_fail = d
        return longest, shortest, first_fail

    @property
    def max_duration(self) -> float:
        return self._aggregates[0]

    @property
    def min_duration(self) -> float:
        return self._aggregates[1]

    @property
    def first_failure(self) -> float | None:
        """Duration of the first failing non-errored session to finish (None: none fails)."""
        return self._aggregates[2]


@dataclass
class Run:
    id: str
    set_id: str
    user_id: str
    created: float
    """World seconds."""
    unit_tests: list[PlannedUnitTest]
    run_error: w.RunError | None = None
    cancelled_at: float | None = None
    artifacts: bool = True
    artifact_token: str = field(default_factory=lambda: secrets.token_hex(16))

    @cached_property
    def natural_end(self) -> float:
        return self.created + max((u.max_duration for u in self.unit_tests), default=0.0)

    @property
    def error_at(self) -> float | None:
        return None if self.run_error is None else self.created + self.run_error.after

    @property
    def end(self) -> float:
        end = self.natural_end
        if self.error_at is not None:
            end = min(end, self.error_at)
        if self.cancelled_at is not None:
            end = min(end, self.cancelled_at)
        return end

    def errored_at(self, t: float) -> bool:
        return self.error_at is not None and self.end == self.error_at and t >= self.end

    def cutoff(self, t: float) -> float:
        """Sessions with ``created + duration <= cutoff(t)`` are finished at world time t."""
        return min(t, self.end)

    def finished(self, s: PlannedSession, t: float) -> bool:
        return self.created + s.duration <= self.cutoff(t)

    def unit_test_done(self, u: PlannedUnitTest, t: float) -> bool:
        return self.created + u.max_duration <= self.cutoff(t)
