"""The station's status as a workflow: an approved change suspends, resumes or closes a
station through ``portal.workflow.transition`` (locked, audited, broadcast like every move).

    active ──suspend──▶ suspended ──resume──▶ active
       └──────close──────┴──────close──────▶ closed

Who moves it: the admin approving the change in the station's bureau, or the system
(``actor=None``) applying a change for the demo, a migration or a command
(``permissions.can_move_station``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from observations import permissions
from observations.models import Station
from portal.workflow import Transition, Workflow, register, row_lock

State = Station.Status

WORKFLOW = register(
    Workflow(
        name="station",
        model=Station,
        noun=gettext_lazy("station"),
        state_field="status",
        lock=row_lock(Station),
        url=lambda station: station.get_absolute_url(),
        transitions={
            "suspend": Transition(
                frozenset({State.ACTIVE}),
                State.SUSPENDED,
                permissions.can_move_station,
                gettext_lazy("suspended"),
                gettext_lazy("Suspend"),
            ),
            "resume": Transition(
                frozenset({State.SUSPENDED}),
                State.ACTIVE,
                permissions.can_move_station,
                gettext_lazy("resumed"),
                gettext_lazy("Resume"),
            ),
            "close": Transition(
                frozenset({State.ACTIVE, State.SUSPENDED}),
                State.CLOSED,
                permissions.can_move_station,
                gettext_lazy("closed"),
                gettext_lazy("Close the station"),
            ),
        },
    )
)
