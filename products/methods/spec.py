"""How a method is described: its :class:`Method` record and the builders of its parameter
schema (``_num``, ``_int``, ``_enum``, ``_bool``), shared by the seismology registry and the
discipline packages that register methods beside it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass(frozen=True)
class Method:
    name: str
    title_zh: str
    title_en: str
    description: str
    params: dict[str, dict[str, Any]]
    input: str  # "catalog" | "sequence" | "forecasts" | "series"
    discipline: str = "seismology"
    # how many series a "series" method takes (e.g. 2..50 for methods comparing stations)
    series_min: int = 0
    series_max: int = 0
    input_fields: tuple[str, ...] = ()
    optional_fields: tuple[str, ...] = ()
    func: Callable[..., dict[str, Any]] | None = field(default=None, repr=False, compare=False)
    figure: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
    # The same name's form over observation series, where a discipline uses the name too
    # (rate_change: Habermann's z on a catalog, a hinge fit on a tilt series; lurr: Benioff
    # strain of a catalog, or geomagnetic data). A request with ``series`` runs this form.
    series_form: Method | None = field(default=None, repr=False, compare=False)


def _num(
    default: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    nullable: bool = False,
    description: str = "",
    kind: str = "number",
) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": kind, "default": default, "description": description}
    if minimum is not None:
        spec["minimum"] = minimum
    if maximum is not None:
        spec["maximum"] = maximum
    if nullable:
        spec["nullable"] = True
    return spec


def _int(default: Any, minimum: int | None = None, maximum: int | None = None, **kw: Any) -> dict[str, Any]:
    return _num(default, minimum, maximum, kind="integer", **kw)


def _enum(default: str, values: tuple[str, ...], description: str = "") -> dict[str, Any]:
    return {"type": "string", "default": default, "enum": list(values), "description": description}


def _bool(default: bool, description: str = "") -> dict[str, Any]:
    return {"type": "boolean", "default": default, "description": description}
