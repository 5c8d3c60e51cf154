"""``export`` and ``plan`` over the plugin's client: read, then the pure parts do the work."""

from __future__ import annotations

from pathlib import Path

from pytest_amigo.api import SimulationApi

from .loader import load
from .lock import LOCK_NAME, Lock, Locked, read_lock, write_lock
from .model import Catalog, Definitions, MetricShape
from .plan import KINDS, Plan, compute_plan
from .platform import Platform
from .reading import Raw, concerned, platform_of, read_everything, read_sets
from .writer import write_definitions


def lock_of(platform: Platform) -> Lock:
    """A lock recording every object of ``platform`` as it is now."""
    lock = Lock()
    for kind in KINDS:
        for remote in platform.of(kind):
            locked = Locked(remote.id, remote.version, remote.updated_at)
            lock = lock.with_entry(kind, remote.definition.name, locked)
    return lock


def definitions_of(platform: Platform) -> Definitions:
    return Definitions(
        tuple(r.definition for r in platform.personas),
        tuple(r.definition for r in platform.scenarios),
        tuple(r.definition for r in platform.unit_tests),
        tuple(r.definition for r in platform.sets),
    )


def export(api: SimulationApi, references: list[str], directory: Path) -> list[Path]:
    """Write the sets given (by name or id) and what they refer to, and the lock; the paths."""
    platform = platform_of(api, read_sets(api, references))
    written = write_definitions(definitions_of(platform), directory)
    lock_path = directory / LOCK_NAME
    lock = read_lock(lock_path)
    for kind in KINDS:
        for name, locked in lock_of(platform).entries.get(kind, {}).items():
            lock = lock.with_entry(kind, name, locked)
    write_lock(lock_path, lock)
    return [*written, lock_path]


def catalog_of(raw: Raw) -> Catalog:
    """Metric types and service version sets, for validation (metric bounds need a version
    read per metric: not checked here)."""
    metrics = {
        m["name"]: MetricShape(m["name"], m["metric_value_type"])
        for m in raw.metrics
        if m.get("metric_value_type") in ("boolean", "numerical", "categorical")
    }
    services = {s["name"]: tuple(s.get("version_sets") or {}) for s in raw.services}
    return Catalog(metrics, services)


def plan(api: SimulationApi, directory: Path, *, prune: bool = False) -> Plan:
    """Validate the files (the platform's metrics and services known), then plan."""
    raw = read_everything(api)
    desired = load(directory, catalog_of(raw))
    lock = read_lock(directory / LOCK_NAME)
    return compute_plan(desired, lock, platform_of(api, raw, concerned(desired, lock)), prune=prune)
