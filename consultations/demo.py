"""Demo consultations: JX's monthly meeting with four discipline opinions and an issued
report, an NM weekly meeting still in draft, and a joint JX–FJ meeting. Idempotent: a
meeting already seeded (same bureau and title) is left as it is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from portal.models import Bureau, User
from portal.tenancy import actor_for

from .models import ConsultationReport, EmergencySettings, Meeting
from .services import conclusion as conclusion_services
from .services import meetings as meeting_services
from .services import opinions as opinion_services
from .services import report_workflow as report_services

GAN_ZHONG = {  # central Jiangxi: Yichun–Xinyu–Ji'an
    "type": "Polygon",
    "coordinates": [[[114.3, 27.3], [116.2, 27.3], [116.2, 28.6], [114.3, 28.6], [114.3, 27.3]]],
}
GAN_BEI = {  # northern Jiangxi: Jiujiang–Ruichang
    "type": "Polygon",
    "coordinates": [[[115.2, 29.2], [116.6, 29.2], [116.6, 30.0], [115.2, 30.0], [115.2, 29.2]]],
}
NM_CENTRAL = {  # Baotou–Hohhot
    "type": "Polygon",
    "coordinates": [[[109.5, 40.2], [112.2, 40.2], [112.2, 41.4], [109.5, 41.4], [109.5, 40.2]]],
}

OPINIONS_JX = [
    (
        "jx_expert_seis",
        "seismology",
        "本月全省记录ML1.0以上地震37次，最大为宜春上高ML3.1；b值时间扫描在赣中地区持续低于1.0，"
        "九江—瑞昌地区小震频度较上月略有增加。",
        [{"title": "上高地区b值下降"}],
        GAN_ZHONG,
        "4.0",
        "4.9",
        "medium",
    ),
    (
        "jx_expert_fluid",
        "fluid",
        "九江台水位呈趋势性下降，排除抽水干扰后仍存在；宜春温泉水氡较上月上升12%，其余测项正常。",
        [{"title": "九江台水位趋势下降"}, {"title": "宜春温泉水氡上升"}],
        GAN_BEI,
        "4.0",
        "4.5",
        "low",
    ),
    (
        "jx_expert_deform",
        "deformation",
        "上饶、南昌倾斜及应变资料年变形态正常，GNSS基线无明显速率变化。",
        [],
        None,
        None,
        None,
        "",
    ),
    (
        "jx_expert_em",
        "electromagnetism",
        "地磁逐日比与日变化空间相关未见异常；赣州地电阻率观测受施工干扰，已剔除。",
        [{"title": "赣州地电阻率施工干扰（已核实）"}],
        None,
        None,
        None,
        "",
    ),
]


def _actor(username: str, bureau: str) -> Any:
    user = User.objects.get(username=username)
    return actor_for(user, bureau)


def _people(*names: str) -> list[User]:
    return list(User.objects.filter(username__in=names).order_by("username"))


def _exists(bureau: str, title: str) -> bool:
    return Meeting.objects.filter(bureau__code=bureau, title=title).exists()


def _jx_monthly(stdout: Any) -> None:
    today = timezone.localdate()
    first = today.replace(day=1)
    month_label = f"{first.year}年{first.month}月"
    title = f"{month_label}江西省地震趋势会商会"
    if _exists("JX", title):
        return
    chair = _actor("jx_chair", "JX")
    start = timezone.make_aware(dt.datetime.combine(first - dt.timedelta(days=2), dt.time(9, 0)))
    meeting = meeting_services.meeting_create(
        actor=chair,
        kind="monthly",
        title=title,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        place="省局三楼会商室",
        chair=chair.user,
        recorder=User.objects.get(username="jx_forecaster"),
        participants=_people(
            "jx_expert_seis", "jx_expert_fluid", "jx_expert_deform", "jx_expert_em", "jx_forecaster"
        ),
        agenda="一、上月震情回顾\n二、四大学科意见\n三、讨论并形成会商意见",
        representatives={
            "seismology": User.objects.get(username="jx_expert_seis"),
            "deformation": User.objects.get(username="jx_expert_deform"),
            "fluid": User.objects.get(username="jx_expert_fluid"),
            "electromagnetism": User.objects.get(username="jx_expert_em"),
        },
    )
    meeting_services.meeting_open(actor=chair, meeting=meeting)
    window_start, window_end = first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    for username, discipline, summary, anomalies, region, low, high, likelihood in OPINIONS_JX:
        opinion_services.opinion_submit(
            actor=_actor(username, "JX"),
            meeting=meeting,
            discipline=discipline,
            summary=summary,
            anomalies_cited=anomalies,
            window_start=window_start if region else None,
            window_end=window_end if region else None,
            regions=region,
            min_magnitude=low,
            max_magnitude=high,
            likelihood=likelihood,
        )
    conclusion_services.conclusion_edit(
        actor=chair,
        meeting=meeting,
        text=(
            f"综合各学科意见，{month_label}江西省及邻区发生5级以上地震的可能性不大；"
            "赣中上高—新余一带存在发生4级左右地震的可能，赣北九江—瑞昌地区需继续跟踪流体异常变化。"
        ),
    )
    for region, low, high, likelihood, note in (
        (GAN_ZHONG, "4.0", "4.9", "medium", "上高—新余"),
        (GAN_BEI, "4.0", "4.5", "low", "九江—瑞昌，跟踪"),
    ):
        conclusion_services.forecast_add(
            actor=chair,
            meeting=meeting,
            window_start=window_start,
            window_end=window_end,
            region=region,
            min_magnitude=low,
            max_magnitude=high,
            likelihood=likelihood,
            note=note,
        )
    for username, choice in (
        ("jx_expert_seis", "agree"),
        ("jx_expert_fluid", "agree"),
        ("jx_forecaster", "agree"),
    ):
        conclusion_services.vote_cast(actor=_actor(username, "JX"), meeting=meeting, choice=choice)
    conclusion_services.comment_add(
        actor=_actor("jx_expert_fluid", "JX"), meeting=meeting, text="建议下月对九江台加密观测。"
    )
    meeting_services.meeting_close(actor=chair, meeting=meeting)
    approver = _actor("jx_approver", "JX")
    report = report_services.report_create(
        actor=chair, meeting=meeting, title=f"{month_label}江西省地震趋势会商意见"
    )
    report_services.report_update(actor=chair, report=report, number=f"赣震会〔{first.year}〕{first.month}号")
    report = report_services.report_submit(actor=chair, report=report)
    report = report_services.report_review(actor=approver, report=report)
    report = report_services.report_sign_off(actor=approver, report=report)
    report_services.report_issue(actor=approver, report=report)
    stdout.write(f"consultations: JX monthly meeting and issued report #{report.pk}\n")


def _nm_weekly(stdout: Any) -> None:
    today = timezone.localdate()
    week = today.isocalendar()[1]
    title = f"{today.year}年第{week}周内蒙古震情周会商"
    if _exists("NM", title):
        return
    chair = _actor("nm_chair", "NM")
    start = timezone.make_aware(dt.datetime.combine(today, dt.time(14, 30)))
    meeting = meeting_services.meeting_create(
        actor=chair,
        kind="weekly",
        title=title,
        starts_at=start,
        place="视频会商",
        participants=_people("nm_expert_seis", "nm_expert_fluid", "nm_forecaster"),
        agenda="本周震情及异常跟踪",
    )
    meeting_services.meeting_open(actor=chair, meeting=meeting)
    opinion_services.opinion_submit(
        actor=_actor("nm_expert_seis", "NM"),
        meeting=meeting,
        discipline="seismology",
        summary="本周区内ML2.0以上地震5次，包头—呼和浩特一带小震活动略有增强。",
        window_start=today,
        window_end=today + dt.timedelta(days=7),
        regions=NM_CENTRAL,
        min_magnitude="3.0",
        max_magnitude="3.9",
        likelihood="low",
    )
    conclusion_services.conclusion_edit(
        actor=chair, meeting=meeting, text="（草稿）未来一周区内发生4级以上地震的可能性不大。"
    )
    report_services.report_create(actor=chair, meeting=meeting)
    stdout.write("consultations: NM weekly meeting in draft\n")


def _joint(stdout: Any) -> None:
    title = "赣闽交界地区联合会商"
    if _exists("JX", title) or not Bureau.objects.filter(code="FJ").exists():
        return
    chair = _actor("jx_chair", "JX")
    start = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() + dt.timedelta(days=5), dt.time(9, 0))
    )
    meeting = meeting_services.meeting_create(
        actor=chair,
        kind="special_topic",
        title=title,
        starts_at=start,
        place="视频会商（南昌—福州）",
        joint_bureaus=list(Bureau.objects.filter(code="FJ")),
        participants=_people("jx_expert_seis", "jx_forecaster", "zone_forecaster"),
        agenda="赣闽交界地区近期小震活动与流体异常的联合研判",
    )
    meeting_services.material_attach(
        actor=chair,
        meeting=meeting,
        kind="file",
        title="赣闽交界地区近三个月地震目录汇总",
        url="/consultations/archive/",
    )
    stdout.write("consultations: joint JX–FJ meeting scheduled\n")


def _emergency_rule() -> None:
    jx = Bureau.objects.filter(code="JX").first()
    if jx is None or EmergencySettings.objects.filter(bureau=jx).exists():
        return
    # Threshold and distance are JX's alert rule (catalog.demo); here how its meetings open.
    setting = EmergencySettings.objects.create(bureau=jx, emergency_magnitude=5)
    setting.on_duty.set(_people("jx_chair", "jx_forecaster"))


def seed(stdout: Any) -> None:
    _seed(stdout)
    _render_signed_reports(stdout)


@transaction.atomic
def _seed(stdout: Any) -> None:
    if not User.objects.filter(username="jx_chair").exists():
        return  # no demo people: nothing to act as
    _jx_monthly(stdout)
    _nm_weekly(stdout)
    _joint(stdout)
    _emergency_rule()


def _render_signed_reports(stdout: Any) -> None:
    """The signed demo reports have their PDFs right after seeding (the seed is no request, so
    it renders them itself instead of waiting for a worker)."""
    from .services.report_pdf import report_pdf_render_now

    for report in ConsultationReport.objects.filter(status__in=ConsultationReport.FROZEN):
        document = report_pdf_render_now(report=report)
        stdout.write(f"consultations: PDF of report #{report.pk}: {document.status}\n")
