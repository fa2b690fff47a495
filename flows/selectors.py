"""Reads of flows: every read starts from ``visible_to`` (a bureau's flows are its own);
the worker's reads by id are marked ``@system_read``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import F, Q

from portal.exceptions import NotFound
from portal.models import Discipline, User
from portal.tenancy import system_read

from .models import (
    Flow,
    FlowRun,
    FlowVersion,
    NodeRun,
    StoreEntry,
    StoreInstall,
    StoreRating,
    StoreScreenshot,
    StoreVersion,
)
from .permissions import can_read_store

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from portal.tenancy import Actor


def flow_list(*, actor: Actor | None, search: str = "", triggers: bool | None = None) -> QuerySet[Flow]:
    qs = Flow.objects.visible_to(actor).select_related("bureau", "author", "current_version")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(description__icontains=search))
    if triggers is not None:
        qs = qs.filter(triggers_enabled=triggers)
    return qs


def flow_get(*, actor: Actor | None, flow_id: int) -> Flow:
    flow = flow_list(actor=actor).filter(pk=flow_id).first()
    if flow is None:
        raise NotFound()
    return flow


@system_read("a name check within the bureau")
def flow_name_taken(*, bureau_id: int, name: str, exclude_id: int | None = None) -> bool:
    qs = Flow.objects.filter(bureau_id=bureau_id, name=name)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs.exists()


@system_read("the versions under a flow the caller read through visible_to")
def flow_versions(*, flow: Flow) -> QuerySet[FlowVersion]:
    """The versions of a flow the caller read through ``flow_get``."""
    return FlowVersion.objects.filter(flow=flow, bureau_id=flow.bureau_id).select_related("author")


@system_read("the version before one the caller read")
def version_previous(*, version: FlowVersion) -> FlowVersion | None:
    return (
        FlowVersion.objects.filter(flow_id=version.flow_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )


def run_list(*, actor: Actor | None, flow: Flow | None = None, status: str = "") -> QuerySet[FlowRun]:
    qs = FlowRun.objects.visible_to(actor).select_related("flow", "version", "bureau")
    if flow is not None:
        qs = qs.filter(flow=flow)
    if status:
        qs = qs.filter(status=status)
    return qs


def run_get(*, actor: Actor | None, run_id: int) -> FlowRun:
    run = run_list(actor=actor).filter(pk=run_id).first()
    if run is None:
        raise NotFound()
    return run


@system_read("the nodes under a run the caller read through visible_to")
def run_nodes(*, run: FlowRun) -> QuerySet[NodeRun]:
    """The node runs of a run the caller read through ``run_get``."""
    return NodeRun.objects.filter(run=run, bureau_id=run.bureau_id).order_by("id")


@system_read("a flow task holds the run's id")
def run_get_for_worker(*, run_id: int) -> FlowRun | None:
    return FlowRun.objects.select_related("flow", "version", "bureau").filter(pk=run_id).first()


@system_read("a flow task holds the run's id")
def node_runs_for_worker(*, run_id: int) -> dict[str, NodeRun]:
    return {n.node_id: n for n in NodeRun.objects.filter(run_id=run_id)}


@system_read("reuse of a computed node within the run's bureau")
def node_run_computed(*, bureau_id: int, node_type: str, input_hash: str, exclude_id: int) -> NodeRun | None:
    """The first node run of the bureau that computed ``input_hash`` (not itself a reuse)."""
    return (
        NodeRun.objects.filter(
            bureau_id=bureau_id,
            node_type=node_type,
            input_hash=input_hash,
            status=NodeRun.Status.SUCCEEDED,
            reused_from__isnull=True,
        )
        .exclude(pk=exclude_id)
        .order_by("id")
        .first()
    )


@system_read("the job watchdog scans every bureau's runs")
def runs_stale(*, started_before: Any, queued_before: Any) -> QuerySet[FlowRun]:
    return FlowRun.objects.filter(
        Q(status=FlowRun.Status.RUNNING, started_at__lt=started_before)
        | Q(status=FlowRun.Status.QUEUED, queued_at__lt=queued_before)
    )


@system_read("a trigger looks for the flows its happening starts, in the bureau it happened for")
def flows_triggered(*, bureau_id: int | None, trigger_type: str) -> list[Flow]:
    """Flows whose current version has a trigger node of ``trigger_type`` and whose triggers
    the bureau admin enabled (of one bureau, or of every bureau when ``bureau_id`` is None)."""
    qs = Flow.objects.filter(triggers_enabled=True, current_version__isnull=False).select_related(
        "bureau", "current_version"
    )
    if bureau_id is not None:
        qs = qs.filter(bureau_id=bureau_id)
    qs = qs.filter(current_version__definition__nodes__contains=[{"type": trigger_type}])
    return list(qs)


@system_read("a trigger checks which flow made the anomaly that moved")
def run_flow_id(*, run_id: int) -> int | None:
    return FlowRun.objects.filter(pk=run_id).values_list("flow_id", flat=True).first()


@system_read("a flow task holds the flow's id")
def flow_get_for_worker(*, flow_id: int) -> Flow | None:
    return Flow.objects.select_related("bureau", "current_version", "author").filter(pk=flow_id).first()


def user_for_worker(*, user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


def discipline_for_worker(*, code: str) -> Discipline | None:
    return Discipline.objects.filter(code=code).first()


# --- the flow store -------------------------------------------------------------------------
# The store is shared by every bureau (StoreEntry is not tenant-owned): a signed-in person of
# any bureau reads every published entry and its definition; never the runs or outputs of
# the publisher's flow. A bureau's installs are its own (StoreInstall is tenant-owned).

STORE_SORTS = ("newest", "rating", "installs")


def store_entry_list(
    *,
    actor: Actor | None,
    search: str = "",
    discipline: str = "",
    node_type: str = "",
    bureau: str = "",
    sort: str = "newest",
) -> QuerySet[StoreEntry]:
    """Published entries (those with a version), featured first, then by ``sort``
    (``newest``, ``rating``, ``installs``). ``bureau`` is a bureau code, or ``builtin``."""
    from django.db.models import Avg, Count, Exists, OuterRef

    if not can_read_store(actor):
        return StoreEntry.objects.none()
    qs = (
        StoreEntry.objects.filter(Exists(StoreVersion.objects.filter(entry=OuterRef("pk"))))
        .select_related("bureau")
        .annotate(
            install_count=Count("installs__bureau", distinct=True),
            rating_avg=Avg("ratings__stars"),
            rating_count=Count("ratings", distinct=True),
        )
    )
    if search:
        qs = qs.filter(
            Q(title__icontains=search)
            | Q(description_zh__icontains=search)
            | Q(description_en__icontains=search)
        )
    if discipline:
        qs = qs.filter(disciplines__contains=[discipline])
    if node_type:
        qs = qs.filter(node_types__contains=[node_type])
    if bureau == "builtin":
        qs = qs.filter(bureau__isnull=True)
    elif bureau:
        qs = qs.filter(bureau__code=bureau)
    if sort == "rating":
        return qs.order_by("-featured", F("rating_avg").desc(nulls_last=True), "-rating_count", "-id")
    if sort == "installs":
        return qs.order_by("-featured", "-install_count", "-id")
    return qs.order_by("-featured", "-created_at", "-id")


def store_entry_get(*, actor: Actor | None, entry_id: int) -> StoreEntry:
    entry = store_entry_list(actor=actor).filter(pk=entry_id).first()
    if entry is None:
        raise NotFound()
    return entry


def store_versions(*, entry: StoreEntry) -> QuerySet[StoreVersion]:
    """The versions of an entry the caller read through ``store_entry_get`` (newest first)."""
    return StoreVersion.objects.filter(entry=entry).select_related("published_by").order_by("-number")


def store_version_latest(*, entry: StoreEntry) -> StoreVersion | None:
    return store_versions(entry=entry).first()


def store_ratings(*, entry: StoreEntry) -> QuerySet[StoreRating]:
    return StoreRating.objects.filter(entry=entry).select_related("user", "bureau")


def store_rating_of(*, entry: StoreEntry, user_id: int) -> StoreRating | None:
    return StoreRating.objects.filter(entry=entry, user_id=user_id).first()


def store_screenshots(*, entry: StoreEntry) -> QuerySet[StoreScreenshot]:
    return StoreScreenshot.objects.filter(entry=entry)


def store_screenshot_get(*, entry: StoreEntry, screenshot_id: int) -> StoreScreenshot:
    shot = store_screenshots(entry=entry).filter(pk=screenshot_id).first()
    if shot is None:
        raise NotFound()
    return shot


def store_entry_of_flow(*, flow: Flow) -> StoreEntry | None:
    """The entry a flow the caller read through ``flow_get`` was published as, if any."""
    return StoreEntry.objects.filter(source_flow=flow).first()


def store_install_of_flow(*, actor: Actor | None, flow: Flow) -> StoreInstall | None:
    """The store install a flow of the actor's bureau came from (None: not from the store)."""
    return (
        StoreInstall.objects.visible_to(actor)
        .select_related("entry", "version", "flow")
        .filter(flow=flow)
        .first()
    )


