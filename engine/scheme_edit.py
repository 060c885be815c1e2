"""Changing a scheme for a scenario, keeping its versions, writing it out (TOML, plain words)."""

from __future__ import annotations

import copy
import hashlib
import math
import tomllib
from dataclasses import dataclass

import pandas as pd
import tomli_w

from engine.scheme import Kpi, Scheme, SchemeError, parse_scheme
from engine.store import Store

# The parameters of each scoring method a scenario may change, in the order they are shown.
RULE_FIELDS = {
    "linear": ("floor", "target", "cap"),
    "deduction": ("per_incident", "start"),
    "rating": ("scale_min", "scale_max"),
    "bands": ("max_points",),
    "tiers": (),
}
UNIT_WORDS = {
    "days": ("天", " days"),
    "%": ("%", "%"),
    "min": ("分钟", " min"),
    "hours": ("小时", " hours"),
    "count": ("次", ""),
    "points": ("分", " points"),
    "rating": ("", ""),
    "yuan": ("元", " yuan"),
}
METHOD_NAMES = {
    "bands": ("分档计分", "Bands"),
    "tiers": ("达标分级", "Tiers"),
    "linear": ("线性达成", "Linear"),
    "deduction": ("扣分制", "Deduction"),
    "rating": ("评分折算", "Rating"),
}
MONEY_NAMES = {
    "grade_amount": ("按等级定额奖金", "Fixed amount per grade"),
    "performance_pay": ("绩效工资 = 基数 × 总分 / 100", "Performance pay = base × total / 100"),
    "grade_coefficient": ("等级系数 × 奖金基数", "Grade coefficient × bonus base"),
}


# ------------------------------------------------------------------ changing a scheme's data


def tidy(value: float) -> float | int:
    """A number as a manager would write it in the file: 85 rather than 85.0."""
    value = float(value)
    return int(value) if math.isfinite(value) and value.is_integer() else value


def with_cutoffs(data: dict, scheme: Scheme, cutoffs: list[float]) -> dict:
    """The scheme data with new grade minimums (best grade first; the last grade has none)."""
    out = copy.deepcopy(data)
    grades = out.setdefault("grades", {})
    grades.pop("preset", None)
    grades["levels"] = [
        {"name": g.name, "name_en": g.name_en}
        | ({"min": tidy(cutoffs[i])} if i < len(cutoffs) else {})
        for i, g in enumerate(scheme.grades)
    ]
    return out


def with_category_weights(data: dict, weights: dict[str, float], role: str = "") -> dict:
    """New category weights for the default plan (role "") or for one named role."""
    out = copy.deepcopy(data)
    if role:
        _role_entry(out, role)["categories"] = {c: tidy(w) for c, w in weights.items()}
    else:
        for category in out.get("categories", []):
            if category.get("id") in weights:
                category["weight"] = tidy(weights[category["id"]])
    return out


def with_kpi_weights(
    data: dict, weights: dict[str, float], role: str = "", defaults: dict[str, float] | None = None
) -> dict:
    """New KPI weights for the default plan, or for a role: the role keeps the weights it already
    overrides and those that differ from the default plan's (`defaults`)."""
    out = copy.deepcopy(data)
    if role:
        entry = _role_entry(out, role)
        kept = set(entry.get("kpi_weights", {}))
        defaults = defaults or {}
        entry["kpi_weights"] = {
            k: tidy(w) for k, w in weights.items() if k in kept or w != defaults.get(k)
        }
    else:
        for kpi in out.get("kpis", []):
            if kpi.get("id") in weights:
                kpi["weight"] = tidy(weights[kpi["id"]])
    return out


def _role_entry(data: dict, role: str) -> dict:
    return next(r for r in data.get("roles", []) if r.get("name") == role)


def with_rule(data: dict, kpi_id: str, **params) -> dict:
    """New scoring parameters for one KPI: floor, target, cap, per_incident, start, scale_min,
    scale_max, max_points, bands [(upto, points), ...] or tiers [(threshold, score), ...]."""
    out = copy.deepcopy(data)
    entry = next(k for k in out.get("kpis", []) if k.get("id") == kpi_id)
    for name, value in params.items():
        if name == "bands":
            entry["bands"] = [
                {**old, "upto": tidy(upto), "points": tidy(points)}
                for old, (upto, points) in zip(entry["bands"], value, strict=True)
            ]
        elif name == "tiers":
            entry["tiers"] = [
                {**old, "score": tidy(score)}
                | ({} if threshold is None else {"threshold": tidy(threshold)})
                for old, (threshold, score) in zip(entry["tiers"], value, strict=True)
            ]
        else:
            entry[name] = tidy(value)
    return out


