"""Assessment schemes (考核方案): TOML files loaded into frozen dataclasses and validated."""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path

from engine import paths
from engine.schemes.formula import Formula, FormulaError, Name, parse_formula
from engine.schemes.precision import as_written

METHODS = ("bands", "tiers", "linear", "deduction", "rating")
DIRECTIONS = ("higher", "lower")
MISSING_POLICIES = ("renormalize", "zero")
MONEY_MODES = ("grade_amount", "performance_pay", "grade_coefficient", "formula")
UNITS = ("days", "%", "min", "hours", "count", "points", "rating", "yuan")
# What a monthly value in each unit can plausibly be (a scheme widens one with valid_min /
# valid_max): a month has at most 31 days, so 44,640 minutes and 744 hours; days up to a year.
UNIT_RANGES = {
    "days": (0.0, 366.0),
    "min": (0.0, 31 * 24 * 60.0),
    "hours": (0.0, 31 * 24.0),
    "count": (0.0, 1_000_000.0),
    "points": (-1_000_000.0, 1_000_000.0),
    "yuan": (-1_000_000_000.0, 1_000_000_000.0),
}
WEIGHT_TOLERANCE = 1e-6
MOVES = ("up", "down")
# A rate from fewer cases than this is flagged (a common rule of thumb: below 30 cases a rate's
# 95 % interval is wider than ±15 points); a KPI sets its own with min_cases.
DEFAULT_MIN_CASES = 30
KPI_ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
RESERVED_IDS = {
    "period",
    "employee_id",
    "name",
    "department",
    "team",
    "role",
    "region",
    "hire_date",
    "import_id",
    "source_row",
    "total",
    "grade",
    "bonus",
    "rank",
}
# Roster columns hold text: a money formula naming one is told so (the import accepts more
# headers, engine.intake.parse.ROSTER_ALIASES; these are the usual ones).
ROSTER_NAMES = {
    "employee_id": ("工号", "员工编号"),
    "name": ("姓名",),
    "department": ("部门", "dept"),
    "team": ("班组", "小组"),
    "role": ("岗位", "职位"),
    "region": ("地区", "区域"),
    "hire_date": ("入职日期",),
    "period": ("月份", "考核月份"),
    "grade": ("等级", "考核等级"),
}
# What a money formula may call the row's total and its grade's coefficient (seed 004 writes
# 月度考核成绩 and 考核系数).
TOTAL_NAMES = ("total", "考核成绩", "月度考核成绩")
COEFFICIENT_NAMES = ("coefficient", "考核系数")


class SchemeError(ValueError):
    """A scheme file that cannot be used; `problems` lists every reason in plain words."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"Scheme {source} cannot be used:\n{lines}")


@dataclass(frozen=True)
class Band:
    upto: float
    points: float


@dataclass(frozen=True)
class Tier:
    threshold: float | None
    score: float
    label: str
    label_en: str = ""

    def said(self, language: str = "zh") -> str:
        """The tier's name in the language (the Chinese one where no English is given)."""
        return self.label if language == "zh" else self.label_en or self.label


