"""Bureaus (the tenants), people, their memberships, the audit trail and notifications."""

from __future__ import annotations

import pgtrigger
from django.contrib.auth.models import AbstractUser
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class User(AbstractUser):
    """A person. What they may do comes from their memberships, never from this row."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # Work handed to the person always reaches the app (the bell); these add a channel of
    # their own choosing (portal.notifications delivers them).
    notify_by_email = models.BooleanField(_("also by e-mail"), default=False)
    notify_by_sms = models.BooleanField(_("also by SMS"), default=False)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def label(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Bureau(TimeStamped):
    """A tenant: a provincial earthquake bureau or a national unit."""

    class Kind(models.TextChoices):
        NATIONAL = "national", _("national")
        PROVINCIAL = "provincial", _("provincial")
        CENTER = "center", _("center")

    code = models.CharField(
        _("code"), max_length=16, unique=True, help_text=_("Short code such as JX, NM or CENC.")
    )
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    jurisdiction = models.MultiPolygonField(_("jurisdiction"), srid=4326, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("bureau")
        verbose_name_plural = _("bureaus")
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="bureau_code_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def reads_published(self) -> bool:
        """National units and centres read what provinces have published."""
        return self.kind in (self.Kind.NATIONAL, self.Kind.CENTER)

    def display_name(self, language: str | None) -> str:
        return self.name_en if (language or "").startswith("en") else self.name_zh


class Role(models.TextChoices):
    """Duties held in a bureau, not ranks: a person may hold several."""

    BUREAU_ADMIN = "bureau_admin", _("bureau admin")
    REPORTER = "reporter", _("reporter")
    EXPERT = "expert", _("discipline expert")
    FORECASTER = "forecaster", _("forecaster")
    CHAIR = "chair", _("chair")
    APPROVER = "approver", _("approver")
    VIEWER = "viewer", _("viewer")
    # sets the sharing levels of the bureau's datasets and answers other bureaus' requests
    # for them (the sharing app); without one in a bureau its bureau admins do
    DATA_STEWARD = "data_steward", _("data steward")


# --- the four disciplines (四大学科) with fixed codes ---------------------------------------


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
        # Reference data of the ground floor (Membership.discipline), moved here from the
        # disciplines app; its table keeps the old name (migrations moved state only).
        db_table = "disciplines_discipline"

    def __str__(self) -> str:
        return self.name_zh

    def display_name(self, language: str | None) -> str:
        return self.name_en if (language or "").startswith("en") else self.name_zh


class Membership(TimeStamped):
    """A person holds a role in a bureau, some roles for one discipline.

    A revoked membership is kept (revoked_at set) so the history of who could
    do what stays readable.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    discipline = models.ForeignKey(
        Discipline, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    granted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["bureau__code", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "bureau", "role", "discipline"],
                condition=Q(revoked_at__isnull=True),
                nulls_distinct=False,
                name="membership_one_active_grant",
            ),
        ]

    def __str__(self) -> str:
        discipline = f"/{self.discipline.code}" if self.discipline_id else ""
        return f"{self.user} @ {self.bureau.code}: {self.role}{discipline}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def append_only(prefix: str) -> list[pgtrigger.Trigger]:
    """Triggers by which the database refuses UPDATE and DELETE of a table's rows, and TRUNCATE
    (``manage.py flush`` lifts the TRUNCATE one only where ``AUDIT_ALLOW_FLUSH``: the tests)."""
    refuse = (
        "RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP"
        " USING ERRCODE = 'restrict_violation';"
    )
    return [
        pgtrigger.Trigger(
            name=f"{prefix}_append_only",
            when=pgtrigger.Before,
            operation=pgtrigger.Update | pgtrigger.Delete,
            func=refuse + " RETURN NULL;",
        ),
        pgtrigger.Trigger(
            name=f"{prefix}_no_truncate",
            level=pgtrigger.Statement,
            when=pgtrigger.Before,
            operation=pgtrigger.Truncate,
            func=refuse + " RETURN NULL;",
        ),
    ]


class AuditEvent(models.Model):
    """Who did what to which object, when, and the state it moved from and to.

    A hash chain (``portal.audit_chain``): ``seq`` counts the records from 1 with no gap,
    ``prev_hash`` is the hash of record ``seq - 1`` and ``hash`` the SHA-256 of this record's
    canonical form. Written only by ``portal.services.audit_record``; the database refuses
    UPDATE, DELETE and TRUNCATE (the triggers below), so a person or bureau with records
    cannot be deleted either (PROTECT: deactivate them).
    """

    # the database clock under the chain lock (portal.audit_chain.append), not auto_now_add
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    comment = models.TextField(blank=True)
    extra = models.JSONField(default=dict, blank=True)
    seq = models.BigIntegerField(unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]
        triggers = append_only("audit")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"


