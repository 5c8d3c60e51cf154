"""Command-line options and ini keys, parsed once into a plain ``Settings`` value."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from .contract import OBJECT_ID

OnConflict = Literal["attach", "cancel", "fail"]
Inconclusive = Literal["fail", "xfail", "pass"]
FailOn = Literal["any", "regression"]
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


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("amigo", "Amigo simulation unit test sets")
    group.addoption(
        "--amigo-set",
        action="append",
        default=[],
        metavar="ID",
        dest="amigo_set",
        help="collect the Amigo unit test set ID (repeatable); adds to ini amigo_sets.",
    )
    group.addoption(
        "--amigo-run",
        action="append",
        default=[],
        metavar="RUN_ID",
        dest="amigo_run",
        help="report an existing run (finished or still going) instead of starting one.",
    )
    group.addoption(
        "--amigo-on-conflict",
        choices=("attach", "cancel", "fail"),
        default=None,
        dest="amigo_on_conflict",
        help="when you already have an unfinished run of a set (HTTP 409): attach to it "
        "(default), cancel it and start a new one, or fail.",
    )
    group.addoption(
        "--amigo-min-pass-rate",
        type=float,
        default=None,
        metavar="R",
        dest="amigo_min_pass_rate",
        help="a unit test passes when at least R (0-1] of its valid sessions met every "
        "criterion (default: every session).",
    )
    group.addoption(
        "--amigo-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        dest="amigo_timeout",
        help=f"wall budget for results from the start of the runs (default {DEFAULT_TIMEOUT:g}).",
    )
    group.addoption(
        "--amigo-keep-running",
        action="store_true",
        default=None,
        dest="amigo_keep_running",
        help="do not cancel runs this session started when it times out or is interrupted.",
    )
    group.addoption(
        "--amigo-artifacts-dir",
        default=None,
        metavar="DIR",
        dest="amigo_artifacts_dir",
        help=f"where run artifacts are downloaded (default {DEFAULT_ARTIFACTS_DIR}; "
        "'none' disables downloads).",
    )
    group.addoption(
        "--amigo-progress-interval",
        type=float,
        default=None,
        metavar="SECONDS",
        dest="amigo_progress_interval",
        help="seconds between progress lines while waiting without a terminal (default 30).",
    )
    _add_evidence_options(group)
    parser.addini("amigo_sets", "Amigo unit test set ids to collect", type="linelist")
    parser.addini("amigo_on_conflict", "attach | cancel | fail (default attach)", default="attach")
    parser.addini("amigo_min_pass_rate", "minimum session pass rate (0-1]", default="")
    parser.addini("amigo_timeout", "wall budget for results, seconds", default="")
    parser.addini(
        "amigo_keep_running", "keep runs going on timeout/interrupt", type="bool", default=False
    )
    parser.addini(
        "amigo_artifacts_dir",
        "artifacts download directory ('none' disables)",
        default=DEFAULT_ARTIFACTS_DIR,
    )
    parser.addini(
        "amigo_artifacts_wait", "seconds to wait for artifacts after the last result", default="60"
    )
    parser.addini(
        "amigo_poll_interval", "min and max seconds between polls, e.g. '2 30'", default="2 30"
    )
    parser.addini("amigo_progress_interval", "seconds between progress lines in CI", default="30")
    parser.addini("amigo_pass_k", "k of the pass^k reported per unit test (default 4)", default="4")
    parser.addini(
        "amigo_min_valid_sessions",
        "with a minimum pass rate: sessions that must not error, a count (3) or a share (0.5)",
        default="0.5",
    )
    parser.addini(
        "amigo_xfail",
        "known-failing unit tests: lines 'UNIT TEST NAME OR ID: reason'",
        type="linelist",
    )
    for name, (help_text, default) in _EVIDENCE_INI.items():
        parser.addini(name, help_text, default=default)
    parser.addini(
        "amigo_subset", "run only the selected unit tests of a set", type="bool", default=False
    )
    parser.addini(
        "amigo_junit_properties",
        "per-testcase JUnit properties: auto (not under junit_family xunit2, whose schema "
        "rejects them) | always | never",
        default="auto",
    )
    parser.addini(
        "amigo_attachment_paths",
        "artifacts paths in JUnit ([[ATTACHMENT|...]], amigo_artifacts): relative (to the "
        "rootdir, for GitLab) | absolute (Jenkins)",
        default="relative",
    )


_EVIDENCE_INI = {
    "amigo_confidence": ("decide on the session pass rate's interval at this confidence", ""),
    "amigo_inconclusive": ("how an inconclusive unit test reports: fail | xfail | pass", "fail"),
    "amigo_min_pass_k": ("required pass^k: 'K VALUE', e.g. '4 0.9'", ""),
    "amigo_max_sessions": ("most sessions this pytest session may simulate", ""),
    "amigo_baseline": ("compare with: last | RUN_ID | PATH of a JSON report", ""),
    "amigo_fail_on": ("any | regression (known failures of the baseline report as xfail)", "any"),
    "amigo_set_min_pass_rate": ("add a 'set gate' item per set: share of unit tests", ""),
    "amigo_json": ("write the JSON report to this path", ""),
    "amigo_html": ("write the HTML report to this path", ""),
}


def _add_evidence_options(group: pytest.OptionGroup) -> None:
    group.addoption(
        "--amigo-confidence",
        type=float,
        default=None,
        metavar="C",
        dest="amigo_confidence",
        help="with a minimum pass rate: pass when the C (e.g. 0.95) Wilson interval of the "
        "session pass rate is above it, fail when below, otherwise inconclusive.",
    )
    group.addoption(
        "--amigo-inconclusive",
        choices=("fail", "xfail", "pass"),
        default=None,
        dest="amigo_inconclusive",
        help="how an inconclusive unit test reports (default fail).",
    )
    group.addoption(
        "--amigo-min-pass-k",
        default=None,
        metavar="'K VALUE'",
        dest="amigo_min_pass_k",
        help="require pass^K (the chance that K sessions in a row pass) of at least VALUE.",
    )
    group.addoption(
        "--amigo-resample",
        type=int,
        default=None,
        metavar="N",
        dest="amigo_resample",
        help="re-run inconclusive unit tests N more times each (a temporary set), while "
        "inconclusive and within --amigo-max-sessions.",
    )
    group.addoption(
        "--amigo-max-sessions",
        type=int,
        default=None,
        metavar="N",
        dest="amigo_max_sessions",
        help="simulate at most N sessions in this pytest session (runs and re-sampling).",
    )
    group.addoption(
        "--amigo-baseline",
        default=None,
        metavar="last|RUN_ID|PATH",
        dest="amigo_baseline",
        help="compare each unit test with a baseline: the last completed run of the set, a "
        "run id, or a JSON report (--amigo-json) of an earlier session.",
    )
    group.addoption(
        "--amigo-fail-on",
        choices=("any", "regression"),
        default=None,
        dest="amigo_fail_on",
        help="regression: unit tests already failing in the baseline report as xfail.",
    )
    group.addoption(
        "--amigo-set-min-pass-rate",
        type=float,
        default=None,
        metavar="R",
        dest="amigo_set_min_pass_rate",
        help="add a 'set gate' item per set, passing when at least R of its unit tests passed.",
    )
    group.addoption(
        "--amigo-plan",
        action="store_true",
        default=False,
        dest="amigo_plan",
        help="collect, print per set the unit tests, run counts and sessions that would be "
        "simulated, and exit without starting any run.",
    )
    group.addoption(
        "--amigo-subset",
        action="store_true",
        default=None,
        dest="amigo_subset",
        help="when only some unit tests of a set are selected (-k, --lf, --deselect, node ids), "
        "run just those in a temporary set instead of the whole set.",
    )
    group.addoption(
        "--amigo-html",
        default=None,
        metavar="PATH",
        dest="amigo_html",
        help="write a self-contained HTML report of every unit test's evidence.",
    )
    group.addoption(
        "--amigo-json",
        default=None,
        metavar="PATH",
        dest="amigo_json",
        help="write a JSON report of every unit test's evidence (a baseline for later sessions).",
    )


SettingsError = pytest.UsageError


def _float(value: object, what: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(str(value))
    except ValueError:
        raise SettingsError(f"{what} must be a number, got {value!r}") from None


def parse_min_valid(value: str) -> float:
    """``3`` -> at least 3 sessions; ``0.5`` / ``50%`` -> at least half of the run count."""
    text = value.strip()
    try:
        if text.endswith("%"):
            share = float(text[:-1]) / 100
        elif text.isdigit():
            count = int(text)
            if count >= 1:
                return count
            raise ValueError
        else:
            share = float(text)
        if not 0 < share <= 1:
            raise ValueError
    except ValueError:
        raise SettingsError(
            "amigo_min_valid_sessions must be a count of sessions (e.g. 3) or a share of the "
            f"run count in (0, 1] (e.g. 0.5 or 50%), got {value!r}"
        ) from None
    return share


def _pass_k(value: str) -> int:
    if not value.strip().isdigit() or int(value) < 1:
        raise SettingsError(f"amigo_pass_k must be a whole number of sessions >= 1, got {value!r}")
    return int(value)


def _given(config: pytest.Config, dest: str) -> bool:
    """Whether the command line gave the option (options default to None, so an ini key of the
    same name can fill in)."""
    return getattr(config.option, dest, None) is not None


def _option_or_ini_value(config: pytest.Config, dest: str) -> object:
    """The command-line option wins over the ini key of the same name: the one resolution of
    every setting that has both."""
    return getattr(config.option, dest) if _given(config, dest) else config.getini(dest)


def _option_or_ini(config: pytest.Config, dest: str) -> str:
    """The option's value if given, else the ini key of the same name ("" when neither)."""
    return str(_option_or_ini_value(config, dest)).strip()


