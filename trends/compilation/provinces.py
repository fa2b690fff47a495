"""Section 8 (national units only): the provinces' trend reports of the month.

The issued or archived reports the unit reads (``TrendReport.objects.visible_to``), the
latest version of each province, with their seismicity counts and opinion text; and the
active provinces that have not issued one yet."""

from __future__ import annotations

from django.urls import reverse

from . import CompileContext, Compiled, compiler, queries


@compiler("provinces")
def compile_provinces(context: CompileContext) -> Compiled:
    reports = queries.province_reports(context.reader, context.bureau, context.month)
    sections = queries.sections_of(reports, ["seismicity", "opinion"])
    rows = []
    for report in reports:
        seismicity = sections.get((report.pk, "seismicity"))
        opinion = sections.get((report.pk, "opinion"))
        rows.append(
            {
                "id": report.pk,
                "bureau": report.bureau.code,
                "bureau_name": report.bureau.name_zh,
                "title": report.title,
                "number": report.number,
                "status": report.status,
                "version": report.version,
                "issued_at": report.issued_at.isoformat() if report.issued_at else None,
                "url": reverse("trends:report-detail", args=[report.pk]),
                "counts": (seismicity.data or {}).get("counts", {}) if seismicity else {},
                "n_events": (seismicity.data or {}).get("n_events") if seismicity else None,
                "opinion": opinion.text if opinion else "",
            }
        )
    issued = {row["bureau"] for row in rows}
    missing = [
        {"bureau": b.code, "bureau_name": b.name_zh}
        for b in queries.provincial_bureaus()
        if b.code not in issued and b.pk != context.bureau.pk
    ]
    data = {
        "month": context.month.strftime("%Y-%m"),
        "reports": rows,
        "n_issued": len(rows),
        "not_issued": missing,
    }
    return Compiled(data=data, n_events=None, figures=[])
