"""Collection: the tree of sets and unit tests, the amigo_set marker, marks on Amigo items.

The tree: ``amigo`` (under the session) -> one node per set -> one item per unit test. Node ids
are readable and stable: ``amigo::<set name>::<unit test name>``. A name never contains ``::``;
duplicate names get the unit test id as a parameter-like suffix (``name[<id>]``), and the same
unit test listed twice in a set gets ``#2``. Items depend on a ``Resolver`` (the item runner),
never on the plugin objects that collect them.
"""

from __future__ import annotations

import gc
import re
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import pytest

from pytest_amigo.domain import UnitTestSet
from pytest_amigo.errors import DefinitionError
from pytest_amigo.judging.text import one_line
from pytest_amigo.plugin.amigo_result import (
    AmigoError,
    AmigoFailure,
    AmigoResult,
    UnitTestRef,
    enforce,
)
from pytest_amigo.plugin.context import Context
from pytest_amigo.plugin.session_plan import over_budget, plan_of

ROOT_NAME = "amigo"
FIXTURE_PARAM = "amigo_unit_test"
TIMEOUT_MARGIN = 120.0


class Resolver(Protocol):
    """What an item needs: its result, waited for and judged (the item runner)."""

    def resolve(self, item: pytest.Item, ref: UnitTestRef) -> AmigoResult: ...

    def result_of(self, item: pytest.Item) -> AmigoResult | None: ...

    def resolve_set(self, unit_set: UnitTestSet) -> list[AmigoResult]: ...

    def junit_properties(self) -> bool: ...

    def fails_on_worse(self) -> bool: ...


Where = tuple[Path, int | None]  # what an item's location points at: a file and a 0-based line


def clean_name(name: str) -> str:
    """A node name from a service name: one line, control characters escaped (``\\x1b``), no
    ``::`` (node id separator) nor brackets (parametrization)."""
    name = re.sub(r"\s+", " ", name.replace("::", ":")).strip()
    return one_line(name).replace("[", "(").replace("]", ")") or "unnamed"


def unique_names(items: Iterable[tuple[str, str]]) -> list[str]:
    """Readable unique names for (name, id) pairs: duplicates get ``[id]``, repeats ``#n``."""
    pairs = [(clean_name(name), ident) for name, ident in items]
    counts: dict[str, set[str]] = {}
    for name, ident in pairs:
        counts.setdefault(name, set()).add(ident)
    seen: dict[str, int] = {}
    result = []
    for name, ident in pairs:
        base = name if len(counts[name]) == 1 else f"{name}[{ident}]"
        seen[base] = seen.get(base, 0) + 1
        result.append(base if seen[base] == 1 else f"{base} #{seen[base]}")
    return result


def refs_for(
    unit_set: UnitTestSet, *, min_pass_rate: float | None = None, enforce_verdict: bool = True
) -> list[tuple[str, UnitTestRef]]:
    names = unique_names((u.name, u.id) for u in unit_set.unit_tests)
    occurrences: dict[str, int] = {}
    refs = []
    for position, (name, unit_test) in enumerate(zip(names, unit_set.unit_tests, strict=True)):
        occurrence = occurrences.get(unit_test.id, 0)
        occurrences[unit_test.id] = occurrence + 1
        refs.append(
            (
                name,
                UnitTestRef(
                    unit_set, unit_test, position, occurrence, min_pass_rate, enforce_verdict
                ),
            )
        )
    return refs


