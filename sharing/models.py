"""Data sharing between bureaus (数据超市): datasets, requests, grants and pushes.

* A :class:`Dataset` is something a bureau holds, described for others: its earthquake
  catalog, the series of a station or of an observation item, a method's product results,
  a kind of report. It has a sharing level (open to all bureaus, on request, not shared) and
  sits in one of the seed's three zones (real-time data 生鲜区, processed products 百货区,
  custom requests 定制区). Datasets are made and kept up to date from what the bureau holds
  (``services.sync``); its data stewards (or admins) set levels and words.
* A :class:`DataRequest` is another bureau's person asking for an on-request dataset, with a
  purpose, a period and the parts (channels) needed, answered by a deadline in working days.
* A :class:`Grant` opens a dataset's rows to one bureau, narrowed by a period and channels,
  until it expires or is revoked: made by an approved request or by a :class:`Push`.
  ``portal.tenancy.visible_to`` reads the live grants (``sharing.openings``): grants decide
  visibility wherever the rows appear.
* A :class:`Push` is a bureau sending a dataset to bureaus it chose (省里主动给): a standing
  grant to each, and a notice to their people when new data arrive (:class:`PushNotice`, one
  per push and new thing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.tenancy import TenantOwned, TenantQuerySet

if TYPE_CHECKING:
    import datetime as dt

    from portal.tenancy import Actor


class DatasetKind(models.TextChoices):
    CATALOG = "catalog", _("earthquake catalog")
    STATION_SERIES = "station_series", _("series of a station")
    ITEM_SERIES = "item_series", _("series of an observation item")
    PRODUCT = "product", _("product results")
    REPORTS = "reports", _("reports of a kind")


SERIES_KINDS = (DatasetKind.STATION_SERIES, DatasetKind.ITEM_SERIES)


class Level(models.TextChoices):
    """Who gets the data: everyone signed in, whom the owner approves, or no one else."""

    OPEN = "open", _("open to all bureaus")
    ON_REQUEST = "on_request", _("on request")
    NOT_SHARED = "not_shared", _("not shared")


class Zone(models.TextChoices):
    """The three counters of the seed's data supermarket."""

    REALTIME = "realtime", _("real-time data")
    PRODUCTS = "products", _("processed products")
    CUSTOM = "custom", _("custom requests")


class Frequency(models.TextChoices):
    REALTIME = "realtime", _("as data arrive")
    DAILY = "daily", _("daily")
    MONTHLY = "monthly", _("monthly")
    PER_EVENT = "per_event", _("after each notable quake")
    SCHEDULED = "scheduled", _("on its schedule")
    IRREGULAR = "irregular", _("irregular")


class SharedReportKind(models.TextChoices):
    TOPIC = "topic_report", _("special-topic reports")
    TREND = "trend_report", _("monthly trend reports")
    CONSULTATION = "consultation_report", _("consultation reports")


