"""Outputs: a document section and a document (through the one renderer, printing.rendering:
a phone page and a PDF), a notification (in the app, by e-mail, to a WeChat Work group bot),
an anomaly (disciplines, source "automatic product"), an emergency meeting for the event
(consultations), and a dataset.

In a dry run (``context.dry_run``) nodes with effects outside the run only say what they
would do. A notification's text is the node's words plus the values it received, put
together here: nothing a person writes is a template or is evaluated.

Datasets: no dataset model exists yet (issue 16 adds data sharing); ``output.dataset``
writes the table as a CSV under the run's directory, owned by the bureau and named as the
dataset, served by the run's file view.
"""

from __future__ import annotations

import csv
import json
import re
from typing import Any

from flows.registry import NodeContext, NodeError, NodeType, TransientNodeError, register

from ._schema import integer, obj, string


def summary_lines(value: Any, *, limit: int = 12) -> list[str]:
    """The scalar values of an input as ``key: value`` lines (what a message or section shows)."""
    lines: list[str] = []
    if not isinstance(value, dict):
        return [str(value)[:200]] if value is not None else []
    condition = value.get("condition")
    if isinstance(condition, dict):
        lines.append(f"value: {condition.get('value')}")
    for source in (value.get("scalars") or {}, value):
        for key, item in source.items():
            if (
                isinstance(item, int | float | str | bool)
                and key not in ("product_run",)
                and len(lines) < limit
            ):
                lines.append(f"{key}: {item}")
    if "public_id" in value:
        lines.insert(0, f"M{value.get('magnitude')} {value.get('public_id')} {value.get('origin_time')}")
    return list(dict.fromkeys(lines))[:limit]


class Section(NodeType):
    type = "output.section"
    family = "output"
    title_zh, title_en = "文档章节", "Document section"
    description_zh = "一节：标题、文字和所接结果的数值与图。"
    description_en = "A section: a heading, words, and the values and figure of what it receives."
    inputs = {"content": "any", "figure": "figure"}
    optional_inputs = frozenset({"figure"})
    outputs = {"section": "document"}
    params_schema = obj(
        {"title": string("", max_length=120), "text": string("", max_length=4000)}, required=("title",)
    )

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        return {
            "section": {
                "sections": [
                    {
                        "title": params["title"],
                        "text": params.get("text", ""),
                        "values": summary_lines(inputs.get("content")),
                        "figure": inputs.get("figure"),
                    }
                ]
            }
        }


class Document(NodeType):
    type = "output.document"
    family = "output"
    title_zh, title_en = "文档", "Document"
    description_zh = "把各节合成文档：手机页面和 PDF（统一渲染器）。"
    description_en = "Joins sections into a document: a phone page and a PDF (the one renderer)."
    inputs = {"s1": "document", "s2": "document", "s3": "document", "s4": "document"}
    optional_inputs = frozenset({"s2", "s3", "s4"})
    outputs = {"document": "document"}
    params_schema = obj({"title": string("", max_length=120)}, required=("title",))
    time_limit = 300

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        from printing.rendering import render_pdf

        sections = [
            s for port in ("s1", "s2", "s3", "s4") for s in (inputs.get(port) or {}).get("sections", [])
        ]
        document = {"title": params["title"], "sections": sections}
        if context.directory is None:
            raise NodeError("the run has no directory")
        context.directory.mkdir(parents=True, exist_ok=True)
        pdf = render_pdf(
            "flows/document_print.html", {"document": document, "figures": _figure_uris(context, sections)}
        )
        name = f"{context.node_id}.pdf"
        (context.directory / name).write_bytes(pdf)
        return {"document": {**document, "pdf": name}}


def _figure_uris(context: NodeContext, sections: list[dict[str, Any]]) -> dict[int, str]:
    return figure_uris(context.bureau.pk, sections)


