"""Rules across months (跨月规则) as data: a rules file loaded into frozen dataclasses and checked,
every problem listed in words a manager understands."""

from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

from engine import paths
from engine.schemes.scheme import Scheme

RULES_DIR = paths.SCHEMES_DIR / "rules"
OPERATORS = {
    "at_least": "≥",
    "above": ">",
    "at_most": "≤",
    "below": "<",
    "equals": "=",
    "in": "∈",
    "not_in": "∉",
}
INPUT_KINDS = ("number", "yes_no", "text")
STREAK_ACTIONS = ("reward", "flag")
REPEATS = ("block", "month")
# A streak counts months, quarters or years in a row (the key names the period: months = 3,
# quarters = 2, years = 2); a quarter's or year's grade is that of its mean monthly total.
RUN_KEYS = {"months": "month", "quarters": "quarter", "years": "year"}
SCOPES = ("person", "team")
TEAM_MEASURES = ("share", "count", "mean")
COMPANY = "company"  # a team figure compared with the same figure over the whole company
RELEASES = ("year", "quarter")
MEASURES = ("sum", "count", "mean", "min", "max", "last", "tenure_months")
FROM_LEVELS = "levels"
SECTIONS = {
    "name_zh",
    "name_en",
    "version",
    "file",
    "inputs",
    "streaks",
    "levels",
    "pay_cut",
    "ladder",
    "stars",
    "team_multiplier",
    "nps_return",
}
# Columns of the scored monthly table a rule may read, with their names for people.
SCORED_COLUMNS = {
    "total": ("总分", "Total"),
    "grade": ("等级", "Grade"),
    "rank": ("公司排名", "Company rank"),
    "dept_rank": ("部门排名", "Department rank"),
    "team_rank": ("班组排名", "Team rank"),
    "bonus": ("奖金", "Money"),
    "department": ("部门", "Department"),
    "team": ("班组", "Team"),
    "role": ("岗位", "Role"),
    "region": ("地区", "Region"),
}
YES_WORDS = (
    "是",
    "有",
    "通过",
    "已通过",
    "合格",
    "yes",
    "y",
    "true",
    "1",
    "√",
    "✓",
    "pass",
    "passed",
)
NUMBER_NOISE = r"[,，\s%分元]"  # what a number input may carry: 1,200 分, 5 元, 3%
NO_WORDS = ("否", "无", "未通过", "不通过", "不合格", "no", "n", "false", "0", "×", "✗", "fail")


TEXT_KEYS = {"name_zh", "name_en", "source"}
SETTINGS = {
    "streak": TEXT_KEYS
    | {"id", "when", "months", "action", "amount", "repeat", "outcome_zh", "outcome_en"}
    | {"period", "scope", "quarters", "years"},
    "levels": {"opening", "entry", "plus", "minus", "seniority_points", "pay_per_point"}
    | {"reset_month", "steps", "source"},
    "level step": {"level", "name_zh", "name_en", "min_points"},
    "pay_cut": TEXT_KEYS | {"min_level", "level", "gain", "step", "normal_pay", "max_cut"},
    "ladder": TEXT_KEYS | {"current", "window", "steps", "promote", "demote"},
    "ladder step": {"name", "name_en", "pay"},
    "promotion": {"to", "window", "checks"},
    "check": {"name_zh", "name_en", "measure", "column", "when", "window", *OPERATORS},
    "stars": TEXT_KEYS | {"achievement", "performance_pay", "levels"},
    "star level": {"stars", "at_least", "also", "reward", "pay_share"},
    "team_multiplier": TEXT_KEYS | {"column", "weight", "roles", "bands", "review_above"},
    "band": {"upto", "factor"},
    "nps_return": {"reserve_share", "score", "region_rank", "national_rank", "pass_score"}
    | {"pass_ratio", "fail_ratio", "region_top", "region_ratio", "national_top"}
    | {"national_ratio", "source", "release", "leaver_when"},
    "input": {"name_zh", "name_en", "aliases", "kind"},
    "condition": {"column", *OPERATORS},
    "team condition": {*TEAM_MEASURES, *OPERATORS},
}


class RulesError(ValueError):
    """A rules file that cannot be used; `problems` lists every reason in plain words."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"Rules {source} cannot be used:\n{lines}")


@dataclass(frozen=True)
class Condition:
    """One test on a monthly column, e.g. dept_rank equals 1 or grade in [不合格]."""

    column: str
    op: str
    value: object


@dataclass(frozen=True)
class Input:
    """A monthly column the rules read that the scheme does not score (技能等级, 加分, ...)."""

    id: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...] = ()
    kind: str = "number"


@dataclass(frozen=True)
class TeamCondition:
    """A test on a team's members in a period: the share (%) or number of members meeting
    conditions, or the members' mean of a column, against a number or the company's figure."""

    measure: str
    op: str
    value: float | str
    of: tuple[Condition, ...] = ()
    column: str = ""


@dataclass(frozen=True)
class StreakRule:
    """N months (quarters, years) in a row meeting a condition: a reward, or a flag for review;
    of one person, or of a team by a condition over its members (`team_when`)."""

    id: str
    name_zh: str
    name_en: str
    when: tuple[Condition, ...]
    months: int  # the run length, counted in `period`s
    action: str
    amount: float = 0.0
    repeat: str = "block"
    outcome_zh: str = ""
    outcome_en: str = ""
    source: str = ""
    period: str = "month"
    scope: str = "person"
    team_when: tuple[TeamCondition, ...] = ()

    @property
    def conditions(self) -> tuple[Condition, ...]:
        """Every condition on a person's row, including those inside the team conditions."""
        return self.when + tuple(c for t in self.team_when for c in t.of)

    @property
    def columns(self) -> list[str]:
        """The columns the rule reads (a team rule reads the team too)."""
        team = ["team"] if self.scope == "team" else []
        own = [c.column for c in self.conditions] + [t.column for t in self.team_when if t.column]
        return own + team


