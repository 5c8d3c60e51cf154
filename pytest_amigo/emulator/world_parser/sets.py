"""``[[sets]]``: unit tests with run counts, a run error, artifacts or not."""

from __future__ import annotations

from typing import Any

from pytest_amigo.emulator.model import (
    RunError,
    UnitTest,
    UnitTestSet,
)
from pytest_amigo.emulator.world_parser.reader import Reader


class SetSections(Reader):
    """A unit test set of already parsed unit tests."""

    def unit_test_set(
        self, t: dict[str, Any], where: str, unit_tests: tuple[UnitTest, ...]
    ) -> UnitTestSet:
        keys = {"id", "name", "description", "unit_tests", "run_error", "artifacts"}
        self._check_keys(t, keys | {"new_persona_versions"}, where)
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
        pushed = t.get("new_persona_versions", 0)
        if not isinstance(pushed, int) or isinstance(pushed, bool) or pushed < 0:
            raise self.fail(where, "'new_persona_versions' must be an integer >= 0")
        description = t.get("description")
        return UnitTestSet(
            self._id(t, "set", name, where),
            name,
            str(description) if description is not None else None,
            tuple(runs),
            run_error,
            artifacts,
            pushed,
        )
