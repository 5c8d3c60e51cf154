"""Enums of the contract the emulator enforces, shipped as package data (no contract file needed).

``LANGUAGES`` (ISO 639-3) and ``TIME_ZONES`` (IANA) are the ``enum`` of ``preferred_language``
and ``timezone`` in the persona (version) request bodies of ``amigo-openapi.json``, read from
``contract_enums.json`` beside this module. ``scripts/contract_enums.py`` writes that file from
the contract; a test checks it matches.
"""

from __future__ import annotations

import json
from importlib.resources import files

DATA_FILE = "contract_enums.json"

_DATA: dict[str, list[str]] = json.loads(
    files("pytest_amigo.emulator").joinpath(DATA_FILE).read_text(encoding="utf-8")
)
LANGUAGES = frozenset(_DATA["languages"])
TIME_ZONES = frozenset(_DATA["time_zones"])