@dataclass(frozen=True)
class LevelStep:
    level: int
    name_zh: str
    name_en: str
    min_points: float


@dataclass(frozen=True)
class LevelRule:
    """Skill levels by points (seed 000): opening points set a year's level and monthly pay."""

    opening: str | None
    entry: tuple[str, ...]
    plus: tuple[str, ...]
    minus: tuple[str, ...]
    seniority_points: float
    pay_per_point: float
    reset_month: int
    steps: tuple[LevelStep, ...]
    source: str = ""


@dataclass(frozen=True)
class PayCutRule:
    """不进则退 (seed 000): months without a gain cut the pay of level-N staff, gains restore it."""

    name_zh: str
    name_en: str
    min_level: float
    level: str
    gain: tuple[Condition, ...]
    step: float
    normal_pay: str
    max_cut: float | None = None
    source: str = ""


@dataclass(frozen=True)
class Measure:
    """A ladder condition: a figure over a window of months compared with a requirement."""

    name_zh: str
    name_en: str
    measure: str
    op: str
    value: object
    column: str = ""
    when: tuple[Condition, ...] = ()
    window: int = 1


@dataclass(frozen=True)
class LadderStep:
    name: str
    name_en: str
    pay: float = 0.0


@dataclass(frozen=True)
class Promotion:
    to: str
    checks: tuple[Measure, ...]


@dataclass(frozen=True)
class Ladder:
    """A promotion ladder (seed 001 普通 → 星级 → 钻级 → 皇冠级) with demotion triggers."""

    name_zh: str
    name_en: str
    current: str | None
    steps: tuple[LadderStep, ...]
    promotions: tuple[Promotion, ...]
    demotion: tuple[Measure, ...]
    source: str = ""

    @property
    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]


@dataclass(frozen=True)
class StarLevel:
    stars: int
    at_least: float | None
    also: tuple[Condition, ...] = ()
    reward: float = 0.0
    pay_share: float = 1.0


@dataclass(frozen=True)
class StarRule:
    """Stars from the achievement of a target (seed 001 物业), with a reward and a pay share."""

    name_zh: str
    name_en: str
    achievement: str
    performance_pay: float | str
    levels: tuple[StarLevel, ...]
    source: str = ""


@dataclass(frozen=True)
class FactorBand:
    upto: float
    factor: float


@dataclass(frozen=True)
class TeamMultiplier:
    """A team's rate (返修率) sets a factor on its members' money (seed 004 班组返修率考核)."""

    name_zh: str
    name_en: str
    column: str
    weight: str | None
    roles: tuple[str, ...]
    bands: tuple[FactorBand, ...]
    review_above: float | None = None
    source: str = ""


@dataclass(frozen=True)
class NpsReturn:
    """Part of each month's money is held back and returned by the year's NPS (seed 004 宝马)."""

    reserve_share: float
    score: str
    region_rank: str | None
    national_rank: str | None
    pass_score: float
    pass_ratio: float
    fail_ratio: float
    region_top: int
    region_ratio: float
    national_top: int
    national_ratio: float
    source: str = ""
    release: str = "year"  # the reserve of each year (quarter) is paid in the month after it
    leaver_when: tuple[Condition, ...] = ()  # a row meeting this marks a leaver (中途离职)


@dataclass(frozen=True)
class Rules:
    """Every rule across months of one scheme; a section the file leaves out is None or empty."""

    source: str = ""
    digest: str = ""
    name_zh: str = ""
    name_en: str = ""
    inputs: tuple[Input, ...] = ()
    streaks: tuple[StreakRule, ...] = ()
    levels: LevelRule | None = None
    pay_cut: PayCutRule | None = None
    ladder: Ladder | None = None
    stars: StarRule | None = None
    team_multiplier: TeamMultiplier | None = None
    nps_return: NpsReturn | None = None
    labels: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False, compare=False)
    # The scheme the rules belong to: quarter and year streaks grade its period means.
    scheme: Scheme | None = field(default=None, repr=False, compare=False)

    @property
    def empty(self) -> bool:
        return not (
            self.streaks
            or self.levels
            or self.pay_cut
            or self.ladder
            or self.stars
            or self.team_multiplier
            or self.nps_return
        )

    def label(self, column: str, language: str = "zh") -> str:
        """A column's name for people: a KPI, an input or a scored column."""
        zh, en = self.labels.get(column, (column, column))
        return zh if language == "zh" else en


# ------------------------------------------------------------------ loading


def rules_location(scheme: Scheme) -> Path | str | None:
    """Where the scheme's rules are: its own [rules] section ("inline"), the file that section
    names, else rules/<scheme id>.toml beside the schemes; None when it has none."""
    section = scheme.raw.get("rules")
    if isinstance(section, dict):
        if "file" in section:
            return (paths.SCHEMES_DIR / str(section["file"])).resolve()
        return "inline"
    default = RULES_DIR / f"{scheme.id}.toml"
    return default if default.exists() else None


def rules_key(scheme: Scheme) -> str:
    """A small value that changes when the scheme's rules change (for caches)."""
    where = rules_location(scheme)
    if isinstance(where, Path) and where.exists():
        return f"{where}:{where.stat().st_mtime_ns}"
    return f"{scheme.digest}:{where}"


def load_rules(scheme: Scheme) -> Rules:
    """The scheme's rules across months (empty when it has none); raises RulesError."""
    where = rules_location(scheme)
    if where is None:
        return Rules()
    if where == "inline":
        return parse_rules(scheme.raw["rules"], scheme, f"{scheme.source} [rules]", scheme.digest)
    try:
        raw_bytes = Path(where).read_bytes()
    except OSError as exc:
        raise RulesError(str(where), [f"the file cannot be read ({exc.strerror})"]) from exc
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RulesError(Path(where).name, [f"the file is not valid TOML: {exc}"]) from exc
    digest = hashlib.sha256(raw_bytes).hexdigest()[:16]
    return parse_rules(data, scheme, Path(where).name, digest)


