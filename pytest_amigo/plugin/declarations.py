"""Every setting declared once: the field of ``Settings`` it fills, its parser (and so its
choices), help, command-line flag and ini key. ``plugin.options`` derives the options, the ini
keys and their loading from this table; the default is the field's own, shown as a user would
write it; the options table of docs/options.md is checked against it (tests/unit/plugin/
test_option_docs.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pytest_amigo.plugin.parsers import (
    Choice,
    Raw,
    age,
    artifacts_dir,
    count,
    hours,
    min_pass_k,
    min_pass_rate,
    min_valid,
    pass_k,
    path,
    poll_interval,
    resample,
    seconds,
    share,
    strings,
    switch,
    text,
    timeout,
    word,
)
from pytest_amigo.settings import (
    AttachmentPaths,
    Correction,
    FailOn,
    Inconclusive,
    JunitProperties,
    OnConflict,
    Settings,
)

IniType = Literal["string", "linelist", "bool"]
Action = Literal["store", "append", "store_true"]


def render(value: object) -> str:
    """A default as a user would write it ("" when unset)."""
    if value is None or (isinstance(value, int) and value == 0):  # False too
        return ""  # unset, off
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return " ".join(render(item) for item in value)
    return str(value)


@dataclass(frozen=True)
class Declared:
    """One setting: ``field`` is where ``Settings`` holds it (``"polling.interval"``)."""

    field: str
    parse: Callable[[Raw], object]
    help: str
    flag: str | None = None  # repeatable when parsed by ``strings``, store_true by ``switch``
    ini: str | None = None  # linelist when parsed by ``strings``, bool by ``switch``
    metavar: str | None = None
    unset: str = "none"  # what an unset (None) default means, in words
    option_type: type[int] | type[float] | None = None  # argparse's type for the option
    show: Callable[[Any], str] = render  # the default as a user would write it

    @property
    def section(self) -> str:
        return self.field.partition(".")[0]

    @property
    def name(self) -> str:
        return self.field.partition(".")[2]

    @property
    def default(self) -> object:
        return getattr(getattr(Settings(), self.section), self.name)

    @property
    def shown(self) -> str:
        """The default as the user would write it: the ini key's default ("" when unset)."""
        return self.show(self.default)

    @property
    def default_text(self) -> str:
        """The default as ``--help`` and the docs state it."""
        return self.shown or ("false" if self.action == "store_true" else self.unset)

    @property
    def action(self) -> Action:
        return (
            "append" if self.parse is strings else "store_true" if self.parse is switch else "store"
        )

    @property
    def ini_type(self) -> IniType:
        action = self.action
        return "linelist" if action == "append" else "bool" if action == "store_true" else "string"

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(getattr(self.parse, "choices", ()))

    @property
    def dest(self) -> str:
        """The option's name in ``config.option`` (the ini key's, for a setting with both)."""
        return (self.flag or "").removeprefix("--").replace("-", "_")


