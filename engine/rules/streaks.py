"""Streak rules: N months in a row meeting a condition earn a reward or raise a flag; a month
without data breaks the run."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.rules.timeline import ROSTER, Timeline, beside, month_label, run_length
from engine.schemes.rules_spec import StreakRule

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
]
TEXT_COLUMNS = ["first_period", "last_period", "periods", "reason_zh", "reason_en"]
LISTED_MONTHS = 6  # longer runs are named by their first and last month


def streak_events(table: pd.DataFrame, timeline: Timeline, rule: StreakRule) -> pd.DataFrame:
    """One row per firing of the rule: a reward once per full block of N months, a flag every
    month the run is at least N months long; each names the months that triggered it."""
    length = run_length(timeline.holding(table, rule.when), timeline.follows)
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
    }
    events = beside(table[ROSTER].iloc[timeline.order[fired]], columns)
    return events


def _texts(rule: StreakRule, first: np.ndarray, last: np.ndarray) -> list[np.ndarray]:
    """The first and last month, the months named and the reason of each firing, written once
    per distinct run and spread to the firings that share it."""
    if not first.size:
        return [np.zeros(0, dtype=object) for _ in TEXT_COLUMNS]
    base = int(first.min())
    span = int(last.max()) - base + 1
    runs, inverse = np.unique((first - base) * span + (last - base), return_inverse=True)
    described = [_describe(rule, run // span + base, run % span + base) for run in runs.tolist()]
    return [np.array(column, dtype=object)[inverse] for column in zip(*described, strict=True)]


def _describe(rule: StreakRule, first: int, last: int) -> tuple[str, ...]:
    """first_period, last_period, periods, reason_zh, reason_en of one run."""
    labels = [month_label(n) for n in range(first, last + 1)]
    count = len(labels)
    if count > LISTED_MONTHS:
        zh, en = f"{labels[0]} 至 {labels[-1]}", f"{labels[0]} to {labels[-1]}"
    else:
        zh, en = "、".join(labels), ", ".join(labels)
    reason_zh, reason_en = f"{rule.name_zh}:{zh}", f"{rule.name_en}: {en}"
    if count > rule.months:
        reason_zh += f"(已连续 {count} 个月)"
        reason_en += f" ({count} months running)"
    if rule.action == "reward":
        reason_zh += f",奖励 {rule.amount:g} 元"
        reason_en += f"; reward {rule.amount:g}"
    else:
        reason_zh += f" → {rule.outcome_zh}" if rule.outcome_zh else ""
        reason_en += f" → {rule.outcome_en}" if rule.outcome_en else ""
    return labels[0], labels[-1], zh, reason_zh, reason_en


def all_events(
    table: pd.DataFrame, timeline: Timeline, rules: tuple[StreakRule, ...]
) -> pd.DataFrame:
    """Every streak rule's firings, rule by rule, each in employee then month order."""
    found = [streak_events(table, timeline, rule) for rule in rules]
    found = [f for f in found if not f.empty]
    if not found:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    return pd.concat(found, ignore_index=True)[EVENT_COLUMNS]
