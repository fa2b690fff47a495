"""Pages of the forecast-skill test: the ranking of a bureau's channels with the Molchan
diagram, a channel's alarms and quakes on a time line, the parameters (bureau admin) and the
recompute button."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.exceptions import PermissionDenied, PortalError
from portal.pages import page

from . import permissions, selectors, services
from .charts import molchan_chart, timeline
from .forms import SkillSettingsForm

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

PER_PAGE = 25


def _discipline_name(discipline: object) -> str:
    english = (get_language() or "").startswith("en")
    return str(getattr(discipline, "name_en" if english else "name_zh", ""))


@page
def ranking(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    disciplines = list(selectors.discipline_list())
    discipline = request.GET.get("discipline", "")
    if discipline not in {d.code for d in disciplines}:
        discipline = ""
    bureaus = selectors.score_bureaus(actor=actor)
    bureau = request.GET.get("bureau", "")
    if bureau not in {b.code for b in bureaus}:
        bureau = ""
    scores = selectors.score_list(actor=actor, discipline=discipline, bureau=bureau)
    page_obj = Paginator(scores, PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page_obj)
    labels = {s.pk: f"{s.channel.station.code} {s.channel.item.code}" for s in rows}
    urls = {s.pk: reverse("skill:channel", args=[s.channel_id]) for s in rows}
    kept = urlencode({k: v for k, v in {"discipline": discipline, "bureau": bureau}.items() if v})
    return render(
        request,
        "skill/ranking.html",
        {
            "page": page_obj,
            "rows": rows,
            "chart": molchan_chart(rows, labels=labels, urls=urls),
            "disciplines": [(d.code, _discipline_name(d)) for d in disciplines],
            "discipline": discipline,
            "bureaus": bureaus,
            "bureau": bureau,
            "extra_query": f"{kept}&" if kept else "",
            "params": selectors.skill_params_all(bureau=actor.bureau) if actor.bureau else [],
            "can_recompute": permissions.can_recompute_skill(actor),
            "can_manage": permissions.can_manage_skill_settings(actor),
            "computed_at": max((s.computed_at for s in rows), default=None),
        },
    )


@page
def channel(request: HttpRequest, channel_id: int) -> HttpResponse:
    actor = request.actor
    score = selectors.score_get(actor=actor, channel_id=channel_id)
    alarms = selectors.score_anomalies(actor=actor, score=score)
    events = selectors.score_events(actor=actor, score=score)
    anomaly_urls = {a.pk: reverse("disciplines:anomaly-detail", args=[a.pk]) for a in alarms}
    event_urls = {e.pk: e.get_absolute_url() for e in events}
    hits = set(score.hit_anomaly_ids)
    predicted = set(score.hit_event_ids)
    return render(
        request,
        "skill/channel.html",
        {
            "score": score,
            "channel": score.channel,
            "alarms": [(a, a.pk in hits) for a in alarms],
            "events": [(e, e.pk in predicted) for e in events],
            "chart": timeline(score, alarms, events, anomaly_urls=anomaly_urls, event_urls=event_urls),
            "discipline_name": _discipline_name(score.discipline),
        },
    )


@page
def settings_page(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not permissions.can_manage_skill_settings(actor):
        raise PermissionDenied(_("Only a bureau administrator changes these settings."))
    disciplines = [(d.code, _discipline_name(d)) for d in selectors.discipline_list()]
    current = selectors.skill_params_all(bureau=actor.bureau)
    initial = {}
    if current:
        first = current[0]
        initial = {
            "discipline": first.discipline.code,
            "magnitude": first.magnitude,
            "radius_km": first.radius_km,
            "days": first.days,
        }
    form = SkillSettingsForm(request.POST or None, initial=initial, disciplines=disciplines)
    if request.method == "POST" and form.is_valid():
        try:
            services.skill_settings_update(actor=actor, **form.cleaned_data)
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Settings saved. They apply from the next scoring."))
            return redirect("skill:settings")
    return render(
        request,
        "skill/settings.html",
        {"form": form, "current": [(p, _discipline_name(p.discipline)) for p in current]},
    )


@page
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    services.recompute_request(actor=request.actor)  # PermissionDenied: the 403 page
    messages.success(request, _("The scores are being recomputed; you will be notified when they are ready."))
    return redirect("skill:ranking")
