"""The monthly trend report's workflow (``WORKFLOW``), one thin service per move.

    draft ──submit──▶ submitted ──review──▶ reviewed ──sign_off──▶ signed_off ──issue──▶ issued ──archive──▶ archived
    submitted / reviewed ──return (comment, per-section comments)──▶ draft

Every move goes through ``portal.workflow.transition``: the row locked, the right checked
before the state (403 before 409), saved, audited, the next people told (submitted → the
bureau's approvers; reviewed → the other approvers who may sign; returned → the drafter
with the comment; signed off, issued → the drafter) and the new state broadcast.

Four eyes: the reviewer neither drafted nor submitted the report; the signer neither
drafted, submitted nor reviewed it (``trends.permissions``). A report still compiling is not
submitted. Sign-off freezes it: ``content_sha256`` over the sections' data and text, and its
PDF is rendered once (``trend_pdf``). Issued, it reaches the national units, and the people
who subscribed to "monthly trend report issued" hear of it (``trend_report_announce_issued``,
in the task ``trends.announce_issued`` on commit).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from portal.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from portal.models import Bureau, Notification, Role, User
from portal.selectors import bureau_role_holders
from portal.services import bureau_group, notify_bureau
from portal.workflow import Handoff, Transition, Workflow, register, register_labels, row_lock, transition
from subscriptions.models import Product
from subscriptions.services.notices import product_announce
from trends import permissions as perms
from trends.models import CompileStatus, TrendReport, TrendSection, TrendStatus
from trends.selectors import trend_report_for_worker, trend_report_get

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from portal.tenancy import Actor
    from subscriptions.models import SubscriptionNotice

Status = TrendStatus
COMMENT_MAX = 4000


def trend_report_url(report: TrendReport) -> str:
    return report.get_absolute_url()


_lock = row_lock(TrendReport, "bureau")


def _live(report: TrendReport, action: str) -> tuple[str, dict[str, Any]]:
    return bureau_group(report.bureau_id), {
        "kind": "trend_report",
        "action": action,
        "id": report.pk,
        "status": report.status,
        "state": report.status,
        "state_label": str(report.get_status_display()),
        "url": trend_report_url(report),
    }


def _approvers(report: TrendReport, *, exclude: Iterable[int | None] = ()) -> list[User]:
    skip = set(exclude)
    return [
        u for u in bureau_role_holders(bureau=report.bureau_id, roles=[Role.APPROVER]) if u.pk not in skip
    ]


def _drafters(report: TrendReport) -> list[User]:
    return list(User.objects.filter(pk__in=perms.drafter_ids(report), is_active=True))


def _to_reviewers(report: TrendReport, actor: Actor | None, comment: str) -> list[Handoff]:
    people = _approvers(report, exclude=perms.drafter_ids(report))
    title = _("Trend report to review: %(title)s") % {"title": report.title}
    return [Handoff(people, title=title, body=comment, level=Notification.Level.WARNING)]


def _to_signers(report: TrendReport, actor: Actor | None, comment: str) -> list[Handoff]:
    people = _approvers(report, exclude=[*perms.drafter_ids(report), report.reviewed_by_id])
    title = _("Trend report to sign off: %(title)s") % {"title": report.title}
    return [Handoff(people, title=title, body=comment, level=Notification.Level.WARNING)]


def _to_drafter_with_comment(report: TrendReport, actor: Actor | None, comment: str) -> list[Handoff]:
    title = _("Trend report returned for revision: %(title)s") % {"title": report.title}
    return [Handoff(_drafters(report), title=title, body=comment, level=Notification.Level.WARNING)]


def _to_drafter(action: str) -> Any:
    def handoffs(report: TrendReport, actor: Actor | None, comment: str) -> list[Handoff]:
        skip = actor.user.pk if actor else None
        title = _("Trend report %(action)s: %(title)s") % {
            "action": WORKFLOW.transitions[action].label,
            "title": report.title,
        }
        return [Handoff([u for u in _drafters(report) if u.pk != skip], title=title, body=comment)]

    return handoffs


def _step(
    sources: set[str], target: str, permission: Any, label: Any, button: Any, notify: Any = None
) -> Transition:
    return Transition(frozenset(sources), target, permission, label, button, notify)


WORKFLOW = register(
    Workflow(
        name="trend_report",
        model=TrendReport,
        state_field="status",
        noun=gettext_lazy("monthly trend report"),
        lock=_lock,
        url=trend_report_url,
        live=_live,
        transitions={
            "submit": _step(
                {Status.DRAFT},
                Status.SUBMITTED,
                perms.can_draft_trend_report,
                pgettext_lazy("report history", "submitted for review"),
                gettext_lazy("Submit for review"),
                _to_reviewers,
            ),
            "review": _step(
                {Status.SUBMITTED},
                Status.REVIEWED,
                perms.can_review_trend_report,
                pgettext_lazy("report history", "reviewed"),
                gettext_lazy("Mark reviewed"),
                _to_signers,
            ),
            "return": _step(
                {Status.SUBMITTED, Status.REVIEWED},
                Status.DRAFT,
                perms.can_review_trend_report,
                pgettext_lazy("report history", "returned with comments"),
                gettext_lazy("Return with comments"),
                _to_drafter_with_comment,
            ),
            "sign_off": _step(
                {Status.REVIEWED},
                Status.SIGNED_OFF,
                perms.can_sign_off_trend_report,
                pgettext_lazy("report history", "signed off"),
                gettext_lazy("Sign off"),
                _to_drafter("sign_off"),
            ),
            "issue": _step(
                {Status.SIGNED_OFF},
                Status.ISSUED,
                perms.can_approve_trend_report,
                pgettext_lazy("report history", "issued"),
                gettext_lazy("Issue"),
                _to_drafter("issue"),
            ),
            "archive": _step(
                {Status.ISSUED},
                Status.ARCHIVED,
                perms.can_archive_trend_report,
                pgettext_lazy("report history", "archived"),
                gettext_lazy("Archive"),
            ),
        },
    )
)
register_labels(
    {
        "trend_report.create": gettext_lazy("report requested"),
        "trend_report.edit": gettext_lazy("section text edited"),
        "trend_report.correct": gettext_lazy("correction drafted"),
    }
)
ACTIONS = tuple(WORKFLOW.transitions)


def allowed_actions(actor: Actor | None, report: TrendReport) -> list[str]:
    return WORKFLOW.allowed_actions(actor, report)


def content_digest(report: TrendReport) -> str:
    """SHA-256 over the sections' keys, data and text (what is signed)."""
    sections = TrendSection.objects.filter(report=report).order_by("position")
    content = [{"key": s.key, "data": s.data, "text": s.text} for s in sections]
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _four_eyes(actor: Actor, report: TrendReport, action: str) -> None:
    """A clear 403 for an approver whom four eyes keep from this step."""
    if not perms.can_approve_trend_report(actor, report):
        return  # the workflow's own refusal says it
    if action in ("review", "return") and perms.four_eyes_review_refusal(actor, report):
        raise PermissionDenied(
            _("Four eyes: you drafted or submitted this report; another approver reviews it.")
        )
    if action == "sign_off" and perms.four_eyes_sign_refusal(actor, report):
        raise PermissionDenied(
            _("Four eyes: you drafted, submitted or reviewed this report; another approver signs it off.")
        )