class Dataset(TenantOwned):
    """What a bureau (``bureau``, the owner) holds and offers, and at which level."""

    kind = models.CharField(pgettext_lazy("sharing", "kind"), max_length=16, choices=DatasetKind.choices)
    # what the dataset covers, one word per bureau: "catalog", "station:JX-XS", "item:WL",
    # "method:bvalue", "schedule:12", "report:trend_report"
    key = models.CharField(max_length=80)
    station = models.ForeignKey(
        "observations.Station", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    item = models.ForeignKey(
        "observations.ObservationItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    method = models.CharField(_("method"), max_length=32, blank=True, default="")
    # a schedule's runs only; when the schedule is deleted the dataset covers nothing (the
    # row stays for its requests' history, inactive)
    for_schedule = models.BooleanField(default=False)
    schedule = models.ForeignKey(
        "products.ProductSchedule", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    report_kind = models.CharField(
        _("report kind"), max_length=24, blank=True, default="", choices=SharedReportKind.choices
    )
    title_zh = models.CharField(_("Chinese title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True, default="")
    description_zh = models.TextField(_("Chinese description"), blank=True, default="")
    description_en = models.TextField(_("English description"), blank=True, default="")
    coverage = models.GeometryField(_("area covered"), srid=4326, null=True, blank=True)
    period_start = models.DateField(_("data from"), null=True, blank=True)
    period_end = models.DateField(_("data until"), null=True, blank=True)
    rows = models.PositiveBigIntegerField(_("records"), default=0)
    update_frequency = models.CharField(
        _("updated"), max_length=12, choices=Frequency.choices, default=Frequency.IRREGULAR
    )
    level = models.CharField(
        _("sharing level"), max_length=12, choices=Level.choices, default=Level.ON_REQUEST
    )
    zone = models.CharField(_("zone"), max_length=12, choices=Zone.choices, default=Zone.REALTIME)
    # the thing it covers still exists (a deleted schedule's dataset is kept, inactive)
    is_active = models.BooleanField(_("active"), default=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    # set once a person edits the words: the sync no longer rewrites titles and descriptions
    edited_at = models.DateTimeField(null=True, blank=True)
    level_set_at = models.DateTimeField(null=True, blank=True)
    level_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["bureau__code", "kind", "key"]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "key"], name="dataset_one_per_subject"),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="dataset_period_order",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "level"], name="dataset_kind_level_idx"),
            models.Index(fields=["bureau", "kind"], name="dataset_bureau_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.bureau.code} {self.title_zh}"

    def get_absolute_url(self) -> str:
        return reverse("sharing:dataset-detail", args=[self.pk])

    @classmethod
    def shared_q(cls, actor: Actor) -> Q | None:
        """Other bureaus find what is open or on request in the catalog, and a dataset granted
        to them (a push) even when it is not listed for everyone."""
        if actor.bureau_id is None:
            return None
        listed = Q(level__in=[Level.OPEN, Level.ON_REQUEST], is_active=True)
        granted = Exists(Grant.objects.live().filter(dataset=OuterRef("pk"), grantee_id=actor.bureau_id))
        return listed | Q(granted)

    def title(self, language: str | None) -> str:
        english = (language or "").startswith("en")
        return (self.title_en or self.title_zh) if english else self.title_zh

    def description(self, language: str | None) -> str:
        english = (language or "").startswith("en")
        return (self.description_en or self.description_zh) if english else self.description_zh

    @property
    def is_series(self) -> bool:
        return self.kind in SERIES_KINDS


#: A request is answered within this many working days unless the bureau says otherwise.
DEFAULT_ANSWER_DAYS = 3


class SharingSettings(TenantOwned):
    """How a bureau answers requests for its data (one row per bureau; none: the defaults)."""

    answer_days = models.PositiveSmallIntegerField(
        _("answer within (working days)"),
        default=DEFAULT_ANSWER_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("Saturdays, Sundays and China's public holidays are not counted."),
    )

    class Meta:
        verbose_name = _("sharing settings")
        verbose_name_plural = _("sharing settings")
        constraints = [
            models.UniqueConstraint(fields=["bureau"], name="sharingsettings_one_per_bureau"),
            models.CheckConstraint(
                condition=Q(answer_days__gte=1) & Q(answer_days__lte=30), name="sharingsettings_answer_days"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bureau} {self.answer_days}"


class DataRequest(TenantOwned):
    """A person of ``requester_bureau`` asks ``bureau`` (the owner) for one of its datasets.

    The owner's data stewards (or admins) approve, narrowing the scope and setting an expiry,
    which makes a :class:`Grant`; or refuse with a reason. An approved request may be revoked;
    it expires when its grant does. ``due_at`` is the deadline of the answer; a pending
    request past it is escalated once to the owner's bureau admins (``escalated_at``).
    """

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for an answer")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")
        REVOKED = "revoked", _("revoked")
        EXPIRED = "expired", _("expired")

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="requests")
    requester_bureau = models.ForeignKey("portal.Bureau", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    purpose = models.TextField(_("purpose"))
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("until"), null=True, blank=True)
    channel_ids = ArrayField(models.BigIntegerField(), default=list, blank=True, verbose_name=_("channels"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    due_at = models.DateTimeField(_("answer due"))
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # why it was refused or revoked
    reason = models.TextField(_("reason"), blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        indexes = [
            models.Index(fields=["bureau", "state", "due_at"], name="datarequest_owner_idx"),
            models.Index(fields=["requester_bureau", "-created_at"], name="datarequest_requester_idx"),
            models.Index(
                fields=["due_at"],
                condition=Q(state="pending", escalated_at__isnull=True),
                name="datarequest_to_escalate_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="datarequest_period_order",
            ),
            models.CheckConstraint(
                condition=~Q(requester_bureau=models.F("bureau")), name="datarequest_other_bureau"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requester_bureau_id} → {self.dataset_id} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("sharing:request-detail", args=[self.pk])

    @classmethod
    def shared_q(cls, actor: Actor) -> Q | None:
        """The asking bureau reads its own requests (the owner reads them as its rows)."""
        return Q(requester_bureau_id=actor.bureau_id) if actor.bureau_id else None

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.state == self.State.PENDING and self.due_at < now


class Push(TenantOwned):
    """``bureau`` sends a dataset to bureaus it chose: a standing grant to each (its
    ``grants``), and a notice to their people when new data arrive, until it is stopped."""

    class State(models.TextChoices):
        ACTIVE = "active", _("pushing")
        STOPPED = "stopped", _("stopped")

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="pushes")
    note = models.TextField(_("note"), blank=True, default="")
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.ACTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_announced_at = models.DateTimeField(_("last told"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("push")
        verbose_name_plural = _("pushes")
        indexes = [models.Index(fields=["dataset", "state"], name="push_dataset_state_idx")]

    def __str__(self) -> str:
        return f"{self.dataset_id} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("sharing:push-detail", args=[self.pk])

    @classmethod
    def shared_q(cls, actor: Actor) -> Q | None:
        """A bureau a push goes to reads it."""
        if actor.bureau_id is None:
            return None
        return Q(Exists(Grant.objects.filter(push=OuterRef("pk"), grantee_id=actor.bureau_id)))


def live_grant_q(now: dt.datetime) -> Q:
    """A grant that opens data at ``now``: not revoked, not expired."""
    return (Q(expires_at__isnull=True) | Q(expires_at__gt=now)) & Q(revoked_at__isnull=True)


class GrantQuerySet(TenantQuerySet):
    def live(self, now: dt.datetime | None = None) -> GrantQuerySet:
        """Grants not revoked and not expired at ``now`` (the clock when not given)."""
        return self.filter(live_grant_q(now or timezone.now()))


class Grant(TenantOwned):
    """Rows of ``dataset`` (of ``bureau``, the owner) opened to ``grantee``.

    Narrowed by a period (``period_start``/``period_end``, dates as people give them; the
    same bounds as instants in Beijing time in ``starts_at``/``ends_at``, end exclusive, for
    columns that hold times) and by channels (``channel_ids``; empty: all of the dataset's).
    Live while not revoked and not past ``expires_at``: ``visible_to`` checks both in its
    query, so nothing has to run for a grant to end.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="grants")
    grantee = models.ForeignKey("portal.Bureau", on_delete=models.PROTECT, related_name="+")
    request = models.OneToOneField(
        DataRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="grant"
    )
    push = models.ForeignKey(Push, on_delete=models.PROTECT, null=True, blank=True, related_name="grants")
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("until"), null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    channel_ids = ArrayField(models.BigIntegerField(), default=list, blank=True, verbose_name=_("channels"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        indexes = [
            # what visible_to reads: a bureau's live grants, per dataset
            models.Index(
                fields=["grantee", "dataset"], condition=Q(revoked_at__isnull=True), name="grant_live_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(request__isnull=False, push__isnull=True)
                | Q(request__isnull=True, push__isnull=False),
                name="grant_one_origin",
            ),
            models.CheckConstraint(condition=~Q(grantee=models.F("bureau")), name="grant_other_bureau"),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="grant_period_order",
            ),
            models.UniqueConstraint(
                fields=["push", "grantee"], condition=Q(push__isnull=False), name="grant_once_per_push"
            ),
        ]

    SCOPE_FIELDS: ClassVar[tuple[str, ...]] = ("period_start", "period_end", "channel_ids")

    def __str__(self) -> str:
        return f"{self.dataset_id} → {self.grantee_id}"

    @classmethod
    def shared_q(cls, actor: Actor) -> Q | None:
        """The bureau a grant opens data to reads it."""
        return Q(grantee_id=actor.bureau_id) if actor.bureau_id else None

    def is_live(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class PushNotice(models.Model):
    """One announcement of new data to a push's bureaus: at most one per push and thing
    (``key``: "event:12", "run:5", "report:trend_report:3", "series:2026120109" for the
    series of one Beijing hour), so a hook heard twice tells no one twice."""

    push = models.ForeignKey(Push, on_delete=models.CASCADE, related_name="notices")
    key = models.CharField(max_length=80)
    title = models.CharField(max_length=200)
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["push", "key"], name="pushnotice_once")]

    def __str__(self) -> str:
        return f"{self.push_id} {self.key}"
