"""Veto items (一票否决): a condition on a month's data caps the grade whatever the total (seed 001:
有重大违规行为为不合格). A scheme lists them as [[cycle.vetoes]]."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.cycle.adjust import aligned, grade_position
from engine.schemes.scheme import Scheme, SchemeError, normalize_header
from engine.scoring.score import grade_labels, money


@dataclass(frozen=True)
class Veto:
    """`column` (a KPI id or any header, or one of `aliases`) at least `at_least` → the grade is
    at most `max_grade`."""

    name_zh: str
    name_en: str
    column: str
    aliases: tuple[str, ...]
    at_least: float
    max_grade: str


def vetoes(scheme: Scheme) -> list[Veto]:
    """The scheme's veto items, checked (raises SchemeError naming each problem)."""
    found, problems = [], []
    for i, raw in enumerate(scheme.raw.get("cycle", {}).get("vetoes", []), start=1):
        name = str(raw.get("name_zh", raw.get("column", f"veto {i}")))
        veto = Veto(
            name_zh=name,
            name_en=str(raw.get("name_en", name)),
            column=str(raw.get("column", "")),
            aliases=tuple(str(a) for a in raw.get("aliases", [])),
            at_least=raw.get("at_least", 1),
            max_grade=str(raw.get("max_grade", "")),
        )
        if not veto.column:
            problems.append(f"veto {name}: name the column it looks at (column = …)")
        if not isinstance(veto.at_least, int | float) or isinstance(veto.at_least, bool):
            problems.append(f"veto {name}: at_least must be a number")
        if veto.max_grade not in scheme.grade_names:
            problems.append(
                f"veto {name}: max_grade '{veto.max_grade}' is not a grade of the scheme "
                f"({'/'.join(scheme.grade_names)})"
            )
        found.append(veto)
    if problems:
        raise SchemeError(scheme.source or scheme.id, problems)
    return found


def _values(facts: pd.DataFrame, veto: Veto) -> pd.Series:
    """The veto's column as numbers (NaN where absent)."""
    by_header = {normalize_header(c): c for c in facts.columns}
    names = map(normalize_header, (veto.column, *veto.aliases))
    found = next((by_header[n] for n in names if n in by_header), None)
    if found is None:
        return pd.Series(np.nan, index=facts.index)
    return pd.to_numeric(facts[found], errors="coerce")


def apply_vetoes(table: pd.DataFrame, facts: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Cap each scored month row's grade by the vetoes that hold for it; `veto` names them and
    money follows the capped grade (total and ranks stay)."""
    rules = vetoes(scheme)
    if not rules:
        return table.assign(veto="")
    keys = ["period", "employee_id"]
    conditions = pd.DataFrame(
        {f"veto_{i}": _values(facts, v).ge(v.at_least).to_numpy() for i, v in enumerate(rules)}
    ).assign(period=facts["period"].to_numpy(), employee_id=facts["employee_id"].to_numpy())
    held = aligned(table, conditions).drop(columns=keys)
    held = held.fillna(False).to_numpy(dtype=bool)
    codes = grade_position(table["grade"], scheme)
    caps = np.array([scheme.grade_names.index(v.max_grade) for v in rules])
    cap = np.max(np.where(held, caps, -1), axis=1, initial=-1)
    capped = np.where(codes >= 0, np.maximum(codes, cap), codes)
    # Which rules hold, as one number per row; the names are joined once per combination.
    mask = held.astype(np.int64) @ (1 << np.arange(len(rules), dtype=np.int64))
    combos, combo_of_row = np.unique(mask, return_inverse=True)
    names = [f"{r.name_zh} ≥ {r.at_least:g} → {r.max_grade}" for r in rules]
    joined = ["; ".join(n for i, n in enumerate(names) if c >> i & 1) for c in combos]
    out = table.assign(veto=np.asarray(joined, dtype=object)[combo_of_row.ravel()])
    lowered = capped != codes
    if lowered.any():
        out["grade"] = grade_labels(capped, scheme)
        out["grade_en"] = grade_labels(capped, scheme, "en")
        total = out["total"].to_numpy(dtype=float)
        out["bonus"] = np.where(lowered, money(total, capped, scheme), out["bonus"])
    return out