def with_money(
    data: dict,
    amounts: dict[str, float] | None = None,
    coefficients: dict[str, float] | None = None,
    base: float | None = None,
) -> dict:
    """New money per grade (amounts or coefficients) and/or a new base."""
    out = copy.deepcopy(data)
    money = out.setdefault("money", {})
    if amounts is not None:
        money["amounts"] = {g: tidy(v) for g, v in amounts.items()}
    if coefficients is not None:
        money["coefficients"] = {g: tidy(v) for g, v in coefficients.items()}
    if base is not None:
        money["base"] = tidy(base)
    return out


def with_version(data: dict, version: int) -> dict:
    out = copy.deepcopy(data)
    out["version"] = int(version)
    return out


def cutoffs_of(scheme: Scheme) -> list[float]:
    """The grade minimums, best grade first (one fewer than the grades)."""
    return [float(g.min) for g in scheme.grades[:-1]]


# ------------------------------------------------------------------ TOML


def to_toml(data: dict, header: str = "") -> str:
    """The scheme data as a TOML file, with an optional comment block on top."""
    comments = "".join(f"# {line}\n" for line in header.splitlines())
    return comments + ("\n" if comments else "") + tomli_w.dumps(data)


def digest_of(text: str) -> str:
    """The same short digest load_scheme gives a file with this text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def from_toml(text: str, source: str) -> Scheme:
    """A scheme from TOML text (a stored version or a saved scenario); raises SchemeError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError(source, [f"the text is not valid TOML: {exc}"]) from exc
    return parse_scheme(data, source=source, digest=digest_of(text))


# ------------------------------------------------------------------ versions in the store


def versions(store: Store, file_scheme: Scheme) -> pd.DataFrame:
    """Every version of a scheme, newest first: the store's adopted versions and the file's
    version when the store does not hold that number; `active` marks the one in use."""
    kept = store.scheme_versions(file_scheme.id).assign(origin="store")
    if file_scheme.version not in set(kept["version"]):
        row = {
            "version": file_scheme.version,
            "created_at": pd.NaT,
            "note": file_scheme.source,
            "origin": "file",
        }
        kept = pd.concat([kept, pd.DataFrame([row])], ignore_index=True)
    kept = kept.sort_values("version", ascending=False, ignore_index=True)
    return kept.assign(active=kept.index == 0)


def scheme_version(store: Store, file_scheme: Scheme, version: int) -> Scheme:
    """One version of a scheme: from the store, else the file when it has that number."""
    text = store.scheme_version_text(file_scheme.id, version)
    if text is not None:
        return from_toml(text, f"{file_scheme.id} v{version}")
    if version == file_scheme.version:
        return file_scheme
    raise SchemeError(file_scheme.id, [f"version {version} is not kept"])


def active_scheme(store: Store, file_scheme: Scheme) -> Scheme:
    """The version in use: the highest number among the store's adopted versions and the file."""
    newest = versions(store, file_scheme)["version"].iloc[0]
    return scheme_version(store, file_scheme, int(newest))


def adopt(store: Store, file_scheme: Scheme, scenario: Scheme, note: str) -> Scheme:
    """Keep a scenario as the scheme's next version (the file's version is kept first, once)."""
    newest = int(versions(store, file_scheme)["version"].iloc[0])
    number = newest + 1
    text = to_toml(
        with_version(scenario.raw, number),
        f"{scenario.name_zh} · {scenario.name_en} v{number}\n{note}".strip(),
    )
    checked = from_toml(text, f"{file_scheme.id} v{number}")
    baseline = None
    if file_scheme.raw and store.scheme_version_text(file_scheme.id, file_scheme.version) is None:
        baseline = (file_scheme.version, to_toml(file_scheme.raw, file_scheme.source))
    store.add_scheme_version(file_scheme.id, number, text, note, baseline=baseline)
    return checked


# ------------------------------------------------------------------ what changed, in words


@dataclass(frozen=True)
class Change:
    """One difference between two schemes, named in both languages."""

    what_zh: str
    what_en: str
    before: str
    after: str

    def text(self, language: str = "zh") -> str:
        what = self.what_zh if language == "zh" else self.what_en
        return f"{what}: {self.before} → {self.after}"


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return "∞" if value == math.inf else f"{value:g}"


