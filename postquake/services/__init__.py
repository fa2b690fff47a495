"""Post-quake cases: opening one on an arrival, the workflow, the first draft, the opinions,
their re-evaluation and pushes."""

from .cases import WORKFLOW, case_close, case_open, case_transition
from .draft import draft_build, draft_compute
from .opinions import OPINION_WORKFLOW, opinion_became_issued, opinion_edit, opinion_transition
from .reevaluation import case_reevaluate, reevaluate_sweep

__all__ = [
    "OPINION_WORKFLOW",
    "WORKFLOW",
    "case_close",
    "case_open",
    "case_reevaluate",
    "case_transition",
    "draft_build",
    "draft_compute",
    "opinion_became_issued",
    "opinion_edit",
    "opinion_transition",
    "reevaluate_sweep",
]
