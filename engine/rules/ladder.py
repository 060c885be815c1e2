"""The promotion ladder (seed 001 客服 普通 → 星级 → 钻级 → 皇冠级) at one month: who may move up
a step, who is one condition short, who is at risk of moving down, and each condition's result."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.rules.timeline import Timeline, beside, compare, numeric
from engine.schemes.precision import as_written
from engine.schemes.rules_spec import Ladder, Measure
from engine.schemes.scheme import normalize_header

PERSON = ["employee_id", "name", "department", "team", "role"]
PEOPLE_COLUMNS = [
    *PERSON,
    "current_step",
    "current_step_en",
    "next_step",
    "next_step_en",
    "status",
    "met",
    "missing",
    "no_data",
    "missing_zh",
    "missing_en",
    "no_data_zh",
    "no_data_en",
    "at_risk",
    "risk_zh",
    "risk_en",
    "current_pay",
    "next_pay",
]
CHECK_COLUMNS = ["employee_id", "name", "kind", "step", "condition_zh", "condition_en"]
CHECK_COLUMNS += ["actual", "result"]
# eligible: every condition met; check: none failed but some have no data; one_short: exactly
# one failed; not_yet: two or more failed; top: already on the highest step.
STATUSES = ("eligible", "check", "one_short", "not_yet", "top")
RESULTS = ("no_data", "met", "missing", "triggered", "clear")


class _Recent:
    """The people present in a month and their recent months as a dense grid: one row per
    month back (0 = the month itself), one column per person, so a window is the first rows."""

    def __init__(self, table: pd.DataFrame, timeline: Timeline, month: int, back: int):
        self.table = table
        self.timeline = timeline
        self.month = month
        self.back = back
        now = timeline.month == month
        self.rows = timeline.order[now]
        self.size = int(now.sum())
        slot = np.full(int(timeline.employee.max()) + 1 if timeline.size else 0, -1)
        slot[timeline.employee[now]] = np.arange(self.size)
        person = slot[timeline.employee]
        offset = month - timeline.month
        kept = (person >= 0) & (offset >= 0) & (offset < back)
        self.cells = offset[kept] * self.size + person[kept]
        self.positions = np.flatnonzero(kept)
        self.table_rows = timeline.order[self.positions]
        self.present = self._laid_out(np.ones(self.positions.size, dtype=bool), False)
        self.grids: dict[object, np.ndarray] = {}

    def _laid_out(self, kept_values: np.ndarray, fill) -> np.ndarray:
        out = np.full(self.back * self.size, fill, dtype=kept_values.dtype)
        out[self.cells] = kept_values
        return out.reshape(self.back, self.size)

    def running(self, grid: np.ndarray, how: str) -> np.ndarray:
        """Running figures along the months back, so any window is one row: counts of a flag
        grid, or for a number grid the count filled, sum, min, max or first filled month."""
        key = (id(grid), how)
        if key not in self.grids:
            filled = ~np.isnan(grid) if grid.dtype.kind == "f" else grid
            if how in ("count", "filled"):
                found = np.cumsum(filled, axis=0, dtype=np.int32)
            elif how == "sum":
                found = np.cumsum(np.where(filled, grid, 0.0), axis=0)
            elif how in ("min", "max"):
                found = (np.fmin if how == "min" else np.fmax).accumulate(grid, axis=0)
            else:  # the first month back that has a value
                months = np.where(filled, np.arange(self.back)[:, None], self.back)
                found = np.minimum.accumulate(months, axis=0)
            self.grids[key] = found
        return self.grids[key]

    def numbers(self, column: str) -> np.ndarray:
        """A column's values laid out person × months back (NaN where missing)."""
        if column not in self.grids:
            values = numeric(self.table[column])[self.table_rows]
            self.grids[column] = self._laid_out(values, np.nan)
        return self.grids[column]

    def hits(self, when: tuple) -> tuple[np.ndarray, np.ndarray]:
        """Where the conditions hold, and where all their columns have a value."""
        if when not in self.grids:
            held = self.timeline.holding(self.table, when)[self.positions]
            filled = np.ones(self.positions.size, dtype=bool)
            for column in dict.fromkeys(c.column for c in when):
                filled &= self.table[column].notna().to_numpy()[self.table_rows]
            filled_grid = self.present if filled.all() else self._laid_out(filled, False)
            self.grids[when] = (self._laid_out(held, False), filled_grid)
        return self.grids[when]

    def latest(self, column: str) -> pd.Series:
        """Per person, the column's value in their latest month that has one (any kind)."""
        filled = self.timeline.take(self.table[column].notna().to_numpy())
        filled &= self.timeline.month <= self.month
        positions = np.full(int(self.timeline.employee.max()) + 1, -1)
        chosen = np.flatnonzero(filled)
        positions[self.timeline.employee[chosen]] = chosen  # later months overwrite earlier
        position = positions[self.timeline.employee[self.timeline.month == self.month]]
        rows = self.timeline.order[np.maximum(position, 0)]
        values = self.table[column].iloc[rows].reset_index(drop=True)
        return values.where(pd.Series(position >= 0))


