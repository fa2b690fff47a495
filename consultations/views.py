"""Pages of consultations: calendar, archive, meeting room, opinions, forecasts, reports."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.converters import parse_id
from portal.exceptions import InvalidTransition, NotFound, PermissionDenied, PortalError
from portal.files import serve_document, serve_file
from portal.models import Role
from portal.pages import error_page, page
from portal.readership import record_view
from portal.services import data_access_record_of

from . import permissions as perms
from . import selectors
from .forms import EmergencySettingsForm, ForecastForm, MeetingForm, OpinionForm, SearchForm
from .models import Likelihood, MeetingKind, ReportStatus, Vote
from .report_changes import report_changes
from .reporting import report_context, report_html
from .services import conclusion as conclusion_services
from .services import emergency as emergency_services
from .services import meetings as meeting_services
from .services import opinions as opinion_services
from .services import report_pdf as report_pdf_services
from .services import report_workflow as report_services


def _form_error(form: Any, exc: PortalError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


# --- calendar and archive ----------------------------------------------------------


@page
def calendar(request: HttpRequest) -> HttpResponse:
    """The month's meetings: a grid on wide screens, a list on phones."""
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
        month = int(request.GET.get("month", today.month))
        if not 1900 <= year <= 2200:
            raise ValueError(year)
        dt.date(year, month, 1)
    except (ValueError, OverflowError):  # OverflowError: a month of 20 digits
        year, month = today.year, today.month
    meetings = list(selectors.meeting_month(actor=request.actor, year=year, month=month))
    by_day: dict[dt.date, list[Any]] = {}
    for meeting in meetings:
        by_day.setdefault(timezone.localtime(meeting.starts_at).date(), []).append(meeting)
    weeks = [
        [
            {"date": d, "in_month": d.month == month, "meetings": by_day.get(d, []), "today": d == today}
            for d in week
        ]
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    ]
    previous = dt.date(year, month, 1) - dt.timedelta(days=1)
    following = dt.date(year, month, 28) + dt.timedelta(days=7)
    return render(
        request,
        "consultations/calendar.html",
        {
            "weeks": weeks,
            "meetings": meetings,
            "month_start": dt.date(year, month, 1),
            "previous": previous,
            "following": following,
            "can_create": perms.can_create_meeting(request.actor),
            "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        },
    )


@page
def archive(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        tz = timezone.get_current_timezone()
        data = form.cleaned_data
        filters = {
            "kind": data.get("kind") or None,
            "text": data.get("q") or None,
            "start": dt.datetime.combine(data["start"], dt.time.min, tzinfo=tz)
            if data.get("start")
            else None,
            "end": dt.datetime.combine(data["end"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
            if data.get("end")
            else None,
        }
    qs = selectors.meeting_list(actor=request.actor, **filters)
    page_obj = Paginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "consultations/archive.html",
        {"form": form, "page": page_obj, "extra_query": query.urlencode() + "&" if query else ""},
    )


# --- meetings ----------------------------------------------------------------------


@page
def meeting_new(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not perms.can_create_meeting(actor):
        return error_page(
            request, _("Only a chair or a forecaster can schedule a consultation meeting."), 403
        )
    bureaus = selectors.partner_bureaus(actor=actor)
    if request.method == "POST":
        # people of the partner bureaus may be chosen once the bureaus are known
        codes = request.POST.getlist("joint_bureaus")
        ids = [actor.bureau_id, *[i for i in map(parse_id, codes) if i is not None]]
        form = MeetingForm(request.POST, bureau_ids=ids, bureaus=bureaus)
        if form.is_valid():
            try:
                meeting = meeting_services.meeting_create(
                    actor=actor, representatives=form.representatives(), **form.without_representatives()
                )
            except PortalError as exc:
                _form_error(form, exc)
            else:
                return redirect(meeting.get_absolute_url())
    else:
        form = MeetingForm(
            bureau_ids=[actor.bureau_id],
            bureaus=bureaus,
            initial={"chair": actor.user.pk, "kind": request.GET.get("kind", MeetingKind.MONTHLY)},
        )
    return render(request, "consultations/meeting_form.html", {"form": form, "meeting": None})


@page
def meeting_edit(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
    if not perms.can_manage_meeting(request.actor, meeting):
        return error_page(
            request, _("Only the chair or a forecaster of the meeting's bureau can change it."), 403
        )
    bureau_ids = sorted(perms.meeting_bureau_ids(meeting))
    if request.method == "POST":
        form = MeetingForm(request.POST, bureau_ids=bureau_ids, editing=True)
        if form.is_valid():
            try:
                meeting_services.meeting_update(
                    actor=request.actor,
                    meeting=meeting,
                    representatives=form.representatives(),
                    **form.without_representatives(),
                )
            except PortalError as exc:
                _form_error(form, exc)
            else:
                return redirect(meeting.get_absolute_url())
    else:
        form = MeetingForm(
            bureau_ids=bureau_ids,
            editing=True,
            initial={
                "title": meeting.title,
                "starts_at": timezone.localtime(meeting.starts_at),
                "ends_at": timezone.localtime(meeting.ends_at) if meeting.ends_at else None,
                "place": meeting.place,
                "chair": meeting.chair_id,
                "recorder": meeting.recorder_id,
                "participants": list(meeting.participants.all()),
                "agenda": meeting.agenda,
                **{
                    f"rep_{r.discipline.code}": r.user_id
                    for r in meeting.representatives.select_related("discipline")
                },
            },
        )
    return render(request, "consultations/meeting_form.html", {"form": form, "meeting": meeting})


@page
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The live room: presence, opinions, conclusion draft, forecasts, comments, votes."""
    actor = request.actor
    meeting = selectors.meeting_get(actor=actor, meeting_id=meeting_id)
    opinions = list(selectors.opinion_list(actor=actor, meeting=meeting))
    conclusion = selectors.conclusion_of(meeting=meeting)
    forecasts = list(conclusion.forecasts.all()) if conclusion else []
    tally = selectors.vote_tally(meeting=meeting)
    my_vote = next((v for v in tally["votes"] if v.user_id == request.user.pk), None)
    opinion_geo = [
        {"discipline": o.discipline.name_zh, "geometry": json.loads(o.regions.geojson)}
        for o in opinions
        if o.regions
    ]
    forecast_geo = [
        {
            "id": f.pk,
            "label": f"{f.window_start}–{f.window_end} M{f.min_magnitude}",
            "likelihood": f.likelihood,
            "geometry": json.loads(f.region.geojson),
        }
        for f in forecasts
    ]
    return render(
        request,
        "consultations/meeting_detail.html",
        {
            "meeting": meeting,
            "opinions": opinions,
            "conclusion": conclusion,
            "forecasts": forecasts,
            "tally": tally,
            "my_vote": my_vote,
            "comments": meeting.comments.select_related("author").order_by("-id")[:50][::-1],
            "materials": list(meeting.materials.all()),
            "reports": list(selectors.reports_of_meeting(actor=actor, meeting=meeting)),
            "history": selectors.meeting_audit(meeting=meeting)[:30],
            "joint": list(meeting.joint_bureaus.all()),
            "participants": list(meeting.participants.all()),
            "representatives": list(meeting.representatives.select_related("discipline", "user")),
            "can_chair": perms.can_chair_meeting(actor, meeting),
            "can_manage": perms.can_manage_meeting(actor, meeting),
            "can_take_part": perms.can_take_part(actor, meeting),
            "can_opine": any(
                perms.can_give_opinion(actor, meeting, code)
                for code in ("seismology", "deformation", "fluid", "electromagnetism")
            ),
            "can_report": actor.bureau_id == meeting.bureau_id
            and (actor.has_role(Role.FORECASTER) or actor.has_role(Role.CHAIR)),
            "map_data": {"opinions": opinion_geo, "forecasts": forecast_geo, "labels": _room_labels()},
            "ws_path": f"/ws/consultations/meetings/{meeting.pk}/",
        },
    )


def _room_labels() -> dict[str, Any]:
    """Words the room's script shows, translated here (the script has no catalogue)."""
    return {
        "likelihood": {k: str(v) for k, v in Likelihood.choices},
        "vote": {k: str(v) for k, v in Vote.Choice.choices},
        "revision": _("revision"),
        "live": _("live"),
        "offline": _("reconnecting…"),
        "saved": _("Saved; everyone in the room sees it."),
        "refused": _("You cannot join this room."),
    }


@page
@require_POST
def meeting_status(request: HttpRequest, meeting_id: int, action: str) -> HttpResponse:
    meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
    service = {"open": meeting_services.meeting_open, "close": meeting_services.meeting_close}.get(action)
    if service is None:
        return error_page(request, _("Not found."), 404)
    try:
        service(actor=request.actor, meeting=meeting)
    except PermissionDenied:
        raise  # the 403 page (``page``), not a message on a page the person may not act on
    except PortalError as exc:
        messages.error(request, exc.message)
    return redirect(meeting.get_absolute_url())


@page
@require_POST
def material_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
    try:
        meeting_services.material_attach(
            actor=request.actor,
            meeting=meeting,
            kind=request.POST.get("kind", ""),
            title=request.POST.get("title", ""),
            object_id=request.POST.get("object_id", ""),
            url=request.POST.get("url", ""),
            file=request.FILES.get("file"),
        )
    except PermissionDenied:
        raise  # the 403 page (``page``): a viewer reads, never adds
    except PortalError as exc:
        messages.error(request, exc.message)
    return redirect(meeting.get_absolute_url() + "#materials")


@page
def material_file(request: HttpRequest, material_id: int) -> HttpResponse:
    """A material's file, to people who may read the meeting (never a public /media/ path)."""
    material = selectors.material_get(actor=request.actor, material_id=material_id)
    if not material.file:
        raise NotFound()
    suffix = material.file.name.rsplit(".", 1)[-1]
    title = material.title.replace("/", " ").replace("\\", " ")  # a title, not a path
    return serve_file(request, material.file, filename=f"{title}.{suffix}")


def _draw_context(meeting: Any) -> dict[str, Any]:
    return {"highlight": meeting.bureau.code}


@page
def opinion_edit(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """Submit or revise the discipline opinion, drawing regions on the map."""
    actor = request.actor
    meeting = selectors.meeting_get(actor=actor, meeting_id=meeting_id)
    from portal.models import DISCIPLINE_NAMES_ZH

    allowed = [
        (code, str(name))
        for code, name in DISCIPLINE_NAMES_ZH.items()
        if perms.can_give_opinion(actor, meeting, code)
    ]
    if not allowed:
        return error_page(request, _("Only discipline experts of the meeting's bureaus give opinions."), 403)
    opinions = {
        o.discipline.code: o
        for o in selectors.opinion_list(actor=actor, meeting=meeting)
        if o.bureau_id == actor.bureau_id
    }
    code = request.POST.get("discipline") or request.GET.get("discipline") or allowed[0][0]
    current = opinions.get(code)
    citable = selectors.citable_anomalies(actor=actor, discipline=code)
    cited_ids = {a["id"] for a in current.anomalies_cited} if current else set()
    if request.method == "POST":
        form = OpinionForm(request.POST, disciplines=allowed)
        if form.is_valid():
            data = form.cleaned_data
            try:
                opinion_services.opinion_submit(
                    actor=actor,
                    meeting=meeting,
                    discipline=data["discipline"],
                    summary=data["summary"],
                    anomalies_cited=[
                        *(a for a in citable if a["id"] in request.POST.getlist("cite")),
                        *form.anomalies_cited(),
                    ],
                    window_start=data.get("window_start"),
                    window_end=data.get("window_end"),
                    regions=data.get("regions") or None,
                    min_magnitude=data.get("min_magnitude"),
                    max_magnitude=data.get("max_magnitude"),
                    likelihood=data.get("likelihood") or "",
                )
            except PortalError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("Opinion submitted."))
                return redirect(meeting.get_absolute_url() + "#opinions")
    else:
        initial: dict[str, Any] = {"discipline": code}
        if current:
            initial.update(
                summary=current.summary,
                # the linked anomalies are ticked in the list; the rest are lines of text
                anomalies="\n".join(
                    f"{a['title']} {a['url']}".strip() for a in current.anomalies_cited if not a.get("id")
                ),
                window_start=current.window_start,
                window_end=current.window_end,
                min_magnitude=current.min_magnitude,
                max_magnitude=current.max_magnitude,
                likelihood=current.likelihood,
                regions=current.regions.geojson if current.regions else "",
            )
        form = OpinionForm(initial=initial, disciplines=allowed)
    return render(
        request,
        "consultations/opinion_form.html",
        {
            "form": form,
            "meeting": meeting,
            "current": current,
            "citable": citable,
            "cited_ids": cited_ids,
            **_draw_context(meeting),
        },
    )


@page
def forecast_new(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
    if not perms.can_chair_meeting(request.actor, meeting):
        return error_page(request, _("Only the meeting's chair writes the conclusion."), 403)
    if request.method == "POST":
        form = ForecastForm(request.POST)
        if form.is_valid():
            try:
                conclusion_services.forecast_add(actor=request.actor, meeting=meeting, **form.cleaned_data)
            except PortalError as exc:
                _form_error(form, exc)
            else:
                return redirect(meeting.get_absolute_url() + "#forecasts")
    else:
        today = timezone.localdate()
        form = ForecastForm(initial={"window_start": today, "window_end": today + dt.timedelta(days=30)})
    return render(
        request,
        "consultations/forecast_form.html",
        {"form": form, "meeting": meeting, **_draw_context(meeting)},
    )


@page
@require_POST
def forecast_delete(request: HttpRequest, meeting_id: int, forecast_id: int) -> HttpResponse:
    meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
    try:
        conclusion_services.forecast_remove(actor=request.actor, meeting=meeting, forecast_id=forecast_id)
    except PortalError as exc:
        messages.error(request, exc.message)
    return redirect(meeting.get_absolute_url() + "#forecasts")


# --- reports -----------------------------------------------------------------------


@page
@require_POST
def report_start(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
    try:
        report = report_services.report_create(actor=request.actor, meeting=meeting)
    except PortalError as exc:
        messages.error(request, exc.message)
        return redirect(meeting.get_absolute_url())
    return redirect("consultations:report-detail", report.pk)


@page
def report_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in (None, *ReportStatus.values):
        status = None
    qs = selectors.report_list(actor=request.actor, status=status, text=request.GET.get("q") or None)
    page_obj = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "consultations/report_list.html",
        {
            "page": page_obj,
            "status": status,
            "statuses": ReportStatus.choices,
            "query": request.GET.get("q", ""),
            "extra_query": f"status={status}&" if status else "",
        },
    )


TRANSITION_SERVICES = {
    "submit": report_services.report_submit,
    "return": report_services.report_return,
    "review": report_services.report_review,
    "sign-off": report_services.report_sign_off,
    "issue": report_services.report_issue,
    "archive": report_services.report_archive,
}


#: How each step's button looks; the steps themselves and their words are the workflow's.
ACTION_STYLES = {
    "submit": "primary",
    "review": "primary",
    "return": "outline-danger",
    "sign_off": "success",
    "issue": "success",
    "archive": "secondary",
}


def _report_actions(actor: Any, report: Any) -> list[tuple[str, str, str]]:
    """(form action, button words, style) of the steps the actor may take now; the services re-check."""
    workflow = report_services.WORKFLOW
    return [
        (
            action.replace("_", "-"),
            str(workflow.transitions[action].button),
            ACTION_STYLES.get(action, "secondary"),
        )
        for action in workflow.allowed_actions(actor, report)
    ]


def _report_reading(report: Any) -> dict[str, Any]:
    """What the reviewer reads on the page: the content (labels in words) and its regions
    as GeoJSON for the map."""
    context = report_context(report, with_map=False)
    content = context["content"]
    regions = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": f["region"],
                "properties": {"n": i, "likelihood": f.get("likelihood", "")},
            }
            for i, f in enumerate(content.get("forecasts", []), 1)
        ],
    }
    return {"content": content, "starts_at": context["starts_at"], "regions": regions}


@page
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    actor = request.actor
    report = selectors.report_get(actor=actor, report_id=report_id)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "correct":
                correction = report_services.report_correct(
                    actor=actor, report=report, note=request.POST.get("comment", "")
                )
                return redirect("consultations:report-detail", correction.pk)
            if action == "edit":
                report_services.report_update(
                    actor=actor,
                    report=report,
                    title=request.POST.get("title"),
                    number=request.POST.get("number"),
                )
            elif action in TRANSITION_SERVICES:
                TRANSITION_SERVICES[action](
                    actor=actor, report=report, comment=request.POST.get("comment", "")
                )
            else:
                return error_page(request, _("Unknown action."), 400)
        except PortalError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Done."))
        return redirect("consultations:report-detail", report.pk)
    versions = list(selectors.reports_of_meeting(actor=actor, meeting=report.meeting))
    _record(request, report)  # before the page: its readers table counts this reading
    return render(
        request,
        "consultations/report_detail.html",
        {
            "report": report,
            "meeting_visible": selectors.meeting_is_visible(actor=actor, meeting=report.meeting),
            "actions": _report_actions(actor, report),
            "can_edit": not report.is_frozen
            and report.status in (ReportStatus.DRAFT, ReportStatus.RETURNED)
            and perms.can_draft_report(actor, report),
            "can_correct": report.is_frozen and perms.can_draft_report(actor, report),
            "history": selectors.report_audit(report=report),
            "versions": versions,
            "version_ids": [v.pk for v in versions],
            **_report_reading(report),
            "changes": report_changes(report),
        },
    )


def _record(request: HttpRequest, report: Any, *, pdf: bool = False) -> None:
    """A reading of the report served (after ``report_get``: never a 404 or 403)."""
    record_view(
        request=request,
        report_kind="consultation_report",
        report_id=report.pk,
        bureau_id=report.bureau_id,
        version=report.version,
        pdf=pdf,
    )


@page
def report_read(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report as a phone-friendly page (the same template the PDF prints)."""
    report = selectors.report_get(actor=request.actor, report_id=report_id)
    response = HttpResponse(report_html(report))
    _record(request, report)
    return response


@page
def report_download(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report's PDF, rendered in a worker (services.report_pdf): the stored file when it is
    ready, else a page that says how far it is and reloads; POST renders a failed one again."""
    report = selectors.report_get(actor=request.actor, report_id=report_id)
    if request.method == "POST":
        try:
            report_pdf_services.report_pdf_retry(actor=request.actor, report=report)
        except InvalidTransition as exc:  # not failed (any more): the page shows how it is
            messages.error(request, exc.message)
        return redirect("consultations:report-pdf", report.pk)
    document = report_pdf_services.report_pdf_document(actor=request.actor, report=report)
    response = serve_document(
        request,
        document,
        filename=f"consultation-report-{report.pk}-v{report.version}.pdf",
        title=report.title,
        can_retry=report_pdf_services.can_retry_report_pdf(request.actor, report),
        back_url=reverse("consultations:report-detail", args=[report.pk]),
    )
    if response.status_code == 200:  # the PDF itself, not the page saying it is on its way
        _record(request, report, pdf=True)
        data_access_record_of(
            actor=request.actor, target=report, how="download"
        )  # another bureau's, by a grant
    return response


# --- emergency settings ------------------------------------------------------------


@page
def emergency_settings(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if actor.bureau is None or not (actor.has_role(Role.BUREAU_ADMIN) or actor.has_role(Role.CHAIR)):
        return error_page(request, _("Only the bureau admin or a chair sets the emergency rule."), 403)
    current = selectors.emergency_settings_for(bureau=actor.bureau)
    if request.method == "POST":
        form = EmergencySettingsForm(request.POST, bureau_ids=[actor.bureau_id])
        if form.is_valid():
            try:
                emergency_services.emergency_settings_save(actor=actor, **form.cleaned_data)
            except PortalError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(reverse("consultations:emergency-settings"))
    else:
        initial = (
            {"emergency_magnitude": current.emergency_magnitude, "on_duty": list(current.on_duty.all())}
            if current
            else {"emergency_magnitude": "5.0"}
        )
        form = EmergencySettingsForm(initial=initial, bureau_ids=[actor.bureau_id])
    return render(request, "consultations/emergency_settings.html", {"form": form})
