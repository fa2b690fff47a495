"""matplotlib set up for the portal's pictures (the methods' figures, the printed maps and
plots): the Agg backend and CJK-capable fonts, done when the first picture is drawn, not
when a process starts (importing matplotlib was about a second of every start, issue 18)."""

from __future__ import annotations

import functools

FONTS = ["Noto Sans CJK SC", "WenQuanYi Zen Hei", "DejaVu Sans"]


@functools.cache
def set_up_matplotlib() -> None:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["font.sans-serif"] = FONTS
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False
