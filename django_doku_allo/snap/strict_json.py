"""The one strict JSON reader for everything that arrives from outside.

DOKU's bodies, our own notification endpoint's and the simulator's all go
through :func:`parse_json_object`: UTF-8 only, an object at the top, no
``NaN``/``Infinity`` (not JSON, and they would break amounts), and no duplicate
keys (two parsers could otherwise disagree on which value was signed).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MalformedJson", "parse_json_object", "reject_constant"]


class MalformedJson(ValueError):
    """The text is not the strict JSON object a SNAP body must be."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        raise MalformedJson("duplicate key")
    return dict(pairs)


def reject_constant(name: str) -> Any:
    """``parse_constant`` hook: NaN and the infinities are not JSON."""
    raise MalformedJson(f"JSON constant {name} is not allowed in a SNAP body")


def parse_json_object(raw: bytes | str) -> dict[str, Any]:
    """Strict JSON: UTF-8, an object, no NaN/Infinity, no duplicate keys, bounded depth."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text, object_pairs_hook=_no_duplicates,
                          parse_constant=reject_constant)
    except MalformedJson:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedJson(str(exc)[:100]) from exc
    if not isinstance(data, dict):
        raise MalformedJson("not a JSON object")
    return data
