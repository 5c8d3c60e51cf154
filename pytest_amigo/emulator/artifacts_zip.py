"""The artifacts zip of a finished run (the emulator's stand-in for Amigo's S3 blob).

Layout (documented in docs/emulator.md)::

    manifest.json
    run.json                                   the run as the list endpoint returns it
    tool_invocations.json                      every tool invocation of the run
    unit_tests/<unit_test_id>/session-<k>/transcript.json
    unit_tests/<unit_test_id>/session-<k>/evaluations.json
    (a unit test listed twice in a set: its second entry in unit_tests/<unit_test_id>-2/)
    padding.bin                                only with artifact_padding_bytes > 0 (stored)
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_amigo.emulator.planned_runs import PlannedUnitTest
from pytest_amigo.emulator.store import Run, Store

_CHUNK = 1 << 20


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def build_zip(store: Store, run: Run, directory: Path) -> Path:
    """Write the artifacts zip of ``run`` into ``directory`` and return its path."""
    with store.lock:
        instance = store.run_instance(run)
        evaluations = store.evaluation_results([run.id])
        invocations = store.tool_invocations([run.id])
    files: list[str] = []
    fd, name = tempfile.mkstemp(prefix=f"run-{run.id}-", suffix=".zip", dir=directory)
    path = Path(name)
    with open(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:

        def put(arcname: str, text: str) -> None:
            zf.writestr(arcname, text)
            files.append(arcname)

        put("run.json", _dump(instance))
        put("tool_invocations.json", _dump(invocations))
        seen: dict[str, int] = {}
        for u in run.unit_tests:
            seen[u.unit_test_id] = seen.get(u.unit_test_id, 0) + 1
            folder = (
                u.unit_test_id
                if seen[u.unit_test_id] == 1
                else (f"{u.unit_test_id}-{seen[u.unit_test_id]}")
            )
            _put_sessions(put, store, run, u, folder, evaluations)
        padding = store.options.artifact_padding_bytes
        if padding > 0:
            _write_padding(zf, padding)
            files.append("padding.bin")
        manifest = {
            "format": "pytest-amigo-emulator-artifacts",
            "format_version": 1,
            "organization": store.org,
            "simulation_unit_test_set_run_id": run.id,
            "simulation_unit_test_set_id": run.set_id,
            "files": [*files, "manifest.json"],
        }
        zf.writestr("manifest.json", _dump(manifest))
    return path


def _put_sessions(
    put: Callable[[str, str], None],
    store: Store,
    run: Run,
    u: PlannedUnitTest,
    folder: str,
    evaluations: list[dict[str, Any]],
) -> None:
    """``unit_tests/<folder>/session-<k>/``: transcript and evaluations of every session."""
    by_session: dict[int, list[dict[str, Any]]] = {}
    for e in evaluations:
        if e["source"]["unit_test_id"] == u.unit_test_id:
            by_session.setdefault(e["source"]["run_index"], []).append(e)
    now = store.now()
    for s in u.sessions:
        base = f"unit_tests/{folder}/session-{s.index}"
        transcript = {
            "simulation_unit_test_set_run_id": run.id,
            "unit_test_id": u.unit_test_id,
            "run_index": s.index,
            "error": s.error,
            "finished": run.finished(s, now),
            "messages": s.messages,
        }
        put(f"{base}/transcript.json", _dump(transcript))
        put(f"{base}/evaluations.json", _dump(by_session.get(s.index, [])))


def _write_padding(zf: zipfile.ZipFile, padding: int) -> None:
    """``padding.bin``: ``padding`` zero bytes, stored (not compressed), written in chunks."""
    info = zipfile.ZipInfo("padding.bin")
    info.compress_type = zipfile.ZIP_STORED
    with zf.open(info, "w", force_zip64=padding > 0x7FFFFFFF) as out:
        block = b"\0" * _CHUNK
        left = padding
        while left > 0:
            out.write(block[: min(left, _CHUNK)])
            left -= _CHUNK
