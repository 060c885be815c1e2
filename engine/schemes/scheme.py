"""Assessment schemes (考核方案): TOML files loaded into the dataclasses of model.py and checked by
validate.py."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import replace
from pathlib import Path

from engine import paths
from engine.schemes.formula import Formula, FormulaError, Name, parse_formula
from engine.schemes.model import (
    COEFFICIENT_NAMES,
    DEFAULT_MIN_CASES,
    MOVES,
    ROSTER_NAMES,
    TOTAL_NAMES,
    Band,
    Category,
    GamingPair,
    GradeLevel,
    Kpi,
    Money,
    MoneyInput,
    RolePlan,
    Scheme,
    SchemeError,
    ServiceTarget,
    Tier,
    normalize_header,
)
from engine.schemes.validate import validate

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