def _comment(comment: str) -> str:
    comment = (comment or "").replace("\x00", "").strip()
    if len(comment) > COMMENT_MAX:
        raise InvalidInput(
            _("The comment is too long (at most %(n)s characters).") % {"n": COMMENT_MAX}, field="comment"
        )
    return comment


@transaction.atomic
def trend_report_submit(*, actor: Actor, report: TrendReport, comment: str = "") -> TrendReport:
    """draft → submitted, by a forecaster or chair; refused while the data are compiling.
    The reviewer's comments of an earlier return are cleared."""
    comment = _comment(comment)

    def prepare(locked: TrendReport) -> dict[str, Any]:
        if locked.compile_status in (CompileStatus.QUEUED, CompileStatus.RUNNING):
            raise InvalidTransition(
                _("The report's data are still being compiled; submit it when the compilation ends."),
                field="compile_status",
            )
        TrendSection.objects.filter(report=locked).exclude(review_comment="").update(review_comment="")
        return {
            "submitted_by": actor.user,
            "submitted_at": timezone.now(),
            "reviewed_by": None,
            "reviewed_at": None,
            "review_comment": "",
        }

    return transition(report, "submit", actor, comment, workflow=WORKFLOW, prepare=prepare)


@transaction.atomic
def trend_report_review(*, actor: Actor, report: TrendReport, comment: str = "") -> TrendReport:
    """submitted → reviewed, by an approver who did not draft it."""
    comment = _comment(comment)
    _four_eyes(actor, report, "review")
    return transition(
        report,
        "review",
        actor,
        comment,
        workflow=WORKFLOW,
        prepare=lambda locked: {"reviewed_by": actor.user, "reviewed_at": timezone.now()},
    )


