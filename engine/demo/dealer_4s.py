"""Deterministic demo data for one 4S dealer group's after-sales departments (seed 004): three
dealerships, four roles, eighteen monthly CSVs with the extra columns the rules across months
read (points, plus points, repair jobs, NPS); the posts paid by a money formula (备件经理, 备件计划,
备件库管, 索赔专员) and the columns those formulas read, drawn from a random stream of their own so
that every other value stays as it was. `python -m engine.demo --dataset 4s` rewrites them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine import paths
from engine.demo.aftersales import GIVEN_CHARS, PERSON_HEADERS_ZH, SURNAMES, KpiModel, import_files
from engine.schemes.scheme import Scheme, load_scheme
from engine.store import Store

SAMPLE_4S_DIR = paths.DATA_DIR / "sample_4s"
SCHEME_4S = paths.SCHEMES_DIR / "dealer_4s.toml"
DB_4S = paths.DATA_DIR / "assessments_4s.duckdb"
DEFAULT_SEED = 4004
MONTHS = tuple(str(p) for p in pd.period_range("2025-01", "2026-06", freq="M"))


@dataclass(frozen=True)
class Dealer:
    name: str
    code: str
    region: str
    level: float  # how the dealership performs against the group, in ability units
    nps: tuple[float, float]  # the year's NPS score, 2025 and 2026
    region_rank: tuple[int, int]
    national_rank: tuple[int, int]


DEALERS = (
    Dealer("杭州宝诚", "HZ", "华东", 0.25, (83.0, 84.5), (2, 4), (15, 2)),
    Dealer("南京宝诚", "NJ", "华东", 0.0, (79.0, 78.2), (6, 5), (41, 38)),
    Dealer("成都宝诚", "CD", "西南", -0.25, (74.0, 80.1), (9, 3), (72, 30)),
)
# team, role, headcount per dealership, how much rework the team's work tends to bring back
TEAMS = (
    ("前台组", "服务顾问", 6, 0.0),
    ("机电一组", "维修技师", 6, -0.1),
    ("机电二组", "维修技师", 6, 0.15),
    ("钣喷组", "维修技师", 5, 0.35),
    ("配件组", "配件专员", 3, 0.0),
    ("质检组", "质检员", 2, 0.0),
)
TEAM_LEAD = "维修组长"  # the first technician of each 机电 team
ROLE_KPIS = {
    "服务顾问": (
        "entry_achievement",
        "repair_revenue_achievement",
        "accessory_achievement",
        "complaint_rate",
        "renewal_achievement",
    ),
    "维修技师": (
        "labor_revenue_achievement",
        "accessory_achievement",
        "first_time_fix_rate",
        "rework_rate",
        "cost_control_rate",
        "damaged_parts",
    ),
    "配件专员": (
        "parts_margin_achievement",
        "inventory_turnover",
        "long_stock_share",
        "supply_on_time_rate",
    ),
    "质检员": (
        "inspection_achievement",
        "rework_jobs",
        "first_time_fix_rate",
        "rework_rate",
        "cost_control_rate",
        "damaged_parts",
    ),
}
SHARED_KPIS = ("five_s", "daily_management")
ACHIEVEMENT = KpiModel("normal", 98.0, 9.0, 6.0, 40.0, 150.0, 1)
KPI_MODELS = {
    "entry_achievement": ACHIEVEMENT,
    "repair_revenue_achievement": ACHIEVEMENT,
    "accessory_achievement": KpiModel("normal", 94.0, 10.0, 8.0, 30.0, 150.0, 1),
    "complaint_rate": KpiModel("lognormal", 1.6, -0.4, 0.4, 0.0, 15.0, 1),
    "renewal_achievement": ACHIEVEMENT,
    "labor_revenue_achievement": ACHIEVEMENT,
    "first_time_fix_rate": KpiModel("normal", 93.0, 3.0, 2.5, 60.0, 100.0, 1),
    "rework_rate": KpiModel("lognormal", 2.1, -0.35, 0.3, 0.0, 20.0, 1),
    "cost_control_rate": KpiModel("normal", 28.0, -3.0, 3.0, 10.0, 60.0, 1),
    "damaged_parts": KpiModel("count", 0.12, -0.8, 0.0, 0.0, 3.0, 0),
    "parts_margin_achievement": ACHIEVEMENT,
    "inventory_turnover": KpiModel("normal", 4.6, 0.6, 0.5, 1.0, 10.0, 1),
    "long_stock_share": KpiModel("lognormal", 9.0, -0.3, 0.3, 0.0, 60.0, 1),
    "supply_on_time_rate": KpiModel("normal", 94.0, 3.0, 2.5, 60.0, 100.0, 1),
    "inspection_achievement": ACHIEVEMENT,
    "rework_jobs": KpiModel("count", 0.8, -0.6, 0.0, 0.0, 8.0, 0),
    "five_s": KpiModel("normal", 86.0, 5.0, 4.0, 40.0, 100.0, 0),
    "daily_management": KpiModel("normal", 84.0, 6.0, 4.0, 40.0, 100.0, 0),
}
INPUT_HEADERS = {
    "year_points": "上年度积分",
    "entry_exam": "考核总分",
    "experience_points": "基础经验分",
    "education_points": "学历分",
    "plus_points": "工作业绩加分",
    "minus_points": "减分",
    "repair_jobs": "维修台次",
    "nps": "NPS成绩",
    "nps_region_rank": "NPS区域排名",
    "nps_national_rank": "NPS全国排名",
}
ABILITY_SD = 0.7
MONTHLY_NOISE = 0.35
TEAM_MONTH_NOISE = 0.25  # rework of a whole team moves together from month to month
COMPLACENT_SHARE = 0.1  # staff who rarely earn plus points (不思进取)
NEW_HIRES = 6
LEAVERS = 4
ON_LEAVE = 3  # people with one month missing from the files (a gap month)
# Seed 000's worked example: 张三, 350 points, no plus points from April to June 2025, plus
# points in July and August: pay 3500 → 3300 (June) → 3100 → 3100 → 3500 (September).
ZHANG_SAN = {"name": "张三", "points": 350, "no_gain": ("2025-04", "2025-05", "2025-06")}


ZHANG_SAN_ROW = 7  # a technician of 杭州宝诚 机电一组

# Posts paid by a money formula, added later than the rest: drawn from their own random stream
# (POSTS_STREAM) so the other people's values do not move. team, role, the KPI table it uses.
FORMULA_POSTS = (
    ("配件组", "备件经理", "配件专员"),
    ("配件组", "备件计划", "配件专员"),
    ("配件组", "备件库管", "配件专员"),
    ("索赔组", "索赔专员", "索赔专员"),
)
POSTS_STREAM = 2
POST_ID_START = 101  # HZ101, HZ102 …: after every id the other staff take
ROLE_KPIS["索赔专员"] = ("claims_on_time_rate", "claims_rejected_rate")
POST_KPIS = ROLE_KPIS["索赔专员"]
KPI_MODELS |= {
    "claims_on_time_rate": KpiModel("normal", 94.0, 3.0, 2.5, 60.0, 100.0, 1),
    "claims_rejected_rate": KpiModel("lognormal", 3.0, -0.35, 0.3, 0.0, 30.0, 1),
}
MONEY_INPUT_HEADERS = {
    "parts_gross_profit": "备件毛利额",
    "care_gross_profit": "附件及养护品毛利额",
    "cars_inspected": "接车台数",
    "claims_total": "索赔总额",
    "net_profit_completion": "部门净利润完成率",
}


# ------------------------------------------------------------------ roster


def _regulars(roster: pd.DataFrame) -> np.ndarray:
    """Staff who may leave or miss a month: not new, not 张三 (his months follow the seed)."""
    rows = np.flatnonzero(~roster["new"].to_numpy())
    return rows[rows != ZHANG_SAN_ROW]


def _roster(rng: np.random.Generator) -> pd.DataFrame:
    """Everyone employed at some point in the eighteen months."""
    parts = []
    for dealer in DEALERS:
        for team, role, headcount, rework in TEAMS:
            roles = np.array([role] * headcount, dtype=object)
            if team.startswith("机电"):
                roles[0] = TEAM_LEAD
            parts.append(
                pd.DataFrame(
                    {
                        "dealer": dealer.code,
                        "department": f"{dealer.name}售后部",
                        "region": dealer.region,
                        "team": team,
                        "role": roles,
                        "kpi_role": role,
                        "team_rework": rework,
                        "dealer_level": dealer.level,
                    }
                )
            )
    staff = pd.concat(parts, ignore_index=True)
    hires = staff.sample(NEW_HIRES, random_state=int(rng.integers(1 << 31)))
    hires = hires.assign(new=True, role=hires["kpi_role"])
    roster = pd.concat([staff.assign(new=False), hires], ignore_index=True)
    size = len(roster)
    surname = rng.choice(SURNAMES, size=size)
    given = rng.choice(GIVEN_CHARS, size=size) + np.where(
        rng.random(size) < 0.7, rng.choice(GIVEN_CHARS, size=size), ""
    )
    roster["name"] = surname + given
    roster["ability"] = rng.normal(0.0, ABILITY_SD, size) + roster["dealer_level"]
    roster["complacent"] = rng.random(size) < COMPLACENT_SHARE
    back = np.minimum(rng.gamma(2.0, 700, size), 12 * 365).astype(int) + 400
    hired = pd.Timestamp("2025-01-01") - pd.to_timedelta(back, unit="D")
    hire_month = rng.integers(2, len(MONTHS) - 2, size)
    first = np.where(roster["new"], hire_month, 0)
    hired = hired.where(
        ~roster["new"], pd.to_datetime(np.array(MONTHS)[first]) + pd.Timedelta(days=2)
    )
    roster["hire_date"] = hired.strftime("%Y-%m-%d")
    roster["first_month"] = first
    last = np.full(size, len(MONTHS) - 1)
    leavers = rng.choice(_regulars(roster), LEAVERS, replace=False)
    last[leavers] = rng.integers(4, len(MONTHS) - 2, LEAVERS)
    roster["last_month"] = last
    roster["year_points"] = np.clip(
        np.round(330 + 55 * roster["ability"] + rng.normal(0, 25, size)), 210, 520
    )
    roster.loc[ZHANG_SAN_ROW, ["name", "year_points", "complacent"]] = [
        ZHANG_SAN["name"],
        ZHANG_SAN["points"],
        False,
    ]
    roster["employee_id"] = roster["dealer"] + pd.Series(
        roster.groupby("dealer").cumcount() + 1
    ).map("{:03d}".format)
    return roster


# ------------------------------------------------------------------ monthly values


def _panel(rng: np.random.Generator, roster: pd.DataFrame) -> pd.DataFrame:
    """One row per person per month employed, with performance p and the month's team shock."""
    months = np.arange(len(MONTHS))[:, None]
    employed = (months >= roster["first_month"].to_numpy()) & (
        months <= roster["last_month"].to_numpy()
    )
    away = rng.choice(_regulars(roster), ON_LEAVE, replace=False)
    employed[rng.integers(3, len(MONTHS) - 3, ON_LEAVE), away] = False
    month, person = np.nonzero(employed)
    performance = roster["ability"].to_numpy()[person] + rng.normal(0.0, MONTHLY_NOISE, month.size)
    team_key = roster["dealer"] + roster["team"]
    codes = pd.factorize(team_key)[0]
    shock = rng.normal(0.0, TEAM_MONTH_NOISE, (len(MONTHS), codes.max() + 1))
    return pd.DataFrame(
        {
            "month": month,
            "person": person,
            "performance": performance,
            "team_shock": shock[month, codes[person]] + roster["team_rework"].to_numpy()[person],
        }
    )