def differences(before: Scheme, after: Scheme) -> list[Change]:
    """Every cutoff, weight, rule and money figure that differs between two schemes."""
    found: list[Change] = []

    def note(zh: str, en: str, old, new) -> None:
        if old != new:
            found.append(Change(zh, en, _number(old), _number(new)))

    for old, new in zip(before.grades[:-1], after.grades[:-1], strict=False):
        note(f"{old.name} 最低分", f"{old.name_en} minimum", old.min, new.min)
    for old_plan, new_plan in zip(before.plans, after.plans, strict=True):
        zh, en = (f"{old_plan.name} ", f"{old_plan.name} ") if old_plan.name else ("", "")
        for c in before.categories:
            note(
                f"{zh}{c.name_zh} 权重",
                f"{en}{c.name_en} weight",
                old_plan.category_weights.get(c.id),
                new_plan.category_weights.get(c.id),
            )
        for k in before.kpis:
            note(
                f"{zh}{k.name_zh} 权重",
                f"{en}{k.name_en} weight",
                old_plan.kpi_weights.get(k.id),
                new_plan.kpi_weights.get(k.id),
            )
    for old, new in zip(before.kpis, after.kpis, strict=True):
        for field in RULE_FIELDS.get(old.method, ()):
            note(
                f"{old.name_zh} {field}",
                f"{old.name_en} {field}",
                getattr(old, field),
                getattr(new, field),
            )
        for i, (a, b) in enumerate(zip(old.bands, new.bands, strict=True), start=1):
            note(f"{old.name_zh} 第{i}档上限", f"{old.name_en} band {i} upper edge", a.upto, b.upto)
            note(f"{old.name_zh} 第{i}档分数", f"{old.name_en} band {i} points", a.points, b.points)
        for i, (a, b) in enumerate(zip(old.tiers, new.tiers, strict=True), start=1):
            note(
                f"{old.name_zh} 第{i}级门槛",
                f"{old.name_en} tier {i} threshold",
                a.threshold,
                b.threshold,
            )
            note(f"{old.name_zh} 第{i}级得分", f"{old.name_en} tier {i} score", a.score, b.score)
    old_money, new_money = before.money, after.money
    for g in before.grade_names:
        note(f"{g} 奖金", f"{g} amount", old_money.amounts.get(g), new_money.amounts.get(g))
        note(
            f"{g} 系数",
            f"{g} coefficient",
            old_money.coefficients.get(g),
            new_money.coefficients.get(g),
        )
    note("奖金基数", "money base", old_money.base, new_money.base)
    return found


# ------------------------------------------------------------------ the scheme in plain words


def unit_text(kpi: Kpi, language: str = "zh") -> str:
    zh, en = UNIT_WORDS.get(kpi.unit, ("", ""))
    return zh if language == "zh" else en


def rule_text(kpi: Kpi, language: str = "zh") -> str:
    """How a KPI is scored, as the published standard says it ("0–2 天 → 5 分; …")."""
    zh = language == "zh"
    unit = unit_text(kpi, language)
    pts = (lambda p: f"{p:g} 分") if zh else (lambda p: f"{p:g} point" + ("" if p == 1 else "s"))
    if kpi.method == "bands":
        low = kpi.valid_range[0]
        parts = []
        for band in kpi.bands:
            if band.upto == math.inf:
                span = f"{low:g}{unit}以上" if zh else f"over {low:g}{unit}"
            elif math.isfinite(low):
                span = f"{low:g}–{band.upto:g}{unit}"
            else:
                span = f"≤ {band.upto:g}{unit}"
            parts.append(f"{span} → {pts(band.points)}")
            low = band.upto
        top = f"({pts(kpi.max_points)} = 100)"
        return ("; " if not zh else ";").join(parts) + (" " if not zh else "") + top
    if kpi.method == "tiers":
        better = "≤" if kpi.direction == "lower" else "≥"
        if zh:
            worse = "超过" if kpi.direction == "lower" else "低于"
        else:
            worse = "over" if kpi.direction == "lower" else "under"
        parts = []
        for i, tier in enumerate(kpi.tiers):
            if tier.threshold is not None:
                span = f"{better} {tier.threshold:g}{unit}"
            elif i > 0:
                span = f"{worse} {kpi.tiers[i - 1].threshold:g}{unit}"
            else:
                span = "全部" if zh else "any value"
            score = f"{tier.score:g} 分" if zh else f"{tier.score:g}"
            label = "" if not tier.label else f"({tier.label})" if zh else f" ({tier.label})"
            parts.append(f"{span} → {score}{label}")
        return (";" if zh else "; ").join(parts)
    if kpi.method == "linear":
        best, worst = ("≥", "≤") if kpi.target > kpi.floor else ("≤", "≥")
        if zh:
            cap = f",超额最高 {100 * kpi.cap:g} 分" if kpi.cap > 1 else ""
            return (
                f"{best} {kpi.target:g}{unit} 得 100 分,{worst} {kpi.floor:g}{unit} 得 0 分,"
                f"之间按比例{cap}"
            )
        cap = f", over-achievement up to {100 * kpi.cap:g}" if kpi.cap > 1 else ""
        return (
            f"{best} {kpi.target:g}{unit} scores 100, {worst} {kpi.floor:g}{unit} scores 0, "
            f"in proportion between{cap}"
        )
    if kpi.method == "deduction":
        if zh:
            floor = "可为负分" if kpi.allow_negative else "最低 0 分"
            return f"从 {kpi.start:g} 分起,每次扣 {kpi.per_incident:g} 分,{floor}"
        floor = "may go negative" if kpi.allow_negative else "down to 0"
        return f"{kpi.start:g} less {kpi.per_incident:g} per incident, {floor}"
    if (kpi.scale_min, kpi.scale_max) == (0, 100):
        return "0–100 分,直接计入" if zh else "a 0–100 score, taken as it is"
    if zh:
        return f"{kpi.scale_min:g}–{kpi.scale_max:g} 分制,折算为百分制({kpi.scale_max:g} 分 = 100)"
    return (
        f"a {kpi.scale_min:g}–{kpi.scale_max:g} rating rescaled to 0–100 ({kpi.scale_max:g} = 100)"
    )


