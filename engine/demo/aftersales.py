"""Deterministic demo data: twelve monthly assessment CSVs shaped the way Excel saves them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.output.export import ROSTER_HEADERS_ZH
from engine.paths import DEFAULT_SCHEME, SAMPLE_DIR
from engine.schemes.rules_spec import load_rules
from engine.schemes.scheme import Scheme, load_scheme

DEFAULT_SEED = 20261
MONTHS = tuple(str(p) for p in pd.period_range("2025-11", "2026-10", freq="M"))
YEAR_START = pd.Timestamp("2025-11-01")

ROLES = ("服务工程师", "客服专员", "技术支持工程师", "备件专员")
REGIONS = ("华东", "华北", "华南", "西南")
REGION_SHARES = (0.35, 0.25, 0.25, 0.15)
TEAM_NUMERALS = ("一", "二", "三")
SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董")
GIVEN_CHARS = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉萍红鹏辉建文斌宇浩凯婷雪琳晨博欣怡俊峰"
)

PERSON_COLUMNS = ("employee_id", "name", "department", "team", "role", "region", "hire_date")
PERSON_HEADERS_ZH = {"period": "月份", **ROSTER_HEADERS_ZH}


@dataclass(frozen=True)
class Department:
    name: str
    team_prefix: str
    teams: int
    headcount: int
    level: float  # how far above or below the company the department performs, in ability units
    role_shares: tuple[float, float, float, float]  # in ROLES order


DEPARTMENTS = (
    Department("售后服务部", "售后", 3, 68, 0.0, (1.0, 0.0, 0.0, 0.0)),
    Department("客服部", "客服", 3, 58, 0.15, (0.1, 0.9, 0.0, 0.0)),
    Department("技术支持部", "技术", 2, 44, 0.3, (0.0, 0.0, 1.0, 0.0)),
    Department("备件部", "备件", 2, 34, -0.15, (0.0, 0.0, 0.0, 1.0)),
    Department("质检部", "质检", 2, 30, 0.1, (1.0, 0.0, 0.0, 0.0)),
    Department("呼叫中心", "呼叫", 3, 56, -0.35, (0.0, 0.92, 0.08, 0.0)),
)

NEW_HIRES = 24
NEW_HIRE_GAP = 0.3  # newcomers start a little below the staff they join
LEAVERS = 14
ABILITY_SD = 0.8
TREND_SHARE = 0.10  # improvers, and as many decliners
TREND_SIZE = 1.4  # change in performance from the first to the last month
MONTHLY_NOISE = 0.35
KPI_KNACK_SD = 0.5  # each person is better at some KPIs than others
OUTLIERS = 8
OUTLIER_DROP = 3.0
# Spring Festival (2026-02) and the summer air-conditioning peak (2026-07/08) are hard months.
# Columns the rules across months read (data/schemes/rules/aftersales.toml), from a random
# stream of their own so the KPI values stay as they were without them.
RULE_INPUTS_STREAM = 1
OPENING_POINTS = (330.0, 45.0, 30.0)  # points at the start: base + per ability + noise
COMPLACENT_SHARE = 0.1  # staff who rarely earn plus points (不思进取, seed 000 §5.2.5)
KNOWLEDGE_TEST_MONTHS = frozenset({"2026-01", "2026-04", "2026-07", "2026-10"})  # quarterly
MAJOR_ERROR_SHARE = 0.004
LADDER = ("普通", "星级", "钻级", "皇冠级")
LADDER_MERIT = (1.0, 1.8, 2.7)  # ability + years of service / 4 needed for each higher step
MONTH_LEVEL = np.array([0.05, 0.0, -0.05, -0.25, 0.0, 0.05, 0.05, -0.1, -0.1, 0.0, 0.05, 0.05])
BLANK_SHARE = 0.01
# Cases behind the rates and who rated, from a stream of their own (the other columns stay as
# they were): each person handles a typical number of surveys / calls a month (some few: part
# time, new, back office), and the rate is what those cases gave (binomial around the person's
# true rate). One team's rater is lenient, one harsh.
CASES_STREAM = 2
CASE_COLUMNS = {  # KPI → (cases column, median cases a month, spread between people)
    "satisfaction": ("回访数", 28.0, 0.7),
    "first_contact_resolution": ("来电数", 160.0, 0.5),
}
RATER_COLUMN = "评分人"
RATED_KPI = "manager_rating"
RATER_BIAS = {"客服一组": 9.0, "呼叫二组": -9.0}  # points the team's rater adds (lenient, harsh)
# Two service engineers close jobs in a hurry in the last two months (the scheme's gaming
# pair fault_days down / rework_rate up): fault days cut to a third, rework up 7 points.
GAMING_MONTHS = frozenset({"2026-09", "2026-10"})
HURRIED_JOBS = ("E0008", "E0011")
NON_REPAIR_ROLE = "客服专员"
REPAIR_KPIS = ("fault_days", "rework_rate")

# How each month's file departs from plain UTF-8 with English headers.
CHINESE_FILE_NAMES = frozenset({"2026-03", "2026-07"})
CHINESE_HEADERS = frozenset({"2026-01", "2026-02", "2026-03", "2026-07"})
ENCODINGS = {"2026-02": "gbk", "2025-12": "utf-8-sig", "2026-07": "utf-8-sig"}
PERIOD_COLUMN = frozenset({"2026-05", "2026-09"})
PERCENT_STRINGS = frozenset({"2026-04", "2026-08"})
PERCENT_STRING_KPI = "satisfaction"


@dataclass(frozen=True)
class KpiModel:
    """How a KPI follows performance p: normal (centre + slope·p + noise·z), lognormal
    (centre·exp(slope·p + noise·z)) or count (Poisson with rate centre·exp(slope·p))."""

    shape: str
    centre: float
    slope: float
    noise: float
    low: float
    high: float
    decimals: int


KPI_MODELS = {
    "fault_days": KpiModel("lognormal", 3.6, -0.3, 0.3, 0.5, 15.0, 1),
    "first_contact_resolution": KpiModel("normal", 79.0, 7.0, 4.0, 30.0, 100.0, 1),
    "rework_rate": KpiModel("lognormal", 2.8, -0.4, 0.35, 0.0, 30.0, 1),
    "upheld_complaints": KpiModel("count", 0.25, -0.8, 0.0, 0.0, 6.0, 0),
    "on_time_rate": KpiModel("normal", 88.0, 5.0, 3.0, 40.0, 100.0, 1),
    "order_achievement": KpiModel("normal", 95.0, 10.0, 6.0, 30.0, 130.0, 1),
    "response_minutes": KpiModel("lognormal", 7.5, -0.3, 0.25, 2.0, 25.0, 1),
    "skill_rating": KpiModel("normal", 3.6, 0.55, 0.35, 0.0, 5.0, 1),
    "late_responses": KpiModel("count", 0.5, -0.8, 0.0, 0.0, 8.0, 0),
    "satisfaction": KpiModel("normal", 86.5, 5.0, 3.0, 40.0, 100.0, 1),
    "complaint_rate": KpiModel("lognormal", 2.2, -0.45, 0.35, 0.0, 10.0, 1),
    "manager_rating": KpiModel("normal", 80.0, 8.0, 4.0, 30.0, 100.0, 0),
}


# ------------------------------------------------------------------ roster


def _departments(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Department index of every starting employee, then of every new hire."""
    sizes = np.array([d.headcount for d in DEPARTMENTS])
    starting = np.repeat(np.arange(len(DEPARTMENTS)), sizes)
    hires = rng.choice(len(DEPARTMENTS), size=NEW_HIRES, p=sizes / sizes.sum())
    return starting, hires