SETTINGS: tuple[Declared, ...] = (
    Declared(
        "selection.set_ids",
        strings,
        "collect the Amigo unit test set ID (repeatable); adds to ini amigo_sets.",
        flag="--amigo-set",
        metavar="ID",
    ),
    Declared(
        "selection.ini_set_ids",
        strings,
        "Amigo unit test set ids to collect (lines).",
        ini="amigo_sets",
    ),
    Declared(
        "selection.run_ids",
        strings,
        "report an existing run (finished or still going) instead of starting one.",
        flag="--amigo-run",
        metavar="RUN_ID",
    ),
    Declared(
        "selection.subset",
        switch,
        "when only some unit tests of a set are selected (-k, --lf, --deselect, node ids), run "
        "just those in a temporary set instead of the whole set.",
        flag="--amigo-subset",
        ini="amigo_subset",
    ),
    Declared(
        "selection.plan",
        switch,
        "collect, print per set the unit tests, run counts and sessions that would be "
        "simulated, and exit without starting any run.",
        flag="--amigo-plan",
    ),
    Declared(
        "selection.xfail_lines",
        strings,
        "known-failing unit tests: lines 'UNIT TEST NAME OR ID: reason'.",
        ini="amigo_xfail",
    ),
    Declared(
        "runs.on_conflict",
        Choice(OnConflict, either=True),
        "when you already have an unfinished run of a set (HTTP 409): attach to it, cancel it "
        "and start a new one, or fail.",
        flag="--amigo-on-conflict",
        ini="amigo_on_conflict",
    ),
    Declared(
        "runs.timeout",
        timeout,
        "wall budget for results from the start of the runs, seconds.",
        flag="--amigo-timeout",
        ini="amigo_timeout",
        metavar="SECONDS",
        option_type=float,
    ),
    Declared(
        "runs.keep_running",
        switch,
        "do not cancel runs this session started when it times out or is interrupted.",
        flag="--amigo-keep-running",
        ini="amigo_keep_running",
    ),
    Declared(
        "runs.max_sessions",
        count,
        "simulate at most N sessions in this pytest session (runs and re-sampling).",
        flag="--amigo-max-sessions",
        ini="amigo_max_sessions",
        metavar="N",
        option_type=int,
    ),
    Declared(
        "runs.version_set",
        text,
        "simulate the unit tests on this version set of their service (e.g. the candidate the "
        "pipeline just pushed: pr-123), through temporary copies; none: each unit test's own.",
        flag="--amigo-version-set",
        ini="amigo_version_set",
        metavar="NAME",
        unset="AMIGO_VERSION_SET, else none",
    ),
    Declared(
        "runs.cleanup",
        switch,
        "only delete this user's pytest-amigo temporaries (unit test sets and unit test copies) "
        "left behind, older than amigo_cleanup_after and used by no unfinished run; print "
        "them and exit.",
        flag="--amigo-cleanup",
    ),
    Declared(
        "runs.cleanup_after",
        age,
        "age after which temporaries left behind are deleted (24h, 90m, 2d; a number: hours).",
        ini="amigo_cleanup_after",
        show=hours,
    ),
    Declared(
        "polling.interval",
        poll_interval,
        "min and max seconds between polls, e.g. '2 30'.",
        ini="amigo_poll_interval",
    ),
    Declared(
        "polling.progress_interval",
        seconds("default"),
        "seconds between progress lines while waiting without a terminal.",
        flag="--amigo-progress-interval",
        ini="amigo_progress_interval",
        metavar="SECONDS",
        option_type=float,
    ),
    Declared(
        "artifacts.dir",
        artifacts_dir,
        "where run artifacts are downloaded ('none' disables downloads).",
        flag="--amigo-artifacts-dir",
        ini="amigo_artifacts_dir",
        metavar="DIR",
    ),
    Declared(
        "artifacts.wait",
        seconds("zero"),
        "seconds to wait for artifacts after the last result.",
        ini="amigo_artifacts_wait",
    ),
    Declared(
        "evidence.min_pass_rate",
        min_pass_rate,
        "a unit test passes when at least R (0-1] of its valid sessions met every criterion.",
        flag="--amigo-min-pass-rate",
        ini="amigo_min_pass_rate",
        metavar="R",
        unset="every session",
        option_type=float,
    ),
    Declared(
        "evidence.min_valid_sessions",
        min_valid,
        "with a minimum pass rate: sessions that must not error, a count (3) or a share (0.5).",
        ini="amigo_min_valid_sessions",
    ),
    Declared(
        "evidence.pass_k", pass_k, "k of the pass^k reported per unit test.", ini="amigo_pass_k"
    ),
    Declared(
        "evidence.confidence",
        share(closed=False),
        "with a minimum pass rate: pass when the C (e.g. 0.95) Wilson interval of the "
        "session pass rate is above it, fail when below, otherwise inconclusive; a minimum "
        "pass rate of 1 is judged exactly (every valid session must pass).",
        flag="--amigo-confidence",
        ini="amigo_confidence",
        metavar="C",
        unset="off",
        option_type=float,
    ),
    Declared(
        "evidence.inconclusive",
        Choice(Inconclusive),
        "how an inconclusive unit test reports.",
        flag="--amigo-inconclusive",
        ini="amigo_inconclusive",
    ),
    Declared(
        "evidence.min_pass_k",
        min_pass_k,
        "require pass^K (the chance that K sessions in a row pass) of at least VALUE.",
        flag="--amigo-min-pass-k",
        ini="amigo_min_pass_k",
        metavar="'K VALUE'",
        unset="off",
    ),
    Declared(
        "evidence.resample",
        resample,
        "re-run inconclusive unit tests N more times each (a temporary set), while "
        "inconclusive and within --amigo-max-sessions.",
        flag="--amigo-resample",
        metavar="N",
        unset="off",
        option_type=int,
    ),
    Declared(
        "evidence.set_min_pass_rate",
        share(),
        "add a 'set gate' item per set, passing when at least R of its unit tests passed.",
        flag="--amigo-set-min-pass-rate",
        ini="amigo_set_min_pass_rate",
        metavar="R",
        unset="off",
        option_type=float,
    ),
    Declared(
        "compare.baseline",
        word,
        "compare each unit test with a baseline: the last completed run of the set, a "
        "run id, or a JSON report (--amigo-json) of an earlier session.",
        flag="--amigo-baseline",
        ini="amigo_baseline",
        metavar="last|RUN_ID|PATH",
    ),
    Declared(
        "compare.fail_on",
        Choice(FailOn),
        "regression: unit tests already failing in the baseline (or the --amigo-compare "
        "reference) report as xfail; worse: with --amigo-compare, a failing unit test fails "
        "only when significantly worse than the reference.",
        flag="--amigo-fail-on",
        ini="amigo_fail_on",
    ),
    Declared(
        "compare.reference",
        text,
        "A/B in one job: simulate every selected unit test on version set REF too (e.g. "
        "release), concurrently and with the same run counts, and compare the candidate with it.",
        flag="--amigo-compare",
        ini="amigo_compare",
        metavar="REF",
    ),
    Declared(
        "compare.correction",
        Choice(Correction),
        "multiplicity correction of the --amigo-compare p-values across the session's unit "
        "tests: holm, bh (Benjamini-Hochberg), none.",
        flag="--amigo-compare-correction",
        ini="amigo_compare_correction",
    ),
    Declared(
        "reports.json_path",
        path,
        "write a JSON report of every unit test's evidence (a baseline for later sessions).",
        flag="--amigo-json",
        ini="amigo_json",
        metavar="PATH",
    ),
    Declared(
        "reports.html_path",
        path,
        "write a self-contained HTML report of every unit test's evidence.",
        flag="--amigo-html",
        ini="amigo_html",
        metavar="PATH",
    ),
    Declared(
        "reports.junit_properties",
        Choice(JunitProperties, fold=True),
        "per-testcase JUnit properties (amigo_* keys): auto (not under junit_family xunit2, "
        "whose schema rejects them), always, never.",
        ini="amigo_junit_properties",
    ),
    Declared(
        "reports.attachment_paths",
        Choice(AttachmentPaths, fold=True),
        "artifacts paths in JUnit ([[ATTACHMENT|...]], amigo_artifacts): relative (to the "
        "rootdir, for GitLab) or absolute (Jenkins).",
        ini="amigo_attachment_paths",
    ),
)
