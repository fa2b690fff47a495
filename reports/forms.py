"""Forms of the reports pages: GIS layer upload and the bureau's topic-report settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.widgets import IsoDateInput

from .models import GisLayerKind, TopicReportSettings


class GisLayerUploadForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=120)
    kind = forms.ChoiceField(label=_("kind"), choices=GisLayerKind.choices)
    description = forms.CharField(
        label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(
        label=_("GeoJSON file"),
        help_text=_("A FeatureCollection in WGS84 longitude/latitude; a 'name' property names each feature."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".geojson,.json,application/geo+json,application/json"}
        ),
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )


class TopicReportSettingsForm(forms.ModelForm):
    # Declared here (not from the model) to say https is the scheme a bare host gets.
    wechat_webhook_url = forms.URLField(
        label=_("WeChat Work group-bot webhook"),
        help_text=_("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."),
        required=False,
        max_length=500,
        assume_scheme="https",
    )

    class Meta:
        model = TopicReportSettings
        fields = [
            "history_radius_km",
            "history_min_magnitude",
            "history_since",
            "town_radius_km",
            "layer_radius_km",
            "email_recipients",
            "push_max_attempts",
            "push_retry_seconds",
        ]
        widgets = {
            "history_since": IsoDateInput(),
            "email_recipients": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if self.instance is not None and not self.is_bound:
            self.initial.setdefault("wechat_webhook_url", self.instance.wechat_webhook_url)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
