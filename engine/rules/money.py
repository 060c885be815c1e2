"""Money rules on top of a month's score: stars from the achievement of a target (seed 001 物业),
team multipliers from a team's rework rate and the NPS return of held-back money (seed 004)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.rules.timeline import (
    ROSTER,
    Timeline,
    beside,
    holds,
    month_labels,
    month_numbers,
    numeric,
    period_label,
)
from engine.schemes.precision import as_written
from engine.schemes.rules_spec import NpsReturn, StarRule, TeamMultiplier
from engine.schemes.scheme import normalize_header
from engine.scoring.targets import achievement_against_target, target_column

STAR_COLUMNS = [
    *ROSTER,
    "achievement",
    "stars",
    "reward",
    "pay_share",
    "performance_pay",
    "paid_performance_pay",
]
TEAM_COLUMNS = ["period", "department", "team", "members", "rate", "factor", "review"]
COMMISSION_COLUMNS = [
    *ROSTER,
    "bonus",
    "team_factor",
    "team_bonus",
    "nps_reserve",
    "paid_now",
    "released",
    "forfeited",
    "paid",
]
NPS_COLUMNS = [
    "year",
    "employee_id",
    "name",
    "department",
    "team",
    "role",
    "months",
    "reserved",
    "nps",
    "region_rank",
    "national_rank",
    "ratio",
    "returned",
    "period",
    "release_month",
    "status",
    "released",
    "forfeited",
]
MONTHS_PER_RELEASE = {"year": 12, "quarter": 3}
RESERVE_STATUSES = np.array(["released", "forfeited", "pending"], dtype=object)


def star_table(table: pd.DataFrame, rule: StarRule, standard: float | None = None) -> pd.DataFrame:
    """Each row's stars: the first level whose achievement (and extra condition) is reached;
    thresholds hold on the good side (exactly 110% earns the 110% level, exactly 85% the 85%).
    Where a row has its own target for the achievement KPI (`target_<kpi>`, a linear KPI whose
    scheme target is `standard`), achievement counts against that target instead."""
    achievement = numeric(table[rule.achievement])
    own = target_column(rule.achievement)
    if standard is not None and own in table:
        achievement = achievement_against_target(
            achievement, table[own].to_numpy(dtype=float), standard
        )
    edges = [level.at_least for level in rule.levels[:-1]]
    compared = as_written(achievement, *edges)  # at the precision the levels are written in
    reached = []
    for level in rule.levels[:-1]:
        with np.errstate(invalid="ignore"):
            ok = compared >= level.at_least
        reached.append(ok & holds(table, level.also))
    pick = np.select(reached, np.arange(len(reached)), default=len(rule.levels) - 1)
    scored = ~np.isnan(achievement)
    stars = np.array([lv.stars for lv in rule.levels], dtype=float)[pick]
    reward = np.array([lv.reward for lv in rule.levels])[pick]
    share = np.array([lv.pay_share for lv in rule.levels])[pick]
    base = (
        numeric(table[rule.performance_pay])
        if isinstance(rule.performance_pay, str)
        else np.full(len(table), rule.performance_pay)
    )
    return beside(
        table[ROSTER],
        {
            "achievement": achievement,
            "stars": np.where(scored, stars, np.nan),
            "reward": np.where(scored, reward, np.nan),
            "pay_share": np.where(scored, share, np.nan),
            "performance_pay": base,
            "paid_performance_pay": np.where(scored, base * share, np.nan),
        },
    )


def _roles_in(table: pd.DataFrame, timeline: Timeline, roles: tuple[str, ...]) -> np.ndarray:
    if not roles:
        return np.ones(len(table), dtype=bool)
    wanted = {normalize_header(r) for r in roles}
    codes, names = timeline.codes(table, "role")
    return np.array([normalize_header(str(n)) in wanted for n in names], dtype=bool)[codes]


def team_table(
    table: pd.DataFrame, timeline: Timeline, rule: TeamMultiplier
) -> tuple[pd.DataFrame, np.ndarray]:
    """Per month and team: its rate (weighted by the weight column when there is one), the
    factor of the band it falls in (upper edges inclusive: exactly 3% is ×1.00) and whether it
    is over the review line; and each row's factor (1 outside the rule's roles)."""
    rows = np.flatnonzero(_roles_in(table, timeline, rule.roles) & table["team"].notna())
    rate = numeric(table[rule.column].iloc[rows])
    weight = numeric(table[rule.weight].iloc[rows]) if rule.weight else np.ones(rows.size)
    counted = ~np.isnan(rate)
    weight = np.where(counted, np.nan_to_num(weight), 0.0)
    # A team-month's number from the codes of its month, department and team: the range is
    # small (months × departments × teams), so the sums below need no further grouping.
    group = timeline.codes(table, "period")[0][rows].astype(np.int64)
    for column in ("department", "team"):
        codes, distinct = pd.factorize(table[column].iloc[rows], use_na_sentinel=False)
        group = group * len(distinct) + codes
    size = int(group.max()) + 1 if group.size else 0
    weighted = np.bincount(group, weights=weight * np.nan_to_num(rate), minlength=size)
    total_weight = np.bincount(group, weights=weight, minlength=size)
    members = np.bincount(group, weights=counted, minlength=size)
    uppers = np.array([b.upto for b in rule.bands])
    with np.errstate(invalid="ignore", divide="ignore"):
        team_rate = np.where(total_weight > 0, weighted / total_weight, np.nan)
    # The rate at the precision the bands are written in (3.0000000000000004 % is 3.00 %): the
    # rate shown is the rate compared.
    team_rate = as_written(team_rate, *uppers, rule.review_above)
    factors = np.array([b.factor for b in rule.bands])
    band = np.searchsorted(uppers, team_rate, side="left").clip(0, len(uppers) - 1)
    team_factor = np.where(np.isnan(team_rate), 1.0, factors[band])
    first = np.zeros(size, dtype=np.int64)
    first[group[::-1]] = rows[::-1]  # the earliest row of each team-month wins
    with np.errstate(invalid="ignore"):
        review = team_rate > rule.review_above if rule.review_above is not None else False
    teams = beside(
        table[["period", "department", "team"]].iloc[first],
        {
            "members": members.astype(int),
            "rate": team_rate,
            "factor": team_factor,
            "review": np.broadcast_to(review, team_rate.shape),
        },
    )
    teams = teams[teams["members"] > 0].sort_values(["period", "department", "team"])
    row_factor = np.ones(len(table))
    row_factor[rows] = team_factor[group]
    return teams.reset_index(drop=True)[TEAM_COLUMNS], row_factor


def commission_table(
    table: pd.DataFrame, team_factor: np.ndarray, nps: NpsReturn | None
) -> pd.DataFrame:
    """Each row's money after the team factor, the part held back for the NPS check, the part
    paid now and (until nps_table adds the releases) what is paid in all."""
    bonus = numeric(table["bonus"])
    team_bonus = np.round(bonus * team_factor, 2)
    share = nps.reserve_share / 100.0 if nps is not None else 0.0
    reserve = np.round(team_bonus * share, 2)
    columns = {
        "bonus": bonus,
        "team_factor": np.broadcast_to(team_factor, bonus.shape),
        "team_bonus": team_bonus,
        "nps_reserve": reserve,
        "paid_now": team_bonus - reserve,
        "released": np.zeros(bonus.shape),
        "forfeited": np.zeros(bonus.shape),
        "paid": team_bonus - reserve,
    }
    return beside(table[ROSTER], columns)


def nps_ratio(
    score: np.ndarray, region_rank: np.ndarray, national_rank: np.ndarray, rule: NpsReturn
) -> np.ndarray:
    """The share (%) of the held-back money returned: national top N, else regional top N,
    else a score at or above the pass line, else the fail ratio; NaN without any figure."""
    score = as_written(score, rule.pass_score)
    with np.errstate(invalid="ignore"):
        ratio = np.select(
            [
                national_rank <= rule.national_top,
                region_rank <= rule.region_top,
                score >= rule.pass_score,
                ~np.isnan(score),
            ],
            [rule.national_ratio, rule.region_ratio, rule.pass_ratio, rule.fail_ratio],
            default=np.nan,
        )
    return ratio


def nps_table(
    table: pd.DataFrame, timeline: Timeline, commission: pd.DataFrame, rule: NpsReturn
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per employee and year (or quarter, by `release`): the money held back, the period's NPS
    figures (its latest month that has them), the return ratio, the amount due, and whether it
    was released in the month after, forfeited by a leaver or is still pending; and the
    commission table with each month's releases and forfeits."""
    per = MONTHS_PER_RELEASE[rule.release]
    unit = timeline.month // per
    starts = timeline.first.copy()
    starts[1:] |= unit[1:] != unit[:-1]
    start_rows = np.flatnonzero(starts)
    ends = np.append(start_rows[1:], timeline.size) - 1
    reserve = timeline.take(np.nan_to_num(commission["nps_reserve"].to_numpy(dtype=float)))
    reserved = np.add.reduceat(reserve, start_rows) if start_rows.size else reserve[:0]

    # The period's figures are all taken from its latest month with an NPS score.
    scores = timeline.column(table, rule.score)
    candidates = np.where(np.isnan(scores), -1, np.arange(scores.size))
    latest = np.maximum.reduceat(candidates, start_rows) if start_rows.size else start_rows
    rows = timeline.order[np.maximum(latest, 0)]

    def figure(column: str | None) -> np.ndarray:
        if not column or column not in table:
            return np.full(start_rows.size, np.nan)
        return np.where(latest >= 0, numeric(table[column].iloc[rows]), np.nan)

    score = figure(rule.score)
    region, national = figure(rule.region_rank), figure(rule.national_rank)
    ratio = nps_ratio(score, region, national, rule)
    returned = np.round(reserved * ratio / 100.0, 2)
    release = (unit[start_rows] + 1) * per
    status = _reserve_status(table, timeline, rule, start_rows, ends, release)
    status = np.where((status == 0) & np.isnan(ratio), 2, status)  # no NPS figure yet: pending
    paid_out = status == 0
    released = np.where(paid_out, returned, 0.0)
    forfeited = np.where(status == 1, np.round(reserved, 2), 0.0)

    # Booked in the month paid (the release month) or lost (the leaver's last month).
    row_released, row_forfeited = np.zeros(timeline.size), np.zeros(timeline.size)
    row_released[ends[paid_out] + 1] = released[paid_out]
    row_forfeited[ends] = forfeited
    row_released, row_forfeited = timeline.put(row_released), timeline.put(row_forfeited)
    ledger = commission.assign(
        released=row_released,
        forfeited=row_forfeited,
        paid=np.round(commission["paid_now"].to_numpy(dtype=float) + row_released, 2),
    )

    people = table[["employee_id", *ROSTER[2:]]].iloc[timeline.order[ends]]
    # Each distinct year or quarter is written once (text for a million rows is slow).
    units, inverse = np.unique(unit[start_rows], return_inverse=True)
    labels = [period_label(int(u), rule.release) for u in units.tolist()]
    out = beside(
        people,
        {
            "year": unit[start_rows] * per // 12,
            "months": ends - start_rows + 1,
            "reserved": np.round(reserved, 2),
            "nps": score,
            "region_rank": region,
            "national_rank": national,
            "ratio": ratio,
            "returned": returned,
            "period": np.array(labels, dtype=object)[inverse],
            "release_month": month_labels(release),
            "status": RESERVE_STATUSES[status],
            "released": released,
            "forfeited": forfeited,
        },
    )
    return out[NPS_COLUMNS], ledger


