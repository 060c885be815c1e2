"""KPI breakdowns and one person's score statement, computed from scored tables (pure pandas)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from engine.schemes.precision import round_half_away
from engine.schemes.scheme import Kpi, Scheme
from engine.scoring.score import plan_index, weight_matrices

# Unit names for labels and hover text: (Chinese, English).
UNIT_NAMES = {
    "days": ("天", "days"),
    "%": ("%", "%"),
    "min": ("分钟", "min"),
    "hours": ("小时", "hours"),
    "count": ("次", "times"),
    "points": ("分", "points"),
    "rating": ("分", "rating"),
    "yuan": ("元", "yuan"),
}
HISTOGRAM_BINS = 20
MAX_WHOLE_NUMBER_BINS = 40
STATEMENT_COLUMNS = [
    "kpi",
    "category",
    "value",
    "scored_value",
    "score",
    "kpi_weight",
    "category_weight",
    "share",
    "points",
]


def unit_name(unit: str, language: str = "zh") -> str:
    """The unit's word in the language ('天' or 'days'); unknown units as written."""
    zh, en = UNIT_NAMES.get(unit, (unit, unit))
    return zh if language == "zh" else en


# ------------------------------------------------------------------ department × KPI


def kpi_columns(table: pd.DataFrame, scheme: Scheme) -> list[str]:
    """The ids of the scheme's KPIs that have at least one score in the table."""
    return [k for k in scheme.kpi_ids if table[f"score_{k}"].notna().any()]


