"""Planning a run's unit tests when it is created: specs, variants, transcripts."""

from __future__ import annotations

from typing import Any

from pytest_amigo.domain import Criterion, MetricValue, format_value
from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.planned_runs import Fixed, PlannedUnitTest, RandomDraws, Variant
from pytest_amigo.emulator.store.services import Services, doc_criteria


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


class RunPlanner(Services):
    """What a new run will do, fixed when it is created (see ``plan``)."""

    def _plan_unit_test(
        self, uid: str, run_count: int, rid: str, position: int, eager: bool
    ) -> PlannedUnitTest:
        """``uid``'s sessions as they go on its version set (``Services._behaviour``)."""
        doc = self.unit_tests[uid]
        criteria = doc_criteria(doc)
        behaviour = self._behaviour(uid)
        spec = self._spec(doc, uid, run_count)
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
        planned = PlannedUnitTest(
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
        # the sessions are judged with each metric's version when the run is created
        planned.metric_versions = [self.metric_versions.get(c.metric_id, 1) for c in criteria]
        return planned

    def _spec(self, doc: dict[str, Any], uid: str, run_count: int) -> dict[str, Any]:
        """``unit_test_run_specs[i]`` of a run: the versions of what the unit test uses."""
        persona_version = len(self.persona_versions.get(doc["persona_id"], [])) or 1
        scenario_version = len(self.scenario_versions.get(doc["scenario_id"], [])) or 1
        agent, machine, preferences = self._resolved(
            doc["service_id"], doc["service_version_set_name"]
        )
        return {
            "unit_test_id": uid,
            "run_count": run_count,
            "service_hierarchical_state_machine_version_info": [
                w.derive_id("state_machine", doc["service_id"]),
                machine,
            ],
            "agent_version_info": [w.derive_id("agent", doc["service_id"]), agent],
            "scenario_version_info": [doc["scenario_id"], scenario_version],
            "persona_version_info": [doc["persona_id"], persona_version],
            "llm_model_preferences": preferences,
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
