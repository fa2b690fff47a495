"""The flow store (流程商店): flows shared between bureaus.

A :class:`StoreEntry` is one flow offered in the store: published by a bureau (from one of
its flows) or built into the portal (``bureau`` None, ``builtin_key`` set: the emergency
special-topic report and the monthly trend report, ``flows.builtin``). Each publication is
a :class:`StoreVersion`, a copy of the flow's definition at that moment (never a link to
the bureau's flow: its runs and outputs stay the bureau's own). The inputs a bureau fills
on install are ``inputs`` (``[{"node", "param", "label"}]``) plus free words
(``inputs_note``).

The store is shared by every bureau, so an entry is not tenant-owned: every signed-in
person of any bureau reads the published entries (``flows.selectors.store_entry_list``).
A bureau's copy is a :class:`StoreInstall` (tenant-owned: the installing bureau's), which
remembers the store version it came from and the parameters the bureau filled, so an
update keeps them. A :class:`StoreRating` is one person's stars (1-5) and comment.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import TimeStamped
from portal.tenancy import TenantOwned


class StoreEntry(TimeStamped):
    """A flow offered in the store (see the module's docstring)."""

    # The publishing bureau; None: built into the portal (flows.builtin).
    bureau = models.ForeignKey(
        "portal.Bureau", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_flow = models.OneToOneField(
        "flows.Flow", on_delete=models.SET_NULL, null=True, blank=True, related_name="store_entry"
    )
    builtin_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    title = models.CharField(_("title"), max_length=120)
    description_zh = models.TextField(_("description (Chinese)"), blank=True, default="")
    description_en = models.TextField(_("description (English)"), blank=True, default="")
    inputs = models.JSONField(_("inputs to fill"), default=list, blank=True)
    inputs_note = models.TextField(_("what else it needs"), blank=True, default="")
    # Searched and filtered without opening the definition: its node types and disciplines.
    node_types = models.JSONField(default=list, blank=True)
    disciplines = models.JSONField(default=list, blank=True)
    featured = models.BooleanField(_("featured"), default=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-featured", "-created_at", "-id"]
        verbose_name = _("store entry")
        verbose_name_plural = _("store entries")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("flows:store-detail", args=[self.pk])

    @property
    def is_builtin(self) -> bool:
        return self.bureau_id is None

    def description(self) -> str:
        from django.utils.translation import get_language

        english = (get_language() or "zh-hans").startswith("en")
        return (
            (self.description_en or self.description_zh)
            if english
            else (self.description_zh or self.description_en)
        )


class StoreVersion(TimeStamped):
    """One publication of an entry: the flow's definition as it was published."""

    entry = models.ForeignKey(StoreEntry, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    note = models.CharField(_("what changed"), max_length=200, blank=True, default="")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["entry", "-number"]
        verbose_name = _("store version")
        verbose_name_plural = _("store versions")
        constraints = [
            models.UniqueConstraint(fields=["entry", "number"], name="storeversion_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} v{self.number}"


class StoreScreenshot(TimeStamped):
    """A picture of what the flow produces (stored through ``portal.uploads``)."""

    entry = models.ForeignKey(StoreEntry, on_delete=models.CASCADE, related_name="screenshots")
    file = models.FileField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True, default="")
    caption = models.CharField(_("caption"), max_length=200, blank=True, default="")

    class Meta:
        ordering = ["entry", "id"]
        verbose_name = _("screenshot")
        verbose_name_plural = _("screenshots")

    def __str__(self) -> str:
        return self.display_name or f"screenshot {self.pk}"


class StoreRating(TimeStamped):
    """One person's rating of an entry (a second rating replaces the first)."""

    entry = models.ForeignKey(StoreEntry, on_delete=models.CASCADE, related_name="ratings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    bureau = models.ForeignKey("portal.Bureau", on_delete=models.PROTECT, related_name="+")
    stars = models.PositiveSmallIntegerField(
        _("stars"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True, default="")

    class Meta:
        ordering = ["entry", "-updated_at", "-id"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(fields=["entry", "user"], name="storerating_one_per_person"),
            models.CheckConstraint(
                condition=models.Q(stars__gte=1, stars__lte=5), name="storerating_stars_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.stars}"


class StoreInstall(TenantOwned):
    """A bureau's copy of a store entry: its flow, the store version it is at, and the
    parameters the bureau filled (``{"<node>.<param>": value}``, kept on update)."""

    entry = models.ForeignKey(StoreEntry, on_delete=models.PROTECT, related_name="installs")
    flow = models.OneToOneField("flows.Flow", on_delete=models.CASCADE, related_name="store_install")
    version = models.ForeignKey(StoreVersion, on_delete=models.PROTECT, related_name="+")
    filled = models.JSONField(default=dict, blank=True)
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("store install")
        verbose_name_plural = _("store installs")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "entry"], name="storeinstall_one_per_bureau"),
        ]

    def __str__(self) -> str:
        return f"{self.bureau_id}: {self.entry_id}"