def _values(
    rng: np.random.Generator, model: KpiModel, p: np.ndarray, shift: np.ndarray
) -> np.ndarray:
    if model.shape == "count":
        values = rng.poisson(model.centre * np.exp(model.slope * p)).astype(float)
    elif model.shape == "lognormal":
        noise = model.noise * rng.standard_normal(p.size)
        values = model.centre * np.exp(model.slope * p + noise + shift)
    else:
        values = model.centre + model.slope * p + model.noise * rng.standard_normal(p.size)
    return np.clip(values, model.low, model.high).round(model.decimals)


def _kpis(rng: np.random.Generator, panel: pd.DataFrame, roster: pd.DataFrame) -> pd.DataFrame:
    """Each role's KPI columns filled, the other roles' KPIs left blank."""
    role = roster["kpi_role"].to_numpy()[panel["person"]]
    p = panel["performance"].to_numpy()
    rework_shift = np.where(np.isin(role, ["维修技师"]), panel["team_shock"].to_numpy(), 0.0)
    columns = {}
    for kpi_id, model in KPI_MODELS.items():
        if kpi_id in POST_KPIS:  # drawn with the formula posts (_formula_posts)
            continue
        uses = np.isin(role, [r for r, kpis in ROLE_KPIS.items() if kpi_id in kpis])
        uses |= kpi_id in SHARED_KPIS
        shift = rework_shift if kpi_id == "rework_rate" else 0.0
        values = pd.Series(_values(rng, model, p, shift)).where(uses)
        columns[kpi_id] = values.astype("Int64") if model.decimals == 0 else values
    return pd.DataFrame(columns)


