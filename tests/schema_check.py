"""Validate stance's JSON documents against the schemas shipped in `stance.schemas`.

The schema is chosen by the document's ``schema`` string (``stance.analysis/1.x`` ->
``analysis``, ...); a JSON file without one of those is not checked.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from stance import schemas


@cache
def validator(name: str) -> Draft202012Validator:
    """The (checked) validator of schema ``name``, built once."""
    schema = schemas.load(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def problems(doc: Any, name: str | None = None) -> list[str]:
    """Why ``doc`` does not satisfy schema ``name`` (default: the one its ``schema`` string
    names); [] when it does or when it is not a stance document with a schema."""
    name = name or schemas.name_of(doc)
    if name is None:
        return []
    errors = sorted(validator(name).iter_errors(doc), key=lambda e: list(e.absolute_path))
    out = []
    for e in errors:
        out.append(f"{name}: at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
        for c in e.context or []:  # oneOf/anyOf: why each alternative failed
            where = "/".join(map(str, c.absolute_path))
            out.append(f"  alternative {c.relative_schema_path[0]}: at /{where}: {c.message[:300]}")
    return out


def assert_valid(doc: Any, name: str | None = None, *, where: str = "document") -> None:
    """Fail with every problem if ``doc`` does not satisfy its schema."""
    found = problems(doc, name)
    if found:
        shown = "\n  ".join(p[:500] for p in found[:20])
        raise AssertionError(f"{where} does not satisfy its JSON Schema:\n  {shown}")


def file_problems(path: Path) -> list[str]:
    """`problems` of the JSON file ``path``; [] for a file that is not JSON (a test may
    write a broken one on purpose) or not a stance document."""
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return []
    return problems(doc)
