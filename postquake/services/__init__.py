"""Post-quake cases: opening one on an arrival, the workflow, the first draft, the clock's
reminders (``reminders``: at 20 minutes and at the deadline, each once)."""

from .cases import WORKFLOW, case_close, case_issue, case_open
from .draft import draft_build
from .reminders import case_remind, reminders_schedule, reminders_sweep

__all__ = [
    "WORKFLOW",
    "case_close",
    "case_issue",
    "case_open",
    "case_remind",
    "draft_build",
    "reminders_schedule",
    "reminders_sweep",
]
