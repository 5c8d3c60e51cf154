"""Every setting declared once (``plugin.declarations``): each field of ``Settings`` is declared
(or derived from other settings by ``plugin.options.load``), each declaration's default is its
field's and reads back as it is written, flags and ini keys are unique."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from pytest_amigo.plugin.declarations import SETTINGS, Declared
from pytest_amigo.plugin.parsers import Raw
from pytest_amigo.settings import Settings

# Filled by ``load`` from other settings and the session, not given by the user.
DERIVED = {"runs.shard", "compare.baseline_path", "reports.properties", "reports.rootdir"}


def test_every_field_is_declared_once_or_derived() -> None:
    every = {
        f"{section.name}.{name.name}"
        for section in fields(Settings)
        for name in fields(getattr(Settings(), section.name))
    }
    declared = [d.field for d in SETTINGS]
    assert len(declared) == len(set(declared))
    assert set(declared) == every - DERIVED


def test_flags_and_ini_keys_are_unique_and_well_formed() -> None:
    flags = [d.flag for d in SETTINGS if d.flag]
    inis = [d.ini for d in SETTINGS if d.ini]
    assert len(flags) == len(set(flags)) and len(inis) == len(set(inis))
    assert all(f.startswith("--amigo-") for f in flags)
    assert all(i.startswith("amigo_") for i in inis)
    # a setting with both: the option's dest is the ini key, as the docs say
    assert all(d.dest == d.ini for d in SETTINGS if d.flag and d.ini)


@pytest.mark.parametrize("declared", SETTINGS, ids=lambda d: d.field)
def test_the_default_as_written_reads_back_as_the_default(declared: Declared) -> None:
    raw = Raw(declared.shown or None, declared.shown, declared.flag or "", declared.ini or "")
    value = declared.parse(raw)
    assert value == declared.default and type(value) is type(declared.default)


@pytest.mark.parametrize("declared", [d for d in SETTINGS if d.choices], ids=lambda d: d.field)
def test_choices_come_from_the_fields_literal_type(declared: Declared) -> None:
    assert declared.default in declared.choices
    for choice in declared.choices:
        assert declared.parse(Raw(choice, declared.shown, ini=declared.ini or "")) == choice


def test_paths_are_relative_to_the_base_they_are_given_in(tmp_path: Path) -> None:
    (json,) = (d for d in SETTINGS if d.field == "reports.json_path")
    raw = Raw("out/r.json", "", "--amigo-json", "amigo_json", base=tmp_path)
    assert json.parse(raw) == tmp_path / "out" / "r.json"
