"""API, pages, schedules and tenant isolation of the product engine."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from products.models import ProductRun, ProductSchedule
from products.services import run_requests as request_services
from products.services import runs as run_services
from products.services import schedules as schedule_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def jx_run(jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks):
    make_events(jx, 400)
    with django_capture_on_commit_callbacks(execute=True):
        run = run_services.run_create(
            actor=as_actor(jx_forecaster), method="bvalue", params={"mc": 2.0}, catalog={"jurisdiction": True}
        )
    run.refresh_from_db()
    assert run.status == "succeeded"
    return run


def _web(user):
    client = Client()
    client.force_login(user)
    return client


def test_methods_list_their_schemas(api, jx_viewer):
    response = api(jx_viewer).get("/api/v1/products/methods/")
    assert response.status_code == 200
    methods = {m["name"]: m for m in response.json()["results"]}
    assert methods["bvalue"]["params"]["min_events"] == {
        "type": "integer",
        "default": 50,
        "description": "",
        "minimum": 10,
        "maximum": 1000000,
    }
    assert methods["bvalue"]["input"] == "catalog"
    assert methods["bvalue"]["discipline"] == "seismology"
    assert methods["bvalue"]["returns"].startswith("{b, b_err, a, mc, n}")
    assert methods["omori"]["input"] == "sequence"
    assert methods["omori"]["params"]["mainshock"]["input"] is True


def test_post_returns_202_and_detail_has_result_figures_and_provenance(
    api, jx, jx_forecaster, make_events, django_capture_on_commit_callbacks
):
    make_events(jx, 300)
    client = api(jx_forecaster)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/products/",
            {"method": "bvalue", "params": {"mc": 2.0}, "catalog": {"minlatitude": 25, "maxlatitude": 30}},
            format="json",
        )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    detail = client.get(f"/api/v1/products/{body['id']}/").json()
    assert {
        "id",
        "method",
        "status",
        "progress",
        "params",
        "result",
        "figures",
        "error",
        "provenance",
    } <= set(detail)
    assert (detail["status"], detail["progress"], detail["error"]) == ("succeeded", 100, None)
    assert detail["figures"] == [
        f"http://testserver/products/runs/{body['id']}/figures/bvalue.png",
        f"http://testserver/products/runs/{body['id']}/figures/bvalue.svg",
    ]
    assert len(detail["provenance"]["input_hash"]) == 64
    assert detail["provenance"]["input_count"] == 300
    png = _web(jx_forecaster).get(f"/products/runs/{body['id']}/figures/bvalue.png")
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"


def test_unknown_method_is_400_naming_it(api, jx_forecaster):
    response = api(jx_forecaster).post("/api/v1/products/", {"method": "gaps"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["method"]
    assert "unknown method 'gaps'" in response.json()["detail"]


def test_invalid_params_are_400_naming_each(api, jx_forecaster):
    response = api(jx_forecaster).post(
        "/api/v1/products/",
        {"method": "bvalue", "params": {"bin": 0, "estimator": "lsq", "colour": "red"}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "params.bin": ["must be at least 0.001"],
        "params.estimator": ["must be one of aki_utsu, tinti_mulargia, b_positive"],
        "params.colour": ["unknown parameter"],
    }
    assert ProductRun.objects.count() == 0


def test_bad_catalog_keys_and_values_are_400_naming_them(api, jx_forecaster):
    response = api(jx_forecaster).post(
        "/api/v1/products/",
        {
            "method": "bvalue",
            "catalog": {"minlat": 20, "planet": "mars", "maxlatitude": 95, "days": -1, "minmagnitude": 2},
        },
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"catalog.minlat", "catalog.planet", "catalog.maxlatitude", "catalog.days"}
    assert ProductRun.objects.count() == 0


def test_sequence_methods_need_a_known_mainshock(api, jx_forecaster):
    response = api(jx_forecaster).post(
        "/api/v1/products/", {"method": "omori", "params": {"mainshock": "nope", "p": 1}}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"params.mainshock", "params.p"}


def test_viewer_cannot_post_runs(api, jx_viewer):
    response = api(jx_viewer).post("/api/v1/products/", {"method": "bvalue"}, format="json")
    assert response.status_code == 403
    assert ProductRun.objects.count() == 0


@pytest.mark.parametrize("who", ["nm_forecaster", "cenc_forecaster"])
def test_other_bureaus_cannot_read_runs_through_any_endpoint_or_page(request, who, api, jx_run):
    # given: runs are never published, so even the national centre does not read JX's
    user = request.getfixturevalue(who)
    client, web = api(user), _web(user)
    # when / then
    assert client.get(f"/api/v1/products/{jx_run.pk}/").status_code == 404
    assert client.post(f"/api/v1/products/{jx_run.pk}/rerun/").status_code == 404
    listed = client.get("/api/v1/products/")
    assert (listed.status_code, listed.json()["results"]) == (200, [])
    for url in (
        f"/products/runs/{jx_run.pk}/",
        f"/products/runs/{jx_run.pk}/figures/bvalue.png",
    ):
        assert web.get(url).status_code == 404, url
    assert web.post(f"/products/runs/{jx_run.pk}/rerun/").status_code == 404
    for url in ("/products/", "/products/runs/"):
        page = web.get(url)
        assert page.status_code == 200, url
        assert f"/products/runs/{jx_run.pk}/" not in page.content.decode()


def test_a_person_without_a_role_may_not_use_products_at_all(api, outsider, jx_run):
    # given
    client, web = api(outsider), _web(outsider)
    # when / then: refused before any lookup
    assert client.get(f"/api/v1/products/{jx_run.pk}/").status_code == 403
    assert client.post(f"/api/v1/products/{jx_run.pk}/rerun/").status_code == 403
    assert client.get("/api/v1/products/").status_code == 403
    for url in (
        "/products/",
        "/products/runs/",
        f"/products/runs/{jx_run.pk}/",
        f"/products/runs/{jx_run.pk}/figures/bvalue.png",
    ):
        assert web.get(url).status_code == 403, url
    assert web.post(f"/products/runs/{jx_run.pk}/rerun/").status_code == 403


def test_own_bureau_reads_run_pages(jx_viewer, jx_run):
    web = _web(jx_viewer)
    page = web.get(f"/products/runs/{jx_run.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/products/runs/{jx_run.pk}/figures/bvalue.png" in html
    assert 'aria-valuenow="100"' in html
    assert "Run again" not in html
    assert "重新运行" not in html
    assert f"/products/runs/{jx_run.pk}/" in web.get("/products/runs/").content.decode()


def test_run_form_is_generated_from_the_schema_and_names_bad_fields(jx_forecaster, jx):
    web = _web(jx_forecaster)
    page = web.get("/products/new/?method=bvalue_grid").content.decode()
    assert 'name="params.cell"' in page
    assert 'min="0.01"' in page
    assert 'max="5"' in page
    assert 'name="catalog.jurisdiction"' in page
    response = web.post(
        "/products/new/", {"method": "bvalue_grid", "params.cell": "9", "catalog.maxlatitude": "abc"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-error-for="params.cell"' in html
    assert 'data-error-for="catalog.maxlatitude"' in html
    assert ProductRun.objects.count() == 0


def test_run_form_queues_a_run_and_redirects(jx_forecaster, jx, django_capture_on_commit_callbacks):
    web = _web(jx_forecaster)
    with django_capture_on_commit_callbacks(execute=False):
        response = web.post(
            "/products/new/", {"method": "mc", "params.bin": "0.1", "catalog.jurisdiction": "on"}
        )
    run = ProductRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/products/runs/{run.pk}/"
    assert (run.method, run.selection) == ("mc", {"jurisdiction": True})


# --- schedules --------------------------------------------------------------------


DAILY = {
    "name": "每日 b 值",
    "method": "bvalue",
    "params": {"mc": 2.0},
    "catalog": {"jurisdiction": True, "days": 365},
    "minute": "0",
    "hour": "6",
}


def test_creating_a_schedule_creates_its_beat_rows(jx, jx_forecaster, as_actor):
    schedule = schedule_services.schedule_create(actor=as_actor(jx_forecaster), **DAILY)
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert task.task == "products.scheduled_run"
    assert json.loads(task.kwargs) == {"bureau_id": jx.pk, "schedule_id": schedule.pk}
    assert task.enabled is True
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "6", "*")
    assert str(task.crontab.timezone) == "Asia/Shanghai"


def test_pausing_editing_and_resuming_change_the_beat_rows(jx, jx_forecaster, as_actor):
    actor = as_actor(jx_forecaster)
    schedule = schedule_services.schedule_create(actor=actor, **DAILY)
    schedule_services.schedule_set_enabled(actor=actor, schedule=schedule, enabled=False)
    assert PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled is False
    schedule_services.schedule_update(actor=actor, schedule=schedule, hour="7", day_of_week="1")
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert (task.crontab.hour, task.crontab.day_of_week, task.enabled) == ("7", "1", False)
    assert PeriodicTask.objects.filter(task="products.scheduled_run").count() == 1
    schedule_services.schedule_set_enabled(actor=actor, schedule=schedule, enabled=True)
    assert PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled is True
    schedule_services.schedule_delete(actor=actor, schedule=schedule)
    assert PeriodicTask.objects.filter(task="products.scheduled_run").count() == 0
    assert CrontabSchedule.objects.filter(hour="7").exists()


def test_bad_crontab_and_params_are_named(jx, jx_forecaster, as_actor):
    with pytest.raises(request_services.RunRequestInvalid) as info:
        schedule_services.schedule_create(
            actor=as_actor(jx_forecaster), **{**DAILY, "hour": "25", "params": {"bin": 0}}
        )
    assert set(info.value.errors) == {"hour", "params.bin"}
    assert ProductSchedule.objects.count() == 0
    assert PeriodicTask.objects.filter(task="products.scheduled_run").count() == 0


def test_run_now_and_beat_fire_queue_runs_resolving_days(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    actor = as_actor(jx_forecaster)
    schedule = schedule_services.schedule_create(
        actor=actor, **{**DAILY, "catalog": {"jurisdiction": True, "days": 3650}}
    )
    make_events(jx, 300)
    with django_capture_on_commit_callbacks(execute=True):
        run = schedule_services.schedule_run_now(actor=actor, schedule=schedule)
    run.refresh_from_db()
    assert run.schedule_id == schedule.pk
    assert run.status == "succeeded"
    assert set(run.selection) == {"jurisdiction", "starttime", "endtime"}
    from products.tasks import product_schedule_task

    with django_capture_on_commit_callbacks(execute=True):
        fired = product_schedule_task.apply(kwargs={"bureau_id": jx.pk, "schedule_id": schedule.pk}).get()
    assert ProductRun.objects.get(pk=fired).reused_from_id == run.pk
    schedule_services.schedule_set_enabled(actor=actor, schedule=schedule, enabled=False)
    assert schedule_services.schedule_fire(bureau_id=jx.pk, schedule_id=schedule.pk) is None
    schedule.refresh_from_db()
    assert schedule.last_run_id == fired
    gallery = _web(jx_forecaster).get("/products/").content.decode()
    assert (
        f"/products/runs/{fired}/figures/bvalue.png" in gallery
        or f"/products/runs/{run.pk}/figures/" in gallery
    )


def test_viewer_cannot_manage_schedules(jx, jx_forecaster, jx_viewer, as_actor):
    from portal.exceptions import PermissionDenied

    schedule = schedule_services.schedule_create(actor=as_actor(jx_forecaster), **DAILY)
    with pytest.raises(PermissionDenied):
        schedule_services.schedule_create(actor=as_actor(jx_viewer), **{**DAILY, "name": "x"})
    with pytest.raises(PermissionDenied):
        schedule_services.schedule_set_enabled(actor=as_actor(jx_viewer), schedule=schedule, enabled=False)
    assert PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled is True
    assert _web(jx_viewer).post(f"/products/schedules/{schedule.pk}/pause/").status_code == 403


@pytest.mark.parametrize("who", ["nm_forecaster", "cenc_forecaster"])
def test_other_bureaus_cannot_see_or_change_schedules(request, who, jx, jx_forecaster, as_actor):
    schedule = schedule_services.schedule_create(actor=as_actor(jx_forecaster), **DAILY)
    web = _web(request.getfixturevalue(who))
    assert "每日 b 值" not in web.get("/products/schedules/").content.decode()
    assert "每日 b 值" not in web.get("/products/").content.decode()
    assert web.get(f"/products/schedules/{schedule.pk}/").status_code == 404
    for action in ("pause", "run", "delete"):
        assert web.post(f"/products/schedules/{schedule.pk}/{action}/").status_code == 404
    assert PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled is True
    assert ProductRun.objects.count() == 0


def test_schedule_pages_create_pause_and_run(jx, jx_forecaster, django_capture_on_commit_callbacks):
    web = _web(jx_forecaster)
    assert web.get("/products/schedules/new/?method=bvalue_grid").status_code == 200
    response = web.post(
        "/products/schedules/new/",
        {
            "save": "1",
            "method": "bvalue_grid",
            "name": "每周 b 值图",
            "is_enabled": "on",
            "minute": "0",
            "hour": "6",
            "day_of_week": "1",
            "day_of_month": "*",
            "month_of_year": "*",
            "params.cell": "0.2",
            "catalog.jurisdiction": "on",
            "catalog.days": "365",
        },
    )
    assert response.status_code == 302
    schedule = ProductSchedule.objects.get()
    assert (
        schedule.params
        == {
            "cell": 0.2,
            "nearest": 100,
            "min_events": 50,
            "mc_correction": 0.2,
            "bin": 0.1,
            "estimator": "aki_utsu",
        }
        or schedule.params["cell"] == 0.2
    )
    assert schedule.selection == {"jurisdiction": True, "days": 365.0}
    web.post(f"/products/schedules/{schedule.pk}/pause/")
    assert PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled is False
    with django_capture_on_commit_callbacks(execute=False):
        response = web.post(f"/products/schedules/{schedule.pk}/run/")
    run = ProductRun.objects.get()
    assert response["Location"] == f"/products/runs/{run.pk}/"
    assert web.get(f"/products/schedules/{schedule.pk}/").status_code == 200


def test_dashboard_shows_latest_and_failed_runs(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    make_events(jx, 5)
    with django_capture_on_commit_callbacks(execute=True):
        run = run_services.run_create(
            actor=as_actor(jx_forecaster), method="bvalue", catalog={"jurisdiction": True}
        )
    html = _web(jx_forecaster).get("/").content.decode()
    assert 'data-panel="product-runs"' in html
    assert 'data-panel="product-failures"' in html
    assert f"/products/runs/{run.pk}/" in html


@pytest.mark.parametrize(
    ("language", "title", "label"),
    [("zh-hans", "运行产品", "网格大小（度）"), ("en", "Run a product", "grid cell size (degrees)")],
)
def test_run_form_speaks_chinese_and_english(jx_forecaster, jx, language, title, label):
    from django.conf import settings

    web = _web(jx_forecaster)
    web.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = web.get("/products/new/?method=bvalue_grid").content.decode()
    assert title in html
    assert label in html


@pytest.mark.parametrize("status", ["succeeded", "queued", "running", "failed"])
def test_rerun_checks_the_right_before_the_state(api, jx_run, jx_viewer, jx_forecaster, status):
    """A viewer is refused (403) whatever the run's state; the forecaster's rerun of a
    queued, running or succeeded run is answered with the run unchanged (idempotent by design)."""
    ProductRun.objects.filter(pk=jx_run.pk).update(status=status, started_at=timezone.now())
    before = ProductRun.objects.filter(pk=jx_run.pk).values("status", "task_id", "queued_at").get()
    url = f"/api/v1/products/{jx_run.pk}/rerun/"
    # without the right
    refused = api(jx_viewer).post(url)
    assert refused.status_code == 403, refused.json()
    assert ProductRun.objects.filter(pk=jx_run.pk).values("status", "task_id", "queued_at").get() == before
    # with the right
    answered = api(jx_forecaster).post(url)
    assert answered.status_code == 202, answered.json()
    expected = "queued" if status == "failed" else status
    assert answered.json()["status"] == expected
