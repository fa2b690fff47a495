"""Reference and demo data: the bureaus with real jurisdictions, the disciplines, demo people.

Every function is idempotent (update_or_create on natural keys): ``seed_demo``
may run any number of times.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import transaction

from .models import DISCIPLINE_NAMES_ZH, Bureau, Discipline, DisciplineCode, Membership, Role, User

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_PASSWORD_ENV = "PORTAL_DEMO_PASSWORD"  # noqa: S105 - the variable's name, not a password
DEFAULT_DEMO_PASSWORD = "ispec-demo-2026"  # noqa: S105 - demo data only; printed by `make run`

# Names of the autonomous regions and municipalities as their bureaus use them.
NATIONAL_UNITS = [
    ("CENC", "中国地震台网中心", "China Earthquake Networks Center", Bureau.Kind.NATIONAL),
    (
        "IGP",
        "中国地震局地球物理研究所",
        "Institute of Geophysics, China Earthquake Administration",
        Bureau.Kind.NATIONAL,
    ),
    (
        "SMC",
        "中国地震局第二监测中心",
        "The Second Monitoring and Application Center, CEA",
        Bureau.Kind.CENTER,
    ),
]


def demo_password() -> str:
    return os.environ.get(DEMO_PASSWORD_ENV) or DEFAULT_DEMO_PASSWORD


def load_disciplines() -> list[Discipline]:
    english = {
        DisciplineCode.SEISMOLOGY: "Seismology",
        DisciplineCode.DEFORMATION: "Deformation",
        DisciplineCode.FLUID: "Fluids",
        DisciplineCode.ELECTROMAGNETISM: "Electromagnetism",
    }
    rows = []
    for order, code in enumerate(DisciplineCode):
        discipline, _ = Discipline.objects.update_or_create(
            code=code.value,
            defaults={"name_zh": DISCIPLINE_NAMES_ZH[code], "name_en": english[code], "order": order},
        )
        rows.append(discipline)
    return rows


def _province_features() -> list[dict]:
    with open(DATA_DIR / "china_provinces.geojson", encoding="utf-8") as handle:
        return json.load(handle)["features"]


def _bureau_english(name_en: str) -> str:
    return f"Earthquake Agency of {name_en}"


@transaction.atomic
def load_bureaus() -> list[Bureau]:
    """The 31 provincial bureaus with jurisdictions from the shipped boundary data, and the
    national units (CENC's jurisdiction is the union of the provinces)."""
    bureaus = []
    union = None
    for feature in _province_features():
        props = feature["properties"]
        geometry = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
        if not isinstance(geometry, MultiPolygon):
            geometry = MultiPolygon(geometry, srid=4326)
        union = geometry if union is None else union.union(geometry)
        bureau, _ = Bureau.objects.update_or_create(
            code=props["code"],
            defaults={
                "name_zh": f"{props['name_zh']}地震局",
                "name_en": _bureau_english(props["name_en"]),
                "kind": Bureau.Kind.PROVINCIAL,
                "jurisdiction": geometry,
            },
        )
        bureaus.append(bureau)
    national = union.simplify(0.02, preserve_topology=True) if union is not None else None
    if national is not None and not isinstance(national, MultiPolygon):
        national = MultiPolygon(national, srid=4326)
    for code, name_zh, name_en, kind in NATIONAL_UNITS:
        bureau, _ = Bureau.objects.update_or_create(
            code=code,
            defaults={"name_zh": name_zh, "name_en": name_en, "kind": kind, "jurisdiction": national},
        )
        bureaus.append(bureau)
    return bureaus


@dataclass(frozen=True)
class DemoPerson:
    username: str
    display_name: str
    grants: tuple[tuple[str, str, str | None], ...]  # (bureau code, role, discipline code)

    @property
    def summary(self) -> str:
        return ", ".join(f"{b} {r}{'/' + d if d else ''}" for b, r, d in self.grants)


def _bureau_cast(code: str, surname: str) -> list[DemoPerson]:
    low = code.lower()
    return [
        DemoPerson(f"{low}_admin", f"{surname}管理员", ((code, Role.BUREAU_ADMIN, None),)),
        # a second admin: master-data changes are approved by an admin other than the proposer
        DemoPerson(f"{low}_admin2", f"{surname}管理员二", ((code, Role.BUREAU_ADMIN, None),)),
        DemoPerson(f"{low}_reporter", f"{surname}填报员", ((code, Role.REPORTER, None),)),
        DemoPerson(f"{low}_expert_seis", f"{surname}测震专家", ((code, Role.EXPERT, "seismology"),)),
        DemoPerson(f"{low}_expert_fluid", f"{surname}流体专家", ((code, Role.EXPERT, "fluid"),)),
        DemoPerson(f"{low}_expert_deform", f"{surname}形变专家", ((code, Role.EXPERT, "deformation"),)),
        DemoPerson(f"{low}_expert_em", f"{surname}电磁专家", ((code, Role.EXPERT, "electromagnetism"),)),
        DemoPerson(f"{low}_forecaster", f"{surname}预报员", ((code, Role.FORECASTER, None),)),
        DemoPerson(
            f"{low}_chair", f"{surname}主持人", ((code, Role.CHAIR, None), (code, Role.FORECASTER, None))
        ),
        DemoPerson(f"{low}_approver", f"{surname}签发人", ((code, Role.APPROVER, None),)),
        # a second approver: four eyes (the reviewer of a trend report does not sign it off)
        DemoPerson(f"{low}_reviewer", f"{surname}审核人", ((code, Role.APPROVER, None),)),
        DemoPerson(f"{low}_viewer", f"{surname}浏览者", ((code, Role.VIEWER, None),)),
        DemoPerson(f"{low}_steward", f"{surname}数据管理员", ((code, Role.DATA_STEWARD, None),)),
    ]


DEMO_PEOPLE: list[DemoPerson] = [
    *_bureau_cast("JX", "赣"),
    *_bureau_cast("NM", "蒙"),
    *_bureau_cast("CENC", "台网"),
    DemoPerson("zone_forecaster", "片区预报员", (("JX", Role.FORECASTER, None), ("NM", Role.VIEWER, None))),
]


@transaction.atomic
def load_demo_people() -> list[DemoPerson]:
    password = demo_password()
    admin, created = User.objects.get_or_create(username="admin", defaults={"display_name": "系统管理员"})
    admin.is_superuser = admin.is_staff = True
    admin.is_active = True
    if created:  # a password changed since the first seed is kept
        admin.set_password(password)
    admin.save()
    disciplines = {d.code: d for d in Discipline.objects.all()}
    bureaus = {b.code: b for b in Bureau.objects.all()}
    for person in DEMO_PEOPLE:
        user, created = User.objects.get_or_create(username=person.username)
        user.display_name = person.display_name
        user.is_active = True
        if created:
            user.set_password(password)
        user.save()
        for code, role, discipline in person.grants:
            Membership.objects.get_or_create(
                user=user,
                bureau=bureaus[code],
                role=role,
                discipline=disciplines.get(discipline) if discipline else None,
                revoked_at=None,
            )
    return DEMO_PEOPLE


def load_report_views(*, per_day: int = 890, days: int = 90, seed: int = 2026) -> int:
    """About ``per_day`` readings a day over the last ``days`` days of the reports the apps
    seeded (found through the report kinds' registry), by their bureaus' recipients and, for
    what is published, by the national units: the admin's chart and each report's readers
    have something to show. Runs after the apps' seeds; once (none when views exist)."""
    import datetime as dt
    import random

    from django.utils import timezone

    from . import report_index
    from .models import ReportView
    from .readership import RECIPIENT_ROLES
    from .tenancy import bureau_reader
    from .timefmt import BEIJING

    if ReportView.objects.exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    bureaus = list(Bureau.objects.filter(is_active=True))
    reports: list[tuple[report_index.ReportRow, int]] = []
    for bureau in bureaus:
        for kind in report_index.kinds():
            rows = kind.rows(bureau_reader(bureau), report_index.ReportFilter())
            reports.extend((row, bureau.pk) for row in rows if row.bureau_code == bureau.code)
    if not reports:
        return 0
    recipients: dict[int, list[int]] = {}
    for bureau_id, user_id in Membership.objects.filter(
        revoked_at__isnull=True, user__is_active=True, role__in=RECIPIENT_ROLES
    ).values_list("bureau_id", "user_id"):
        recipients.setdefault(bureau_id, []).append(user_id)
    national = [u for b in bureaus if b.reads_published for u in recipients.get(b.pk, [])]
    published = {"issued", "archived", "ready"}
    now = timezone.now()
    views = []
    for back in range(days):
        day = now - dt.timedelta(days=back)
        weekend = day.astimezone(BEIJING).weekday() >= 5
        for _ in range(int(per_day * (0.45 if weekend else 1.22) * rng.uniform(0.85, 1.15))):
            row, bureau_id = rng.choice(reports)
            readers = recipients.get(bureau_id) or national
            if national and row.status in published and rng.random() < 0.15:
                readers = national
            if not readers:
                continue
            viewed_at = (
                day - dt.timedelta(seconds=rng.randrange(0, 86400))
                if back
                else now - dt.timedelta(seconds=rng.randrange(0, 6 * 3600))
            )
            views.append(
                ReportView(
                    user_id=rng.choice(readers),
                    bureau_id=bureau_id,
                    report_kind=row.kind,
                    report_id=row.id,
                    version=row.version,
                    channel=rng.choices(("web", "phone", "pdf"), weights=(50, 35, 15))[0],
                    viewed_at=viewed_at,
                )
            )
    ReportView.objects.bulk_create(views, batch_size=5000)
    return len(views)


# A forecaster's program that reads the catalog and the series: one live token with a few
# requests logged, one revoked. Their secrets are thrown away: a demo token only shows the pages.
DEMO_TOKENS = [
    ("jx_forecaster", "台站数据脚本", ["catalog:read", "series:read", "stations:read"], False),
    ("jx_forecaster", "旧速报转发", ["quick_reports:submit"], True),
]


@transaction.atomic
def load_demo_tokens() -> int:
    """The demo people's API tokens (once per name and owner); returns how many were made."""
    import datetime as dt

    from django.utils import timezone

    from .models import ApiToken
    from .tenancy import actor_for
    from .token_services import token_create, token_revoke, token_use_record

    made = 0
    now = timezone.now()
    for username, name, scopes, revoked in DEMO_TOKENS:
        owner = User.objects.filter(username=username).first()
        actor = actor_for(owner) if owner is not None else None
        if actor is None or ApiToken.objects.filter(owner=owner, name=name).exists():
            continue
        token, _secret = token_create(
            actor=actor, name=name, scopes=scopes, expires=now + dt.timedelta(days=90)
        )
        for minutes, path, status in (
            (90, "/api/v1/events/", 200),
            (60, "/api/v1/series/", 200),
            (5, "/api/v1/anomalies/", 403),
        ):
            token_use_record(
                token=token,
                method="GET",
                path=path,
                status_code=status,
                address="10.36.0.12",
                at=now - dt.timedelta(minutes=minutes),
            )
        if revoked:
            token_revoke(actor=actor, token=token, comment="demo")
        made += 1
    return made
