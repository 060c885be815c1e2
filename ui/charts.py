"""Chart layouts that stay readable on a phone (390 px wide) as on a desktop."""

from __future__ import annotations

import unicodedata

import plotly.graph_objects as go

# A tick label's width in "narrow" characters: a Chinese character counts as two.
LABEL_WIDTH = 12


def short_label(text: str, width: int = LABEL_WIDTH) -> str:
    """A label cut to about `width` narrow characters with "…" (full names go in the hover):
    a heatmap's axis cannot give each of twelve KPIs more than ~30 px on a phone."""
    kept, used = [], 0
    for sign in str(text):
        size = 2 if unicodedata.east_asian_width(sign) in ("W", "F") else 1
        if used + size > width:
            return "".join(kept).rstrip() + "…"
        kept.append(sign)
        used += size
    return "".join(kept)


def readable_heatmap(figure: go.Figure) -> go.Figure:
    """A heatmap with small fonts, margins that fit its labels and its colour bar below the
    cells, so the cells keep the width on a narrow screen."""
    figure.update_traces(
        textfont={"size": 10},
        colorbar={"orientation": "h", "y": -0.02, "yanchor": "top", "thickness": 10, "len": 0.6},
        selector={"type": "heatmap"},
    )
    figure.update_layout(
        font={"size": 11},
        margin={"l": 4, "r": 4, "t": 8, "b": 4},
        xaxis={"tickangle": -45, "automargin": True, "tickfont": {"size": 10}, "side": "top"},
        yaxis={"automargin": True, "tickfont": {"size": 10}},
    )
    return figure
