"""Compiling a monthly trend report: one compiler per section, each a pure read of what the
apps below hold for one bureau and one month, returning JSON data, figures and a count.

    compile_section(key, context) -> Compiled

The sections of a report, in order, are ``sections_for(bureau)``: the seven of every bureau
(``SECTION_KEYS``) and, for a national unit, the provinces' issued reports. Each compiler is
registered by its module with ``@compiler(key)``; the modules are imported at the bottom of
this file, so importing the package registers them all.

The compilers never write the report: ``trends.services`` stores what they return, so a
compilation that fails leaves the sections as they were. One exception to "pure read": the
products section computes the month's missing product runs (stored as the products app's
runs, requested as the system for the bureau; see ``product_runs``).

``compile_all(context)`` compiles every section of the bureau's report (dry runs, benchmarks).
The reads are in ``queries`` (each from ``visible_to(context.reader)``); the month is
[first day 00:00, next month's first day 00:00) Beijing time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from datetime import date

    from django.utils.functional import Promise

    from portal.models import Bureau
    from portal.tenancy import Actor


@dataclass(frozen=True)
class Figure:
    name: str  # a slug, unique within the section ("epicentres", "m_t", "cumulative")
    title: str
    png: bytes


@dataclass
class Compiled:
    data: dict[str, Any]  # plain JSON
    n_events: int | None = None  # how many catalog events the data came from (None: not from events)
    figures: list[Figure] = field(default_factory=list)


@dataclass(frozen=True)
class CompileContext:
    bureau: Bureau
    month: date  # first day of the month compiled
    reader: Actor  # what the bureau reads (portal.tenancy.bureau_reader): every read goes through it
    report_id: int | None = None  # the report being compiled (None: a dry run, a benchmark)
    version: int = 1
    # progress(percent 0-100, note): long sections report as they go
    progress: Callable[[int, str], None] = lambda percent, note: None


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: Promise | str


SECTION_SPECS: list[SectionSpec] = [
    SectionSpec("seismicity", _("Seismicity of the month")),
    SectionSpec("products", _("Products")),
    SectionSpec("anomalies", _("Anomalies by discipline")),
    SectionSpec("zero_reports", _("Zero-reports")),
    SectionSpec("last_forecast", _("Last month's forecast, scored")),
    SectionSpec("meeting", _("The monthly meeting")),
    SectionSpec("opinion", _("Trend opinion for the next month")),
]
NATIONAL_SPECS: list[SectionSpec] = [SectionSpec("provinces", _("The provinces' reports"))]
SECTION_KEYS: list[str] = [spec.key for spec in SECTION_SPECS]

Compiler = Callable[[CompileContext], Compiled]
_COMPILERS: dict[str, Compiler] = {}


def compiler(key: str) -> Callable[[Compiler], Compiler]:
    def register(func: Compiler) -> Compiler:
        _COMPILERS[key] = func
        return func

    return register


def sections_for(bureau: Bureau) -> list[SectionSpec]:
    """The sections of a bureau's report, in order (national units add the provinces')."""
    return [*SECTION_SPECS, *(NATIONAL_SPECS if bureau.kind == bureau.Kind.NATIONAL else [])]


def section_title(key: str) -> str:
    for spec in [*SECTION_SPECS, *NATIONAL_SPECS]:
        if spec.key == key:
            return str(spec.title)
    return key


def has_compiler(key: str) -> bool:
    return key in _COMPILERS


def compile_section(key: str, context: CompileContext) -> Compiled:
    return _COMPILERS[key](context)


def compile_all(context: CompileContext) -> dict[str, Compiled]:
    """Every section of the bureau's report, in order (dry runs, benchmarks)."""
    return {spec.key: compile_section(spec.key, context) for spec in sections_for(context.bureau)}


# The compilers register themselves on import (one module per section).
from . import (  # noqa: E402, F401
    anomaly_table,
    forecast_scoring,
    monthly_meeting,
    product_runs,
    provinces,
    seismicity,
    zero_report_table,
)
