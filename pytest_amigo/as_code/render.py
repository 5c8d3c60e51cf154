"""The plan as text, like ``terraform plan``: one line per object, one per changed field."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from .diff import ABSENT, Change
from .plan import Drift, Plan, Step

SIGNS = {"create": "+", "update": "~", "new version": "^", "blocked": "!", "prune": "-"}
LONGEST_VALUE = 120
WHAT_TO_DO = (
    "  To keep the platform's change, run `pytest-amigo export` and commit the files; "
    "to restore the repository's version, run `pytest-amigo apply`."
)


def value_text(value: Any) -> str:
    if value is ABSENT:
        return "(none)"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= LONGEST_VALUE else text[: LONGEST_VALUE - 1] + "…"


def change_lines(changes: tuple[Change, ...], creating: bool = False) -> list[str]:
    if creating:
        shown = [c for c in changes if c.after not in (None, [], ABSENT)]  # defaults left out
        return [f"      {c.field}: {value_text(c.after)}" for c in shown]
    return [f"      {c.field}: {value_text(c.before)} -> {value_text(c.after)}" for c in changes]


def step_lines(step: Step, prune: bool) -> list[str]:
    title = f"  {SIGNS[step.action]} {step.kind} '{step.name}'"
    if step.action == "create":
        version = f" (version {step.version})" if step.version else ""
        extra = f"; {step.note}" if step.note else ""
        return [f"{title} will be created{version}{extra}", *change_lines(step.changes, True)]
    if step.action == "new version":
        return [f"{title} gets version {step.version}", *change_lines(step.changes)]
    if step.action == "update":
        return [f"{title} will be updated", *change_lines(step.changes)]
    if step.action == "blocked":
        return [f"{title} cannot be applied: {step.note}", *change_lines(step.changes)]
    when = "will be deleted" if prune else "would be deleted with --prune"
    return [f"{title} is managed by pytest-amigo and gone from the files: {when}"]


def drift_lines(drift: Drift) -> list[str]:
    who = f" by {drift.updated_by}" if drift.updated_by else ""
    when = f" at {drift.updated_at}" if drift.updated_at else ""
    lines = [f"  ! {drift.kind} '{drift.name}' changed on the platform{who}{when}"]
    lines += [f"      {reason}" for reason in drift.reasons]
    lines += [
        f"      {c.field}: platform {value_text(c.before)}, files {value_text(c.after)}"
        for c in drift.changes
    ]
    return lines


def summary(plan: Plan) -> str:
    counts: Counter[str] = Counter(step.action for step in plan.steps)
    parts = [
        f"{counts[action]} {words}"
        for action, words in (
            ("create", "to create"),
            ("update", "to update"),
            ("new version", "new version" + ("s" if counts["new version"] != 1 else "")),
            ("blocked", "blocked"),
            ("prune", "to prune" if plan.prune else "prunable with --prune"),
            ("unchanged", "unchanged"),
        )
        if counts[action]
    ]
    return "Plan: " + (", ".join(parts) if parts else "no definitions") + "."


def render_plan(plan: Plan) -> str:
    """The whole plan; ends with a summary line and, when nothing is pending, says so."""
    lines: list[str] = []
    for step in plan.steps:
        if step.action != "unchanged":
            lines += step_lines(step, plan.prune)
    if plan.drift:
        lines += ["", "Drift: changed on the platform since the lock file was written:"]
        for drift in plan.drift:
            lines += drift_lines(drift)
        lines.append(WHAT_TO_DO)
    if not plan.pending() and not any(s.action == "blocked" for s in plan.steps):
        lines.insert(0, "No changes: the platform matches the definitions.")
    lines += ["", summary(plan)]
    return "\n".join(lines).lstrip("\n") + "\n"
