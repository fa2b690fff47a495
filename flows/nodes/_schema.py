"""Small builders of the JSON schemas of node parameters."""

from __future__ import annotations

from typing import Any


def obj(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def num(
    default: Any = None,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    nullable: bool = False,
    description: str = "",
    kind: str = "number",
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": [kind, "null"] if nullable else kind, "description": description}
    if default is not None or nullable:
        schema["default"] = default
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def integer(
    default: Any = None, minimum: int | None = None, maximum: int | None = None, **kw: Any
) -> dict[str, Any]:
    return num(default, minimum, maximum, kind="integer", **kw)


def string(
    default: str | None = None, *, max_length: int = 200, enum: tuple[str, ...] = (), description: str = ""
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length, "description": description}
    if default is not None:
        schema["default"] = default
    if enum:
        schema["enum"] = list(enum)
    return schema


def boolean(default: bool, description: str = "") -> dict[str, Any]:
    return {"type": "boolean", "default": default, "description": description}


def from_method_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A product method's parameter spec (products.methods.spec: type, default, minimum,
    maximum, enum, nullable, format) as a JSON schema property."""
    kind = spec["type"]
    schema: dict[str, Any] = {
        "type": [kind, "null"] if spec.get("nullable") or spec.get("default") is None else kind
    }
    for key in ("minimum", "maximum", "enum", "description", "format"):
        if key in spec:
            schema[key] = spec[key]
    if "enum" in schema and None in (spec.get("default"),) and spec.get("nullable"):
        schema["enum"] = [*schema["enum"], None]
    schema["default"] = spec.get("default")
    if kind == "string" and "enum" not in spec:
        schema["maxLength"] = 200
    return schema
