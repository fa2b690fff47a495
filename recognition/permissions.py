"""Who may set up, change, pause and run recognition rules (pure functions of the actor)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal.models import Role

# The disciplines with series methods a rule can run (recognition.spans.RULE_METHODS).
RULE_DISCIPLINES = ("fluid", "deformation", "electromagnetism")

if TYPE_CHECKING:
    from portal.tenancy import Actor

    from .models import RecognitionRule


def _code(discipline: Any) -> str:
    return str(getattr(discipline, "code", discipline))


def can_create_rule(actor: Actor | None, discipline: Any = None) -> bool:
    """The experts of the rule's discipline set up rules for their bureau (with no discipline:
    an expert of any discipline with rule methods). A system admin acts in any bureau."""
    if actor is None or actor.bureau is None:
        return False
    if actor.is_system_admin:
        return True
    if discipline is None:
        return any(actor.has_role(Role.EXPERT, discipline=code) for code in RULE_DISCIPLINES)
    return _code(discipline) in RULE_DISCIPLINES and actor.has_role(Role.EXPERT, discipline=_code(discipline))


def can_edit_rule(actor: Actor | None, rule: RecognitionRule) -> bool:
    """The discipline's experts of the rule's bureau change its channels, method and threshold."""
    if actor is None:
        return False
    return actor.bureau_id == rule.bureau_id and can_create_rule(actor, rule.discipline)


def can_pause_rule(actor: Actor | None, rule: RecognitionRule) -> bool:
    """Pause, resume and run now: the discipline's experts of the bureau and its bureau admin."""
    if actor is None or actor.bureau_id != rule.bureau_id:
        return False
    return can_edit_rule(actor, rule) or actor.has_role(Role.BUREAU_ADMIN)
