"""A schedule's timing in words, in the reader's language (products.schedule_words)."""

from __future__ import annotations

import pytest

from products.schedule_words import crontab_words
from products.services import schedules as schedule_services

from .test_api_pages import DAILY, _web


@pytest.mark.parametrize(
    ("crontab", "chinese", "english"),
    [
        ("0 6 * * *", "在 06:00", "At 06:00"),
        ("0 8 1 * *", "在 08:00, 每月的 1 号", "At 08:00, on day 1 of the month"),
        ("0 9 * * 1", "在 09:00, 仅在 星期一", "At 09:00, only on Monday"),
        ("0 8 * * 1-5", "在 08:00, 星期一 到 星期五", "At 08:00, Monday through Friday"),
        ("0 8 * * 0", "在 08:00, 仅在 星期日", "At 08:00, only on Sunday"),
        (
            "0 8 1 1,7 *",
            "在 08:00, 每月的 1 号, 仅在 1月 和 7月",
            "At 08:00, on day 1 of the month, only in January and July",
        ),
        ("0 */6 * * *", "每 6 小时", "Every 6 hours"),
    ],
)
def test_a_crontab_reads_as_words_in_chinese_and_english(crontab, chinese, english):
    assert crontab_words(crontab, "zh-hans") == chinese
    assert crontab_words(crontab, "en") == english


def test_what_it_cannot_read_is_shown_as_written():
    assert crontab_words("not a crontab", "zh-hans") == "not a crontab"
    assert crontab_words("", "en") == ""


@pytest.mark.django_db
def test_the_schedule_list_says_when_in_the_readers_language(jx, jx_forecaster, as_actor):
    schedule_services.schedule_create(actor=as_actor(jx_forecaster), **{**DAILY, "day_of_week": "1"})
    web = _web(jx_forecaster)
    page = web.get("/products/schedules/").content.decode()
    assert "在 06:00, 仅在 星期一" in page
    assert "<code>0 6 * * 1</code>" in page
    web.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "At 06:00, only on Monday" in web.get("/products/schedules/").content.decode()
