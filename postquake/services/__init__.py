"""Post-quake cases: opening one on an arrival, the workflow, the first draft."""

from .cases import WORKFLOW, case_close, case_issue, case_open
from .draft import draft_build

__all__ = ["WORKFLOW", "case_close", "case_issue", "case_open", "draft_build"]
