"""The lock file: JSON that reads back, written whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_amigo.as_code.lock import Lock, Locked, LockError, read_lock, write_lock


def test_a_written_lock_reads_back_and_is_sorted_json(tmp_path: Path) -> None:
    lock = (
        Lock()
        .with_entry("set", "Zeta", Locked("u2", None, "2026-03-01T10:00:00Z"))
        .with_entry("set", "Alpha", Locked("u1"))
        .with_entry("persona", "Busy parent", Locked("p1", 2, "2026-03-01T10:00:00Z"))
    )
    path = tmp_path / "amigo.lock.json"
    write_lock(path, lock)
    assert read_lock(path) == lock
    document = json.loads(path.read_text())
    assert list(document["sets"]) == ["Alpha", "Zeta"]
    assert document["sets"]["Alpha"] == {"id": "u1"}
    assert document["personas"]["Busy parent"] == {
        "id": "p1",
        "updated_at": "2026-03-01T10:00:00Z",
        "version": 2,
    }
    assert [p.name for p in tmp_path.iterdir()] == ["amigo.lock.json"]  # no partial file left


def test_forgetting_an_entry_keeps_the_others() -> None:
    lock = Lock().with_entry("set", "A", Locked("u1")).with_entry("set", "B", Locked("u2"))
    assert lock.with_entry("set", "A", None).entries["set"] == {"B": Locked("u2")}


def test_no_lock_file_is_an_empty_lock(tmp_path: Path) -> None:
    assert read_lock(tmp_path / "amigo.lock.json") == Lock()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", r"amigo.lock.json:1: not valid JSON"),
        ('{"format": 9}', "not a lock file of format 1; delete it and run export"),
        ('{"format": 1, "sets": {"A": {"identifier": "x"}}}', "section 'sets' is malformed"),
    ],
)
def test_a_broken_lock_says_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "amigo.lock.json"
    path.write_text(text)
    with pytest.raises(LockError, match=message):
        read_lock(path)