@dataclass(frozen=True)
class Kpi:
    id: str
    name_zh: str
    name_en: str
    category: str
    weight: float
    unit: str
    direction: str
    method: str
    aliases: tuple[str, ...] = ()
    missing: str | None = None
    bands: tuple[Band, ...] = ()
    max_points: float = 0.0
    tiers: tuple[Tier, ...] = ()
    floor: float = 0.0
    target: float = 0.0
    cap: float = 1.0
    per_incident: float = 0.0
    start: float = 100.0
    allow_negative: bool = False
    scale_min: float = 0.0
    scale_max: float = 0.0
    valid_min: float | None = None
    valid_max: float | None = None
    # A rate KPI's cases (回访数, 来电数): the column(s) holding how many the rate is out of.
    denominator: tuple[str, ...] = ()
    min_cases: int = DEFAULT_MIN_CASES  # fewer cases than this: the rate is flagged as uncertain
    score_shrunk: bool = False  # score the rate shrunk towards the department's, not the raw one
    # A rating KPI's rater (评分人): the column(s) naming who gave the rating.
    rater: tuple[str, ...] = ()
    rescale_by_rater: bool = False  # score each rater's ratings moved onto the role's spread

    @property
    def valid_range(self) -> tuple[float, float]:
        """The values a file may hold for this KPI; anything outside is an import error."""
        if self.valid_min is not None or self.valid_max is not None:
            low, high = self._unit_range()
            return (
                low if self.valid_min is None else self.valid_min,
                high if self.valid_max is None else self.valid_max,
            )
        return self._unit_range()

    def _unit_range(self) -> tuple[float, float]:
        if self.method == "rating":
            return self.scale_min, self.scale_max
        if self.unit == "%":
            return 0.0, 100.0
        return UNIT_RANGES.get(self.unit, (-math.inf, math.inf))

    def label(self, language: str = "zh") -> str:
        return self.name_zh if language == "zh" else self.name_en


@dataclass(frozen=True)
class GamingPair:
    """Two KPIs that should move together; `first` moving `first_moves` while `second` moves
    `second_moves` (handling time down, rework up) looks like one bought at the other's cost."""

    first: str
    first_moves: str
    second: str
    second_moves: str
    note: str = ""


@dataclass(frozen=True)
class Category:
    id: str
    name_zh: str
    name_en: str
    weight: float

    def label(self, language: str = "zh") -> str:
        return self.name_zh if language == "zh" else self.name_en


@dataclass(frozen=True)
class GradeLevel:
    name: str
    name_en: str
    min: float | None


@dataclass(frozen=True)
class MoneyInput:
    """A number column money formulas read besides the KPIs (备件毛利额, 索赔总额), with the
    headers it may have and the lowest value it takes, if declared."""

    id: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...] = ()
    unit: str = ""
    valid_min: float | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.id, self.name_zh, self.name_en, *self.aliases)

    def label(self, language: str = "zh") -> str:
        return self.name_zh if language == "zh" else self.name_en


@dataclass(frozen=True)
class Money:
    mode: str
    amounts: dict[str, float] = field(default_factory=dict)
    coefficients: dict[str, float] = field(default_factory=dict)
    base: float = 0.0
    formula: Formula | None = None  # mode "formula": the money of every row without its own
    inputs: tuple[MoneyInput, ...] = ()


@dataclass(frozen=True)
class ServiceTarget:
    """A service level to show against actuals (seed 002: on-time ≥ 90%, complaints < 3%)."""

    kpi: str
    at_least: float | None = None
    below: float | None = None

    @property
    def edge(self) -> float:
        return self.at_least if self.at_least is not None else self.below

    def met(self, actual):
        """True where the actual value meets the target at the precision it is written in
        (works on numbers and arrays)."""
        actual = as_written(actual, self.edge)
        return actual >= self.at_least if self.at_least is not None else actual < self.below

    @property
    def text(self) -> str:
        return f"≥ {self.at_least:g}" if self.at_least is not None else f"< {self.below:g}"


@dataclass(frozen=True)
class RolePlan:
    """The weights one role is scored with: category id → weight, KPI id → weight."""

    name: str
    aliases: tuple[str, ...]
    category_weights: dict[str, float]
    kpi_weights: dict[str, float]
    money_formula: Formula | None = None  # this role's money, whatever the scheme's mode


