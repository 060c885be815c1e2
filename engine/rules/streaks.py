"""Streak rules: N months (quarters, years) in a row meeting a condition earn a reward or raise a
flag, for a person or for a team judged over its members; a period without data breaks the run."""

from __future__ import annotations

import operator

import numpy as np
import pandas as pd

from engine.rules.timeline import (
    ROSTER,
    Timeline,
    beside,
    holds,
    month_labels,
    numeric,
    period_label,
    period_numbers,
    run_length,
)
from engine.schemes.rules_spec import COMPANY, RUN_WORDS, StreakRule, TeamCondition
from engine.schemes.scheme import Scheme
from engine.scoring.periods import aggregate_each

EVENT_COLUMNS = [
    *ROSTER,
    "rule",
    "rule_zh",
    "rule_en",
    "action",
    "amount",
    "months",
    "first_period",
    "last_period",
    "periods",
    "reason_zh",
    "reason_en",
    "scope",
    "unit",
]
TEXT_COLUMNS = ["first_period", "last_period", "periods", "reason_zh", "reason_en"]
LISTED_MONTHS = 6  # longer runs are named by their first and last period
COMPARISONS = {
    "at_least": operator.ge,
    "above": operator.gt,
    "at_most": operator.le,
    "below": operator.lt,
    "equals": operator.eq,
}


def streak_events(table: pd.DataFrame, timeline: Timeline, rule: StreakRule) -> pd.DataFrame:
    """One row per firing of a person's monthly rule (see _events)."""
    length = run_length(timeline.holding(table, rule.when), timeline.follows)
    return _events(rule, length, timeline, table[ROSTER])


def _events(
    rule: StreakRule, length: np.ndarray, timeline: Timeline, roster: pd.DataFrame
) -> pd.DataFrame:
    """A reward once per full block of N periods, a flag every period the run is at least N
    long; each names the periods that triggered it. `roster` is in the timeline's table order
    and its period column holds the month the firing is shown in."""
    if rule.repeat == "block":
        fired = (length > 0) & (length % rule.months == 0)
        named = np.full(length.size, rule.months)
    else:
        fired = length >= rule.months
        named = length
    last = timeline.month[fired]
    first = last - named[fired] + 1
    columns = {
        "rule": rule.id,
        "rule_zh": rule.name_zh,
        "rule_en": rule.name_en,
        "action": rule.action,
        "amount": rule.amount if rule.action == "reward" else np.nan,
        "months": named[fired],
        **dict(zip(TEXT_COLUMNS, _texts(rule, first, last), strict=True)),
        "scope": rule.scope,
        "unit": rule.period,
    }
    return beside(roster.iloc[timeline.order[fired]], columns)


