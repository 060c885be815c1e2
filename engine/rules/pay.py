"""Skill levels by points and the 不进则退 pay rule (seed 000), over all employees and months at
once: runs and running totals on rows in employee-then-month order, no loop over either."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from engine.rules.timeline import (
    ROSTER,
    Timeline,
    beside,
    month_labels,
    segment_cumsum,
    segment_starts,
)
from engine.schemes.precision import as_written
from engine.schemes.rules_spec import FROM_LEVELS, LevelRule, PayCutRule

LEVEL_COLUMNS = [
    *ROSTER,
    "level_year",
    "opening_points",
    "level",
    "level_zh",
    "level_en",
    "level_pay",
    "year_plus",
    "year_minus",
    "points_now",
    "next_level_points",
    "projected_level",
]
PAY_COLUMNS = [*ROSTER, "level", "normal_pay", "cut", "pay", "reason", "basis_month"]
REASONS = ("", "start", "grow", "hold", "restore", "no_result", "gap", "not_applicable")
REASON_CODE = {name: code for code, name in enumerate(REASONS)}
REASON_TEXT = {
    "start": ("{a}、{b}连续两个月无加分,开始减薪", "No gain in {a} and {b}: the cut starts"),
    "grow": ("{b}仍无加分,减薪再加 {step}", "Still no gain in {b}: the cut grows by {step}"),
    "hold": ("{b}得加分,减薪不再增加", "A gain in {b}: the cut holds"),
    "restore": ("{a}、{b}连续两个月得加分,月薪恢复", "Gains in {a} and {b}: pay restored"),
    "no_result": ("{b}没有加分数据,减薪维持", "No plus-point data for {b}: the cut holds"),
    "gap": ("上月没有考核数据,减薪维持", "No data for the month before: the cut holds"),
    "not_applicable": ("低于{level}级,不适用", "Below level {level}: does not apply"),
}


def _summed(table: pd.DataFrame, timeline: Timeline, columns: tuple[str, ...]) -> np.ndarray:
    """The row sum of some columns in timeline order, blanks counting 0."""
    total = np.zeros(timeline.size)
    for column in columns:
        if column in table:
            total += np.nan_to_num(timeline.column(table, column))
    return total


def _first_value(values: np.ndarray, group_starts: np.ndarray) -> np.ndarray:
    """Per group (rows from each start to the next), its first non-missing value, else NaN."""
    candidates = np.where(np.isnan(values), values.size, np.arange(values.size))
    first = np.minimum.reduceat(candidates, group_starts)
    padded = np.append(values, np.nan)
    return padded[first]


def _entry_points(table: pd.DataFrame, timeline: Timeline, rule: LevelRule) -> np.ndarray:
    """考核总分 + 基础经验分 + 学历分 where any of them is given, else NaN."""
    parts = np.column_stack(
        [
            timeline.column(table, c) if c in table else np.full(timeline.size, np.nan)
            for c in rule.entry
        ]
    )
    given = ~np.isnan(parts).all(axis=1)
    return np.where(given, np.nansum(parts, axis=1), np.nan)


def level_table(
    table: pd.DataFrame, timeline: Timeline, rule: LevelRule
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Per employee and month: the level year's opening points, the level and monthly pay they
    set, and the points gathered since (plus minus minus), toward next year's level; with the
    level and pay in timeline order for the pay rule."""
    month = timeline.month
    level_year = (month - (rule.reset_month - 1)) // 12
    starts = timeline.first.copy()
    starts[1:] |= level_year[1:] != level_year[:-1]
    group = np.cumsum(starts) - 1
    start_rows = np.flatnonzero(starts)
    plus = _summed(table, timeline, rule.plus)
    minus = _summed(table, timeline, rule.minus)
    gathered = np.add.reduceat(plus - minus, start_rows) if start_rows.size else plus[:0]

    opening_given = (
        _first_value(timeline.column(table, rule.opening), start_rows)
        if rule.opening and rule.opening in table
        else np.full(start_rows.size, np.nan)
    )
    new_employee = timeline.first[start_rows]
    entry = (
        _first_value(_entry_points(table, timeline, rule), start_rows)
        if any(c in table for c in rule.entry)
        else np.full(start_rows.size, np.nan)
    )
    anchor = np.where(np.isnan(opening_given) & new_employee, entry, opening_given)
    # The year after a level year opens with its points, the points gathered in it and the
    # seniority points for each year passed (seed 000 §5.2.5).
    years = level_year[start_rows]
    carried = np.roll(gathered + 0.0, 1) + rule.seniority_points * (years - np.roll(years, 1))
    segment = new_employee | ~np.isnan(anchor)
    carried[segment] = 0.0
    opening = anchor[segment_starts(segment)] + segment_cumsum(carried, segment)

    minimums = np.array([s.min_points for s in rule.steps], dtype=float)
    # Points are sums: at the precision the minimums are written in, 249.99999999999997 is 250.
    opening = as_written(opening, *minimums)
    step_index = np.searchsorted(minimums, opening, side="right")
    known = ~np.isnan(opening)
    level_numbers = np.array([0.0, *[float(s.level) for s in rule.steps]])
    level = np.where(known, level_numbers[step_index], np.nan)
    code = np.where(known, step_index, -1)
    names_zh = ["未定级", *[s.name_zh for s in rule.steps]]
    names_en = ["Below the first level", *[s.name_en for s in rule.steps]]
    next_minimum = np.where(known, np.append(minimums, np.nan)[step_index], np.nan)

    # Group-level figures reach the rows through each row's group, in table order.
    row_group = timeline.put(group)
    first = segment_starts(starts)
    year_plus = timeline.put(segment_cumsum(plus, starts, first))
    year_minus = timeline.put(segment_cumsum(minus, starts, first))
    row_opening = opening[row_group]
    row_code = code[row_group]
    points_now = as_written(row_opening + year_plus - year_minus, *minimums)
    next_year = as_written(points_now + rule.seniority_points, *minimums)
    projected = np.searchsorted(minimums, next_year, side="right")
    frame = beside(
        table[ROSTER],
        {
            "level_year": years[row_group],
            "opening_points": row_opening,
            "level": level[row_group],
            "level_zh": pd.Categorical.from_codes(row_code, categories=names_zh),
            "level_en": pd.Categorical.from_codes(row_code, categories=names_en),
            "level_pay": row_opening * rule.pay_per_point,
            "year_plus": year_plus,
            "year_minus": year_minus,
            "points_now": points_now,
            "next_level_points": next_minimum[row_group],
            "projected_level": np.where(np.isnan(points_now), np.nan, level_numbers[projected]),
        },
    )
    for_pay = {
        "level": level[group],
        "level_pay": opening[group] * rule.pay_per_point,
        "table_level": frame["level"].to_numpy(),
        "table_level_pay": frame["level_pay"].to_numpy(),
    }
    return frame, for_pay


