"""Forms of the brief pages: the filter of the list, "compile now" and the bureau's settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import DisciplineCode

from .models import BriefKind, BriefSettings


def _discipline_choices() -> list[tuple[str, str]]:
    return [("", _("any discipline")), *DisciplineCode.choices]


class BriefFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"), required=False, choices=[("", _("all kinds")), *BriefKind.choices]
    )
    discipline = forms.ChoiceField(label=_("discipline"), required=False, choices=_discipline_choices)
    start = forms.DateField(label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class BriefCompileForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=BriefKind.choices)
    date = forms.DateField(
        label=_("date (the period ends on it at the brief time)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    discipline = forms.ChoiceField(
        label=_("discipline (discipline reports)"), required=False, choices=_discipline_choices
    )
    refresh = forms.BooleanField(label=_("compile again if it exists"), required=False)


class BriefSettingsForm(forms.ModelForm):
    class Meta:
        model = BriefSettings
        fields = ["daily_at", "weekly", "discipline_reports", "b_value_max", "rate_z_min"]
        widgets = {"daily_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