@dataclass(frozen=True)
class Scheme:
    id: str
    name_zh: str
    name_en: str
    version: int
    missing: str
    categories: tuple[Category, ...]
    kpis: tuple[Kpi, ...]
    grades: tuple[GradeLevel, ...]
    money: Money
    default_plan: RolePlan
    roles: tuple[RolePlan, ...] = ()
    tie_break: str | None = None
    targets: tuple[ServiceTarget, ...] = ()
    target_mix: dict[str, float] = field(default_factory=dict)
    gaming_pairs: tuple[GamingPair, ...] = ()
    source: str = ""
    digest: str = ""
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def kpi_ids(self) -> list[str]:
        return [k.id for k in self.kpis]

    @property
    def category_ids(self) -> list[str]:
        return [c.id for c in self.categories]

    @property
    def grade_names(self) -> list[str]:
        return [g.name for g in self.grades]

    def kpi(self, kpi_id: str) -> Kpi:
        return next(k for k in self.kpis if k.id == kpi_id)

    @property
    def money_formulas(self) -> bool:
        """True when some row's money comes from a formula."""
        return self.money.mode == "formula" or any(r.money_formula for r in self.roles)

    @property
    def plans(self) -> tuple[RolePlan, ...]:
        """The default plan first, then one per named role."""
        return (self.default_plan, *self.roles)


# ------------------------------------------------------------------ loading


def load_scheme(path: str | Path | None = None) -> Scheme:
    """Read and validate a scheme file; raises SchemeError listing every problem."""
    file = paths.scheme_path(path)
    try:
        raw_bytes = file.read_bytes()
    except OSError as exc:
        raise SchemeError(str(file), [f"the file cannot be read ({exc.strerror})"]) from exc
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SchemeError(file.name, [f"the file is not valid TOML: {exc}"]) from exc
    digest = hashlib.sha256(raw_bytes).hexdigest()[:16]
    return parse_scheme(data, source=file.name, digest=digest)


def list_schemes(folder: Path = paths.SCHEMES_DIR) -> list[tuple[Path, Scheme | SchemeError]]:
    """Every scheme file in the folder (presets excluded), each loaded or with its error."""
    found: list[tuple[Path, Scheme | SchemeError]] = []
    for file in sorted(folder.glob("*.toml")):
        if file.resolve() == paths.GRADE_PRESETS_FILE.resolve():
            continue
        try:
            found.append((file, load_scheme(file)))
        except SchemeError as exc:
            found.append((file, exc))
    return found


def scheme_file_of(scheme_id: str, folder: Path = paths.SCHEMES_DIR) -> Path | None:
    """The valid scheme file in the folder whose scheme has this id, if there is one."""
    return next(
        (f for f, s in list_schemes(folder) if isinstance(s, Scheme) and s.id == scheme_id), None
    )


def load_grade_presets(file: Path = paths.GRADE_PRESETS_FILE) -> dict[str, tuple[GradeLevel, ...]]:
    """The named grade presets (five, four, a_to_e)."""
    data = tomllib.loads(file.read_text(encoding="utf-8"))
    return {name: _grade_levels(body.get("levels", [])) for name, body in data.items()}


def _grade_levels(levels: list[dict]) -> tuple[GradeLevel, ...]:
    return tuple(
        GradeLevel(
            name=str(lv.get("name", "")),
            name_en=str(lv.get("name_en", lv.get("name", ""))),
            min=None if lv.get("min") is None else float(lv["min"]),
        )
        for lv in levels
    )