def figure_uris(bureau_id: int, sections: list[dict[str, Any]]) -> dict[int, str]:
    """Figures of the sections as data URIs (the renderer fetches nothing else)."""
    from printing.rendering import png_data_uri
    from products.services.execution import run_directory

    uris: dict[int, str] = {}
    for index, section in enumerate(sections):
        figure = section.get("figure") or {}
        name = str(figure.get("name") or "")
        if not name.endswith(".png") or "/" in name:
            continue
        path = run_directory(bureau_id, int(figure["figure_run"])) / name
        if path.exists():
            uris[index] = png_data_uri(path.read_bytes())
    return uris


CHANNELS = ("in_app", "email", "wechat")
ROLES = ("forecaster", "expert", "bureau_admin", "chair", "approver", "reporter", "viewer")


class Notify(NodeType):
    type = "output.notify"
    family = "output"
    title_zh, title_en = "通知", "Notification"
    description_zh = "站内通知本局人员、发电子邮件，或发到企业微信群机器人。"
    description_en = "Tells the bureau's people in the app, by e-mail, or posts to a WeChat Work group bot."
    inputs = {"message": "any"}
    outputs = {"message": "message"}
    retries = 3
    time_limit = 60
    side_effects = True
    params_schema = obj(
        {
            "channel": string("in_app", enum=CHANNELS),
            "title": string("", max_length=120),
            "text": string("", max_length=2000),
            "roles": {"type": "array", "items": string(enum=ROLES), "default": []},
            "webhook_url": string("", max_length=500),
        },
        required=("title",),
    )

    def clean(self, params: dict[str, Any]) -> dict[str, str]:
        from portal.exceptions import InvalidInput
        from portal.links import check_link

        if params.get("channel") != "wechat":
            return {}
        url = params.get("webhook_url") or ""
        if not url:
            return {"webhook_url": "required for a WeChat Work group bot"}
        try:
            check_link(url, field="webhook_url")
        except InvalidInput as exc:
            return {"webhook_url": exc.message}
        if not url.startswith("https://"):
            return {"webhook_url": "a group bot's webhook is an https:// address"}
        return {}

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        title = params["title"]
        lines = [params.get("text", ""), *summary_lines(inputs.get("message"))]
        body = "\n".join(line for line in lines if line)
        message = {"channel": params.get("channel", "in_app"), "title": title, "body": body}
        if context.dry_run:
            return {"message": {**message, "sent": False, "dry_run": True}}
        channel = message["channel"]
        if channel == "in_app":
            from portal.services import notify_bureau

            reached = notify_bureau(
                bureau=context.bureau,
                title=title,
                body=body,
                url=f"/flows/runs/{context.run_id}/",
                kind="flows.notify",
                roles=list(params.get("roles") or []) or None,
            )
            return {"message": {**message, "sent": True, "recipients": reached}}
        if channel == "email":
            from django.conf import settings
            from django.core.mail import send_mail

            from portal.selectors import bureau_role_holders

            people = bureau_role_holders(bureau=context.bureau, roles=list(params.get("roles") or ROLES))
            addresses = sorted({p.email for p in people if p.email})
            if not addresses:
                raise NodeError("nobody of the chosen roles has an e-mail address")
            try:
                send_mail(title, body, settings.DEFAULT_FROM_EMAIL, addresses)
            except OSError as exc:
                raise TransientNodeError(f"the mail server refused: {exc}") from exc
            return {"message": {**message, "sent": True, "recipients": len(addresses)}}
        return {"message": {**message, **wechat_send(params["webhook_url"], title, body)}}


def wechat_send(url: str, title: str, body: str) -> dict[str, Any]:
    """POST a text message to a WeChat Work group bot (企业微信群机器人 webhook API:
    ``{"msgtype": "text", "text": {"content": ...}}``, answer ``{"errcode": 0}``)."""
    import urllib.error
    import urllib.request

    data = json.dumps({"msgtype": "text", "text": {"content": f"{title}\n{body}"[:2000]}}).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (https only, checked)
            answer = json.loads(response.read(4096) or b"{}")
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise TransientNodeError(f"the group bot did not answer: {exc}") from exc
    if answer.get("errcode", 0) != 0:
        raise NodeError(f"the group bot refused: {answer.get('errmsg', answer)}")
    return {"sent": True}


