"""The emulator's world: what exists in the emulated organization and how its simulations behave.

A world is read from a TOML file (``World.from_toml``) or built from a plain dict
(``World.from_dict``); both produce the same frozen model. Every object may name its ``id``;
otherwise the id is a deterministic 24-hex string derived from its kind and name
(``derive_id("set", "Checkout")``), so tests and users can reference objects across restarts.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pytest_amigo.contract import OBJECT_ID
from pytest_amigo.domain import Criterion, MetricValue

_HEX24 = OBJECT_ID
_VERBS = ("==", "!=", "<=", "<", ">=", ">")
PERMISSIONS_HINT = "e.g. 'Simulation:GetSimulationUnitTest'"


class WorldError(ValueError):
    """A world file or dict that cannot be used; the message names the source and the problem."""


def derive_id(kind: str, name: str) -> str:
    """The deterministic id of a world object: first 24 hex digits of sha1("<kind>:<name>")."""
    return hashlib.sha1(f"{kind}:{name}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Options:
    organization: str = "acme"
    speed: float = 1.0
    token_ttl: float = 3600.0
    artifacts_delay: float = 5.0
    artifact_url_ttl: float = 300.0
    artifact_padding_bytes: int = 0
    seed: int = 0
    rate_limits: bool = True
    rate_limit_window: float = 60.0
    partial_results: bool = False
    """A run that ends early reports the finished sessions of unfinished unit tests."""
    pair_order: str = "session"
    """``session`` or ``rotated``: the order of the (evaluation id, passed) pairs."""


PAIR_ORDERS = ("session", "rotated")
HIDDEN_KINDS = ("runs", "sets")


@dataclass(frozen=True)
class User:
    user_id: str
    api_key_id: str
    api_key: str
    denied_permissions: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()
    """``runs`` and/or ``sets``: what the lists silently leave out for this user."""

    def credentials(self) -> dict[str, str]:
        return {"api_key": self.api_key, "api_key_id": self.api_key_id, "user_id": self.user_id}


@dataclass(frozen=True)
class Metric:
    id: str
    name: str
    type: str
    description: str = ""
    lower_bound: float | None = None
    upper_bound: float | None = None
    categories: tuple[str, ...] = ()

    def value_spec(self) -> dict[str, Any]:
        if self.type == "numerical":
            return {
                "type": "numerical",
                "lower_bound": self.lower_bound if self.lower_bound is not None else 0.0,
                "upper_bound": self.upper_bound if self.upper_bound is not None else 10.0,
            }
        if self.type == "categorical":
            return {"type": "categorical", "categories": list(self.categories)}
        return {"type": "boolean"}


@dataclass(frozen=True)
class Persona:
    id: str
    name: str
    role: str
    background: str


@dataclass(frozen=True)
class Scenario:
    id: str
    name: str
    objective: str
    instructions: str


@dataclass(frozen=True)
class ToolCall:
    tool: str
    succeeded: bool = True
    output: str = "ok"
    exception: str = ""
    exception_type: str = "ToolError"
    stack_trace: tuple[str, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)
    duration_ms: int = 120

    @property
    def tool_id(self) -> str:
        return derive_id("tool", self.tool)


@dataclass(frozen=True)
class Session:
    """How one simulated session of a unit test behaves."""

    duration: float
    values: dict[str, MetricValue] = field(default_factory=dict)
    justifications: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    tools: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class RandomSessions:
    pass_rate: float = 1.0
    error_rate: float = 0.0
    duration: tuple[float, float] = (30.0, 90.0)


@dataclass(frozen=True)
class UnitTest:
    id: str
    name: str
    description: str
    persona_id: str
    scenario_id: str
    criteria: tuple[Criterion, ...]
    max_interactions: int = 10
    duration: float = 60.0
    sessions: tuple[Session, ...] = ()
    random: RandomSessions | None = None
    service_id: str = derive_id("service", "Emulated service")


@dataclass(frozen=True)
class RunError:
    after: float
    message: str


@dataclass(frozen=True)
class UnitTestSet:
    id: str
    name: str
    description: str | None
    unit_test_runs: tuple[tuple[str, int], ...]
    run_error: RunError | None = None
    artifacts: bool = True
    """False: runs of this set never get ``artifacts_generated``."""


@dataclass(frozen=True)
class World:
    options: Options = field(default_factory=Options)
    users: tuple[User, ...] = ()
    metrics: tuple[Metric, ...] = ()
    personas: tuple[Persona, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    unit_tests: tuple[UnitTest, ...] = ()
    sets: tuple[UnitTestSet, ...] = ()
    source: str = "<dict>"
    faults: dict[str, Any] = field(default_factory=dict)
    """``[faults]``: the fault plan in force from the start (see traffic.FaultPlan)."""

    @classmethod
    def from_toml(cls, path: str | Path) -> World:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise WorldError(f"{path}: world file not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise WorldError(f"{path}: invalid TOML: {exc}") from exc
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> World:
        return _Parser(source).world(data)

    @classmethod
    def default(cls) -> World:
        """The demo world shipped with the package (``default_world.toml``)."""
        return cls.from_toml(Path(__file__).with_name("default_world.toml"))

    def with_options(self, **overrides: Any) -> World:
        unknown = set(overrides) - set(Options.__dataclass_fields__)
        if unknown:
            raise WorldError(f"{self.source}: unknown emulator option(s) {sorted(unknown)}")
        if overrides.get("pair_order", PAIR_ORDERS[0]) not in PAIR_ORDERS:
            raise WorldError(f"{self.source}: 'pair_order' must be one of {list(PAIR_ORDERS)}")
        return replace(self, options=replace(self.options, **overrides))

    def metric(self, metric_id: str) -> Metric:
        return next(m for m in self.metrics if m.id == metric_id)

    def summary(self) -> dict[str, Any]:
        """Ids of everything in the world (GET /_emulator/world, ``--list``)."""
        return {
            "organization": self.options.organization,
            "sets": [
                {
                    "id": s.id,
                    "name": s.name,
                    "unit_tests": [{"id": u, "run_count": n} for u, n in s.unit_test_runs],
                }
                for s in self.sets
            ],
            "unit_tests": [{"id": u.id, "name": u.name} for u in self.unit_tests],
            "metrics": [{"id": m.id, "name": m.name, "type": m.type} for m in self.metrics],
            "personas": [{"id": p.id, "name": p.name} for p in self.personas],
            "scenarios": [{"id": s.id, "name": s.name} for s in self.scenarios],
            "users": [u.user_id for u in self.users],
        }


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, what: str) -> WorldError:
        return WorldError(f"{self.source}: {where}: {what}")

    # -- small typed readers -------------------------------------------------------------
    def _table(self, data: Any, where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(where, f"expected a table, got {type(data).__name__}")
        return data

    def _tables(self, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        raw = data.get(key, [])
        if not isinstance(raw, list):
            raise self.fail(key, "expected an array of tables ([[" + key + "]])")
        return [self._table(item, f"{key}[{i}]") for i, item in enumerate(raw)]

    def _str(self, t: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = t.get(key, default)
        if value is None:
            raise self.fail(where, f"missing required key '{key}'")
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise self.fail(where, f"'{key}' must be a non-empty string, got {value!r}")
        return value

    def _num(self, t: dict[str, Any], key: str, where: str, default: float) -> float:
        value = t.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"'{key}' must be a number, got {value!r}")
        if value < 0:
            raise self.fail(where, f"'{key}' must not be negative, got {value!r}")
        return float(value)

    def _id(self, t: dict[str, Any], kind: str, name: str, where: str) -> str:
        value = t.get("id")
        if value is None:
            return derive_id(kind, name)
        if not isinstance(value, str) or not _HEX24.match(value):
            raise self.fail(where, f"'id' must be 24 lowercase hex digits, got {value!r}")
        return value

    def _check_keys(self, t: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = set(t) - allowed
        if unknown:
            raise self.fail(where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")

    # -- sections ------------------------------------------------------------------------
    def world(self, data: dict[str, Any]) -> World:
        self._check_keys(
            self._table(data, "top level"),
            {
                "emulator",
                "users",
                "metrics",
                "personas",
                "scenarios",
                "unit_tests",
                "sets",
                "faults",
            },
            "top level",
        )
        options = self.options(self._table(data.get("emulator", {}), "[emulator]"))
        users = tuple(
            self.user(t, f"users[{i}]") for i, t in enumerate(self._tables(data, "users"))
        )
        if not users:
            users = (User("ci-bot", "key-ci", "emulator-secret-ci"),)
        metrics = tuple(
            self.metric(t, f"metrics[{i}]") for i, t in enumerate(self._tables(data, "metrics"))
        )
        personas = tuple(
            Persona(
                self._id(t, "persona", name, f"personas[{i}]"),
                name,
                self._str(t, "role", f"personas[{i}]", "Customer"),
                self._str(t, "background", f"personas[{i}]", f"{name} is a typical customer."),
            )
            for i, t in enumerate(self._tables(data, "personas"))
            for name in [self._str(t, "name", f"personas[{i}]")]
        )
        scenarios = tuple(
            Scenario(
                self._id(t, "scenario", name, f"scenarios[{i}]"),
                name,
                self._str(t, "objective", f"scenarios[{i}]", f"Get help with: {name}."),
                self._str(t, "instructions", f"scenarios[{i}]", "Describe the problem politely."),
            )
            for i, t in enumerate(self._tables(data, "scenarios"))
            for name in [self._str(t, "name", f"scenarios[{i}]")]
        )
        for kind, items in (("metrics", metrics), ("personas", personas), ("scenarios", scenarios)):
            self._unique(kind, [(x.id, x.name) for x in items])
        self._unique("users", [(u.api_key_id, u.user_id) for u in users], check_names=False)
        unit_tests = tuple(
            self.unit_test(t, f"unit_tests[{i}]", metrics, personas, scenarios)
            for i, t in enumerate(self._tables(data, "unit_tests"))
        )
        self._unique("unit_tests", [(u.id, u.name) for u in unit_tests])
        sets = tuple(
            self.unit_test_set(t, f"sets[{i}]", unit_tests)
            for i, t in enumerate(self._tables(data, "sets"))
        )
        self._unique("sets", [(s.id, s.name) for s in sets])
        faults = dict(self._table(data.get("faults", {}), "[faults]"))
        if faults:
            from pytest_amigo.emulator.traffic import FaultPlanError, parse_fault_plan

            try:
                parse_fault_plan(faults)
            except FaultPlanError as exc:
                raise self.fail("[faults]", str(exc)) from None
        return World(
            options, users, metrics, personas, scenarios, unit_tests, sets, self.source, faults
        )

    def _unique(self, kind: str, pairs: list[tuple[str, str]], check_names: bool = True) -> None:
        ids = [p[0] for p in pairs]
        names = [p[1] for p in pairs]
        for i, value in enumerate(ids):
            if value in ids[:i]:
                raise self.fail(kind, f"duplicate id {value!r}")
        if check_names:
            for i, value in enumerate(names):
                if value in names[:i]:
                    raise self.fail(kind, f"duplicate name {value!r}")

    def options(self, t: dict[str, Any]) -> Options:
        where = "[emulator]"
        self._check_keys(t, set(Options.__dataclass_fields__), where)
        d = Options()
        speed = self._num(t, "speed", where, d.speed)
        if speed <= 0:
            raise self.fail(where, "'speed' must be positive")
        rate_limits = t.get("rate_limits", d.rate_limits)
        if not isinstance(rate_limits, bool):
            raise self.fail(where, "'rate_limits' must be true or false")
        padding = t.get("artifact_padding_bytes", 0)
        seed = t.get("seed", 0)
        if not isinstance(padding, int) or isinstance(padding, bool) or padding < 0:
            raise self.fail(where, "'artifact_padding_bytes' must be a non-negative integer")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise self.fail(where, "'seed' must be an integer")
        partial = t.get("partial_results", d.partial_results)
        if not isinstance(partial, bool):
            raise self.fail(where, "'partial_results' must be true or false")
        pair_order = t.get("pair_order", d.pair_order)
        if pair_order not in PAIR_ORDERS:
            raise self.fail(where, f"'pair_order' must be one of {list(PAIR_ORDERS)}")
        return Options(
            organization=self._str(t, "organization", where, d.organization),
            speed=speed,
            token_ttl=self._num(t, "token_ttl", where, d.token_ttl),
            artifacts_delay=self._num(t, "artifacts_delay", where, d.artifacts_delay),
            artifact_url_ttl=self._num(t, "artifact_url_ttl", where, d.artifact_url_ttl),
            artifact_padding_bytes=padding,
            seed=seed,
            rate_limits=rate_limits,
            rate_limit_window=self._num(t, "rate_limit_window", where, d.rate_limit_window),
            partial_results=partial,
            pair_order=pair_order,
        )

    def user(self, t: dict[str, Any], where: str) -> User:
        self._check_keys(
            t, {"user_id", "api_key_id", "api_key", "denied_permissions", "hidden"}, where
        )
        denied = t.get("denied_permissions", [])
        if not isinstance(denied, list) or not all(isinstance(p, str) for p in denied):
            raise self.fail(
                where, f"'denied_permissions' must be a list of strings, {PERMISSIONS_HINT}"
            )
        hidden = t.get("hidden", [])
        if not isinstance(hidden, list) or not all(h in HIDDEN_KINDS for h in hidden):
            raise self.fail(where, f"'hidden' must be a list of {list(HIDDEN_KINDS)}")
        return User(
            self._str(t, "user_id", where),
            self._str(t, "api_key_id", where),
            self._str(t, "api_key", where),
            frozenset(denied),
            frozenset(hidden),
        )

    def metric(self, t: dict[str, Any], where: str) -> Metric:
        allowed = {"id", "name", "type", "description", "lower_bound", "upper_bound", "categories"}
        self._check_keys(t, allowed, where)
        name = self._str(t, "name", where)
        kind = self._str(t, "type", where, "boolean")
        if kind not in ("boolean", "numerical", "categorical"):
            raise self.fail(
                where, f"'type' must be boolean, numerical or categorical, got {kind!r}"
            )
        categories = t.get("categories", [])
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise self.fail(where, "'categories' must be a list of strings")
        if kind == "categorical" and not categories:
            raise self.fail(where, "a categorical metric needs 'categories'")
        lower = self._num(t, "lower_bound", where, 0.0) if "lower_bound" in t else None
        upper = self._num(t, "upper_bound", where, 10.0) if "upper_bound" in t else None
        return Metric(
            self._id(t, "metric", name, where),
            name,
            kind,
            str(t.get("description", f"Judge whether: {name}.")),
            lower,
            upper,
            tuple(categories),
        )

    @staticmethod
    def _lookup(ref: Any, items: tuple[Any, ...]) -> Any | None:
        return next((x for x in items if ref in (x.id, x.name)), None)

    def unit_test(
        self,
        t: dict[str, Any],
        where: str,
        metrics: tuple[Metric, ...],
        personas: tuple[Persona, ...],
        scenarios: tuple[Scenario, ...],
    ) -> UnitTest:
        allowed = {
            "id", "name", "description", "persona", "scenario", "max_interactions", "duration",
            "criteria", "sessions", "random", "service",
        }  # fmt: skip
        self._check_keys(t, allowed, where)
        name = self._str(t, "name", where)
        persona = self._lookup(t.get("persona"), personas)
        if persona is None:
            raise self.fail(where, f"persona {t.get('persona')!r} is not a [[personas]] name or id")
        scenario = self._lookup(t.get("scenario"), scenarios)
        if scenario is None:
            raise self.fail(
                where, f"scenario {t.get('scenario')!r} is not a [[scenarios]] name or id"
            )
        raw_criteria = t.get("criteria")
        if not isinstance(raw_criteria, list) or not raw_criteria:
            raise self.fail(where, "'criteria' must be a non-empty list of inline tables")
        criteria = tuple(
            self.criterion(
                self._table(c, f"{where}.criteria[{j}]"), f"{where}.criteria[{j}]", metrics
            )
            for j, c in enumerate(raw_criteria)
        )
        names = [c.name for c in criteria]
        if len(set(names)) != len(names):
            raise self.fail(where, "criterion names must be unique within a unit test")
        max_interactions = t.get("max_interactions", 10)
        if not isinstance(max_interactions, int) or not 0 < max_interactions <= 100:
            raise self.fail(where, "'max_interactions' must be an integer in 1..100")
        duration = self._num(t, "duration", where, 60.0)
        sessions = tuple(
            self.session(
                self._table(s, f"{where}.sessions[{k}]"), f"{where}.sessions[{k}]", duration, names
            )
            for k, s in enumerate(t.get("sessions", []))
        )
        random_spec = None
        if "random" in t:
            if sessions:
                raise self.fail(where, "use either 'sessions' or 'random', not both")
            random_spec = self.random(
                self._table(t["random"], f"{where}.random"), f"{where}.random"
            )
        service = t.get("service", "Emulated service")
        return UnitTest(
            id=self._id(t, "unit_test", name, where),
            name=name,
            description=self._str(t, "description", where, f"Unit test {name}."),
            persona_id=persona.id,
            scenario_id=scenario.id,
            criteria=criteria,
            max_interactions=max_interactions,
            duration=duration,
            sessions=sessions,
            random=random_spec,
            service_id=derive_id("service", str(service)),
        )

    def criterion(self, c: dict[str, Any], where: str, metrics: tuple[Metric, ...]) -> Criterion:
        self._check_keys(
            c, {"name", "metric", "expected", "verb", "threshold", "expected_values"}, where
        )
        metric = self._lookup(c.get("metric"), metrics)
        if metric is None:
            raise self.fail(where, f"metric {c.get('metric')!r} is not a [[metrics]] name or id")
        name = self._str(c, "name", where, metric.name)
        if metric.type == "boolean":
            expected = c.get("expected", True)
            if not isinstance(expected, bool):
                raise self.fail(
                    where, f"boolean metric {metric.name!r} needs expected = true|false"
                )
            return Criterion(name, metric.id, "boolean", expected_value=expected)
        if metric.type == "numerical":
            verb = c.get("verb", ">=")
            if verb not in _VERBS:
                raise self.fail(where, f"'verb' must be one of {list(_VERBS)}, got {verb!r}")
            threshold = c.get("threshold")
            if isinstance(threshold, bool) or not isinstance(threshold, int | float):
                raise self.fail(
                    where, f"numerical metric {metric.name!r} needs a numeric 'threshold'"
                )
            return Criterion(name, metric.id, "numerical", verb=verb, threshold=float(threshold))
        values = c.get("expected_values")
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
        ):
            raise self.fail(
                where, f'categorical metric {metric.name!r} needs expected_values = ["..."]'
            )
        return Criterion(name, metric.id, "categorical", expected_values=tuple(values))

    def session(
        self, s: dict[str, Any], where: str, default_duration: float, criteria: list[str]
    ) -> Session:
        self._check_keys(s, {"duration", "values", "justifications", "error", "tools"}, where)
        values = self._table(s.get("values", {}), f"{where}.values")
        justifications = self._table(s.get("justifications", {}), f"{where}.justifications")
        for key in [*values, *justifications]:
            if key not in criteria:
                raise self.fail(
                    where, f"{key!r} is not a criterion name of this unit test {criteria}"
                )
        error = s.get("error")
        if error is not None and not isinstance(error, str):
            raise self.fail(where, "'error' must be a string")
        tools = tuple(
            self.tool(self._table(x, f"{where}.tools[{i}]"), f"{where}.tools[{i}]")
            for i, x in enumerate(s.get("tools", []))
        )
        return Session(
            duration=self._num(s, "duration", where, default_duration),
            values=dict(values),
            justifications={k: str(v) for k, v in justifications.items()},
            error=error,
            tools=tools,
        )

    def tool(self, x: dict[str, Any], where: str) -> ToolCall:
        allowed = {
            "tool", "succeeded", "output", "exception", "exception_type", "stack_trace",
            "inputs", "duration_ms",
        }  # fmt: skip
        self._check_keys(x, allowed, where)
        succeeded = x.get("succeeded", "exception" not in x)
        if not isinstance(succeeded, bool):
            raise self.fail(where, "'succeeded' must be true or false")
        trace = x.get("stack_trace", [])
        if isinstance(trace, str):
            trace = [trace]
        return ToolCall(
            tool=self._str(x, "tool", where),
            succeeded=succeeded,
            output=str(x.get("output", "ok")),
            exception=str(x.get("exception", "" if succeeded else "Tool failed")),
            exception_type=str(x.get("exception_type", "ToolError")),
            stack_trace=tuple(str(line) for line in trace),
            inputs=dict(self._table(x.get("inputs", {}), f"{where}.inputs")),
            duration_ms=int(self._num(x, "duration_ms", where, 120)),
        )

    def random(self, r: dict[str, Any], where: str) -> RandomSessions:
        self._check_keys(r, {"pass_rate", "error_rate", "duration"}, where)
        pass_rate = self._num(r, "pass_rate", where, 1.0)
        error_rate = self._num(r, "error_rate", where, 0.0)
        if pass_rate > 1 or error_rate > 1:
            raise self.fail(where, "'pass_rate' and 'error_rate' must be within 0..1")
        duration = r.get("duration", [30, 90])
        if (
            not isinstance(duration, list)
            or len(duration) != 2
            or not all(isinstance(d, int | float) and d >= 0 for d in duration)
            or duration[0] > duration[1]
        ):
            raise self.fail(where, "'duration' must be [min, max] world seconds")
        return RandomSessions(pass_rate, error_rate, (float(duration[0]), float(duration[1])))

    def unit_test_set(
        self, t: dict[str, Any], where: str, unit_tests: tuple[UnitTest, ...]
    ) -> UnitTestSet:
        self._check_keys(
            t, {"id", "name", "description", "unit_tests", "run_error", "artifacts"}, where
        )
        name = self._str(t, "name", where)
        raw = t.get("unit_tests")
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, "'unit_tests' must be a non-empty list")
        runs: list[tuple[str, int]] = []
        for j, item in enumerate(raw):
            item = {"unit_test": item} if isinstance(item, str) else item
            entry = self._table(item, f"{where}.unit_tests[{j}]")
            unit_test = self._lookup(entry.get("unit_test"), unit_tests)
            if unit_test is None:
                raise self.fail(
                    f"{where}.unit_tests[{j}]",
                    f"{entry.get('unit_test')!r} is not a [[unit_tests]] name or id",
                )
            count = entry.get("run_count", 1)
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise self.fail(
                    f"{where}.unit_tests[{j}]", "'run_count' must be a positive integer"
                )
            runs.append((unit_test.id, count))
        run_error = None
        if "run_error" in t:
            r = self._table(t["run_error"], f"{where}.run_error")
            run_error = RunError(
                self._num(r, "after", f"{where}.run_error", 0.0),
                self._str(r, "message", f"{where}.run_error", "Internal simulation error"),
            )
        artifacts = t.get("artifacts", True)
        if not isinstance(artifacts, bool):
            raise self.fail(where, "'artifacts' must be true or false")
        description = t.get("description")
        return UnitTestSet(
            self._id(t, "set", name, where),
            name,
            str(description) if description is not None else None,
            tuple(runs),
            run_error,
            artifacts,
        )