def parse_scheme(data: dict, source: str = "<scheme>", digest: str = "") -> Scheme:
    """Build a Scheme from parsed TOML, collecting every problem before raising."""
    problems: list[str] = []
    categories = tuple(_category(c, problems) for c in data.get("categories", []))
    kpis = tuple(_kpi(k, problems) for k in data.get("kpis", []))
    if not categories:
        problems.append("the scheme has no categories ([[categories]])")
    if not kpis:
        problems.append("the scheme has no KPIs ([[kpis]])")
    grades = _grades(data.get("grades", {}), problems)
    normalize = bool(data.get("normalize_weights", False))
    money = _money(data.get("money", {}), problems)
    names = formula_names(kpis, money)
    money = replace(money, formula=_formula(data.get("money", {}), "formula", names, problems))
    default_plan = RolePlan(
        name="",
        aliases=(),
        category_weights={c.id: c.weight for c in categories},
        kpi_weights={k.id: k.weight for k in kpis},
    )
    roles = tuple(_role(r, default_plan, names, problems) for r in data.get("roles", []))
    if normalize:
        default_plan = _normalized(default_plan, kpis)
        roles = tuple(_normalized(r, kpis) for r in roles)
    scheme = Scheme(
        id=str(data.get("id", Path(source).stem)),
        name_zh=str(data.get("name_zh", data.get("id", source))),
        name_en=str(data.get("name_en", data.get("id", source))),
        version=int(data.get("version", 1)),
        missing=str(data.get("missing", "renormalize")),
        categories=categories,
        kpis=kpis,
        grades=grades,
        money=money,
        default_plan=default_plan,
        roles=roles,
        tie_break=data.get("tie_break"),
        targets=tuple(_target(t, problems) for t in data.get("targets", [])),
        target_mix={
            str(g): float(v) for g, v in data.get("grades", {}).get("target_mix", {}).items()
        },
        gaming_pairs=tuple(_gaming_pair(g, problems) for g in data.get("gaming_pairs", [])),
        source=source,
        digest=digest,
        raw=data,
    )
    problems.extend(validate(scheme))
    if problems:
        raise SchemeError(source, problems)
    return scheme


def _category(raw: dict, problems: list[str]) -> Category:
    return Category(
        id=str(raw.get("id", "")),
        name_zh=str(raw.get("name_zh", raw.get("id", ""))),
        name_en=str(raw.get("name_en", raw.get("id", ""))),
        weight=_number(raw, "weight", f"category {raw.get('id', '?')}", problems),
    )


def _number(raw: dict, key: str, where: str, problems: list[str], default=None) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"{where}: '{key}' must be a number, found {value!r}")
        return 0.0
    return float(value)


def _kpi(raw: dict, problems: list[str]) -> Kpi:
    kpi_id = str(raw.get("id", ""))
    where = f"KPI {raw.get('name_zh', kpi_id)} ({kpi_id})"
    method = str(raw.get("method", ""))
    params: dict = {}
    if method == "bands":
        params["bands"] = tuple(
            Band(
                upto=_number(b, "upto", where, problems),
                points=_number(b, "points", where, problems),
            )
            for b in raw.get("bands", [])
        )
        top = max((b.points for b in params["bands"]), default=0.0)
        params["max_points"] = _number(raw, "max_points", where, problems, default=top)
    elif method == "tiers":
        params["tiers"] = tuple(
            Tier(
                threshold=None
                if t.get("threshold") is None
                else _number(t, "threshold", where, problems),
                score=_number(t, "score", where, problems),
                label=str(t.get("label", "")),
                label_en=str(t.get("label_en", "")),
            )
            for t in raw.get("tiers", [])
        )
    elif method == "linear":
        params["floor"] = _number(raw, "floor", where, problems)
        params["target"] = _number(raw, "target", where, problems)
        params["cap"] = _number(raw, "cap", where, problems, default=1.0)
    elif method == "deduction":
        params["per_incident"] = _number(raw, "per_incident", where, problems)
        params["start"] = _number(raw, "start", where, problems, default=100.0)
        params["allow_negative"] = bool(raw.get("allow_negative", False))
    elif method == "rating":
        params["scale_min"] = _number(raw, "scale_min", where, problems, default=1.0)
        params["scale_max"] = _number(raw, "scale_max", where, problems, default=5.0)
    return Kpi(
        id=kpi_id,
        name_zh=str(raw.get("name_zh", kpi_id)),
        name_en=str(raw.get("name_en", kpi_id)),
        category=str(raw.get("category", "")),
        weight=_number(raw, "weight", where, problems, default=0.0),
        unit=str(raw.get("unit", "")),
        direction=str(raw.get("direction", "higher")),
        method=method,
        aliases=tuple(str(a) for a in raw.get("aliases", [])),
        missing=raw.get("missing"),
        valid_min=None
        if raw.get("valid_min") is None
        else _number(raw, "valid_min", where, problems),
        valid_max=None
        if raw.get("valid_max") is None
        else _number(raw, "valid_max", where, problems),
        **_insight_options(raw, where, problems),
        **params,
    )