def _reserve_status(
    table: pd.DataFrame,
    timeline: Timeline,
    rule: NpsReturn,
    start_rows: np.ndarray,
    ends: np.ndarray,
    release: np.ndarray,
) -> np.ndarray:
    """Per person and period, as a RESERVE_STATUSES number: 'released' when the person has a row
    in the release month, 'forfeited' when they left before it (中途离职: a row meeting
    `leaver_when`, or no row in a later month the data holds, up to the release month) and
    'pending' until the data reaches the release month."""
    periods = timeline.factorized.get("period")  # the few distinct months, when known
    stored = np.unique(timeline.month if periods is None else month_numbers(pd.Series(periods[1])))
    after = np.searchsorted(stored, timeline.month[ends], side="right")
    none_after = np.iinfo(np.int64).max
    next_stored = np.where(
        after < stored.size, stored[np.minimum(after, stored.size - 1)], none_after
    )
    following = np.minimum(ends + 1, timeline.size - 1)
    present = (
        (ends + 1 < timeline.size)
        & (timeline.employee[following] == timeline.employee[ends])
        & (timeline.month[following] == release)
    )
    left = np.zeros(ends.size, dtype=bool)
    if rule.leaver_when and start_rows.size:
        marked = timeline.take(holds(table, rule.leaver_when)).astype(np.int8)
        left = np.maximum.reduceat(marked, start_rows).astype(bool)
    gone = left | (next_stored < release) | (~present & (next_stored == release))
    return np.select([gone, present], [1, 0], default=2)
