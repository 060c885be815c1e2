"""Every reason a scheme cannot be used, in words a manager understands."""

from __future__ import annotations

import math
from itertools import pairwise

from engine.schemes.model import (
    COEFFICIENT_NAMES,
    DIRECTIONS,
    KPI_ID_PATTERN,
    METHODS,
    MISSING_POLICIES,
    MONEY_MODES,
    RESERVED_IDS,
    ROSTER_NAMES,
    TOTAL_NAMES,
    UNITS,
    WEIGHT_TOLERANCE,
    Kpi,
    RolePlan,
    Scheme,
    normalize_header,
)


def validate(scheme: Scheme) -> list[str]:
    """Every reason the scheme cannot be used, in words a manager understands."""
    problems: list[str] = []
    problems += _validate_ids(scheme)
    for kpi in scheme.kpis:
        problems += _validate_kpi(kpi, scheme)
    for plan in scheme.plans:
        problems += _validate_plan(plan, scheme)
    problems += _validate_grades(scheme)
    problems += _validate_money(scheme)
    if scheme.missing not in MISSING_POLICIES:
        problems.append(f"missing = '{scheme.missing}' is unknown; use one of {MISSING_POLICIES}")
    problems += [
        f"service target names KPI '{t.kpi}', which the scheme does not have"
        for t in scheme.targets
        if t.kpi not in scheme.kpi_ids
    ]
    if scheme.target_mix:
        unknown = [g for g in scheme.target_mix if g not in scheme.grade_names]
        total = sum(scheme.target_mix.values())
        if unknown:
            problems.append(f"target_mix names grade(s) {unknown} that the scheme does not have")
        if abs(total - 100) > WEIGHT_TOLERANCE:
            problems.append(f"target_mix shares add up to {total:g}%, not 100%")
    if scheme.tie_break is not None and scheme.tie_break not in scheme.kpi_ids:
        problems.append(f"tie_break names KPI '{scheme.tie_break}', which the scheme does not have")
    problems += _validate_insight_columns(scheme)
    for pair in scheme.gaming_pairs:
        unknown = [k for k in (pair.first, pair.second) if k not in scheme.kpi_ids]
        if unknown:
            problems.append(
                f"gaming pair {pair.first} / {pair.second} names KPI(s) {unknown}, which the "
                "scheme does not have"
            )
        elif pair.first == pair.second:
            problems.append(f"gaming pair {pair.first} / {pair.second} names one KPI twice")
    return problems


def _validate_insight_columns(scheme: Scheme) -> list[str]:
    """Cases and rater columns: only where they mean something, and named apart from KPIs,
    roster columns and each other."""
    problems = []
    for kpi in scheme.kpis:
        where = f"KPI {kpi.name_zh} ({kpi.id})"
        if kpi.denominator and kpi.unit != "%":
            problems.append(
                f"{where}: a denominator (cases column) belongs to a rate in %, not to unit "
                f"'{kpi.unit}'"
            )
        if kpi.score_shrunk and not kpi.denominator:
            problems.append(
                f"{where}: score_shrunk needs a denominator column (the cases the rate is out of)"
            )
        if kpi.rater and kpi.method != "rating":
            problems.append(f"{where}: a rater column belongs to a rating KPI (method 'rating')")
        if kpi.rescale_by_rater and not kpi.rater:
            problems.append(f"{where}: rescale_by_rater needs a rater column (who rated)")
    taken = {normalize_header(n) for n in RESERVED_IDS} | {
        normalize_header(n) for names in ROSTER_NAMES.values() for n in names
    }
    taken |= {normalize_header(n) for k in scheme.kpis for n in (k.id, k.name_zh, k.name_en)}
    taken |= {normalize_header(a) for k in scheme.kpis for a in k.aliases}
    for kpi in scheme.kpis:
        for key in ("denominator", "rater"):
            problems += [
                f"KPI {kpi.name_zh} ({kpi.id}): the {key} column '{name}' is already a KPI's or "
                "a roster column's name"
                for name in getattr(kpi, key)
                if normalize_header(name) in taken
            ]
    denominators = [normalize_header(n) for k in scheme.kpis for n in k.denominator]
    problems += [
        f"the denominator column '{d}' is given to two KPIs" for d in _duplicates(denominators)
    ]
    return problems