def _rule_inputs(
    rng: np.random.Generator, panel: pd.DataFrame, roster: pd.DataFrame
) -> pd.DataFrame:
    """Points, plus and minus points, repair jobs and the dealership's NPS figures."""
    person, month = panel["person"].to_numpy(), panel["month"].to_numpy()
    p = panel["performance"].to_numpy()
    people = roster.iloc[person].reset_index(drop=True)
    drive = np.where(people["complacent"], 0.0, 1.4)
    gains = rng.random(p.size) < 1 / (1 + np.exp(-(1.2 * p + drive)))
    label = np.array(MONTHS)[month]
    zhang = (people["name"] == ZHANG_SAN["name"]).to_numpy()
    gains = np.where(zhang, ~np.isin(label, ZHANG_SAN["no_gain"]), gains)
    plus = np.where(gains, rng.integers(1, 3, p.size) * 5, 0).astype(float)
    minus = (rng.poisson(0.25, p.size) * 5).astype(float)
    minus[zhang] = 0
    first_row = month == people["first_month"].to_numpy()
    opening = np.where((month == 0) & ~people["new"], people["year_points"], np.nan)
    new_first = first_row & people["new"].to_numpy()
    technician = people["kpi_role"].to_numpy() == "维修技师"
    jobs = np.where(technician, rng.poisson(60 * np.exp(0.1 * p)), np.nan)
    dealer = pd.Series(people["dealer"]).map({d.code: i for i, d in enumerate(DEALERS)}).to_numpy()
    year = (month >= 12).astype(int)
    # one NPS figure per dealership and month, settling on the year's figure by December
    drift = rng.normal(0, 1.2, (len(DEALERS), len(MONTHS))) * (1 - np.arange(len(MONTHS)) % 12 / 12)
    nps = np.round(np.array([d.nps for d in DEALERS])[dealer, year] + drift[dealer, month], 1)
    return pd.DataFrame(
        {
            "year_points": opening,
            "entry_exam": np.where(new_first, rng.integers(80, 96, p.size), np.nan),
            "experience_points": np.where(new_first, rng.integers(8, 15, p.size) * 10, np.nan),
            "education_points": np.where(new_first, rng.integers(4, 9, p.size) * 10, np.nan),
            "plus_points": plus,
            "minus_points": minus,
            "repair_jobs": jobs,
            "nps": nps,
            "nps_region_rank": np.array([d.region_rank for d in DEALERS])[dealer, year],
            "nps_national_rank": np.array([d.national_rank for d in DEALERS])[dealer, year],
        }
    ).astype({"plus_points": "Int64", "minus_points": "Int64", "repair_jobs": "Int64"})


