"""What a scheme (考核方案) is: the frozen dataclasses a scheme file loads into, the words it may
use, and how column names are matched."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from engine.schemes.formula import Formula
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


HEADER_TRANSLATION = str.maketrans(
    {"（": "(", "）": ")", "\ufeff": None, " ": None, "\u3000": None, "_": None, "-": None}
)


def normalize_header(text: str) -> str:
    """A column name reduced for matching: no BOM, spaces, case or full-width brackets."""
    return str(text).strip().translate(HEADER_TRANSLATION).lower()
