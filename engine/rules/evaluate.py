"""Rules across months (跨月规则) from the source regulations: streak rewards and flags, the
不进则退 pay rule, skill levels by points, the promotion ladder, stars, team multipliers and the
NPS return, each evaluated column-wise over every employee and month at once."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace

import pandas as pd

from engine.rules.ladder import CHECK_COLUMNS, PEOPLE_COLUMNS, ladder_at
from engine.rules.money import (
    COMMISSION_COLUMNS,
    NPS_COLUMNS,
    STAR_COLUMNS,
    TEAM_COLUMNS,
    commission_table,
    nps_table,
    star_table,
    team_table,
)
from engine.rules.pay import LEVEL_COLUMNS, PAY_COLUMNS, level_table, pay_reasons, pay_table
from engine.rules.streaks import EVENT_COLUMNS, all_events
from engine.rules.timeline import (
    ROSTER,
    Timeline,
    missing_columns,
    month_label,
    month_number,
    with_inputs,
)
from engine.schemes.rules_spec import (
    FROM_LEVELS,
    Rules,
    RulesError,
    check_rules,
    load_rules,
    rules_key,
    rules_location,
)
from engine.scoring.targets import target_column

__all__ = [
    "Rules",
    "RulesError",
    "RulesReport",
    "check_rules",
    "columns_read",
    "evaluate",
    "load_rules",
    "pay_reasons",
    "reserve_ledger",
    "rules_key",
    "rules_location",
    "with_inputs",
]


@dataclass(frozen=True)
class RulesReport:
    """What the rules give for a monthly history; a rule that is absent or lacks its data
    leaves its table empty and says why in `notices` (section, Chinese, English)."""

    as_of: str
    events: pd.DataFrame
    levels: pd.DataFrame
    pay: pd.DataFrame
    ladder: pd.DataFrame
    ladder_checks: pd.DataFrame
    stars: pd.DataFrame
    teams: pd.DataFrame
    commission: pd.DataFrame
    nps: pd.DataFrame
    notices: tuple[tuple[str, str, str], ...] = field(default=())

    def notices_for(self, section: str) -> list[tuple[str, str]]:
        """The (Chinese, English) notices of one section: streaks, levels, pay, ladder, stars,
        teams or nps."""
        return [(zh, en) for key, zh, en in self.notices if key == section]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


class _Notices:
    """Collects 'this rule was not applied because the data lacks ...' messages."""

    def __init__(self, table: pd.DataFrame, rules: Rules):
        self.table = table
        self.rules = rules
        self.items: list[tuple[str, str, str]] = []

    def ready(self, section: str, rule_zh: str, rule_en: str, columns) -> bool:
        """True when the table holds every column; otherwise note what is missing."""
        missing = missing_columns(self.table, [c for c in columns if c])
        if not missing:
            return True
        names_zh = "、".join(self._header(c, "zh") for c in missing)
        names_en = "; ".join(self._header(c, "en") for c in missing)
        self.items.append(
            (
                section,
                f"「{rule_zh}」未计算:数据中没有 {names_zh}。",
                f"{rule_en}: not applied, the data has no {names_en}.",
            )
        )
        return False

    def _header(self, column: str, language: str) -> str:
        label = self.rules.label(column, language)
        item = next((i for i in self.rules.inputs if i.id == column), None)
        if item is None or not item.aliases:
            return f"“{label}”" if language == "zh" else f"'{label}'"
        aliases = ("、" if language == "zh" else ", ").join(item.aliases[:3])
        return f"“{label}”列(或 {aliases})" if language == "zh" else f"'{label}' ({aliases})"


def evaluate(table: pd.DataFrame, rules: Rules, as_of: str | None = None) -> RulesReport:
    """Every rule over a scored monthly table holding the rules' inputs (see with_inputs); the
    ladder is judged at `as_of` (default: the latest month), at the latest month with data."""
    notes = _Notices(table, rules)
    if table.empty:
        return _report("", {}, notes)
    timeline = Timeline.of(table)
    months = timeline.month
    chosen = months.max() if as_of is None else month_number(as_of)
    latest = months[months <= chosen].max() if (months <= chosen).any() else months.min()
    streaks = [s for s in rules.streaks if notes.ready("streaks", s.name_zh, s.name_en, s.columns)]
    found = {"events": all_events(table, timeline, tuple(streaks), rules.scheme)}
    found.update(_levels_and_pay(table, timeline, rules, notes))
    if rules.ladder is not None:
        found["ladder"], found["ladder_checks"] = ladder_at(table, timeline, rules.ladder, latest)
    stars = rules.stars
    if stars is not None:
        pay_column = [stars.performance_pay] if isinstance(stars.performance_pay, str) else []
        if notes.ready("stars", stars.name_zh, stars.name_en, [stars.achievement, *pay_column]):
            found["stars"] = star_table(table, stars, _standard(rules.scheme, stars.achievement))
    found.update(_money(table, timeline, rules, notes))
    return _report(month_label(int(latest)), found, notes)


def columns_read(rules: Rules) -> list[str]:
    """The columns of the scored monthly table that evaluating the rules may read (a table of
    only these, those it has, gives the same report as the whole table): who and when, the hire
    date (tenure), total, money and missing KPIs (quarter and year rows), the scheme's
    tie-break score, every column a rule or an input names, and a KPI's own target."""
    named = list(dict.fromkeys(_texts(rules)))
    scheme = rules.scheme
    tie = [f"score_{scheme.tie_break}"] if scheme is not None and scheme.tie_break else []
    fixed = [*ROSTER, "hire_date", "total", "bonus", "missing_count", *tie]
    return list(dict.fromkeys([*fixed, *named, *map(target_column, named)]))


