"""In-memory state of the emulated organization, and runs that execute on a world clock.

Everything the API returns is computed from here. Documents are kept in their API ("instance")
shape so list endpoints return them as they are. A run is planned when it is created (see
``plan``: per unit test, a few variants and how session ``k`` picks one; nothing per session);
what a caller sees at world time ``t`` is derived from that plan, so advancing the clock is all
it takes to make progress.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import math
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from pytest_amigo.contract import PERMISSION_SET, PERMISSION_UNIT_TEST
from pytest_amigo.domain import Criterion, MetricValue, format_value
from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    invalid,
)
from pytest_amigo.emulator.plan import (
    EAGER_LIMIT,
    Fixed,
    PlannedSession,
    PlannedUnitTest,
    RandomDraws,
    Run,
    Variant,
)

__all__ = ["ApiError", "EvaluationRef", "PlannedSession", "PlannedUnitTest", "Run", "Store"]

PERM_GET_SET = PERMISSION_SET
PERM_GET_UNIT_TEST = PERMISSION_UNIT_TEST


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Clock:
    """World seconds since start = real seconds * speed + advanced offset."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._real0 = time.monotonic()
        self._wall0 = datetime.now(UTC)
        self._offset = 0.0

    def now(self) -> float:
        return (time.monotonic() - self._real0) * self.speed + self._offset

    def advance(self, seconds: float) -> float:
        self._offset += max(0.0, seconds)
        return self.now()

    def at(self, world_seconds: float) -> datetime:
        return self._wall0 + timedelta(seconds=world_seconds)

    def seconds(self, dt: datetime) -> float:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return (dt - self._wall0).total_seconds()


@dataclass
class Token:
    user: w.User
    expires_at: float
    """Epoch seconds (real time)."""


class EvaluationRef(NamedTuple):
    """One metric evaluation, before its document is built."""

    at: float
    """World seconds: when its session finished (the evaluation's ``created_at``)."""
    metric_id: str
    metric_version: int
    run: Run
    unit_test: PlannedUnitTest
    k: int
    j: int


@dataclass
class Behaviour:
    """How sessions of a unit test behave (world spec, or defaults for API-created tests)."""

    duration: float = 60.0
    sessions: tuple[w.Session, ...] = ()
    random: w.RandomSessions | None = None


def _paged(items: list[Any], limit: int, token: int) -> tuple[list[Any], bool, int | None]:
    start = max(0, token)
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return chunk, more, (start + limit if more else None)


def sorted_docs(items: list[dict[str, Any]], sort_by: list[str], allowed: set[str]) -> list[Any]:
    out = list(items)
    for spec in reversed(sort_by):
        desc = spec.startswith("-")
        key = spec.lstrip("+-")
        if key not in allowed:
            raise invalid(
                ["query", "sort_by"], f"Unsupported sort field; supported: {sorted(allowed)}", spec
            )
        out.sort(key=_sort_key(key), reverse=desc)
    return out


def _sort_key(key: str) -> Callable[[dict[str, Any]], Any]:
    def get(doc: dict[str, Any]) -> Any:
        return str(doc.get(key) or "")

    return get