class AmigoRoot(pytest.Collector):
    """Session-level collector of the sets named by options, ini and --amigo-run."""

    def __init__(
        self,
        *,
        load: Callable[[], Sequence[UnitTestSet]],
        resolver: Resolver,
        min_pass_rate: float | None,
        set_min_pass_rate: float | None = None,
        locate: Callable[[str], Where] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.load = load  # read when collected: a bad id is a collection error, not a crash
        self.locate = locate or (lambda set_id: (self.path, None))
        self.resolver = resolver
        self.min_pass_rate = min_pass_rate
        self.set_min_pass_rate = set_min_pass_rate

    def collect(self) -> Iterator[pytest.Collector]:
        sets = self.load()
        names = unique_names((s.name, s.id) for s in sets)
        for name, unit_set in zip(names, sets, strict=True):
            yield AmigoSetNode.from_parent(
                self, name=name, unit_set=unit_set, where=self.locate(unit_set.id)
            )


class AmigoSetNode(pytest.Collector):
    def __init__(self, *, unit_set: UnitTestSet, where: Where | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.unit_set = unit_set
        self.where: Where = where or (self.path, None)
        self.add_marker(pytest.mark.amigo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.where[0], self.where[1], f"amigo: {one_line(self.unit_set.name)}"

    def collect(self) -> Iterator[pytest.Item]:
        root: AmigoRoot = self.parent  # type: ignore[assignment]
        refs = refs_for(self.unit_set, min_pass_rate=root.min_pass_rate)
        for name, ref in refs:
            yield AmigoItem.from_parent(self, name=name, ref=ref)
        if root.set_min_pass_rate is not None:
            names = {name for name, _ in refs}
            name = GATE_NAME if GATE_NAME not in names else f"{GATE_NAME}[{self.unit_set.id}]"
            yield AmigoSetGate.from_parent(
                self, name=name, unit_set=self.unit_set, min_rate=root.set_min_pass_rate
            )


class AmigoItem(pytest.Item):
    """One unit test of a set: waits for its result in setup, judges it in call."""

    def __init__(self, *, ref: UnitTestRef, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ref = ref
        self.add_marker(pytest.mark.amigo)

    @property
    def resolver(self) -> Resolver:
        return self.parent.parent.resolver  # type: ignore[union-attr]

    def setup(self) -> None:
        result = self.resolver.resolve(self, self.ref)
        if result.outcome == "error":
            raise AmigoError(result)

    def runtest(self) -> None:
        result = self.resolver.result_of(self)
        if result is not None:
            enforce(result, listed=self.get_closest_marker("xfail") is not None)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        path, line = where_of(self)
        names = f"{one_line(self.ref.set.name)} :: {one_line(self.ref.unit_test.name)}"
        return path, line, f"amigo: {names}"


class SetGateFailure(Exception):
    """The share of a set's unit tests that passed is below ``--amigo-set-min-pass-rate``."""


class AmigoSetGate(pytest.Item):
    """One per set with ``--amigo-set-min-pass-rate``: passes when enough unit tests passed."""

    def __init__(self, *, unit_set: UnitTestSet, min_rate: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.unit_set = unit_set
        self.min_rate = min_rate
        self.add_marker(pytest.mark.amigo)
        self.extra_keyword_matches.add(GATE_KEYWORD)  # -k set_gate selects every set gate
        # What the controller's summary reads (``wire.gate_of(report)``: plain builtins).
        self.gate: dict[str, Any] = {"set_id": unit_set.id, "set_name": unit_set.name}

    def runtest(self) -> None:
        resolver: Resolver = self.parent.parent.resolver  # type: ignore[union-attr]
        results = resolver.resolve_set(self.unit_set)
        passed = sum(1 for r in results if r.outcome == "passed")
        total = len(results)
        share = passed / total if total else 0.0
        counts = f"{passed}/{total} (needs {self.min_rate:.0%})"
        self.gate.update(passed=passed, total=total, min_rate=self.min_rate, counts=counts)
        if resolver.junit_properties():
            self.user_properties += [
                ("amigo_set_id", self.unit_set.id),
                ("amigo_set", self.unit_set.name),
                ("amigo_set_gate", counts),
            ]
        if total and share >= self.min_rate - 1e-12:
            return
        lines = [
            f"set gate of {self.unit_set.name!r}: {passed}/{total} unit tests passed "
            f"({share:.0%}), needs {self.min_rate:.0%} (--amigo-set-min-pass-rate)"
        ]
        for result in results:
            if result.outcome != "passed":
                lines.append(f"  {result.outcome}: {result.ref.unit_test.name}: {result.reason}")
        # --amigo-compare: the set against the reference (Cochran-Mantel-Haenszel)
        compared = next((r.ab.of_set for r in results if r.ab and r.ab.of_set), None)
        if compared is not None:
            lines.append(f"  compared: {compared.words()}")
            if resolver.fails_on_worse() and compared.label != "worse":
                lines.append("  not significantly worse overall: xfail (--amigo-fail-on=worse)")
                pytest.xfail("\n".join(lines))
        raise SetGateFailure("\n".join(lines))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, SetGateFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Any, int | None, str]:
        path, line = where_of(self)
        return path, line, f"amigo: {one_line(self.unit_set.name)} :: {GATE_NAME}"


GATE_NAME = "set gate"
GATE_KEYWORD = "set_gate"


def where_of(item: pytest.Item) -> Where:
    """Where an Amigo item points a person: the entry that named its set (``Collection.locate``)."""
    parent = item.parent
    if isinstance(parent, AmigoSetNode):
        return parent.where
    return item.path, None


def line_of(text: str, needle: str) -> int | None:
    """The 0-based line of the first occurrence of ``needle`` in ``text`` (None if absent)."""
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index)


def set_of(item: pytest.Item) -> UnitTestSet | None:
    """The set whose run an item needs: a unit test's, or a set gate's."""
    if isinstance(item, AmigoSetGate):
        return item.unit_set
    ref = ref_of(item)
    return ref.set if ref is not None else None


def ref_of(item: pytest.Item) -> UnitTestRef | None:
    """The unit test an item reports: an Amigo item's, or a marker-parametrized test's."""
    if isinstance(item, AmigoItem):
        return item.ref
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        value = callspec.params.get(FIXTURE_PARAM)
        if isinstance(value, UnitTestRef):
            return value
    return None


def xfail_reason(lines: Iterable[str], keys: set[str]) -> tuple[str, str] | None:
    """The ``amigo_xfail`` line matching one of ``keys`` and its reason, if any.

    Lines are ``KEY: reason``; KEY (a unit test name or id, or the item's name or node id) may
    itself contain colons, so every colon is tried as the split."""
    for line in lines:
        for index, char in enumerate(line):
            if char == ":" and line[:index].strip() in keys:
                return line, line[index + 1 :].strip() or "listed in amigo_xfail"
        if line.strip() in keys:
            return line, "listed in amigo_xfail"
    return None


class Collection:
    """Collection hooks: the Amigo tree, the amigo_set marker, marks and xfail on Amigo items."""

    def __init__(self, ctx: Context, resolver: Resolver) -> None:
        self.ctx = ctx
        self.resolver = resolver
        self._ini_text: str | None = None

    # -- where items point ------------------------------------------------------------------
    def locate(self, set_id: str) -> Where:
        """What an item of the set reports as its location (JUnit ``file``/``line`` under xunit1,
        GitLab's file column, ``-vv``'s ``<- path``): the line of the config file that names
        the set; a set named only on the command line (or by ``--amigo-run``), the top of the
        config file (where the session's Amigo settings live); without one, the rootdir."""
        config = self.ctx.config
        inipath = config.inipath
        if inipath is None:
            return config.rootpath, 0
        if self._ini_text is None:
            try:
                self._ini_text = inipath.read_text(encoding="utf-8", errors="replace")
            except OSError:
                self._ini_text = ""
        found = None
        if set_id in self.ctx.settings.selection.ini_set_ids:
            found = line_of(self._ini_text, set_id)
        return inipath, found if found is not None else 0

    # -- which sets -------------------------------------------------------------------------
    def _ini_sets_apply(self) -> bool:
        """Sets from ini follow path selection: only when the run covers the project root."""
        config = self.ctx.config
        if config.args_source != pytest.Config.ArgsSource.ARGS:
            return True
        root = config.rootpath.resolve()
        for arg in config.args:
            path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
            if path == root or root.is_relative_to(path):
                return True
        return False

    def wanted_set_ids(self) -> list[str]:
        ids = list(self.ctx.settings.selection.set_ids)
        if self._ini_sets_apply():
            ids += self.ctx.settings.selection.ini_set_ids
        return list(dict.fromkeys(ids))

    def collected_sets(self) -> list[UnitTestSet]:
        try:
            wanted = self.wanted_set_ids()
            ids = wanted + [s for s in self.ctx.attached_runs() if s not in wanted]
            if not ids:
                return []
            origin = "--amigo-set / amigo_sets / --amigo-run"
            return list(self.ctx.coordinator.definitions(ids, origin=origin).values())
        except DefinitionError as exc:
            # from None: the report would otherwise show the message twice (chained)
            raise pytest.fail.Exception(f"pytest-amigo: {exc}", pytrace=False) from None

    # -- hooks ------------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_collection(self, session: pytest.Session) -> Generator[None, object, object]:
        """Collecting sets builds objects that live as long as the session (definitions, one
        item per unit test): the cyclic garbage collector, paused meanwhile, would otherwise
        walk them again and again as they grow (a third of the time of collecting 100 sets x
        100 unit tests), and once more in pytest's clean-up and at exit. They are frozen
        (``gc.freeze``: left out of every later collection) once collected; the collector runs
        as before for everything made afterwards. Only when sets are configured."""
        if not (self.wanted_set_ids() or self.ctx.settings.selection.run_ids) or not gc.isenabled():
            return (yield)
        gc.disable()
        try:
            return (yield)
        finally:
            gc.enable()
            gc.freeze()

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, Any, Any]:
        report = yield
        if (
            isinstance(collector, pytest.Session)
            and report.passed
            and (self.wanted_set_ids() or self.ctx.settings.selection.run_ids)
        ):
            root = AmigoRoot.from_parent(
                collector,
                name=ROOT_NAME,
                nodeid=ROOT_NAME,
                load=self.collected_sets,
                resolver=self.resolver,
                min_pass_rate=self.ctx.settings.evidence.min_pass_rate,
                set_min_pass_rate=self.ctx.settings.evidence.set_min_pass_rate,
                locate=self.locate,
            )
            report.result.append(root)
        return report

    def parametrize(self, metafunc: pytest.Metafunc) -> None:
        """A test marked ``amigo_set`` (``Startup.pytest_generate_tests``): one call per unit
        test of the set."""
        marker = metafunc.definition.get_closest_marker("amigo_set")
        if marker is None:
            return
        where = metafunc.definition.nodeid
        if FIXTURE_PARAM not in metafunc.fixturenames:
            pytest.fail(
                f"{where}: a test marked amigo_set must request the "
                "amigo_result fixture (def test_x(amigo_result): ...).",
                pytrace=False,
            )
        if not marker.args:
            pytest.fail(
                f'{where}: amigo_set needs a set id: @pytest.mark.amigo_set("<24-hex set id>")',
                pytrace=False,
            )
        rate = marker.kwargs.get("min_pass_rate", self.ctx.settings.evidence.min_pass_rate)
        if rate is not None and not 0 < float(rate) <= 1:
            pytest.fail(
                f"{where}: amigo_set(min_pass_rate={rate!r}): the minimum pass rate must be "
                "in (0, 1]",
                pytrace=False,
            )
        try:
            sets = self.ctx.coordinator.definitions(
                [str(marker.args[0])], origin=f"amigo_set marker of {where}"
            )
        except DefinitionError as exc:
            # from None: the report would otherwise show the message twice (chained)
            raise pytest.fail.Exception(f"pytest-amigo: {exc}", pytrace=False) from None
        refs = refs_for(
            next(iter(sets.values())),
            min_pass_rate=None if rate is None else float(rate),
            enforce_verdict=bool(marker.kwargs.get("enforce_verdict", True)),
        )
        metafunc.parametrize(
            FIXTURE_PARAM, [r for _, r in refs], ids=[n for n, _ in refs], indirect=True
        )

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """The plan of what the selected items simulate; over --amigo-max-sessions, stop."""
        selected = [
            (unit_set, ref_of(item)) for item in session.items if (unit_set := set_of(item))
        ]
        if not selected:
            return
        settings = self.ctx.settings
        attached = self.ctx.attached_runs() if settings.selection.run_ids else {}
        self.ctx.plans = plan_of(selected, subset=settings.selection.subset, attached=attached)
        sides = 2 if settings.compare.reference is not None else 1
        refusal = (
            None
            if settings.selection.plan
            else over_budget(self.ctx.plans, settings.runs.max_sessions, sides)
        )
        if refusal is None:
            return
        if not self.ctx.is_worker:
            raise pytest.UsageError(refusal)
        # An xdist worker cannot end the session: it refuses every set (its items report the
        # refusal, no run is started) and the controller turns it into a usage error.
        self.ctx.coordinator.refuse([p.unit_set.id for p in self.ctx.plans], refusal)

    @pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, to see every collected item
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        amigo_items = [(item, ref) for item in items if (ref := ref_of(item)) is not None]
        if not amigo_items:
            return
        settings = self.ctx.settings
        # pytest-timeout: Amigo items follow the Amigo budget, not a global --timeout.
        timeout = None
        if self.ctx.config.pluginmanager.hasplugin("timeout"):
            timeout = pytest.mark.timeout(settings.runs.timeout + TIMEOUT_MARGIN)
        matched: set[str] = set()
        for item, ref in amigo_items:
            item.add_marker(pytest.mark.amigo)
            if timeout is not None:
                item.add_marker(timeout)
            keys = {ref.unit_test.id, ref.unit_test.name, item.name, item.nodeid}
            found = xfail_reason(settings.selection.xfail_lines, keys)
            if found is not None:
                matched.add(found[0])
                # Only verdict failures are expected: errors (timeouts, permissions,
                # errored runs) still report as errors.
                item.add_marker(
                    pytest.mark.xfail(reason=found[1], strict=False, raises=AmigoFailure)
                )
        if self.ctx.is_worker:  # the controller reports what is left when it is interrupted
            self.ctx.coordinator.publish_items(
                {
                    item.nodeid: {
                        "set_id": ref.set_id,
                        "position": ref.position,
                        "min_pass_rate": ref.min_pass_rate,
                        "enforce_verdict": ref.enforce_verdict,
                        "location": list(item.location),
                    }
                    for item, ref in amigo_items
                }
            )
        first_worker = getattr(self.ctx.config, "workerinput", {}).get("workerid", "gw0") == "gw0"
        for line in settings.selection.xfail_lines:
            if line not in matched and first_worker:
                warnings.warn(
                    pytest.PytestConfigWarning(
                        f"amigo_xfail entry matches no collected unit test: {line!r}"
                    ),
                    stacklevel=1,
                )