def check_rules(scheme: Scheme) -> list[str]:
    """Every problem of the scheme's rules (empty when they are fine or absent)."""
    try:
        load_rules(scheme)
    except RulesError as exc:
        return exc.problems
    return []


def parse_rules(data: dict, scheme: Scheme, source: str = "<rules>", digest: str = "") -> Rules:
    """Build Rules from parsed TOML against a scheme, collecting every problem before raising."""
    problems: list[str] = []
    problems += [
        f"section '{key}' is unknown; known: {', '.join(sorted(SECTIONS - {'file'}))}"
        for key in data
        if key not in SECTIONS
    ]
    inputs = tuple(_input(i, body, problems) for i, body in data.get("inputs", {}).items())
    labels = _labels(scheme, inputs)
    reader = _Reader(problems, labels, scheme, inputs)
    rules = Rules(
        source=source,
        digest=digest,
        name_zh=str(data.get("name_zh", "")),
        name_en=str(data.get("name_en", data.get("name_zh", ""))),
        inputs=inputs,
        streaks=tuple(reader.streak(s) for s in _tables(data, "streaks", problems)),
        levels=reader.levels(data["levels"]) if "levels" in data else None,
        pay_cut=reader.pay_cut(data["pay_cut"]) if "pay_cut" in data else None,
        ladder=reader.ladder(data["ladder"]) if "ladder" in data else None,
        stars=reader.stars(data["stars"]) if "stars" in data else None,
        team_multiplier=reader.team(data["team_multiplier"]) if "team_multiplier" in data else None,
        nps_return=reader.nps(data["nps_return"]) if "nps_return" in data else None,
        labels=labels,
        scheme=scheme,
    )
    problems += _cross_checks(rules)
    problems += [
        f"input '{i.id}' has the id of a KPI of the scheme; choose another id"
        for i in inputs
        if i.id in scheme.kpi_ids
    ]
    if problems:
        raise RulesError(source, problems)
    return rules


def _tables(data: dict, key: str, problems: list[str]) -> list[dict]:
    found = data.get(key, [])
    if not isinstance(found, list) or not all(isinstance(t, dict) for t in found):
        problems.append(f"'{key}' must be a list of tables ([[{key}]])")
        return []
    return found


def _input(input_id: str, body: dict | str, problems: list[str]) -> Input:
    if isinstance(body, str):
        body = {"name_zh": body}
    unknown = sorted(set(body) - SETTINGS["input"])
    if unknown:
        problems.append(f"input '{input_id}': unknown setting(s) {', '.join(unknown)}")
    kind = str(body.get("kind", "number"))
    if kind not in INPUT_KINDS:
        problems.append(f"input '{input_id}': kind '{kind}' is unknown; use one of {INPUT_KINDS}")
    if input_id in SCORED_COLUMNS:
        problems.append(f"input '{input_id}' has the name of a scored column; choose another id")
    return Input(
        id=input_id,
        name_zh=str(body.get("name_zh", input_id)),
        name_en=str(body.get("name_en", body.get("name_zh", input_id))),
        aliases=tuple(str(a) for a in body.get("aliases", [])),
        kind=kind,
    )