def _tags_list(tags: dict[str, str | None]) -> list[dict[str, str | None]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def _tag_match(tags: dict[str, str | None], wanted: list[str]) -> bool:
    if not wanted:
        return True
    for item in wanted:
        key, _, value = item.partition(":")
        if key in tags and (value == "*" or (tags[key] or "") == value):
            return True
    return False


def _creator_match(creator: dict[str, str], wanted: list[str]) -> bool:
    return not wanted or f"{creator['org_id']},{creator['user_id']}" in wanted


def meeting_value(c: Criterion) -> MetricValue:
    if c.kind == "boolean":
        return c.expected_value
    if c.kind == "categorical":
        return c.expected_values[0]
    t = float(c.threshold or 0.0)
    return {"==": t, "!=": t + 1, "<=": t, "<": t - 1, ">=": t, ">": t + 1}[c.verb or ">="]


def failing_value(c: Criterion, metric: dict[str, Any] | None) -> MetricValue:
    if c.kind == "boolean":
        return not c.expected_value
    if c.kind == "categorical":
        categories = (metric or {}).get("_value", {}).get("categories", [])
        return next((x for x in categories if x not in c.expected_values), "other")
    t = float(c.threshold or 0.0)
    return {"==": t + 1, "!=": t, "<=": t + 1, "<": t, ">=": t - 1, ">": t}[c.verb or ">="]


class Store:
    def __init__(self, world: w.World) -> None:
        self.world = world
        self.options = world.options
        self.org = world.options.organization
        self.clock = Clock(world.options.speed)
        self.lock = threading.RLock()
        self.secret = secrets.token_bytes(32)
        self.rng = random.Random(world.options.seed)
        self._counter = itertools.count(1)
        self._epoch = int(time.time())
        self.tokens: dict[str, Token] = {}
        self.users = {u.api_key_id: u for u in world.users}
        self.personas: dict[str, dict[str, Any]] = {}
        self.persona_versions: dict[str, list[dict[str, Any]]] = {}
        self.scenarios: dict[str, dict[str, Any]] = {}
        self.scenario_versions: dict[str, list[dict[str, Any]]] = {}
        self.metrics: dict[str, dict[str, Any]] = {}
        self.unit_tests: dict[str, dict[str, Any]] = {}
        self.behaviours: dict[str, Behaviour] = {}
        self.sets: dict[str, dict[str, Any]] = {}
        self.set_run_errors: dict[str, w.RunError] = {}
        self.sets_without_artifacts: set[str] = set()
        self.runs: dict[str, Run] = {}
        self.artifact_tokens: dict[str, str] = {}
        self._seed()

    # -- ids, time, documents ----------------------------------------------------------------
    def new_id(self) -> str:
        return f"{self._epoch:08x}{next(self._counter):016x}"

    def now(self) -> float:
        return self.clock.now()

    def stamp(self) -> str:
        return iso(self.clock.at(self.now()))

    def _who(self, user_id: str) -> dict[str, str]:
        return {"org_id": self.org, "user_id": user_id}

    def _seed(self) -> None:
        owner = self.world.users[0].user_id if self.world.users else "emulator"
        for m in self.world.metrics:
            self._add_metric(m.id, m.name, m.type, m.description, m.value_spec(), owner)
        for p in self.world.personas:
            self._add_persona(p.id, p.name, p.role, {}, {"background": p.background}, owner)
        for s in self.world.scenarios:
            version = {"objective": s.objective, "instructions": s.instructions}
            self._add_scenario(s.id, s.name, {}, version, owner)
        for u in self.world.unit_tests:
            criteria = [
                {"name": c.name, "metric_id": c.metric_id, "criterion": c.to_api()}
                for c in u.criteria
            ]
            doc = self._unit_test_doc(
                u.id, u.name, u.description, u.service_id, "release", u.persona_id,
                u.scenario_id, u.max_interactions, criteria, {}, owner,
            )  # fmt: skip
            self.unit_tests[u.id] = doc
            self.behaviours[u.id] = Behaviour(u.duration, u.sessions, u.random)
        for unit_set in self.world.sets:
            self.sets[unit_set.id] = self._set_doc(
                unit_set.id, unit_set.name, unit_set.description,
                [list(x) for x in unit_set.unit_test_runs], {}, owner,
            )  # fmt: skip
            if unit_set.run_error is not None:
                self.set_run_errors[unit_set.id] = unit_set.run_error
            if not unit_set.artifacts:
                self.sets_without_artifacts.add(unit_set.id)

    def _add_metric(
        self, mid: str, name: str, kind: str, description: str, value: dict[str, Any], owner: str
    ) -> None:
        now = self.stamp()
        self.metrics[mid] = {
            "id": mid, "org_id": self.org, "name": name, "applied_to_services": [],
            "additional_notes": None, "tags": [], "creator": self._who(owner),
            "updated_by": self._who(owner), "metric_value_type": kind, "is_deleted": False,
            "created_at": now, "updated_at": now,
            "_value": value, "_description": description,
        }  # fmt: skip

    def _add_persona(
        self,
        pid: str,
        name: str,
        role: str,
        tags: dict[str, str | None],
        version: dict[str, Any],
        owner: str,
    ) -> None:
        now = self.stamp()
        self.personas[pid] = {
            "id": pid, "name": name, "role": role, "tags": dict(tags), "is_deleted": False,
            "created_at": now, "creator": self._who(owner), "updated_at": now,
            "updated_by": self._who(owner),
        }  # fmt: skip
        self.persona_versions[pid] = []
        self.add_persona_version(pid, version, owner)

    def add_persona_version(self, pid: str, version: dict[str, Any], owner: str) -> int:
        versions = self.persona_versions[pid]
        number = len(versions) + 1
        versions.append(
            {
                "_id": self.new_id(),
                "org_id": self.org,
                "created_at": self.stamp(),
                "updated_at": self.stamp(),
                "simulation_persona_id": pid,
                "version": number,
                "background": version["background"],
                "preferred_language": version.get("preferred_language"),
                "timezone": version.get("timezone"),
                "user_models": list(version.get("user_models", [])),
                "nonsensitive_user_variables": dict(version.get("nonsensitive_user_variables", {})),
                "sensitive_user_variables": dict(version.get("sensitive_user_variables", {})),
                "creator": self._who(owner),
            }
        )
        return number

    def _add_scenario(
        self, sid: str, name: str, tags: dict[str, str | None], version: dict[str, Any], owner: str
    ) -> None:
        now = self.stamp()
        self.scenarios[sid] = {
            "id": sid, "name": name, "tags": dict(tags), "is_deleted": False, "created_at": now,
            "creator": self._who(owner), "updated_at": now, "updated_by": self._who(owner),
        }  # fmt: skip
        self.scenario_versions[sid] = []
        self.add_scenario_version(sid, version, owner)

    def add_scenario_version(self, sid: str, version: dict[str, Any], owner: str) -> int:
        versions = self.scenario_versions[sid]
        number = len(versions) + 1
        starts = version.get("conversation_starts_at")
        versions.append(
            {
                "_id": self.new_id(),
                "org_id": self.org,
                "created_at": self.stamp(),
                "updated_at": self.stamp(),
                "simulation_scenario_id": sid,
                "version": number,
                "objective": version["objective"],
                "instructions": version["instructions"],
                "initial_message_type": version.get("initial_message_type", "user-message"),
                "conversation_starts_at": iso(starts) if isinstance(starts, datetime) else starts,
                "creator": self._who(owner),
            }
        )
        return number

    def _unit_test_doc(
        self, uid: str, name: str, description: str, service_id: str, version_set: str,
        persona_id: str, scenario_id: str, max_interactions: int,
        criteria: list[dict[str, Any]], tags: dict[str, str | None], owner: str,
    ) -> dict[str, Any]:  # fmt: skip
        now = self.stamp()
        return {
            "id": uid, "org_id": self.org, "created_at": now, "updated_at": now, "name": name,
            "description": description, "service_id": service_id,
            "service_version_set_name": version_set, "persona_id": persona_id,
            "scenario_id": scenario_id, "max_interactions": max_interactions,
            "success_criterions": criteria, "is_deleted": False, "tags": _tags_list(tags),
            "creator": self._who(owner), "updated_by": self._who(owner), "_tags": dict(tags),
        }  # fmt: skip

    def _set_doc(
        self,
        sid: str,
        name: str,
        description: str | None,
        runs: list[list[Any]],
        tags: dict[str, str | None],
        owner: str,
    ) -> dict[str, Any]:
        now = self.stamp()
        return {
            "id": sid, "org_id": self.org, "created_at": now, "updated_at": now, "name": name,
            "description": description,
            "unit_test_runs": [{"unit_test_id": u, "run_count": n} for u, n in runs],
            "last_triggered_run_id": None, "is_deleted": False, "tags": _tags_list(tags),
            "creator": self._who(owner), "updated_by": self._who(owner), "_tags": dict(tags),
        }  # fmt: skip

    @staticmethod
    def public(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if not k.startswith("_")}

    # -- auth -----------------------------------------------------------------------------
    def sign_in(self, org: str, api_key: str, api_key_id: str, user_id: str) -> tuple[str, str]:
        if org != self.org:
            raise NotFound("Organization not found.")
        user = self.users.get(api_key_id)
        if (
            user is None
            or not hmac.compare_digest(user.api_key, api_key)
            or user.user_id != user_id
        ):
            raise Unauthorized(
                "API key not found, is incorrect, or the requested user is not found."
            )
        token = secrets.token_urlsafe(32)
        expires = time.time() + self.options.token_ttl
        with self.lock:
            self.tokens[token] = Token(user, expires)
        return token, iso(datetime.fromtimestamp(expires, UTC))

    def authenticate(self, token: str) -> w.User:
        found = self.tokens.get(token)
        if found is None:
            raise Unauthorized("Invalid authorization token.")
        if time.time() >= found.expires_at:
            raise Unauthorized("The authorization token has expired.")
        return found.user

    # -- generic listing helpers ------------------------------------------------------------
    def list_docs(
        self,
        docs: Iterable[dict[str, Any]],
        *,
        ids: list[str],
        is_deleted: bool | None,
        creator: list[str],
        tag: list[str],
        sort_by: list[str],
        extra: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        out = []
        for d in docs:
            if ids and d["id"] not in ids:
                continue
            if is_deleted is not None and d["is_deleted"] != is_deleted:
                continue
            if not _creator_match(d["creator"], creator):
                continue
            tags = d.get("_tags", d.get("tags", {}))
            if not _tag_match(tags if isinstance(tags, dict) else {}, tag):
                continue
            if extra is not None and not extra(d):
                continue
            out.append(d)
        return sorted_docs(out, sort_by, {"updated_at"})

    @staticmethod
    def search(docs: Iterable[dict[str, Any]], query: str, top: int = 50) -> list[dict[str, Any]]:
        q = query.strip().lower()
        return [d for d in docs if q in d["name"].lower() and not d["is_deleted"]][:top]

    @staticmethod
    def page(items: list[Any], limit: int, token: int) -> tuple[list[Any], bool, int | None]:
        return _paged(items, limit, token)

    # -- runs -------------------------------------------------------------------------------
    def create_run(self, set_id: str, user: w.User) -> str:
        with self.lock:
            doc = self.sets.get(set_id)
            if doc is None or doc["is_deleted"]:
                raise NotFound("Simulation unit test set not found.")
            t = self.now()
            for run in self.runs.values():
                if run.set_id == set_id and run.user_id == user.user_id and t < run.end:
                    raise Conflict(
                        "The user already has an unfinished run for this simulation unit test set",
                    )
            rid = self.new_id()
            items = doc["unit_test_runs"]
            random_sessions = sum(
                item["run_count"]
                for item in items
                if self.behaviours.get(item["unit_test_id"], Behaviour()).random is not None
            )
            eager = random_sessions <= EAGER_LIMIT
            planned = [
                self._plan_unit_test(item["unit_test_id"], item["run_count"], rid, n, eager)
                for n, item in enumerate(items)
            ]
            run = Run(
                rid,
                set_id,
                user.user_id,
                t,
                planned,
                self.set_run_errors.get(set_id),
                artifacts=set_id not in self.sets_without_artifacts,
            )
            self.runs[rid] = run
            self.artifact_tokens[run.artifact_token] = rid
            doc["last_triggered_run_id"] = rid
            return rid

    def _plan_unit_test(
        self, uid: str, run_count: int, rid: str, position: int, eager: bool
    ) -> PlannedUnitTest:
        doc = self.unit_tests[uid]
        criteria = [
            Criterion.from_api(c["name"], c["metric_id"], c["criterion"])
            for c in doc["success_criterions"]
        ]
        behaviour = self.behaviours.get(uid, Behaviour())
        persona_version = len(self.persona_versions.get(doc["persona_id"], [])) or 1
        scenario_version = len(self.scenario_versions.get(doc["scenario_id"], [])) or 1
        spec = {
            "unit_test_id": uid,
            "run_count": run_count,
            "service_hierarchical_state_machine_version_info": [
                w.derive_id("state_machine", doc["service_id"]),
                1,
            ],
            "agent_version_info": [w.derive_id("agent", doc["service_id"]), 1],
            "scenario_version_info": [doc["scenario_id"], scenario_version],
            "persona_version_info": [doc["persona_id"], persona_version],
            "llm_model_preferences": {},
            "max_interactions": doc["max_interactions"],
            "metrics_to_evaluate": [
                {
                    "metric_id": c["metric_id"],
                    "success_criterion_name": c["name"],
                    "success_criterion": c["criterion"],
                }
                for c in doc["success_criterions"]
            ],
        }
        fixed: tuple[Fixed, ...] = ()
        draws: RandomDraws | None = None
        if behaviour.random is not None:
            meeting = [meeting_value(c) for c in criteria]
            variants = [self._variant(criteria, meeting, {}, ())]
            for j, c in enumerate(criteria):
                values = list(meeting)
                values[j] = failing_value(c, self.metrics.get(c.metric_id))
                variants.append(self._variant(criteria, values, {}, ()))
            draws = RandomDraws(behaviour.random, len(criteria), run_count, self.rng, eager)
        elif behaviour.sessions:
            variants = [
                self._variant(
                    criteria,
                    [s.values.get(c.name, meeting_value(c)) for c in criteria],
                    s.justifications,
                    s.tools,
                )
                for s in behaviour.sessions
            ]
            fixed = tuple(Fixed(float(s.duration), s.error) for s in behaviour.sessions)
        else:
            variants = [self._variant(criteria, [meeting_value(c) for c in criteria], {}, ())]
            fixed = (Fixed(float(behaviour.duration), None),)
        return PlannedUnitTest(
            run_id=rid,
            position=position,
            unit_test_id=uid,
            run_count=run_count,
            criteria=criteria,
            spec=spec,
            variants=variants,
            fixed=fixed,
            draws=draws,
            lines=self._transcript_lines(doc),
        )

    def _variant(
        self,
        criteria: list[Criterion],
        values: list[MetricValue],
        justifications: dict[str, str],
        tools: tuple[w.ToolCall, ...],
    ) -> Variant:
        passed = [c.is_met(v) for c, v in zip(criteria, values, strict=True)]
        texts = []
        for c, v, ok in zip(criteria, values, passed, strict=True):
            metric = self.metrics.get(c.metric_id, {"name": c.name})
            default = (
                f"Judging '{metric['name']}' on the simulated conversation gave "
                f"{format_value(v)}, which {'meets' if ok else 'does not meet'} the success "
                f"criterion '{c.name}' ({c.requirement()})."
            )
            texts.append(justifications.get(c.name, default))
        return Variant(tuple(values), tuple(passed), tuple(texts), tuple(tools))

    def _transcript_lines(self, doc: dict[str, Any]) -> tuple[tuple[str, str], ...]:
        persona = self.personas.get(doc["persona_id"], {"name": "Simulated user", "role": "user"})
        scenario_versions = self.scenario_versions.get(doc["scenario_id"]) or [{}]
        scenario = scenario_versions[-1]
        persona_versions = self.persona_versions.get(doc["persona_id"]) or [{}]
        background = persona_versions[-1].get("background", "")
        lines = [
            ("user", f"Hi, I'm {persona['name']} ({persona['role']}). {background}".strip()),
            ("agent", "Hello! Thanks for reaching out. How can I help you today?"),
            ("user", str(scenario.get("objective", doc["description"]))),
            ("agent", f"Understood. Let me take care of that for you. ({doc['name']})"),
            ("user", str(scenario.get("instructions", "Thanks."))),
            ("agent", "All done. Is there anything else I can help you with?"),
        ]
        return tuple(lines[: max(2, 2 * doc["max_interactions"])])

    def get_run(self, rid: str) -> Run:
        run = self.runs.get(rid)
        if run is None:
            raise NotFound("Simulation unit test set run not found.")
        return run

    def cancel_run(self, rid: str) -> None:
        with self.lock:
            run = self.get_run(rid)
            t = self.now()
            if t >= run.end:
                raise Conflict("The simulation unit test set run is not in progress.")
            run.cancelled_at = t

    def completed_at(self, run: Run) -> float:
        return run.end

    def artifacts_ready(self, run: Run, t: float) -> bool:
        return run.artifacts and t >= run.end + self.options.artifacts_delay

    def failed_metrics(self, run: Run, t: float) -> bool:
        cutoff = run.cutoff(t)
        return any(
            u.first_failure is not None and run.created + u.first_failure <= cutoff
            for u in run.unit_tests
        )

    def unit_test_result(
        self, run: Run, u: PlannedUnitTest, t: float, denied: frozenset[str] = frozenset()
    ) -> dict[str, Any] | None:
        """``unit_test_run_results[i]`` at world time t (None while it is not in)."""
        cutoff = run.cutoff(t)
        created = run.created
        if not run.unit_test_done(u, t):
            partial = (
                self.options.partial_results and t >= run.end and created + u.min_duration <= cutoff
            )
            if not partial:
                return None
        errors: list[str | None] = []
        valid: list[int] = []
        kinds: list[int] = []
        for k, d, error, v in u.iter_draws():
            if created + d <= cutoff:
                errors.append(error)
                if error is None:
                    valid.append(k)
                    kinds.append(v)
            else:
                errors.append(None)
        evaluations = []
        if PERM_GET_UNIT_TEST not in denied:
            rotated = self.options.pair_order == "rotated"
            variants = u.variants
            for j, c in enumerate(u.criteria):
                verdicts = [variant.passed[j] for variant in variants]
                pairs = [
                    [eid, verdicts[v]]
                    for eid, v in zip(u.evaluation_ids(valid, j), kinds, strict=True)
                ]
                if rotated and pairs:
                    shift = j % len(pairs)
                    pairs = pairs[shift:] + pairs[:shift]
                evaluations.append(
                    {
                        "metric_id": c.metric_id,
                        "metric_version": u.metric_versions[j],
                        "results": pairs,
                    }
                )
        return {
            "unit_test_id": u.unit_test_id,
            "metric_evaluation_results": evaluations,
            "run_errors": errors,
        }

    def run_instance(self, run: Run, denied: frozenset[str] = frozenset()) -> dict[str, Any]:
        t = self.now()
        specs: list[dict[str, Any]] = []
        results: list[dict[str, Any] | None] = []
        if PERM_GET_SET not in denied:
            for u in run.unit_tests:
                spec = dict(u.spec)
                if PERM_GET_UNIT_TEST in denied:
                    spec["scenario_version_info"] = None
                    spec["persona_version_info"] = None
                    spec["metrics_to_evaluate"] = []
                specs.append(spec)
                results.append(self.unit_test_result(run, u, t, denied))
        return {
            "org_id": self.org,
            "id": run.id,
            "is_completed": t >= run.end,
            "simulation_unit_test_set_id": run.set_id,
            "failed_metrics": self.failed_metrics(run, t),
            "errored": run.errored_at(t),
            "artifacts_generated": self.artifacts_ready(run, t),
            "unit_test_run_specs": specs,
            "unit_test_run_results": results,
            "created_at": iso(self.clock.at(run.created)),
            "creator": self._who(run.user_id),
        }

    # -- evaluation results and tool invocations -------------------------------------------
    def evaluation_refs(self, run_ids: list[str]) -> list[EvaluationRef]:
        """Every evaluation of finished non-errored sessions, in creation order (cheap refs)."""
        t = self.now()
        out: list[EvaluationRef] = []
        for run in self.runs.values():
            if run_ids and run.id not in run_ids:
                continue
            cutoff = run.cutoff(t)
            for u in run.unit_tests:
                criteria = list(enumerate(u.criteria))
                for k, d, error, _ in u.iter_draws():
                    at = run.created + d
                    if error is not None or at > cutoff:
                        continue
                    for j, c in criteria:
                        out.append(
                            EvaluationRef(at, c.metric_id, u.metric_versions[j], run, u, k, j)
                        )
        return out

    def evaluation_doc(self, ref: EvaluationRef) -> dict[str, Any]:
        u, k, j = ref.unit_test, ref.k, ref.j
        s = u.session(k)
        at = iso(self.clock.at(ref.at))
        return {
            "id": u.evaluation_id(k, j),
            "org_id": self.org,
            "created_at": at,
            "updated_at": at,
            "metric_id": ref.metric_id,
            "metric_version": ref.metric_version,
            "result": s.values[j],
            "justification": s.justifications[j],
            "source": {
                "type": "simulation",
                "simulation_unit_test_set_run_id": ref.run.id,
                "unit_test_id": u.unit_test_id,
                "run_index": k,
                "references": list(s.message_ids),
            },
        }

    def evaluation_results(self, run_ids: list[str]) -> list[dict[str, Any]]:
        return [self.evaluation_doc(ref) for ref in self.evaluation_refs(run_ids)]

    def tool_invocations(self, run_ids: list[str]) -> list[dict[str, Any]]:
        with self.lock:
            return self._tool_invocations(run_ids)

    def _tool_invocations(self, run_ids: list[str]) -> list[dict[str, Any]]:
        t = self.now()
        out = []
        for run in self.runs.values():
            if run_ids and run.id not in run_ids:
                continue
            cutoff = run.cutoff(t)
            for u in run.unit_tests:
                if not u.has_tools:
                    continue
                machine = u.spec["service_hierarchical_state_machine_version_info"]
                for k, d, _, v in u.iter_draws():
                    if run.created + d > cutoff or not u.variants[v].tools:
                        continue
                    s = u.session(k)
                    for n, (iid, call) in enumerate(s.tools):
                        at = iso(
                            self.clock.at(run.created + s.duration * (n + 1) / (len(s.tools) + 1))
                        )
                        status: dict[str, Any] = (
                            {"succeeded": True, "output": call.output}
                            if call.succeeded
                            else {
                                "succeeded": False,
                                "exception_message": call.exception,
                                "exception_type": call.exception_type,
                                "exception_stack_trace": list(call.stack_trace)
                                or [
                                    "Traceback (most recent call last):",
                                    f'  File "tools/{call.tool}.py", line 1, in run',
                                    f"{call.exception_type}: {call.exception}",
                                ],
                            }
                        )
                        out.append(
                            {
                                "id": iid,
                                "org_id": self.org,
                                "created_at": at,
                                "updated_at": at,
                                "invocation_status": status,
                                "invocation_source": {
                                    "type": "simulation-conversation",
                                    "simulation_unit_test_set_run_id": run.id,
                                    "unit_test_id": u.unit_test_id,
                                    "run_index": k,
                                    "invocation_metadata": {
                                        "type": "tool-call-state",
                                        "current_state_machine_and_version": list(machine),
                                        "state_name": "assist",
                                    },
                                },
                                "duration_ms": call.duration_ms,
                                "tool_id": call.tool_id,
                                "tool_version": {"major": 1, "minor": 0, "patch": 0},
                                "inputs": dict(call.inputs),
                            }
                        )
        return out

    # -- service rules: what the routes call (each takes the lock itself) ------------------------
    def user_for(self, token: str, organization: str) -> w.User:
        """The signed-in user of ``token`` on the path's organization."""
        user = self.authenticate(token)
        if organization != self.org:
            raise NotFound("Organization not found.")
        return user

    @staticmethod
    def require(user: w.User, permission: str) -> None:
        if permission in user.denied_permissions:
            raise Forbidden(
                f"The user is missing permission {permission} to perform this operation."
            )

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise invalid(["body", "advance"], "must not be negative", seconds)
        with self.lock:
            return self.clock.advance(float(seconds))

    def _touch(self, doc: dict[str, Any], user: w.User) -> None:
        doc["updated_at"] = self.stamp()
        doc["updated_by"] = self._who(user.user_id)

    @staticmethod
    def _name_taken(docs: Iterable[dict[str, Any]], name: str, but: Any = None) -> bool:
        return any(d["name"] == name and not d["is_deleted"] and d is not but for d in docs)

    # personas
    def persona(self, pid: str) -> dict[str, Any]:
        doc = self.personas.get(pid)
        if doc is None:
            raise NotFound("Simulation persona not found.")
        return doc

    def create_persona(self, data: dict[str, Any], user: w.User) -> str:
        with self.lock:
            name = data["name"].strip()
            if self._name_taken(self.personas.values(), name):
                raise Conflict("A simulation persona with this name already exists.")
            pid = self.new_id()
            self._add_persona(
                pid, name, data["role"].strip(), data["tags"], data["initial_version"], user.user_id
            )
            return pid

    def update_persona(self, pid: str, tags: dict[str, Any] | None, user: w.User) -> None:
        with self.lock:
            doc = self.persona(pid)
            if tags is not None:
                doc["tags"] = tags
            self._touch(doc, user)

    def delete_persona(self, pid: str, user: w.User) -> None:
        with self.lock:
            doc = self.persona(pid)
            if any(
                u["persona_id"] == pid and not u["is_deleted"] for u in self.unit_tests.values()
            ):
                raise BadRequest("The simulation persona is used by a simulation unit test.")
            doc["is_deleted"] = True
            self._touch(doc, user)

    def create_persona_version(
        self, pid: str, data: dict[str, Any], version: int | None, user: w.User
    ) -> int:
        with self.lock:
            self.persona(pid)
            expected = len(self.persona_versions[pid]) + 1
            if version is not None and version != expected:
                raise BadRequest(f"The next version of this simulation persona is {expected}.")
            return self.add_persona_version(pid, data, user.user_id)

    def persona_version_list(self, pid: str) -> list[dict[str, Any]]:
        self.persona(pid)
        return self.persona_versions[pid]

    # scenarios
    def scenario(self, sid: str) -> dict[str, Any]:
        doc = self.scenarios.get(sid)
        if doc is None:
            raise NotFound("Simulation scenario not found.")
        return doc

    def create_scenario(self, data: dict[str, Any], user: w.User) -> str:
        with self.lock:
            name = data["name"].strip()
            if self._name_taken(self.scenarios.values(), name):
                raise Conflict("A simulation scenario with this name already exists.")
            sid = self.new_id()
            self._add_scenario(sid, name, data["tags"], data["initial_version"], user.user_id)
            return sid

    def update_scenario(self, sid: str, tags: dict[str, Any] | None, user: w.User) -> None:
        with self.lock:
            doc = self.scenario(sid)
            if tags is not None:
                doc["tags"] = tags
            self._touch(doc, user)

    def delete_scenario(self, sid: str, user: w.User) -> None:
        with self.lock:
            doc = self.scenario(sid)
            if any(
                u["scenario_id"] == sid and not u["is_deleted"] for u in self.unit_tests.values()
            ):
                raise BadRequest("The simulation scenario is used by a simulation unit test.")
            doc["is_deleted"] = True
            self._touch(doc, user)

    def create_scenario_version(
        self, sid: str, data: dict[str, Any], version: int | None, user: w.User
    ) -> int:
        with self.lock:
            self.scenario(sid)
            expected = len(self.scenario_versions[sid]) + 1
            if version is not None and version != expected:
                raise BadRequest(f"The next version of this simulation scenario is {expected}.")
            return self.add_scenario_version(sid, data, user.user_id)

    def scenario_version_list(self, sid: str) -> list[dict[str, Any]]:
        self.scenario(sid)
        return self.scenario_versions[sid]

    # unit tests
    def unit_test(self, uid: str) -> dict[str, Any]:
        doc = self.unit_tests.get(uid)
        if doc is None:
            raise NotFound("Simulation unit test not found.")
        return doc

    def _check_unit_test_refs(self, data: dict[str, Any]) -> None:
        if data.get("persona_id") is not None:
            p = self.personas.get(data["persona_id"])
            if p is None or p["is_deleted"]:
                raise NotFound("Simulation persona not found.")
        if data.get("scenario_id") is not None:
            s = self.scenarios.get(data["scenario_id"])
            if s is None or s["is_deleted"]:
                raise NotFound("Simulation scenario not found.")
        for c in data.get("success_criterions") or []:
            metric = self.metrics.get(c["metric_id"])
            if metric is None or metric["is_deleted"]:
                raise NotFound(f"Metric {c['metric_id']} not found.")
            if metric["metric_value_type"] != c["criterion"]["type"]:
                raise BadRequest(
                    f"The success criterion {c['name']!r} is {c['criterion']['type']} but metric "
                    f"{c['metric_id']} is {metric['metric_value_type']}."
                )

    def create_unit_test(self, data: dict[str, Any], user: w.User) -> str:
        with self.lock:
            self._check_unit_test_refs(data)
            name = data["name"].strip()
            if self._name_taken(self.unit_tests.values(), name):
                raise Conflict("A simulation unit test with this name already exists.")
            uid = self.new_id()
            self.unit_tests[uid] = self._unit_test_doc(
                uid, name, data["description"], data["service_id"],
                data["service_version_set_name"], data["persona_id"], data["scenario_id"],
                data["max_interactions"], data["success_criterions"], data["tags"], user.user_id,
            )  # fmt: skip
            return uid

    def update_unit_test(self, uid: str, data: dict[str, Any], user: w.User) -> None:
        """``data``: the fields sent (not null)."""
        with self.lock:
            doc = self.unit_test(uid)
            self._check_unit_test_refs(data)
            for key in (
                "description", "service_id", "service_version_set_name", "persona_id",
                "scenario_id", "max_interactions", "success_criterions",
            ):  # fmt: skip
                if key in data:
                    doc[key] = data[key]
            if "tags" in data:
                doc["_tags"] = data["tags"]
                doc["tags"] = _tags_list(data["tags"])
            if "run_count" in data:
                doc["_run_count"] = data["run_count"]
            self._touch(doc, user)

    def delete_unit_test(self, uid: str, user: w.User) -> None:
        with self.lock:
            doc = self.unit_test(uid)
            if any(
                r["unit_test_id"] == uid and not s["is_deleted"]
                for s in self.sets.values()
                for r in s["unit_test_runs"]
            ):
                raise BadRequest("The simulation unit test is used by a unit test set.")
            doc["is_deleted"] = True
            self._touch(doc, user)

    # unit test sets
    def unit_test_set(self, sid: str) -> dict[str, Any]:
        doc = self.sets.get(sid)
        if doc is None:
            raise NotFound("Simulation unit test set not found.")
        return doc

    def _check_set_runs(self, runs: list[dict[str, Any]]) -> None:
        for r in runs:
            doc = self.unit_tests.get(r["unit_test_id"])
            if doc is None or doc["is_deleted"]:
                raise NotFound(f"Simulation unit test {r['unit_test_id']} not found.")

    def create_set(self, data: dict[str, Any], user: w.User) -> str:
        with self.lock:
            self._check_set_runs(data["unit_test_runs"])
            name = data["name"].strip()
            if self._name_taken(self.sets.values(), name):
                raise Conflict("A simulation unit test set with this name already exists.")
            sid = self.new_id()
            runs = [[r["unit_test_id"], r["run_count"]] for r in data["unit_test_runs"]]
            self.sets[sid] = self._set_doc(
                sid, name, data["description"], runs, data["tags"], user.user_id
            )
            return sid

    def update_set(self, sid: str, changes: dict[str, Any], user: w.User) -> None:
        """``changes``: any of ``name``, ``description``, ``unit_test_runs``, ``tags``."""
        with self.lock:
            doc = self.unit_test_set(sid)
            if "name" in changes:
                name = changes["name"].strip()
                if self._name_taken(self.sets.values(), name, but=doc):
                    raise Conflict("A simulation unit test set with this name already exists.")
                doc["name"] = name
            if "description" in changes:
                description = changes["description"]
                doc["description"] = description if isinstance(description, str) else None
            if "unit_test_runs" in changes:
                runs = changes["unit_test_runs"]
                self._check_set_runs(runs)
                doc["unit_test_runs"] = [
                    {"unit_test_id": r["unit_test_id"], "run_count": r["run_count"]} for r in runs
                ]
            if "tags" in changes:
                doc["_tags"] = changes["tags"]
                doc["tags"] = _tags_list(changes["tags"])
            self._touch(doc, user)

    def delete_set(self, sid: str, user: w.User) -> None:
        with self.lock:
            doc = self.unit_test_set(sid)
            doc["is_deleted"] = True
            self._touch(doc, user)

    # runs
    def list_runs(
        self,
        user: w.User,
        *,
        ids: list[str],
        set_ids: list[str],
        creators: list[str],
        created_after: datetime | None,
        created_before: datetime | None,
        is_completed: bool | None,
        failed_metrics: bool | None,
        errored: bool | None,
    ) -> list[dict[str, Any]]:
        """Run instances as ``user`` sees them, in creation order."""
        with self.lock:
            instances = []
            for run in [] if "runs" in user.hidden else self.runs.values():
                if ids and run.id not in ids:
                    continue
                if set_ids and run.set_id not in set_ids:
                    continue
                if creators and f"{self.org},{run.user_id}" not in creators:
                    continue
                created = self.clock.at(run.created)
                if created_after is not None and created < _aware(created_after):
                    continue
                if created_before is not None and created > _aware(created_before):
                    continue
                inst = self.run_instance(run, user.denied_permissions)
                if is_completed is not None and inst["is_completed"] != is_completed:
                    continue
                if failed_metrics is not None and inst["failed_metrics"] != failed_metrics:
                    continue
                if errored is not None and inst["errored"] != errored:
                    continue
                instances.append(inst)
            return instances

    def artifacts_link(self, rid: str) -> tuple[str, str]:
        """(presigned path, expiry) of a run's artifacts."""
        with self.lock:
            run = self.get_run(rid)
            if not self.artifacts_ready(run, self.now()):
                raise BadRequest(
                    "The artifacts for the unit test set run are not yet available for retrieval"
                )
            return self.presign(run)

    def evaluation_page(
        self,
        run_ids: list[str],
        keep: Callable[[EvaluationRef], bool],
        sort_by: list[str],
        limit: int,
        token: int,
    ) -> tuple[list[dict[str, Any]], bool, int | None, list[str]]:
        """(documents of the page, has_more, next token, metric ids of every match)."""
        with self.lock:
            refs = [e for e in self.evaluation_refs(run_ids) if keep(e)]
            for spec in reversed(sort_by):
                if spec.lstrip("+-") != "created_at":
                    raise invalid(
                        ["query", "sort_by"],
                        "Unsupported sort field; supported: ['created_at']",
                        spec,
                    )
                refs.sort(key=lambda e: e.at, reverse=spec.startswith("-"))
            chunk, more, nxt = _paged(refs, limit, token)
            docs = [self.evaluation_doc(e) for e in chunk]
        return docs, more, nxt, sorted({e.metric_id for e in refs})

    # -- presigned URLs ----------------------------------------------------------------------
    def sign(self, token: str, expires: int) -> str:
        return hmac.new(self.secret, f"{token}:{expires}".encode(), hashlib.sha256).hexdigest()

    def presign(self, run: Run) -> tuple[str, str]:
        expires = math.ceil(time.time() + self.options.artifact_url_ttl)
        path = f"/_presigned/{run.artifact_token}.zip?expires={expires}&signature="
        return path + self.sign(run.artifact_token, expires), iso(
            datetime.fromtimestamp(expires, UTC)
        )
