"""The danger zone's and the tracking report's moves on the one workflow engine.

Zone: draft --publish--> published --score--> scored (--score again when the catalog changed);
draft/published --withdraw--> withdrawn. Publishing tells the responsible bureaus' forecasters
and chairs (they now keep a tracking plan); scoring tells the zone's author.

Tracking report: draft --submit--> submitted --issue--> issued; submitted --return--> draft.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import workflow
from portal.models import Role
from portal.selectors import bureau_role_holders
from portal.workflow import Handoff, Transition, Workflow, row_lock

from .models import DangerZone, TrackingReport
from .permissions import can_issue_report, can_manage_zone, can_write_report

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.tenancy import Actor

ZS = DangerZone.Status
RS = TrackingReport.Status


def _may_score(actor: Actor | None, zone: DangerZone) -> bool:
    return actor is None or can_manage_zone(actor, zone)


def _tell_responsible(zone: DangerZone, actor: Actor | None, comment: str) -> Iterable[Handoff]:
    people: list[Any] = []
    for bureau in zone.bureaus.all():
        people.extend(bureau_role_holders(bureau=bureau, roles=[Role.FORECASTER, Role.CHAIR]))
    if people:
        yield Handoff(
            users=people,
            title=_("Danger zone %(name)s (%(year)s) names your bureau responsible: keep its tracking plan")
            % {"name": zone.name, "year": zone.year},
        )


def _tell_author(zone: DangerZone, actor: Actor | None, comment: str) -> Iterable[Handoff]:
    if zone.created_by is not None:
        yield Handoff(
            users=[zone.created_by],
            title=_("Danger zone %(name)s (%(year)s) was scored: %(outcome)s")
            % {"name": zone.name, "year": zone.year, "outcome": _("hit") if zone.hit else _("not hit")},
        )


def _tell_approvers(report: TrackingReport, actor: Actor | None, comment: str) -> Iterable[Handoff]:
    yield Handoff(
        users=bureau_role_holders(bureau=report.bureau_id, roles=[Role.APPROVER]),
        title=_("Tracking report to issue: %(title)s") % {"title": report.title},
        body=comment,
    )


def _tell_writer(report: TrackingReport, actor: Actor | None, comment: str) -> Iterable[Handoff]:
    if report.created_by is not None:
        yield Handoff(
            users=[report.created_by],
            title=_("Tracking report %(title)s: %(state)s")
            % {"title": report.title, "state": report.get_status_display()},
            body=comment,
        )


def _zone_url(zone: Any) -> str:
    return zone.get_absolute_url()


ZONE_WORKFLOW = workflow.register(
    Workflow(
        name="danger_zone",
        model=DangerZone,
        state_field="status",
        noun=gettext_lazy("danger zone"),
        lock=row_lock(DangerZone, "bureau"),
        url=_zone_url,
        transitions={
            "publish": Transition(
                frozenset({ZS.DRAFT}),
                ZS.PUBLISHED,
                can_manage_zone,
                gettext_lazy("danger zone published"),
                gettext_lazy("Publish"),
                notify=_tell_responsible,
            ),
            "withdraw": Transition(
                frozenset({ZS.DRAFT, ZS.PUBLISHED}),
                ZS.WITHDRAWN,
                can_manage_zone,
                gettext_lazy("danger zone withdrawn"),
                gettext_lazy("Withdraw"),
            ),
            "score": Transition(
                frozenset({ZS.PUBLISHED, ZS.SCORED}),
                ZS.SCORED,
                _may_score,
                gettext_lazy("danger zone scored"),
                gettext_lazy("Score"),
                notify=_tell_author,
            ),
        },
    )
)

REPORT_WORKFLOW = workflow.register(
    Workflow(
        name="tracking_report",
        model=TrackingReport,
        state_field="status",
        noun=gettext_lazy("tracking report"),
        lock=row_lock(TrackingReport, "bureau", "zone"),
        url=_zone_url,
        transitions={
            "submit": Transition(
                frozenset({RS.DRAFT}),
                RS.SUBMITTED,
                can_write_report,
                gettext_lazy("tracking report submitted"),
                gettext_lazy("Submit"),
                notify=_tell_approvers,
            ),
            "issue": Transition(
                frozenset({RS.SUBMITTED}),
                RS.ISSUED,
                can_issue_report,
                gettext_lazy("tracking report issued"),
                gettext_lazy("Issue"),
                notify=_tell_writer,
            ),
            "return": Transition(
                frozenset({RS.SUBMITTED}),
                RS.DRAFT,
                can_issue_report,
                gettext_lazy("tracking report returned"),
                gettext_lazy("Return"),
                notify=_tell_writer,
            ),
        },
    )
)

workflow.register_labels(
    {
        "danger_zone.create": gettext_lazy("danger zone entered"),
        "danger_zone.update": gettext_lazy("danger zone changed"),
        "danger_zone.link": gettext_lazy("material linked"),
        "danger_zone.unlink": gettext_lazy("material unlinked"),
        "danger_zone.plan": gettext_lazy("tracking plan saved"),
        "tracking_report.create": gettext_lazy("tracking report drafted"),
        "tracking_report.update": gettext_lazy("tracking report edited"),
    }
)