def _tenure(recent: _Recent) -> np.ndarray:
    """Whole months of service at the end of the month: from the hire date, else from the
    person's first month in the data."""
    timeline = recent.timeline
    first_month = np.zeros(int(timeline.employee.max()) + 1, dtype=np.int64)
    first_month[timeline.employee[timeline.first]] = timeline.month[timeline.first]
    present = timeline.employee[timeline.month == recent.month]
    fallback = (recent.month - first_month[present] + 1).astype(float)
    if "hire_date" not in recent.table:
        return fallback
    hired = pd.to_datetime(recent.table["hire_date"].iloc[recent.rows], errors="coerce")
    hire_month = (hired.dt.year * 12 + hired.dt.month - 1).to_numpy(dtype=float, na_value=np.nan)
    on_the_first = (hired.dt.day == 1).to_numpy(dtype=float, na_value=0.0)
    tenure = recent.month - hire_month + on_the_first
    return np.where(np.isnan(tenure), fallback, tenure)


def _figure(recent: _Recent, measure: Measure) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """One measure per person: its value, whether the data allowed it, and the value to test."""
    size, window = recent.size, measure.window
    nothing = (np.full(size, np.nan), np.zeros(size, dtype=bool), pd.Series(np.full(size, np.nan)))
    if measure.measure == "tenure_months":
        if "tenure" not in recent.grids:
            recent.grids["tenure"] = _tenure(recent)
        tenure = recent.grids["tenure"]
        return tenure, np.ones(size, dtype=bool), pd.Series(tenure)
    if measure.measure == "count":
        if any(c.column not in recent.table for c in measure.when):
            return nothing
        hit, filled = recent.hits(measure.when)
        count = recent.running(hit, "count")[window - 1].astype(float)
        known = recent.running(filled, "count")[window - 1] > 0
        return count, known, pd.Series(count)
    if measure.column not in recent.table:
        return nothing
    raw = recent.table[measure.column]
    if measure.measure == "last" and not pd.api.types.is_numeric_dtype(raw):
        tested = recent.latest(measure.column)
        return np.full(size, np.nan), tested.notna().to_numpy(), tested
    grid = recent.numbers(measure.column)
    count = recent.running(grid, "filled")[window - 1]
    known = count > 0
    if measure.measure == "last":
        back = recent.running(grid, "first")[window - 1]
        value = grid[np.minimum(back, recent.back - 1), np.arange(size)]
    elif measure.measure in ("min", "max"):
        value = recent.running(grid, measure.measure)[window - 1]
    else:
        total = recent.running(grid, "sum")[window - 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            value = total if measure.measure == "sum" else total / count
    value = np.where(known, value, np.nan)
    return value, known, pd.Series(value)


def _evaluate(
    recent: _Recent, measure: Measure
) -> tuple[Measure, np.ndarray, np.ndarray, np.ndarray]:
    """The measure, and per person: its value, whether it is met, whether it could be checked."""
    value, known, tested = _figure(recent, measure)
    value = as_written(value, measure.value)  # the figure shown is the figure compared
    return measure, value, compare(tested, measure.op, measure.value) & known, known


def _current_steps(recent: _Recent, ladder: Ladder) -> np.ndarray:
    """Each person's step now: the latest value of the ladder's column, else the first step."""
    if not ladder.current or ladder.current not in recent.table:
        return np.zeros(recent.size, dtype=np.int64)
    lookup = {}
    for index, step in enumerate(ladder.steps):
        for name in (step.name, step.name_en, str(index)):
            lookup[normalize_header(name)] = index
    latest = recent.latest(ladder.current).astype("string").fillna("")
    codes, names = pd.factorize(latest)
    steps = np.array([lookup.get(normalize_header(n), 0) for n in names], dtype=np.int64)
    return steps[codes] if codes.size else np.zeros(0, dtype=np.int64)


def _spelled(bits: np.ndarray, names: list[str], separator: str) -> pd.Categorical:
    """Per person, the names of the set bits joined, written once per distinct combination."""
    combos, inverse = np.unique(bits, return_inverse=True)
    texts = [
        separator.join(name for bit, name in enumerate(names) if combo >> bit & 1)
        for combo in combos.tolist()
    ]
    distinct, codes = np.unique(np.array(texts, dtype=object), return_inverse=True)
    return pd.Categorical.from_codes(codes[inverse.reshape(-1)], categories=distinct)


def ladder_at(
    table: pd.DataFrame, timeline: Timeline, ladder: Ladder, month: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Everyone present in the month: their step, the next, the status and what is missing;
    and one row per person and condition with its value and result."""
    measures = [m for p in ladder.promotions for m in p.checks] + list(ladder.demotion)
    recent = _Recent(table, timeline, month, max((m.window for m in measures), default=1))
    size = recent.size
    current = _current_steps(recent, ladder)
    top = len(ladder.steps) - 1
    target = np.minimum(current + 1, top)
    step_index = {s.name: i for i, s in enumerate(ladder.steps)}
    counts = {k: np.zeros(size, dtype=np.int64) for k in ("met", "missing", "no_data")}
    bits = {k: np.zeros(size, dtype=np.int64) for k in ("missing", "no_data", "risk")}
    names: list[Measure] = []
    checks = _Checks()
    for promotion in ladder.promotions:
        mine = (target == step_index[promotion.to]) & (current < top)
        for result in (_evaluate(recent, m) for m in promotion.checks):
            _, _, met, known = result
            counts["met"] += met & mine
            counts["missing"] += known & ~met & mine
            counts["no_data"] += ~known & mine
            bits["missing"] |= (known & ~met & mine).astype(np.int64) << len(names)
            bits["no_data"] |= (~known & mine).astype(np.int64) << len(names)
            names.append(result[0])
            checks.add(result, mine, "promote", promotion.to)
    risky = current > 0
    at_risk = np.zeros(size, dtype=bool)
    for bit, result in enumerate(_evaluate(recent, m) for m in ladder.demotion):
        triggered = result[2] & risky
        at_risk |= triggered
        bits["risk"] |= triggered.astype(np.int64) << bit
        checks.add(result, risky, "demote", "")
    status = np.select(
        [
            current >= top,
            (counts["missing"] == 0) & (counts["no_data"] == 0),
            counts["missing"] == 0,
            counts["missing"] == 1,
        ],
        [4, 0, 1, 2],
        default=3,
    )
    steps_zh = ladder.step_names
    steps_en = [s.name_en for s in ladder.steps]
    following = np.where(current < top, target, -1)
    zh = [m.name_zh for m in names]
    en = [m.name_en for m in names]
    people = table[PERSON].iloc[recent.rows].reset_index(drop=True)
    out = beside(
        people,
        dict(
            current_step=pd.Categorical.from_codes(current, categories=steps_zh),
            current_step_en=pd.Categorical.from_codes(current, categories=steps_en),
            next_step=pd.Categorical.from_codes(following, categories=steps_zh),
            next_step_en=pd.Categorical.from_codes(following, categories=steps_en),
            status=pd.Categorical.from_codes(status, categories=list(STATUSES)),
            met=counts["met"],
            missing=counts["missing"],
            no_data=counts["no_data"],
            missing_zh=_spelled(bits["missing"], zh, "、"),
            missing_en=_spelled(bits["missing"], en, "; "),
            no_data_zh=_spelled(bits["no_data"], zh, "、"),
            no_data_en=_spelled(bits["no_data"], en, "; "),
            at_risk=at_risk,
            risk_zh=_spelled(bits["risk"], [m.name_zh for m in ladder.demotion], "、"),
            risk_en=_spelled(bits["risk"], [m.name_en for m in ladder.demotion], "; "),
            current_pay=np.array([s.pay for s in ladder.steps])[current],
            next_pay=np.append([s.pay for s in ladder.steps], np.nan)[following],
        ),
    )
    return out[PEOPLE_COLUMNS], checks.table(people)


class _Checks:
    """One row per person and condition, gathered as arrays and made into a table once."""

    def __init__(self):
        self.person: list[np.ndarray] = []
        self.check: list[np.ndarray] = []
        self.actual: list[np.ndarray] = []
        self.result: list[np.ndarray] = []
        self.labels: list[tuple[str, str, str, str]] = []

    def add(self, result: tuple, mine: np.ndarray, kind: str, step: str) -> None:
        measure, value, met, known = result
        chosen = np.flatnonzero(mine)
        good, bad = (1, 2) if kind == "promote" else (3, 4)  # met/missing, triggered/clear
        outcome = np.select([~known, met], [0, good], default=bad)
        self.person.append(chosen)
        self.check.append(np.full(chosen.size, len(self.labels)))
        self.actual.append(value[chosen])
        self.result.append(outcome[chosen])
        self.labels.append((kind, step, measure.name_zh, measure.name_en))

    def table(self, people: pd.DataFrame) -> pd.DataFrame:
        if not self.labels:
            return pd.DataFrame(columns=CHECK_COLUMNS)
        check = np.concatenate(self.check)
        columns = {}
        for i, column in enumerate(("kind", "step", "condition_zh", "condition_en")):
            names = [label[i] for label in self.labels]
            distinct = list(dict.fromkeys(names))
            codes = np.array([distinct.index(n) for n in names])[check]
            columns[column] = pd.Categorical.from_codes(codes, categories=distinct)
        columns["actual"] = np.concatenate(self.actual)
        columns["result"] = pd.Categorical.from_codes(
            np.concatenate(self.result), categories=list(RESULTS)
        )
        people = people[["employee_id", "name"]].iloc[np.concatenate(self.person)]
        return beside(people, columns)[CHECK_COLUMNS]
