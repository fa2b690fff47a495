"""Pages of reports across kinds: the report list (``/reports/``) and the bureau admin's
reading figures (``/manage/readership/``). Both only read the kinds' registry
(``portal.report_index``) and the readings (``portal.readership``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import readership as reading
from . import report_index, selectors, waiting
from .charts import day_bars
from .report_index import ReportFilter
from .timefmt import format_date

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from .tenancy import Actor


def _style(form: forms.Form) -> None:
    """Bootstrap's small controls, each labelled for screen readers (the labels are not shown)."""
    for field in form.fields.values():
        css = (
            "form-select form-select-sm"
            if isinstance(field, forms.ChoiceField)
            else "form-control form-control-sm"
        )
        field.widget.attrs.update({"class": css, "aria-label": str(field.label)})


MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
PAGE_SIZE = 25


def _readable_bureaus(actor: Actor) -> list[tuple[str, str]]:
    """The bureaus whose reports the actor may read: every bureau for national units and
    centres (their published reports), else the actor's own."""
    if actor.is_system_admin or actor.reads_published:
        return [(b.code, f"{b.code} · {b.name_zh}") for b in selectors.bureau_list(actor=actor)]
    if actor.bureau is None:
        return []
    return [(actor.bureau.code, f"{actor.bureau.code} · {actor.bureau.name_zh}")]


class ReportListForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    month = forms.CharField(
        label=gettext_lazy("Month"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"}),
    )
    bureau = forms.ChoiceField(label=gettext_lazy("Bureau"), required=False)
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("月报, 十月, 2026-10, a title…")}),
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("all kinds"))] + [
            (k.key, str(k.label)) for k in report_index.kinds()
        ]
        self.fields["bureau"].choices = [("", _("all bureaus")), *_readable_bureaus(actor)]
        self.fields["state"].choices = [("", _("all states")), *report_index.states()]
        _style(self)

    def clean_month(self) -> dt.date | None:
        text = (self.cleaned_data.get("month") or "").strip()
        if not text:
            return None
        found = MONTH_RE.match(text)
        if found is None:
            raise forms.ValidationError(_("A month is written YYYY-MM, e.g. 2026-10."))
        return dt.date(int(found.group(1)), int(found.group(2)), 1)


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """Every report the actor may read, of every kind, newest first; or what waits for them."""
    actor = request.actor  # type: ignore[attr-defined]
    if actor is None:
        return render(request, "portal/no_role.html", status=403)
    form = ReportListForm(request.GET or None, actor=actor)
    report_keys = {k.key for k in report_index.kinds()}
    waiting_items = [i for i in waiting.waiting_for(actor) if i.kind in report_keys]
    tab = "waiting" if request.GET.get("tab") == "waiting" else "all"
    rows: list[report_index.ReportRow] = []
    parsed = report_index.ParsedQuery()
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    elif tab == "all":
        data = form.cleaned_data if form.is_bound else {}
        parsed = report_index.parse_query(data.get("q", ""))
        kind_keys = [data["kind"]] if data.get("kind") else list(parsed.kinds)
        month = data.get("month") or parsed.month
        rows = report_index.report_rows(
            actor=actor,
            kind_keys=kind_keys,
            report_filter=ReportFilter(
                month=month,
                month_of_year=None if month else parsed.month_of_year,
                bureau=data.get("bureau", ""),
                status=data.get("state", ""),
                q=parsed.q,
            ),
        )
    # The merged list is paginated in memory: fine up to some thousands of rows.
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    kept = {k: v for k, v in request.GET.items() if k in form.fields and k != "q" and v}
    labels = {k.key: k.label for k in report_index.kinds()}
    return render(
        request,
        "portal/report_list.html",
        {
            "form": form,
            "tab": tab,
            "page": page,
            "rows": [(row, labels.get(row.kind, row.kind)) for row in page],
            "parsed_parts": _parsed_parts(parsed, labels),
            "query": request.GET.get("q", "") if status == 200 else "",
            "extra_query": urlencode(kept) + "&" if kept else "",
            "waiting_items": waiting_items,
        },
        status=status,
    )


def _parsed_parts(parsed: report_index.ParsedQuery, labels: dict[str, Any]) -> list[str]:
    """What the search box was read as, in words (only where it named a kind or a month)."""
    if not (parsed.kinds or parsed.month or parsed.month_of_year):
        return []
    parts = []
    if parsed.kinds:
        parts.append(_("kind: %(kinds)s") % {"kinds": ", ".join(str(labels.get(k, k)) for k in parsed.kinds)})
    if parsed.month:
        parts.append(_("month: %(month)s") % {"month": format_date(parsed.month, style="month")})
    if parsed.month_of_year:
        parts.append(_("month %(m)s of any year") % {"m": parsed.month_of_year})
    if parsed.q:
        parts.append(_("title: %(words)s") % {"words": parsed.q})
    return parts


class ReadershipForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    days = forms.TypedChoiceField(label=gettext_lazy("Period"), required=False, coerce=int, empty_value=90)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("all kinds"))] + [
            (k.key, str(k.label)) for k in report_index.kinds()
        ]
        self.fields["days"].choices = [(str(n), _("last %(n)s days") % {"n": n}) for n in reading.PERIODS]
        self.fields["days"].initial = "90"
        _style(self)


@login_required
def readership_manage(request: HttpRequest) -> HttpResponse:
    """The bureau admin's page: views per day (larger), and the reports by views (paginated)."""
    actor = request.actor  # type: ignore[attr-defined]
    if actor is None:
        return render(request, "portal/no_role.html", status=403)
    if not reading.can_view_readership(actor):
        return render(
            request,
            "portal/error.html",
            {"message": _("Only a bureau administrator sees who read the bureau's reports.")},
            status=403,
        )
    form = ReadershipForm(request.GET or None)
    status = 200
    kind, days = "", 90
    if form.is_bound:
        if form.is_valid():
            kind, days = form.cleaned_data["kind"] or "", form.cleaned_data["days"] or 90
        else:
            status = 400
    points = reading.views_per_day(actor=actor, days=days, report_kind=kind)
    page = Paginator(reading.most_read(actor=actor, days=days, report_kind=kind), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    lines = reading.read_reports(actor=actor, entries=list(page), days=days)
    kept = {k: v for k, v in request.GET.items() if k in ("kind", "days") and v}
    return render(
        request,
        "portal/manage/readership.html",
        {
            "form": form,
            # a phone gets the panel's size (its text reads at phone size), wider screens more
            "phone_chart": day_bars(points),
            "chart": day_bars(points, width=900, height=260, labels=10, font_size=12),
            "page": page,
            "lines": lines,
            "days": days,
            "extra_query": urlencode(kept) + "&" if kept else "",
        },
        status=status,
    )
