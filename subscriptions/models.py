"""Subscriptions people set for themselves (after USGS's Earthquake Notification Service).

A ``Subscription`` belongs to one person (``owner``) and, for tenancy, to the bureau they
acted for when they made it; only its owner reads it (``selectors``). A ``SubscriptionNotice``
is one message decided for a subscription (an event, or a product about it, at one version);
each try to deliver it over one channel is a ``SubscriptionDelivery`` row, as the topic-report
pushes count theirs, so no failure is silent.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from portal.tenancy import TenantOwned


class Product(models.TextChoices):
    QUICK_REPORT = "quick_report", _("quick report")
    TOPIC_REPORT = "topic_report", _("special-topic report")
    POSTQUAKE_OPINION = "postquake_opinion", _("post-quake opinion")
    TREND_REPORT_ISSUED = "trend_report_issued", _("monthly trend report issued")


#: ``anomalies:<discipline code>`` names the anomalies of one discipline.
ANOMALIES_PREFIX = "anomalies:"


class Channel(models.TextChoices):
    IN_APP = "in_app", _("in the app")
    EMAIL = "email", _("e-mail")
    WECHAT = "wechat", _("WeChat Work")


class Subscription(TenantOwned):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100, blank=True, default="")
    #: None: all of China (epicentres within ``services.notices.CHINA_MARGIN_KM`` of its outline).
    region = models.MultiPolygonField(_("region"), srid=4326, null=True, blank=True)
    #: What the person gave: "polygon", "circle", "bureau" or "china", with its parameters.
    region_spec = models.JSONField(_("region as given"), default=dict, blank=True)
    min_magnitude = models.FloatField(_("minimum magnitude (day)"))
    min_magnitude_night = models.FloatField(_("minimum magnitude (night)"))
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    products = models.JSONField(_("products"), default=list)
    channels = models.JSONField(_("channels"), default=list)
    wechat_webhook_url = models.URLField(_("WeChat Work bot address"), max_length=500, blank=True, default="")
    digest = models.BooleanField(_("digest instead of single messages"), default=False)
    suppress_aftershocks = models.BooleanField(_("suppress aftershocks"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="subscription_owner_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_magnitude__gte=-2, min_magnitude__lte=10)
                & models.Q(min_magnitude_night__gte=-2, min_magnitude_night__lte=10),
                name="subscription_magnitudes_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"


class SubscriptionNotice(TenantOwned):
    """One message decided for a subscription: an event or a product, at one version."""

    class Kind(models.TextChoices):
        NEW = "new", _("new")
        UPDATE = "update", _("update")

    class Decision(models.TextChoices):
        SEND = "send", _("sent at once")
        HOLD = "hold", _("held until the quiet hours end")
        DIGEST = "digest", _("kept for the digest")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="notices")
    product = models.CharField(_("product"), max_length=40)
    event = models.ForeignKey(
        "catalog.Event", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    #: The id of what the notice is about (the event for quick reports, the report otherwise).
    ref_id = models.BigIntegerField()
    version = models.PositiveIntegerField(default=1)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    deliver_at = models.DateTimeField(_("deliver at"))
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("message"), blank=True, default="")
    url = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "product", "ref_id", "version"], name="subscriptionnotice_once"
            )
        ]


class SubscriptionDelivery(TenantOwned):
    """One try to deliver a notice over one channel (a row per attempt)."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    notice = models.ForeignKey(SubscriptionNotice, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    error = models.TextField(_("error"), blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "channel", "attempt"], name="subscriptiondelivery_once")
        ]
