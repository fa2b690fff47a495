"""What changed between two drafts (postquake.changes) and its words (postquake.wording)."""

from __future__ import annotations

from django.utils import translation

from postquake.changes import MOVED, opinion_changes
from postquake.wording import changes_in_words, opinion_prefill, trigger_words


def _draft(*, type_=None, confidence=None, count=0, largest=None, fitted=False, probabilities=None):
    rows = [
        {"min_magnitude": m, "days": d, "probability": p, "source": "fitted" if fitted else "generic"}
        for (m, d), p in (probabilities or {(5.0, 1): 0.45, (5.0, 7): 0.60, (6.0, 1): 0.08}).items()
    ]
    generic = {
        "parameters": {"a": -1.67, "b": 0.91, "p": 1.08, "c": 0.05, "source": "generic"},
        "probabilities": rows,
    }
    section = {**generic, "fitted": None}
    if fitted:
        section["fitted"] = {
            "parameters": {"a": -1.9, "b": 1.02, "p": 1.15, "c": 0.03, "source": "fitted"},
            "probabilities": rows,
        }
    return {
        "computed_at": "2026-12-01T00:00:00+00:00",
        "event": {
            "event": {
                "origin_time": "2026-12-01T00:00:00+00:00",
                "magnitude": 6.0,
                "place": "上高",
                "depth_km": 10.0,
            }
        },
        "sequence": {"zone_radius_km": 10.0, "count": count, "largest": largest},
        "sequence_type": (
            {"ok": True, "type": type_, "confidence": confidence, "n_events": count + 1}
            if type_
            else {"ok": False, "reason": "no aftershock yet", "type": None}
        ),
        "bath": {"max_aftershock": 4.8},
        "probabilities": section,
    }


def test_nothing_issued_yet_means_no_changes():
    assert opinion_changes(None, _draft()) == {"against": None, "changed": False}
    assert changes_in_words({"against": None, "changed": False}) == []


def test_type_aftershocks_parameters_and_moved_probabilities():
    before = _draft(count=3, largest={"public_id": "a", "magnitude": 4.2})
    after = _draft(
        type_="mainshock_aftershock",
        confidence="medium",
        count=25,
        largest={"public_id": "b", "magnitude": 4.9, "place": "x"},
        fitted=True,
        # 0.45 -> 0.30 moved (15 points); 0.60 -> 0.57 did not (3 < 5); 0.08 -> 0.03 moved exactly 5
        probabilities={(5.0, 1): 0.30, (5.0, 7): 0.57, (6.0, 1): 0.03},
    )
    changes = opinion_changes(before, after, against=1)
    assert changes["against"] == 1
    assert changes["sequence_type"] == {"from": None, "to": "mainshock_aftershock"}
    assert changes["confidence"] == {"from": None, "to": "medium"}
    assert changes["aftershocks"] == {"from": 3, "to": 25}
    assert changes["largest_aftershock"] == {
        "from": {"public_id": "a", "magnitude": 4.2},
        "to": {"public_id": "b", "magnitude": 4.9},
    }
    assert changes["parameters"]["from"] == "generic"
    assert changes["parameters"]["to"] == "fitted"
    assert changes["probabilities"] == [
        {"min_magnitude": 5.0, "days": 1, "from": 0.45, "to": 0.30},
        {"min_magnitude": 6.0, "days": 1, "from": 0.08, "to": 0.03},
    ]
    assert MOVED == 0.05
    assert changes["changed"] is True
    with translation.override("en"):
        words = changes_in_words(changes)
    assert words == [
        "Sequence type: not yet told → mainshock-aftershock",
        "Confidence: — → medium",
        "Aftershocks in the zone: 3 → 25",
        "Largest aftershock: M4.2 → M4.9",
        "Parameters: generic parameters → parameters fitted to this sequence (a=-1.90 b=1.02 p=1.15 c=0.03)",
        "P(M≥5.0 within 24 hours): 45% → 30%",
        "P(M≥6.0 within 24 hours): 8% → 3%",
    ]
    with translation.override("zh-hans"):
        assert changes_in_words(changes)[2] == "序列区内余震：3 → 25"


def test_the_same_draft_changed_nothing_and_says_so():
    draft = _draft(type_="swarm", confidence="low", count=4)
    changes = opinion_changes(draft, draft, against=2)
    assert changes["changed"] is False
    assert changes["probabilities"] == []
    with translation.override("en"):
        assert changes_in_words(changes) == [
            "No change in the sequence type, the aftershocks or the probabilities."
        ]


def test_the_prefill_states_the_figures_and_the_judgement():
    draft = _draft(
        type_="mainshock_aftershock", confidence="low", count=4, largest={"public_id": "a", "magnitude": 4.2}
    )
    with translation.override("en"):
        text = opinion_prefill(draft)
    assert text.splitlines() == [
        "At 2026-12-01 08:00 (Beijing time) an M6.0 earthquake occurred in 上高, at a depth of 10 km.",
        "By 2026-12-01 08:00, 4 aftershocks were recorded within 10 km of the epicentre, the largest M4.2.",
        "Sequence type: mainshock-aftershock (confidence low, from 5 events).",
        "Expected largest aftershock by Båth's law: about M4.8.",
        "Aftershock probabilities (Reasenberg-Jones, generic parameters):",
        "M≥5.0: within 24 hours 45%, within 7 days 60%",
        "M≥6.0: within 24 hours 8%",
        "Judgement: the sequence is of the mainshock-aftershock type; a larger earthquake is unlikely, "
        "but aftershocks of about M4.8 remain possible in the zone in the coming days.",
    ]
    with translation.override("zh-hans"):
        chinese = opinion_prefill(draft, sequence_type="swarm", expected_max=5.5)
    assert "序列类型：震群型。" in chinese
    assert "按Båth定律，预计最大余震约为M5.5。" in chinese
    assert "综合判断：本次地震序列为震群型" in chinese


def test_triggers_in_words():
    with translation.override("en"):
        assert trigger_words("first") == "the first draft"
        assert (
            trigger_words("2h; aftershock ispec2026ab M4.3")
            == "2 h after the clock start; aftershock M4.3 (ispec2026ab)"
        )
        assert trigger_words("something else") == "something else"
    with translation.override("zh-hans"):
        assert trigger_words("24h") == "计时起24小时"
