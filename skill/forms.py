"""The bureau admin's form of the test's parameters (one discipline at a time)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class SkillSettingsForm(forms.Form):
    discipline = forms.ChoiceField(label=_("Discipline"))
    magnitude = forms.FloatField(label=_("Minimum magnitude (M ≥ m)"), min_value=0.0, max_value=9.5)
    radius_km = forms.FloatField(label=_("Radius around the station (km)"), min_value=1.0, max_value=2000.0)
    days = forms.IntegerField(label=_("Alarm window after the onset (days)"), min_value=1, max_value=3650)

    def __init__(self, *args: Any, disciplines: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["discipline"].choices = disciplines
