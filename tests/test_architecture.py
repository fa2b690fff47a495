"""Layering rules (../shared/STYLE.md §2 and §4), held by tests.

* Interfaces (views, APIs, consumers, tasks) do not query models directly:
  they fetch through selectors and act through services.
* Workflow states change only in services: ``.status =`` / ``.state =`` appear
  nowhere else.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["portal", "disciplines", "catalog", "consultations", "products", "reports"]
INTERFACE_NAMES = ("views", "apis", "consumers", "tasks", "fdsn", "api")


def _python_files(app: str) -> list[Path]:
    return sorted(p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)


def _interfaces() -> list[Path]:
    found = []
    for app in APPS:
        for path in _python_files(app):
            stem = path.stem
            parent = path.parent.name
            if (
                stem in INTERFACE_NAMES
                or stem.endswith(("_views", "_apis", "_consumers", "_tasks"))
                or parent in ("views", "apis", "consumers")
            ):
                found.append(path)
    return found


@pytest.mark.parametrize("path", _interfaces(), ids=lambda p: str(p.relative_to(ROOT)))
def test_interfaces_do_not_query_models_directly(path: Path) -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ".objects." in line and not line.strip().startswith("#")
    ]
    assert offending == []


STATE_ASSIGNMENT = re.compile(
    r"(?<!self)\.(status|state)\s*=[^=]"
)  # an exception or value object may set its own


def _non_service_files() -> list[Path]:
    files = []
    for app in APPS:
        for path in _python_files(app):
            if path.stem == "services" or path.parent.name == "services" or path.stem.endswith("_services"):
                continue
            files.append(path)
    return files


def test_workflow_states_change_only_in_services() -> None:
    offending = []
    for path in _non_service_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if STATE_ASSIGNMENT.search(line) and not line.strip().startswith("#"):
                offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offending == []


def test_the_architecture_test_sees_the_interfaces() -> None:
    names = {str(p.relative_to(ROOT)) for p in _interfaces()}
    assert {"portal/views.py", "portal/apis.py", "portal/consumers.py", "portal/tasks.py"} <= names
