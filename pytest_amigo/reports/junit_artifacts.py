"""Keep the JUnit XML from pointing at artifacts that never arrived.

An item reports its run's artifacts file (``amigo_artifacts`` property, ``[[ATTACHMENT|path]]``
line) when it finishes, but artifacts are generated after the run completes and downloaded at the
end of the session. Once the JUnit file is written, every reference to a file that does not exist
is replaced by the reason (``amigo_artifacts_missing`` property, a line in ``<system-out>``): the
reason the session knows, or, for a reference it cannot match, that the file never arrived. The
XML never points at nothing.

The reports write the paths relative to the rootdir by default (``amigo_attachment_paths``), the
missing files are known by their absolute paths: a relative reference matches the missing file
whose path ends with it (the file name holds the run id, so it names one run).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath

NEVER_ARRIVED = "the artifacts file never arrived"
PROPERTY = "amigo_artifacts"
MISSING = "amigo_artifacts_missing"
ATTACHMENT = re.compile(r"\[\[ATTACHMENT\|(.*?)\]\]")


def reason_for(written: str, missing: Mapping[str, str]) -> str | None:
    """Why the artifacts file a report names (absolute or relative) is missing, if it is."""
    if written in missing:
        return missing[written]
    path = PurePath(written)
    if not written or path.is_absolute():
        return None
    parts = path.parts
    for absolute, reason in missing.items():
        if PurePath(absolute).parts[-len(parts) :] == parts:
            return reason
    return None


def settle(xml_path: Path, missing: Mapping[str, str], root: Path | None = None) -> int:
    """Rewrite ``xml_path`` so that no artifacts reference points at a file that is not there:
    those in ``missing`` (path -> reason) get their reason, any other reference whose file does
    not exist (relative references: under ``root``) that it never arrived.

    Returns the number of test cases changed; the file is left untouched when there are none.
    """
    if not xml_path.is_file():
        return 0
    text = xml_path.read_text(encoding="utf-8", errors="replace")
    if "[[ATTACHMENT|" not in text and PROPERTY not in text:
        return 0
    tree = ET.parse(xml_path)
    changed = 0
    for case in tree.getroot().iter("testcase"):
        if _settle_case(case, lambda written: _why_missing(written, missing, root)):
            changed += 1
    if changed:
        tree.write(xml_path, encoding="utf-8", xml_declaration=True)
    return changed


def _why_missing(written: str, missing: Mapping[str, str], root: Path | None) -> str | None:
    """Why the file a reference names is not there (None: it is)."""
    reason = reason_for(written, missing)
    if reason is not None:
        return reason
    path = Path(written)
    if not path.is_absolute() and root is not None:
        path = root / path
    return None if path.is_file() else NEVER_ARRIVED


def _settle_case(case: ET.Element, why: Callable[[str], str | None]) -> bool:
    gone: list[tuple[str, str]] = []
    for properties in case.iter("properties"):
        for prop in list(properties):
            value = prop.get("value") or ""
            reason = why(value) if prop.get("name") == PROPERTY else None
            if reason is not None:
                properties.remove(prop)
                ET.SubElement(properties, "property", name=MISSING, value=reason)
                gone.append((value, reason))
    for out in case.iter("system-out"):
        text = out.text or ""

        def replace(match: re.Match[str]) -> str:
            reason = why(match.group(1))
            if reason is None:
                return match.group(0)
            gone.append((match.group(1), reason))
            return f"pytest-amigo: no artifacts: {reason}"

        out.text = ATTACHMENT.sub(replace, text)
    return bool(gone)
