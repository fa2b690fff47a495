"""Who may change the forecast-skill test's parameters and ask for a recompute (pure predicates)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Role

if TYPE_CHECKING:
    from portal.tenancy import Actor


def can_manage_skill_settings(actor: Actor | None) -> bool:
    """The bureau's admin (or a system admin acting in a bureau) sets its parameters."""
    return bool(
        actor and actor.bureau is not None and (actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN))
    )


def can_recompute_skill(actor: Actor | None) -> bool:
    """The bureau's admin or one of its discipline experts asks for a recompute."""
    return bool(
        actor
        and actor.bureau is not None
        and (actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN) or actor.has_role(Role.EXPERT))
    )