def pay_table(
    table: pd.DataFrame,
    timeline: Timeline,
    rule: PayCutRule,
    levels: dict[str, np.ndarray] | None,
) -> pd.DataFrame:
    """不进则退: staff at or above the rule's level lose `step` a month from the month after two
    months in a row without a gain, `step` more after each further month without one; a gain
    holds the cut and two gains in a row restore full pay the month after."""
    level = levels["level"] if rule.level == FROM_LEVELS else timeline.column(table, rule.level)
    normal = (
        levels["level_pay"]
        if rule.normal_pay == FROM_LEVELS
        else timeline.column(table, rule.normal_pay)
    )
    with np.errstate(invalid="ignore"):
        eligible = level >= rule.min_level
    known = _months_with_results(table, timeline, rule)
    gain = known & timeline.holding(table, rule.gain)
    miss = known & ~gain
    steps_after = _cut_steps(timeline, eligible, gain, miss)
    cut_after = steps_after * rule.step
    if rule.max_cut is not None:
        cut_after = np.minimum(cut_after, rule.max_cut)
    cut = np.where(eligible, timeline.previous(cut_after, 0.0), 0.0)
    cut = np.minimum(cut, np.where(np.isnan(normal), cut, normal))
    reason, basis = _reasons(timeline, eligible, gain, known, steps_after, cut)
    reason = np.where(np.isnan(level), 0, reason).astype(np.int8)
    from_levels = levels if levels is not None else {}
    table_level = from_levels.get("table_level") if rule.level == FROM_LEVELS else None
    table_normal = from_levels.get("table_level_pay") if rule.normal_pay == FROM_LEVELS else None
    table_normal = timeline.put(normal) if table_normal is None else table_normal
    table_cut = timeline.put(cut)
    columns = {
        "level": timeline.put(level) if table_level is None else table_level,
        "normal_pay": table_normal,
        "cut": table_cut,
        "pay": table_normal - table_cut,
        "reason": pd.Categorical.from_codes(timeline.put(reason), categories=list(REASONS)),
        "basis_month": timeline.put(basis),
    }
    return beside(table[ROSTER], columns)


