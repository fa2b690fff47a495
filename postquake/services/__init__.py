"""Post-quake cases: opening one on an arrival, the workflow, the first draft (``draft``) and
the draft as a background job that ends (``draft_job``: failure, watchdog, redraft), the
opinions, their re-evaluation and pushes, the clock's reminders (``reminders``: at 20 minutes
and at the deadline, each once)."""

from .cases import WORKFLOW, case_close, case_open, case_transition
from .draft import draft_build, draft_compute
from .draft_job import can_redraft, draft_fail, draft_redraft
from .opinions import OPINION_WORKFLOW, opinion_became_issued, opinion_edit, opinion_transition
from .reevaluation import case_reevaluate, reevaluate_sweep
from .reminders import case_remind, reminders_schedule, reminders_sweep

__all__ = [
    "OPINION_WORKFLOW",
    "WORKFLOW",
    "can_redraft",
    "case_close",
    "case_open",
    "case_reevaluate",
    "case_remind",
    "case_transition",
    "draft_build",
    "draft_compute",
    "draft_fail",
    "draft_redraft",
    "opinion_became_issued",
    "opinion_edit",
    "opinion_transition",
    "reevaluate_sweep",
    "reminders_schedule",
    "reminders_sweep",
]
