"""``Settings``: the session's options and ini keys as one plain value, in sections
(``settings.polling.interval.min``, ``settings.evidence.min_pass_rate``, ...), read by every part.

A field's default here is the setting's default; how each is given (flag, ini key, parser,
choices, help) is declared once in ``plugin.declarations``, from which ``plugin.options``
derives the options, the ini keys and their loading into these sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple, get_args

OnConflict = Literal["attach", "cancel", "fail"]
Inconclusive = Literal["fail", "xfail", "pass"]
FailOn = Literal["any", "regression", "worse"]
Correction = Literal["holm", "bh", "none"]
JunitProperties = Literal["auto", "always", "never"]
AttachmentPaths = Literal["relative", "absolute"]

CORRECTIONS: tuple[Correction, ...] = get_args(Correction)


@dataclass(frozen=True)
class Selection:
    """What the session collects and runs."""

    set_ids: tuple[str, ...] = ()  # --amigo-set
    ini_set_ids: tuple[str, ...] = ()  # amigo_sets
    run_ids: tuple[str, ...] = ()  # --amigo-run: report existing runs
    subset: bool = False  # run only the selected unit tests of a set
    plan: bool = False  # print what would be simulated, start nothing
    xfail_lines: tuple[str, ...] = ()  # known failures: 'UNIT TEST NAME OR ID: reason'


@dataclass(frozen=True)
class Runs:
    """How runs are started, bounded and cleaned up."""

    on_conflict: OnConflict = "attach"
    timeout: float = 3600.0  # wall budget for results, seconds
    keep_running: bool = False
    max_sessions: int | None = None  # session budget of the whole pytest session
    version_set: str | None = None  # simulate this version set instead (AMIGO_VERSION_SET)
    cleanup: bool = False  # only sweep old temporaries, then exit
    cleanup_after: float = 24 * 3600.0  # their age, in seconds
    # One shard of a sharded job (pytest-split's --splits, CI_NODE_TOTAL, PYTEST_AMIGO_SHARD):
    # how it was told. Runs of the selected sets themselves are shared with the other shards.
    shard: str | None = None


class PollInterval(NamedTuple):
    """The seconds between polls: at least ``min``, backing off to at most ``max``."""

    min: float
    max: float


POLL_INTERVAL = PollInterval(2.0, 30.0)


@dataclass(frozen=True)
class Polling:
    """How often the service is asked, and progress told."""

    interval: PollInterval = POLL_INTERVAL
    progress_interval: float = 30.0


@dataclass(frozen=True)
class Artifacts:
    """Where run artifacts are downloaded (None: not at all), how long they are waited for."""

    dir: Path | None = Path(".amigo-artifacts")
    wait: float = 60.0


@dataclass(frozen=True)
class Evidence:
    """How the sessions of a unit test decide it (issue "decide with evidence")."""

    min_pass_rate: float | None = None
    min_valid_sessions: float = 0.5  # a count (int) or a share of the run count (float)
    pass_k: int = 4  # the k of pass^k reported (at most the number of valid sessions)
    confidence: float | None = None  # decide on the Wilson interval of the session pass rate
    inconclusive: Inconclusive = "fail"  # how an inconclusive unit test reports
    min_pass_k: tuple[int, float] | None = None  # (k, required pass^k)
    resample: int = 0  # sessions per re-sampling round of inconclusive unit tests (0: off)
    set_min_pass_rate: float | None = None  # a "set gate" item per set when given


@dataclass(frozen=True)
class Compare:
    """What unit tests are compared with: a baseline, or a reference simulated alongside."""

    baseline: str | None = None  # last | RUN_ID | PATH of a JSON report
    fail_on: FailOn = "any"
    reference: str | None = None  # --amigo-compare: the reference version set simulated too
    correction: Correction = "holm"  # of the p-values across the session's unit tests
    baseline_path: Path | None = None  # the JSON report the baseline names, if a path


@dataclass(frozen=True)
class Reports:
    """The reports written (JSON, HTML) and how JUnit carries the evidence."""

    json_path: Path | None = None  # --amigo-json
    html_path: Path | None = None  # --amigo-html
    junit_properties: JunitProperties = "auto"  # per-testcase <properties> (amigo_* keys)
    properties: bool = True  # what junit_properties decides for this session's JUnit family
    attachment_paths: AttachmentPaths = "relative"  # how reports write artifacts paths
    # What relative attachment paths are relative to: where pytest runs, not a choice.
    rootdir: Path | None = field(default=None, compare=False)

    def attachment(self, path: Path) -> str:
        """An artifacts path as JUnit and captured output write it: relative to the rootdir
        (GitLab resolves attachments inside the job's artifacts, from the project directory),
        unless ``amigo_attachment_paths = absolute`` or the file is outside the rootdir."""
        path = path.absolute()
        if self.attachment_paths == "relative" and self.rootdir is not None:
            root = self.rootdir.absolute()
            if path.is_relative_to(root):
                return path.relative_to(root).as_posix()
        return str(path)


@dataclass(frozen=True)
class Settings:
    selection: Selection = field(default_factory=Selection)
    runs: Runs = field(default_factory=Runs)
    polling: Polling = field(default_factory=Polling)
    artifacts: Artifacts = field(default_factory=Artifacts)
    evidence: Evidence = field(default_factory=Evidence)
    compare: Compare = field(default_factory=Compare)
    reports: Reports = field(default_factory=Reports)
