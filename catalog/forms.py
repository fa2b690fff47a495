"""Forms of the catalog pages."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import AlertRule

#: The fields of the special-topic report and the emergency meeting, then the post-quake case's.
GENERAL_FIELDS = ["threshold_magnitude", "distance_km", "topic_report", "pushes", "emergency_meeting"]
POST_QUAKE_FIELDS = [
    "post_quake_case",
    "post_quake_min_magnitude",
    "post_quake_distance_km",
    "post_quake_min_magnitude_china",
    "post_quake_min_magnitude_abroad",
]


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = [*GENERAL_FIELDS, *POST_QUAKE_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            checkbox = isinstance(field.widget, forms.CheckboxInput)
            field.widget.attrs.setdefault("class", "form-check-input" if checkbox else "form-control")
            if isinstance(field, forms.DecimalField):
                field.widget.attrs.setdefault("step", "0.1")

    def general_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in GENERAL_FIELDS]

    def post_quake_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in POST_QUAKE_FIELDS]
