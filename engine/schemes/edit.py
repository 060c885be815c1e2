"""Changing a scheme for a scenario, writing it out as TOML, and what differs between two."""

from __future__ import annotations

import copy
import hashlib
import math
import tomllib
from dataclasses import dataclass

import tomli_w

from engine.schemes.scheme import Scheme, SchemeError, parse_scheme

# The parameters of each scoring method a scenario may change, in the order they are shown.
RULE_FIELDS = {
    "linear": ("floor", "target", "cap"),
    "deduction": ("per_incident", "start"),
    "rating": ("scale_min", "scale_max"),
    "bands": ("max_points",),
    "tiers": (),
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
