"""Keep the JUnit XML from pointing at artifacts that never arrived.

An item reports its run's artifacts file (``amigo_artifacts`` property, ``[[ATTACHMENT|path]]``
line) when it finishes, but artifacts are generated after the run completes and downloaded at the
end of the session. Once the JUnit file is written, every reference to a file that does not exist
is replaced by the reason (``amigo_artifacts_missing`` property, a line in ``<system-out>``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

PROPERTY = "amigo_artifacts"
MISSING = "amigo_artifacts_missing"


def settle(xml_path: Path, missing: Mapping[str, str]) -> int:
    """Rewrite ``xml_path`` for the artifact paths in ``missing`` (path -> reason).

    Returns the number of test cases changed; the file is left untouched when there are none.
    """
    if not missing or not xml_path.is_file():
        return 0
    tree = ET.parse(xml_path)
    changed = 0
    for case in tree.getroot().iter("testcase"):
        if _settle_case(case, missing):
            changed += 1
    if changed:
        tree.write(xml_path, encoding="utf-8", xml_declaration=True)
    return changed


def _settle_case(case: ET.Element, missing: Mapping[str, str]) -> bool:
    gone: list[tuple[str, str]] = []
    for properties in case.iter("properties"):
        for prop in list(properties):
            value = prop.get("value") or ""
            if prop.get("name") == PROPERTY and value in missing:
                properties.remove(prop)
                ET.SubElement(properties, "property", name=MISSING, value=missing[value])
                gone.append((value, missing[value]))
    for out in case.iter("system-out"):
        text = out.text or ""
        for path, reason in missing.items():
            line = f"[[ATTACHMENT|{path}]]"
            if line in text:
                text = text.replace(line, f"pytest-amigo: no artifacts: {reason}")
                gone.append((path, reason))
        out.text = text
    return bool(gone)
