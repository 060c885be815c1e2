"""Eligibility: each person's status in a month (在岗, 试用期, 培训期, 新入职, 离职, 调岗, 长假) and
what it means: graded, ranked, counted in the grade mix, money prorated by days worked."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

import numpy as np
import pandas as pd

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


def apply_eligibility(table: pd.DataFrame, facts: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Each scored month row with its status: not graded → no grade and no money (scores stay,
    status_note says why); not ranked → no ranks, the others ranked without them; prorated →
    money × days worked ÷ days in the month, to the cent; in_mix says whether the person
    counts in the grade mix, the forced distribution and the bonus pool."""
    known = statuses(scheme)
    keys = ["period", "employee_id"]
    days = _column(facts, DAYS_HEADERS)
    found = facts[keys].assign(
        status=status_of(facts, scheme, known).to_numpy(),
        days_worked=np.nan if days is None else pd.to_numeric(days, errors="coerce").to_numpy(),
    )
    rows = table[keys].merge(found, on=keys, how="left")
    status = rows["status"].fillna(ACTIVE)
    flag = {
        f: status.map({n: getattr(s, f) for n, s in known.items()}).fillna(DEFAULTS[f])
        for f in FLAGS
    }
    graded, ranked = flag["graded"].to_numpy(bool), flag["ranked"].to_numpy(bool)
    ranked = ranked & graded
    english = status.map({n: s.name_en for n, s in known.items()}).fillna(status)
    note = np.where(
        ~graded,
        status + ":不评级 / " + english + ": not graded",
        np.where(~ranked, status + ":不排名 / " + english + ": not ranked", ""),
    )
    out = table.assign(
        status=status.to_numpy(), status_note=note, in_mix=flag["in_mix"].to_numpy(bool) & graded
    )
    if (~ranked).any():
        masked = out.assign(total=np.where(ranked, out["total"], np.nan))
        out[list(ranks(masked, scheme).columns)] = ranks(masked, scheme)
    bonus = out["bonus"].to_numpy(dtype=float)
    worked = rows["days_worked"].to_numpy(dtype=float)
    prorated = flag["prorate"].to_numpy(bool) & np.isfinite(worked)
    if prorated.any():
        in_month = pd.PeriodIndex(out["period"], freq="M").days_in_month.to_numpy(dtype=float)
        bonus = np.where(prorated, round_half_away(bonus * worked / in_month), bonus)
    if (~graded).any():
        out["grade"] = out["grade"].where(graded)
        out["grade_en"] = out["grade_en"].where(graded)
        bonus = np.where(graded, bonus, np.nan)
    out["bonus"] = bonus
    return out