@transaction.atomic
def trend_report_return(
    *, actor: Actor, report: TrendReport, comment: str, section_comments: Mapping[str, str] | None = None
) -> TrendReport:
    """submitted/reviewed → draft with a comment (required) and comments per section; the
    drafter is told."""
    comment = _comment(comment)
    _four_eyes(actor, report, "return")
    notes = {key: (text or "").replace("\x00", "").strip() for key, text in (section_comments or {}).items()}

    def prepare(locked: TrendReport) -> dict[str, Any]:
        if not comment:
            raise InvalidInput(_("Say what needs changing when returning a report."), field="comment")
        sections = {s.key: s for s in TrendSection.objects.filter(report=locked)}
        unknown = sorted(set(notes) - set(sections))
        if unknown:
            raise InvalidInput(
                _("Unknown sections: %(keys)s.") % {"keys": ", ".join(unknown)}, field="section_comments"
            )
        for key, text in notes.items():
            if len(text) > COMMENT_MAX:
                raise InvalidInput(_("A section comment is too long."), field="section_comments")
            sections[key].review_comment = text
            sections[key].save(update_fields=["review_comment"])
        return {"review_comment": comment}

    return transition(
        report,
        "return",
        actor,
        comment,
        workflow=WORKFLOW,
        prepare=prepare,
        extra={"section_comments": {k: v for k, v in notes.items() if v}},
    )


@transaction.atomic
def trend_report_sign_off(*, actor: Actor, report: TrendReport, comment: str = "") -> TrendReport:
    """reviewed → signed off (签发), by an approver who neither drafted nor reviewed it.
    Freezes data and text (``content_sha256``) and renders the PDF once."""
    comment = _comment(comment)
    _four_eyes(actor, report, "sign_off")

    def prepare(locked: TrendReport) -> dict[str, Any]:
        return {
            "content_sha256": content_digest(locked),
            "signed_off_by": actor.user,
            "signed_off_at": timezone.now(),
        }

    return _pdf_once_fixed(transition(report, "sign_off", actor, comment, workflow=WORKFLOW, prepare=prepare))


@transaction.atomic
def trend_report_issue(*, actor: Actor, report: TrendReport, comment: str = "") -> TrendReport:
    """signed off → issued: the national units read it from now on, and are told."""
    report = transition(
        report, "issue", actor, _comment(comment), workflow=WORKFLOW, issued_at=timezone.now()
    )
    report_id = report.pk
    transaction.on_commit(lambda: _notify_issued(report_id))
    transaction.on_commit(lambda: _announce_issued_later(report_id))
    return _pdf_once_fixed(report)


