"""Publication (发布): which months each person may see their own results of, since when and by
whose decision; and whether the scheme lets them see their rank."""

from __future__ import annotations

import pandas as pd

from engine.cycle.states import MONTH
from engine.schemes.scheme import Scheme

# The moves that set whether a month's results are out: publishing, and every move that takes
# the month back before publication. Locking is not one of them: it keeps what it finds.
SETTING_MOVES = (
    "month_publish",
    "month_unpublish",
    "month_approve",
    "month_unlock",
    "month_reopen",
    "month_submit",
    "month_calibrate",
)
PUBLICATION_COLUMNS = ["period", "published_at", "published_by"]


def published_months(states: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """The months whose results their people may see: published, or locked after being
    published (a month locked straight from approval was never shown), with when and by whom
    it was published; oldest first."""
    whole = states[states["department"].eq(MONTH)]
    out_now = whole.loc[whole["state"].isin(["published", "locked"]), "period"]
    moves = events[events["action"].isin(SETTING_MOVES) & events["period"].isin(out_now)]
    # The last move that decided publication, per month (events come newest first; a stable
    # sort keeps that order among moves recorded in the same instant).
    latest = moves.sort_values("happened_at", ascending=False, kind="stable").drop_duplicates(
        "period"
    )
    shown = latest[latest["action"].eq("month_publish")]
    return (
        shown.rename(columns={"happened_at": "published_at", "username": "published_by"})[
            PUBLICATION_COLUMNS
        ]
        .sort_values("period")
        .reset_index(drop=True)
    )


def shows_rank(scheme: Scheme) -> bool:
    """Whether employees see their own rank (`[publication] show_rank = true`; off unless the
    scheme says so: many companies show the grade and keep the ranking to managers)."""
    return scheme.raw.get("publication", {}).get("show_rank", False) is True
