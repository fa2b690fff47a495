"""Forms of the zone pages (typing and rendering; the services validate again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Frequency, ZoneLevel


class ZoneForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2199)
    level = forms.ChoiceField(label=_("Level"), choices=ZoneLevel.choices)
    min_magnitude = forms.DecimalField(
        label=_("Minimum magnitude"), min_value=3, max_value=9.5, decimal_places=1
    )
    max_magnitude = forms.DecimalField(
        label=_("Maximum magnitude"), min_value=3, max_value=9.5, decimal_places=1, required=False
    )
    bureaus = forms.MultipleChoiceField(label=_("Responsible bureaus"), required=False)
    meeting = forms.TypedChoiceField(
        label=_("Annual consultation"), required=False, coerce=int, empty_value=None
    )
    basis = forms.CharField(
        label=_("Basis"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=20000
    )
    polygon = forms.CharField(
        widget=forms.HiddenInput, required=True, error_messages={"required": _("Draw the zone on the map.")}
    )

    def __init__(
        self, *args: Any, bureaus: list[tuple[str, str]], meetings: list[tuple[Any, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bureaus"].choices = bureaus
        self.fields["bureaus"].widget.attrs["size"] = 6
        self.fields["meeting"].choices = [("", "—"), *meetings]


class PlanForm(forms.Form):
    items = forms.CharField(
        label=_("Observation items to watch"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    channels = forms.MultipleChoiceField(label=_("Channels"), required=False)
    schedules = forms.MultipleChoiceField(label=_("Scheduled products"), required=False)
    flows = forms.MultipleChoiceField(label=_("Flows"), required=False)
    catalogs = forms.CharField(
        label=_("Catalogs"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
    watchers = forms.MultipleChoiceField(label=_("Who tracks"), required=False)
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )

    def __init__(self, *args: Any, options: dict[str, list[tuple[Any, str]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in options.items():
            self.fields[name].choices = choices
            self.fields[name].widget.attrs["size"] = min(max(len(choices), 2), 8)


class ReportForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Tracking summary"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        max_length=50000,
    )
    judgement = forms.CharField(
        label=_("Judgement"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=50000
    )