def _texts(rule: StreakRule, first: np.ndarray, last: np.ndarray) -> list[np.ndarray]:
    """The first and last period, the periods named and the reason of each firing, written once
    per distinct run and spread to the firings that share it."""
    if not first.size:
        return [np.zeros(0, dtype=object) for _ in TEXT_COLUMNS]
    base = int(first.min())
    span = int(last.max()) - base + 1
    runs, inverse = np.unique((first - base) * span + (last - base), return_inverse=True)
    # Each period's label written once: the runs overlap (a flag fires every month of a long
    # run), so labelling every period of every run wrote 154,000 labels for 6,500 runs.
    labels = [period_label(n, rule.period) for n in range(base, base + span)]
    described = [_describe(rule, run // span, run % span, labels) for run in runs.tolist()]
    return [np.array(column, dtype=object)[inverse] for column in zip(*described, strict=True)]


def _describe(rule: StreakRule, first: int, last: int, every: list[str]) -> tuple[str, ...]:
    """first_period, last_period, periods, reason_zh, reason_en of one run (first and last
    are positions in `every`, the labels of the periods from the earliest run's first)."""
    count = last - first + 1
    if count > LISTED_MONTHS:
        labels = [every[first], every[last]]
        zh, en = f"{labels[0]} 至 {labels[-1]}", f"{labels[0]} to {labels[-1]}"
    else:
        labels = every[first : last + 1]
        zh, en = "、".join(labels), ", ".join(labels)
    reason_zh, reason_en = f"{rule.name_zh}:{zh}", f"{rule.name_en}: {en}"
    if count > rule.months:
        unit_zh, unit_en = RUN_WORDS[rule.period]
        reason_zh += f"(已连续 {count} {unit_zh})"
        reason_en += f" ({count} {unit_en} running)"
    if rule.action == "reward":
        reason_zh += f",奖励 {rule.amount:g} 元"
        reason_en += f"; reward {rule.amount:g}"
    else:
        reason_zh += f" → {rule.outcome_zh}" if rule.outcome_zh else ""
        reason_en += f" → {rule.outcome_en}" if rule.outcome_en else ""
    return labels[0], labels[-1], zh, reason_zh, reason_en


# ------------------------------------------------------------------ quarters, years and teams


def period_rows(
    table: pd.DataFrame, timeline: Timeline, kind: str, scheme: Scheme | None, columns: list[str]
) -> pd.DataFrame:
    """One row per person and period of a kind, scored as the period view scores it (the grade
    of the mean monthly total), with the rules' `columns`, `number` (the period's number) and
    `shown` (the person's last month in it, where a firing is shown)."""
    if kind == "month":
        return table.assign(number=period_numbers(table["period"], "month"), shown=table["period"])
    wanted = ["period", "total", "bonus", "missing_count", *columns]
    if scheme is not None and scheme.tie_break:  # ranks order equal totals by it
        wanted.append(f"score_{scheme.tie_break}")
    slim = table[[c for c in dict.fromkeys(wanted) if c in table and c not in ROSTER[1:]]]
    slim = slim.assign(bonus=slim.get("bonus", np.nan), missing_count=slim.get("missing_count", 0))
    # Text as numbers while aggregating (sorting and grouping a million strings is the slow
    # part), numbered once for every rule; a period's rows come out in any employee order.
    people = timeline.put(timeline.employee)
    ids = table["employee_id"].to_numpy()[timeline.order[timeline.first]]
    text = {c: _category(*timeline.codes(table, c)) for c in ROSTER[2:]}
    periods = aggregate_each(slim.assign(employee_id=people, **text), kind, scheme)
    number = period_numbers(periods["period"], kind)
    month = period_numbers(slim["period"], "month")
    per_year = 4 if kind == "quarter" else 1
    last = pd.Series(month).groupby(month // (12 // per_year) * len(ids) + people).max()
    shown = last.reindex(number * len(ids) + periods["employee_id"].to_numpy()).to_numpy()
    return periods.assign(
        employee_id=ids[periods["employee_id"].to_numpy()],
        **{c: periods[c].astype(object) for c in text},
        number=number,
        shown=month_labels(shown),
    )


def _category(codes: np.ndarray, values) -> pd.Categorical:
    """A factorized text column as a category (a blank stays blank)."""
    values = pd.Index(values)
    blank = np.asarray(values.isna())
    if not blank.any():
        return pd.Categorical.from_codes(codes, values)
    before = np.cumsum(blank)  # the blank's place is dropped from the numbering
    codes = np.where(blank[codes], -1, codes - before[codes])
    return pd.Categorical.from_codes(codes, values[~blank])


def person_events(rows: pd.DataFrame, rule: StreakRule) -> pd.DataFrame:
    """A person's quarter or year rule over the period rows (see period_rows)."""
    timeline = Timeline.keyed(pd.factorize(rows["employee_id"])[0], rows["number"].to_numpy())
    length = run_length(timeline.take(holds(rows, rule.when)), timeline.follows)
    return _events(rule, length, timeline, rows[ROSTER[1:]].assign(period=rows["shown"]))


def team_events(rows: pd.DataFrame, rule: StreakRule) -> pd.DataFrame:
    """A team's rule: per team and period the conditions over its members, then runs of
    consecutive periods; a person without a team belongs to none but counts in the company's
    figures."""
    everyone, periods = rows, np.unique(rows["number"].to_numpy())
    rows = rows[rows["team"].notna()].reset_index(drop=True)
    department = pd.factorize(rows["department"], use_na_sentinel=False)[0].astype(np.int64)
    team, teams = pd.factorize(rows["team"])
    team = department * len(teams) + team
    number = rows["number"].to_numpy()
    key = team.astype(np.int64) << 32 | (number - number.min() if number.size else number)
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    size = first.size
    met = np.ones(size, dtype=bool)
    for cond in rule.team_when:
        figure = _team_figure(rows, cond, group, size)
        if cond.value == COMPANY:
            where = np.searchsorted(periods, everyone["number"].to_numpy())
            company = _team_figure(everyone, cond, where, periods.size)
            goal = company[np.searchsorted(periods, number[first])]
        else:
            goal = np.full(size, float(cond.value))
        met &= _holds(figure, cond.op, goal)
    shown = month_labels(pd.Series(period_numbers(rows["shown"], "month")).groupby(group).max())
    groups = rows.iloc[first][["department", "team"]].assign(
        period=shown, employee_id=pd.NA, name=pd.NA, role=pd.NA
    )
    timeline = Timeline.keyed(team[first], number[first])
    length = run_length(timeline.take(met), timeline.follows)
    return _events(rule, length, timeline, groups[ROSTER])


def _team_figure(
    rows: pd.DataFrame, cond: TeamCondition, group: np.ndarray, size: int
) -> np.ndarray:
    """Per group: the share (%) or count of members meeting `cond.of`, or their mean."""
    if cond.measure == "mean":
        values = numeric(rows[cond.column])
        known = ~np.isnan(values)
        total = np.bincount(group, weights=np.where(known, values, 0.0), minlength=size)
        counted = np.bincount(group, weights=known, minlength=size)
    else:
        total = np.bincount(group, weights=holds(rows, cond.of), minlength=size)
        if cond.measure == "count":
            return total
        known = np.ones(len(rows), dtype=bool)
        for c in cond.of:  # a member without the value is not counted either way
            known &= rows[c.column].notna().to_numpy()
        counted = np.bincount(group, weights=known, minlength=size)
        total = total * 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counted > 0, total / counted, np.nan)


def _holds(values: np.ndarray, op: str, goal: np.ndarray) -> np.ndarray:
    """Where values meet `op goal`; a missing figure never does."""
    with np.errstate(invalid="ignore"):
        return COMPARISONS[op](values, goal)


def all_events(
    table: pd.DataFrame,
    timeline: Timeline,
    rules: tuple[StreakRule, ...],
    scheme: Scheme | None = None,
) -> pd.DataFrame:
    """Every streak rule's firings, rule by rule, each in employee (team) then period order."""
    found, periods = [], {}
    for rule in rules:
        if rule.period == "month" and rule.scope == "person":
            found.append(streak_events(table, timeline, rule))
            continue
        if rule.period not in periods:
            columns = [c for r in rules if r.period == rule.period for c in r.columns]
            periods[rule.period] = period_rows(table, timeline, rule.period, scheme, columns)
        rows = periods[rule.period]
        found.append(team_events(rows, rule) if rule.scope == "team" else person_events(rows, rule))
    found = [f for f in found if not f.empty]
    if not found:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    return pd.concat(found, ignore_index=True)[EVENT_COLUMNS]
