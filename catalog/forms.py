"""Forms of the catalog pages."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import AlertRule


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = [
            "threshold_magnitude",
            "distance_km",
            "topic_report",
            "pushes",
            "emergency_meeting",
            "post_quake_case",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            checkbox = isinstance(field.widget, forms.CheckboxInput)
            field.widget.attrs.setdefault("class", "form-check-input" if checkbox else "form-control")
        # Nothing reacts to it yet (catalog.arrival): shown, not offered.
        self.fields["post_quake_case"].disabled = True
