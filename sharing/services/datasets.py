"""A bureau's datasets as its stewards set them: level, zone, words; the answer deadline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import InvalidInput, NotFound, PermissionDenied
from portal.services import audit_record
from portal.validators import clean_title, max_length_of
from sharing import permissions
from sharing.models import Dataset, Frequency, Level, SharingSettings, Zone

if TYPE_CHECKING:
    import datetime as dt

    from portal.tenancy import Actor

DESCRIPTION_MAX = 4000
CHOICES = {"level": Level, "zone": Zone, "update_frequency": Frequency}
WORDS = ("title_zh", "title_en", "description_zh", "description_en")
EDITABLE = (*CHOICES, *WORDS)


def _words(name: str, value: Any) -> str:
    if name.startswith("title"):
        if name == "title_en" and (value is None or (isinstance(value, str) and not value.strip())):
            return ""
        return clean_title(value, field=name, max_length=max_length_of(Dataset, name))
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > DESCRIPTION_MAX or "\x00" in text:
        raise InvalidInput(
            _("%(field)s is text of at most %(limit)d characters.")
            % {"field": name, "limit": DESCRIPTION_MAX},
            field=name,
        )
    return text


@transaction.atomic
def dataset_update(
    *, actor: Actor, dataset: Dataset, now: dt.datetime | None = None, **changes: Any
) -> Dataset:
    """Set a dataset's level, zone, update frequency, titles or descriptions. 403 unless the
    actor is a steward or admin of its bureau; 400 naming the field for a bad value. A level
    change is audited on its own (``dataset.level``, from and to), the rest as
    ``dataset.update``. Grants already given stay until they expire or are revoked."""
    now = now or timezone.now()
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput(_("%(field)s cannot be changed.") % {"field": name}, field=name)
    locked = Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
    if locked is None:
        raise NotFound()
    if not permissions.can_edit_dataset(actor, locked):
        raise PermissionDenied(_("Only the bureau's data stewards and admins change its datasets."))
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name in CHOICES:
            if value not in CHOICES[name].values:
                allowed = ", ".join(CHOICES[name].values)
                raise InvalidInput(
                    _("%(field)s must be one of %(allowed)s.") % {"field": name, "allowed": allowed},
                    field=name,
                )
            values[name] = str(value)
        else:
            values[name] = _words(name, value)
    changed = {name: value for name, value in values.items() if getattr(locked, name) != value}
    if not changed:
        return locked
    before = locked.level
    for name, value in changed.items():
        setattr(locked, name, value)
    fields = [*changed, "updated_at"]
    if "level" in changed:
        locked.level_set_at, locked.level_set_by = now, actor.user
        fields += ["level_set_at", "level_set_by"]
    if set(changed) & set(WORDS):
        locked.edited_at = now
        fields.append("edited_at")
    locked.full_clean(exclude=["bureau", "station", "item", "schedule", "coverage"])
    locked.save(update_fields=fields)
    if "level" in changed:
        audit_record(
            actor=actor, action="dataset.level", target=locked, from_state=before, to_state=locked.level
        )
    rest = sorted(set(changed) - {"level"})
    if rest:
        audit_record(
            actor=actor,
            action="dataset.update",
            target=locked,
            extra={name: changed[name] for name in rest},
        )
    return locked


@transaction.atomic
def sharing_settings_set(*, actor: Actor, answer_days: Any) -> SharingSettings:
    """The bureau's answer deadline in working days (1 to 30), by its admin; audited."""
    if not permissions.can_change_settings(actor) or actor.bureau is None:
        raise PermissionDenied(_("Only the bureau admin sets how soon requests are answered."))
    if isinstance(answer_days, bool) or not isinstance(answer_days, int) or not 1 <= answer_days <= 30:
        raise InvalidInput(_("answer_days must be a whole number from 1 to 30."), field="answer_days")
    row, _created = SharingSettings.objects.select_for_update().get_or_create(bureau=actor.bureau)
    before = row.answer_days
    row.answer_days = answer_days
    row.save(update_fields=["answer_days", "updated_at"])
    audit_record(
        actor=actor, action="sharing.settings", target=row, extra={"answer_days": [before, answer_days]}
    )
    return row
