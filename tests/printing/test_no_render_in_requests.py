"""No request renders a PDF: WeasyPrint runs in workers only (portal.documents, reports).

Views, APIs and consumers never name the PDF renderer; they serve stored files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ["portal", "disciplines", "catalog", "consultations", "products", "reports", "printing"]
RENDERER = re.compile(r"\b(render_pdf|write_pdf)\b|weasyprint|reporting import .*report_pdf", re.IGNORECASE)


def _request_modules() -> list[Path]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            if path.stem in ("views", "apis", "consumers") or path.parent.name in ("views", "apis"):
                found.append(path)
    return found


@pytest.mark.parametrize("path", _request_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_request_modules_do_not_render_pdfs(path: Path) -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if RENDERER.search(line) and not line.strip().startswith("#")
    ]
    assert offending == []


def test_the_scan_sees_the_pdf_views() -> None:
    names = {str(p.relative_to(ROOT)) for p in _request_modules()}
    assert {"consultations/views.py", "consultations/apis.py", "disciplines/views/verification.py"} <= names