@transaction.atomic
def trend_report_archive(*, actor: Actor, report: TrendReport, comment: str = "") -> TrendReport:
    """issued → archived, by an approver or the bureau admin."""
    return _pdf_once_fixed(
        transition(report, "archive", actor, _comment(comment), workflow=WORKFLOW, archived_at=timezone.now())
    )


def _notify_issued(report_id: int) -> None:
    report = TrendReport.objects.select_related("bureau").filter(pk=report_id).first()
    if report is None:
        return
    for bureau in Bureau.objects.filter(kind__in=[Bureau.Kind.NATIONAL, Bureau.Kind.CENTER], is_active=True):
        if bureau.pk == report.bureau_id:
            continue
        notify_bureau(
            bureau=bureau,
            title=_("%(bureau)s issued a monthly trend report") % {"bureau": report.bureau.name_zh},
            body=report.title,
            url=trend_report_url(report),
            roles=[Role.FORECASTER, Role.CHAIR, Role.APPROVER],
            kind="trend_report",
        )


def _announce_issued_later(report_id: int) -> None:
    from trends.tasks import announce_issued_task

    announce_issued_task.delay(report_id=report_id)


def trend_report_announce_issued(*, report_id: int) -> list[SubscriptionNotice]:
    """Tell the subscribers of "monthly trend report issued" (``subscriptions``) of an issued
    report: those whose region meets the bureau's jurisdiction and who may read it (its own
    bureau, the national units; another province never). A correction is the same report in a
    new version (``ref_id`` is the first version's id): its subscribers get it as an update.
    Run by the task ``trends.announce_issued``; idempotent."""
    report = trend_report_for_worker(report_id=report_id)
    if report is None or report.status not in (Status.ISSUED, Status.ARCHIVED):
        return []
    first = report
    while first.corrects_id is not None:
        earlier = trend_report_for_worker(report_id=first.corrects_id)
        if earlier is None:
            break
        first = earlier
    bureau, version = report.bureau, report.version
    titles = (
        f"月度趋势报告已发布：{report.title}（{bureau.name_zh}{f'，第 {version} 版' if version > 1 else ''}）",
        f"Monthly trend report issued: {report.title} ({bureau.name_en}"
        f"{f', version {version}' if version > 1 else ''})",
    )

    def may_read(actor: Actor) -> bool:
        trend_report_get(actor=actor, report_id=report_id)
        return True

    return product_announce(
        product=Product.TREND_REPORT_ISSUED,
        ref_id=first.pk,
        version=report.version,
        bureau_id=report.bureau_id,
        titles=titles,
        url=trend_report_url(report),
        may_read=may_read,
    )


def _pdf_once_fixed(report: TrendReport) -> TrendReport:
    from .trend_pdf import trend_pdf_requested

    report_id = report.pk
    transaction.on_commit(lambda: trend_pdf_requested(report_id))
    return report


def trend_report_transition(
    *,
    actor: Actor,
    report: TrendReport,
    action: str,
    comment: str = "",
    section_comments: Mapping[str, str] | None = None,
) -> TrendReport:
    """One entry for the API and the page: ``action`` by name (400 for an unknown one)."""
    if action not in ACTIONS:
        raise InvalidInput(
            _("Unknown action %(action)s (one of: %(actions)s).")
            % {"action": action, "actions": ", ".join(ACTIONS)},
            field="action",
        )
    if action == "return":
        return trend_report_return(
            actor=actor, report=report, comment=comment, section_comments=section_comments
        )
    if section_comments:
        raise InvalidInput(_("Section comments go with a return only."), field="section_comments")
    service = {
        "submit": trend_report_submit,
        "review": trend_report_review,
        "sign_off": trend_report_sign_off,
        "issue": trend_report_issue,
        "archive": trend_report_archive,
    }[action]
    return service(actor=actor, report=report, comment=comment)