def _headers(raw: dict, key: str, where: str, problems: list[str]) -> tuple[str, ...]:
    """A column named by one header or a list of headers it may have."""
    value = raw.get(key, ())
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        problems.append(f"{where}: '{key}' must be a column name or a list of them")
        return ()
    return tuple(value)


def _flag(raw: dict, key: str, where: str, problems: list[str]) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        problems.append(f"{where}: '{key}' must be true or false, found {value!r}")
        return False
    return value


def _insight_options(raw: dict, where: str, problems: list[str]) -> dict:
    """A KPI's cases column, minimum cases and shrinkage; its rater column and rescaling."""
    min_cases = raw.get("min_cases", DEFAULT_MIN_CASES)
    if isinstance(min_cases, bool) or not isinstance(min_cases, int) or min_cases < 1:
        problems.append(f"{where}: 'min_cases' must be a whole number of at least 1")
        min_cases = DEFAULT_MIN_CASES
    return {
        "denominator": _headers(raw, "denominator", where, problems),
        "min_cases": min_cases,
        "score_shrunk": _flag(raw, "score_shrunk", where, problems),
        "rater": _headers(raw, "rater", where, problems),
        "rescale_by_rater": _flag(raw, "rescale_by_rater", where, problems),
    }


def _gaming_pair(raw: dict, problems: list[str]) -> GamingPair:
    pair = GamingPair(
        first=str(raw.get("first", "")),
        first_moves=str(raw.get("first_moves", "")),
        second=str(raw.get("second", "")),
        second_moves=str(raw.get("second_moves", "")),
        note=str(raw.get("note", "")),
    )
    for key in ("first_moves", "second_moves"):
        if getattr(pair, key) not in MOVES:
            problems.append(
                f"gaming pair {pair.first} / {pair.second}: {key} must be 'up' or 'down', "
                f"found {getattr(pair, key)!r}"
            )
    return pair


def _grades(raw: dict, problems: list[str]) -> tuple[GradeLevel, ...]:
    if "levels" in raw:
        return _grade_levels(raw["levels"])
    preset = raw.get("preset", "five")
    presets = load_grade_presets()
    if preset not in presets:
        problems.append(f"grade preset '{preset}' is unknown; known: {', '.join(presets)}")
        return ()
    return presets[preset]


def _target(raw: dict, problems: list[str]) -> ServiceTarget:
    kpi = str(raw.get("kpi", ""))
    at_least, below = raw.get("at_least"), raw.get("below")
    if (at_least is None) == (below is None):
        problems.append(f"service target for '{kpi}' needs exactly one of 'at_least' or 'below'")
    return ServiceTarget(
        kpi=kpi,
        at_least=None if at_least is None else float(at_least),
        below=None if below is None else float(below),
    )


def _money(raw: dict, problems: list[str]) -> Money:
    mode = str(raw.get("mode", "grade_amount"))
    amounts = {str(k): float(v) for k, v in raw.get("amounts", {}).items()}
    coefficients = {str(k): float(v) for k, v in raw.get("coefficients", {}).items()}
    base = float(raw.get("base", 0.0))
    inputs = tuple(
        _money_input(str(key), body, problems) for key, body in raw.get("inputs", {}).items()
    )
    return Money(mode=mode, amounts=amounts, coefficients=coefficients, base=base, inputs=inputs)


