"""The page's form of one subscription (the region drawn on the map goes in a hidden field)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Channel, Product


class SubscriptionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    region_kind = forms.ChoiceField(
        label=_("Region"),
        choices=[
            ("china", _("All of China")),
            ("bureau", _("A bureau's jurisdiction")),
            ("drawn", _("Drawn on the map (polygon or circle)")),
        ],
        help_text=_(
            "All of China: epicentres in China or within 100 km of it (its coastal seas, quakes just "
            "across a border)."
        ),
    )
    bureau = forms.ChoiceField(label=_("Bureau"), required=False)
    region = forms.CharField(widget=forms.HiddenInput, required=False)
    min_magnitude = forms.FloatField(label=_("Minimum magnitude by day"), min_value=-2, max_value=10)
    min_magnitude_night = forms.FloatField(
        label=_("Minimum magnitude at night (22:00–07:00)"), min_value=-2, max_value=10
    )
    quiet_start = forms.TimeField(label=_("Quiet hours from"), required=False)
    quiet_end = forms.TimeField(label=_("Quiet hours until"), required=False)
    products = forms.MultipleChoiceField(label=_("Products"), widget=forms.CheckboxSelectMultiple)
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple
    )
    wechat_webhook_url = forms.CharField(label=_("WeChat Work bot address"), max_length=500, required=False)
    digest = forms.BooleanField(label=_("A digest instead of single messages"), required=False)
    suppress_aftershocks = forms.BooleanField(label=_("Suppress small aftershocks"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(
        self, *args: Any, bureaus: list[tuple[str, str]], disciplines: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bureau"].choices = [("", "—"), *bureaus]
        anomalies = [
            (f"anomalies:{code}", _("anomalies: %(discipline)s") % {"discipline": name})
            for code, name in disciplines
        ]
        self.fields["products"].choices = [*Product.choices, *anomalies]

    def service_data(self) -> dict[str, Any]:
        """The API's body from the form's values."""
        import json

        data = dict(self.cleaned_data)
        kind, bureau, drawn = data.pop("region_kind"), data.pop("bureau"), data.pop("region")
        if kind == "bureau":
            data["region"] = {"bureau": bureau}
        elif kind == "drawn":
            try:
                data["region"] = json.loads(drawn) if drawn else ""
            except ValueError:
                data["region"] = drawn
        else:
            data["region"] = None
        start, end = data.pop("quiet_start"), data.pop("quiet_end")
        data["quiet_hours"] = [start.strftime("%H:%M"), end.strftime("%H:%M")] if start and end else None
        return data
