"""A bureau's special-topic report settings (history and town radii, push recipients, retries)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from portal.exceptions import InvalidInput, PermissionDenied
from portal.services import audit_record
from reports.models import (
    TopicReportSettings,
)
from reports.permissions import can_manage_topic_settings

if TYPE_CHECKING:
    from portal.tenancy import Actor


SETTINGS_FIELDS = (
    "history_radius_km",
    "history_min_magnitude",
    "history_since",
    "town_radius_km",
    "layer_radius_km",
    "email_recipients",
    "wechat_webhook_url",
    "push_max_attempts",
    "push_retry_seconds",
)


@transaction.atomic
def topic_report_settings_update(*, actor: Actor, **data: Any) -> TopicReportSettings:
    """Save the actor's bureau's topic-report settings (bureau admins)."""
    if not can_manage_topic_settings(actor) or actor.bureau is None:  # the permission requires a bureau
        raise PermissionDenied(_("Only a bureau admin can change the special-topic report settings."))
    current, _new = TopicReportSettings.objects.select_for_update().get_or_create(bureau=actor.bureau)
    changed = []
    for name in SETTINGS_FIELDS:
        if name in data and getattr(current, name) != data[name]:
            setattr(current, name, data[name])
            changed.append(name)
    for address in TopicReportSettings(email_recipients=current.email_recipients).email_list:
        if "@" not in address or " " in address:
            raise InvalidInput(
                _("%(a)s is not an e-mail address.") % {"a": address}, field="email_recipients"
            )
    _full_clean(current)
    current.save()
    audit_record(actor=actor, action="topic_report.settings", target=current, extra={"fields": changed})
    return current


def _full_clean(obj: Any) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(f"{field}: {'; '.join(messages)}", field=field) from None
