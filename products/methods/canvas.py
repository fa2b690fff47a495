"""Matplotlib for the methods' figures, loaded when the first figure is drawn.

Every portal process imports the method registry at start (its panels, the run services),
but only a worker that finishes a run draws: importing matplotlib (and scipy, which the
methods import inside the functions that use it) at start was about a second of every
``manage.py`` command, server and worker start (issue 18: a third of Django's start-up).
Figures use the Agg backend and CJK-capable fonts (printing.figures), no pyplot (so workers
stay thread-safe).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from printing.figures import set_up_matplotlib

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@functools.cache
def _figure_class() -> type[Figure]:
    set_up_matplotlib()
    from matplotlib.figure import Figure

    return Figure


def new_figure(**kwargs: Any) -> Figure:
    """``matplotlib.figure.Figure(**kwargs)``, matplotlib set up on the first call."""
    return _figure_class()(**kwargs)
