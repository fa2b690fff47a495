"""The data supermarket's pages, as the owner's steward, another bureau's forecaster and a
forecaster of the owner: what each sees and may do; a refusal never shows as a link."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from sharing.models import DataRequest, Level, Push
from sharing.services.datasets import dataset_update

pytestmark = pytest.mark.django_db


def _hrefs(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


def test_the_catalog_lists_and_filters_on_a_phone_width_layout(
    client, datasets, jx_steward, nm_forecaster, as_actor
):
    dataset_update(actor=as_actor(jx_steward), dataset=datasets["item:WT"], level=Level.NOT_SHARED)
    client.force_login(nm_forecaster)
    html = client.get(reverse("sharing:catalog")).content.decode()
    assert reverse("sharing:dataset-detail", args=[datasets["station:JX-XS"].pk]) in html
    assert reverse("sharing:dataset-detail", args=[datasets["item:WT"].pk]) not in html
    assert 'class="col-12 col-lg-6"' in html  # one card a row on a phone
    filtered = client.get(reverse("sharing:catalog") + "?kind=item_series&q=水位").content.decode()
    assert reverse("sharing:dataset-detail", args=[datasets["item:WL"].pk]) in filtered
    assert reverse("sharing:dataset-detail", args=[datasets["station:JX-XS"].pk]) not in filtered
    # a bad filter is ignored, not a 500
    assert client.get(reverse("sharing:catalog") + "?kind=x&page=abc").status_code == 200


def test_another_bureau_requests_from_the_dataset_page(client, datasets, channels, nm_forecaster):
    client.force_login(nm_forecaster)
    page = reverse("sharing:dataset-detail", args=[datasets["station:JX-XS"].pk])
    html = client.get(page).content.decode()
    form_url = reverse("sharing:request-new", args=[datasets["station:JX-XS"].pk])
    assert form_url in _hrefs(html)
    assert 'id="dataset-form"' not in html  # no settings for another bureau
    assert client.get(form_url).status_code == 200
    refused = client.post(form_url, {"purpose": "", "period_start": "2026-11-01"})
    assert refused.status_code == 200
    assert "invalid-feedback" in refused.content.decode()
    sent = client.post(
        form_url, {"purpose": "对比研究", "period_start": "2026-11-01", "channels": [str(channels[0].pk)]}
    )
    request = DataRequest.objects.get()
    assert sent["Location"] == reverse("sharing:request-detail", args=[request.pk])
    assert request.channel_ids == [channels[0].pk]


def test_the_steward_answers_on_the_request_page(client, datasets, nm_forecaster, jx_steward, ask):
    request = ask(nm_forecaster, datasets["station:JX-XS"])
    client.force_login(jx_steward)
    page = reverse("sharing:request-detail", args=[request.pk])
    html = client.get(page).content.decode()
    assert 'id="request-approve"' in html
    assert 'id="request-refuse"' in html
    do = reverse("sharing:request-transition", args=[request.pk])
    client.post(do, {"action": "refuse", "reason": ""})
    request.refresh_from_db()
    assert request.state == "pending"  # no reason: refused with a message, nothing changed
    client.post(
        do, {"action": "approve", "period_start": "2026-11-05", "expires": "2027-06-30", "comment": "同意"}
    )
    request.refresh_from_db()
    assert request.state == "approved"
    assert request.grant.period_start.isoformat() == "2026-11-05"
    assert request.grant.expires_at.isoformat() == "2027-06-30T16:00:00+00:00"  # the end of 06-30 in Beijing
    assert 'id="request-revoke"' in client.get(page).content.decode()


def test_the_asking_person_sees_the_request_without_the_forms(client, datasets, nm_forecaster, ask):
    request = ask(nm_forecaster, datasets["station:JX-XS"])
    client.force_login(nm_forecaster)
    html = client.get(reverse("sharing:request-detail", args=[request.pk])).content.decode()
    assert 'id="request-state"' in html
    assert 'id="request-approve"' not in html
    assert (
        client.post(
            reverse("sharing:request-transition", args=[request.pk]), {"action": "approve"}
        ).status_code
        == 403
    )


def test_another_bureau_gets_404_for_a_dataset_not_shared_and_a_request_not_its(
    client, datasets, jx_steward, nm_forecaster, cenc_forecaster, ask, as_actor
):
    dataset_update(actor=as_actor(jx_steward), dataset=datasets["item:WT"], level=Level.NOT_SHARED)
    request = ask(nm_forecaster, datasets["station:JX-XS"])
    client.force_login(cenc_forecaster)
    assert client.get(reverse("sharing:dataset-detail", args=[datasets["item:WT"].pk])).status_code == 404
    assert client.get(reverse("sharing:request-detail", args=[request.pk])).status_code == 404


def test_settings_are_the_stewards(client, datasets, jx_steward, jx_forecaster):
    client.force_login(jx_forecaster)
    assert client.get(reverse("sharing:settings")).status_code == 403
    assert reverse("sharing:settings") not in _hrefs(client.get(reverse("sharing:catalog")).content.decode())
    client.force_login(jx_steward)
    html = client.get(reverse("sharing:settings")).content.decode()
    assert 'id="owned-datasets"' in html
    assert 'id="sharing-settings-form"' not in html  # the deadline is the admin's
    dataset = datasets["station:JX-XS"]
    client.post(reverse("sharing:dataset-level", args=[dataset.pk]), {"level": "open"})
    dataset.refresh_from_db()
    assert dataset.level == "open"
    assert client.post(reverse("sharing:sync")).status_code == 302


def test_the_admin_sets_the_answer_deadline(client, jx_admin):
    client.force_login(jx_admin)
    assert client.post(reverse("sharing:settings"), {"answer_days": "0"}).status_code == 200
    assert client.post(reverse("sharing:settings"), {"answer_days": "5"}).status_code == 302
    from sharing.models import SharingSettings

    assert SharingSettings.objects.get().answer_days == 5


def test_a_steward_pushes_from_the_dataset_page(client, datasets, jx_steward, nm, nm_forecaster):
    client.force_login(jx_steward)
    page = client.get(reverse("sharing:dataset-detail", args=[datasets["item:WL"].pk])).content.decode()
    form = reverse("sharing:push-new", args=[datasets["item:WL"].pk])
    assert form in _hrefs(page)
    assert "NM" in client.get(form).content.decode()
    response = client.post(form, {"bureaus": ["NM"], "note": "片区共享"})
    push = Push.objects.get()
    assert response["Location"] == reverse("sharing:push-detail", args=[push.pk])
    client.force_login(nm_forecaster)
    html = client.get(reverse("sharing:push-detail", args=[push.pk])).content.decode()
    assert 'id="push-stop"' not in html
    listing = client.get(reverse("sharing:pushes") + "?side=to_me").content.decode()
    assert reverse("sharing:push-detail", args=[push.pk]) in listing
    dataset_page = client.get(
        reverse("sharing:dataset-detail", args=[datasets["item:WL"].pk])
    ).content.decode()
    assert 'id="dataset-contents"' in dataset_page  # the pushed channels, with links


@pytest.mark.parametrize(("language", "words"), [("zh-hans", "数据超市"), ("en", "Data supermarket")])
def test_the_pages_speak_chinese_and_english(client, datasets, nm_forecaster, language, words):
    client.force_login(nm_forecaster)
    html = client.get(reverse("sharing:catalog"), headers={"accept-language": language}).content.decode()
    assert words in html
