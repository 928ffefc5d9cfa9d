"""Tidying of the generated OpenAPI schema, so that /docs reads cleanly.

Pydantic writes an optional value as ``anyOf: [<the type>, {type: null}]``, which Swagger UI
shows as ``string | (string | null)($date)``. A query or header parameter cannot be null at
all (it is absent or a string), so there it is just the type; a body field may be sent as
``null``, so there it becomes one schema whose ``type`` allows null (OpenAPI 3.1), which
keeps the contract exact for clients and for schemathesis.
"""

from typing import Any

_NULL = {"type": "null"}


def openapi_tidy(schema: dict[str, Any]) -> dict[str, Any]:
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _without_null(parameter["schema"])
    for component in schema.get("components", {}).get("schemas", {}).values():
        properties = component.get("properties", {})
        for name, prop in properties.items():
            properties[name] = _nullable_type(prop)
    return schema


def _split(prop: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(the non-null alternative, the other keys) of ``anyOf: [X, null]``, else None."""
    options = prop.get("anyOf")
    if not isinstance(options, list) or len(options) != 2 or _NULL not in options:
        return None
    (alternative,) = [option for option in options if option != _NULL]
    return alternative, {key: value for key, value in prop.items() if key != "anyOf"}


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    parts = _split(prop)
    if parts is None:
        return prop
    alternative, rest = parts
    return {**alternative, **rest}


def _nullable_type(prop: dict[str, Any]) -> dict[str, Any]:
    parts = _split(prop)
    if parts is None or not isinstance(parts[0].get("type"), str):
        return prop  # a $ref or a union of objects keeps its anyOf
    alternative, rest = parts
    return {**alternative, **rest, "type": [alternative["type"], "null"]}