def _months_with_results(table: pd.DataFrame, timeline: Timeline, rule: PayCutRule) -> np.ndarray:
    """A month whose files hold no value at all for the gain columns has no results: it neither
    gains nor misses. A blank cell in a month that has values counts as no gain."""
    offset = timeline.month.min() if timeline.size else 0
    slots = timeline.month - offset
    known = np.ones(timeline.size, dtype=bool)
    for column in {c.column for c in rule.gain}:
        filled = ~np.isnan(timeline.column(table, column))
        known &= np.bincount(slots, weights=filled, minlength=slots.max() + 1)[slots] > 0
    return known


def _cut_steps(
    timeline: Timeline, eligible: np.ndarray, gain: np.ndarray, miss: np.ndarray
) -> np.ndarray:
    """How many `step`s the cut is after each month's result.

    The recurrence unrolls into runs: the cut is back to 0 after two gains in a row (or a month
    the rule does not apply); from there it starts with the first pair of months without a gain
    and counts every month without a gain since that pair, a lone gain holding it. A month
    missing from the data breaks pairs but keeps the cut.
    """
    pair = timeline.follows & eligible & timeline.previous(eligible, False)
    pair_miss = pair & miss & timeline.previous(miss, False)
    pair_gain = pair & gain & timeline.previous(gain, False)
    reset = timeline.first | ~eligible | pair_gain
    cutting = segment_cumsum(pair_miss.astype(np.int64), reset) > 0
    return segment_cumsum((miss & eligible & cutting).astype(np.int64), reset)


def _reasons(
    timeline: Timeline,
    eligible: np.ndarray,
    gain: np.ndarray,
    known: np.ndarray,
    steps_after: np.ndarray,
    cut: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Why each month's pay is what it is: what the month before changed, and which month."""
    before = timeline.previous(steps_after, 0)
    change = np.select(
        [
            (steps_after > 0) & (before == 0),
            (steps_after > before) & (before > 0),
            (steps_after == before) & (before > 0) & gain,
            (steps_after == before) & (before > 0) & ~known,
            (steps_after == 0) & (before > 0) & eligible,
        ],
        [REASON_CODE[r] for r in ("start", "grow", "hold", "no_result", "restore")],
        default=0,
    )
    reason = timeline.previous(change, 0)
    basis = timeline.previous(timeline.month, -1)
    gap = ~timeline.follows & ~timeline.first & (cut > 0)
    reason = np.where(gap, REASON_CODE["gap"], reason)
    reason = np.where(eligible, reason, REASON_CODE["not_applicable"])
    return reason.astype(np.int8), basis


def pay_reasons(pay: pd.DataFrame, rule: PayCutRule, language: str = "zh") -> pd.Series:
    """Each pay row's reason in words (built only for the rows asked for)."""
    b = pd.Series(month_labels(pay["basis_month"].clip(lower=0).to_numpy()), index=pay.index)
    a = pd.Series(month_labels((pay["basis_month"] - 1).clip(lower=0).to_numpy()), index=pay.index)
    text = pd.Series("", index=pay.index, dtype=object)
    which = 0 if language == "zh" else 1
    for name, templates in REASON_TEXT.items():
        rows = pay["reason"] == name
        if not rows.any():
            continue
        template = templates[which].format_map(
            {"a": "{a}", "b": "{b}", "step": f"{rule.step:g}", "level": f"{rule.min_level:g}"}
        )
        built = pd.Series("", index=pay.index[rows], dtype=object)
        for piece in re.split(r"(\{a\}|\{b\})", template):
            built = built + (a[rows] if piece == "{a}" else b[rows] if piece == "{b}" else piece)
        text[rows] = built
    return text
