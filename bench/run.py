"""Speed bench: import, columnar scoring, row-wise scoring and DuckDB SQL scoring of 1M rows.

Run from the repository root:

    .venv/bin/python bench/run.py                 # 1,000,000 employee-months, about 2 minutes
    .venv/bin/python bench/run.py --rows 100000   # quick check
    .venv/bin/python bench/run.py --profile       # also time the engine's sub-steps

Every step is timed in the same run as a baseline (pandas.read_csv of the same CSV), so the
ratios say something on any machine. Targets are stated for 1,000,000 rows and scaled
linearly for other sizes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import platform
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.intake.parse import parse_cells, parse_file, read_csv_cells
from engine.schemes.scheme import Kpi, Scheme, load_scheme, normalize_header
from engine.scoring import parallel
from engine.scoring import score as scoring
from engine.store import Store

DEFAULT_ROWS = 1_000_000
MONTHS = tuple(str(p) for p in pd.period_range("2025-11", "2026-10", freq="M"))
IMPORT_MONTH = "2026-10"
ROWWISE_SAMPLE = 20_000
SEED = 20261

TARGET_IMPORT_SECONDS = 4.0  # per 1M rows
TARGET_SCORING_SECONDS = 0.4  # per 1M rows
TARGET_ROWWISE_RATIO = 100.0  # row-wise time / columnar time, at least
TARGET_SQL_RATIO = 1.0  # columnar time / SQL time, at most

# ------------------------------------------------------------------ realistic data

CITIES = (
    "上海",
    "北京",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "苏州",
    "成都",
    "重庆",
    "武汉",
    "西安",
    "天津",
    "长沙",
    "郑州",
    "青岛",
    "济南",
    "合肥",
    "福州",
    "厦门",
    "宁波",
    "无锡",
    "沈阳",
    "大连",
    "昆明",
    "南宁",
    "贵阳",
    "南昌",
    "太原",
    "石家庄",
    "哈尔滨",
    "长春",
    "兰州",
    "乌鲁木齐",
    "呼和浩特",
    "海口",
    "佛山",
    "东莞",
    "温州",
    "常州",
    "泉州",
)
REGION_OF_CITY = (
    "华东",
    "华北",
    "华南",
    "华南",
    "华东",
    "华东",
    "华东",
    "西南",
    "西南",
    "华中",
    "西北",
    "华北",
    "华中",
    "华中",
    "华北",
    "华北",
    "华东",
    "华东",
    "华东",
    "华东",
    "华东",
    "东北",
    "东北",
    "西南",
    "华南",
    "西南",
    "华中",
    "华北",
    "华北",
    "东北",
    "东北",
    "西北",
    "西北",
    "华北",
    "华南",
    "华南",
    "华南",
    "华东",
    "华东",
    "华东",
)


@dataclass(frozen=True)
class Function:
    """A kind of department: its name, share of the staff and mix of roles."""

    name: str
    team_prefix: str
    share: float
    roles: dict[str, float]


FUNCTIONS = (
    Function("售后服务部", "售后", 0.35, {"服务工程师": 1.0}),
    Function("客服部", "客服", 0.30, {"客服专员": 0.9, "服务工程师": 0.1}),
    Function("技术支持部", "技术", 0.20, {"技术支持工程师": 0.95, "服务工程师": 0.05}),
    Function("备件部", "备件", 0.15, {"备件专员": 1.0}),
)
TEAM_SIZE = 15
BLANK_SHARE = 0.01
NO_TEAM_SHARE = 0.005  # department heads and floaters: team left blank
NO_ROLE_SHARE = 0.003  # role left blank: scored with the scheme's default weights
ALIAS_SHARE = 0.05  # role written as an alias (客服 for 客服专员), as some managers do
NON_REPAIR_ROLE = "客服专员"  # has no fault or rework figures; the scheme weights them 0
REPAIR_KPIS = ("fault_days", "rework_rate")
SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董")
GIVEN_CHARS = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉萍红鹏辉建文斌宇浩凯婷雪琳晨博欣怡俊峰"
)


@dataclass(frozen=True)
class KpiModel:
    """How a KPI follows performance p: normal, lognormal or count (Poisson)."""

    shape: str
    centre: float
    slope: float
    noise: float
    decimals: int


KPI_MODELS = {
    "fault_days": KpiModel("lognormal", 3.6, -0.3, 0.3, 1),
    "first_contact_resolution": KpiModel("normal", 79.0, 7.0, 4.0, 1),
    "rework_rate": KpiModel("lognormal", 2.8, -0.4, 0.35, 1),
    "upheld_complaints": KpiModel("count", 0.25, -0.8, 0.0, 0),
    "on_time_rate": KpiModel("normal", 88.0, 5.0, 3.0, 1),
    "order_achievement": KpiModel("normal", 95.0, 10.0, 6.0, 1),
    "response_minutes": KpiModel("lognormal", 7.5, -0.3, 0.25, 1),
    "skill_rating": KpiModel("normal", 3.6, 0.55, 0.35, 1),
    "late_responses": KpiModel("count", 0.5, -0.8, 0.0, 0),
    "satisfaction": KpiModel("normal", 86.5, 5.0, 3.0, 1),
    "complaint_rate": KpiModel("lognormal", 2.2, -0.45, 0.35, 1),
    "manager_rating": KpiModel("normal", 80.0, 8.0, 4.0, 0),
}


def fallback_model(kpi: Kpi) -> KpiModel:
    """A plausible model for a KPI this bench has no model for, from its method and range."""
    if kpi.method == "rating":
        span = kpi.scale_max - kpi.scale_min
        return KpiModel("normal", kpi.scale_min + 0.75 * span, 0.1 * span, 0.08 * span, 1)
    if kpi.method == "deduction":
        return KpiModel("count", 0.4, -0.8, 0.0, 0)
    if kpi.unit == "%":
        return (
            KpiModel("normal", 85.0, 6.0, 4.0, 1)
            if kpi.direction == "higher"
            else KpiModel("lognormal", 3.0, -0.4, 0.35, 1)
        )
    return KpiModel("lognormal", 5.0, -0.3 if kpi.direction == "lower" else 0.3, 0.3, 1)


def kpi_column(
    rng: np.random.Generator, model: KpiModel, performance: np.ndarray, kpi: Kpi
) -> np.ndarray:
    """Raw values of one KPI, clipped to the scheme's valid range and rounded like a report."""
    if model.shape == "count":
        values = rng.poisson(model.centre * np.exp(model.slope * performance)).astype(float)
    elif model.shape == "lognormal":
        noise = model.noise * rng.standard_normal(performance.size)
        values = model.centre * np.exp(model.slope * performance + noise)
    else:
        noise = model.noise * rng.standard_normal(performance.size)
        values = model.centre + model.slope * performance + noise
    low, high = kpi.valid_range
    return np.clip(values, low, high).round(model.decimals)


