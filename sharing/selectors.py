"""Reads of the data supermarket: datasets, requests, grants, pushes; what a bureau holds
(for the sync) and what is new (for pushes).

Every read for a person starts from ``visible_to(actor)``: a dataset not shared is listed to
its owner only; a request is read by the bureau asked and the bureau asking; a grant and a
push by the owner and the bureaus they open data to. The reads for the system (the sync of
every bureau's holdings, the sweeps) are ``@system_read``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.gis.db.models.aggregates import Collect
from django.db.models import Count, Max, Min, Q, QuerySet

from catalog.models import Event
from consultations.models import ConsultationReport, ReportStatus
from observations.models import Channel, SeriesDay, Station
from portal.exceptions import NotFound
from portal.grants import DATA_ACCESS_ACTION
from portal.models import AuditEvent, Bureau, Role, User
from portal.selectors import bureau_role_holders
from portal.tenancy import system_read
from products.models import ProductRun, ProductSchedule, RunStatus
from reports.models import TopicReport
from trends.models import TrendReport, TrendStatus

from .models import (
    DataRequest,
    Dataset,
    DatasetKind,
    Grant,
    Level,
    Push,
    PushNotice,
    SharedReportKind,
    SharingSettings,
    live_grant_q,
)

if TYPE_CHECKING:
    from portal.tenancy import Actor


# --- datasets ---------------------------------------------------------------------------


def dataset_list(
    *,
    actor: Actor | None,
    kind: str = "",
    bureau: str = "",
    zone: str = "",
    level: str = "",
    text: str = "",
) -> QuerySet[Dataset]:
    """The catalog as ``actor`` sees it, filtered; a dataset not shared shows to its owner only."""
    qs = Dataset.objects.visible_to(actor).select_related("bureau", "station", "item")
    if kind:
        qs = qs.filter(kind=kind)
    if bureau:
        qs = qs.filter(bureau__code__iexact=bureau)
    if zone:
        qs = qs.filter(zone=zone)
    if level:
        qs = qs.filter(level=level)
    if text:
        words = Q()
        for field in ("title_zh", "title_en", "description_zh", "description_en", "key"):
            words |= Q(**{f"{field}__icontains": text})
        qs = qs.filter(words)
    return qs.order_by("-is_active", "bureau__code", "kind", "key")


def bureau_codes_with_datasets(*, actor: Actor | None) -> list[str]:
    """The bureaus whose datasets the actor sees (the catalog's bureau filter)."""
    return sorted(set(Dataset.objects.visible_to(actor).values_list("bureau__code", flat=True).distinct()))


def dataset_visible(*, actor: Actor | None, dataset_id: int) -> bool:
    """Whether ``actor`` may open a dataset's page (a link to it is shown only then)."""
    return Dataset.objects.visible_to(actor).filter(pk=dataset_id).exists()


def dataset_get(*, actor: Actor | None, dataset_id: int) -> Dataset:
    dataset = (
        Dataset.objects.visible_to(actor)
        .select_related("bureau", "station", "item", "schedule")
        .filter(pk=dataset_id)
        .first()
    )
    if dataset is None:
        raise NotFound()
    return dataset


def datasets_owned(*, actor: Actor | None) -> QuerySet[Dataset]:
    """The datasets of the bureau acted in (its settings page)."""
    return (
        Dataset.objects.editable_by(actor)
        .filter(bureau_id=actor.bureau_id if actor else None)
        .select_related("bureau", "station", "item")
        .order_by("kind", "key")
    )


def dataset_channels(*, actor: Actor | None, dataset: Dataset) -> QuerySet[Channel]:
    """The channels of a series dataset that ``actor`` may open (all of them for its owner)."""
    qs = Channel.objects.visible_to(actor).select_related("station", "item")
    if dataset.kind == DatasetKind.STATION_SERIES:
        return qs.filter(station_id=dataset.station_id)
    if dataset.kind == DatasetKind.ITEM_SERIES:
        return qs.filter(bureau_id=dataset.bureau_id, item_id=dataset.item_id)
    return qs.none()


@system_read("the parts (channels) of a dataset the caller read through dataset_get: its description")
def dataset_parts(*, dataset: Dataset) -> list[Channel]:
    """Every channel of a series dataset, named: what it holds, what a request may ask for
    (a description, like the dataset's words: reading the samples is for a grant)."""
    if dataset.kind == DatasetKind.STATION_SERIES and dataset.station_id is not None:
        rows = Channel.objects.filter(station_id=dataset.station_id)
    elif dataset.kind == DatasetKind.ITEM_SERIES and dataset.item_id is not None:
        rows = Channel.objects.filter(bureau_id=dataset.bureau_id, item_id=dataset.item_id)
    else:
        return []
    return list(
        rows.select_related("station", "item").order_by("station__code", "item__order", "orientation")
    )


def dataset_channel_ids(*, dataset: Dataset) -> set[int]:
    """Every channel of a series dataset (what a request or a grant may name)."""
    return {channel.pk for channel in dataset_parts(dataset=dataset)}


@dataclass(frozen=True)
class Content:
    """One thing of a dataset the reader may open now, with its link."""

    label: str
    url: str
    when: dt.datetime | dt.date | None = None


def dataset_contents(*, actor: Actor | None, dataset: Dataset, limit: int = 10) -> list[Content]:
    """The latest things of ``dataset`` that ``actor`` may open (through ``visible_to``: the
    same rows every page and API serves them), newest first."""
    owner = dataset.bureau_id
    if dataset.kind == DatasetKind.CATALOG:
        events = Event.objects.visible_to(actor).filter(bureau_id=owner).exclude(status="deleted")
        return [Content(str(e), e.get_absolute_url(), e.origin_time) for e in events[:limit]]
    if dataset.is_series:
        channels = dataset_channels(actor=actor, dataset=dataset)
        return [Content(str(c), c.get_absolute_url()) for c in channels[:limit]]
    if dataset.kind == DatasetKind.PRODUCT:
        runs = ProductRun.objects.visible_to(actor).filter(
            bureau_id=owner, method=dataset.method, status=RunStatus.SUCCEEDED
        )
        if dataset.for_schedule:
            runs = runs.filter(schedule_id=dataset.schedule_id)
        return [
            Content(str(r), r.get_absolute_url(), r.created_at) for r in runs.order_by("-created_at")[:limit]
        ]
    if dataset.report_kind == SharedReportKind.TOPIC:
        topic = TopicReport.objects.visible_to(actor).filter(bureau_id=owner).select_related("event")
        return [Content(str(r.event), r.get_absolute_url(), r.created_at) for r in topic[:limit]]
    if dataset.report_kind == SharedReportKind.TREND:
        trend = TrendReport.objects.visible_to(actor).filter(bureau_id=owner)
        return [Content(r.title, r.get_absolute_url(), r.month) for r in trend[:limit]]
    if dataset.report_kind == SharedReportKind.CONSULTATION:
        from django.urls import reverse

        consultation = ConsultationReport.objects.visible_to(actor).filter(bureau_id=owner)
        return [
            Content(r.title, reverse("consultations:report-detail", args=[r.pk]), r.created_at)
            for r in consultation[:limit]
        ]
    return []


# --- grants -----------------------------------------------------------------------------


def grants_of_dataset(*, actor: Actor | None, dataset: Dataset, now: dt.datetime) -> QuerySet[Grant]:
    """The live grants of ``dataset`` the actor reads: every one for the owner, their own
    bureau's for a grantee."""
    return (
        Grant.objects.visible_to(actor)
        .filter(live_grant_q(now), dataset=dataset)
        .select_related("grantee", "request", "push", "granted_by")
        .order_by("grantee__code", "-created_at")
    )


def my_grants(*, actor: Actor | None, dataset: Dataset, now: dt.datetime) -> list[Grant]:
    """The live grants of ``dataset`` to the actor's bureau (what they may read of it)."""
    if actor is None or actor.bureau_id is None:
        return []
    return list(grants_of_dataset(actor=actor, dataset=dataset, now=now).filter(grantee_id=actor.bureau_id))


def dataset_accesses(*, actor: Actor | None, dataset: Dataset, limit: int = 20) -> QuerySet[AuditEvent]:
    """Reads of the owner's shared data by other bureaus (the access log), newest first; only
    for the owner's stewards (the caller checks ``can_edit_dataset``)."""
    rows = AuditEvent.objects.filter(bureau_id=dataset.bureau_id, action=DATA_ACCESS_ACTION)
    if dataset.is_series:  # a read of series names its channel
        channels = [str(pk) for pk in dataset_channel_ids(dataset=dataset)]
        rows = rows.filter(target_type="observations.channel", target_id__in=channels)
    kinds = {
        DatasetKind.CATALOG: ["catalog.event"],
        DatasetKind.STATION_SERIES: ["observations.seriesday"],
        DatasetKind.ITEM_SERIES: ["observations.seriesday"],
        DatasetKind.PRODUCT: ["products.productrun"],
        DatasetKind.REPORTS: [
            "reports.topicreport",
            "trends.trendreport",
            "consultations.consultationreport",
        ],
    }[DatasetKind(dataset.kind)]
    return rows.filter(extra__model__in=kinds).select_related("actor").order_by("-created_at", "-id")[:limit]


# --- requests ---------------------------------------------------------------------------

MINE, TO_ME = "mine", "to_me"


def request_list(
    *,
    actor: Actor | None,
    side: str = "",
    state: str = "",
    overdue: bool | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[DataRequest]:
    """Requests the actor's bureau made (``side="mine"``), received (``"to_me"``) or both."""
    qs = DataRequest.objects.visible_to(actor).select_related(
        "dataset", "bureau", "requester_bureau", "requested_by", "decided_by"
    )
    bureau_id = actor.bureau_id if actor else None
    if side == MINE:
        qs = qs.filter(requester_bureau_id=bureau_id)
    elif side == TO_ME:
        qs = qs.filter(bureau_id=bureau_id)
    if state:
        qs = qs.filter(state=state)
    if overdue is not None and now is not None:
        late = Q(state=DataRequest.State.PENDING, due_at__lt=now)
        qs = qs.filter(late) if overdue else qs.exclude(late)
    return qs.order_by("-created_at", "-id")


def request_get(*, actor: Actor | None, request_id: int) -> DataRequest:
    found = (
        DataRequest.objects.visible_to(actor)
        .select_related(
            "dataset", "dataset__bureau", "bureau", "requester_bureau", "requested_by", "decided_by"
        )
        .filter(pk=request_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def requests_waiting(*, actor: Actor | None) -> QuerySet[DataRequest]:
    """Pending requests to the actor's bureau (what its stewards must answer)."""
    return request_list(actor=actor, side=TO_ME, state=DataRequest.State.PENDING).order_by("due_at")


def request_grant(*, request: DataRequest) -> Grant | None:
    """The grant an approved request made (the caller read the request through visible_to)."""
    return _grant_of_request(request_id=request.pk)


@system_read("the grant under a request the caller read through request_get")
def _grant_of_request(*, request_id: int) -> Grant | None:
    return Grant.objects.filter(request_id=request_id).first()


@system_read("the beat sweep: pending requests past their deadline, not escalated yet (every bureau)")
def requests_to_escalate_for_worker(*, now: dt.datetime) -> list[int]:
    return list(
        DataRequest.objects.filter(
            state=DataRequest.State.PENDING, escalated_at__isnull=True, due_at__lt=now
        ).values_list("pk", flat=True)
    )


@system_read("the beat sweep: approved requests whose grant has expired (every bureau)")
def requests_to_expire_for_worker(*, now: dt.datetime) -> list[int]:
    return list(
        DataRequest.objects.filter(
            state=DataRequest.State.APPROVED, grant__expires_at__lte=now, grant__revoked_at__isnull=True
        ).values_list("pk", flat=True)
    )


def stewards(*, bureau: Bureau | int) -> list[User]:
    """Who answers for a bureau's data: its data stewards, or its admins when it has none."""
    people = list(bureau_role_holders(bureau=bureau, roles=[Role.DATA_STEWARD]))
    return people or list(bureau_role_holders(bureau=bureau, roles=[Role.BUREAU_ADMIN]))


def bureau_admins(*, bureau: Bureau | int) -> list[User]:
    return list(bureau_role_holders(bureau=bureau, roles=[Role.BUREAU_ADMIN]))


def people_told_of_pushes(*, bureau: Bureau | int) -> list[User]:
    """Who hears that pushed data arrived: the people who work with data in the bureau."""
    return list(
        bureau_role_holders(
            bureau=bureau, roles=[Role.DATA_STEWARD, Role.FORECASTER, Role.EXPERT, Role.BUREAU_ADMIN]
        )
    )


@system_read("the bureau's own answer deadline, for a request to it (one row per bureau)")
def answer_days(*, bureau_id: int) -> int | None:
    row = SharingSettings.objects.filter(bureau_id=bureau_id).first()
    return row.answer_days if row else None


def sharing_settings_get(*, actor: Actor | None) -> SharingSettings | None:
    return (
        SharingSettings.objects.editable_by(actor)
        .filter(bureau_id=actor.bureau_id if actor else None)
        .first()
    )


# --- pushes -----------------------------------------------------------------------------


def push_list(*, actor: Actor | None, side: str = "") -> QuerySet[Push]:
    """Pushes the actor's bureau makes (``side="mine"``), receives (``"to_me"``) or both."""
    qs = Push.objects.visible_to(actor).select_related("dataset", "bureau", "created_by")
    bureau_id = actor.bureau_id if actor else None
    if side == MINE:
        qs = qs.filter(bureau_id=bureau_id)
    elif side == TO_ME:
        qs = qs.exclude(bureau_id=bureau_id)
    return qs.prefetch_related("grants__grantee").order_by("-created_at", "-id")


def push_get(*, actor: Actor | None, push_id: int) -> Push:
    push = (
        Push.objects.visible_to(actor)
        .select_related("dataset", "dataset__bureau", "bureau", "created_by", "stopped_by")
        .prefetch_related("grants__grantee")
        .filter(pk=push_id)
        .first()
    )
    if push is None:
        raise NotFound()
    return push


def push_notices(*, push: Push, limit: int = 20) -> QuerySet[PushNotice]:
    """What a push announced, newest first (the caller read the push through push_get)."""
    return PushNotice.objects.filter(push=push)[:limit]


def push_bureau_choices(*, actor: Actor | None) -> list[tuple[Bureau, bool]]:
    """Every active bureau but the actor's, with whether it borders the actor's jurisdiction
    (neighbours first: the provinces of one tectonic zone are usually neighbours)."""
    if actor is None or actor.bureau is None:
        return []
    bureaus = Bureau.objects.filter(is_active=True).exclude(pk=actor.bureau.pk).order_by("code")
    own = actor.bureau.jurisdiction
    near: set[int] = set()
    if own is not None:
        near = set(
            bureaus.filter(
                kind=Bureau.Kind.PROVINCIAL, jurisdiction__intersects=own.buffer(0.05)
            ).values_list("pk", flat=True)
        )
    rows = [(b, b.pk in near) for b in bureaus]
    return sorted(rows, key=lambda row: (not row[1], row[0].code))


def bureaus_by_code(*, codes: list[str]) -> dict[str, Bureau]:
    return {b.code: b for b in Bureau.objects.filter(code__in=codes, is_active=True)}


@system_read("a push's datasets' announcements: the active pushes of datasets a hook or the sweep names")
def pushes_active_for_worker(*, dataset_ids: list[int]) -> list[Push]:
    return list(
        Push.objects.filter(dataset_id__in=dataset_ids, state=Push.State.ACTIVE)
        .select_related("dataset", "dataset__bureau")
        .prefetch_related("grants__grantee")
    )


@system_read("a push's announcement: the datasets of the bureau whose new data a hook names")
def datasets_for_worker(*, bureau_id: int, kinds: list[str]) -> QuerySet[Dataset]:
    return Dataset.objects.filter(bureau_id=bureau_id, kind__in=kinds, is_active=True)


@system_read("a push's announcement: the stations and items of the channels a hook names")
def channels_for_worker(*, channel_ids: list[int]) -> list[Channel]:
    return list(Channel.objects.filter(pk__in=channel_ids).select_related("station", "item"))


@system_read("a push's announcement: the event a listener names")
def event_for_worker(*, event_id: int) -> Event | None:
    return Event.objects.filter(pk=event_id).first()


@system_read("a push's announcement: the topic report a hook names")
def topic_report_for_worker(*, report_id: int) -> TopicReport | None:
    return (
        TopicReport.objects.filter(pk=report_id, status=TopicReport.Status.READY)
        .select_related("event")
        .first()
    )


@system_read("the push sweep: pushes of products and reports, whose news no hook brings")
def pushes_to_sweep_for_worker() -> list[Push]:
    return list(
        Push.objects.filter(
            state=Push.State.ACTIVE, dataset__kind__in=[DatasetKind.PRODUCT, DatasetKind.REPORTS]
        )
        .select_related("dataset", "dataset__bureau")
        .prefetch_related("grants__grantee")
    )


@dataclass(frozen=True)
class NewThing:
    key: str  # the PushNotice key
    label: str
    url: str


@system_read("the push sweep: what a pushed dataset of products or reports got since a time")
def new_things_for_worker(*, dataset: Dataset, since: dt.datetime, limit: int = 20) -> list[NewThing]:
    """Published rows of a product or report dataset newer than ``since`` (finished runs,
    issued reports): what a push tells its bureaus of."""
    owner = dataset.bureau_id
    if dataset.kind == DatasetKind.PRODUCT:
        runs = ProductRun.objects.filter(
            bureau_id=owner, method=dataset.method, status=RunStatus.SUCCEEDED, finished_at__gt=since
        )
        if dataset.for_schedule:
            runs = runs.filter(schedule_id=dataset.schedule_id)
        return [
            NewThing(f"run:{r.pk}", str(r), r.get_absolute_url())
            for r in runs.order_by("finished_at")[:limit]
        ]
    if dataset.report_kind == SharedReportKind.TREND:
        trend = TrendReport.objects.filter(
            bureau_id=owner, status__in=[TrendStatus.ISSUED, TrendStatus.ARCHIVED], issued_at__gt=since
        )
        return [
            NewThing(f"report:trend_report:{r.pk}", r.title, r.get_absolute_url())
            for r in trend.order_by("issued_at")[:limit]
        ]
    if dataset.report_kind == SharedReportKind.CONSULTATION:
        from django.urls import reverse

        consultation = ConsultationReport.objects.filter(
            bureau_id=owner, status__in=[ReportStatus.ISSUED, ReportStatus.ARCHIVED], issued_at__gt=since
        )
        return [
            NewThing(
                f"report:consultation_report:{r.pk}",
                r.title,
                reverse("consultations:report-detail", args=[r.pk]),
            )
            for r in consultation.order_by("issued_at")[:limit]
        ]
    if dataset.report_kind == SharedReportKind.TOPIC:
        topic = TopicReport.objects.filter(
            bureau_id=owner, status=TopicReport.Status.READY, ready_at__gt=since
        ).select_related("event")
        return [
            NewThing(f"report:topic_report:{r.pk}", str(r.event), r.get_absolute_url())
            for r in topic.order_by("ready_at")[:limit]
        ]
    return []


# --- what bureaus hold (the sync) ---------------------------------------------------------


@dataclass
class Holding:
    """Something a bureau holds that a dataset describes."""

    bureau_id: int
    key: str
    kind: str
    rows: int
    first: dt.date | None
    last: dt.date | None
    subject: Any = None  # the station, item, method name, schedule or report kind
    coverage: Any = None
    fast: bool = False  # series sampled at a minute or faster


def _day(value: dt.datetime | dt.date | None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        from portal.timefmt import beijing

        return beijing(value).date()
    return value


@system_read("the nightly sync: what every bureau (or one) holds, to describe it as datasets")
def holdings_for_worker(*, bureau_id: int | None = None) -> list[Holding]:
    """The catalogs, stations and items with channels, methods with results, schedules and
    kinds of published reports of every bureau (or of ``bureau_id``)."""

    def of(qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.filter(bureau_id=bureau_id) if bureau_id is not None else qs

    found: list[Holding] = []
    events = (
        of(Event.objects.exclude(status="deleted"))
        .values("bureau_id")
        .annotate(n=Count("pk"), first=Min("origin_time"), last=Max("origin_time"))
    )
    found += [
        Holding(r["bureau_id"], "catalog", DatasetKind.CATALOG, r["n"], _day(r["first"]), _day(r["last"]))
        for r in events
    ]
    days = {
        r["channel__station_id"]: r
        for r in of(SeriesDay.objects.all())
        .values("channel__station_id")
        .annotate(n=Count("pk"), first=Min("day"), last=Max("day"))
    }
    stations = (
        of(Station.objects.filter(channels__isnull=False))
        .distinct()
        .annotate(fastest=Min("channels__interval"))
    )
    for station in stations:
        r = days.get(station.pk, {})
        found.append(
            Holding(
                station.bureau_id,
                f"station:{station.code}",
                DatasetKind.STATION_SERIES,
                r.get("n", 0),
                r.get("first"),
                r.get("last"),
                subject=station,
                coverage=station.location,
                fast=(station.fastest or 86400) <= 60,
            )
        )
    item_days = {
        (r["bureau_id"], r["channel__item_id"]): r
        for r in of(SeriesDay.objects.all())
        .values("bureau_id", "channel__item_id")
        .annotate(n=Count("pk"), first=Min("day"), last=Max("day"))
    }
    items = (
        of(Channel.objects.all())
        .values("bureau_id", "item_id", "item__code")
        .annotate(points=Collect("station__location"), fastest=Min("interval"))
    )
    for r in items:
        d = item_days.get((r["bureau_id"], r["item_id"]), {})
        found.append(
            Holding(
                r["bureau_id"],
                f"item:{r['item__code']}",
                DatasetKind.ITEM_SERIES,
                d.get("n", 0),
                d.get("first"),
                d.get("last"),
                subject=r["item_id"],
                coverage=r["points"],
                fast=(r["fastest"] or 86400) <= 60,
            )
        )
    runs = (
        of(ProductRun.objects.filter(status=RunStatus.SUCCEEDED))
        .values("bureau_id", "method")
        .annotate(n=Count("pk"), first=Min("created_at"), last=Max("created_at"))
    )
    found += [
        Holding(
            r["bureau_id"],
            f"method:{r['method']}",
            DatasetKind.PRODUCT,
            r["n"],
            _day(r["first"]),
            _day(r["last"]),
            subject=r["method"],
        )
        for r in runs
    ]
    schedule_runs = {
        r["schedule_id"]: r
        for r in of(ProductRun.objects.filter(status=RunStatus.SUCCEEDED, schedule__isnull=False))
        .values("schedule_id")
        .annotate(n=Count("pk"), first=Min("created_at"), last=Max("created_at"))
    }
    for schedule in of(ProductSchedule.objects.all()):
        r = schedule_runs.get(schedule.pk, {})
        found.append(
            Holding(
                schedule.bureau_id,
                f"schedule:{schedule.pk}",
                DatasetKind.PRODUCT,
                r.get("n", 0),
                _day(r.get("first")),
                _day(r.get("last")),
                subject=schedule,
            )
        )
    reports: list[tuple[str, QuerySet[Any], str]] = [
        (SharedReportKind.TOPIC, TopicReport.objects.filter(status=TopicReport.Status.READY), "created_at"),
        (
            SharedReportKind.TREND,
            TrendReport.objects.filter(status__in=[TrendStatus.ISSUED, TrendStatus.ARCHIVED]),
            "month",
        ),
        (
            SharedReportKind.CONSULTATION,
            ConsultationReport.objects.filter(status__in=[ReportStatus.ISSUED, ReportStatus.ARCHIVED]),
            "created_at",
        ),
    ]
    for report_kind, qs, column in reports:
        grouped = of(qs).values("bureau_id").annotate(n=Count("pk"), first=Min(column), last=Max(column))
        found += [
            Holding(
                r["bureau_id"],
                f"report:{report_kind}",
                DatasetKind.REPORTS,
                r["n"],
                _day(r["first"]),
                _day(r["last"]),
                subject=str(report_kind),
            )
            for r in grouped
        ]
    return found


@system_read("the nightly sync: every dataset (or one bureau's), matched to what is held")
def datasets_for_sync(*, bureau_id: int | None = None) -> dict[tuple[int, str], Dataset]:
    qs = Dataset.objects.all() if bureau_id is None else Dataset.objects.filter(bureau_id=bureau_id)
    return {(d.bureau_id, d.key): d for d in qs}


@system_read("the nightly sync: the bureaus whose holdings it describes")
def bureaus_for_sync(*, bureau_id: int | None = None) -> dict[int, Bureau]:
    qs = Bureau.objects.all() if bureau_id is None else Bureau.objects.filter(pk=bureau_id)
    return {b.pk: b for b in qs}


def level_counts(*, actor: Actor | None) -> dict[str, int]:
    """How many datasets of each level the actor's bureau has (its dashboard panel)."""
    rows = datasets_owned(actor=actor).values("level").annotate(n=Count("pk"))
    counts = {str(level): 0 for level in Level.values}
    counts.update({r["level"]: r["n"] for r in rows})
    return counts
