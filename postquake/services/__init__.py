"""Post-quake cases: opening one on an arrival, the workflow, the first draft (``draft``) and
the draft as a background job that ends (``draft_job``: failure, watchdog, redraft)."""

from .cases import WORKFLOW, case_close, case_issue, case_open
from .draft import draft_build
from .draft_job import can_redraft, draft_fail, draft_redraft

__all__ = [
    "WORKFLOW",
    "can_redraft",
    "case_close",
    "case_issue",
    "case_open",
    "draft_build",
    "draft_fail",
    "draft_redraft",
]