def roster(rng: np.random.Generator, employees: int) -> pd.DataFrame:
    """Employees spread over city departments and teams of about TEAM_SIZE, each with a role."""
    city = rng.integers(0, len(CITIES), employees)
    shares = np.array([f.share for f in FUNCTIONS])
    function = rng.choice(len(FUNCTIONS), size=employees, p=shares / shares.sum())
    role = np.empty(employees, dtype=object)
    for i, fn in enumerate(FUNCTIONS):
        members = np.flatnonzero(function == i)
        role[members] = rng.choice(list(fn.roles), size=members.size, p=list(fn.roles.values()))
    role = np.where(rng.random(employees) < NO_ROLE_SHARE, None, role)
    alias_of = {"客服专员": "客服", "技术支持工程师": "技术支持"}
    for name, alias in alias_of.items():
        role[(role == name) & (rng.random(employees) < ALIAS_SHARE)] = alias
    department = (
        np.array(CITIES, dtype=object)[city]
        + np.array([f.name for f in FUNCTIONS], dtype=object)[function]
    )
    order = pd.Series(np.arange(employees)).groupby(department).cumcount().to_numpy()
    prefix = np.array([f.team_prefix for f in FUNCTIONS], dtype=object)[function]
    team = prefix + pd.Series(order // TEAM_SIZE + 1).map("{:02d}组".format).to_numpy(object)
    team = np.where(rng.random(employees) < NO_TEAM_SHARE, None, team)
    surname = rng.choice(SURNAMES, size=employees)
    given = rng.choice(GIVEN_CHARS, size=(employees, 2))
    second = np.where(rng.random(employees) < 0.7, given[:, 1], "")
    hired = pd.Timestamp("2025-11-01") - pd.to_timedelta(
        np.minimum(rng.gamma(2.0, 730.0, employees), 15 * 365).astype(int) + 1, unit="D"
    )
    return pd.DataFrame(
        {
            "employee_id": [f"E{i:06d}" for i in range(1, employees + 1)],
            "name": surname.astype(object) + given[:, 0].astype(object) + second.astype(object),
            "department": department,
            "team": team,
            "role": role,
            "region": np.array(REGION_OF_CITY, dtype=object)[city],
            "hire_date": hired.strftime("%Y-%m-%d"),
            "ability": rng.normal(0.0, 0.8, employees),
        }
    )


def employee_months(rows: int, scheme: Scheme, seed: int = SEED) -> pd.DataFrame:
    """`rows` employee-months: ceil(rows / 12) employees over 12 months, month by month."""
    rng = np.random.default_rng(seed)
    employees = math.ceil(rows / len(MONTHS))
    people = roster(rng, employees)
    month = np.repeat(np.arange(len(MONTHS)), employees)[:rows]
    person = np.tile(np.arange(employees), len(MONTHS))[:rows]
    performance = people["ability"].to_numpy()[person] + rng.normal(0.0, 0.35, rows)
    frame = people.drop(columns="ability").iloc[person].reset_index(drop=True)
    frame.insert(0, "period", np.array(MONTHS, dtype=object)[month])
    roles = frame["role"].to_numpy()
    for kpi in scheme.kpis:
        model = KPI_MODELS.get(kpi.id) or fallback_model(kpi)
        knack = rng.normal(0.0, 0.5, employees)[person]
        values = pd.Series(kpi_column(rng, model, performance + knack, kpi))
        blank = rng.random(rows) < BLANK_SHARE
        if kpi.id in REPAIR_KPIS:
            blank |= roles == NON_REPAIR_ROLE
        values = values.mask(blank)
        frame[kpi.id] = values.astype("Int64") if model.decimals == 0 else values
    return frame


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 CSV with English headers as Excel saves it: no quotes, CRLF, blanks are empty cells."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    options = pa_csv.WriteOptions(quoting_style="none", quoting_header="none", eol="\r\n")
    pa_csv.write_csv(table, path, options)


def one_month(frame: pd.DataFrame, period_column: bool) -> pd.DataFrame:
    """The same rows as one huge month: unique employee ids, one period (or none, given later)."""
    month = frame.assign(employee_id=[f"E{i:07d}" for i in range(1, len(frame) + 1)])
    if period_column:
        return month.assign(period=IMPORT_MONTH)
    return month.drop(columns="period")


# ------------------------------------------------------------------ timing


@dataclass(frozen=True)
class Timing:
    """Median wall-clock seconds, and the process CPU seconds of the same runs (all threads)."""

    wall: float
    cpu: float

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.wall + other.wall, self.cpu + other.cpu)

    def __mul__(self, factor: float) -> Timing:
        return Timing(self.wall * factor, self.cpu * factor)


def timed(action: Callable[[], object], repeats: int) -> tuple[Timing, object]:
    """Median wall and CPU time of `repeats` runs, and the last run's result."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return Timing(statistics.median(walls), statistics.median(cpus)), result


def import_once(
    csv_path: Path, scheme: Scheme, period: str | None, folder: Path
) -> tuple[Timing, Timing]:
    """parse_file, then Store.import_file into a fresh store file (created before the clock)."""
    db = folder / "bench-store.duckdb"
    for leftover in (db, db.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    parse_time, parsed = timed(lambda: parse_file(csv_path, scheme, period=period), 1)
    if not parsed.ok:
        raise SystemExit(f"the generated file has problems:\n{parsed.problems.head(20)}")
    store = Store(db)
    store_time, result = timed(lambda: store.import_file(parsed), 1)
    assert result.rows == len(parsed.facts), result
    return parse_time, store_time


# ------------------------------------------------------------------ row-wise scoring


def round_half_away_scalar(value: float, decimals: int = 2) -> float:
    """Round half away from zero, with the same float steps as the engine's columnar rounding."""
    if math.isnan(value):
        return math.nan
    scale = 10.0**decimals
    scaled = round(value * scale * 1e6) / 1e6  # numpy's round(x, 6): rint(x·10⁶)/10⁶
    return math.copysign(math.floor(abs(scaled) + 0.5), scaled) / scale if scaled else 0.0


def kpi_score_scalar(value: float, kpi: Kpi) -> float | None:
    """One KPI's 0–100 score for one value by the KPI's method; None when the cell is blank."""
    if value is None or math.isnan(value):
        return None
    if kpi.method == "bands":
        band = next((b for b in kpi.bands if value <= b.upto), kpi.bands[-1])
        return band.points * 100.0 / kpi.max_points
    if kpi.method == "tiers":
        better = (lambda t: value <= t) if kpi.direction == "lower" else (lambda t: value >= t)
        tier = next((t for t in kpi.tiers[:-1] if better(t.threshold)), kpi.tiers[-1])
        return tier.score
    if kpi.method == "linear":
        ratio = (value - kpi.floor) / (kpi.target - kpi.floor)
        return 100.0 * min(max(ratio, 0.0), kpi.cap)
    if kpi.method == "deduction":
        score = kpi.start - kpi.per_incident * value
        return score if kpi.allow_negative else max(score, 0.0)
    return 100.0 * (value - kpi.scale_min) / (kpi.scale_max - kpi.scale_min)