def _teams(rng: np.random.Generator, dept: np.ndarray) -> np.ndarray:
    """Team names like 售后二组, spread evenly over each department's teams."""
    counts = np.array([d.teams for d in DEPARTMENTS])[dept]
    number = np.floor(rng.random(dept.size) * counts).astype(int)
    prefixes = np.array([d.team_prefix for d in DEPARTMENTS])[dept]
    return prefixes + np.array(TEAM_NUMERALS)[number] + "组"


def _roles(rng: np.random.Generator, dept: np.ndarray) -> np.ndarray:
    """A role per employee, drawn from the department's mix of roles."""
    shares = np.array([d.role_shares for d in DEPARTMENTS])
    cumulative = np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)
    pick = (rng.random(dept.size)[:, None] >= cumulative[dept]).sum(axis=1)
    return np.array(ROLES)[np.minimum(pick, len(ROLES) - 1)]


def _names(rng: np.random.Generator, size: int) -> np.ndarray:
    """Chinese names: a common surname and a one- or two-character given name."""
    popularity = 1.0 / (np.arange(len(SURNAMES)) + 4.0)
    surname = rng.choice(SURNAMES, size=size, p=popularity / popularity.sum())
    first = rng.choice(GIVEN_CHARS, size=size)
    second = np.where(rng.random(size) < 0.7, rng.choice(GIVEN_CHARS, size=size), "")
    return surname + first + second


