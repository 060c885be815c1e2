"""What every rule across months shares: months as numbers, rows in employee-then-month order,
runs of consecutive months, conditions on whole columns and the rules' extra input columns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.schemes.precision import as_written
from engine.schemes.rules_spec import Condition, Input, Rules, parse_input
from engine.schemes.scheme import normalize_header

ROSTER = ["period", "employee_id", "name", "department", "team", "role"]


# ------------------------------------------------------------------ months


def month_numbers(periods: pd.Series, factorized=None) -> np.ndarray:
    """'2026-10' → 2026 × 12 + 9: consecutive months are consecutive numbers."""
    codes, labels = factorized if factorized is not None else pd.factorize(periods)
    labels = pd.Index(labels, dtype=str)
    numbers = labels.str.slice(0, 4).astype(int) * 12 + labels.str.slice(5, 7).astype(int) - 1
    return np.asarray(numbers, dtype=np.int64)[codes]


def month_labels(numbers: np.ndarray) -> np.ndarray:
    """Month numbers back to 'YYYY-MM' text."""
    numbers = np.asarray(numbers, dtype=np.int64)
    unique, inverse = np.unique(numbers, return_inverse=True)
    years = pd.Index(unique // 12).astype(str)
    months = pd.Index(unique % 12 + 1).astype(str).str.zfill(2)
    return np.asarray(years + "-" + months, dtype=object)[inverse]


def month_number(label: str) -> int:
    return int(label[:4]) * 12 + int(label[5:7]) - 1


def month_label(number: int) -> str:
    return f"{number // 12}-{number % 12 + 1:02d}"


# ------------------------------------------------------------------ the timeline


@dataclass(frozen=True)
class Timeline:
    """A monthly table's rows in employee-then-month order and which row follows which."""

    order: np.ndarray  # table row positions, employee then month
    employee: np.ndarray  # employee number of each ordered row
    month: np.ndarray  # month number of each ordered row
    first: np.ndarray  # the employee's first row
    follows: np.ndarray  # the previous row is the same employee's month just before
    factorized: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, table: pd.DataFrame) -> Timeline:
        periods = pd.factorize(table["period"], use_na_sentinel=False)
        employee = pd.factorize(table["employee_id"])[0]
        return cls.keyed(employee, month_numbers(table["period"], periods), {"period": periods})

    @classmethod
    def keyed(cls, who: np.ndarray, number: np.ndarray, factorized=None) -> Timeline:
        """Rows of any entity (a person, a team) and period number (a month, a quarter, a year):
        `month` then holds the period numbers, and `follows` means the period just before."""
        order = np.lexsort((number, who))
        employee, month = who[order], number[order]
        first = np.ones(order.size, dtype=bool)
        first[1:] = employee[1:] != employee[:-1]
        follows = np.zeros(order.size, dtype=bool)
        follows[1:] = ~first[1:] & (month[1:] == month[:-1] + 1)
        return cls(order, employee, month, first, follows, factorized or {})

    def codes(self, table: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
        """A text column as numbers and the distinct values they stand for (blank included),
        worked out once per column for all the rules."""
        if column not in self.factorized:
            self.factorized[column] = pd.factorize(table[column], use_na_sentinel=False)
        return self.factorized[column]

    @property
    def size(self) -> int:
        return self.order.size

    def take(self, values) -> np.ndarray:
        """Values in table order → timeline order."""
        return np.asarray(values)[self.order]

    def put(self, values: np.ndarray) -> np.ndarray:
        """Values in timeline order → table order."""
        out = np.empty_like(values)
        out[self.order] = values
        return out

    def previous(self, values: np.ndarray, fill) -> np.ndarray:
        """Each row's value of the same employee's previous row (fill on the first row)."""
        out = np.empty_like(values)
        out[1:] = values[:-1]
        out[self.first] = fill
        return out

    def holding(self, table: pd.DataFrame, conditions: tuple[Condition, ...]) -> np.ndarray:
        """Where every condition holds, in timeline order; worked out once per condition set."""
        key = ("holds", conditions)
        if key not in self.factorized:
            self.factorized[key] = self.take(holds(table, conditions))
        return self.factorized[key]

    def column(self, table: pd.DataFrame, name: str) -> np.ndarray:
        """A numeric column in timeline order, missing values as NaN."""
        return self.take(numeric(table[name]))


def run_length(flag: np.ndarray, follows: np.ndarray) -> np.ndarray:
    """How many consecutive months up to each row the flag has held (0 where it does not)."""
    index = np.arange(flag.size)
    continues = follows & np.roll(flag, 1)
    starts = flag & ~continues
    last_start = np.maximum.accumulate(np.where(starts, index, -1))
    return np.where(flag, index - last_start + 1, 0)


def segment_cumsum(values: np.ndarray, starts: np.ndarray, first=None) -> np.ndarray:
    """Running totals that begin again wherever `starts` is True (`first`: the positions
    segment_starts gives for them, when already known)."""
    total = np.cumsum(values)
    first = segment_starts(starts) if first is None else first
    return total - total[first] + values[first]


def segment_starts(starts: np.ndarray) -> np.ndarray:
    """For each row, the position of the row its segment began at."""
    return np.maximum.accumulate(np.where(starts, np.arange(starts.size), 0))


def beside(base: pd.DataFrame, columns: dict) -> pd.DataFrame:
    """The base columns with more columns beside them, built without copying the arrays
    (adding columns one by one copies each and is ten times slower on a million rows)."""
    base = base.reset_index(drop=True)
    return pd.concat([base, pd.DataFrame(columns, index=base.index, copy=False)], axis=1)


# ------------------------------------------------------------------ conditions


def numeric(values: pd.Series) -> np.ndarray:
    """A column as floats; text and blanks become NaN."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def compare(values: pd.Series, op: str, value: object) -> np.ndarray:
    """Where values meet `op value`; a missing value never does. Numbers are compared at the
    precision the rule is written in (a mean or sum exactly on the edge is on it)."""
    if op in ("in", "not_in"):
        inside = values.isin(list(value)).to_numpy(dtype=bool)
        return inside if op == "in" else ~inside & values.notna().to_numpy()
    if isinstance(value, str):
        return (values.astype("string") == value).fillna(False).to_numpy(dtype=bool)
    numbers = numeric(values)
    if not _whole_numbers(values):
        numbers = as_written(numbers, value)
    with np.errstate(invalid="ignore"):
        if op == "at_least":
            return numbers >= value
        if op == "above":
            return numbers > value
        if op == "at_most":
            return numbers <= value
        if op == "below":
            return numbers < value
        return numbers == float(value)


def _whole_numbers(values: pd.Series) -> bool:
    """Integers and yes/no need no rounding (ranks, counts)."""
    return pd.api.types.is_bool_dtype(values) or pd.api.types.is_integer_dtype(values)


def holds(table: pd.DataFrame, conditions: tuple[Condition, ...]) -> np.ndarray:
    """Where every condition holds, in table order."""
    result = np.ones(len(table), dtype=bool)
    for cond in conditions:
        result &= compare(table[cond.column], cond.op, cond.value)
    return result


def missing_columns(table: pd.DataFrame, columns) -> list[str]:
    """The columns among `columns` that the table lacks or holds no value in."""
    return [c for c in dict.fromkeys(columns) if c not in table or not table[c].notna().any()]


# ------------------------------------------------------------------ inputs


def find_column(columns, item: Input) -> str | None:
    """The stored column holding an input, found by id, names or aliases."""
    by_header = {normalize_header(c): c for c in columns}
    names = (item.id, item.name_zh, item.name_en, *item.aliases)
    return next((by_header[h] for h in map(normalize_header, names) if h in by_header), None)


def input_columns(columns, rules: Rules, present=()) -> list[str]:
    """Every stored column that may hold an input of the rules not in `present`: each of its
    names and aliases found, so with_inputs on facts of only these columns takes the same
    column as on every column (the first of them the facts hold)."""
    by_header = {normalize_header(c): c for c in columns}
    found = []
    for item in rules.inputs:
        if item.id in present:
            continue
        names = (item.id, item.name_zh, item.name_en, *item.aliases)
        found += [by_header[h] for h in map(normalize_header, names) if h in by_header]
    return list(dict.fromkeys(found))


def with_inputs(
    monthly: pd.DataFrame, facts: pd.DataFrame | None, rules: Rules
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scored monthly table with each input of the rules read from the stored facts, and
    the cells that could not be read (input, column, cells, examples)."""
    # Not a deep copy: pandas copies on write, so adding columns leaves `monthly` as it was;
    # an input no fact holds is one shared blank column (9 of them at a million rows were
    # 72 MB written with NaN on every cold page).
    table = monthly.copy(deep=False)
    unreadable = []
    rows = None
    blank = None
    for item in rules.inputs:
        if item.id in table:
            continue
        found = None if facts is None else find_column(facts.columns, item)
        if found is None:
            if blank is None or not blank.index.equals(table.index):
                blank = pd.Series(np.full(len(table), np.nan), index=table.index)
            table[item.id] = blank
            continue
        value, bad = parse_input(facts[found], item.kind)
        if rows is None:
            rows = _fact_rows(table, facts)
            table = table.reset_index(drop=True) if rows is not False else table
        if rows is not False:  # each row's fact found once: what the merge below gives
            table[item.id] = value.iloc[rows].reset_index(drop=True)
        else:
            keyed = pd.DataFrame(
                {"period": facts["period"], "employee_id": facts["employee_id"], item.id: value}
            )
            table = table.merge(keyed, on=["period", "employee_id"], how="left")
        if bad.any():
            examples = "、".join(facts.loc[bad, found].astype(str).unique()[:3])
            unreadable.append((item.id, found, int(bad.sum()), examples))
    return table, pd.DataFrame(unreadable, columns=["input", "column", "cells", "examples"])


def _fact_rows(table: pd.DataFrame, facts: pd.DataFrame) -> np.ndarray | bool:
    """For each row of the table, the position of the facts row of its month and person, when
    every row has exactly one (else False): found once for every input instead of a merge of
    a million text keys per input."""
    keys = ["period", "employee_id"]
    left, right = table[keys].reset_index(drop=True), facts[keys].reset_index(drop=True)
    if left.equals(right) and not _repeated(left):
        return np.arange(len(left))
    numbered = right.assign(_fact=np.arange(len(right)))
    joined = left.merge(numbered, on=keys, how="left")
    if len(joined) != len(left) or joined["_fact"].isna().any():
        return False
    return joined["_fact"].to_numpy(dtype=np.int64)


def _repeated(keys: pd.DataFrame) -> bool:
    """Whether a month and person occurs twice."""
    month = pd.factorize(keys["period"])[0].astype(np.int64)
    person, people = pd.factorize(keys["employee_id"])
    return bool(pd.Series(month * (len(people) + 1) + person).duplicated().any())


# ------------------------------------------------------------------ quarters and years


def period_numbers(labels: pd.Series, kind: str) -> np.ndarray:
    """'2026-10' → month number, '2026-Q3' → 2026 × 4 + 2, '2026' → 2026: consecutive periods
    of a kind are consecutive numbers."""
    if kind == "month":
        return month_numbers(labels)
    codes, distinct = pd.factorize(labels)
    distinct = pd.Index(distinct, dtype=str)
    years = distinct.str.slice(0, 4).astype(int)
    if kind == "quarter":
        years = years * 4 + distinct.str.slice(6, 7).astype(int) - 1
    return np.asarray(years, dtype=np.int64)[codes]


def period_label(number: int, kind: str) -> str:
    """A period number back to its label: '2026-10', '2026-Q3' or '2026' (a quarter's number is
    year × 4 + quarter − 1, a year's the year)."""
    if kind == "quarter":
        return f"{number // 4}-Q{number % 4 + 1}"
    return str(number) if kind == "year" else month_label(number)