def row_scorer(scheme: Scheme) -> Callable[[pd.Series], tuple[float, str | None, float]]:
    """A function scoring one row: (total, grade, money), the way a spreadsheet macro would."""
    plan_by_role = {
        normalize_header(name): plan for plan in scheme.roles for name in (plan.name, *plan.aliases)
    }
    zero_policy = {k.id: (k.missing or scheme.missing) == "zero" for k in scheme.kpis}
    money = scheme.money

    def score_row(row: pd.Series) -> tuple[float, str | None, float]:
        role = row["role"]
        plan = plan_by_role.get(
            normalize_header(role if isinstance(role, str) else ""), scheme.default_plan
        )
        weighted = {c.id: 0.0 for c in scheme.categories}
        weights = {c.id: 0.0 for c in scheme.categories}
        for kpi in scheme.kpis:
            score = kpi_score_scalar(float(row[kpi.id]), kpi)
            if score is None and not zero_policy[kpi.id]:
                continue  # renormalise: the category's other KPIs share this weight
            weight = plan.kpi_weights.get(kpi.id, 0.0)
            weighted[kpi.category] += weight * (score or 0.0)
            weights[kpi.category] += weight
        total_sum = total_weight = 0.0
        for cat in scheme.categories:
            if weights[cat.id] > 0:
                weight = plan.category_weights.get(cat.id, 0.0)
                total_sum += weight * weighted[cat.id] / weights[cat.id]
                total_weight += weight
        if total_weight <= 0:
            return math.nan, None, math.nan
        total = round_half_away_scalar(total_sum / total_weight)
        grade = next(g.name for g in scheme.grades if g.min is None or total >= g.min)
        if money.mode == "performance_pay":
            amount = money.base * total / 100.0
        elif money.mode == "grade_coefficient":
            amount = money.coefficients.get(grade, math.nan) * money.base
        else:
            amount = money.amounts.get(grade, math.nan)
        return total, grade, round_half_away_scalar(amount)

    return score_row