def _hire_dates(rng: np.random.Generator, starting: int) -> pd.DatetimeIndex:
    """Starting staff joined up to 15 years before the year; new hires join during it."""
    back = np.minimum(rng.gamma(2.0, 2 * 365, size=starting), 15 * 365).astype(int) + 1
    during = rng.integers(0, 334, size=NEW_HIRES)  # by 2026-09-30, so each is assessed once
    days = np.concatenate([-back, during])
    return YEAR_START + pd.to_timedelta(days, unit="D")


def _first_months(hired: pd.DatetimeIndex) -> np.ndarray:
    """Month index of the first assessment: the hire month if hired by the 15th, else the next."""
    months = (hired.year - YEAR_START.year) * 12 + hired.month - YEAR_START.month
    return np.maximum(months + (hired.day > 15), 0).to_numpy()


def _last_months(rng: np.random.Generator, size: int, starting: int) -> np.ndarray:
    """Month index of the last assessment; a few starting staff leave during the year."""
    last = np.full(size, len(MONTHS) - 1)
    leavers = rng.choice(starting, size=LEAVERS, replace=False)
    last[leavers] = rng.integers(1, len(MONTHS) - 1, size=LEAVERS)
    return last


def _trends(rng: np.random.Generator, size: int) -> np.ndarray:
    """Change in performance over the year: about one in ten improves, one in ten declines."""
    draw = rng.random(size)
    return np.select([draw < TREND_SHARE, draw < 2 * TREND_SHARE], [TREND_SIZE, -TREND_SIZE], 0.0)


def _roster(rng: np.random.Generator) -> pd.DataFrame:
    """Everyone employed at some point in the year, ids given in order of hire."""
    starting_dept, hired_dept = _departments(rng)
    dept = np.concatenate([starting_dept, hired_dept])
    hired = _hire_dates(rng, starting_dept.size)
    is_new = np.arange(dept.size) >= starting_dept.size
    levels = np.array([d.level for d in DEPARTMENTS])
    ability = rng.normal(0.0, ABILITY_SD, dept.size) - NEW_HIRE_GAP * is_new + levels[dept]
    roster = pd.DataFrame(
        {
            "name": _names(rng, dept.size),
            "department": np.array([d.name for d in DEPARTMENTS])[dept],
            "team": _teams(rng, dept),
            "role": _roles(rng, dept),
            "region": rng.choice(REGIONS, size=dept.size, p=REGION_SHARES),
            "hired": hired,
            "ability": ability,
            "trend": _trends(rng, dept.size),
            "first_month": _first_months(hired),
            "last_month": _last_months(rng, dept.size, starting_dept.size),
        }
    )
    roster = roster.sort_values("hired", kind="stable", ignore_index=True)
    roster.insert(0, "employee_id", [f"E{i:04d}" for i in range(1, len(roster) + 1)])
    roster["hire_date"] = roster["hired"].dt.strftime("%Y-%m-%d")
    return roster


# ------------------------------------------------------------------ monthly values


def _panel(rng: np.random.Generator, roster: pd.DataFrame) -> pd.DataFrame:
    """One row per employee per month employed, in month then id order, with performance p."""
    months = np.arange(len(MONTHS))[:, None]
    employed = (months >= roster["first_month"].to_numpy()) & (
        months <= roster["last_month"].to_numpy()
    )
    month, person = np.nonzero(employed)
    progress = month / (len(MONTHS) - 1) - 0.5
    performance = (
        roster["ability"].to_numpy()[person]
        + roster["trend"].to_numpy()[person] * progress
        + MONTH_LEVEL[month]
        + rng.normal(0.0, MONTHLY_NOISE, month.size)
    )
    performance[rng.choice(month.size, size=OUTLIERS, replace=False)] -= OUTLIER_DROP
    return pd.DataFrame({"month": month, "person": person, "performance": performance})


def _kpi_values(rng: np.random.Generator, model: KpiModel, p: np.ndarray) -> np.ndarray:
    """Raw values of one KPI for performances p, kept within the model's plausible range."""
    if model.shape == "count":
        values = rng.poisson(model.centre * np.exp(model.slope * p)).astype(float)
    elif model.shape == "lognormal":
        values = model.centre * np.exp(model.slope * p + model.noise * rng.standard_normal(p.size))
    else:
        values = model.centre + model.slope * p + model.noise * rng.standard_normal(p.size)
    return np.clip(values, model.low, model.high)


