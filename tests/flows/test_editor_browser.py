"""The flow editor in Debian's Chromium (tests/conftest.py ``browser_login``), a real Celery
worker running the flow: build manual trigger → catalog → b-value → condition → notification
by dragging node types from the palette and wiring ports, see a wrong-type connection
refused, fill parameters, validate, save, dry-run it from the editor, run it and read the
result on the run page, all without a Content-Security-Policy violation."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from flows.models import Flow, FlowRun

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Registered through the DevTools protocol, which the page's policy does not govern.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


SAMPLE_EVENT = {
    "public_id": "sample",
    "origin_time": "2025-06-01T00:00:00+00:00",
    "latitude": 27.5,
    "longitude": 115.5,
    "depth_km": 10.0,
    "magnitude": 5.1,
}


def _centre(page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _wire(page, source: str, target: str) -> None:
    """Drag from an output port to an input port with the mouse, as a person does."""
    x1, y1 = _centre(page, source)
    x2, y2 = _centre(page, target)
    page.mouse.move(x1, y1)
    page.mouse.down()
    page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2, steps=5)
    page.mouse.move(x2, y2, steps=5)
    page.mouse.up()


def _port(node: str, side: str, port: str) -> str:
    kind = "output" if side == "out" else "input"
    return f'[data-flow-node="{node}"] .{kind}s .{kind}[data-port="{port}"]'


def _drop(page, node_type: str, x: int, y: int) -> None:
    page.drag_and_drop(f'[data-node-type="{node_type}"]', "#flow-canvas", target_position={"x": x, "y": y})


def _select(page, node: str) -> None:
    page.locator(f'[data-flow-node="{node}"] .flow-node-title').click()
    expect(page.locator("#flow-node-id")).to_have_value(node)


def _set(page, key: str, value: str) -> None:
    page.fill(f"#param-{key}", value)
    page.locator(f"#param-{key}").dispatch_event("change")


def test_build_wire_save_and_run_a_flow_in_the_browser(
    real_celery, browser_login, jx, jx_forecaster, jx_expert, make_events
):
    make_events(jx, 400)
    page = browser_login(jx_forecaster, locale="en-US")
    page.set_viewport_size({"width": 1500, "height": 1300})
    page.context.add_init_script(RECORD_VIOLATIONS)
    problems: list[str] = []
    page.on(
        "console", lambda m: "Content Security Policy" in m.text and problems.append(f"{page.url}: {m.text}")
    )
    page.on("pageerror", lambda e: problems.append(f"{page.url}: script error {e}"))

    page.goto("/flows/")
    page.click("#flow-new-link")
    expect(page.locator("#flow-editor[data-ready]")).to_have_count(1)

    # drag five node types from the palette onto the canvas
    _drop(page, "trigger.manual", 40, 60)
    _drop(page, "source.catalog", 300, 60)
    _drop(page, "method.bvalue", 560, 60)
    _drop(page, "logic.condition", 300, 300)
    _drop(page, "output.notify", 560, 300)
    for node in ("manual", "catalog", "bvalue", "condition", "notify"):
        expect(page.locator(f'[data-flow-node="{node}"]')).to_have_count(1)

    # a series output cannot feed a catalog input: refused at once, and said why
    _wire(page, _port("manual", "out", "series"), _port("bvalue", "in", "catalog"))
    expect(page.locator("#flow-message [data-refused]")).to_contain_text("series")
    expect(page.locator("#flow-canvas .connection")).to_have_count(0)

    _wire(page, _port("manual", "out", "event"), _port("catalog", "in", "event"))
    _wire(page, _port("catalog", "out", "catalog"), _port("bvalue", "in", "catalog"))
    _wire(page, _port("bvalue", "out", "result"), _port("condition", "in", "value"))
    _wire(page, _port("condition", "out", "then"), _port("notify", "in", "message"))
    expect(page.locator("#flow-canvas .connection")).to_have_count(4)

    # validation names what is missing: the condition's path and threshold, the title
    page.fill("#flow-name", "Browser b watch")
    page.click("#flow-validate")
    expect(page.locator("#flow-message [data-invalid]")).to_have_count(1)
    expect(page.locator('[data-flow-node="condition"].flow-node-invalid')).to_have_count(1)
    expect(page.locator('[data-flow-node="notify"].flow-node-invalid')).to_have_count(1)

    # the parameters, in forms generated from each type's schema (a bad value at the field)
    _select(page, "catalog")
    _set(page, "days", "3650")
    _select(page, "condition")
    _set(page, "path", "result.b")
    _set(page, "threshold", "5")
    expect(page.locator("#param-threshold")).not_to_have_class("is-invalid")
    _select(page, "notify")
    _set(page, "title", "b is low")
    page.click("#flow-validate")
    expect(page.locator("#flow-message [data-valid]")).to_have_count(1)

    page.fill("#flow-comment", "first cut")
    page.click("#flow-save")
    page.wait_for_url("**/edit/?saved=1")
    expect(page.locator('#flow-message [data-saved="1"]')).to_have_count(1)
    flow = Flow.objects.get(name="Browser b watch")
    definition = flow.current_version.definition
    assert {n["id"]: n["type"] for n in definition["nodes"]} == {
        "manual": "trigger.manual",
        "catalog": "source.catalog",
        "bvalue": "method.bvalue",
        "condition": "logic.condition",
        "notify": "output.notify",
    }
    assert sorted((e["from"], e["to"]) for e in definition["edges"]) == [
        ("bvalue.result", "condition.value"),
        ("catalog.catalog", "bvalue.catalog"),
        ("condition.then", "notify.message"),
        ("manual.event", "catalog.event"),
    ]
    params = {n["id"]: n["params"] for n in definition["nodes"]}
    assert params["catalog"]["days"] == 3650
    assert params["condition"]["threshold"] == 5
    assert all(isinstance(n.get("x"), int | float) for n in definition["nodes"])  # positions kept

    # the reopened editor draws it again; a dry run on a sample event colours the nodes
    expect(page.locator("#flow-canvas .connection")).to_have_count(4)
    page.click('[data-bs-target="#flow-sample"]')
    page.fill("#flow-sample-input", json.dumps({"event": SAMPLE_EVENT}))
    page.click("#flow-dry-run")
    expect(page.locator('#flow-message [data-run-status="succeeded"]')).to_have_count(1, timeout=120_000)
    expect(page.locator('[data-flow-node="bvalue"].flow-state-succeeded')).to_have_count(1)

    expect(page.locator('[data-flow-node="notify"].flow-state-succeeded')).to_have_count(1)

    # a real run on the same sample, its result on the run page
    page.click("#flow-run")
    page.wait_for_url("**/flows/runs/*/")
    run = FlowRun.objects.filter(flow=flow, dry_run=False).get()
    deadline = time.monotonic() + 120
    while (
        FlowRun.objects.get(pk=run.pk).status not in ("succeeded", "failed") and time.monotonic() < deadline
    ):
        time.sleep(0.5)
    page.reload()  # the live socket may have joined after the last event
    expect(page.locator("#flow-run-status")).to_have_attribute("data-status", "succeeded")
    expect(page.locator('#flow-graph [data-flow-node="notify"].flow-state-succeeded')).to_have_count(1)
    expect(page.locator('[data-node="bvalue"] details pre')).to_contain_text('"b"')
    problems += [f"{page.url}: {v}" for v in page.evaluate("window.__csp")]
    # the read-only graph of the flow page
    page.goto(f"/flows/{flow.pk}/")
    expect(page.locator('#flow-graph [data-flow-node="condition"]')).to_have_count(1)
    expect(page.locator("#flow-graph .connection")).to_have_count(4)
    problems += [f"{page.url}: {v}" for v in page.evaluate("window.__csp")]
    assert problems == []
