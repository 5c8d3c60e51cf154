"""Tool invocations of finished sessions, as documents."""

from __future__ import annotations

from typing import Any

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.planned_runs import PlannedSession, PlannedUnitTest, Run
from pytest_amigo.emulator.store.clock import iso
from pytest_amigo.emulator.store.state import StoreState


def invocation_status(call: w.ToolCall) -> dict[str, Any]:
    """``invocation_status`` of one call: its output, or the exception it raised."""
    if call.succeeded:
        return {"succeeded": True, "output": call.output}
    return {
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


class ToolInvocations(StoreState):
    """Tool calls made by simulated sessions."""

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
                for k, d, _, v in u.iter_draws():
                    if run.created + d > cutoff or not u.variants[v].tools:
                        continue
                    s = u.session(k)
                    for n, (iid, call) in enumerate(s.tools):
                        out.append(self._invocation_doc(run, u, k, s, n, iid, call))
        return out

    def _invocation_doc(
        self,
        run: Run,
        u: PlannedUnitTest,
        k: int,
        s: PlannedSession,
        n: int,
        iid: str,
        call: w.ToolCall,
    ) -> dict[str, Any]:
        """The ``n``-th tool invocation (id ``iid``) of session ``k`` of ``u``."""
        at = iso(self.clock.at(run.created + s.duration * (n + 1) / (len(s.tools) + 1)))
        machine = u.spec["service_hierarchical_state_machine_version_info"]
        return {
            "id": iid,
            "org_id": self.org,
            "created_at": at,
            "updated_at": at,
            "invocation_status": invocation_status(call),
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