class CreateAnomaly(NodeType):
    type = "output.anomaly"
    family = "output"
    title_zh, title_en = "登记异常", "Create an anomaly"
    description_zh = "以流程作者的名义登记一条“自动产品”来源的异常。"
    description_en = "Reports an anomaly from an automatic product, in the flow author's name."
    inputs = {"value": "any"}
    outputs = {"anomaly": "anomaly"}
    side_effects = True
    params_schema = obj(
        {
            "discipline": string("seismology", max_length=32),
            "observation_item": string("", max_length=60),
            "station": string(max_length=100, description="the station or place the anomaly is seen at"),
            "description": string("", max_length=2000),
        },
        required=("observation_item", "station", "description"),
    )

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if context.dry_run:
            return {"anomaly": {"dry_run": True, "observation_item": params["observation_item"]}}
        from disciplines.services.anomalies import anomaly_report
        from flows.selectors import discipline_for_worker
        from portal.exceptions import PortalError

        actor = _author_actor(context)
        discipline = discipline_for_worker(code=params.get("discipline", "seismology"))
        if discipline is None:
            raise NodeError(f"no discipline {params.get('discipline')!r}")
        value = inputs.get("value") or {}
        description = "\n".join([params["description"], *summary_lines(value)])
        try:
            anomaly = anomaly_report(
                actor=actor,
                discipline=discipline,
                observation_item=params["observation_item"],
                onset_at=context.now,
                description=description,
                source="product",
                station=params.get("station", ""),
                product_reference=f"flow run {context.run_id}",
            )
        except PortalError as exc:
            raise NodeError(exc.message) from exc
        return {"anomaly": {"id": anomaly.pk, "state": anomaly.state}}


def _author_actor(context: NodeContext) -> Any:
    """The flow's author acting in the flow's bureau (never more than the author may do)."""
    from flows.selectors import user_for_worker
    from portal.tenancy import actor_for

    user = user_for_worker(user_id=context.author_id) if context.author_id else None
    actor = actor_for(user, context.bureau.code) if user is not None else None
    if actor is None:
        raise NodeError("the flow's author no longer works in the bureau")
    return actor


MEETING_MODES = ("open", "event", "id")


class OpenMeeting(NodeType):
    type = "output.meeting"
    family = "output"
    title_zh, title_en = "开会商或加入会商", "Open or attach to a meeting"
    description_zh = (
        "为触发的地震召开（或找到已开的）本局震后会商；或把所接结果放进本局一个已有会商"
        "（按会商编号，或触发地震的未结束应急/震后会商）。"
    )
    description_en = (
        "Opens the bureau's meeting for the triggering quake (or finds the one already open); or puts "
        "what it receives before an existing meeting of the bureau (by its id, or the open emergency "
        "or post-quake meeting of the triggering quake)."
    )
    inputs = {"event": "event", "content": "any"}
    optional_inputs = frozenset({"event", "content"})
    outputs = {"message": "message"}
    side_effects = True
    params_schema = obj(
        {
            "meeting": string(
                "open",
                enum=MEETING_MODES,
                description="open: open one for the event; event: the event's open meeting; id: meeting_id",
            ),
            "meeting_id": integer(None, 1, nullable=True, description="a meeting of the bureau"),
            "title": string(
                "", max_length=200, description="the material's title (default: the flow's name)"
            ),
        }
    )

    def clean(self, params: dict[str, Any]) -> dict[str, str]:
        if params.get("meeting") == "id" and not params.get("meeting_id"):
            return {"meeting_id": "required to attach to a meeting by its id"}
        return {}

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        mode = params.get("meeting", "open")
        event = self._event(context, inputs) if mode in ("open", "event") else None
        if context.dry_run:
            return {
                "message": {"dry_run": True, "meeting": mode, "event": event.public_id if event else None}
            }
        meeting = self._meeting(context, mode, event, params)
        out: dict[str, Any] = {"meeting": meeting.pk, "title": meeting.title}
        if inputs.get("content") is not None:
            out["material"] = _attach(context, meeting, inputs["content"], params.get("title") or "")
        return {"message": out}

    def _event(self, context: NodeContext, inputs: dict[str, Any]) -> Any:
        from catalog.selectors import event_get
        from portal.exceptions import NotFound

        if not inputs.get("event"):
            raise NodeError("connect the triggering event (or attach to a meeting by its id)")
        try:
            return event_get(actor=context.reader, public_id=inputs["event"]["public_id"])
        except NotFound:
            raise NodeError("the bureau does not read this event") from None

    def _meeting(self, context: NodeContext, mode: str, event: Any, params: dict[str, Any]) -> Any:
        from consultations.models import Meeting, MeetingKind
        from consultations.selectors import meeting_get, meeting_list
        from consultations.services.emergency import emergency_meeting_open
        from portal.exceptions import NotFound

        if mode == "open":
            meeting = emergency_meeting_open(event_id=event.pk, bureau_id=context.bureau.pk)
            if meeting is None:
                raise NodeError("no meeting was opened for this event (no magnitude, or not in the catalog)")
            return meeting
        if mode == "event":
            meeting = (
                meeting_list(actor=context.reader)
                .filter(
                    bureau=context.bureau,
                    trigger_event_id=event.pk,
                    kind__in=[MeetingKind.EMERGENCY, MeetingKind.POST_EARTHQUAKE],
                )
                .exclude(status=Meeting.Status.CLOSED)
                .first()
            )
            if meeting is None:
                raise NodeError("the bureau has no open emergency or post-quake meeting on this quake")
            return meeting
        try:
            meeting = meeting_get(actor=context.reader, meeting_id=int(params["meeting_id"]))
        except NotFound:
            meeting = None
        if meeting is None or meeting.bureau_id != context.bureau.pk:
            raise NodeError(f"the bureau has no meeting {params['meeting_id']}")
        if meeting.status == Meeting.Status.CLOSED:
            raise NodeError(f"meeting {meeting.pk} is closed")
        return meeting


