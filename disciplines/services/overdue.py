"""Reminders of overdue verifications (the ``disciplines`` beat job): once per deadline, to the
verifier, the bureau's admins and the discipline office.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disciplines import selectors
from disciplines.models import (
    Anomaly,
)
from portal.models import Notification, Role
from portal.selectors import bureau_role_holders
from portal.services import audit_record, broadcast_on_commit
from portal.workflow import Handoff, tell

from . import live_group
from .anomaly_workflow import WORKFLOW, State, _event, _office, _summary

if TYPE_CHECKING:
    from datetime import datetime


def _overdue_handoffs(anomaly: Anomaly, title: str) -> list[Handoff]:
    """The assignee (urgent), then the bureau's admins and the discipline office (warning)."""
    handoffs = []
    if anomaly.assignee is not None:
        handoffs.append(
            Handoff(
                [anomaly.assignee],
                title=title,
                body=_summary(anomaly),
                level=Notification.Level.URGENT,
                kind="anomaly.overdue",
            )
        )
    watchers = [*bureau_role_holders(bureau=anomaly.bureau_id, roles=[Role.BUREAU_ADMIN]), *_office(anomaly)]
    handoffs.append(
        Handoff(
            [user for user in watchers if user.pk != anomaly.assignee_id],
            title=title,
            body=_summary(anomaly),
            level=Notification.Level.WARNING,
        )
    )
    return handoffs


def anomalies_remind_overdue(*, now: datetime | None = None) -> int:
    """Remind verifiers (and their discipline office) once per deadline of overdue verifications."""
    now = now or timezone.now()
    reminded = 0
    for anomaly in selectors.anomalies_overdue(now=now):
        with transaction.atomic():
            # one conditional UPDATE claims the reminder: a second run (or worker) finds nothing to claim
            claimed = Anomaly.objects.filter(
                pk=anomaly.pk, state=State.VERIFYING, verify_due_at__lt=now, overdue_reminded_at__isnull=True
            ).update(overdue_reminded_at=now)
            if not claimed:
                continue
            title = _("Overdue verification: due %(due)s") % {
                "due": timezone.localtime(anomaly.verify_due_at).strftime("%Y-%m-%d %H:%M")
            }
            tell(WORKFLOW, anomaly, _overdue_handoffs(anomaly, title))
            audit_record(actor=None, action="anomaly.overdue_reminder", target=anomaly)
            broadcast_on_commit(live_group(anomaly.bureau_id), _event(anomaly, "overdue"))
            reminded += 1
    return reminded