def score_rowwise(facts: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Totals, grades and money row by row with apply(axis=1), then the three ranks per group."""
    rows = facts.apply(row_scorer(scheme), axis=1, result_type="expand")
    table = facts[["period", "employee_id", "department", "team"]].assign(
        total=rows[0].astype(float), grade=rows[1], bonus=rows[2].astype(float)
    )
    for column, scope in scoring.RANK_SCOPES.items():
        groups = [table["period"], *(table[c].fillna("") for c in scope)]
        table[column] = table["total"].groupby(groups).rank(method="min", ascending=False)
    return table


# ------------------------------------------------------------------ the same scoring in SQL


def sql_text(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def num(value: float) -> str:
    """A DOUBLE literal that round-trips exactly (DuckDB reads 50.0 as a DECIMAL otherwise)."""
    return f"CAST({float(value)!r} AS DOUBLE)"


def kpi_score_sql(kpi: Kpi, column: str) -> str:
    """The KPI's scoring method as a SQL expression over `column`; NULL stays NULL."""
    v = column
    if kpi.method == "bands":
        cases = [
            f"WHEN {v} <= {num(b.upto)} THEN {num(b.points * 100.0 / kpi.max_points)}"
            for b in kpi.bands[:-1]
        ]
        last = num(kpi.bands[-1].points * 100.0 / kpi.max_points)
        return f"CASE WHEN {v} IS NULL THEN NULL {' '.join(cases)} ELSE {last} END"
    if kpi.method == "tiers":
        compare = "<=" if kpi.direction == "lower" else ">="
        cases = [
            f"WHEN {v} {compare} {num(t.threshold)} THEN {num(t.score)}" for t in kpi.tiers[:-1]
        ]
        last = num(kpi.tiers[-1].score)
        return f"CASE WHEN {v} IS NULL THEN NULL {' '.join(cases)} ELSE {last} END"
    if kpi.method == "linear":
        ratio = f"({v} - {num(kpi.floor)}) / {num(kpi.target - kpi.floor)}"
        # GREATEST/LEAST skip NULLs in DuckDB, so a blank must be kept blank explicitly.
        return (
            f"CASE WHEN {v} IS NULL THEN NULL ELSE "
            f"{num(100.0)} * LEAST(GREATEST({ratio}, {num(0.0)}), {num(kpi.cap)}) END"
        )
    if kpi.method == "deduction":
        score = f"{num(kpi.start)} - {num(kpi.per_incident)} * {v}"
        return (
            score
            if kpi.allow_negative
            else f"CASE WHEN {v} IS NULL THEN NULL ELSE GREATEST({score}, {num(0.0)}) END"
        )
    span = kpi.scale_max - kpi.scale_min
    return f"{num(100.0)} * ({v} - {num(kpi.scale_min)}) / {num(span)}"


def round_half_away_sql(expr: str, decimals: int = 2) -> str:
    """The engine's rounding: round(x·10^d, 6) to shed float noise, then half away from zero."""
    scaled = f"round(({expr}) * {num(10.0**decimals)}, 6)"
    return f"(sign({scaled}) * floor(abs({scaled}) + 0.5) / {num(10.0**decimals)})"


def plan_weights_frame(scheme: Scheme) -> pd.DataFrame:
    """One row per plan (0 = default, i = i-th role): a weight column per KPI and category."""
    rows = []
    for i, plan in enumerate(scheme.plans):
        row = {"plan": i}
        row.update({f"w_{k}": float(plan.kpi_weights.get(k, 0.0)) for k in scheme.kpi_ids})
        row.update(
            {f"cw_{c}": float(plan.category_weights.get(c, 0.0)) for c in scheme.category_ids}
        )
        rows.append(row)
    return pd.DataFrame(rows)


def scoring_sql(scheme: Scheme, columns: list[str]) -> str:
    """score_table in one SQL query, built by looping over the scheme (nothing hard-coded)."""
    # Normalise each distinct role once (a handful), not every row: translate() on 1M rows
    # costs about 0.5 s here.
    role_key = (
        "lower(translate(trim(role), '（）' || chr(65279) || ' ' || chr(12288) || '_-', '()'))"
    )
    plan_cases = " ".join(
        f"WHEN {role_key} IN ({', '.join(sql_text(normalize_header(n)) for n in names)}) THEN {i}"
        for i, names in enumerate(((p.name, *p.aliases) for p in scheme.roles), start=1)
    )
    value_of = {
        k.id: f"CAST({ident(k.id)} AS DOUBLE)" if k.id in columns else "CAST(NULL AS DOUBLE)"
        for k in scheme.kpis
    }
    roster = [c for c in ["period", *scoring.ROSTER_COLUMNS] if c in columns]
    values = ", ".join(f"{value_of[k.id]} AS {ident(k.id)}" for k in scheme.kpis)
    scores = ", ".join(
        f"{kpi_score_sql(k, ident(k.id))} AS {ident('score_' + k.id)}" for k in scheme.kpis
    )

    def present(kpi: Kpi) -> str:
        if (kpi.missing or scheme.missing) == "zero":
            return "1.0"
        return f"CAST({ident('score_' + kpi.id)} IS NOT NULL AS DOUBLE)"

    cat_parts, missing_parts = [], []
    for cat in scheme.categories:
        members = [k for k in scheme.kpis if k.category == cat.id]
        numerator = (
            " + ".join(
                f"{ident('w_' + k.id)} * {present(k)} * coalesce({ident('score_' + k.id)}, 0.0)"
                for k in members
            )
            or "0.0"
        )
        denominator = " + ".join(f"{ident('w_' + k.id)} * {present(k)}" for k in members) or "0.0"
        cat_parts.append(
            f"CASE WHEN ({denominator}) > 0 THEN ({numerator}) / ({denominator}) END "
            f"AS {ident('cat_' + cat.id)}"
        )
    missing_parts = [
        f"CAST({ident('w_' + k.id)} > 0 AND {ident('score_' + k.id)} IS NULL AS INTEGER)"
        for k in scheme.kpis
    ]
    cat_sum = " + ".join(
        f"{ident('cw_' + c)} * coalesce({ident('cat_' + c)}, 0.0)" for c in scheme.category_ids
    )
    cat_weight = " + ".join(
        f"{ident('cw_' + c)} * CAST({ident('cat_' + c)} IS NOT NULL AS DOUBLE)"
        for c in scheme.category_ids
    )
    raw_total = f"CASE WHEN ({cat_weight}) > 0 THEN ({cat_sum}) / ({cat_weight}) END"

    def grade_case(language: str) -> str:
        cases = " ".join(
            f"WHEN total >= {num(g.min)} THEN {sql_text(g.name if language == 'zh' else g.name_en)}"
            for g in scheme.grades[:-1]
        )
        last = scheme.grades[-1]
        return (
            f"CASE WHEN total IS NULL THEN NULL {cases} "
            f"ELSE {sql_text(last.name if language == 'zh' else last.name_en)} END"
        )

    rule = scheme.money
    if rule.mode == "performance_pay":
        raw_money = f"{num(rule.base)} * total / {num(100.0)}"
    else:
        table = rule.amounts if rule.mode == "grade_amount" else rule.coefficients
        factor = rule.base if rule.mode == "grade_coefficient" else 1.0
        cases = " ".join(
            f"WHEN {sql_text(g)} THEN {num(table[g])}" for g in scheme.grade_names if g in table
        )
        raw_money = f"(CASE grade {cases} END) * {num(factor)}"

    if scheme.tie_break:
        tie = f"least(greatest(coalesce({ident('score_' + scheme.tie_break)}, -1.0), -1.0), 999.0)"
        key = f"round(total * 100.0) * 10000.0 + round({tie} * 10.0)"
    else:
        key = "total"
    rank_parts = []
    for column, scope in scoring.RANK_SCOPES.items():
        partition = ", ".join(["period", *(f"coalesce({ident(c)}, '')" for c in scope)])
        rank_parts.append(
            f"CASE WHEN rank_key IS NULL THEN NULL ELSE rank() OVER "
            f"(PARTITION BY {partition} ORDER BY rank_key DESC NULLS LAST) END "
            f"AS {ident(column)}"
        )

    roster_sql = ", ".join(ident(c) for c in roster)
    return f"""
WITH role_plans AS (
    SELECT role, CASE {plan_cases} ELSE 0 END AS plan FROM (SELECT DISTINCT role FROM facts)
), valued AS (
    SELECT {", ".join("facts." + ident(c) for c in roster)}, {values},
           coalesce(role_plans.plan, 0) AS plan
    FROM facts LEFT JOIN role_plans ON facts.role IS NOT DISTINCT FROM role_plans.role
), scored AS (
    SELECT *, {scores} FROM valued
), weighted AS (
    SELECT scored.*, plan_weights.* EXCLUDE (plan)
    FROM scored JOIN plan_weights USING (plan)
), categorised AS (
    SELECT *, {", ".join(cat_parts)}, {" + ".join(missing_parts)} AS missing_count
    FROM weighted
), totalled AS (
    SELECT *, {round_half_away_sql(raw_total)} AS total FROM categorised
), graded AS (
    SELECT *, {grade_case("zh")} AS grade, {grade_case("en")} AS grade_en, {key} AS rank_key
    FROM totalled
)
SELECT {roster_sql},
       {", ".join(ident(k) for k in scheme.kpi_ids)},
       {", ".join(ident("score_" + k) for k in scheme.kpi_ids)},
       {", ".join(ident("cat_" + c) for c in scheme.category_ids)},
       total, missing_count, grade, grade_en,
       {", ".join(rank_parts)},
       {round_half_away_sql(raw_money)} AS bonus
FROM graded
ORDER BY period, "rank", employee_id
"""


def score_sql(
    con: duckdb.DuckDBPyConnection, facts: pd.DataFrame, weights: pd.DataFrame, query: str
) -> pa.Table:
    """Register the frames on a cursor, run the scoring query, fetch everything into Arrow."""
    cur = con.cursor()
    try:
        cur.register("facts", facts)
        cur.register("plan_weights", weights)
        return cur.sql(query).to_arrow_table()
    finally:
        cur.close()


def best_scoring_sql(scheme: Scheme, columns: list[str]) -> str:
    """The same scoring as scoring_sql written for speed: one pass of column expressions (no
    SELECT * carried through six steps), each role's plan and weights looked up once per
    distinct role, the three ranks as RANK() OVER, no final sort (the engine returns its rows
    unsorted too). Reads the facts as an Arrow table and returns Arrow."""
    role_key = (
        "lower(translate(trim(role), '（）' || chr(65279) || ' ' || chr(12288) || '_-', '()'))"
    )
    plan_cases = " ".join(
        f"WHEN {role_key} IN ({', '.join(sql_text(normalize_header(n)) for n in names)}) THEN {i}"
        for i, names in enumerate(((p.name, *p.aliases) for p in scheme.roles), start=1)
    )
    roster = [c for c in ["period", *scoring.ROSTER_COLUMNS] if c in columns]
    value_of = {
        k.id: f"CAST(f.{ident(k.id)} AS DOUBLE)" if k.id in columns else "CAST(NULL AS DOUBLE)"
        for k in scheme.kpis
    }
    scores = {k.id: kpi_score_sql(k, value_of[k.id]) for k in scheme.kpis}

    def present(kpi: Kpi) -> str:
        if (kpi.missing or scheme.missing) == "zero":
            return "1.0"
        return f"CAST(s.{ident('score_' + kpi.id)} IS NOT NULL AS DOUBLE)"

    cats = []
    for cat in scheme.categories:
        members = [k for k in scheme.kpis if k.category == cat.id]
        numerator = (
            " + ".join(
                f"w.{ident('w_' + k.id)} * {present(k)} * coalesce(s.{ident('score_' + k.id)}, 0.0)"
                for k in members
            )
            or "0.0"
        )
        denominator = " + ".join(f"w.{ident('w_' + k.id)} * {present(k)}" for k in members) or "0.0"
        cats.append(
            f"CASE WHEN ({denominator}) > 0 THEN ({numerator}) / ({denominator}) END "
            f"AS {ident('cat_' + cat.id)}"
        )
    missing = " + ".join(
        f"CAST(w.{ident('w_' + k.id)} > 0 AND s.{ident('score_' + k.id)} IS NULL AS INTEGER)"
        for k in scheme.kpis
    )
    cat_sum = " + ".join(
        f"c.{ident('cw_' + c)} * coalesce(c.{ident('cat_' + c)}, 0.0)" for c in scheme.category_ids
    )
    cat_weight = " + ".join(
        f"c.{ident('cw_' + c)} * CAST(c.{ident('cat_' + c)} IS NOT NULL AS DOUBLE)"
        for c in scheme.category_ids
    )
    raw_total = f"CASE WHEN ({cat_weight}) > 0 THEN ({cat_sum}) / ({cat_weight}) END"

    def grade_case(language: str) -> str:
        cases = " ".join(
            f"WHEN total >= {num(g.min)} THEN {sql_text(g.name if language == 'zh' else g.name_en)}"
            for g in scheme.grades[:-1]
        )
        last = scheme.grades[-1]
        return (
            f"CASE WHEN total IS NULL THEN NULL {cases} "
            f"ELSE {sql_text(last.name if language == 'zh' else last.name_en)} END"
        )

    rule = scheme.money
    if rule.mode == "performance_pay":
        raw_money = f"{num(rule.base)} * total / {num(100.0)}"
    else:
        amounts = rule.amounts if rule.mode == "grade_amount" else rule.coefficients
        factor = rule.base if rule.mode == "grade_coefficient" else 1.0
        cases = " ".join(
            f"WHEN total >= {num(g.min)} THEN {num(amounts.get(g.name, 0.0))}"
            for g in scheme.grades[:-1]
        )
        last = num(amounts.get(scheme.grades[-1].name, 0.0))
        raw_money = f"(CASE WHEN total IS NULL THEN NULL {cases} ELSE {last} END) * {num(factor)}"
    if scheme.tie_break:
        tie = f"least(greatest(coalesce({ident('score_' + scheme.tie_break)}, -1.0), -1.0), 999.0)"
        key = f"round(total * 100.0) * 10000.0 + round({tie} * 10.0)"
    else:
        key = "total"
    ranks = []
    for column, scope in scoring.RANK_SCOPES.items():
        partition = ", ".join(["period", *(f"coalesce({ident(c)}, '')" for c in scope)])
        ranks.append(
            f"CASE WHEN rank_key IS NULL THEN NULL ELSE rank() OVER "
            f"(PARTITION BY {partition} ORDER BY rank_key DESC NULLS LAST) END AS {ident(column)}"
        )
    kept = [*roster, *scheme.kpi_ids]
    score_ids = [f"score_{k}" for k in scheme.kpi_ids]
    cat_ids = [f"cat_{c}" for c in scheme.category_ids]
    return f"""
WITH role_plans AS (
    SELECT coalesce(r.role, '') AS role_key, p.* EXCLUDE (plan) FROM (
        SELECT role, CASE {plan_cases} ELSE 0 END AS plan FROM (SELECT DISTINCT role FROM facts)
    ) r JOIN plan_weights p USING (plan)
), s AS (
    SELECT row_number() OVER () AS rid, {", ".join(f"f.{ident(c)}" for c in roster)},
           {", ".join(f"{value_of[k]} AS {ident(k)}" for k in scheme.kpi_ids)},
           {", ".join(f"{scores[k]} AS {ident('score_' + k)}" for k in scheme.kpi_ids)}
    FROM facts f
), c AS (
    SELECT s.*, w.* EXCLUDE (role_key), {", ".join(cats)}, {missing} AS missing_count
    FROM s JOIN role_plans w ON coalesce(s.role, '') = w.role_key
), t AS (
    SELECT c.rid, {", ".join(f"c.{ident(x)}" for x in [*kept, *score_ids, *cat_ids])},
           c.missing_count, {round_half_away_sql(raw_total)} AS total FROM c
), g AS (
    SELECT *, {grade_case("zh")} AS grade, {grade_case("en")} AS grade_en, {key} AS rank_key
    FROM t
), r AS (
    SELECT rid, {", ".join(ranks)} FROM (
        SELECT rid, period, department, team, rank_key FROM g
    )
)
SELECT g.* EXCLUDE (rid, rank_key), r.* EXCLUDE (rid), {round_half_away_sql(raw_money)} AS bonus
FROM g JOIN r USING (rid)
"""


def score_best_sql(con: duckdb.DuckDBPyConnection, facts: pa.Table, weights: pa.Table, query: str):
    """The fast SQL peer: Arrow facts in, Arrow out."""
    cur = con.cursor()
    try:
        cur.register("facts", facts)
        cur.register("plan_weights", weights)
        return cur.sql(query).to_arrow_table()
    finally:
        cur.close()


def polars_scoring(scheme: Scheme, columns: list[str]):
    """score_table as a polars lazy query (the same expressions as the SQL peers); returns a
    function from a polars DataFrame to the scored polars DataFrame."""
    import polars as pl  # bench only: pinned in bench/requirements.txt

    def value(k: Kpi) -> pl.Expr:
        return pl.col(k.id).cast(pl.Float64) if k.id in columns else pl.lit(None, pl.Float64)

    def score(k: Kpi) -> pl.Expr:
        v = value(k)
        if k.method == "bands":
            expr = pl.when(v.is_null()).then(None)
            for b in k.bands[:-1]:
                expr = expr.when(v <= b.upto).then(b.points * 100.0 / k.max_points)
            return expr.otherwise(k.bands[-1].points * 100.0 / k.max_points)
        if k.method == "tiers":
            expr = pl.when(v.is_null()).then(None)
            for t in k.tiers[:-1]:
                expr = expr.when(v <= t.threshold if k.direction == "lower" else v >= t.threshold)
                expr = expr.then(float(t.score))
            return expr.otherwise(float(k.tiers[-1].score))
        if k.method == "linear":
            ratio = (v - k.floor) / (k.target - k.floor)
            return 100.0 * ratio.clip(0.0, k.cap)
        if k.method == "deduction":
            out = k.start - k.per_incident * v
            return out if k.allow_negative else out.clip(lower_bound=0.0)
        return 100.0 * (v - k.scale_min) / (k.scale_max - k.scale_min)

    def round_away(expr: pl.Expr) -> pl.Expr:
        # Divided by a column, not a literal: polars turns x / 100.0 into x * 0.01, one unit in
        # the last place off the engine's (and SQL's) true division for 12 % of totals.
        scaled = (expr * 100.0).round(6)
        return scaled.sign() * (scaled.abs() + 0.5).floor() / pl.col("_hundred")

    role_plans = {
        normalize_header(n): i
        for i, names in enumerate(((p.name, *p.aliases) for p in scheme.roles), start=1)
        for n in names
    }
    weights = pl.from_pandas(plan_weights_frame(scheme))
    score_ids = [f"score_{k}" for k in scheme.kpi_ids]

    def present(k: Kpi) -> pl.Expr:
        if (k.missing or scheme.missing) == "zero":
            return pl.lit(1.0)
        return pl.col(f"score_{k.id}").is_not_null().cast(pl.Float64)

    cats = []
    for cat in scheme.categories:
        members = [k for k in scheme.kpis if k.category == cat.id]
        numerator = pl.sum_horizontal(
            [
                pl.col(f"w_{k.id}") * present(k) * pl.col(f"score_{k.id}").fill_null(0.0)
                for k in members
            ]
            or [pl.lit(0.0)]
        )
        denominator = pl.sum_horizontal(
            [pl.col(f"w_{k.id}") * present(k) for k in members] or [pl.lit(0.0)]
        )
        cats.append(pl.when(denominator > 0).then(numerator / denominator).alias(f"cat_{cat.id}"))
    missing = pl.sum_horizontal(
        [
            ((pl.col(f"w_{k.id}") > 0) & pl.col(f"score_{k.id}").is_null()).cast(pl.Int32)
            for k in scheme.kpis
        ]
    ).alias("missing_count")
    cat_sum = pl.sum_horizontal(
        [pl.col(f"cw_{c}") * pl.col(f"cat_{c}").fill_null(0.0) for c in scheme.category_ids]
    )
    cat_weight = pl.sum_horizontal(
        [
            pl.col(f"cw_{c}") * pl.col(f"cat_{c}").is_not_null().cast(pl.Float64)
            for c in scheme.category_ids
        ]
    )
    total = pl.col("total")

    def grade(language: str) -> pl.Expr:
        expr = pl.when(total.is_null()).then(None)
        for g in scheme.grades[:-1]:
            expr = expr.when(total >= g.min).then(pl.lit(g.name if language == "zh" else g.name_en))
        last = scheme.grades[-1]
        return expr.otherwise(pl.lit(last.name if language == "zh" else last.name_en))

    rule = scheme.money
    if rule.mode == "performance_pay":
        raw_money = rule.base * total / pl.col("_hundred")
    else:
        amounts = rule.amounts if rule.mode == "grade_amount" else rule.coefficients
        factor = rule.base if rule.mode == "grade_coefficient" else 1.0
        expr = pl.when(total.is_null()).then(None)
        for g in scheme.grades[:-1]:
            expr = expr.when(total >= g.min).then(float(amounts.get(g.name, 0.0)))
        raw_money = expr.otherwise(float(amounts.get(scheme.grades[-1].name, 0.0))) * factor
    if scheme.tie_break:
        tie = pl.col(f"score_{scheme.tie_break}").fill_null(-1.0).clip(-1.0, 999.0)
        key = (total * 100.0).round() * 10000.0 + (tie * 10.0).round()
    else:
        key = total
    ranks = []
    for column, scope in scoring.RANK_SCOPES.items():
        over = ["period", *(pl.col(c).fill_null("") for c in scope)]
        ranks.append(pl.col("rank_key").rank("min", descending=True).over(over).alias(column))
    roster = [c for c in ["period", *scoring.ROSTER_COLUMNS] if c in columns]

    def run(facts: pl.DataFrame) -> pl.DataFrame:
        plan = (
            pl.col("role")
            .str.strip_chars()
            .str.replace_all(r"[\s\ufeff\u3000_\-]", "")
            .str.replace_all("（", "(")
            .str.replace_all("）", ")")
            .str.to_lowercase()
            .replace_strict(role_plans, default=0, return_dtype=pl.Int64)
            .fill_null(0)
        )
        return (
            facts.lazy()
            .select([*(pl.col(c) for c in roster), *(value(k).alias(k.id) for k in scheme.kpis)])
            .with_columns(
                [score(k).alias(f"score_{k.id}") for k in scheme.kpis], plan=plan, _hundred=100.0
            )
            .join(weights.lazy(), on="plan", how="left")
            .with_columns([*cats, missing])
            .with_columns(total=round_away(pl.when(cat_weight > 0).then(cat_sum / cat_weight)))
            .with_columns(grade=grade("zh"), grade_en=grade("en"), rank_key=key)
            .with_columns([*ranks, round_away(raw_money).alias("bonus")])
            .select(
                [
                    *roster,
                    *scheme.kpi_ids,
                    *score_ids,
                    *(f"cat_{c}" for c in scheme.category_ids),
                    "total",
                    "missing_count",
                    "grade",
                    "grade_en",
                    *scoring.RANK_SCOPES,
                    "bonus",
                ]
            )
            .collect()
        )

    return run


def duckdb_round_rule(con: duckdb.DuckDBPyConnection) -> str:
    """Which way DuckDB's ROUND on DOUBLE breaks ties, measured."""
    got = con.sql(
        "SELECT round(CAST(2.5 AS DOUBLE)), round(CAST(-2.5 AS DOUBLE)), "
        "round(CAST(0.125 AS DOUBLE), 2)"
    ).fetchall()[0]
    if got[:2] == (3.0, -3.0):
        return f"half away from zero (2.5 → {got[0]:g}, -2.5 → {got[1]:g}, 0.125 → {got[2]:g})"
    return f"half to even (2.5 → {got[0]:g}, -2.5 → {got[1]:g}, 0.125 → {got[2]:g})"


# ------------------------------------------------------------------ comparisons


def mismatches(left: pd.DataFrame, right: pd.DataFrame, columns: list[str]) -> dict[str, int]:
    """Rows where two scored tables differ, per column, matched on (period, employee_id)."""
    keys = ["period", "employee_id"]
    both = left[keys + columns].merge(
        right[keys + columns], on=keys, suffixes=("_a", "_b"), how="outer", indicator=True
    )
    out = {"unmatched rows": int((both["_merge"] != "both").sum())}
    for column in columns:
        a = both[f"{column}_a"].astype(object)
        b = both[f"{column}_b"].astype(object)
        same = (a == b) | (pd.isna(a) & pd.isna(b))
        out[column] = int((~same).sum())
    return out


# ------------------------------------------------------------------ profile


def profile_parse(csv_path: Path, scheme: Scheme, period: str | None) -> None:
    """Time parse_file's stages, then the heaviest functions under cProfile (on one thread, so
    the profile shows the work rather than threads waiting for each other)."""
    data = csv_path.read_bytes()
    start = time.perf_counter()
    cells, encoding = read_csv_cells(data)
    t_read = time.perf_counter() - start
    start = time.perf_counter()
    parse_cells(cells, scheme, csv_path.name, data, encoding, period)
    t_cells = time.perf_counter() - start
    print(
        f"\nparse_file stages: read_csv_cells (Arrow, checks UTF-8 while reading) {t_read:.3f} s, "
        f"parse_cells (validation, side by side) {t_cells:.3f} s"
    )
    with one_thread():
        profiler = cProfile.Profile()
        profiler.enable()
        parse_cells(cells, scheme, csv_path.name, data, encoding, period)
        profiler.disable()
    print_profile(profiler, "parse_cells on one thread")


@contextmanager
def one_thread() -> Iterator[None]:
    """engine.scoring.parallel on one thread for a while."""
    cores = parallel.CORES
    parallel.CORES = 1
    try:
        yield
    finally:
        parallel.CORES = cores


def profile_scoring(facts: pd.DataFrame, scheme: Scheme) -> None:
    """Time score_table's steps one by one, the way score_table chains them."""
    steps: dict[str, float] = {}

    def step(name: str, action: Callable[[], object]) -> object:
        start = time.perf_counter()
        result = action()
        steps[name] = time.perf_counter() - start
        return result

    roster = step(
        "roster reindex",
        lambda: facts.reindex(columns=["period", *scoring.ROSTER_COLUMNS]).reset_index(drop=True),
    )
    values = step("kpi_values", lambda: scoring.kpi_values(facts.reset_index(drop=True), scheme))
    group_columns = ["period", "department", "team"]
    codes = step(
        "value_codes ×3 (side by side)", lambda: scoring.column_codes(roster, group_columns)
    )
    plans = step("plan_index", lambda: scoring.plan_index(roster["role"], scheme))
    scored = step(
        "score_rows (blocks side by side)",
        lambda: scoring.score_rows([values[k].to_numpy() for k in scheme.kpi_ids], plans, scheme),
    )
    table = roster.assign(total=scored.total)
    grades = step(
        "grade_codes", lambda: scoring.grade_codes(scored.total, scoring.scheme_cutoffs(scheme))
    )
    step("ranks ×3 (side by side)", lambda: scoring.ranks(table, scheme, codes=codes))
    step("money", lambda: scoring.money(scored.total, grades, scheme))
    total = sum(steps.values())
    print(f"\nscore_table steps ({len(facts):,} rows, {total:.3f} s in all):")
    for name, seconds in sorted(steps.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<34} {seconds:7.3f} s  {seconds / total:5.1%}")
    with one_thread():
        profiler = cProfile.Profile()
        profiler.enable()
        scoring.score_table(facts, scheme)
        profiler.disable()
    print_profile(profiler, "score_table on one thread", sort="tottime")


def print_profile(
    profiler: cProfile.Profile, title: str, limit: int = 14, sort: str = "cumulative"
) -> None:
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats(sort).print_stats(limit)
    lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print(f"cProfile of {title}, by {'cumulative' if sort == 'cumulative' else 'own'} time:")
    print("\n".join(lines[start : start + limit + 1]))


# ------------------------------------------------------------------ report


def load_average() -> list[str]:
    """The 1, 5 and 15 minute load averages, to show how busy the machine was."""
    source = Path("/proc/loadavg")
    return source.read_text().split()[:3] if source.exists() else ["?"]


def machine_facts() -> list[str]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    load = load_average()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"machine : {platform.machine()} {model}, {usable} usable cores ({os.cpu_count()} online), "
        f"load average {' '.join(load)}",
        f"python  : {platform.python_version()}   numpy {np.__version__}   pandas {pd.__version__}"
        f"   duckdb {duckdb.__version__}   pyarrow {pa.__version__}",
    ]


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("step", "runs", "wall s", "cpu s", "÷ baseline", "comparison", "target (wall)", "met")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--rows",
        type=int,
        default=DEFAULT_ROWS,
        help=f"employee-months to generate (default {DEFAULT_ROWS:,}); "
        "ceil(rows/12) employees × 12 months",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="runs per fast step, median reported (default 3); the import and the "
        "row-wise scoring run once",
    )
    p.add_argument(
        "--sample",
        type=int,
        default=ROWWISE_SAMPLE,
        help=f"rows scored row by row, scaled to --rows (default {ROWWISE_SAMPLE:,})",
    )
    p.add_argument(
        "--period",
        default=None,
        metavar="YYYY-MM",
        help="give the import file's month as this option and leave the period "
        "column out of the file (default: the file has a period column)",
    )
    p.add_argument("--scheme", default=None, help="scheme file (default: the after-sales scheme)")
    p.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    p.add_argument(
        "--profile",
        action="store_true",
        help="also time parse_file's and score_table's sub-steps (cProfile)",
    )
    p.add_argument(
        "--keep",
        nargs="?",
        const=True,
        default=None,
        metavar="DIR",
        help="keep the temporary folder and print it; with DIR, work in DIR and keep it (with "
        "--db: the built store, and a PostgreSQL cluster, stay there and are used again)",
    )
    p.add_argument(
        "--db",
        default=None,
        help="group scale instead (bench/group.py): a store of --rows employee-months, whole "
        "years of about 80,000 staff, on duckdb (a file), postgresql (a local cluster started "
        "for the bench) or a DuckDB path / PostgreSQL URL; then a month's import, a month and "
        "a year scored from the store, the trends' aggregates and the Overview cold and warm",
    )
    p.add_argument(
        "--months",
        type=int,
        default=None,
        help="with --db: months of data (default: whole years of about 80,000 staff, at least 12)",
    )
    p.add_argument(
        "--import-repeats",
        type=int,
        default=1,
        help="with --db: imports of the next month, each into a new copy of the store (default 1)",
    )
    p.add_argument(
        "--no-pandas",
        action="store_true",
        help="with --db: leave out reading every month's rows into pandas (the heavy comparison)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.db is not None:
        from bench.group import main as group_scale

        return group_scale(args)
    scheme = load_scheme(args.scheme)
    scale = args.rows / DEFAULT_ROWS
    folder = Path(tempfile.mkdtemp(prefix="assess-bench-"))
    if isinstance(args.keep, str):
        folder = Path(args.keep)
        folder.mkdir(parents=True, exist_ok=True)
    try:
        return run(args, scheme, scale, folder)
    finally:
        if args.keep:
            print(f"\nfiles kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, scheme: Scheme, scale: float, folder: Path) -> int:
    for line in machine_facts():
        print(line)
    started = time.perf_counter()
    generated = employee_months(args.rows, scheme, args.seed)
    year_csv = folder / "employee_months.csv"
    write_csv(generated, year_csv)
    month_csv = folder / f"{IMPORT_MONTH}.csv"
    write_csv(one_month(generated, period_column=args.period is None), month_csv)
    employees = generated["employee_id"].nunique()
    roles = generated["role"].value_counts(dropna=False)
    print(
        f"data    : {len(generated):,} rows = {employees:,} employees × {len(MONTHS)} months "
        f"({MONTHS[0]} … {MONTHS[-1]}), {len(scheme.kpis)} KPIs, "
        f"{generated['department'].nunique()} departments, "
        f"{generated[['department', 'team']].drop_duplicates().shape[0]:,} teams; "
        f"blank KPI cells {generated[scheme.kpi_ids].isna().to_numpy().mean():.1%}"
    )
    print(
        "roles   : "
        + ", ".join(f"{r if isinstance(r, str) else '(blank)'} {n:,}" for r, n in roles.items())
    )
    print(
        f"files   : {year_csv.name} {year_csv.stat().st_size / 1e6:.0f} MB (12 months); "
        f"{month_csv.name} {month_csv.stat().st_size / 1e6:.0f} MB (one month, unique ids, "
        f"{'period column' if args.period is None else 'month given as --period'}); "
        f"generated in {time.perf_counter() - started:.1f} s"
    )
    del generated

    # Baseline: the plainest way to get the same CSV into memory. Its result is the facts table.
    t_base, facts = timed(lambda: pd.read_csv(year_csv), args.repeats)
    repeats = args.repeats

    t_parse, t_store = import_once(month_csv, scheme, args.period, folder)

    t_columnar, columnar = timed(lambda: scoring.score_table(facts, scheme), repeats)

    sample_at = np.sort(
        np.random.default_rng(args.seed).choice(
            len(facts), size=min(args.sample, len(facts)), replace=False
        )
    )
    sample = facts.iloc[sample_at].reset_index(drop=True)
    t_rowwise_sample, rowwise = timed(lambda: score_rowwise(sample, scheme), 1)
    t_rowwise = t_rowwise_sample * (len(facts) / len(sample))
    rowwise_check = mismatches(
        rowwise, scoring.score_table(sample, scheme), ["total", "grade", "bonus"]
    )
    assert not any(rowwise_check.values()), f"row-wise and columnar differ: {rowwise_check}"
    print(f"check   : row-wise totals match ({len(sample):,} sampled rows; grades and money too)")

    con = duckdb.connect()
    weights = plan_weights_frame(scheme)
    query = scoring_sql(scheme, list(facts.columns))
    t_sql, sql_arrow = timed(lambda: score_sql(con, facts, weights, query), repeats)
    sql_check = mismatches(
        columnar,
        sql_arrow.to_pandas(),
        ["total", "grade", "bonus", "rank", "dept_rank", "team_rank"],
    )
    print(
        f"check   : DuckDB ROUND on DOUBLE rounds {duckdb_round_rule(con)}; "
        "the SQL rounds with sign·floor(|x|+0.5) after ROUND(x,6), as the engine does"
    )
    print(
        "check   : SQL vs columnar mismatches: "
        + ", ".join(f"{k} {v:,}" for k, v in sql_check.items())
    )
    facts_arrow = pa.Table.from_pandas(facts, preserve_index=False)
    weights_arrow = pa.Table.from_pandas(weights, preserve_index=False)
    best_query = best_scoring_sql(scheme, list(facts.columns))
    t_best, best_arrow = timed(
        lambda: score_best_sql(con, facts_arrow, weights_arrow, best_query), repeats
    )
    con.close()
    import polars as pl  # bench only: pinned in bench/requirements.txt

    facts_polars = pl.from_arrow(facts_arrow)
    run_polars = polars_scoring(scheme, list(facts.columns))
    t_polars, polars_out = timed(lambda: run_polars(facts_polars), repeats)
    checked = ["total", "grade", "bonus", "rank", "dept_rank", "team_rank"]
    for name, result in (("best SQL", best_arrow.to_pandas()), ("polars", polars_out.to_pandas())):
        found = mismatches(columnar, result, checked)
        print(
            f"check   : {name} vs columnar mismatches: "
            + ", ".join(f"{k} {v:,}" for k, v in found.items())
        )
        assert not any(found.values()), f"{name} and the engine differ: {found}"

    rowwise_ratio = t_rowwise.wall / t_columnar.wall
    sql_ratio = t_columnar.wall / t_sql.wall
    import_target = TARGET_IMPORT_SECONDS * scale
    scoring_target = TARGET_SCORING_SECONDS * scale

    def row(
        step: str,
        runs: int,
        t: Timing,
        comparison: str = "",
        target: str = "",
        met: bool | None = None,
    ) -> tuple[str, ...]:
        digits = 1 if t.wall >= 100 else 3
        return (
            step,
            str(runs),
            f"{t.wall:.{digits}f}",
            f"{t.cpu:.{digits}f}",
            f"{t.wall / t_base.wall:.2f}",
            comparison,
            target,
            "" if met is None else ("yes" if met else "NO"),
        )

    rows = [
        row(f"baseline: pandas.read_csv, {len(facts):,} rows", repeats, t_base),
        row("import: parse_file (decode+parse+validate)", 1, t_parse),
        row("import: Store.import_file (1 transaction)", 1, t_store),
        row(
            "import: total",
            1,
            t_parse + t_store,
            "",
            f"≤ {import_target:.2f} s",
            (t_parse + t_store).wall <= import_target,
        ),
        row(
            "scoring: score_table (columnar)",
            repeats,
            t_columnar,
            "",
            f"≤ {scoring_target:.2f} s",
            t_columnar.wall <= scoring_target,
        ),
        row(
            f"scoring: apply(axis=1), {len(sample):,} rows ×{len(facts) / len(sample):g}",
            1,
            t_rowwise,
            f"row-wise/columnar {rowwise_ratio:.0f}×",
            f"≥ {TARGET_ROWWISE_RATIO:.0f}×",
            rowwise_ratio >= TARGET_ROWWISE_RATIO,
        ),
        row(
            "scoring: DuckDB SQL into Arrow",
            repeats,
            t_sql,
            f"columnar/SQL {sql_ratio:.2f}",
            f"≤ {TARGET_SQL_RATIO:.2f}",
            sql_ratio <= TARGET_SQL_RATIO,
        ),
        row(
            "scoring: DuckDB SQL, best written (Arrow in/out)",
            repeats,
            t_best,
            f"columnar/SQL {t_columnar.wall / t_best.wall:.2f}",
        ),
        row(
            "scoring: polars lazy",
            repeats,
            t_polars,
            f"columnar/polars {t_columnar.wall / t_polars.wall:.2f}",
        ),
    ]
    print()
    print_table(rows)
    if scale != 1:
        print(f"(time targets scaled linearly from 1,000,000 rows to {len(facts):,})")
    print(
        "wall s = median wall-clock time; cpu s = this process's CPU time in the same runs "
        "(all threads, so DuckDB's can exceed wall); ÷ baseline uses wall time."
    )
    print(
        f"bench wall time {time.perf_counter() - started:.0f} s; load average now "
        f"{' '.join(load_average())} (other processes on the machine inflate wall times)"
    )

    if args.profile:
        profile_parse(month_csv, scheme, args.period)
        profile_scoring(facts, scheme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
