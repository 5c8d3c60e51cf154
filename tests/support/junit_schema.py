"""JUnit XML validation against the schema pytest's own tests use (``junit-10.xsd``, vendored).

- ``xunit2``: the vendored schema as it is (what strict readers validate against);
- ``xunit1``: the same schema plus what pytest's xunit1 ("legacy") format adds to a
  ``<testcase>``: ``file`` and ``line`` attributes and a ``<properties>`` element. pytest's own
  xunit1 output never validates against junit-10.xsd for those, so the variant checks everything
  else with the same strictness.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import xmlschema

XSD = Path(__file__).with_name("junit-10.xsd")

_CHOICE = '<xs:element ref="skipped"/>'
_ATTRS = (
    '<xs:attribute name="group" type="xs:string"/>\n        </xs:complexType>\n    </xs:element>'
)


@cache
def schema(family: str) -> xmlschema.XMLSchema:
    text = XSD.read_text(encoding="utf-8")
    if family == "xunit1":
        case = text.index('<xs:element name="testcase">')
        head, tail = text[:case], text[case:]
        assert _CHOICE in tail and _ATTRS in tail
        tail = tail.replace(_CHOICE, '<xs:element ref="properties"/>\n' + _CHOICE, 1)
        tail = tail.replace(
            _ATTRS,
            '<xs:attribute name="group" type="xs:string"/>'
            '<xs:attribute name="file" type="xs:string"/>'
            '<xs:attribute name="line" type="xs:string"/>'
            "\n        </xs:complexType>\n    </xs:element>",
            1,
        )
        text = head + tail
    elif family != "xunit2":
        raise ValueError(family)
    return xmlschema.XMLSchema(text)


def validate(path: Path, family: str) -> None:
    """Raise ``xmlschema.XMLSchemaValidationError`` when ``path`` is not valid for ``family``."""
    schema(family).validate(str(path))
