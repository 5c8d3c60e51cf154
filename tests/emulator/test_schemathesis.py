"""Schemathesis over the contract against a running emulator: no 5xx, answers match the schema.

Every operation pytest-amigo uses (``pytest_amigo.api.endpoints.ENDPOINTS``) gets a bounded,
derandomized number of positive (valid per the contract) and negative (invalid) requests, as
the signed-in user of the test world, on the emulator's organization. Checks: no server error,
and every answer whose status the contract documents with a schema conforms to it. Drift faults
are off. Every failing operation is reported, not only the first.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from pytest_amigo.api.endpoints import ENDPOINTS
from pytest_amigo.emulator import Emulator
from support.emulator import Api

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

pytestmark = pytest.mark.slow

EXAMPLES = 20
"""Per operation and generation mode (2 modes x 32 operations: about 1,300 requests, ~25 s)."""
SIGN_IN = "sign-in-with-api-key"


def test_the_contract_holds_under_schemathesis(
    emu: Emulator, spec: dict[str, Any], record_property: Any
) -> None:
    schema = schemathesis.openapi.from_dict(spec).include(operation_id=list(ENDPOINTS))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.definition.raw["operationId"] for op in operations} == set(ENDPOINTS)
    caller = Api(emu, None)
    token = caller.token
    caller.http.close()
    with emu.client() as admin:
        assert admin.delete("/_emulator/faults").status_code == 204  # no drift, no faults
        assert admin.delete("/_emulator/requests").status_code == 204
    sent = 0
    failures: dict[str, str] = {}
    started = time.perf_counter()
    for op in operations:
        operation_id = op.definition.raw["operationId"]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = op.as_strategy(mode, path_parameters={"organization": emu.organization_id})

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
            )
            def exercise(case: Any) -> None:
                nonlocal sent
                if case.operation.definition.raw["operationId"] != SIGN_IN:
                    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
                response = case.call(base_url=emu.base_url, timeout=30)
                sent += 1
                case.validate_response(
                    response, checks=[not_a_server_error, response_schema_conformance]
                )

            try:
                exercise()
            except BaseException as exc:  # schemathesis raises a FailureGroup
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures[f"{operation_id} ({mode.value})"] = str(exc)[:2000]
        emu.advance(100_000)  # no run stays unfinished between operations
    elapsed = time.perf_counter() - started
    record_property("schemathesis_requests", sent)
    record_property("schemathesis_seconds", round(elapsed, 1))
    assert not failures, "\n\n".join(f"== {k}\n{v}" for k, v in failures.items())
    assert sent >= len(operations) * 2 * 5  # every operation was really exercised
    with emu.client() as admin:
        statuses = admin.get("/_emulator/requests").json()["status_counts"]
    # signed in: plenty of successful answers were checked against the schema, not only errors
    assert statuses.get("200", 0) > 100 and statuses.get("201", 0) > 0, statuses
