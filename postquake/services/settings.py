"""A bureau's post-quake settings: the first opinion's deadline, the Reasenberg-Jones parameters
(shipped: the generic California parameters of Reasenberg and Jones 1989), the aftershocks a
fit needs, sign-off, and when a case is re-evaluated. Set by the bureau admin."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from portal.exceptions import InvalidInput, PermissionDenied
from portal.services import audit_record
from postquake.models import PostQuakeSettings
from postquake.permissions import can_manage_postquake_settings

if TYPE_CHECKING:
    from portal.tenancy import Actor

#: field -> (smallest, largest) accepted. The Reasenberg-Jones ranges hold every published
#: regional set (generic California a=-1.67 b=0.91 p=1.08 c=0.05; the Chinese regional sets
#: of the literature lie well inside) and keep the closed form finite (c > 0).
RANGES: dict[str, tuple[float, float]] = {
    "due_minutes": (1, 1440),
    "remind_minutes": (1, 1440),
    "rj_a": (-6.0, 2.0),
    "rj_b": (0.3, 2.5),
    "rj_p": (0.3, 3.0),
    "rj_c": (0.0001, 10.0),
    "min_fit_events": (5, 10000),
    "reevaluate_magnitude": (0.0, 9.9),
}
HOURS_RANGE = (1, 720)  # up to 30 days after the clock start
HOURS_MAX_COUNT = 12
FIELDS = (*RANGES, "signoff_required", "reevaluate_hours")


def clean_hours(value: Any) -> list[int]:
    """The re-evaluation hours as a sorted list of whole hours; ``"2, 24, 72"`` is read too."""
    if isinstance(value, str):
        parts = [p for p in value.replace("，", ",").replace(" ", ",").split(",") if p.strip()]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        raise InvalidInput(_("Give the hours as a list of whole numbers."), field="reevaluate_hours")
    hours: set[int] = set()
    for part in parts:
        try:
            number = float(part)
        except (TypeError, ValueError):
            raise InvalidInput(
                _("%(value)s is not a whole number of hours.") % {"value": part}, field="reevaluate_hours"
            ) from None
        if not number.is_integer() or not HOURS_RANGE[0] <= number <= HOURS_RANGE[1]:
            raise InvalidInput(
                _("Each re-evaluation is a whole number of hours from %(lo)s to %(hi)s.")
                % {"lo": HOURS_RANGE[0], "hi": HOURS_RANGE[1]},
                field="reevaluate_hours",
            )
        hours.add(int(number))
    if len(hours) > HOURS_MAX_COUNT:
        raise InvalidInput(
            _("At most %(n)s re-evaluation times.") % {"n": HOURS_MAX_COUNT}, field="reevaluate_hours"
        )
    return sorted(hours)


def _check_range(name: str, value: Any) -> float:
    low, high = RANGES[name]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("Give a number."), field=name) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidInput(
            _("The value must be between %(lo)s and %(hi)s.") % {"lo": f"{low:g}", "hi": f"{high:g}"},
            field=name,
        )
    return number


@transaction.atomic
def postquake_settings_update(*, actor: Actor, **data: Any) -> PostQuakeSettings:
    """Save the actor's bureau's post-quake settings (bureau admins; 403 otherwise); a value out
    of range is a 400 naming its field. Fields not given stay as they are."""
    if not can_manage_postquake_settings(actor) or actor.bureau is None:
        raise PermissionDenied(_("Only a bureau admin changes the post-quake settings."))
    current, _new = PostQuakeSettings.objects.select_for_update().get_or_create(bureau=actor.bureau)
    changed = []
    for name in FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "reevaluate_hours":
            value = clean_hours(value)
        elif name == "signoff_required":
            value = bool(value)
        else:
            number = _check_range(name, value)
            if name in ("due_minutes", "remind_minutes", "min_fit_events"):
                if not number.is_integer():
                    raise InvalidInput(_("Give a whole number."), field=name)
                value = int(number)
            else:
                value = number
        if getattr(current, name) != value:
            setattr(current, name, value)
            changed.append(name)
    current.save()
    audit_record(actor=actor, action="postquake.settings", target=current, extra={"fields": changed})
    return current
