"""Machine-readable JSON Schemas (draft 2020-12) of the JSON documents stance writes.

- ``analysis`` (``stance.analysis/1.x``): ``stance analyze --json``, ``stance live --json``,
  the per-clip results of ``stance batch`` (``OUT/clips/*.json``).
- ``batch_summary`` (``stance.batch/1.x``): ``stance batch``'s ``OUT/summary.json``.
- ``batch_failure`` (``stance.batch_failure/1.x``): ``stance batch``'s ``OUT/failed/*.json``.
- ``history`` (``stance.history/1.x``): ``stance history --json`` and ``--export``.

docs/JSON_SCHEMA.md describes the analysis document in words. The schemas travel inside the
package (``stance/schemas/*.schema.json``); validating needs a JSON Schema validator, which
stance itself does not depend on, e.g. ``pip install jsonschema``::

    import json, jsonschema
    from stance import schemas
    doc = json.load(open("result.json"))
    jsonschema.validate(doc, schemas.for_document(doc))
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

KINDS = {
    "stance.analysis": "analysis",
    "stance.batch": "batch_summary",
    "stance.batch_failure": "batch_failure",
    "stance.history": "history",
}
"""Schema name for each ``schema`` string before its ``/major.minor`` version."""

NAMES = tuple(KINDS.values())
"""The schemas shipped (`load` takes these)."""


def load(name: str) -> dict[str, Any]:
    """The JSON Schema ``name`` (one of `NAMES`) as a dict.

    Raises:
        KeyError: no schema of that name.
    """
    if name not in NAMES:
        raise KeyError(f"no stance schema {name!r}; there are: {', '.join(NAMES)}")
    text = resources.files(__package__).joinpath(f"{name}.schema.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def name_of(doc: Any) -> str | None:
    """The schema name for a document by its ``schema`` string (None: not a stance document
    of a kind that has a schema; the version is for the schema itself to check)."""
    if not isinstance(doc, dict):
        return None
    tag = doc.get("schema")
    if not isinstance(tag, str):
        return None
    return KINDS.get(tag.split("/", 1)[0])


def for_document(doc: Any) -> dict[str, Any]:
    """The JSON Schema that ``doc`` must satisfy, chosen by its ``schema`` string.

    Raises:
        KeyError: ``doc`` has no ``schema`` string of a kind stance writes.
    """
    name = name_of(doc)
    if name is None:
        tag = doc.get("schema") if isinstance(doc, dict) else None
        raise KeyError(f"not a stance document with a schema (schema: {tag!r})")
    return load(name)
