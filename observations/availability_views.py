"""Pages of data availability: the matrix of channels x UTC days, and the monthly QC
archives of a station (generate, download)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.exceptions import InvalidInput, NotFound, PermissionDenied
from portal.files import serve_file
from portal.pages import error_page, page
from portal.selectors import portal_disciplines

from . import availability_selectors as selectors
from . import selectors as master_selectors
from .services import qc_archive as archive_services

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from .availability_selectors import AvailabilityMatrix

CHANNELS_PER_PAGE = 50
_QC_ID = 999999999  # a placeholder id reversed once, replaced per cell


@functools.cache
def _qc_day_url_pattern() -> str:
    """The QC day page's URL with a placeholder id, or "" while that page does not exist
    (cells then link nowhere). Reversed once: 10,000 cells reverse nothing."""
    try:
        return reverse("observations:qc-day", args=[_QC_ID])
    except NoReverseMatch:
        return ""


def qc_day_url(qc_id: int) -> str:
    pattern = _qc_day_url_pattern()
    return pattern.replace(str(_QC_ID), str(int(qc_id))) if pattern else ""


def _cell_html(cell: selectors.AvailabilityCell | None, day_label: str) -> SafeString:
    if cell is None:
        return format_html('<td class="av-none" title="{}: {}"></td>', day_label, _("not checked"))
    marks = []
    if cell.reviewed:
        marks.append(_("reviewed"))
    elif cell.flagged:
        marks.append(_("flagged"))
    css = cell.css + (" av-reviewed" if cell.reviewed else " av-flagged" if cell.flagged else "")
    title = f"{day_label}: {cell.availability:.1f} %" + (f" · {marks[0]}" if marks else "")
    url = qc_day_url(cell.qc_id)
    if url:
        return format_html(
            '<td class="{}" data-qc="{}" title="{}"><a href="{}" aria-label="{}"></a></td>',
            css,
            cell.qc_id,
            title,
            url,
            title,
        )
    return format_html('<td class="{}" data-qc="{}" title="{}"></td>', css, cell.qc_id, title)


def matrix_rows_html(matrix: AvailabilityMatrix) -> SafeString:
    """The matrix body built in Python (as the zero-report matrix): 50 channels x 31 days.
    Every part comes out of ``format_html`` (escaped)."""
    language = get_language()
    labels = [d.isoformat() for d in matrix.days]
    parts: list[SafeString] = []
    previous_station = None
    for row in matrix.rows:
        channel = row.channel
        station = channel.station
        if station.pk != previous_station:
            parts.append(
                format_html(
                    '<tr class="av-station"><th scope="rowgroup" colspan="{}">'
                    '<a href="{}">{}</a> {}</th></tr>',
                    len(matrix.days) + 1,
                    station.get_absolute_url(),
                    station.code,
                    station.display_name(language),
                )
            )
            previous_station = station.pk
        name = channel.item.display_name(language) + (
            f" {channel.orientation}" if channel.orientation else ""
        )
        parts.append(
            format_html(
                '<tr data-channel="{}"><th scope="row" title="{} · {}">{} <span class="text-body-secondary">{}</span></th>',
                channel.pk,
                station.code,
                name,
                name,
                channel.item.code,
            )
        )
        parts.extend(_cell_html(cell, label) for cell, label in zip(row.cells, labels, strict=True))
        parts.append(mark_safe("</tr>"))
    # Joining loses the SafeString type, not the safety: each part above is escaped.
    return mark_safe("".join(parts))  # noqa: S308


@page
def availability_matrix(request: HttpRequest) -> HttpResponse:
    """``?month=YYYY-MM&station=&discipline=&item=&page=``: channels x UTC days of a month."""
    try:
        month = selectors.month_parse(request.GET.get("month"))
    except InvalidInput as exc:
        return error_page(request, exc.message, 400)
    station = (request.GET.get("station") or "").strip()[:16]
    discipline = (request.GET.get("discipline") or "").strip()[:32]
    item = (request.GET.get("item") or "").strip()[:16]
    channels = selectors.availability_channels(
        actor=request.actor, station=station or None, discipline=discipline or None, item=item or None
    )
    listing = Paginator(channels, CHANNELS_PER_PAGE).get_page(request.GET.get("page"))
    matrix = selectors.availability_matrix(actor=request.actor, channels=list(listing), month=month)
    filters = {"station": station, "discipline": discipline, "item": item}
    kept = {k: v for k, v in filters.items() if v}
    query = urlencode({"month": month.strftime("%Y-%m"), **kept})
    return render(
        request,
        "observations/availability.html",
        {
            "matrix": matrix,
            "rows_html": matrix_rows_html(matrix),
            "page": listing,
            "month": month,
            "previous_query": urlencode({"month": selectors.previous_month(month).strftime("%Y-%m"), **kept}),
            "next_query": urlencode({"month": selectors.next_month(month).strftime("%Y-%m"), **kept}),
            "extra_query": f"{query}&",
            "stations": master_selectors.station_options(actor=request.actor),
            "disciplines": portal_disciplines(),
            "items": master_selectors.item_list(),
            "good": selectors.GOOD,
            "fair": selectors.FAIR,
            **filters,
        },
    )


@page
@require_POST
def qc_archive_generate(request: HttpRequest, code: str) -> HttpResponse:
    """POST ``month=YYYY-MM``: ask for the station's archive of that month (a job)."""
    station = master_selectors.station_get(actor=request.actor, code=code)
    if station.bureau_id != request.actor.bureau_id and not request.actor.is_system_admin:
        raise NotFound()
    try:
        month = selectors.month_parse(request.POST.get("month"))
    except InvalidInput as exc:
        return error_page(request, exc.message, 400)
    if month > selectors.utc_today().replace(day=1):
        return error_page(request, _("month: a month that has not begun has no archive."), 400)
    try:
        archive_services.qc_archive_request(actor=request.actor, station=station, month=month)
    except PermissionDenied as exc:
        return error_page(request, exc.message, 403)
    messages.success(
        request,
        _("The QC archive of %(month)s is being generated; its state shows below.")
        % {"month": month.strftime("%Y-%m")},
    )
    return redirect(reverse("observations:station-detail", args=[station.code]) + "#qc-archives")


@page
def qc_archive_download(request: HttpRequest, archive_id: int) -> HttpResponse:
    """The archive's PDF, for the station's bureau (404 for anyone else)."""
    archive = selectors.qc_archive_get(actor=request.actor, archive_id=archive_id)
    document = archive_services.qc_archive_document(archive=archive)
    if document is None or not document.file:
        raise NotFound()
    filename = f"{archive.station.code}-QC-{archive.month:%Y-%m}.pdf"
    return serve_file(request, document.file, filename=filename, content_type="application/pdf")
