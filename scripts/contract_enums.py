"""Write the contract's language and time zone enums into the emulator's package data.

``LANGUAGES`` (ISO 639-3) and ``TIME_ZONES`` (IANA) are the ``enum`` of ``preferred_language``
and ``timezone`` in the persona (version) request bodies of ``amigo-openapi.json``; the emulator
reads them from ``pytest_amigo/emulator/contract_enums.json``. Regenerate from the repository
root with ``python scripts/contract_enums.py ../shared/amigo-openapi.json``; a test checks the
data file is what this script writes from the contract.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

PERSONA_VERSION_SCHEMA = (
    "src__app__endpoints__simulation__create_simulation_persona_version__Request"
)
DATA_FILE = Path(__file__).resolve().parents[1] / "pytest_amigo/emulator/contract_enums.json"
"""The package data file, in the source tree (never in an installed package)."""


def from_contract(spec: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(languages, time zones) as listed in the contract's persona version request."""
    props = spec["components"]["schemas"][PERSONA_VERSION_SCHEMA]["properties"]

    def enum(name: str) -> list[str]:
        return next(x["enum"] for x in props[name]["anyOf"] if "enum" in x)

    return enum("preferred_language"), enum("timezone")


def render(languages: list[str], zones: list[str]) -> str:
    """The data file's text for the given enums, in the contract's order."""
    data = {
        "generated_by": "scripts/contract_enums.py from ../shared/amigo-openapi.json",
        "languages": languages,
        "time_zones": zones,
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python scripts/contract_enums.py ../shared/amigo-openapi.json")
        return 2
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    DATA_FILE.write_text(render(*from_contract(spec)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