def department_kpi_means(table: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Per department: headcount, then the mean score and mean raw value of each KPI with data."""
    kpis = kpi_columns(table, scheme)
    columns = [f"score_{k}" for k in kpis] + kpis
    grouped = table.groupby("department", sort=True)
    return (
        grouped[columns]
        .mean()
        .assign(headcount=grouped.size())
        .reset_index()[["department", "headcount", *columns]]
    )


# ------------------------------------------------------------------ one KPI's distribution


def value_histogram(values: pd.Series, bins: int = HISTOGRAM_BINS) -> pd.DataFrame:
    """Counts of raw values in equal bins (left, right, label, count); whole-number data gets one
    bin per number, centred on it, so counts of incidents read as 0, 1, 2, …"""
    data = values.dropna().to_numpy(dtype=float)
    if data.size == 0:
        return pd.DataFrame({"left": [], "right": [], "label": [], "count": []})
    low, high = float(data.min()), float(data.max())
    whole = bool(np.all(data == np.round(data))) and high - low < MAX_WHOLE_NUMBER_BINS
    if whole:
        edges = np.arange(low - 0.5, high + 1.0, 1.0)
    elif high == low:
        edges = np.array([low - 0.5, high + 0.5])
    else:
        edges = np.linspace(low, high, bins + 1)
    counts, edges = np.histogram(data, bins=edges)
    left, right = pd.Series(edges[:-1]).round(2), pd.Series(edges[1:]).round(2)
    if whole:
        label = (left + 0.5).astype(int).astype(str)
    else:
        label = left.map("{:g}".format) + "–" + right.map("{:g}".format)
    return pd.DataFrame({"left": left, "right": right, "label": label, "count": counts})


def score_edges(kpi: Kpi) -> list[float]:
    """The raw values where the KPI's score steps or its slope starts and ends."""
    if kpi.method == "bands":
        return [b.upto for b in kpi.bands if math.isfinite(b.upto)]
    if kpi.method == "tiers":
        return [t.threshold for t in kpi.tiers if t.threshold is not None]
    if kpi.method == "linear":
        return [kpi.floor, kpi.floor + kpi.cap * (kpi.target - kpi.floor)]
    return []


# ------------------------------------------------------------------ points each KPI adds


def kpi_shares(rows: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Each KPI's share (0–1) of each row's total: the row's role weights after missing KPIs
    and categories drop out (renormalised) the way scoring drops them; columns are KPI ids."""
    kpi_w, cat_w, _ = weight_matrices(scheme)
    plans = plan_index(rows["role"], scheme)
    scores = rows[[f"score_{k}" for k in scheme.kpi_ids]].to_numpy(dtype=float)
    zero_policy = np.array([(k.missing or scheme.missing) == "zero" for k in scheme.kpis])
    effective = kpi_w[plans] * (~np.isnan(scores) | zero_policy)
    category_sums = summed_by_category(effective, scheme)
    categories = cat_w[plans] * (category_sums > 0)
    category_share = categories / categories.sum(axis=1, keepdims=True).clip(min=1e-12)
    category_of = np.array([scheme.category_ids.index(k.category) for k in scheme.kpis])
    with np.errstate(invalid="ignore", divide="ignore"):
        within = np.nan_to_num(effective / category_sums[:, category_of])
    shares = within * category_share[:, category_of]
    return pd.DataFrame(shares, columns=scheme.kpi_ids, index=rows.index)


def kpi_points(rows: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """The points each KPI adds to each row's total (before rounding); they add up to the total.

    A row with no score at all has no points (NaN)."""
    shares = kpi_shares(rows, scheme)
    scores = rows[[f"score_{k}" for k in scheme.kpi_ids]].to_numpy(dtype=float)
    points = shares.to_numpy() * np.nan_to_num(scores)
    nothing = shares.to_numpy().sum(axis=1) == 0
    points[nothing] = np.nan
    return pd.DataFrame(points, columns=scheme.kpi_ids, index=rows.index)


def category_points(points: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """The points each category adds to the total, from the points of its KPIs."""
    summed = summed_by_category(points[scheme.kpi_ids].to_numpy(dtype=float), scheme)
    return pd.DataFrame(summed, columns=scheme.category_ids, index=points.index)


def summed_by_category(matrix: np.ndarray, scheme: Scheme) -> np.ndarray:
    """Rows × KPIs summed to rows × categories.

    Column sums per category rather than "@ membership": on a busy two-core machine OpenBLAS
    took 10–75 ms for 100,000 rows where these sums take a steady 19 ms."""
    columns = [
        matrix[:, [k.category == c for k in scheme.kpis]].sum(axis=1) for c in scheme.category_ids
    ]
    return np.column_stack(columns) if columns else np.zeros((len(matrix), 0))


def period_rows(monthly: pd.DataFrame, table: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """The monthly rows behind a period's table: its months, its people."""
    in_period = monthly[monthly["period"].isin(list(months))]
    # isin on pandas' string dtype is ~4× slower than on objects (100,000 rows: 110 vs 30 ms).
    people = in_period["employee_id"].astype(object).isin(table["employee_id"].astype(object))
    return in_period[people]


def department_contributions(
    table: pd.DataFrame, monthly_rows: pd.DataFrame, scheme: Scheme
) -> pd.DataFrame:
    """Per department: headcount, mean total and the mean points each category adds to it.

    Points are each person's mean over the period's months (a period total is the mean of its
    monthly totals), so the categories add up to the mean total up to rounding."""
    points = category_points(kpi_points(monthly_rows, scheme), scheme)
    per_person = points.groupby(monthly_rows["employee_id"].to_numpy()).mean()
    people = per_person.reindex(table["employee_id"].to_numpy()).set_axis(table.index)
    frame = pd.concat([table[["department", "total"]], people], axis=1)
    grouped = frame.groupby("department", sort=True)
    out = grouped[scheme.category_ids].mean()
    out.insert(0, "mean_total", grouped["total"].mean())
    out.insert(0, "headcount", grouped.size())
    return out.reset_index().sort_values("mean_total", ascending=False, ignore_index=True)


# ------------------------------------------------------------------ top grade against the rest


def separating_kpis(table: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Mean KPI score of the top grade, of everyone else and the gap, largest gap first.

    Empty when the top grade or the rest has no one."""
    top = table["grade"].astype(object) == scheme.grade_names[0]
    graded = table["total"].notna()
    columns = [f"score_{k}" for k in kpi_columns(table, scheme)]
    out = pd.DataFrame(
        {
            "kpi": [c.removeprefix("score_") for c in columns],
            "top_mean": table.loc[top, columns].mean().to_numpy(),
            "rest_mean": table.loc[~top & graded, columns].mean().to_numpy(),
        }
    )
    out["gap"] = out["top_mean"] - out["rest_mean"]
    out = out.dropna(subset=["gap"])
    return out.sort_values(["gap", "kpi"], ascending=[False, True], ignore_index=True)


# ------------------------------------------------------------------ one person


def people_by_rank(table: pd.DataFrame) -> pd.DataFrame:
    """Everyone in the table, best rank first, with a label 'E0001 · 张三 · 售后服务部'."""
    people = table.sort_values(["rank", "employee_id"], na_position="last")
    label = (
        people["employee_id"].astype(str)
        + " · "
        + people["name"].fillna("").astype(str)
        + " · "
        + people["department"].fillna("").astype(str)
    )
    return pd.DataFrame({"employee_id": people["employee_id"], "label": label}).reset_index(
        drop=True
    )


def score_statement(person: pd.Series, months: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """One person's statement: per KPI their role assesses, the raw value, the value scored (a
    shrunk rate or a rescaled rating where the scheme asks, else the raw value), score, KPI
    weight in its category, category weight, share of the total and the points it adds.

    `person` is their row of the period table; `months` their monthly rows of the period (points
    are the mean of monthly points). Points are rounded to the cent so that they add up to the
    total exactly (largest remainders get the cents)."""
    kpi_w, cat_w, member = weight_matrices(scheme)
    plan = plan_index(pd.Series([person["role"]]), scheme)[0]
    weights = pd.DataFrame(
        {
            "kpi": scheme.kpi_ids,
            "category": [k.category for k in scheme.kpis],
            "value": person[scheme.kpi_ids].to_numpy(dtype=float),
            # what was scored: the shrunk rate or the rescaled rating where the scheme says so
            "scored_value": np.array(
                [person.get(f"adjusted_{k}", person[k]) for k in scheme.kpi_ids], dtype=float
            ),
            "score": person[[f"score_{k}" for k in scheme.kpi_ids]].to_numpy(dtype=float),
            "kpi_weight": kpi_w[plan],
            "category_weight": (member @ cat_w[plan]),
            "share": kpi_shares(months, scheme).mean().to_numpy() * 100.0,
            "raw_points": kpi_points(months, scheme).mean().to_numpy(),
        }
    )
    assessed = (weights["kpi_weight"] > 0) & (weights["category_weight"] > 0)
    statement = weights[assessed | (weights["share"] > 0)].reset_index(drop=True)
    # With an adjustment the KPIs add up to the computed total; the adjustment is a line of its own.
    computed = person.get("computed_total", np.nan)
    total = person["total"] if pd.isna(computed) else computed
    statement["points"] = apportioned(statement["raw_points"].fillna(0.0), total)
    return statement[STATEMENT_COLUMNS]


def apportioned(values: pd.Series, total: float, decimals: int = 2) -> np.ndarray:
    """Values rounded to `decimals` so that they add up to `total` exactly: each is cut down to
    the cent and the cents still missing go to the largest remainders (Hamilton's method)."""
    if pd.isna(total) or len(values) == 0:
        return round_half_away(values.to_numpy(dtype=float), decimals)
    scale = 10**decimals
    scaled = np.round(values.to_numpy(dtype=float) * scale, 6)
    cents = np.floor(scaled)
    target = round_half_away(np.array([total]), decimals)[0] * scale
    missing = int(np.round(target - cents.sum()))
    order = np.argsort(-(scaled - cents), kind="stable")
    extra = np.full(len(cents), missing // len(cents))
    extra[order[: missing % len(cents)]] += 1
    return (cents + extra) / scale


def category_statement(statement: pd.DataFrame, person: pd.Series, scheme: Scheme) -> pd.DataFrame:
    """Per category in the statement: its weight, the person's category score and its points."""
    grouped = statement.groupby("category", sort=False)
    out = pd.DataFrame(
        {
            "category_weight": grouped["category_weight"].first(),
            "points": grouped["points"].sum().round(2),
        }
    )
    out["score"] = person[[f"cat_{c}" for c in out.index]].to_numpy(dtype=float)
    order = [c for c in scheme.category_ids if c in out.index]
    return (
        out.loc[order, ["category_weight", "score", "points"]].rename_axis("category").reset_index()
    )


def kpi_profile(statement: pd.DataFrame, peers: pd.DataFrame) -> pd.DataFrame:
    """The person's score on each KPI in their statement that has a score, beside the peers'
    mean score (for a radar against the department)."""
    scored = statement.dropna(subset=["score"])
    peer_means = peers[[f"score_{k}" for k in scored["kpi"]]].mean().to_numpy()
    return pd.DataFrame(
        {
            "kpi": scored["kpi"].to_numpy(),
            "score": scored["score"].to_numpy(),
            "peer_mean": peer_means,
        }
    )


def points_to_next_grade(totals: pd.Series, scheme: Scheme) -> pd.DataFrame:
    """For each total: the next better grade (Chinese and English name) and the points still
    missing to its cutoff; no next grade (and NaN points) at the top grade."""
    cutoffs = np.array([g.min for g in scheme.grades[:-1]], dtype=float)
    values = totals.to_numpy(dtype=float)
    # Grades go best first; the count of cutoffs a total does not reach is its grade's index.
    reached = values[:, None] >= cutoffs[None, :]
    index = len(cutoffs) - reached.sum(axis=1)
    has_next = (index > 0) & ~np.isnan(values)
    target = np.where(has_next, index - 1, 0)
    names = np.array([g.name for g in scheme.grades], dtype=object)
    names_en = np.array([g.name_en for g in scheme.grades], dtype=object)
    needed = np.where(has_next, round_half_away(cutoffs[target] - values), np.nan)
    return pd.DataFrame(
        {
            "next_grade": np.where(has_next, names[target], None),
            "next_grade_en": np.where(has_next, names_en[target], None),
            "points_needed": needed,
        },
        index=totals.index,
    )


def closing_notes(person: pd.Series) -> list[tuple[str, str]]:
    """What the closing of the month changed for a person, in Chinese and English: the
    adjustment (points or a calibrated grade, with its reason) and the veto that capped the
    grade."""
    notes = []
    points, reason = person.get("adjustment", np.nan), person.get("adjustment_reason", "")
    computed, total = person.get("computed_total", np.nan), person["total"]
    if pd.notna(points) and pd.notna(computed):
        notes.append(
            (
                f"加减分 {points:+.2f}({reason}):计算总分 {computed:.2f} → 总分 {total:.2f}。",
                f"Adjustment {points:+.2f} ({reason}): computed total {computed:.2f} → "
                f"total {total:.2f}.",
            )
        )
    elif isinstance(reason, str) and reason:
        notes.append(
            (
                f"等级校准({reason}):计算等级「{person.get('computed_grade')}」→"
                f"「{person['grade']}」。",
                f"Grade calibrated ({reason}): computed {person.get('computed_grade')} → "
                f"{person['grade']}.",
            )
        )
    veto = person.get("veto", "")
    if isinstance(veto, str) and veto:
        notes.append(
            (
                f"一票否决:{veto},等级为「{person['grade']}」。",
                f"Veto: {veto}; the grade is {person['grade']}.",
            )
        )
    return notes


# ------------------------------------------------------------------ gaps by level

LEVELS = ("company", "department", "team", "person")
LEVEL_KEYS = {
    "company": [],
    "department": ["department"],
    "team": ["department", "team"],
    "person": ["department", "team", "employee_id"],
}
ADJUSTMENT = "adjustment"
# A KPI whose gap rounds to nothing at one decimal is not worth naming.
NAMED_GAP_MIN = 0.05
NAMED_KPIS_MAX = 3


def person_points(table: pd.DataFrame, monthly_rows: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Per person of the table (same index): the points each KPI adds to their total and the
    points adjustments add, so that the columns add up to the total exactly.

    KPI points are the person's mean over the period's months, scaled to their computed total
    (the total before adjustments, rounded as the total is); adjustments are total − computed."""
    points = kpi_points(monthly_rows, scheme)
    per_person = points.groupby(monthly_rows["employee_id"].to_numpy()).mean()
    people = per_person.reindex(table["employee_id"].to_numpy()).set_axis(table.index)
    total = table["total"].astype(float)
    computed = table.get("computed_total", total).astype(float).fillna(total)
    raw = people[scheme.kpi_ids].sum(axis=1, min_count=1)
    factor = (computed / raw.where(raw != 0)).fillna(1.0)
    out = people[scheme.kpi_ids].mul(factor, axis=0)
    out[ADJUSTMENT] = total - computed
    return out.where(total.notna(), np.nan)


def unit_labels(table: pd.DataFrame, level: str, no_team: str = "—") -> pd.Series:
    """Each row's unit name at the level: the department, the team (with its department when
    two departments share the team's name) or 'name (id)'."""
    if level == "company":
        return pd.Series("", index=table.index)
    if level == "department":
        return table["department"].astype(object).fillna(no_team).astype(str)
    team = table["team"].astype(object).fillna(no_team).astype(str)
    if level == "team":
        shared = table.groupby(team)["department"].transform("nunique") > 1
        return team.where(~shared, table["department"].astype(str) + " · " + team)
    return (
        table["name"].astype(object).fillna("").astype(str)
        + " ("
        + table["employee_id"].astype(str)
        + ")"
    )


def level_gaps(
    shown: pd.DataFrame,
    population: pd.DataFrame,
    points: pd.DataFrame,
    level: str,
    against: str = "parent",
) -> pd.DataFrame:
    """One row per unit of `shown` at the level: headcount, mean total, the mean total of what
    it is compared with (the unit one level up, or the whole `population` with
    against="company") and the gap; then per KPI (and adjustments) the gap in points of total.

    `points` holds every population row's points (`person_points`); the KPI gaps add up to the
    total's gap. Units are named in `unit`, their comparison in `compared_with`."""
    columns = list(points.columns)
    graded = population["total"].notna()
    frame = population.loc[graded, LEVEL_KEYS["person"]].assign(
        total=population.loc[graded, "total"].astype(float)
    )
    frame = pd.concat([frame, points.loc[frame.index, columns]], axis=1)
    frame["team"] = frame["team"].astype(object).fillna("")
    frame["department"] = frame["department"].astype(object).fillna("")
    frame["unit"] = unit_labels(population.loc[frame.index], level)
    frame["whole"] = ""
    in_shown = frame.index.isin(shown.index)
    keys = LEVEL_KEYS[level] or ["whole"]
    units = frame[in_shown].groupby(keys, sort=True, dropna=False)
    out = units[["total", *columns]].mean()
    out.insert(0, "headcount", units.size())
    out.insert(0, "unit", units["unit"].first())
    parent_level = "company" if against == "company" else LEVELS[max(LEVELS.index(level) - 1, 0)]
    parent_keys = LEVEL_KEYS[parent_level]
    if parent_keys:
        parents = frame.groupby(parent_keys, sort=False, dropna=False)[["total", *columns]].mean()
        index = out.index.droplevel([k for k in keys if k not in parent_keys])
        base = parents.reindex(index).set_axis(out.index)
        compared = out.reset_index()[parent_keys[-1]].to_numpy()
    else:
        overall = frame[["total", *columns]].mean()
        base = pd.DataFrame([overall.to_numpy()] * len(out), index=out.index, columns=overall.index)
        compared = np.full(len(out), "")
    out = out.reset_index().drop(columns="whole", errors="ignore")
    out["compared_level"] = parent_level
    out["compared_with"] = compared
    out["parent_total"] = base["total"].to_numpy()
    out["gap"] = out["total"] - out["parent_total"]
    for column in columns:
        out[f"gap_{column}"] = out[column].to_numpy() - base[column].to_numpy()
    out = out.rename(columns={"total": "mean_total"})
    return out.sort_values(["gap", "unit"], ignore_index=True)


def signed(value: float) -> str:
    """A gap as read in a sentence: +1.2 or −3.9 (a true minus sign), one decimal; 0.0 when it
    rounds to nothing."""
    text = f"{value:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text.replace("-", "\u2212")


def gap_sentence(row: pd.Series, names: dict[str, str], compared: str, language: str) -> str:
    """One sentence on a unit: how far its mean total is from what it is compared with, and the
    KPIs that cost it most (or add most, when it is above), largest first."""
    gap = float(row["gap"])
    below = gap < 0
    gaps = pd.Series({k: float(row[f"gap_{k}"]) for k in names})
    gaps = gaps[(gaps <= -NAMED_GAP_MIN) if below else (gaps >= NAMED_GAP_MIN)]
    gaps = gaps.sort_values(ascending=below)
    named = [f"{names[k]} {signed(v)}" for k, v in gaps.head(NAMED_KPIS_MAX).items()]
    more = len(gaps) > NAMED_KPIS_MAX
    unit = str(row["unit"])
    size = f"{abs(gap):.1f}"
    if language == "zh":
        if abs(gap) < NAMED_GAP_MIN:
            return f"{unit} 与{compared}平均持平。"
        head = f"{unit} 比{compared}平均{'低' if below else '高'} {size} 分"
        tail = f",其中 {','.join(named)}{',…' if more else ''}" if named else ""
        return head + tail + "。"
    if abs(gap) < NAMED_GAP_MIN:
        return f"{unit} is level with the {compared} mean."
    head = f"{unit} is {size} points {'below' if below else 'above'} the {compared} mean"
    tail = f": {', '.join(named)}{', …' if more else ''}" if named else ""
    return head + tail + "."


# ------------------------------------------------------------------ standard and target


def standard_text(kpi: Kpi, language: str = "zh") -> str:
    """What earns a KPI full marks under the scheme, in words: the linear target, the best tier's
    threshold, the best band, no incident, the top of the rating scale."""
    unit = unit_name(kpi.unit, language)
    if kpi.method == "linear":
        return f"{kpi.target:g} {unit}"
    if kpi.method == "tiers" and kpi.tiers and kpi.tiers[0].threshold is not None:
        sign = "≥" if kpi.direction == "higher" else "≤"
        return f"{sign} {kpi.tiers[0].threshold:g} {unit}"
    if kpi.method == "bands" and kpi.bands:
        best = max(range(len(kpi.bands)), key=lambda i: kpi.bands[i].points)
        if best == 0:
            return f"≤ {kpi.bands[0].upto:g} {unit}"
        return f"> {kpi.bands[best - 1].upto:g} {unit}"
    if kpi.method == "deduction":
        return f"0 {unit}"
    if kpi.method == "rating":
        return f"{kpi.scale_max:g} {unit}"
    return ""


def standard_or_target(
    kpis: pd.Series, person: pd.Series, scheme: Scheme, own: set[str], language: str = "zh"
) -> pd.Series:
    """Per KPI of a statement: '目标 95 %(个人)' or '(班组)' where the person has a target (a
    person's own in `own`, else their team's), else '标准 100 %' (the scheme's)."""
    zh = language == "zh"
    texts = []
    for kpi_id in kpis:
        kpi = scheme.kpi(kpi_id)
        target = person.get(f"target_{kpi_id}", np.nan)
        if pd.notna(target):
            whose = ("个人" if zh else "own") if kpi_id in own else ("班组" if zh else "team")
            if kpi.method != "linear":  # only a linear KPI scores against a target
                whose += ",仅供对照" if zh else ", for reference"
            value = f"{target:g} {unit_name(kpi.unit, language)}"
            texts.append(f"目标 {value}({whose})" if zh else f"Target {value} ({whose})")
        else:
            texts.append(("标准 " if zh else "Standard ") + standard_text(kpi, language))
    return pd.Series(texts, index=kpis.index, dtype=object)


def team_targets_against_actuals(table: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Per department, team and KPI with a target: headcount with a target, the mean target, the
    mean actual of those people, the gap (actual − target, signed so that + is better) and how
    many met their target."""
    parts = []
    for kpi in scheme.kpis:
        column = f"target_{kpi.id}"
        if column not in table or table[column].notna().sum() == 0:
            continue
        rows = table[table[column].notna()]
        better = 1.0 if kpi.direction == "higher" else -1.0
        met = (rows[kpi.id] - rows[column]) * better >= 0
        frame = (
            rows[["department", "team"]]
            .astype(object)
            .fillna("")
            .assign(target=rows[column], actual=rows[kpi.id], met=met & rows[kpi.id].notna())
        )
        grouped = frame.groupby(["department", "team"], sort=True)
        out = grouped[["target", "actual"]].mean()
        out["headcount"] = grouped.size()
        out["met"] = grouped["met"].sum().astype(int)
        out["gap"] = (out["actual"] - out["target"]) * better
        parts.append(out.reset_index().assign(kpi=kpi.id))
    columns = ["department", "team", "kpi", "headcount", "target", "actual", "gap", "met"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]