def parse_input(raw: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """Text cells as the input's kind, and where a filled cell could not be read. Each distinct
    cell is read once (a million cells hold a few hundred points values: reading every cell's
    text took 2 s per column)."""
    codes, distinct = pd.factorize(raw)
    if len(distinct) * 2 > len(raw):
        return _parsed(raw, kind)
    codes = np.where(codes < 0, len(distinct), codes)  # a blank cell reads as a blank
    cells = pd.Series(distinct, dtype=raw.dtype)
    cells = pd.concat([cells, pd.Series([None], dtype=raw.dtype)], ignore_index=True)
    value, bad = _parsed(cells, kind)
    return (
        pd.Series(value.to_numpy()[codes], index=raw.index, dtype=value.dtype),
        pd.Series(bad.to_numpy()[codes], index=raw.index, dtype=bad.dtype),
    )


def _parsed(raw: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    if kind == "text":
        return raw.astype("string").str.strip().replace("", pd.NA), pd.Series(False, raw.index)
    text = raw.astype("string").str.strip()
    filled = text.notna() & text.ne("")
    if kind == "yes_no":
        lower = text.str.lower()
        value = pd.Series(np.nan, index=raw.index)
        value[lower.isin(YES_WORDS).fillna(False).to_numpy()] = 1.0
        value[lower.isin(NO_WORDS).fillna(False).to_numpy()] = 0.0
    else:
        value = pd.to_numeric(text.str.replace(NUMBER_NOISE, "", regex=True), errors="coerce")
        value = value.astype(float)
    return value, (filled & value.isna()).fillna(False)


def _labels(scheme: Scheme, inputs: tuple[Input, ...]) -> dict[str, tuple[str, str]]:
    """Every column a rule may read → its Chinese and English name."""
    labels = dict(SCORED_COLUMNS)
    for kpi in scheme.kpis:
        labels[kpi.id] = (kpi.name_zh, kpi.name_en)
        labels[f"score_{kpi.id}"] = (f"{kpi.name_zh}得分", f"{kpi.name_en} score")
    for cat in scheme.categories:
        labels[f"cat_{cat.id}"] = (cat.name_zh, cat.name_en)
    for item in inputs:
        labels[item.id] = (item.name_zh, item.name_en)
    for level in scheme.grades:
        labels[f"grade:{level.name}"] = (level.name, level.name_en)
    return labels


class _Reader:
    """Reads each section, adding a plain-words problem for anything it cannot use."""

    def __init__(self, problems: list[str], labels: dict, scheme: Scheme, inputs=()):
        self.problems = problems
        self.labels = labels
        self.scheme = scheme
        self.input_ids = {i.id for i in inputs}

    # -------------------------------------------------------------- small parts

    def settings(self, raw: object, kind: str, where: str) -> dict:
        """The table itself; a setting it does not know (a typo) is a problem, not ignored."""
        if not isinstance(raw, dict):
            self.problems.append(f"{where}: expected a table of settings, found {raw!r}")
            return {}
        unknown = sorted(set(raw) - SETTINGS[kind])
        if unknown:
            self.problems.append(
                f"{where}: unknown setting(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(SETTINGS[kind]))}"
            )
        return raw

    def number(self, raw: dict, key: str, where: str, default: float | None = None) -> float:
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problems.append(f"{where}: '{key}' must be a number, found {value!r}")
            return 0.0 if default is None else float(default)
        return float(value)

    def column(self, name: object, where: str, what: str = "column") -> str:
        name = str(name or "")
        if name not in self.labels:
            self.problems.append(
                f"{where}: {what} '{name}' is neither a scored column, a KPI of the scheme nor an "
                "input listed under [inputs]"
            )
        return name

    def columns(self, raw: dict, key: str, where: str) -> tuple[str, ...]:
        names = raw.get(key, [])
        names = [names] if isinstance(names, str) else list(names)
        return tuple(self.column(n, where) for n in names)

    def source_of(self, name: object, where: str) -> str:
        """'levels' (from the [levels] rule) or an input column id."""
        name = str(name or "")
        return name if name == FROM_LEVELS else self.column(name, where)

    def roles(self, names: list) -> tuple[str, ...]:
        """Role names with the aliases the scheme gives them (维修组长 is scored as 维修技师)."""
        found = [str(n) for n in names]
        for plan in self.scheme.roles:
            if plan.name in found:
                found += plan.aliases
        return tuple(dict.fromkeys(found))

    def conditions(self, raw: object, where: str) -> tuple[Condition, ...]:
        if raw is None or raw == []:
            self.problems.append(
                f'{where}: the condition is missing, e.g. {{ column = "total", below = 60 }}'
            )
            return ()
        items = raw if isinstance(raw, list) else [raw]
        found = []
        for item in items:
            if not isinstance(item, dict):
                self.problems.append(
                    f'{where}: a condition looks like {{ column = "total", below = 60 }}, '
                    f"found {item!r}"
                )
                continue
            self.settings(item, "condition", where)
            column = self.column(item.get("column"), where)
            op, value = self.comparison(item, where, f"the condition on '{column}'")
            if op:
                found.append(Condition(column, op, value))
                self.check_values(column, op, value, where)
        return tuple(found)

    def comparison(self, raw: dict, where: str, what: str) -> tuple[str, object]:
        ops = [k for k in raw if k in OPERATORS]
        if len(ops) != 1:
            self.problems.append(
                f"{where}: {what} needs exactly one of {', '.join(OPERATORS)} "
                f"(found {', '.join(ops) or 'none'})"
            )
            return "", None
        op, value = ops[0], raw[ops[0]]
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                self.problems.append(f"{where}: {what}: '{op}' needs a list of values")
                return "", None
            return op, tuple(value)
        if op != "equals" and (isinstance(value, bool) or not isinstance(value, int | float)):
            self.problems.append(f"{where}: {what}: '{op}' needs a number, found {value!r}")
            return "", None
        return op, value

    def check_values(self, column: str, op: str, value: object, where: str) -> None:
        if column != "grade":
            return
        values = value if isinstance(value, tuple) else (value,)
        unknown = [v for v in values if v not in self.scheme.grade_names]
        if unknown:
            self.problems.append(
                f"{where}: grade(s) {unknown} are not grades of the scheme "
                f"({'/'.join(self.scheme.grade_names)})"
            )

    # -------------------------------------------------------------- sections

    def streak(self, raw: dict) -> StreakRule:
        rule_id = str(raw.get("id", ""))
        where = f"streak rule {raw.get('name_zh', rule_id) or '?'}"
        raw = self.settings(raw, "streak", where)
        action = str(raw.get("action", "flag"))
        if action not in STREAK_ACTIONS:
            self.problems.append(f"{where}: action '{action}' must be 'reward' or 'flag'")
        period, length_key = self.run_period(raw, where)
        months = self.number(raw, length_key, where)
        if months < 1 or months != int(months):
            self.problems.append(f"{where}: '{length_key}' must be a whole number of at least 1")
        repeat = str(raw.get("repeat", "block" if action == "reward" else "month"))
        if repeat not in REPEATS:
            self.problems.append(f"{where}: repeat '{repeat}' must be 'block' or 'month'")
        if not rule_id:
            self.problems.append(f"{where}: every streak rule needs an 'id'")
        scope = str(raw.get("scope", "person"))
        if scope not in SCOPES:
            self.problems.append(f"{where}: scope '{scope}' must be 'person' or 'team'")
        team = scope == "team"
        team_when = self.team_conditions(raw.get("when"), where) if team else ()
        rule = StreakRule(
            id=rule_id,
            name_zh=str(raw.get("name_zh", rule_id)),
            name_en=str(raw.get("name_en", raw.get("name_zh", rule_id))),
            when=() if team else self.conditions(raw.get("when"), where),
            months=max(int(months), 1),
            action=action,
            amount=self.number(raw, "amount", where, default=0.0),
            repeat=repeat,
            outcome_zh=str(raw.get("outcome_zh", "")),
            outcome_en=str(raw.get("outcome_en", raw.get("outcome_zh", ""))),
            source=str(raw.get("source", "")),
            period=period,
            scope=scope,
            team_when=team_when,
        )
        monthly_only = sorted({c for c in rule.columns if c in self.input_ids})
        if period != "month" and monthly_only:
            self.problems.append(
                f"{where}: a {period} rule reads the {period}'s scores (total, grade, ranks, "
                f"KPIs); {', '.join(monthly_only)} is a monthly input, use a month rule for it"
            )
        return rule

    def run_period(self, raw: dict, where: str) -> tuple[str, str]:
        """The period the run counts (month, quarter, year) and the key that gives its length."""
        keys = [k for k in RUN_KEYS if k in raw]
        if len(keys) > 1:
            self.problems.append(f"{where}: give one of months, quarters or years, not both")
        key = keys[0] if keys else "months"
        period = str(raw.get("period", RUN_KEYS[key]))
        if period not in RUN_KEYS.values():
            self.problems.append(f"{where}: period '{period}' must be month, quarter or year")
        elif period != RUN_KEYS[key]:
            plural = next(k for k, v in RUN_KEYS.items() if v == period)
            self.problems.append(
                f"{where}: the period is '{period}', so give the run as {plural} = N, not {key}"
            )
        return period, key

    def team_conditions(self, raw: object, where: str) -> tuple[TeamCondition, ...]:
        """Conditions on a team's members: { share = { column = "grade", in = ["不合格"] },
        above = 20 }, { count = {...}, at_least = 2 } or { mean = "total", below = "company" }."""
        example = '{ share = { column = "grade", in = ["不合格"] }, above = 20 }'
        if raw is None or raw == []:
            self.problems.append(f"{where}: the team condition is missing, e.g. {example}")
            return ()
        found = []
        for item in raw if isinstance(raw, list) else [raw]:
            if not isinstance(item, dict):
                self.problems.append(f"{where}: a team condition looks like {example}")
                continue
            self.settings(item, "team condition", where)
            measures = [k for k in TEAM_MEASURES if k in item]
            if len(measures) != 1:
                self.problems.append(
                    f"{where}: a team condition needs exactly one of share (% of members), "
                    f"count (members) or mean (of a column over members), e.g. {example}"
                )
                continue
            measure = measures[0]
            ops = [k for k in item if k in OPERATORS and k not in ("in", "not_in")]
            value = item[ops[0]] if len(ops) == 1 else None
            what = f"the team's {measure}"
            if len(ops) != 1:
                self.problems.append(
                    f"{where}: {what} needs exactly one of at_least, above, at_most, below, equals"
                )
                continue
            if value == COMPANY and measure == "count":
                self.problems.append(
                    f"{where}: a count of members cannot be compared with the "
                    "company; use share for that"
                )
                continue
            if value != COMPANY and (isinstance(value, bool) or not isinstance(value, int | float)):
                self.problems.append(
                    f"{where}: {what}: '{ops[0]}' needs a number or \"company\", found {value!r}"
                )
                continue
            if measure == "share" and value != COMPANY and not 0 <= value <= 100:
                self.problems.append(f"{where}: a share is a percent from 0 to 100, found {value}")
            if measure == "mean":
                column, of = self.column(item["mean"], where), ()
            else:
                column, of = "", self.conditions(item[measure], where)
            value = value if value == COMPANY else float(value)
            found.append(TeamCondition(measure, ops[0], value, of, column))
        return tuple(found)

    def levels(self, raw: dict) -> LevelRule:
        where = "[levels]"
        raw = self.settings(raw, "levels", where)
        steps = tuple(
            LevelStep(
                level=int(self.number(s, "level", where)),
                name_zh=str(s.get("name_zh", f"{s.get('level')}级")),
                name_en=str(s.get("name_en", f"Level {s.get('level')}")),
                min_points=self.number(s, "min_points", where),
            )
            for s in raw.get("steps", [])
        )
        if not steps:
            self.problems.append(
                f"{where}: list the levels and their minimum points ([[levels.steps]])"
            )
        minimums = [s.min_points for s in steps]
        if any(b <= a for a, b in pairwise(minimums)):
            self.problems.append(
                f"{where}: minimum points {minimums} must rise from the lowest level to the highest"
            )
        reset_month = self.number(raw, "reset_month", where, default=1)
        if reset_month not in range(1, 13):
            self.problems.append(f"{where}: reset_month must be a month number 1–12")
        pay_per_point = self.number(raw, "pay_per_point", where, default=10)
        if pay_per_point <= 0:
            self.problems.append(f"{where}: pay_per_point must be above 0")
        opening = raw.get("opening")
        return LevelRule(
            opening=None if opening is None else self.column(opening, where),
            entry=self.columns(raw, "entry", where),
            plus=self.columns(raw, "plus", where),
            minus=self.columns(raw, "minus", where),
            seniority_points=self.number(raw, "seniority_points", where, default=0),
            pay_per_point=pay_per_point,
            reset_month=int(reset_month),
            steps=steps,
            source=str(raw.get("source", "")),
        )

    def pay_cut(self, raw: dict) -> PayCutRule:
        where = "[pay_cut]"
        raw = self.settings(raw, "pay_cut", where)
        step = self.number(raw, "step", where)
        if step <= 0:
            self.problems.append(f"{where}: step (the monthly cut) must be above 0")
        max_cut = raw.get("max_cut")
        return PayCutRule(
            name_zh=str(raw.get("name_zh", "不进则退")),
            name_en=str(raw.get("name_en", "Progress or fall back")),
            min_level=self.number(raw, "min_level", where),
            level=self.source_of(raw.get("level", FROM_LEVELS), where),
            gain=self.conditions(raw.get("gain"), where),
            step=step,
            normal_pay=self.source_of(raw.get("normal_pay", FROM_LEVELS), where),
            max_cut=None if max_cut is None else self.number(raw, "max_cut", where),
            source=str(raw.get("source", "")),
        )

    def measure(self, raw: dict, where: str, window: int) -> Measure:
        raw = self.settings(raw, "check", where)
        kind = str(raw.get("measure", ""))
        if kind not in MEASURES:
            self.problems.append(f"{where}: measure '{kind}' is unknown; use one of {MEASURES}")
        column = ""
        when: tuple[Condition, ...] = ()
        if kind == "count":
            when = self.conditions(raw.get("when"), where)
        elif kind in MEASURES and kind != "tenure_months":
            column = self.column(raw.get("column"), where)
        op, value = self.comparison(raw, where, f"the {kind or '?'} check")
        own_window = self.number(raw, "window", where, default=window)
        if own_window < 1:
            self.problems.append(f"{where}: window must be at least 1 month")
        measure = Measure(
            name_zh="",
            name_en="",
            measure=kind,
            op=op,
            value=value,
            column=column,
            when=when,
            window=max(int(own_window), 1),
        )
        zh, en = describe_measure(measure, self.labels)
        return Measure(
            **{
                **measure.__dict__,
                "name_zh": str(raw.get("name_zh", zh)),
                "name_en": str(raw.get("name_en", en)),
            }
        )

    def ladder(self, raw: dict) -> Ladder:
        where = "[ladder]"
        raw = self.settings(raw, "ladder", where)
        steps = tuple(
            LadderStep(
                name=str(s.get("name", "")),
                name_en=str(s.get("name_en", s.get("name", ""))),
                pay=self.number(s, "pay", where, default=0.0),
            )
            for s in (self.settings(t, "ladder step", where) for t in raw.get("steps", []))
        )
        names = [s.name for s in steps]
        if len(steps) < 2:
            self.problems.append(f"{where}: a ladder needs at least two steps ([[ladder.steps]])")
        window = int(self.number(raw, "window", where, default=6))
        promotions = []
        for body in raw.get("promote", []):
            to = str(body.get("to", ""))
            here = f"{where} promotion to '{to}'"
            body = self.settings(body, "promotion", here)
            if to not in names[1:]:
                self.problems.append(f"{here}: '{to}' is not a step above the first ({names})")
            own = int(self.number(body, "window", here, default=window))
            checks = tuple(self.measure(c, here, own) for c in body.get("checks", []))
            if not checks:
                self.problems.append(f"{here}: list its conditions ([[ladder.promote.checks]])")
            promotions.append(Promotion(to=to, checks=checks))
        targets = [p.to for p in promotions]
        missing = [n for n in names[1:] if n not in targets]
        if missing:
            self.problems.append(f"{where}: no promotion conditions for step(s) {missing}")
        current = raw.get("current")
        return Ladder(
            name_zh=str(raw.get("name_zh", "晋升通道")),
            name_en=str(raw.get("name_en", "Promotion ladder")),
            current=None if current is None else self.column(current, where),
            steps=steps,
            promotions=tuple(promotions),
            demotion=tuple(
                self.measure(c, f"{where} demotion", window) for c in raw.get("demote", [])
            ),
            source=str(raw.get("source", "")),
        )

    def stars(self, raw: dict) -> StarRule:
        where = "[stars]"
        raw = self.settings(raw, "stars", where)
        levels = []
        for body in raw.get("levels", []):
            body = self.settings(body, "star level", where)
            at_least = body.get("at_least")
            share = self.number(body, "pay_share", where, default=1.0)
            if not 0 <= share <= 1:
                self.problems.append(f"{where}: pay_share {share:g} must lie between 0 and 1")
            levels.append(
                StarLevel(
                    stars=int(self.number(body, "stars", where)),
                    at_least=None if at_least is None else self.number(body, "at_least", where),
                    also=self.conditions(body["also"], where) if "also" in body else (),
                    reward=self.number(body, "reward", where, default=0.0),
                    pay_share=share,
                )
            )
        if not levels or levels[-1].at_least is not None or levels[-1].also:
            self.problems.append(
                f"{where}: the last star level must have no 'at_least' and no 'also': it takes "
                "everyone the others do not"
            )
        given = [lv.at_least for lv in levels[:-1]]
        if None in given or any(b > a for a, b in pairwise(g for g in given if g is not None)):
            self.problems.append(
                f"{where}: every level but the last needs 'at_least', best level first, and the "
                "thresholds must never rise"
            )
        pay = raw.get("performance_pay", 0.0)
        return StarRule(
            name_zh=str(raw.get("name_zh", "星级员工")),
            name_en=str(raw.get("name_en", "Star staff")),
            achievement=self.column(raw.get("achievement"), where),
            performance_pay=self.column(pay, where) if isinstance(pay, str) else float(pay),
            levels=tuple(levels),
            source=str(raw.get("source", "")),
        )

    def team(self, raw: dict) -> TeamMultiplier:
        where = "[team_multiplier]"
        raw = self.settings(raw, "team_multiplier", where)
        bands = tuple(
            FactorBand(self.number(b, "upto", where), self.number(b, "factor", where))
            for b in (self.settings(t, "band", where) for t in raw.get("bands", []))
        )
        uppers = [b.upto for b in bands]
        if not bands or uppers[-1] != math.inf or any(b <= a for a, b in pairwise(uppers)):
            self.problems.append(
                f"{where}: bands must rise in 'upto' and the last must run to inf (found {uppers})"
            )
        weight = raw.get("weight")
        review = raw.get("review_above")
        return TeamMultiplier(
            name_zh=str(raw.get("name_zh", "班组系数")),
            name_en=str(raw.get("name_en", "Team multiplier")),
            column=self.column(raw.get("column"), where),
            weight=None if weight is None else self.column(weight, where),
            roles=self.roles(raw.get("roles", [])),
            bands=bands,
            review_above=None if review is None else self.number(raw, "review_above", where),
            source=str(raw.get("source", "")),
        )

    def nps(self, raw: dict) -> NpsReturn:
        where = "[nps_return]"
        raw = self.settings(raw, "nps_return", where)
        share = self.number(raw, "reserve_share", where)
        if not 0 < share <= 100:
            self.problems.append(f"{where}: reserve_share is a percent above 0 and at most 100")
        region, national = raw.get("region_rank"), raw.get("national_rank")
        release = str(raw.get("release", "year"))
        if release not in RELEASES:
            self.problems.append(f"{where}: release '{release}' must be 'year' or 'quarter'")
        leaver = raw.get("leaver_when")
        return NpsReturn(
            reserve_share=share,
            score=self.column(raw.get("score"), where),
            region_rank=None if region is None else self.column(region, where),
            national_rank=None if national is None else self.column(national, where),
            pass_score=self.number(raw, "pass_score", where),
            pass_ratio=self.number(raw, "pass_ratio", where, default=100),
            fail_ratio=self.number(raw, "fail_ratio", where, default=0),
            region_top=int(self.number(raw, "region_top", where, default=3)),
            region_ratio=self.number(raw, "region_ratio", where, default=100),
            national_top=int(self.number(raw, "national_top", where, default=3)),
            national_ratio=self.number(raw, "national_ratio", where, default=100),
            source=str(raw.get("source", "")),
            release=release,
            leaver_when=() if leaver is None else self.conditions(leaver, where),
        )


def _cross_checks(rules: Rules) -> list[str]:
    problems = []
    uses_levels = rules.pay_cut is not None and FROM_LEVELS in (
        rules.pay_cut.level,
        rules.pay_cut.normal_pay,
    )
    if uses_levels and rules.levels is None:
        problems.append("[pay_cut] takes level or pay from 'levels', but there is no [levels] rule")
    if rules.levels is not None and rules.levels.opening is None and not rules.levels.entry:
        problems.append(
            "[levels]: name the opening points ('opening') or the entry points ('entry')"
        )
    ids = [s.id for s in rules.streaks]
    problems += [
        f"streak rule id '{d}' is used twice" for d in sorted({i for i in ids if ids.count(i) > 1})
    ]
    return problems


# ------------------------------------------------------------------ descriptions


def describe_condition(cond: Condition, labels: dict, language: str = "zh") -> str:
    """'部门排名 = 1', 'Grade ∈ 不合格'."""
    which = 0 if language == "zh" else 1
    name = labels.get(cond.column, (cond.column, cond.column))[which]
    value = cond.value
    if isinstance(value, tuple):
        names = [labels.get(f"{cond.column}:{v}", (str(v), str(v)))[which] for v in value]
        value = "、".join(names) if language == "zh" else ", ".join(names)
    elif isinstance(value, str):
        value = labels.get(f"{cond.column}:{value}", (value, value))[which]
    elif isinstance(value, bool):
        value = ("是" if value else "否") if language == "zh" else ("yes" if value else "no")
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{name} {OPERATORS[cond.op]} {value}"


def describe_conditions(conds: tuple[Condition, ...], labels: dict, language: str = "zh") -> str:
    joiner = " 且 " if language == "zh" else " and "
    return joiner.join(describe_condition(c, labels, language) for c in conds)


RUN_WORDS = {
    "month": ("个月", "months"),
    "quarter": ("个季度", "quarters"),
    "year": ("年", "years"),
}


def describe_team_condition(cond: TeamCondition, labels: dict, language: str = "zh") -> str:
    """'「等级 ∈ 不合格」的成员占比 > 20%', "members' mean Total < the company's"."""
    zh = language == "zh"
    if cond.value == COMPANY:
        value = "全公司" if zh else "the company's"
    else:
        value = f"{cond.value:g}" + ("%" if cond.measure == "share" else "")
    op = OPERATORS[cond.op]
    if cond.measure == "mean":
        name = labels.get(cond.column, (cond.column, cond.column))[0 if zh else 1]
        return f"成员平均{name} {op} {value}" if zh else f"members' mean {name} {op} {value}"
    who = describe_conditions(cond.of, labels, language)
    if cond.measure == "share":
        share_en = f"share of members with {who} {op} {value}"
        return f"「{who}」的成员占比 {op} {value}" if zh else share_en
    return f"「{who}」的成员人数 {op} {value}" if zh else f"members with {who} {op} {value}"


def describe_streak_condition(rule: StreakRule, labels: dict, language: str = "zh") -> str:
    """What a streak rule tests each period, for a person or for a team."""
    if rule.scope != "team":
        return describe_conditions(rule.when, labels, language)
    joiner = " 且 " if language == "zh" else " and "
    found = joiner.join(describe_team_condition(t, labels, language) for t in rule.team_when)
    return f"团队{found}" if language == "zh" else f"a team where the {found}"


def describe_measure(m: Measure, labels: dict) -> tuple[str, str]:
    """A ladder condition in words, Chinese and English."""
    required = Condition("", m.op, m.value) if m.op else None
    tail_zh = describe_condition(required, labels, "zh").strip() if required else ""
    tail_en = describe_condition(required, labels, "en").strip() if required else ""
    zh_name, en_name = labels.get(m.column, (m.column, m.column))
    if m.measure == "tenure_months":
        return f"在岗月数 {tail_zh}", f"Months in post {tail_en}"
    if m.measure == "count":
        zh_when = describe_conditions(m.when, labels, "zh")
        en_when = describe_conditions(m.when, labels, "en")
        return (
            f"近{m.window}个月中「{zh_when}」的月数 {tail_zh}",
            f"Months with {en_when} in the last {m.window} {tail_en}",
        )
    words = {
        "sum": ("合计", "total"),
        "mean": ("平均", "mean"),
        "min": ("最低", "lowest"),
        "max": ("最高", "highest"),
        "last": ("最近一次", "latest"),
    }.get(m.measure, (m.measure, m.measure))
    if m.measure == "last":
        return f"{zh_name}({words[0]}) {tail_zh}", f"{en_name} ({words[1]}) {tail_en}"
    return (
        f"近{m.window}个月{zh_name}{words[0]} {tail_zh}",
        f"{en_name}, {words[1]} over {m.window} months {tail_en}",
    )


def describe_rules(rules: Rules, language: str = "zh") -> dict[str, list[str]]:
    """Each section's rules in one sentence each, for the page that shows their results."""
    zh = language == "zh"
    labels = rules.labels
    out: dict[str, list[str]] = {}
    for rule in rules.streaks:
        when = describe_streak_condition(rule, labels, language)
        unit_zh, unit_en = RUN_WORDS[rule.period]
        if rule.action == "reward":
            then = f"奖励 {rule.amount:g} 元" if zh else f"a reward of {rule.amount:g}"
        else:
            outcome = rule.outcome_zh if zh else rule.outcome_en
            then = f"提醒:{outcome}" if zh else f"a flag: {outcome}"
            then = then if outcome else ("提醒" if zh else "a flag")
        out.setdefault("streaks", []).append(
            f"{rule.name_zh}:{f'{when},' if rule.scope == 'team' else f'「{when}」'}连续 "
            f"{rule.months} {unit_zh} → {then}"
            if zh
            else f"{rule.name_en}: {when} for {rule.months} {unit_en} in a row → {then}"
        )
    if rules.levels is not None:
        lv = rules.levels
        steps = ("、" if zh else ", ").join(
            f"{s.name_zh if zh else s.name_en} ≥ {s.min_points:g}" for s in lv.steps
        )
        entry = " + ".join(rules.label(c, language) for c in lv.entry)
        out["levels"] = [
            f"入职积分 = {entry};每月加分、减分累计;每年 {lv.reset_month} 月按积分(另加年限分 "
            f"{lv.seniority_points:g})重新定级,月薪 = 积分 × {lv.pay_per_point:g}。等级:{steps}"
            if zh
            else f"Entry points = {entry}; monthly plus and minus points add up; each year in "
            f"month {lv.reset_month} the points (plus {lv.seniority_points:g} for the year "
            f"served) set the level and the monthly pay = points × {lv.pay_per_point:g}. "
            f"Levels: {steps}"
        ]
    if rules.pay_cut is not None:
        cut = rules.pay_cut
        gain = describe_conditions(cut.gain, labels, language)
        step = f"{cut.step:g}"
        out["pay"] = [
            f"技能等级 {cut.min_level:g} 级及以上:连续两个月没有「{gain}」,次月起每月减薪 {step};"
            f"此后每有一个月没有,再减 {step};有一个月得到则不再增加;连续两个月得到,次月恢复正常。"
            if zh
            else f"Level {cut.min_level:g} and above: two months in a row without {gain} cut "
            f"the pay by {step} from the next month; each further month without it cuts {step} "
            f"more; a month with it holds the cut; two months in a row with it restore full pay "
            f"from the next month."
        ]
    if rules.ladder is not None:
        path = " → ".join(s.name if zh else s.name_en for s in rules.ladder.steps)
        demote = ("、" if zh else "; ").join(
            m.name_zh if zh else m.name_en for m in rules.ladder.demotion
        )
        out["ladder"] = [
            f"{path}。降级条件(任一):{demote}" if zh else f"{path}. Moved down on any of: {demote}"
        ]
        for promotion in rules.ladder.promotions:
            checks = ("、" if zh else "; ").join(
                m.name_zh if zh else m.name_en for m in promotion.checks
            )
            step = next(s for s in rules.ladder.steps if s.name == promotion.to)
            out["ladder"].append(
                f"晋升{step.name}:{checks}" if zh else f"To {step.name_en}: {checks}"
            )
    if rules.stars is not None:
        parts = []
        for level in rules.stars.levels:
            need = "其余" if zh else "otherwise"
            if level.at_least is not None:
                need = f"≥ {level.at_least:g}%"
                if level.also:
                    joiner = " 且 " if zh else " and "
                    need += joiner + describe_conditions(level.also, labels, language)
            money = [f"+{level.reward:g}"] if level.reward else []
            money.append(
                f"绩效 {level.pay_share:.0%}" if zh else f"{level.pay_share:.0%} performance pay"
            )
            parts.append(f"{'★' * level.stars} {need}{':' if zh else ': '}{', '.join(money)}")
        name = rules.label(rules.stars.achievement, language)
        out["stars"] = [f"{name}:" + ";".join(parts) if zh else f"{name}: " + "; ".join(parts)]
    if rules.team_multiplier is not None:
        team = rules.team_multiplier
        bands = []
        for band in team.bands:
            edge = f"≤ {band.upto:g}%" if band.upto != math.inf else ("其余" if zh else "above")
            bands.append(f"{edge} × {band.factor:.2f}")
        review = ""
        if team.review_above is not None:
            review = (
                f";超过 {team.review_above:g}% 另行审查"
                if zh
                else f"; over {team.review_above:g}%: a review"
            )
        name = rules.label(team.column, language)
        out["teams"] = [
            f"{team.name_zh}({name}):{';'.join(bands)}{review}"
            if zh
            else f"{team.name_en} ({name}): {'; '.join(bands)}{review}"
        ]
    if rules.nps_return is not None:
        n = rules.nps_return
        next_zh, next_en = ("次年", "year") if n.release == "year" else ("下一季度", "quarter")
        out["nps"] = [
            f"每月提成留存 {n.reserve_share:g}%,{next_zh}第一个月按 NPS 返还:"
            f"全国前 {n.national_top} 名 "
            f"{n.national_ratio:g}%,区域前 {n.region_top} 名 {n.region_ratio:g}%,"
            f"NPS ≥ {n.pass_score:g} {n.pass_ratio:g}%,否则 {n.fail_ratio:g}%;中途离职不予返还。"
            if zh
            else f"{n.reserve_share:g}% of each month's commission is held back and returned in "
            f"the first month of the next {next_en} by NPS: national top {n.national_top} "
            f"{n.national_ratio:g}%, regional top {n.region_top} {n.region_ratio:g}%, "
            f"NPS ≥ {n.pass_score:g} {n.pass_ratio:g}%, otherwise {n.fail_ratio:g}%; "
            "a leaver forfeits it."
        ]
    return out
