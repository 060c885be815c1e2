"""Eligibility: each person's status in a month (在岗, 试用期, 培训期, 新入职, 离职, 调岗, 长假) and
what it means: graded, ranked, counted in the grade mix, money prorated by days worked."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.cycle.adjust import aligned
from engine.cycle.config import cycle_path
from engine.schemes.scheme import Scheme, SchemeError, normalize_header
from engine.scoring.score import ranks, round_half_away

STATUS_HEADERS = ("status", "状态", "人员状态", "在职状态", "员工状态")
DAYS_HEADERS = ("days_worked", "出勤天数", "实际出勤天数", "出勤")
ACTIVE = "在岗"
FLAGS = ("graded", "ranked", "in_mix", "prorate")
DEFAULTS = {"graded": True, "ranked": True, "in_mix": True, "prorate": False}


@dataclass(frozen=True)
class Status:
    name: str
    name_en: str
    aliases: tuple[str, ...]
    graded: bool
    ranked: bool
    in_mix: bool
    prorate: bool


def statuses(scheme: Scheme, path=None) -> dict[str, Status]:
    """The statuses of data/cycle.toml with the scheme's changes ([cycle.statuses.<name>])."""
    base = tomllib.loads(cycle_path(path).read_text(encoding="utf-8-sig")).get("statuses", {})
    own = scheme.raw.get("cycle", {}).get("statuses", {})
    merged = {name: {**base.get(name, {}), **own.get(name, {})} for name in {**base, **own}}
    merged.setdefault(ACTIVE, {})
    return {
        name: Status(
            name=name,
            name_en=str(body.get("name_en", name)),
            aliases=tuple(str(a) for a in body.get("aliases", [])),
            **{flag: bool(body.get(flag, DEFAULTS[flag])) for flag in FLAGS},
        )
        for name, body in merged.items()
    }


def _column(facts: pd.DataFrame, headers: tuple[str, ...]) -> pd.Series | None:
    by_header = {normalize_header(c): c for c in facts.columns}
    found = next((by_header[h] for h in map(normalize_header, headers) if h in by_header), None)
    return None if found is None else facts[found]


def _months(scheme: Scheme, key: str) -> int:
    value = scheme.raw.get("cycle", {}).get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SchemeError(scheme.source or scheme.id, [f"[cycle] {key} must be a whole number"])
    return value


def status_of(facts: pd.DataFrame, scheme: Scheme, known: dict[str, Status]) -> pd.Series:
    """Each row's status: the roster column's value (a name or alias; an unknown value stays
    as written, with the flags of 在岗), else derived from the hire date, else 在岗."""
    lookup = {normalize_header(s.name): s.name for s in known.values()}
    lookup |= {normalize_header(a): s.name for s in known.values() for a in s.aliases}
    written = _column(facts, STATUS_HEADERS)
    text = (
        pd.Series("", index=facts.index)
        if written is None
        else written.fillna("").astype(str).str.strip()
    )
    codes, distinct = pd.factorize(text)  # each distinct value looked up once
    names = np.array([lookup.get(normalize_header(t), t) if t else "" for t in distinct] + [""])
    named = pd.Series(names[codes], index=facts.index, dtype=object)
    return named.where(named != "", derived_status(facts, scheme))


def derived_status(facts: pd.DataFrame, scheme: Scheme) -> pd.Series:
    """新入职 in the month of hiring, 培训期 / 试用期 in the first N months after it (only when
    the scheme sets training_months / probation_months), else 在岗."""
    derived = pd.Series(ACTIVE, index=facts.index, dtype=object)
    probation, training = _months(scheme, "probation_months"), _months(scheme, "training_months")
    if not (probation or training) or "hire_date" not in facts or not len(facts):
        return derived
    hired = pd.to_datetime(facts["hire_date"], errors="coerce")
    period = facts["period"].astype(str)
    month = period.str.slice(0, 4).astype(int) * 12 + period.str.slice(5, 7).astype(int)
    since = (month - (hired.dt.year * 12 + hired.dt.month)).to_numpy(dtype=float)
    for months, name in ((probation, "试用期"), (training, "培训期")):
        derived = derived.where(~((since >= 0) & (since < months)), name)
    return derived.where(since != 0, "新入职")


def flags(facts: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Each facts row's status, whether it is graded and whether it counts in the grade mix, the
    forced distribution and the bonus pool (as apply_eligibility has them), on the facts' index."""
    known = statuses(scheme)
    status = status_of(facts, scheme, known)
    codes, names = pd.factorize(status.fillna(ACTIVE))
    kinds = [known.get(n, known[ACTIVE]) for n in names]
    graded = np.array([k.graded for k in kinds], dtype=bool)[codes]
    in_mix = np.array([k.graded and k.in_mix for k in kinds], dtype=bool)[codes]
    return pd.DataFrame(
        {"status": status.to_numpy(), "graded": graded, "in_mix": in_mix}, index=facts.index
    )


def apply_eligibility(table: pd.DataFrame, facts: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Each scored month row with its status: not graded → no grade and no money (scores stay,
    status_note says why); not ranked → no ranks, the others ranked without them; prorated →
    money × days worked ÷ days in the month, to the cent; in_mix says whether the person
    counts in the grade mix, the forced distribution and the bonus pool."""
    known = statuses(scheme)
    days = _column(facts, DAYS_HEADERS)
    found = facts[["period", "employee_id"]].assign(
        status=status_of(facts, scheme, known).to_numpy(),
        days_worked=np.nan if days is None else pd.to_numeric(days, errors="coerce").to_numpy(),
    )
    rows = aligned(table, found)
    # Flags and notes per distinct status (a handful), then taken for every row.
    codes, names = pd.factorize(rows["status"].fillna(ACTIVE))
    kinds = [known.get(n, known[ACTIVE]) for n in names]
    graded = np.array([k.graded for k in kinds], dtype=bool)[codes]
    ranked = np.array([k.graded and k.ranked for k in kinds], dtype=bool)[codes]
    english = [known[n].name_en if n in known else n for n in names]
    notes = [
        f"{n}:不评级 / {e}: not graded"
        if not k.graded
        else (f"{n}:不排名 / {e}: not ranked" if not k.ranked else "")
        for n, e, k in zip(names, english, kinds, strict=True)
    ]
    note_codes, note_names = pd.factorize(pd.Series(notes, dtype=object))
    out = table.assign(
        status=pd.Categorical.from_codes(codes, list(names)),
        status_note=pd.Categorical.from_codes(note_codes[codes], list(note_names)),
        in_mix=np.array([k.graded and k.in_mix for k in kinds], dtype=bool)[codes],
    )
    if not ranked.all():
        masked = out.assign(total=np.where(ranked, out["total"], np.nan))
        for column, values in ranks(masked, scheme).items():
            out[column] = values
    bonus = out["bonus"].to_numpy(dtype=float)
    worked = rows["days_worked"].to_numpy(dtype=float)
    prorated = np.array([k.prorate for k in kinds], dtype=bool)[codes] & np.isfinite(worked)
    if prorated.any():
        month_codes, months = pd.factorize(out["period"])
        in_month = pd.PeriodIndex(months, freq="M").days_in_month.to_numpy(dtype=float)
        share = worked / in_month[month_codes]
        bonus = np.where(prorated, round_half_away(bonus * share), bonus)
    if not graded.all():
        out["grade"] = out["grade"].where(graded)
        out["grade_en"] = out["grade_en"].where(graded)
        bonus = np.where(graded, bonus, np.nan)
    out["bonus"] = bonus
    return out