def _attach(context: NodeContext, meeting: Any, content: Any, title: str) -> int:
    """Put what the node received before the meeting, as a link to the run (once per run and node)."""
    from consultations.models import MeetingMaterial
    from consultations.services.meetings import material_attach
    from portal.exceptions import PortalError

    document = content.get("document") if isinstance(content, dict) else None
    document = document if isinstance(document, dict) else content if isinstance(content, dict) else {}
    is_document = isinstance(document.get("sections"), list)
    kind = MeetingMaterial.Kind.REPORT if is_document else MeetingMaterial.Kind.PRODUCT
    title = title or str(document.get("title") or "") or context.flow_name or f"flow run {context.run_id}"
    try:
        material = material_attach(
            actor=None,
            meeting=meeting,
            kind=kind,
            object_id=f"flowrun:{context.run_id}:{context.node_id}",
            title=title,
            url=f"/flows/runs/{context.run_id}/",
        )
    except PortalError as exc:
        raise NodeError(exc.message) from exc
    return material.pk


class Dataset(NodeType):
    type = "output.dataset"
    family = "output"
    title_zh, title_en = "发布数据集", "Publish a dataset"
    description_zh = "把表格写成本局的 CSV 数据集（数据共享上线前的存放方式）。"
    description_en = (
        "Writes a table as a CSV dataset of the bureau (until data sharing, issue 16, adds datasets)."
    )
    inputs = {"table": "table"}
    outputs = {"table": "table"}
    side_effects = True
    params_schema = obj({"name": string("", max_length=80)}, required=("name",))

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        table = inputs["table"]
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", params["name"]).strip("-") or "dataset"
        if context.dry_run:
            return {"table": {**table, "dataset": name, "dry_run": True}}
        if context.directory is None:
            raise NodeError("the run has no directory")
        context.directory.mkdir(parents=True, exist_ok=True)
        file_name = f"{context.node_id}-{name}.csv"
        with (context.directory / file_name).open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(table.get("columns", []))
            writer.writerows(table.get("rows", []))
        return {
            "table": {
                "columns": table.get("columns", []),
                "rows": len(table.get("rows", [])),
                "dataset": params["name"],
                "file": file_name,
            }
        }


for _node in (Section, Document, Notify, CreateAnomaly, OpenMeeting, Dataset):
    register(_node())