class Notification(models.Model):
    """A message to one person; a bureau-wide notice is one row per member."""

    class Level(models.TextChoices):
        INFO = "info", _("info")
        WARNING = "warning", _("warning")
        URGENT = "urgent", _("urgent")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    bureau = models.ForeignKey(Bureau, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=48, default="message")
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.INFO)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            )
        ]

    def __str__(self) -> str:
        return self.title


class RenderedDocument(TimeStamped):
    """A PDF rendered once, in a worker, from content that no longer changes (portal.documents).

    One row per owner (``kind`` names the owning model's document, e.g. "consultations.report",
    ``object_id`` its row). The row is never read on its own: a view first fetches the owner
    through its selector (not yours: 404), then its document. ``digest`` says which content the
    file is (or is being rendered) of, so a re-submitted document or an edited draft's preview
    renders again and an unchanged one never does.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RENDERING = "rendering", _("being rendered")
        READY = "ready", _("ready")
        FAILED = "failed", _("rendering failed")

    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=60)
    object_id = models.PositiveBigIntegerField()
    digest = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(max_length=300, blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    requested_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("rendered document")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="rendereddocument_one_per_owner"),
        ]
        indexes = [
            models.Index(
                fields=["status", "updated_at"],
                condition=Q(status__in=["queued", "rendering"]),
                name="rendereddocument_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.object_id} ({self.status})"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY and bool(self.file)


class NotificationDelivery(models.Model):
    """One notification sent over one channel the person chose (beyond the app).

    Moved by the ``portal.deliver_notification`` task (by id): pending → sent, or failed
    with the last error once its tries are spent (or its worker died: the job watchdog).
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    target = models.CharField(_("to"), max_length=254)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["notification", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_one_per_channel"),
        ]
        indexes = [models.Index(fields=["status", "updated_at"], name="delivery_status_idx")]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.channel}: {self.status}"