def _kpis(
    rng: np.random.Generator, panel: pd.DataFrame, roles: np.ndarray, scheme: Scheme
) -> dict[str, pd.Series]:
    """Every KPI column: values clipped to the scheme's valid range, blanks where due."""
    person = panel["person"].to_numpy()
    knack = rng.normal(0.0, KPI_KNACK_SD, (int(person.max()) + 1, len(KPI_MODELS)))
    blank = rng.random((person.size, len(KPI_MODELS))) < BLANK_SHARE
    repair = [list(KPI_MODELS).index(k) for k in REPAIR_KPIS]
    blank[:, repair] |= (roles == NON_REPAIR_ROLE)[:, None]
    columns = {}
    for j, (kpi_id, model) in enumerate(KPI_MODELS.items()):
        # The model lets order_achievement run to 130%, but an import refuses anything
        # outside the scheme's valid range, so the scheme has the last word.
        low, high = scheme.kpi(kpi_id).valid_range
        raw = _kpi_values(rng, model, panel["performance"].to_numpy() + knack[person, j])
        values = pd.Series(np.clip(raw, low, high).round(model.decimals)).mask(blank[:, j])
        columns[kpi_id] = values.astype("Int64") if model.decimals == 0 else values
    return columns


def _rule_inputs(rng: np.random.Generator, panel: pd.DataFrame, roster: pd.DataFrame) -> dict:
    """Points (opening, or entry points for new staff), plus and minus points, the quarterly
    knowledge test, major errors and each person's promotion step."""
    person, month = panel["person"].to_numpy(), panel["month"].to_numpy()
    p = panel["performance"].to_numpy()
    new = (roster["hired"] >= YEAR_START).to_numpy()
    base, per_ability, noise = OPENING_POINTS
    opening = base + per_ability * roster["ability"] + rng.normal(0, noise, len(roster))
    first_row = month == roster["first_month"].to_numpy()[person]
    drive = np.where(rng.random(len(roster)) < COMPLACENT_SHARE, -0.6, 1.4)[person]
    gains = rng.random(p.size) < 1 / (1 + np.exp(-(1.2 * p + drive)))
    tested = np.isin(np.array(MONTHS)[month], list(KNOWLEDGE_TEST_MONTHS))
    passed = rng.random(p.size) < 1 / (1 + np.exp(-(1.5 * p + 1.5)))
    years = (YEAR_START - roster["hired"]).dt.days.clip(lower=0) / 365.25
    merit = roster["ability"] + years / 4 + rng.normal(0, 0.3, len(roster))
    step = np.where(new, 0, np.searchsorted(LADDER_MERIT, merit))

    def whole(values: np.ndarray, keep: np.ndarray) -> pd.Series:
        return pd.Series(np.where(keep, np.round(values), np.nan)).astype("Int64")

    size = p.size
    return {
        "year_points": whole(np.clip(opening, 200, 600)[person], (month == 0) & ~new[person]),
        "entry_exam": whole(rng.integers(80, 96, size), first_row & new[person]),
        "experience_points": whole(rng.integers(8, 15, size) * 10, first_row & new[person]),
        "education_points": whole(rng.integers(4, 9, size) * 10, first_row & new[person]),
        "plus_points": whole(np.where(gains, rng.integers(1, 3, size) * 5, 0), True),
        "minus_points": whole(rng.poisson(0.25, size) * 5, True),
        "knowledge_test": pd.Series(np.where(passed, "通过", "未通过")).where(tested),
        "major_error": pd.Series(np.where(rng.random(size) < MAJOR_ERROR_SHARE, "是", "否")),
        "ladder_step": pd.Series(np.array(LADDER)[step][person]),
    }


def _all_rows(seed: int, scheme: Scheme) -> pd.DataFrame:
    """The whole year as one long frame with a month column."""
    rng = np.random.default_rng(seed)
    roster = _roster(rng)
    panel = _panel(rng, roster)
    people = roster.loc[panel["person"], list(PERSON_COLUMNS)].reset_index(drop=True)
    kpis = _kpis(rng, panel, people["role"].to_numpy(), scheme)
    inputs = _rule_inputs(np.random.default_rng([seed, RULE_INPUTS_STREAM]), panel, roster)
    cases = _cases_and_raters(np.random.default_rng([seed, CASES_STREAM]), panel, people, kpis)
    months = pd.Series(np.array(MONTHS)[panel["month"]], name="month")
    _game(kpis, people["employee_id"], months)
    frames = [months, people, pd.DataFrame(kpis), pd.DataFrame(inputs), pd.DataFrame(cases)]
    return pd.concat(frames, axis=1)


