"""Scheme files: the shipped ones load, and broken ones are refused with readable reasons."""

from __future__ import annotations

import copy

import pytest

from engine import paths
from engine.schemes.model import METHODS
from engine.schemes.scheme import (
    SchemeError,
    list_schemes,
    load_grade_presets,
    load_scheme,
    parse_scheme,
)
from tests.conftest import SMALL_SCHEME


def problems_of(data: dict) -> list[str]:
    with pytest.raises(SchemeError) as caught:
        parse_scheme(data, source="test")
    return caught.value.problems


def small(**changes) -> dict:
    data = copy.deepcopy(SMALL_SCHEME)
    data.update(changes)
    return data


def test_default_scheme_matches_the_rulebook(scheme):
    assert [(c.name_zh, c.weight) for c in scheme.categories] == [
        ("工作质量", 50),
        ("业务水平", 30),
        ("服务态度", 20),
    ]
    assert {k.method for k in scheme.kpis} == set(METHODS)
    assert [(g.name, g.min) for g in scheme.grades] == [
        ("优秀", 90),
        ("良好", 80),
        ("合格", 70),
        ("及格", 60),
        ("不合格", None),
    ]
    assert scheme.money.amounts == {"优秀": 1000, "良好": 500, "合格": 0, "及格": 0, "不合格": -500}
    for kpi in scheme.kpis:
        assert kpi.id and kpi.name_zh and kpi.name_en and kpi.unit and kpi.aliases
        assert kpi.direction in ("higher", "lower")


def test_fault_days_bands_are_seed_000_section_4_2(scheme):
    bands = scheme.kpi("fault_days").bands
    assert [(b.upto, b.points) for b in bands] == [
        (2, 5),
        (4, 4),
        (6, 3),
        (8, 2),
        (float("inf"), 1),
    ]


def test_roles_override_weights_and_default_applies_to_others(scheme):
    service = next(r for r in scheme.roles if r.name == "客服专员")
    assert service.category_weights == {"quality": 30, "skill": 30, "attitude": 40}
    assert service.kpi_weights["fault_days"] == 0
    assert scheme.default_plan.category_weights == {"quality": 50, "skill": 30, "attitude": 20}


def test_seed_003_weights_adding_to_90_are_refused():
    kpis = [
        {
            "id": f"k{i}",
            "category": "all",
            "weight": w,
            "unit": "%",
            "direction": "higher",
            "method": "linear",
            "floor": 0,
            "target": 100,
        }
        for i, w in enumerate([30, 20, 15, 10, 10, 5])
    ]
    data = small(
        categories=[{"id": "all", "name_zh": "客服", "name_en": "Service", "weight": 100}],
        kpis=kpis,
    )
    assert problems_of(data) == ["客服 (Service) KPI weights add up to 90%, not 100%"]


def test_weights_are_normalised_only_when_the_scheme_says_so():
    data = small(
        categories=[{"id": "q", "weight": 45}, {"id": "a", "weight": 45}], normalize_weights=True
    )
    loaded = parse_scheme(data)
    assert loaded.default_plan.category_weights == {"q": 50, "a": 50}
    assert (
        "category weights add up to 90%, not 100%"
        in problems_of(small(categories=[{"id": "q", "weight": 45}, {"id": "a", "weight": 45}]))[0]
    )


def test_overlapping_and_unsorted_bands_are_refused():
    data = small()
    data["kpis"][0]["bands"] = [
        {"upto": 4, "points": 5},
        {"upto": 2, "points": 4},
        {"upto": float("inf"), "points": 1},
    ]
    found = problems_of(data)
    assert len(found) == 1 and "bands overlap or are not in ascending order" in found[0]


def test_bands_that_reward_a_worse_value_are_refused():
    data = small()
    data["kpis"][0]["bands"] = [{"upto": 2, "points": 1}, {"upto": float("inf"), "points": 5}]
    assert "reward a worse value" in problems_of(data)[0]


def test_grade_cutoffs_must_descend():
    levels = [{"name": "优秀", "min": 80}, {"name": "良好", "min": 90}, {"name": "不合格"}]
    data = small(
        grades={"levels": levels},
        money={"mode": "grade_amount", "amounts": {"优秀": 1, "良好": 0, "不合格": 0}},
    )
    assert problems_of(data) == [
        "grade cutoffs [80.0, 90.0] must go down from the best grade to the worst"
    ]


def test_kpi_in_no_category_and_unknown_method_are_both_reported():
    data = small()
    data["kpis"][1]["category"] = "nowhere"
    data["kpis"][2]["method"] = "magic"
    found = problems_of(data)
    assert any("is in no category: 'nowhere'" in p for p in found)
    assert any("scoring method 'magic' is unknown" in p for p in found)


def test_money_must_name_every_grade():
    data = small(money={"mode": "grade_amount", "amounts": {"优秀": 1000}})
    assert "gives no value for grade(s) ['良好', '合格', '及格', '不合格']" in problems_of(data)[0]


def test_role_naming_an_unknown_kpi_is_refused():
    data = small(roles=[{"name": "客服专员", "kpi_weights": {"ghost": 10}}])
    assert "role 客服专员: weights name KPI 'ghost', which does not exist" in problems_of(data)


def test_tiers_out_of_order_are_refused():
    data = small()
    data["kpis"][2]["tiers"] = [
        {"threshold": 80, "score": 85},
        {"threshold": 90, "score": 100},
        {"score": 0},
    ]
    assert any("must be strictly descending" in p for p in problems_of(data))


