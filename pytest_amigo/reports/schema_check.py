"""Checks a document against the report's JSON Schema without a JSON Schema library.

``jsonschema`` is a test dependency, not a runtime one, yet ``pytest-amigo merge`` refuses an
input that is not a valid report. The shipped schema uses a small part of JSON Schema (draft
2020-12); this module implements exactly that part (``KEYWORDS``), and a test keeps the schema
within it and checks the answers against ``jsonschema``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# annotations and the keywords checked below; anything else in the schema is a test failure
ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "format"})
KEYWORDS = ANNOTATIONS | {
    "$ref",
    "type",
    "enum",
    "oneOf",
    "required",
    "properties",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
}
Schema = Mapping[str, Any]
"""A node of a JSON Schema (trusted: the package's own schema, read as written)."""

_PLAIN: dict[str, type | tuple[type, ...]] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def unsupported(schema: object) -> set[str]:
    """The keywords of ``schema`` (and its subschemas) this module does not check."""
    if not isinstance(schema, Mapping):
        return set()
    found = {k for k in schema if k not in KEYWORDS}
    for key in ("properties", "$defs"):
        for sub in (schema.get(key) or {}).values():
            found |= unsupported(sub)
    for key in ("oneOf", "prefixItems"):
        for sub in schema.get(key) or []:
            found |= unsupported(sub)
    return found | unsupported(schema.get("items"))


def problems(document: object, schema: Schema, limit: int = 3) -> list[str]:
    """Where ``document`` breaks ``schema`` (at most ``limit``), e.g.
    ``sets[0].unit_tests[1].outcome: 'ok' is not one of 'passed', 'failed', ...``."""
    found = []
    for problem in _errors(document, schema, schema, "$"):
        found.append(problem)
        if len(found) >= limit:
            break
    return found


def _is(value: object, name: str) -> bool:
    if name in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return name == "number" or float(value).is_integer()
    return isinstance(value, _PLAIN[name])


def _kind(value: object) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is(value, name):
            return name
    return type(value).__name__


def _resolve(root: Schema, ref: str) -> Schema:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported: {ref}")
    node = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _errors(value: object, schema: Schema, root: Schema, at: str) -> Iterator[str]:
    if "$ref" in schema:
        yield from _errors(value, _resolve(root, schema["$ref"]), root, at)
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_is(value, n) for n in names):
            yield f"{at}: expected {' or '.join(names)}, found {_kind(value)}"
            return
    if "enum" in schema and not any(_same(value, e) for e in schema["enum"]):
        allowed = ", ".join(repr(e) for e in schema["enum"])
        yield f"{at}: {value!r} is not one of {allowed}"
    if "oneOf" in schema:
        yield from _one_of(value, schema["oneOf"], root, at)
    if isinstance(value, dict):
        yield from _object(value, schema, root, at)
    elif isinstance(value, list):
        yield from _array(value, schema, root, at)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield from _bounds(value, schema, at)


def _one_of(value: object, shapes: list[Schema], root: Schema, at: str) -> Iterator[str]:
    """Exactly one shape must fit; when none does, the problem with the one of the value's type
    (``pass_rate: 1.5 is above the maximum 1`` rather than "fits none")."""
    found = [list(_errors(value, shape, root, at)) for shape in shapes]
    fits = sum(1 for problems in found if not problems)
    if fits == 1:
        return
    near = [p for p in found if p and not p[0].startswith(f"{at}: expected ")]
    if fits == 0 and len(near) == 1:
        yield near[0][0]
    else:
        yield f"{at}: {_kind(value)} fits {fits} of the allowed shapes, not exactly one"


def _same(value: object, allowed: object) -> bool:
    """JSON equality: ``true`` is not ``1``."""
    return type(value) is type(allowed) and value == allowed


def _object(value: Mapping[str, object], schema: Schema, root: Schema, at: str) -> Iterator[str]:
    for name in schema.get("required", []):
        if name not in value:
            yield f"{at}: missing {name!r}"
    for name, sub in (schema.get("properties") or {}).items():
        if name in value:
            yield from _errors(value[name], sub, root, f"{at}.{name}")


def _array(value: list[object], schema: Schema, root: Schema, at: str) -> Iterator[str]:
    if "minItems" in schema and len(value) < schema["minItems"]:
        yield f"{at}: {len(value)} items, fewer than {schema['minItems']}"
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        yield f"{at}: {len(value)} items, more than {schema['maxItems']}"
    prefix = schema.get("prefixItems") or []
    for i, (item, sub) in enumerate(zip(value, prefix, strict=False)):
        yield from _errors(item, sub, root, f"{at}[{i}]")
    if "items" in schema:
        for i in range(len(prefix), len(value)):
            yield from _errors(value[i], schema["items"], root, f"{at}[{i}]")


def _bounds(value: float, schema: Schema, at: str) -> Iterator[str]:
    if "minimum" in schema and value < schema["minimum"]:
        yield f"{at}: {value} is below the minimum {schema['minimum']}"
    if "maximum" in schema and value > schema["maximum"]:
        yield f"{at}: {value} is above the maximum {schema['maximum']}"
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        yield f"{at}: {value} is not above {schema['exclusiveMinimum']}"
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        yield f"{at}: {value} is not below {schema['exclusiveMaximum']}"
