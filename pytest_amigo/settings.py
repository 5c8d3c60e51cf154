"""``Settings``: the session's options and ini keys as one plain value (parsed by
``plugin.options``), read by every part."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

OnConflict = Literal["attach", "cancel", "fail"]
Inconclusive = Literal["fail", "xfail", "pass"]
FailOn = Literal["any", "regression", "worse"]
Correction = Literal["holm", "bh", "none"]
JunitProperties = Literal["auto", "always", "never"]
AttachmentPaths = Literal["relative", "absolute"]

DEFAULT_TIMEOUT = 3600.0
DEFAULT_ARTIFACTS_DIR = ".amigo-artifacts"


@dataclass(frozen=True)
class Settings:
    set_ids: tuple[str, ...] = ()
    ini_set_ids: tuple[str, ...] = ()
    run_ids: tuple[str, ...] = ()
    on_conflict: OnConflict = "attach"
    min_pass_rate: float | None = None
    timeout: float = DEFAULT_TIMEOUT
    keep_running: bool = False
    # One shard of a sharded job (pytest-split's --splits, CI_NODE_TOTAL, PYTEST_AMIGO_SHARD):
    # how it was told. Runs of the selected sets themselves are shared with the other shards.
    shard: str | None = None
    artifacts_dir: Path | None = Path(DEFAULT_ARTIFACTS_DIR)
    artifacts_wait: float = 60.0
    poll_min: float = 2.0
    poll_max: float = 30.0
    progress_interval: float = 30.0
    xfail_lines: tuple[str, ...] = ()
    min_valid_sessions: float = 0.5  # a count (int) or a share of the run count (float)
    pass_k: int = 4  # the k of pass^k reported (at most the number of valid sessions)
    confidence: float | None = None  # decide on the Wilson interval of the session pass rate
    inconclusive: Inconclusive = "fail"  # how an inconclusive unit test reports
    min_pass_k: tuple[int, float] | None = None  # (k, required pass^k)
    resample: int = 0  # sessions per re-sampling round of inconclusive unit tests (0: off)
    max_sessions: int | None = None  # session budget of the whole pytest session
    baseline: str | None = None  # last | RUN_ID | PATH of a JSON report
    fail_on: FailOn = "any"
    set_min_pass_rate: float | None = None  # a "set gate" item per set when given
    json_path: Path | None = None  # --amigo-json
    html_path: Path | None = None  # --amigo-html
    baseline_path: Path | None = None  # the JSON report --amigo-baseline names, if a path
    plan: bool = False  # --amigo-plan: print what would be simulated, start nothing
    subset: bool = False  # --amigo-subset: run only the selected unit tests of a set
    junit_properties: JunitProperties = "auto"  # per-testcase <properties> (amigo_* keys)
    properties: bool = True  # what junit_properties decides for this session's JUnit family
    attachment_paths: AttachmentPaths = "relative"  # how reports write artifacts paths
    version_set: str | None = None  # --amigo-version-set: simulate this version set instead
    compare: str | None = None  # --amigo-compare: the reference version set simulated too
    compare_correction: Correction = "holm"  # --amigo-compare-correction
    cleanup: bool = False  # --amigo-cleanup: only sweep old temporaries, then exit
    cleanup_after: float = 24 * 3600.0  # amigo_cleanup_after: their age, in seconds
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
