"""The form that proposes a master-data change: the fields of its target and action only,
filled with the row's current values for an update; only the values changed are sent."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import MasterDataChange, SamplingInterval, Station
from .services.master_values import CLOSE_FIELDS, FIELDS, IDENTIFYING, OPEN_STATUSES

LABELS = {
    "code": pgettext_lazy("observations", "Code"),
    "name_zh": _("Chinese name"),
    "name_en": _("English name"),
    "lon": _("Longitude (°E)"),
    "lat": _("Latitude (°N)"),
    "elevation_m": _("Elevation (m)"),
    "kind": pgettext_lazy("observations", "Kind"),
    "status": _("Status"),
    "opened_on": _("Opened"),
    "closed_on": pgettext_lazy("observations", "Closed"),
    "station": _("Station"),
    "item": _("Observation item"),
    "orientation": _("Orientation"),
    "instrument": _("Instrument"),
    "unit": pgettext_lazy("observations", "Unit"),
    "interval": _("Sampling interval"),
    "plausible_min": _("Plausible minimum"),
    "plausible_max": _("Plausible maximum"),
    "model": _("Model"),
    "serial_number": _("Serial number"),
    "installed_on": _("Installed"),
    "removed_on": _("Removed"),
}
# fields an update may empty (the others keep their value when left empty)
CLEARABLE = {
    "name_en",
    "elevation_m",
    "opened_on",
    "closed_on",
    "serial_number",
    "removed_on",
    "plausible_min",
    "plausible_max",
    "instrument",
}
NUMBERS = {"lon", "lat", "elevation_m", "plausible_min", "plausible_max"}
DATES = {"opened_on", "closed_on", "installed_on", "removed_on"}


def _text_widget(name: str) -> forms.Widget:
    attrs: dict[str, Any] = {"class": "form-control"}
    if name in NUMBERS:
        attrs["inputmode"] = "decimal"
    if name in DATES:
        attrs["placeholder"] = "2026-12-01"
    return forms.TextInput(attrs=attrs)


class ChangeForm(forms.Form):
    """Built for one ``target`` and ``action``; ``current`` are the row's values (update)."""

    def __init__(
        self,
        *args: Any,
        target: str,
        action: str,
        current: dict[str, Any] | None = None,
        stations: list[tuple[str, str]] | None = None,
        items: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.target, self.action, self.current = target, action, current or {}
        if action == MasterDataChange.Action.CLOSE:
            names = CLOSE_FIELDS[target]
        elif action == MasterDataChange.Action.UPDATE:
            names = tuple(n for n in FIELDS[target] if n not in IDENTIFYING[target])
        else:
            names = FIELDS[target]
        for name in names:
            self.fields[name] = self._field(name, stations or [], items or [])
            if name in self.current and self.current[name] is not None:
                self.fields[name].initial = self.current[name]
        self.fields["reason"] = forms.CharField(
            label=_("Reason"),
            max_length=2000,
            widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
        )

    @staticmethod
    def _field(name: str, stations: list[tuple[str, str]], items: list[tuple[str, str]]) -> forms.Field:
        label = LABELS[name]
        select = {"class": "form-select"}
        if name == "kind":
            return forms.ChoiceField(
                label=label,
                required=False,
                choices=[("", "—"), *Station.Kind.choices],
                widget=forms.Select(attrs=select),
            )
        if name == "status":
            choices = [(s, label) for s, label in Station.Status.choices if s in OPEN_STATUSES]
            return forms.ChoiceField(
                label=label, required=False, choices=[("", "—"), *choices], widget=forms.Select(attrs=select)
            )
        if name == "interval":
            return forms.TypedChoiceField(
                label=label,
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", "—"), *SamplingInterval.choices],
                widget=forms.Select(attrs=select),
            )
        if name == "station":
            return forms.ChoiceField(
                label=label, required=False, choices=[("", "—"), *stations], widget=forms.Select(attrs=select)
            )
        if name == "item":
            return forms.ChoiceField(
                label=label, required=False, choices=[("", "—"), *items], widget=forms.Select(attrs=select)
            )
        return forms.CharField(label=label, required=False, max_length=200, widget=_text_widget(name))

    def values(self) -> dict[str, Any]:
        """The values to propose: what was filled in (a create) or changed (an update)."""
        values: dict[str, Any] = {}
        for name in self.fields:
            if name == "reason":
                continue
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                if (
                    self.action == MasterDataChange.Action.UPDATE
                    and name in CLEARABLE
                    and self.current.get(name) not in (None, "")
                ):
                    values[name] = None  # cleared
                continue
            if name in NUMBERS:
                values[name] = value.strip()  # the service reads numbers written as text
            elif name == "instrument":
                values[name] = int(value) if str(value).isdigit() else value
            else:
                values[name] = value
            if self.action == MasterDataChange.Action.UPDATE and _same(values[name], self.current.get(name)):
                del values[name]
        return values


def _same(new: Any, old: Any) -> bool:
    if old is None:
        return False
    try:
        return float(new) == float(old)
    except (TypeError, ValueError):
        return str(new) == str(old)
