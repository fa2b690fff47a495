from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SkillConfig(AppConfig):
    """Which observations have forecast skill (预报效能检验): each channel's anomalies scored
    against the quakes that followed (R-score, Molchan diagram, probability gain)."""

    name = "skill"
    verbose_name = _("Forecast skill of observations")

    def ready(self) -> None:
        from . import services  # noqa: F401 - registers the words of its audit actions
