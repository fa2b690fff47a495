"""Forms of the data-sharing pages: ask for a dataset, answer a request, a dataset's settings,
push a dataset, the bureau's answer deadline. They parse; the services decide."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.validators import WORK_DATE_MAX, WORK_DATE_MIN

from .models import Frequency, Level, Zone

if TYPE_CHECKING:
    from observations.models import Channel
    from portal.models import Bureau

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})
TEXT = {"class": "form-control"}


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=DATE,
        help_text=_("Leave empty for no bound."),
    )


class _Styled(forms.Form):
    """Bootstrap's classes on every widget (checkboxes are laid out by the template)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)


class _Dates(_Styled):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("period_start", "period_end"):
            value = data.get(name)
            if value is not None and not WORK_DATE_MIN <= value <= WORK_DATE_MAX:
                self.add_error(name, _("A date from 1900 to 2199."))
        return data


class RequestForm(_Dates):
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=2000,
        widget=forms.Textarea(attrs={**TEXT, "rows": 3}),
        help_text=_("What the data are for (a study, a consultation, a verification)."),
    )
    period_start = _date_field(_("From"))
    period_end = _date_field(_("Until"))
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every channel of the dataset."),
    )

    def __init__(self, *args: Any, parts: list[Channel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if parts:
            self.fields["channels"].choices = [(str(c.pk), str(c)) for c in parts]
        else:
            del self.fields["channels"]


class ApproveForm(_Dates):
    period_start = _date_field(_("From"))
    period_end = _date_field(_("Until"))
    channels = forms.MultipleChoiceField(
        label=_("Channels"), required=False, widget=forms.CheckboxSelectMultiple
    )
    expires = forms.DateField(
        label=_("Access until"),
        required=False,
        widget=DATE,
        help_text=_("The last day (Beijing time) the bureau may read the data; empty: until revoked."),
    )
    comment = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={**TEXT, "rows": 2})
    )

    def __init__(self, *args: Any, parts: list[Channel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if parts:
            self.fields["channels"].choices = [(str(c.pk), str(c)) for c in parts]
        else:
            del self.fields["channels"]


class ReasonForm(_Styled):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 2})
    )


class DatasetForm(_Styled):
    level = forms.ChoiceField(label=_("Sharing level"), choices=Level.choices)
    zone = forms.ChoiceField(label=_("Zone"), choices=Zone.choices)
    update_frequency = forms.ChoiceField(label=_("Updated"), choices=Frequency.choices)
    title_zh = forms.CharField(label=_("Chinese title"), max_length=200)
    title_en = forms.CharField(label=_("English title"), max_length=200, required=False)
    description_zh = forms.CharField(
        label=_("Chinese description"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={**TEXT, "rows": 3}),
    )
    description_en = forms.CharField(
        label=_("English description"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={**TEXT, "rows": 3}),
    )


class LevelForm(_Styled):
    level = forms.ChoiceField(label=_("Sharing level"), choices=Level.choices)


class PushForm(_Styled):
    bureaus = forms.MultipleChoiceField(
        label=_("Bureaus"), widget=forms.CheckboxSelectMultiple, help_text=_("Neighbours are listed first.")
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={**TEXT, "rows": 2})
    )

    def __init__(
        self, *args: Any, bureaus: list[tuple[Bureau, bool]], language: str | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        neighbour = _("neighbour")
        self.fields["bureaus"].choices = [
            (b.code, f"{b.code} {b.display_name(language)}" + (f" ({neighbour})" if near else ""))
            for b, near in bureaus
        ]


class SettingsForm(_Styled):
    answer_days = forms.IntegerField(
        label=_("Answer requests within (working days)"),
        min_value=1,
        max_value=30,
        widget=forms.NumberInput(attrs=TEXT),
        help_text=_("Saturdays, Sundays and China's public holidays are not counted."),
    )
