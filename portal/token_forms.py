"""The form of the page that makes a personal API token (``portal.token_views``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TokenScope
from .timefmt import BEIJING, today

if TYPE_CHECKING:
    from .models import Bureau

DEFAULT_LIFE_DAYS = 90


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("name"), max_length=100, help_text=_("What the program is, e.g. “station data upload”.")
    )
    bureau = forms.ChoiceField(label=_("acts for"))
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple
    )
    expires = forms.DateField(
        label=_("expires after"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The token stops working at the end of this day (Beijing time); at most a year ahead."),
    )
    rate_limit = forms.IntegerField(
        label=_("requests per minute"),
        required=False,
        min_value=1,
        max_value=1_000_000,
        help_text=_("Leave empty for the portal's limit."),
    )

    def __init__(self, *args: Any, bureaus: list[Bureau], current: str | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bureau"].choices = [(b.code, f"{b.code} · {b.name_zh}") for b in bureaus]
        self.fields["bureau"].initial = current
        # ISO text: the value of a date input, whether the form is fresh or sent back
        self.fields["expires"].initial = (today() + dt.timedelta(days=DEFAULT_LIFE_DAYS)).isoformat()

    def expires_at(self) -> dt.datetime:
        """The end of the chosen Beijing day, as an aware time."""
        day: dt.date = self.cleaned_data["expires"]
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=BEIJING)
