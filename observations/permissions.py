"""Who may do what with the master data (stations, instruments, channels) and their changes.

Pure predicates ``can_<verb>_<entity>(actor, obj) -> bool``; services check them again.
Every signed-in person of a bureau reads the stations it may see (selectors decide);
only bureau admins propose changes, and a change is approved or rejected by a *second*
admin of the same bureau: never the one who proposed it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Role

if TYPE_CHECKING:
    from portal.tenancy import Actor

    from .models import MasterDataChange, QcDay, Station


def is_bureau_admin(actor: Actor | None) -> bool:
    return bool(actor and actor.bureau and actor.has_role(Role.BUREAU_ADMIN))


def can_propose_master_data(actor: Actor | None) -> bool:
    """A bureau admin proposes changes to the stations of the bureau they act in."""
    return is_bureau_admin(actor)


def can_decide_change(actor: Actor | None, change: MasterDataChange) -> bool:
    """A second admin of the change's bureau: the proposer may not approve or reject it."""
    return bool(
        actor
        and is_bureau_admin(actor)
        and actor.bureau_id == change.bureau_id
        and change.proposed_by_id != actor.user.pk
    )


def can_withdraw_change(actor: Actor | None, change: MasterDataChange) -> bool:
    """Only the person who proposed a change withdraws it."""
    return bool(actor and actor.bureau_id == change.bureau_id and change.proposed_by_id == actor.user.pk)


def can_move_station(actor: Actor | None, station: Station) -> bool:
    """Who suspends, resumes or closes a station: the system applying a change (``None``:
    demo, migrations, commands) or the admin approving one in the station's bureau."""
    if actor is None:
        return True
    return actor.is_system_admin or (is_bureau_admin(actor) and actor.bureau_id == station.bureau_id)


def can_generate_qc_archive(actor: Actor | None, station: Station) -> bool:
    """A bureau admin or a discipline expert of the station's bureau (or the system admin)
    asks for a station's monthly QC archive."""
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    return actor.bureau_id == station.bureau_id and (
        actor.has_role(Role.BUREAU_ADMIN) or actor.has_role(Role.EXPERT)
    )


def is_qc_reviewer(actor: Actor | None) -> bool:
    """May review some QC days of the bureau they act in (shows the review links)."""
    return bool(actor and actor.bureau and (actor.has_role(Role.EXPERT) or actor.has_role(Role.BUREAU_ADMIN)))


def can_review_qc_day(actor: Actor | None, qc_day: QcDay) -> bool:
    """A person of the day's bureau who is an expert of the channel's discipline (an expert of
    fluids judges water level, not geomagnetism) or the bureau's admin. A system admin acting
    in another bureau reads the day but does not judge it: the judgement is the discipline's."""
    return bool(
        actor
        and actor.bureau_id == qc_day.bureau_id
        and (
            actor.has_role(Role.EXPERT, discipline=qc_day.channel.discipline.code)
            or actor.has_role(Role.BUREAU_ADMIN)
        )
    )
