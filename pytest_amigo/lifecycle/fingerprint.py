"""What a run of a unit test would simulate, predicted before creating it, and what differs once
the run reports what it ran.

The prediction is a :class:`~pytest_amigo.judging.provenance.Provenance`, the value a run's
``unit_test_run_specs[i]`` is read into (``what_ran``): the service's version set resolved to its
agent and state machine versions (a ``null`` number is the latest version: read from the version
list) and its LLM preferences; the persona's and scenario's latest versions (a unit test cannot
pin them: the service reads them when the run is created); the success criteria with their
thresholds, ``max_interactions`` and the run count, from the unit test definition and its set.
Beside it, the latest version of each metric: the specs do not record it, a run's results do
(``metric_evaluation_results[].metric_version``).

Only reads, through the paced client (:class:`~pytest_amigo.api.versions.VersionReads`), each
object once per session (:class:`RunInputsReader` caches by id and counts its requests for the
plan). What cannot be read (a missing permission, a deleted object) is unknown: the prediction
says why, and an unknown field never equals anything, so such a prediction matches no run.

:func:`differences` compares a prediction with what a run reports: every field, the agent and
the state machine included (unlike :func:`~pytest_amigo.judging.provenance.changes`, which
compares two runs of a pipeline). Numbers compare by value (``7`` equals ``7.0``) and an LLM
config without ``params`` has the contract's default ``{}``.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import httpx
from amigo_sdk.errors import AmigoError, AuthenticationError

from pytest_amigo.api.shapes import ServiceDefinition, UnitTestDefinition
from pytest_amigo.api.versions import Versioned
from pytest_amigo.judging.provenance import FIELDS, Provenance, VersionInfo

__all__ = [
    "NOT_SIMULATED",
    "Prediction",
    "RunInputs",
    "RunInputsReader",
    "differences",
    "metric_differences",
    "normalized",
    "predict",
    "session_key",
]

NOT_SIMULATED = ("run_count",)
"""Fingerprint fields that say how many sessions a run has, not what each simulates: sessions
of runs that differ only there simulate the same thing (pass as ``ignore`` to compare them)."""


class InputsApi(Protocol):
    """The reads a prediction needs (``SimulationApi`` has them)."""

    def list_services(self, *, ids: Sequence[str] = ...) -> list[ServiceDefinition]: ...

    def latest_version(self, kind: Versioned, owner_id: str) -> int | None: ...


@dataclass(frozen=True)
class RunInputs:
    """What a run of one unit test is made of, as its definition and its set say."""

    unit_test_id: str
    service_id: str | None
    version_set: str | None
    persona_id: str | None
    scenario_id: str | None
    max_interactions: int | None
    run_count: int
    criteria: tuple[Mapping[str, Any], ...]
    """``{"metric_id", "name", "criterion"}`` per success criterion, as a spec's are read."""

    @classmethod
    def of(
        cls, definition: UnitTestDefinition, run_count: int, *, version_set: str | None = None
    ) -> RunInputs:
        """From a unit test definition (as collection reads it) and its set's run count;
        ``version_set``: the candidate version set a copy of it runs on, else its own."""
        return cls(
            unit_test_id=definition.id,
            service_id=_text(definition.service_id),
            version_set=version_set or _text(definition.service_version_set_name),
            persona_id=_text(definition.persona_id),
            scenario_id=_text(definition.scenario_id),
            max_interactions=_count(definition.max_interactions),
            run_count=run_count,
            criteria=tuple(
                {"metric_id": c.metric_id, "name": c.name, "criterion": dict(c.criterion)}
                for c in definition.success_criterions
            ),
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class RunInputsReader:
    """The reads of predictions, each object once per session (cached by id, failures too),
    counted per operation kind for the plan. Thread-safe."""

    def __init__(self, api: InputsApi) -> None:
        self._api = api
        self._lock = threading.RLock()
        self._services: dict[str, ServiceDefinition | None] = {}
        self._latest: dict[tuple[Versioned, str], int | None] = {}
        self._problems: dict[str, str] = {}
        self.reads: Counter[str] = Counter()
        """Reads per kind (``service``, ``agent``, ``persona``, ...): the plan's count. One
        read is one request, but for more than 20 services at once (one list, paged by 20)."""

    @property
    def read_count(self) -> int:
        return sum(self.reads.values())

    def problem(self, what: str) -> str | None:
        """Why ``what`` (``service <id>``, ``persona <id>``, ...) could not be read, if so."""
        return self._problems.get(what)

    def prefetch_services(self, service_ids: Iterable[str]) -> None:
        """Every service of ``service_ids`` not read yet, in one list request."""
        with self._lock:
            wanted = [s for s in dict.fromkeys(service_ids) if s not in self._services]
            if not wanted:
                return
            self.reads["service"] += 1
            try:
                found = {s.id: s for s in self._api.list_services(ids=wanted)}
            except AuthenticationError:
                raise  # the session's credentials: not a read that failed
            except (AmigoError, httpx.HTTPError) as exc:
                found = {}
                reason = _reason(exc)
            else:
                reason = "the service list does not return it (Service:GetService?)"
            for service_id in wanted:
                self._services[service_id] = found.get(service_id)
                if service_id not in found:
                    self._problems[f"service {service_id}"] = reason

    def service(self, service_id: str) -> ServiceDefinition | None:
        self.prefetch_services([service_id])
        return self._services.get(service_id)

    def latest(self, kind: Versioned, owner_id: str) -> int | None:
        """The latest version of ``kind`` ``owner_id`` (None: unknown, see :meth:`problem`)."""
        with self._lock:
            key = (kind, owner_id)
            if key in self._latest:
                return self._latest[key]
            self.reads[kind] += 1
            try:
                number = self._api.latest_version(kind, owner_id)
            except AuthenticationError:
                raise
            except (AmigoError, httpx.HTTPError) as exc:
                number = None
                self._problems[f"{kind} {owner_id}"] = _reason(exc)
            else:
                if number is None:
                    self._problems[f"{kind} {owner_id}"] = "it has no version"
            self._latest[key] = number
            return number


def _reason(exc: Exception) -> str:
    """The SDK's errors say their status (``missing permission (HTTP 403)``)."""
    return str(exc) if isinstance(exc, AmigoError) else f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class Prediction:
    """What a run of a unit test would simulate (``provenance``), the latest version of each
    of its metrics, and why a field is unknown (empty: everything was read)."""

    provenance: Provenance
    metric_versions: tuple[tuple[str, int | None], ...]
    unknown: tuple[str, ...] = ()


def predict(reader: RunInputsReader, inputs: RunInputs) -> Prediction:
    """The fingerprint of a run of ``inputs``' unit test if it were created now."""
    unknown: list[str] = []
    agent, machine, preferences = _version_set(reader, inputs, unknown)
    persona = _latest(reader, "persona", inputs.persona_id, unknown)
    scenario = _latest(reader, "scenario", inputs.scenario_id, unknown)
    metrics = dict.fromkeys(str(c["metric_id"]) for c in inputs.criteria)
    versions = tuple((m, reader.latest("metric", m)) for m in metrics)
    unknown += [f"metric {m}: {reader.problem(f'metric {m}')}" for m, v in versions if v is None]
    if inputs.max_interactions is None:
        unknown.append("max_interactions: the unit test definition does not say")
    provenance = Provenance(
        version_set=inputs.version_set,
        agent=agent,
        state_machine=machine,
        persona=persona,
        scenario=scenario,
        max_interactions=inputs.max_interactions,
        run_count=inputs.run_count,
        llm_model_preferences=preferences,
        criteria=tuple(dict(c) for c in inputs.criteria),
    )
    return Prediction(provenance, versions, tuple(unknown))


def _latest(
    reader: RunInputsReader, kind: Versioned, owner_id: str | None, unknown: list[str]
) -> VersionInfo | None:
    if owner_id is None:
        unknown.append(f"{kind}: the unit test definition does not name it")
        return None
    number = reader.latest(kind, owner_id)
    if number is None:
        unknown.append(f"{kind} {owner_id}: {reader.problem(f'{kind} {owner_id}')}")
        return None
    return owner_id, number


def _version_set(
    reader: RunInputsReader, inputs: RunInputs, unknown: list[str]
) -> tuple[VersionInfo | None, VersionInfo | None, Any]:
    """(agent, state machine, LLM preferences) the unit test's version set resolves to now."""
    if inputs.service_id is None or inputs.version_set is None:
        unknown.append("version set: the unit test definition does not name its service")
        return None, None, None
    service = reader.service(inputs.service_id)
    if service is None:
        unknown.append(
            f"service {inputs.service_id}: {reader.problem(f'service {inputs.service_id}')}"
        )
        return None, None, None
    found = service.version_sets.get(inputs.version_set)
    if not isinstance(found, Mapping):
        unknown.append(f"version set {inputs.version_set!r}: not one of service {service.id}'s")
        return None, None, None
    pinned: tuple[tuple[Versioned, str, Any], ...] = (
        ("agent", service.agent_id, found.get("agent_version_number")),
        (
            "state_machine",
            service.service_hierarchical_state_machine_id,
            found.get("service_hierarchical_state_machine_version_number"),
        ),
    )
    resolved: list[VersionInfo | None] = []
    for kind, owner, value in pinned:
        number = _count(value)
        if number is not None:  # pinned by the version set
            resolved.append((owner, number))
        else:  # null: the latest, as the service resolves it when the run is created
            resolved.append(_latest(reader, kind, owner, unknown))
    return resolved[0], resolved[1], _preferences(found.get("llm_model_preferences"))


def _preferences(value: Any) -> Any:
    """LLM preferences with the contract's default ``params`` (``{}``) filled in."""
    if not isinstance(value, Mapping):
        return value
    return {
        k: {**v, "params": v.get("params") or {}} if isinstance(v, Mapping) else v
        for k, v in value.items()
    }


# -- comparing ------------------------------------------------------------------------------


def _number_free(value: Any) -> Any:
    """``value`` with every number a float (``7`` and ``7.0`` are one threshold)."""
    if isinstance(value, Mapping):
        return {str(k): _number_free(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_number_free(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def normalized(provenance: Provenance) -> Provenance:
    """``provenance`` in the form two compare in: criteria in one order, numbers as floats,
    LLM configs with ``params``."""
    criteria = provenance.criteria
    if criteria is not None:
        criteria = tuple(
            sorted((_number_free(c) for c in criteria), key=lambda c: json.dumps(c, sort_keys=True))
        )
    preferences = provenance.llm_model_preferences
    if preferences is not None:
        preferences = _number_free(_preferences(preferences))
    return replace(provenance, criteria=criteria, llm_model_preferences=preferences)


def session_key(provenance: Provenance) -> str:
    """What one session of a run simulates, as a string: equal for two runs whose sessions
    simulate the same thing, whatever their run counts (see :data:`NOT_SIMULATED`)."""
    data = normalized(provenance).to_json()
    for field in NOT_SIMULATED:
        data.pop(field, None)
    return json.dumps(data, sort_keys=True)


def _described(field: str, value: Any) -> str:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], int):
        return f"{value[0]} v{value[1]}"
    if field == "criteria" and isinstance(value, tuple):
        return "; ".join(
            f"{c.get('name')} ({c.get('metric_id')}) {c.get('criterion')}" for c in value
        )
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)


def differences(
    predicted: Provenance, ran: Provenance, *, ignore: Collection[str] = ()
) -> list[str]:
    """What differs between a prediction and what a run reports it ran, in words (``persona
    66aa…01 v1 predicted, v2 ran``); empty: the run simulated what was predicted. A field
    either side does not know is a difference (nothing proves it equal); ``ignore``: fields
    not compared (e.g. :data:`NOT_SIMULATED`)."""
    before, after = normalized(predicted), normalized(ran)
    found = []
    for field in FIELDS:
        if field in ignore:
            continue
        then, now = getattr(before, field), getattr(after, field)
        name = field.replace("_", " ")
        if then is None or now is None:
            side = "could not be predicted" if then is None else "is not in the run's spec"
            found.append(f"{name} {side}")
        elif then != now:
            if isinstance(then, tuple) and isinstance(now, tuple) and field in _VERSIONED:
                if then[0] == now[0]:
                    found.append(f"{name} {then[0]} v{then[1]} predicted, v{now[1]} ran")
                    continue
            found.append(
                f"{name} {_described(field, then)} predicted, {_described(field, now)} ran"
            )
    return found


_VERSIONED = ("agent", "state_machine", "persona", "scenario")


def metric_differences(
    predicted: Iterable[tuple[str, int | None]], result: Mapping[str, Any] | None
) -> list[str]:
    """What differs between the predicted metric versions and those a run's result for the
    unit test (``unit_test_run_results[i]``) was judged with; a result not in yet, or a metric
    it does not name, says nothing."""
    items = (result or {}).get("metric_evaluation_results")
    judged = {
        m.get("metric_id"): m.get("metric_version")
        for m in (items if isinstance(items, list) else [])
        if isinstance(m, Mapping)
    }
    found = []
    for metric_id, version in predicted:
        if metric_id not in judged:
            continue
        ran = judged[metric_id]
        if version is None or ran != version:
            shown = "unknown" if version is None else f"v{version}"
            found.append(f"metric {metric_id} {shown} predicted, v{ran} judged")
    return found