def _game(kpis: dict, ids: pd.Series, months: pd.Series) -> None:
    """The hurried engineers' fault days and rework in the last months (kpis updated in
    place)."""
    jobs = months.isin(GAMING_MONTHS) & ids.isin(HURRIED_JOBS)
    kpis["fault_days"] = kpis["fault_days"].mask(jobs, (kpis["fault_days"] / 3).clip(0.5))
    kpis["fault_days"] = kpis["fault_days"].round(1)
    kpis["rework_rate"] = kpis["rework_rate"].mask(jobs, (kpis["rework_rate"] + 7).clip(0, 30))


def _cases_and_raters(
    rng: np.random.Generator, panel: pd.DataFrame, people: pd.DataFrame, kpis: dict
) -> dict[str, pd.Series]:
    """Survey and call counts with the rates they gave (kpis updated in place), and a rater per
    team whose leniency moves the manager rating."""
    person = panel["person"].to_numpy()
    out: dict[str, pd.Series] = {}
    for kpi_id, (column, median, spread) in CASE_COLUMNS.items():
        volume = median * np.exp(rng.normal(0.0, spread, int(person.max()) + 1))
        cases = np.maximum(rng.poisson(volume[person]), 1)
        rate = kpis[kpi_id]
        hits = rng.binomial(cases, np.clip(rate.fillna(0.0).to_numpy() / 100.0, 0.0, 1.0))
        kpis[kpi_id] = pd.Series(np.round(100.0 * hits / cases, 1)).where(rate.notna())
        out[column] = pd.Series(cases).astype("Int64").where(rate.notna())
    teams = people["team"].astype(str)
    codes, distinct = pd.factorize(teams)
    rater_names = _names(rng, len(distinct))
    out[RATER_COLUMN] = pd.Series(rater_names[codes])
    bias = teams.map(RATER_BIAS).fillna(0.0).to_numpy()
    rating = kpis[RATED_KPI].astype(float)
    kpis[RATED_KPI] = (rating + bias).clip(0, 100).round().astype("Int64")
    return out


def _month_frames(seed: int, scheme: Scheme) -> dict[str, pd.DataFrame]:
    """The long frame split into one frame per month, in month order."""
    rows = _all_rows(seed, scheme)
    return {
        month: group.drop(columns="month").reset_index(drop=True)
        for month, group in rows.groupby("month", sort=True)
    }


def demo_frames(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Month → that month's rows with English column ids, before any file-format quirks."""
    return _month_frames(seed, load_scheme(DEFAULT_SCHEME))


# ------------------------------------------------------------------ files


def file_name(month: str) -> str:
    """`2026-01.csv`, or `考核_2026年03月.csv` for the months saved under a Chinese name."""
    if month in CHINESE_FILE_NAMES:
        year, number = month.split("-")
        return f"考核_{year}年{number}月.csv"
    return f"{month}.csv"


def file_encoding(month: str) -> str:
    """The encoding Excel saved the month in."""
    return ENCODINGS.get(month, "utf-8")


def _as_saved(frame: pd.DataFrame, month: str, scheme: Scheme) -> pd.DataFrame:
    """The month's frame with the quirks its file has: period column, % strings, Chinese headers."""
    saved = frame.copy()
    if month in PERCENT_STRINGS:
        saved[PERCENT_STRING_KPI] = saved[PERCENT_STRING_KPI].astype("string") + "%"
    if month in PERIOD_COLUMN:
        saved.insert(0, "period", month)
    if month in CHINESE_HEADERS:
        kpi_headers = {k.id: k.name_zh for k in scheme.kpis}
        saved = saved.rename(columns={**PERSON_HEADERS_ZH, **kpi_headers})
    # HR keeps the rule columns under their Chinese names in every month.
    inputs = {i.id: i.name_zh for i in load_rules(scheme).inputs}
    return saved.rename(columns=inputs).loc[:, saved.notna().any().to_numpy()]


def generate_demo(folder: Path = SAMPLE_DIR, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the twelve monthly CSVs into folder; returns their paths in month order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    scheme = load_scheme(DEFAULT_SCHEME)
    written = []
    for month, frame in _month_frames(seed, scheme).items():
        path = folder / file_name(month)
        _as_saved(frame, month, scheme).to_csv(
            path, index=False, encoding=file_encoding(month), lineterminator="\r\n"
        )
        written.append(path)
    return written


def import_files(store, scheme: Scheme, files: list[Path]) -> list[str]:
    """Import checked demo files into a store; one message per file. A demo file with a problem
    is a bug in the generator, so it stops with the problem list."""
    from engine.intake.parse import parse_file
    from engine.store import StoreError

    messages = []
    for file in files:
        parsed = parse_file(file, scheme)
        if not parsed.ok:
            raise StoreError(f"demo file {file.name} does not pass the checks:\n{parsed.problems}")
        messages.append(store.import_file(parsed).message)
    return messages