def _texts(value: object):
    """Every text inside the rules (a column is named by its id wherever a rule names one);
    the labels and the scheme are not part of them."""
    if isinstance(value, str):
        yield value
    elif is_dataclass(value):
        for item in fields(value):
            if item.name not in ("labels", "scheme"):
                yield from _texts(getattr(value, item.name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _texts(item)


def _standard(scheme, column: str) -> float | None:
    """The scheme's own target of a linear KPI (what a person's or team's target replaces)."""
    if scheme is None or column not in scheme.kpi_ids:
        return None
    kpi = scheme.kpi(column)
    return kpi.target if kpi.method == "linear" else None


def reserve_ledger(table: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The money rules alone, per row of a scored monthly table with the rules' inputs: the
    commission after the team factor, the reserve withheld, released and forfeited, and what is
    paid (see commission_table); empty when the rules hold no reserve ([nps_return])."""
    if rules.nps_return is None or table.empty:
        return _empty(COMMISSION_COLUMNS)
    money = replace(rules, streaks=(), levels=None, pay_cut=None, ladder=None, stars=None)
    return evaluate(table, money).commission


def _levels_and_pay(
    table: pd.DataFrame, timeline: Timeline, rules: Rules, notes: _Notices
) -> dict[str, pd.DataFrame]:
    """Skill levels by points, then the 不进则退 pay table that may take level and pay from them."""
    found: dict[str, pd.DataFrame] = {}
    level_rows = None
    levels = rules.levels
    if levels is not None:
        given = [
            c for c in (levels.opening, *levels.entry) if c and missing_columns(table, [c]) == []
        ]
        if notes.ready(
            "levels",
            "技能等级(积分)",
            "Skill levels by points",
            given or [levels.opening or levels.entry[0]],
        ):
            found["levels"], level_rows = level_table(table, timeline, levels)
    cut = rules.pay_cut
    if cut is None:
        return found
    uses_levels = FROM_LEVELS in (cut.level, cut.normal_pay)
    if uses_levels and level_rows is None:
        notes.items.append(
            (
                "pay",
                f"「{cut.name_zh}」未计算:它需要技能等级和月薪(见「技能等级」)。",
                f"{cut.name_en}: not applied, it needs the skill levels and pay (see Levels).",
            )
        )
        return found
    needs = [c.column for c in cut.gain]
    needs += [s for s in (cut.level, cut.normal_pay) if s != FROM_LEVELS]
    if notes.ready("pay", cut.name_zh, cut.name_en, needs):
        found["pay"] = pay_table(table, timeline, cut, level_rows)
    return found


def _money(
    table: pd.DataFrame, timeline: Timeline, rules: Rules, notes: _Notices
) -> dict[str, pd.DataFrame]:
    """The team multipliers, the commission after them and the NPS hold-back and return."""
    found: dict[str, pd.DataFrame] = {}
    team, nps = rules.team_multiplier, rules.nps_return
    factor = None
    if team is not None and notes.ready("teams", team.name_zh, team.name_en, [team.column]):
        found["teams"], factor = team_table(table, timeline, team)
    if factor is not None or nps is not None:
        found["commission"] = commission_table(table, 1.0 if factor is None else factor, nps)
    if nps is not None and notes.ready("nps", "NPS 返还", "NPS return", [nps.score]):
        found["nps"], found["commission"] = nps_table(table, timeline, found["commission"], nps)
    return found


def _report(as_of: str, found: dict[str, pd.DataFrame], notes: _Notices) -> RulesReport:
    columns = {
        "events": EVENT_COLUMNS,
        "levels": LEVEL_COLUMNS,
        "pay": PAY_COLUMNS,
        "ladder": PEOPLE_COLUMNS,
        "ladder_checks": CHECK_COLUMNS,
        "stars": STAR_COLUMNS,
        "teams": TEAM_COLUMNS,
        "commission": COMMISSION_COLUMNS,
        "nps": NPS_COLUMNS,
    }
    tables = {name: found.get(name, _empty(cols)) for name, cols in columns.items()}
    return RulesReport(as_of=as_of, notices=tuple(notes.items), **tables)