class ReportView(models.Model):
    """One reading of a report of any kind (who, when, which report and version, how).

    Reports live in several apps; each names its kind ("trend_report", "consultation_report",
    "topic_report", "brief", "verification") and its id, so this table depends on none of
    them. Written by ``portal.readership.record_view`` (one INSERT, no lock), read per report
    ("who of its recipients read it") and per bureau and day (the admin's chart).
    """

    class Channel(models.TextChoices):
        WEB = "web", _("web page")
        PHONE = "phone", _("phone")
        PDF = "pdf", _("PDF")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    # the bureau that owns the report (whose admin counts the views); no index of its own:
    # report_view_bureau_idx leads with it
    bureau = models.ForeignKey(Bureau, on_delete=models.CASCADE, related_name="+", db_index=False)
    report_kind = models.CharField(max_length=24)
    report_id = models.BigIntegerField()
    version = models.PositiveIntegerField(default=1)
    channel = models.CharField(_("read on"), max_length=8, choices=Channel.choices)
    viewed_at = models.DateTimeField(_("read at"), db_index=False)

    class Meta:
        ordering = ["-viewed_at"]
        indexes = [
            models.Index(fields=["report_kind", "report_id", "viewed_at"], name="report_view_report_idx"),
            # the admin's chart and most read list: index-only scans of a bureau's days
            models.Index(
                fields=["bureau", "viewed_at"],
                include=["report_kind", "report_id"],
                name="report_view_bureau_day_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_kind}:{self.report_id} {self.user_id} {self.channel}"


class TokenScope(models.TextChoices):
    """What a personal API token may be used for (``portal.tokens``).

    Each API operation a program may call names one scope (``TenantApi.token_scopes``);
    every other operation refuses personal tokens. A scope opens an operation, never
    data: what the operation then shows or allows is what the token's owner may, in the
    token's bureau, at the time of the request.
    """

    ACCOUNT_READ = "account:read", _("Read my account, notifications and waiting work")
    CATALOG_READ = (
        "catalog:read",
        _("Read the earthquake catalog and quick reports (API and FDSN event service)"),
    )
    CATALOG_IMPORT = "catalog:import", _("Import event catalogs and read their imports")
    QUICK_REPORTS_SUBMIT = "quick_reports:submit", _("Submit quick-report messages")
    STATIONS_READ = "stations:read", _("Read stations, channels and observation items")
    SERIES_READ = "series:read", _("Read observation series, their availability and quality control")
    SERIES_IMPORT = "series:import", _("Import observation series and read their imports")
    ZERO_REPORTS_READ = "zero_reports:read", _("Read reporting units and zero-reports")
    ZERO_REPORTS_SUBMIT = "zero_reports:submit", _("Submit zero-reports")
    ANOMALIES_READ = "anomalies:read", _("Read anomalies and their verification")
    PRODUCTS_READ = "products:read", _("Read product runs, their methods and forecast skill scores")
    PRODUCTS_RUN = "products:run", _("Run products")
    REPORTS_READ = "reports:read", _("Read reports: topic, consultation, trend, briefs and post-quake cases")
    CONSULTATIONS_READ = "consultations:read", _("Read consultation meetings")
    DATASETS_READ = (
        "datasets:read",
        _("Read the dataset catalog, my data requests and the pushes I take part in"),
    )
    DATA_REQUESTS_SUBMIT = "data_requests:submit", _("Request datasets of other bureaus")
    SEARCH_READ = "search:read", _("Search across the portal (what the owner may read)")


class ApiToken(TimeStamped):
    """A personal API token: a program acting as its owner in one bureau, within its scopes.

    Only the SHA-256 digest of the secret is kept (the secret is shown once, at creation);
    ``hint`` is its first characters, enough to tell tokens apart in a list.
    """

    class Standing(models.TextChoices):
        ACTIVE = "active", _("active")
        EXPIRED = "expired", _("expired")
        REVOKED = "revoked", _("revoked")

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    # The bureau the token acts for: one where the owner held a role when it was made.
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    hint = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list)
    expires_at = models.DateTimeField(_("expires"))
    # Requests per minute; None: settings.PERSONAL_TOKEN_RATE_LIMIT.
    rate_limit = models.PositiveIntegerField(_("requests per minute"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["bureau", "-created_at"], name="api_token_bureau_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def standing(self) -> str:
        """Revoked, expired (now) or active: whether a request with it is accepted."""
        from django.utils import timezone

        if self.revoked_at is not None:
            return self.Standing.REVOKED
        if self.expires_at <= timezone.now():
            return self.Standing.EXPIRED
        return self.Standing.ACTIVE


class ApiTokenUse(models.Model):
    """One request made with a personal token (``portal.tokens``), refused ones included;
    pruned after ``settings.PERSONAL_TOKEN_LOG_DAYS`` and beyond
    ``settings.PERSONAL_TOKEN_LOG_ROWS`` rows per token."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="uses")
    at = models.DateTimeField(_("time"))
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=300)
    status_code = models.PositiveSmallIntegerField(_("status"))
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["token", "-at"], name="api_token_use_token_idx"),
            models.Index(fields=["at"], name="api_token_use_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.token_id} {self.method} {self.path} {self.status_code}"


class AuditAnchor(models.Model):
    """The chain's head (``seq``, ``hash``) at the end of one Beijing day: printed in the daily
    brief and exported, so that a copy outside the database can later show that the records
    up to it were not rewritten (portal.audit_chain). Append-only like the chain."""

    day = models.DateField(_("day (Beijing)"), unique=True)
    seq = models.BigIntegerField(_("last record"))
    hash = models.CharField(_("hash"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day"]
        triggers = append_only("anchor")

    def __str__(self) -> str:
        return f"{self.day} {self.seq} {self.hash}"


class IntegrityCheck(models.Model):
    """One run of an integrity check (portal.integrity): the audit chain walked, or the stored
    series hashed again against what was received. A background job: queued → running →
    done (``intact`` says the outcome) | failed (it could not finish: ``error``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("check"), max_length=32)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    intact = models.BooleanField(_("intact"), null=True)
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    checked = models.BigIntegerField(_("checked"), default=0)
    # what the kind reports beside the count (the chain's head, the anchors compared, ...)
    summary = models.JSONField(default=dict, blank=True)
    # the first problems found ({"what", "where", "url"}), capped; problem_count has them all
    problems = models.JSONField(default=list, blank=True)
    problem_count = models.BigIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "-created_at"], name="integrity_check_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.status}"


class SearchDocument(models.Model):
    """One searchable thing of the portal (an event, an anomaly, a report …) in the search index.

    Written only by ``portal.search_services`` from the kinds the apps register
    (``portal.search``): ``kind`` and ``object_id`` name the row, ``vector`` holds its words
    segmented by ``portal.search_text`` (title weight A, the rest B). Who may find it is not
    stored here: each query joins ``object_id`` to the kind's ``visible_to(actor)``, the same
    rule as every other read. ``title``, ``body``, ``url``, ``date`` and ``bureau`` are what a
    result shows and what the filters narrow by.
    """

    kind = models.CharField(max_length=32)
    object_id = models.BigIntegerField()
    bureau = models.ForeignKey(Bureau, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True, default="")
    url = models.CharField(max_length=300)
    date = models.DateTimeField(null=True, blank=True)
    vector = SearchVectorField()
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_one_per_row"),
        ]
        indexes = [
            # the words by kind (btree_gin): "has this kind any document with the words?" and a
            # kind's few matches read without the others; it serves the words alone as well.
            # The words in date order (RUM, newest first) are migration 0013's own SQL index,
            # "search_document_words_by_date": Django has no index class for RUM.
            GinIndex(fields=["kind", "vector"], name="search_document_kind_words"),
            models.Index(fields=["kind", "date"], name="search_document_kind_date"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} {self.title}"
