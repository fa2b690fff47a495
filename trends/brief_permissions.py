"""Who may do what with briefs: pure predicates the views, APIs and services share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Role

if TYPE_CHECKING:
    from portal.models import Bureau
    from portal.tenancy import Actor

# who compiles a brief on demand: the duty team (forecasters, chairs) and the bureau admin
COMPILERS = (Role.FORECASTER, Role.CHAIR, Role.BUREAU_ADMIN)
# who is told when a brief is compiled (in the app, and by e-mail for those who chose it)
RECIPIENTS = [Role.FORECASTER, Role.CHAIR, Role.APPROVER, Role.BUREAU_ADMIN]


def can_compile_brief(actor: Actor | None, bureau: Bureau | None = None) -> bool:
    """Forecasters, chairs and the bureau admin of the bureau (a system admin anywhere)."""
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    if actor.bureau is None or (bureau is not None and bureau.pk != actor.bureau_id):
        return False
    return any(actor.has_role(role) for role in COMPILERS)


def can_manage_brief_settings(actor: Actor | None) -> bool:
    """The bureau admin sets when the briefs are compiled and the product thresholds."""
    if actor is None or actor.bureau is None:
        return False
    return actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN)