def _flag(config: pytest.Config, dest: str) -> bool:
    """A ``store_true`` option (None unless given) or its ``bool`` ini key."""
    return bool(_option_or_ini_value(config, dest))


def _choice(config: pytest.Config, dest: str, choices: tuple[str, ...]) -> str:
    value = _option_or_ini(config, dest)
    if value not in choices:
        raise SettingsError(f"{dest} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _share(config: pytest.Config, dest: str, what: str, *, closed: bool = True) -> float | None:
    value = _float(_option_or_ini(config, dest), what)
    if value is not None and not (0 < value <= 1 if closed else 0 < value < 1):
        interval = "(0, 1]" if closed else "(0, 1), e.g. 0.95"
        raise SettingsError(f"{what} must be in {interval}, got {value:g}")
    return value


def _min_pass_k(text: str) -> tuple[int, float] | None:
    text = text.strip("\"'")  # pytest.ini keeps quotes that pyproject.toml strips
    if not text:
        return None
    parts = text.replace(",", " ").split()
    try:
        k, value = int(parts[0]), float(parts[1])
        if len(parts) != 2 or k < 1 or not 0 < value <= 1:
            raise ValueError
    except (ValueError, IndexError):
        raise SettingsError(
            f"amigo_min_pass_k must be 'K VALUE' (sessions >= 1, required pass^K in (0, 1]), "
            f"e.g. '4 0.9'; got {text!r}"
        ) from None
    return k, value


def _count(config: pytest.Config, dest: str, what: str) -> int | None:
    text = _option_or_ini(config, dest)
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{what} must be a whole number >= 1, got {text!r}")
    return int(text)


def _path(config: pytest.Config, dest: str, text: str) -> Path:
    """A path option is relative to where pytest was started, an ini path to the rootdir."""
    path = Path(text).expanduser()
    if path.is_absolute():
        return path
    return (config.invocation_params.dir if _given(config, dest) else config.rootpath) / path


def _evidence(config: pytest.Config) -> dict[str, object]:
    """Settings of issue "decide with evidence": confidence, pass^k, baselines, gates, JSON."""
    resample = config.option.amigo_resample
    if resample is not None and resample < 1:
        raise SettingsError(f"--amigo-resample must be a number of sessions >= 1, got {resample}")
    baseline = _option_or_ini(config, "amigo_baseline") or None
    fail_on = _choice(config, "amigo_fail_on", ("any", "regression"))
    if fail_on == "regression" and baseline is None:
        raise SettingsError(
            "--amigo-fail-on=regression needs a baseline: add --amigo-baseline=last (the last "
            "completed run of each set), a run id, or the path of an earlier --amigo-json report"
        )
    json_text = _option_or_ini(config, "amigo_json")
    html_text = _option_or_ini(config, "amigo_html")
    baseline_path = None
    if baseline is not None and baseline != "last" and not OBJECT_ID.fullmatch(baseline):
        baseline_path = _path(config, "amigo_baseline", baseline)
        if not baseline_path.is_file():
            raise SettingsError(
                f"--amigo-baseline={baseline}: no such file ({baseline_path}); give 'last' (the "
                "last completed run of each set), a 24-hex run id, or the path of a report "
                "written by --amigo-json"
            )
    return {
        "baseline_path": baseline_path,
        "confidence": _share(config, "amigo_confidence", "--amigo-confidence", closed=False),
        "inconclusive": _choice(config, "amigo_inconclusive", ("fail", "xfail", "pass")),
        "min_pass_k": _min_pass_k(_option_or_ini(config, "amigo_min_pass_k")),
        "resample": resample or 0,
        "max_sessions": _count(config, "amigo_max_sessions", "--amigo-max-sessions"),
        "baseline": baseline,
        "fail_on": fail_on,
        "set_min_pass_rate": _share(config, "amigo_set_min_pass_rate", "--amigo-set-min-pass-rate"),
        "json_path": _path(config, "amigo_json", json_text) if json_text else None,
        "html_path": _path(config, "amigo_html", html_text) if html_text else None,
        "plan": bool(config.option.amigo_plan),
        "subset": _flag(config, "amigo_subset"),
    }


def _ini_choice(config: pytest.Config, name: str, choices: tuple[str, ...]) -> str:
    value = str(config.getini(name)).strip().strip("\"'").lower()
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _reporting(config: pytest.Config) -> dict[str, object]:
    """How JUnit carries the evidence: properties per test case, attachment paths."""
    mode = _ini_choice(config, "amigo_junit_properties", ("auto", "always", "never"))
    junit = bool(getattr(config.option, "xmlpath", None))
    family = str(config.getini("junit_family")).strip() if junit else ""
    # auto: xunit2's schema (what strict readers validate against) has no <properties> in a
    # <testcase>; pytest itself calls record_property incompatible with it. Without JUnit,
    # the properties stay on the reports for other plugins.
    properties = mode == "always" or (mode == "auto" and family not in ("xunit2",))
    return {
        "junit_properties": mode,
        "properties": properties,
        "attachment_paths": _ini_choice(config, "amigo_attachment_paths", ("relative", "absolute")),
        "rootdir": config.rootpath,
    }


def load(config: pytest.Config) -> Settings:
    opt = config.option
    # Numeric options are parsed by argparse (type=float): only an ini value can fail _float.
    rate = _float(_option_or_ini(config, "amigo_min_pass_rate"), "ini amigo_min_pass_rate")
    if rate is not None and not 0 < rate <= 1:
        raise SettingsError(f"the minimum pass rate must be in (0, 1], got {rate:g}")
    timeout = _float(_option_or_ini(config, "amigo_timeout"), "ini amigo_timeout")
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    if timeout <= 0:
        raise SettingsError(f"--amigo-timeout must be positive, got {timeout:g}")
    conflict = _option_or_ini(config, "amigo_on_conflict")
    if conflict not in ("attach", "cancel", "fail"):
        raise SettingsError(f"amigo_on_conflict must be attach, cancel or fail, got {conflict!r}")
    artifacts = _option_or_ini(config, "amigo_artifacts_dir") or DEFAULT_ARTIFACTS_DIR
    artifacts_dir = None if artifacts.lower() == "none" else Path(artifacts)
    if artifacts_dir is not None and not artifacts_dir.is_absolute():
        artifacts_dir = config.rootpath / artifacts_dir
    poll = str(config.getini("amigo_poll_interval")).split()
    try:
        poll_min, poll_max = (float(poll[0]), float(poll[-1])) if poll else (2.0, 30.0)
    except ValueError:
        raise SettingsError(
            f"amigo_poll_interval must be 'MIN MAX' seconds, got {poll!r}"
        ) from None
    progress = _float(_option_or_ini(config, "amigo_progress_interval"), "amigo_progress_interval")
    return Settings(
        set_ids=tuple(s.strip() for s in opt.amigo_set if s.strip()),
        ini_set_ids=tuple(s.strip() for s in config.getini("amigo_sets") if s.strip()),
        run_ids=tuple(r.strip() for r in opt.amigo_run if r.strip()),
        on_conflict=conflict,  # type: ignore[arg-type]
        min_pass_rate=rate,
        timeout=timeout,
        keep_running=_flag(config, "amigo_keep_running"),
        artifacts_dir=artifacts_dir,
        artifacts_wait=_float(config.getini("amigo_artifacts_wait"), "amigo_artifacts_wait") or 0.0,
        poll_min=max(0.2, poll_min),
        poll_max=max(poll_min, poll_max),
        progress_interval=progress if progress is not None else 30.0,
        xfail_lines=tuple(str(x).strip() for x in config.getini("amigo_xfail") if str(x).strip()),
        min_valid_sessions=parse_min_valid(str(config.getini("amigo_min_valid_sessions"))),
        pass_k=_pass_k(str(config.getini("amigo_pass_k"))),
        **_evidence(config),  # type: ignore[arg-type]
        **_reporting(config),  # type: ignore[arg-type]
    )
