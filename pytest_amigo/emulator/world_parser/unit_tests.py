"""``[[unit_tests]]``: criteria, scripted sessions (with tool calls) or random sessions, the
service and version set they run on, and how their sessions go on other version sets."""

from __future__ import annotations

from typing import Any

from pytest_amigo.domain import Criterion
from pytest_amigo.emulator.model import (
    DEFAULT_SERVICE,
    RELEASE,
    Behaviour,
    Metric,
    Persona,
    RandomSessions,
    Scenario,
    Service,
    Session,
    ToolCall,
    UnitTest,
)
from pytest_amigo.emulator.world_parser.reader import Reader

_VERBS = ("==", "!=", "<=", "<", ">=", ">")


class UnitTestSections(Reader):
    """A unit test and what its sessions do."""

    def unit_test(
        self,
        t: dict[str, Any],
        where: str,
        metrics: tuple[Metric, ...],
        personas: tuple[Persona, ...],
        scenarios: tuple[Scenario, ...],
        services: tuple[Service, ...],
    ) -> UnitTest:
        allowed = {
            "id", "name", "description", "persona", "scenario", "max_interactions", "duration",
            "criteria", "sessions", "random", "service", "version_set", "version_sets",
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
        criteria = self._criteria(t, where, metrics)
        max_interactions = t.get("max_interactions", 10)
        if not isinstance(max_interactions, int) or not 0 < max_interactions <= 100:
            raise self.fail(where, "'max_interactions' must be an integer in 1..100")
        duration = self._num(t, "duration", where, 60.0)
        names = [c.name for c in criteria]
        sessions, random_spec = self._behaviour(t, where, duration, names)
        service = self._service(t, where, services)
        version_set = self._str(t, "version_set", where, RELEASE)
        if service.version_set(version_set) is None:
            raise self.fail(where, self._not_a_version_set(version_set, service))
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
            service_id=service.id,
            version_set=version_set,
            version_sets=self._version_sets(t, where, service, duration, names),
        )

    def _service(self, t: dict[str, Any], where: str, services: tuple[Service, ...]) -> Service:
        """The ``service`` (name or id) it runs on: the first service when not given."""
        if "service" not in t:
            default = self._lookup(DEFAULT_SERVICE, services)
            return default if default is not None else services[0]
        service = self._lookup(self._str(t, "service", where), services)
        if service is None:
            raise self.fail(where, f"service {t['service']!r} is not a [[services]] name or id")
        return service

    @staticmethod
    def _not_a_version_set(name: str, service: Service) -> str:
        names = [v.name for v in service.version_sets]
        return f"version set {name!r} is not one of service {service.name!r}'s version sets {names}"

    def _version_sets(
        self, t: dict[str, Any], where: str, service: Service, duration: float, names: list[str]
    ) -> dict[str, Behaviour]:
        """``[unit_tests.version_sets.<name>]``: how its sessions go on that version set (the
        keys of its own session description: ``sessions``, ``random``, ``duration``)."""
        found: dict[str, Behaviour] = {}
        for name, raw in self._table(t.get("version_sets", {}), f"{where}.version_sets").items():
            place = f"{where}.version_sets.{name}"
            if service.version_set(name) is None:
                raise self.fail(place, self._not_a_version_set(name, service))
            v = self._table(raw, place)
            self._check_keys(v, {"duration", "sessions", "random"}, place)
            own_duration = self._num(v, "duration", place, duration)
            found[name] = Behaviour(own_duration, *self._behaviour(v, place, own_duration, names))
        return found

    def _criteria(
        self, t: dict[str, Any], where: str, metrics: tuple[Metric, ...]
    ) -> tuple[Criterion, ...]:
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
        return criteria

    def _behaviour(
        self, t: dict[str, Any], where: str, duration: float, names: list[str]
    ) -> tuple[tuple[Session, ...], RandomSessions | None]:
        """(scripted sessions, random sessions): at most one of them."""
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
        return sessions, random_spec

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