def demo_frames(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Month → that month's rows with English column ids."""
    rng = np.random.default_rng(seed)
    roster = _roster(rng)
    panel = _panel(rng, roster)
    people = roster.iloc[panel["person"]][
        ["employee_id", "name", "department", "team", "role", "region", "hire_date"]
    ].reset_index(drop=True)
    rows = pd.concat([people, _kpis(rng, panel, roster), _rule_inputs(rng, panel, roster)], axis=1)
    rows["month"] = np.array(MONTHS)[panel["month"]]
    rows = _with_formula_posts(rows, np.random.default_rng([seed, POSTS_STREAM]))
    return {
        month: group.drop(columns="month").sort_values("employee_id").reset_index(drop=True)
        for month, group in rows.groupby("month", sort=True)
    }


# ------------------------------------------------------------------ posts paid by a formula


def _post_roster(rng: np.random.Generator) -> pd.DataFrame:
    """One person per formula post and dealership, employed all eighteen months."""
    rows = [
        {
            "employee_id": f"{dealer.code}{POST_ID_START + i}",
            "department": f"{dealer.name}售后部",
            "team": team,
            "role": role,
            "kpi_role": kpi_role,
            "region": dealer.region,
            "dealer": d,
        }
        for d, dealer in enumerate(DEALERS)
        for i, (team, role, kpi_role) in enumerate(FORMULA_POSTS)
    ]
    roster = pd.DataFrame(rows)
    size = len(roster)
    given = rng.choice(GIVEN_CHARS, size=size) + rng.choice(GIVEN_CHARS, size=size)
    roster["name"] = rng.choice(SURNAMES, size=size) + given
    back = np.minimum(rng.gamma(2.0, 700, size), 12 * 365).astype(int) + 400
    roster["hire_date"] = (pd.Timestamp("2025-01-01") - pd.to_timedelta(back, unit="D")).strftime(
        "%Y-%m-%d"
    )
    level = np.array([d.level for d in DEALERS])[roster["dealer"]]
    roster["ability"] = rng.normal(0.0, ABILITY_SD, size) + level
    roster["year_points"] = np.clip(
        np.round(330 + 55 * roster["ability"] + rng.normal(0, 25, size)), 210, 520
    )
    return roster


def _with_formula_posts(rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The other staff's rows with the formula posts' rows added, and the columns the money
    formulas read: the parts department's gross profits and net-profit completion per
    dealership and month, cars inspected per 质检员, claims per 索赔专员."""
    roster = _post_roster(rng)
    month, person = np.divmod(np.arange(len(MONTHS) * len(roster)), len(roster))
    people = roster.iloc[person].reset_index(drop=True)
    p = people["ability"].to_numpy() + rng.normal(0.0, MONTHLY_NOISE, person.size)
    kpis = {}
    for kpi_id, model in KPI_MODELS.items():
        uses = np.isin(people["kpi_role"], [r for r, ids in ROLE_KPIS.items() if kpi_id in ids])
        uses |= kpi_id in SHARED_KPIS
        values = pd.Series(_values(rng, model, p, 0.0)).where(uses)
        kpis[kpi_id] = values.astype("Int64") if model.decimals == 0 else values
    label = np.array(MONTHS)[month]
    shared = _dealer_inputs(rows, people["department"], label)
    drive = rng.random(p.size) < 1 / (1 + np.exp(-(1.2 * p + 1.4)))
    roster_columns = ["employee_id", "name", "department", "team", "role", "region", "hire_date"]
    added = pd.concat(
        [people[roster_columns], pd.DataFrame(kpis), shared],
        axis=1,
    ).assign(
        year_points=np.where(month == 0, people["year_points"], np.nan),
        plus_points=pd.array(np.where(drive, rng.integers(1, 3, p.size) * 5, 0), "Int64"),
        minus_points=pd.array(rng.poisson(0.25, p.size) * 5, "Int64"),
        month=label,
    )
    profit = _department_money(rng, np.unique(added["department"]))
    added = added.join(profit, on=["department", "month"], how="left", validate="many_to_one")
    parts = np.isin(added["role"], [r for _, r, k in FORMULA_POSTS if k == "配件专员"])
    added.loc[~parts, ["parts_gross_profit", "care_gross_profit"]] = np.nan
    claims = (added["role"] == "索赔专员").to_numpy()
    added["claims_total"] = np.where(
        claims, np.round(rng.normal(260_000, 60_000, len(added)).clip(60_000), -2), np.nan
    )
    added.loc[~claims, "net_profit_completion"] = np.nan
    inspector = (rows["role"] == "质检员").to_numpy()
    cars = np.where(inspector, rng.poisson(420, len(rows)), np.nan)
    rows = rows.assign(cars_inspected=pd.array(cars, "Int64"))
    return pd.concat([rows, added], ignore_index=True)


def _dealer_inputs(rows: pd.DataFrame, department: pd.Series, label: np.ndarray) -> pd.DataFrame:
    """The dealership's NPS figures of the month, as its other staff's rows give them."""
    figures = ["nps", "nps_region_rank", "nps_national_rank"]
    per_month = rows.groupby(["department", "month"])[figures].first()
    keys = pd.MultiIndex.from_arrays([department, label])
    return per_month.reindex(keys).reset_index(drop=True)


def _department_money(rng: np.random.Generator, departments: np.ndarray) -> pd.DataFrame:
    """Per dealership and month: parts and care-product gross profit (yuan), net profit
    completion (%)."""
    index = pd.MultiIndex.from_product([departments, MONTHS], names=["department", "month"])
    size = len(index)
    return pd.DataFrame(
        {
            "parts_gross_profit": np.round(rng.normal(420_000, 60_000, size), -2),
            "care_gross_profit": np.round(rng.normal(85_000, 15_000, size), -2),
            "net_profit_completion": np.round(rng.normal(98, 9, size).clip(60, 130), 1),
        },
        index=index,
    )


# ------------------------------------------------------------------ files


def _as_saved(frame: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Chinese headers throughout, as a dealership's HR exports them; empty columns dropped."""
    headers = {
        **PERSON_HEADERS_ZH,
        **{k.id: k.name_zh for k in scheme.kpis},
        **INPUT_HEADERS,
        **MONEY_INPUT_HEADERS,
    }
    kept = frame.loc[:, frame.notna().any()]
    return kept.rename(columns=headers)


def generate_demo_4s(folder: Path = SAMPLE_4S_DIR, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the eighteen monthly CSVs (UTF-8 with BOM, as Excel saves) and return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    scheme = load_scheme(SCHEME_4S)
    written = []
    for month, frame in demo_frames(seed).items():
        path = folder / f"{month}.csv"
        _as_saved(frame, scheme).to_csv(
            path, index=False, encoding="utf-8-sig", lineterminator="\r\n"
        )
        written.append(path)
    return written


def import_demo_4s(store: Store) -> list[str]:
    """Import the 4S demo months into a store; one message per file."""
    files = sorted(SAMPLE_4S_DIR.glob("*.csv")) or generate_demo_4s()
    return import_files(store, load_scheme(SCHEME_4S), files)