def kpi_table(scheme: Scheme, language: str = "zh") -> pd.DataFrame:
    """One row per KPI: category, weight inside it, share of the total, direction and rule."""
    zh = language == "zh"
    cats = {c.id: c for c in scheme.categories}
    rows = []
    for kpi in scheme.kpis:
        category = cats[kpi.category]
        weight = scheme.default_plan.kpi_weights.get(kpi.id, 0.0)
        share = weight * scheme.default_plan.category_weights.get(kpi.category, 0.0) / 100
        rows.append(
            {
                "category": category.label(language),
                "kpi": kpi.label(language),
                "weight": weight,
                "share": share,
                "direction": ("越低越好" if zh else "lower is better")
                if kpi.direction == "lower"
                else ("越高越好" if zh else "higher is better"),
                "method": METHOD_NAMES[kpi.method][0 if zh else 1],
                "rule": rule_text(kpi, language),
            }
        )
    return pd.DataFrame(rows)


def grade_table(scheme: Scheme, language: str = "zh") -> pd.DataFrame:
    """One row per grade: its name, the totals it takes and the money it earns, in words."""
    zh = language == "zh"
    money = scheme.money
    rows = []
    upper = None
    for level in scheme.grades:
        name = level.name if zh else level.name_en
        if level.min is None:
            span = (f"低于 {upper:g}" if zh else f"below {upper:g}") if upper is not None else ""
        elif upper is None:
            span = f"≥ {level.min:g}"
        else:
            span = (
                f"{level.min:g} ≤ 总分 < {upper:g}" if zh else f"{level.min:g} ≤ total < {upper:g}"
            )
        if money.mode == "grade_amount":
            amount = money.amounts.get(level.name, 0)
            paid = (f"{amount:+,.0f}" if amount else "0") + (" 元" if zh else " yuan")
        elif money.mode == "grade_coefficient":
            factor = money.coefficients.get(level.name, 0)
            paid = (
                f"× {factor:g}(= {factor * money.base:,.0f} 元)"
                if zh
                else (f"× {factor:g} (= {factor * money.base:,.0f} yuan)")
            )
        else:
            paid = f"{money.base:,.0f} × 总分 / 100" if zh else f"{money.base:,.0f} × total / 100"
        rows.append(
            {
                "grade": name,
                "minimum": level.min,
                "totals": span,
                "money": paid,
                "target_share": scheme.target_mix.get(level.name),
            }
        )
        upper = level.min if level.min is not None else upper
    return pd.DataFrame(rows)


def weights_table(scheme: Scheme, language: str = "zh") -> pd.DataFrame:
    """Category weights (and, below each, its KPI weights) for the default plan and each role."""
    rows = []
    plans = scheme.plans
    heads = ["默认" if language == "zh" else "Default", *[p.name for p in plans[1:]]]
    for category in scheme.categories:
        row = {"item": category.label(language), "level": "category"}
        row |= {
            h: p.category_weights.get(category.id, 0.0) for h, p in zip(heads, plans, strict=True)
        }
        rows.append(row)
        for kpi in scheme.kpis:
            if kpi.category != category.id:
                continue
            row = {"item": "  · " + kpi.label(language), "level": "kpi"}
            row |= {h: p.kpi_weights.get(kpi.id, 0.0) for h, p in zip(heads, plans, strict=True)}
            rows.append(row)
    return pd.DataFrame(rows)
