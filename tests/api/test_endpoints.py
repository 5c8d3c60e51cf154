"""The operation table against the official contract: paths, methods and operation ids."""

from __future__ import annotations

import pytest

from pytest_amigo.api.endpoints import ENDPOINTS, match
from support.contract import load_contract


@pytest.fixture(scope="module")
def paths() -> dict[str, dict[str, dict[str, object]]]:
    paths: dict[str, dict[str, dict[str, object]]] = load_contract()["paths"]
    return paths


@pytest.mark.parametrize("operation_id", sorted(ENDPOINTS))
def test_each_operation_is_the_contracts(paths: dict, operation_id: str) -> None:
    endpoint = ENDPOINTS[operation_id]
    operation = paths.get(endpoint.full_path, {}).get(endpoint.method.lower())
    assert operation is not None, f"{endpoint.method} {endpoint.full_path} is not in the contract"
    assert operation["operationId"] == operation_id
    assert endpoint.per_minute > 0


def test_match_respects_trailing_slashes_and_methods() -> None:
    runs = "/v1/acme/simulation/unit_test_set_run/"
    assert match("GET", runs) is ENDPOINTS["get-simulation-unit-test-set-runs"]
    assert match("POST", runs) is ENDPOINTS["create-simulation-unit-test-set-run"]
    assert match("GET", runs.rstrip("/")) is None
    one_set = "/v1/acme/simulation/unit_test_set/66aa00000000000000000001"
    assert match("DELETE", one_set) is ENDPOINTS["delete-simulation-unit-test-set"]
    assert match("DELETE", one_set + "/") is None
