"""The four disciplines (四大学科); their codes are fixed."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DisciplineCode(models.TextChoices):
    SEISMOLOGY = "seismology", _("seismology")
    DEFORMATION = "deformation", _("deformation")
    FLUID = "fluid", _("fluids")
    ELECTROMAGNETISM = "electromagnetism", _("electromagnetism")


# Chinese names as the bureaus write them.
DISCIPLINE_NAMES_ZH = {
    DisciplineCode.SEISMOLOGY: "测震",
    DisciplineCode.DEFORMATION: "形变",
    DisciplineCode.FLUID: "流体",
    DisciplineCode.ELECTROMAGNETISM: "电磁",
}


class Discipline(models.Model):
    code = models.CharField(max_length=24, unique=True, choices=DisciplineCode.choices)
    name_zh = models.CharField(max_length=20)
    name_en = models.CharField(max_length=40)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("discipline")
        verbose_name_plural = _("disciplines")

    def __str__(self) -> str:
        return self.name_zh

    def display_name(self, language: str | None) -> str:
        return self.name_en if (language or "").startswith("en") else self.name_zh
