"""SharedState: the session's JSON documents, read, written and updated across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pytest_amigo.lifecycle.shared import SharedState


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "state"


# -- read / write ---------------------------------------------------------------------------------


def test_the_directory_is_created_private_on_the_first_write(root: Path) -> None:
    state = SharedState(root)
    assert state.read("runs.json") is None  # reading creates nothing
    assert not root.exists()
    state.write("runs.json", {"a": 1})
    assert root.is_dir()
    assert root.stat().st_mode & 0o777 == 0o700
    assert state.path("runs.json") == root / "runs.json"


def test_read_of_an_absent_document_is_the_default(root: Path) -> None:
    state = SharedState(root)
    assert state.read("missing.json") is None
    assert state.read("missing.json", {"empty": True}) == {"empty": True}
    assert state.read("missing.json", [], fresh=True) == []


def test_written_documents_read_back_as_json(root: Path) -> None:
    state = SharedState(root)
    document = {"runs": [{"id": "r1", "done": False}], "count": 2, "note": "é"}
    state.write("runs.json", document)
    state.write("other.json", [1, 2, 3])
    assert state.read("runs.json") == document
    assert state.read("other.json") == [1, 2, 3]
    assert json.loads((root / "runs.json").read_text(encoding="utf-8")) == document
    # every write goes through a temporary file renamed into place: none is left behind
    assert sorted(p.name for p in root.iterdir()) == ["other.json", "runs.json"]


def test_a_write_replaces_the_document(root: Path) -> None:
    state = SharedState(root)
    state.write("snapshot.json", {"version": 1, "long": "x" * 100})
    state.write("snapshot.json", {"version": 2})
    assert state.read("snapshot.json") == {"version": 2}
    assert SharedState(root).read("snapshot.json") == {"version": 2}


def test_a_failed_write_keeps_the_previous_document(root: Path) -> None:
    state = SharedState(root)
    state.write("runs.json", {"ok": True})
    with pytest.raises(TypeError):
        state.write("runs.json", {"not json": object()})
    assert SharedState(root).read("runs.json") == {"ok": True}
    assert not list(root.glob("*.tmp")), "a failed write left its temporary file"


def test_an_unreadable_document_raises_value_error(root: Path) -> None:
    state = SharedState(root)
    state.write("token.json", {})
    (root / "token.json").write_text("{half a docu", encoding="utf-8")
    with pytest.raises(ValueError):
        state.read("token.json", fresh=True)


# -- the parsed copy and fresh reads --------------------------------------------------------------


def test_an_unchanged_document_is_parsed_once(root: Path) -> None:
    state = SharedState(root)
    state.write("snapshot.json", {"runs": [1, 2]})
    first = state.read("snapshot.json")
    assert state.read("snapshot.json") is first  # the parsed copy
    fresh = state.read("snapshot.json", fresh=True)
    assert fresh == first and fresh is not first  # parsed again
    assert state.read("snapshot.json") is fresh  # and kept


def test_a_change_by_another_process_is_seen(root: Path) -> None:
    reader, writer = SharedState(root), SharedState(root)
    writer.write("snapshot.json", {"version": 1})
    assert reader.read("snapshot.json") == {"version": 1}
    writer.write("snapshot.json", {"version": 2, "runs": ["r1"]})  # another size
    assert reader.read("snapshot.json") == {"version": 2, "runs": ["r1"]}


def test_fresh_read_sees_a_change_the_file_stamp_misses(root: Path) -> None:
    reader, writer = SharedState(root), SharedState(root)
    writer.write("snapshot.json", {"version": 1})
    assert reader.read("snapshot.json") == {"version": 1}
    stamp = (root / "snapshot.json").stat()
    # Same size, same modification time (a coarse clock): the stamp cannot tell them apart.
    writer.write("snapshot.json", {"version": 2})
    os.utime(root / "snapshot.json", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert reader.read("snapshot.json") == {"version": 1}
    assert reader.read("snapshot.json", fresh=True) == {"version": 2}
    assert reader.read("snapshot.json") == {"version": 2}


# -- locks and updates ----------------------------------------------------------------------------


def test_locked_holds_the_lock_until_the_block_ends(root: Path) -> None:
    state, other = SharedState(root), SharedState(root)
    with state.locked("poll") as held:
        assert held is True
        with other.locked("poll", timeout=0) as again:
            assert again is False  # held: no waiting with timeout 0
        with state.locked("poll", timeout=0) as again:
            assert again is False  # a second acquisition in the same process too
        with other.locked("starter", timeout=0) as unrelated:
            assert unrelated is True  # locks are per name
    with other.locked("poll", timeout=0) as free:
        assert free is True


def test_locked_releases_when_the_block_raises(root: Path) -> None:
    state = SharedState(root)
    with pytest.raises(RuntimeError), state.locked("poll"):
        raise RuntimeError("boom")
    with SharedState(root).locked("poll", timeout=0) as held:
        assert held is True


def test_locked_waits_at_most_the_timeout(root: Path) -> None:
    state = SharedState(root)
    with state.locked("poll"), SharedState(root).locked("poll", timeout=0.2) as held:
        assert held is False


def test_update_changes_the_document_under_its_lock(root: Path) -> None:
    state = SharedState(root)
    seen: list[object] = []

    def add(value: dict[str, int]) -> dict[str, int]:
        seen.append(value)
        with SharedState(root).locked("counter.json", timeout=0) as free:
            assert free is False  # the change runs under the document's lock
        return {"n": value["n"] + 1}

    assert state.update("counter.json", add, {"n": 0}) == {"n": 1}
    assert state.update("counter.json", add, {"n": 0}) == {"n": 2}
    assert seen == [{"n": 0}, {"n": 1}]  # the default when absent, then the stored value
    assert SharedState(root).read("counter.json") == {"n": 2}


def test_update_reads_fresh(root: Path) -> None:
    state, other = SharedState(root), SharedState(root)
    state.write("counter.json", {"n": 1})
    assert state.read("counter.json") == {"n": 1}  # parsed copy kept
    stamp = (root / "counter.json").stat()
    other.write("counter.json", {"n": 5})  # same size, stamp restored: only a fresh read sees it
    os.utime(root / "counter.json", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert state.update("counter.json", lambda v: {"n": v["n"] + 1}) == {"n": 6}


UPDATER = textwrap.dedent(
    """
    import sys
    import time
    from pathlib import Path

    from pytest_amigo.lifecycle.shared import SharedState

    root, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    state = SharedState(root)
    Path(sys.argv[4]).touch()  # ready
    while not (root.parent / "go").exists():
        time.sleep(0.005)
    for i in range(count):
        state.update(
            "counter.json",
            lambda v: {"n": v["n"] + 1, "log": [*v["log"], f"{name}-{i}"]},
            {"n": 0, "log": []},
        )
    """
)


def test_concurrent_updates_from_two_processes_lose_nothing(root: Path, tmp_path: Path) -> None:
    count = 150
    procs = []
    for name in ("a", "b"):
        ready = tmp_path / f"ready-{name}"
        cmd = [sys.executable, "-c", UPDATER, str(root), name, str(count), str(ready)]
        procs.append((subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True), ready))
    try:
        for proc, ready in procs:  # both started before either updates
            while not ready.exists():
                assert proc.poll() is None, proc.communicate()[1]
                time.sleep(0.01)
        (tmp_path / "go").touch()
        for proc, _ in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
    finally:
        for proc, _ in procs:
            if proc.poll() is None:
                proc.kill()
    final = SharedState(root).read("counter.json")
    assert final["n"] == 2 * count
    assert len(final["log"]) == 2 * count
    for name in ("a", "b"):  # every update of each process, in its order
        assert [e for e in final["log"] if e.startswith(f"{name}-")] == [
            f"{name}-{i}" for i in range(count)
        ]