def test_grade_presets_ship_five_four_and_a_to_e():
    presets = load_grade_presets()
    assert [g.min for g in presets["four"]] == [90, 80, 70, None]
    assert [(g.name, g.min) for g in presets["a_to_e"]] == [
        ("A", 95),
        ("B", 85),
        ("C", 75),
        ("D", 60),
        ("E", None),
    ]


def test_every_shipped_scheme_is_valid():
    found = list_schemes(paths.SCHEMES_DIR)
    assert found, "no schemes shipped"
    assert [f.name for f, s in found if isinstance(s, SchemeError)] == []


def test_unreadable_toml_names_the_file(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("id = [", encoding="utf-8")
    with pytest.raises(SchemeError, match=r"broken\.toml"):
        load_scheme(bad)


def test_band_edges_and_tier_thresholds_that_are_not_numbers_are_refused():
    data = small()
    data["kpis"][0]["bands"][1]["upto"] = float("nan")
    data["kpis"][2]["tiers"][0]["threshold"] = float("nan")
    found = problems_of(data)
    assert any("band edges ('upto', but the last band's inf) and points" in p for p in found)
    assert any("tier thresholds and scores must be numbers" in p for p in found)


# ------------------------------------------------------------------ money formulas


def with_formula(money: dict, roles: list | None = None) -> dict:
    data = small(money=money)
    if roles is not None:
        data["roles"] = roles
    return data


PAY_INPUT = {"pay": {"name_zh": "绩效工资", "aliases": ["月度绩效工资"], "unit": "yuan"}}


def test_seed_001_performance_pay_from_each_persons_own_column_loads():
    loaded = parse_scheme(
        with_formula({"mode": "formula", "formula": "绩效工资 * total / 100", "inputs": PAY_INPUT})
    )
    assert loaded.money.formula.keys == ("pay", "total")
    assert loaded.money.inputs[0].name_zh == "绩效工资"


@pytest.mark.parametrize(
    ("formula", "reason"),
    [
        ("奖金基数 * total", "'奖金基数' at position 1 is not a column the scheme declares"),
        ("部门 * 2", "'部门' at position 1 is not a number column"),
        ("绩效工资 / complaints", "complaints can be 0"),
        ("绩效工资 / total", "total can be 0"),
        ("绩效工资 / (1 - 1)", "a division by a number that is 0"),
        ("绩效工资.real", "'.' at position 5 is not allowed"),
        ("abs(绩效工资)", "only min, max and round may be called"),
    ],
)
def test_a_formula_that_cannot_be_computed_is_refused_on_load(formula, reason):
    found = problems_of(with_formula({"mode": "formula", "formula": formula, "inputs": PAY_INPUT}))
    assert len(found) == 1 and reason in found[0] and formula in found[0]


def test_division_by_a_column_declared_above_zero_is_accepted():
    inputs = {**PAY_INPUT, "days_worked": {"name_zh": "出勤天数", "valid_min": 1}}
    loaded = parse_scheme(
        with_formula({"mode": "formula", "formula": "绩效工资 / 出勤天数 * 22", "inputs": inputs})
    )
    assert loaded.money.formula.keys == ("pay", "days_worked")


def test_a_roles_formula_is_checked_and_the_role_is_named():
    roles = [{"name": "备件经理", "money_formula": "毛利 * 0.5% * 考核系数"}]
    found = problems_of(with_formula(SMALL_SCHEME["money"], roles))
    assert found == [
        "role 备件经理: money formula '毛利 * 0.5% * 考核系数': '毛利' at position 1 is not a "
        "column the scheme declares"
    ]


def test_the_coefficient_needs_a_coefficient_for_every_grade():
    roles = [{"name": "经理", "money_formula": "1000 * 考核系数"}]
    found = problems_of(with_formula(SMALL_SCHEME["money"], roles))
    assert "uses 考核系数 (coefficient)" in found[0] and "优秀" in found[0]


def test_mode_and_formula_must_go_together():
    assert problems_of(with_formula({"mode": "formula"})) == [
        'money mode formula needs a formula (formula = "…")'
    ]
    found = problems_of(with_formula({**SMALL_SCHEME["money"], "formula": "total * 10"}))
    assert found == [
        '[money] gives a formula but its mode is grade_amount; set mode = "formula" to use it'
    ]


def test_a_money_input_may_not_take_a_kpis_name():
    inputs = {"csat_copy": {"name_zh": "csat"}}
    found = problems_of(with_formula({**SMALL_SCHEME["money"], "inputs": inputs}))
    assert found == [
        "money input csat (csat_copy): the name 'csat' is already a KPI's or a roster column's"
    ]


def test_a_schemes_fit_reads_only_the_columns_its_kpis_are_found_in(tmp_path):
    """scheme_fit over the KPI columns alone says what it says over every stored column, so a
    page's check of a year need not read a million rows of names and teams."""
    from engine.scoring.fit import kpi_columns, scheme_fit
    from engine.store import Store
    from tests.apptest import demo_store

    scheme = load_scheme()
    store = Store(demo_store(tmp_path))
    stored = store.fact_columns()
    wanted = kpi_columns(stored, scheme)
    assert "name" not in wanted and "department" not in wanted
    assert {k.id for k in scheme.kpis if k.id in stored} <= set(wanted)
    months = store.periods()[-3:]
    narrow = store.facts(months, columns=wanted)
    assert scheme_fit(narrow, scheme, "q") == scheme_fit(store.facts(months), scheme, "q")
