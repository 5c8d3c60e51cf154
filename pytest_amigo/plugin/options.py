"""The command-line options and ini keys, derived from the declarations
(``plugin.declarations``), parsed once into ``Settings``; the checks across settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from pytest_amigo.contract import OBJECT_ID
from pytest_amigo.plugin.declarations import SETTINGS, Declared
from pytest_amigo.plugin.parsers import Raw, SettingError, path
from pytest_amigo.settings import Compare, Reports, Runs, Settings

VERSION_SET_ENV = "AMIGO_VERSION_SET"
SHARD_ENV = "PYTEST_AMIGO_SHARD"
# Parallel CI jobs each running a share of one suite, by the variable their CI sets to the count.
SHARD_COUNT_ENVS = ("CI_NODE_TOTAL", "BUILDKITE_PARALLEL_JOB_COUNT", "CIRCLE_NODE_TOTAL")

SettingsError = pytest.UsageError
if TYPE_CHECKING:
    from _typeshed import DataclassInstance

S = TypeVar("S", bound="DataclassInstance")


def _help(declared: Declared) -> str:
    unset = not declared.shown and declared.unset == "none"
    text = declared.help.rstrip(".")
    return f"{text}." if unset else f"{text} (default: {declared.default_text})."


def add_options(parser: pytest.Parser) -> None:
    """Each declared flag (defaulting to None, so that an ini key of the same name can fill in)
    and ini key (defaulting to the setting's default, as written)."""
    group = parser.getgroup("amigo", "Amigo simulation unit test sets")
    for declared in SETTINGS:
        if declared.flag:
            keywords: dict[str, Any] = {"action": declared.action, "metavar": declared.metavar}
            if declared.action == "store_true":
                del keywords["metavar"]
            if declared.option_type is not None:
                keywords["type"] = declared.option_type
            if declared.choices:
                keywords["choices"] = declared.choices
            keywords["default"] = [] if declared.action == "append" else None
            group.addoption(declared.flag, dest=declared.dest, help=_help(declared), **keywords)
        if declared.ini and declared.ini_type == "linelist":
            parser.addini(declared.ini, _help(declared), type="linelist")
        elif declared.ini:
            shown = declared.shown if declared.ini_type == "string" else False
            parser.addini(declared.ini, _help(declared), type=declared.ini_type, default=shown)


def _given(config: pytest.Config, declared: Declared) -> bool:
    """Whether the command line gave the option (the option wins over the ini key)."""
    return declared.flag is not None and getattr(config.option, declared.dest, None) is not None


def _raw(config: pytest.Config, declared: Declared) -> Raw:
    given = _given(config, declared)
    if given:
        value = getattr(config.option, declared.dest)
    else:
        value = config.getini(declared.ini) if declared.ini else None
    base = config.invocation_params.dir if given else config.rootpath
    flag, ini = declared.flag or "", declared.ini or ""
    return Raw(value, declared.shown, flag, ini, base=base, rootdir=config.rootpath, given=given)


def _section(config: pytest.Config, section: S, name: str) -> S:
    """The section ``name`` of the settings, each of its declared fields parsed."""
    values: dict[str, Any] = {}
    for declared in SETTINGS:
        if declared.section == name:
            try:
                values[declared.name] = declared.parse(_raw(config, declared))
            except SettingError as exc:
                raise SettingsError(str(exc)) from None
    return replace(section, **values)


def shard_of(splits: object, environ: Mapping[str, str]) -> str | None:
    """Whether this session is one shard of a sharded job, and how that is known (None: not
    a shard): ``PYTEST_AMIGO_SHARD`` (any value but ``0``/``off``/``false``/``no``; those say
    "not a shard" whatever else is set), pytest-split's ``--splits N`` (N > 1), or a CI's
    count of parallel jobs (GitLab's ``parallel:``, Buildkite, CircleCI)."""
    explicit = environ.get(SHARD_ENV, "").strip()
    if explicit.lower() in ("0", "off", "false", "no"):
        return None
    if explicit:
        return f"{SHARD_ENV}={explicit}"
    if isinstance(splits, int) and splits > 1:
        return f"pytest-split --splits {splits}"
    for name in SHARD_COUNT_ENVS:
        count = environ.get(name, "").strip()
        if count.isdigit() and int(count) > 1:
            return f"{name}={count}"
    return None


def _runs(config: pytest.Config, runs: Runs) -> Runs:
    """The version set defaults to ``AMIGO_VERSION_SET`` (what CI templates set)."""
    version_set = runs.version_set or os.environ.get(VERSION_SET_ENV, "").strip().strip("\"'")
    shard = shard_of(getattr(config.option, "splits", None), os.environ)
    return replace(runs, version_set=version_set or None, shard=shard)


def _compare(config: pytest.Config, settings: Settings) -> Compare:
    """A/B and baselines, checked against what else is asked."""
    compare = settings.compare
    name = compare.reference
    if name is not None and settings.selection.run_ids:
        raise SettingsError(
            f"--amigo-compare={name} simulates both sides in this session: it cannot report an "
            "existing run (--amigo-run); drop one of them"
        )
    if name is not None and name == settings.runs.version_set:
        raise SettingsError(
            f"--amigo-compare={name} names the candidate's own version set "
            f"(--amigo-version-set={name}): the reference must be another version set of the "
            "service (the one the candidate should not be worse than)"
        )
    if compare.fail_on == "regression" and compare.baseline is None and name is None:
        raise SettingsError(
            "--amigo-fail-on=regression needs a baseline: add --amigo-baseline=last (the last "
            "completed run of each set), a run id, or the path of an earlier --amigo-json report; "
            "or a concurrent reference: --amigo-compare=release"
        )
    if compare.fail_on == "worse" and name is None:
        raise SettingsError(
            "--amigo-fail-on=worse needs a reference to be worse than: add --amigo-compare=REF "
            "(the version set to compare with, e.g. release)"
        )
    baseline = compare.baseline
    if baseline is None or baseline == "last" or OBJECT_ID.fullmatch(baseline):
        return compare
    (declared,) = (d for d in SETTINGS if d.field == "compare.baseline")
    baseline_path = path(_raw(config, declared))
    if baseline_path is None or not baseline_path.is_file():
        raise SettingsError(
            f"--amigo-baseline={baseline}: no such file ({baseline_path}); give 'last' (the "
            "last completed run of each set), a 24-hex run id, or the path of a report "
            "written by --amigo-json"
        )
    return replace(compare, baseline_path=baseline_path)


def _reports(config: pytest.Config, reports: Reports) -> Reports:
    """Whether JUnit carries per-testcase properties in this session; the rootdir."""
    junit = bool(getattr(config.option, "xmlpath", None))
    family = str(config.getini("junit_family")).strip() if junit else ""
    # auto: xunit2's schema (what strict readers validate against) has no <properties> in a
    # <testcase>; pytest itself calls record_property incompatible with it. Without JUnit,
    # the properties stay on the reports for other plugins.
    mode = reports.junit_properties
    properties = mode == "always" or (mode == "auto" and family not in ("xunit2",))
    return replace(reports, properties=properties, rootdir=config.rootpath)


def load(config: pytest.Config) -> Settings:
    defaults = Settings()
    settings = Settings(
        selection=_section(config, defaults.selection, "selection"),
        runs=_runs(config, _section(config, defaults.runs, "runs")),
        polling=_section(config, defaults.polling, "polling"),
        artifacts=_section(config, defaults.artifacts, "artifacts"),
        evidence=_section(config, defaults.evidence, "evidence"),
        compare=_section(config, defaults.compare, "compare"),
        reports=_reports(config, _section(config, defaults.reports, "reports")),
    )
    return replace(settings, compare=_compare(config, settings))