def store_install_in_bureau(*, actor: Actor | None, entry: StoreEntry) -> StoreInstall | None:
    """The actor's bureau's copy of ``entry``, if it installed it."""
    if actor is None or actor.bureau is None:
        return None
    return (
        StoreInstall.objects.editable_by(actor)
        .filter(entry=entry, bureau_id=actor.bureau_id)
        .select_related("flow")
        .first()
    )


@system_read("a new store version tells every bureau that installed the entry")
def store_installs_of_entry(*, entry_id: int) -> QuerySet[StoreInstall]:
    return StoreInstall.objects.filter(entry_id=entry_id).select_related("flow", "flow__author", "bureau")


def store_filter_choices() -> dict[str, list[Any]]:
    """What the store's filters offer: the disciplines, node types and bureaus in use."""
    from portal.models import Bureau

    entries = StoreEntry.objects.filter(versions__isnull=False).distinct()
    disciplines = sorted({d for e in entries for d in e.disciplines})
    types = sorted({t for e in entries for t in e.node_types})
    codes = set(entries.exclude(bureau__isnull=True).values_list("bureau__code", flat=True))
    return {
        "disciplines": disciplines,
        "node_types": types,
        "bureaus": list(Bureau.objects.filter(code__in=codes).order_by("code")),
    }