def _duplicates(items: list[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({i for i in items if i in seen or seen.add(i)})


def _validate_ids(scheme: Scheme) -> list[str]:
    problems = [f"category id '{d}' is used twice" for d in _duplicates(scheme.category_ids)]
    problems += [f"KPI id '{d}' is used twice" for d in _duplicates(scheme.kpi_ids)]
    problems += ["a category has no id" for c in scheme.categories if not c.id]
    problems += [
        f"KPI id '{k.id}' must be lower-case letters, digits and _ (it names a stored column)"
        for k in scheme.kpis
        if not KPI_ID_PATTERN.fullmatch(k.id)
    ]
    problems += [
        f"KPI id '{k.id}' is taken by a roster column" for k in scheme.kpis if k.id in RESERVED_IDS
    ]
    names = [
        name
        for k in scheme.kpis
        for name in {normalize_header(n) for n in (k.id, k.name_zh, k.name_en, *k.aliases)}
    ]
    problems += [f"the column name '{d}' is given to two KPIs" for d in _duplicates(names)]
    return problems


def _validate_kpi(kpi: Kpi, scheme: Scheme) -> list[str]:
    where = f"KPI {kpi.name_zh} ({kpi.id})"
    problems: list[str] = []
    if kpi.category not in scheme.category_ids:
        problems.append(
            f"{where} is in no category: '{kpi.category}' is not one of {scheme.category_ids}"
        )
    if kpi.method not in METHODS:
        problems.append(f"{where}: scoring method '{kpi.method}' is unknown; use one of {METHODS}")
    if kpi.direction not in DIRECTIONS:
        problems.append(f"{where}: direction '{kpi.direction}' must be 'higher' or 'lower'")
    if kpi.unit not in UNITS:
        problems.append(f"{where}: unit '{kpi.unit}' is unknown; use one of {UNITS}")
    if kpi.missing is not None and kpi.missing not in MISSING_POLICIES:
        problems.append(
            f"{where}: missing = '{kpi.missing}' is unknown; use one of {MISSING_POLICIES}"
        )
    checks = {
        "bands": _validate_bands,
        "tiers": _validate_tiers,
        "linear": _validate_linear,
        "deduction": _validate_deduction,
        "rating": _validate_rating,
    }
    if kpi.method in checks:
        problems += [f"{where}: {p}" for p in checks[kpi.method](kpi)]
    return problems


def _validate_bands(kpi: Kpi) -> list[str]:
    if not kpi.bands:
        return ["bands are empty"]
    problems = []
    uppers = [b.upto for b in kpi.bands]
    if not all(map(math.isfinite, [*uppers[:-1], *(b.points for b in kpi.bands)])):
        problems.append("band edges ('upto', but the last band's inf) and points must be numbers")
    if any(b <= a for a, b in pairwise(uppers)):
        problems.append(f"bands overlap or are not in ascending order of 'upto': {uppers}")
    if uppers[-1] != math.inf:
        problems.append(
            f"the last band must run to inf so every value has a band (ends at {uppers[-1]})"
        )
    points = [b.points for b in kpi.bands]
    worse_never_better = (
        all(b <= a for a, b in pairwise(points))
        if kpi.direction == "lower"
        else all(b >= a for a, b in pairwise(points))
    )
    if not worse_never_better:
        problems.append(f"band points {points} reward a worse value ({kpi.direction} is better)")
    if kpi.max_points <= 0 or max(points) > kpi.max_points:
        problems.append(
            f"max_points {kpi.max_points} must be positive and at least every band's points"
        )
    return problems


def _validate_tiers(kpi: Kpi) -> list[str]:
    if not kpi.tiers:
        return ["tiers are empty"]
    problems = []
    thresholds = [t.threshold for t in kpi.tiers[:-1]]
    if None in thresholds:
        problems.append("only the last tier may leave out its threshold")
    if kpi.tiers[-1].threshold is not None:
        problems.append(
            "the last tier must have no threshold: it takes every value the others do not"
        )
    given = [t for t in thresholds if t is not None]
    if not all(map(math.isfinite, [*given, *(t.score for t in kpi.tiers)])):
        problems.append("tier thresholds and scores must be numbers (not nan or inf)")
    ordered = (
        all(b > a for a, b in pairwise(given))
        if kpi.direction == "lower"
        else all(b < a for a, b in pairwise(given))
    )
    if not ordered:
        word = "ascending" if kpi.direction == "lower" else "descending"
        problems.append(f"tier thresholds {given} must be strictly {word}, best tier first")
    scores = [t.score for t in kpi.tiers]
    if any(b > a for a, b in pairwise(scores)):
        problems.append(f"tier scores {scores} must not rise from the best tier to the worst")
    return problems


def _validate_linear(kpi: Kpi) -> list[str]:
    problems = []
    if kpi.target == kpi.floor:
        problems.append("target and floor are equal, so no score can be computed")
    elif (kpi.target > kpi.floor) != (kpi.direction == "higher"):
        problems.append(
            f"target {kpi.target} and floor {kpi.floor} do not fit direction '{kpi.direction}'"
        )
    if kpi.cap <= 0:
        problems.append(f"cap must be above 0 (found {kpi.cap})")
    return problems


def _validate_deduction(kpi: Kpi) -> list[str]:
    problems = []
    if kpi.per_incident <= 0:
        problems.append(f"per_incident must be above 0 (found {kpi.per_incident})")
    if kpi.direction != "lower":
        problems.append("a deduction KPI counts incidents, so its direction must be 'lower'")
    return problems


def _validate_rating(kpi: Kpi) -> list[str]:
    if kpi.scale_max <= kpi.scale_min:
        return [f"scale_max {kpi.scale_max} must be above scale_min {kpi.scale_min}"]
    return []


def _validate_plan(plan: RolePlan, scheme: Scheme) -> list[str]:
    who = f"role {plan.name}: " if plan.name else ""
    problems = []
    unknown_cats = set(plan.category_weights) - set(scheme.category_ids)
    unknown_kpis = set(plan.kpi_weights) - set(scheme.kpi_ids)
    problems += [
        f"{who}weights name category '{c}', which does not exist" for c in sorted(unknown_cats)
    ]
    problems += [f"{who}weights name KPI '{k}', which does not exist" for k in sorted(unknown_kpis)]
    if any(w < 0 for w in [*plan.category_weights.values(), *plan.kpi_weights.values()]):
        problems.append(f"{who}weights must not be negative")
    cat_total = sum(plan.category_weights.values())
    if abs(cat_total - 100) > WEIGHT_TOLERANCE:
        detail = " + ".join(
            f"{_cat_name(scheme, c)} {w:g}%" for c, w in plan.category_weights.items()
        )
        problems.append(f"{who}category weights add up to {cat_total:g}%, not 100% ({detail})")
    for cat in scheme.categories:
        if plan.category_weights.get(cat.id, 0) == 0:
            continue
        members = [k for k in scheme.kpis if k.category == cat.id]
        total = sum(plan.kpi_weights.get(k.id, 0.0) for k in members)
        if abs(total - 100) > WEIGHT_TOLERANCE:
            problems.append(
                f"{who}{cat.name_zh} ({cat.name_en}) KPI weights add up to {total:g}%, not 100%"
            )
    return problems


def _cat_name(scheme: Scheme, cat_id: str) -> str:
    return next((c.name_zh for c in scheme.categories if c.id == cat_id), cat_id)


def _validate_grades(scheme: Scheme) -> list[str]:
    if not scheme.grades:
        return ["the scheme has no grades"]
    problems = []
    mins = [g.min for g in scheme.grades[:-1]]
    if None in mins:
        problems.append("every grade but the last needs a minimum score ('min')")
    if scheme.grades[-1].min is not None:
        problems.append("the last grade must have no minimum: it takes every lower total")
    given = [m for m in mins if m is not None]
    if any(b >= a for a, b in pairwise(given)):
        problems.append(f"grade cutoffs {given} must go down from the best grade to the worst")
    problems += [f"grade '{d}' is named twice" for d in _duplicates(scheme.grade_names)]
    return problems


def _validate_money(scheme: Scheme) -> list[str]:
    money = scheme.money
    if money.mode not in MONEY_MODES:
        return [f"money mode '{money.mode}' is unknown; use one of {MONEY_MODES}"]
    table = {"grade_amount": money.amounts, "grade_coefficient": money.coefficients}.get(money.mode)
    problems = []
    if table is not None:
        missing = [g for g in scheme.grade_names if g not in table]
        extra = [g for g in table if g not in scheme.grade_names]
        if missing:
            problems.append(f"money ({money.mode}) gives no value for grade(s) {missing}")
        if extra:
            problems.append(
                f"money ({money.mode}) names grade(s) {extra} that the scheme does not have"
            )
    if money.mode in ("performance_pay", "grade_coefficient") and money.base <= 0:
        problems.append(f"money mode {money.mode} needs a positive 'base' (found {money.base:g})")
    return problems + _validate_formulas(scheme)


def _validate_formulas(scheme: Scheme) -> list[str]:
    """Money formulas and the input columns they read."""
    money, raw = scheme.money, scheme.raw.get("money", {})
    problems = []
    if money.mode == "formula" and raw.get("formula") is None:
        problems.append('money mode formula needs a formula (formula = "…")')
    if money.mode != "formula" and raw.get("formula") is not None:
        problems.append(
            f'[money] gives a formula but its mode is {money.mode}; set mode = "formula" to use it'
        )
    formulas = [f for f in (money.formula, *(r.money_formula for r in scheme.roles)) if f]
    if any("coefficient" in f.keys for f in formulas):
        missing = [g for g in scheme.grade_names if g not in money.coefficients]
        if missing:
            problems.append(
                f"a money formula uses 考核系数 (coefficient) but [money] coefficients gives "
                f"none for grade(s) {missing}"
            )
    ids = [i.id for i in money.inputs]
    problems += [f"money input id '{d}' is used twice" for d in _duplicates(ids)]
    problems += [
        f"money input id '{i}' must be lower-case letters, digits and _"
        for i in ids
        if not KPI_ID_PATTERN.fullmatch(i)
    ]
    taken = {normalize_header(n) for n in (*RESERVED_IDS, *TOTAL_NAMES, *COEFFICIENT_NAMES)}
    taken |= {normalize_header(n) for k in scheme.kpis for n in (k.id, k.name_zh, k.name_en)}
    taken |= {normalize_header(a) for k in scheme.kpis for a in k.aliases}
    problems += [
        f"money input {item.name_zh} ({item.id}): the name '{name}' is already a KPI's or a "
        "roster column's"
        for item in money.inputs
        for name in dict.fromkeys(item.names)
        if normalize_header(name) in taken
    ]
    names = [n for item in money.inputs for n in {normalize_header(x) for x in item.names}]
    problems += [f"the column name '{d}' is given to two money inputs" for d in _duplicates(names)]
    return problems