def _money_input(key: str, raw: dict, problems: list[str]) -> MoneyInput:
    where = f"money input {raw.get('name_zh', key)} ({key})" if isinstance(raw, dict) else key
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a table with name_zh, aliases and so on")
        raw = {}
    return MoneyInput(
        id=key,
        name_zh=str(raw.get("name_zh", key)),
        name_en=str(raw.get("name_en", key)),
        aliases=tuple(str(a) for a in raw.get("aliases", [])),
        unit=str(raw.get("unit", "")),
        valid_min=None
        if raw.get("valid_min") is None
        else _number(raw, "valid_min", where, problems),
    )


def formula_names(kpis: tuple[Kpi, ...], money: Money):
    """What a money formula may name, looked up as headers are (case, spaces, _ ignored): each
    KPI and money input by id, names and aliases, `total` and `coefficient` (see TOTAL_NAMES,
    COEFFICIENT_NAMES); roster columns are known but are not numbers."""
    table: dict[str, Name] = {}
    for field_name, aliases in ROSTER_NAMES.items():
        for alias in (field_name, *aliases):
            table[normalize_header(alias)] = Name(field_name, numeric=False)
    for kpi in kpis:
        lower = kpi.valid_range[0]
        for alias in (kpi.id, kpi.name_zh, kpi.name_en, *kpi.aliases):
            table[normalize_header(alias)] = Name(kpi.id, lower=lower)
    for item in money.inputs:
        for alias in item.names:
            table[normalize_header(alias)] = Name(item.id, lower=item.valid_min)
    for alias in TOTAL_NAMES:
        table[normalize_header(alias)] = Name("total", lower=None)
    factors = list(money.coefficients.values())
    for alias in COEFFICIENT_NAMES:
        table[normalize_header(alias)] = Name("coefficient", lower=min(factors, default=None))

    def lookup(word: str) -> Name | None:
        return table.get(normalize_header(word))

    return lookup


def _formula(raw: dict, key: str, names, problems: list[str], who: str = "") -> Formula | None:
    text = raw.get(key)
    if text is None:
        return None
    try:
        return parse_formula(text, names)
    except FormulaError as exc:
        problems.append(f"{who}money formula {text!r}: {exc}")
        return None


def _role(raw: dict, default: RolePlan, names, problems: list[str]) -> RolePlan:
    name = str(raw.get("name", ""))
    if not name:
        problems.append("a [[roles]] entry has no name")
    return RolePlan(
        name=name,
        aliases=tuple(str(a) for a in raw.get("aliases", [])),
        category_weights={**default.category_weights, **raw.get("categories", {})},
        kpi_weights={**default.kpi_weights, **raw.get("kpi_weights", {})},
        money_formula=_formula(raw, "money_formula", names, problems, f"role {name}: "),
    )


def _normalized(plan: RolePlan, kpis: tuple[Kpi, ...]) -> RolePlan:
    """Scale weights to add up to 100, only when the scheme asks (normalize_weights = true)."""
    cat_total = sum(plan.category_weights.values()) or 1.0
    kpi_weights = dict(plan.kpi_weights)
    for cat in plan.category_weights:
        members = [k.id for k in kpis if k.category == cat]
        total = sum(kpi_weights.get(m, 0.0) for m in members) or 1.0
        for m in members:
            kpi_weights[m] = kpi_weights.get(m, 0.0) * 100.0 / total
    return RolePlan(
        name=plan.name,
        aliases=plan.aliases,
        category_weights={c: w * 100.0 / cat_total for c, w in plan.category_weights.items()},
        kpi_weights=kpi_weights,
        money_formula=plan.money_formula,
    )


# ------------------------------------------------------------------ validation


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


HEADER_TRANSLATION = str.maketrans(
    {"（": "(", "）": ")", "\ufeff": None, " ": None, "\u3000": None, "_": None, "-": None}
)


def normalize_header(text: str) -> str:
    """A column name reduced for matching: no BOM, spaces, case or full-width brackets."""
    return str(text).strip().translate(HEADER_TRANSLATION).lower()
