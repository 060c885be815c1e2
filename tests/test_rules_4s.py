"""The 4S dealer scheme (seed 004) scored by hand, and the 4S demo dataset with its rules."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.demo.dealer_4s import (
    DEALERS,
    MONTHS,
    SAMPLE_4S_DIR,
    SCHEME_4S,
    demo_frames,
    generate_demo_4s,
    import_demo_4s,
)
from engine.rules.evaluate import evaluate, load_rules, with_inputs
from engine.schemes.scheme import load_scheme
from engine.scoring.score import score_table
from engine.store import Store
from tests.conftest import facts


@pytest.fixture(scope="module")
def scheme():
    return load_scheme(SCHEME_4S)


def test_the_seeds_role_weights(scheme):
    plans = {p.name: p for p in scheme.roles}
    advisor = plans["服务顾问"]
    assert advisor.category_weights == {"quant": 80.0, "qual": 20.0}
    # 入场台次 15% of the whole = 18.75% of 定量指标's 80%
    assert advisor.kpi_weights["entry_achievement"] == pytest.approx(18.75)
    assert advisor.kpi_weights["complaint_rate"] == pytest.approx(25.0)
    assert plans["配件专员"].kpi_weights["parts_margin_achievement"] == pytest.approx(31.25)
    assert plans["质检员"].kpi_weights["rework_jobs"] == pytest.approx(12.5)


def test_a_service_advisor_scored_by_hand(scheme):
    # 入场 95% → 90, 维修收入 110% → 100 (cap), 精品 80% → 60, 投诉率 1% → 80, 续保 100% → 100:
    # 定量 = (15·90 + 20·100 + 15·60 + 20·80 + 10·100) / 80 = 85.625; 定性 = (90 + 80) / 2 = 85;
    # total = 0.8 · 85.625 + 0.2 · 85 = 85.50 → 良好 → 2000 × 1.0.
    row = {
        "role": "服务顾问",
        "entry_achievement": 95,
        "repair_revenue_achievement": 110,
        "accessory_achievement": 80,
        "complaint_rate": 1,
        "renewal_achievement": 100,
        "five_s": 90,
        "daily_management": 80,
    }
    scored = score_table(facts([row]), scheme).iloc[0]
    assert scored["cat_quant"] == pytest.approx(85.625)
    assert scored["total"] == 85.5
    assert scored["grade"] == "良好" and scored["bonus"] == 2000


def test_a_technician_scored_by_hand(scheme):
    # 工时 100% → 100, 精品 90% → 80, 一次修复 95% → 75, 返修 2.5% → 4/5 = 80, 成本 25% → 75,
    # 1 part damaged → 50: 定量 = (20·100 + 10·80 + 15·75 + 15·80 + 10·75 + 10·50) / 80
    # = 79.6875; 定性 = (100 + 90) / 2 = 95; total = 63.75 + 19 = 82.75 → 良好.
    row = {
        "role": "维修组长",  # scored with the technician's table
        "labor_revenue_achievement": 100,
        "accessory_achievement": 90,
        "first_time_fix_rate": 95,
        "rework_rate": 2.5,
        "cost_control_rate": 25,
        "damaged_parts": 1,
        "five_s": 100,
        "daily_management": 90,
        "entry_achievement": 50,  # another role's KPI: weight 0 for a technician
    }
    scored = score_table(facts([row]), scheme).iloc[0]
    assert scored["cat_quant"] == pytest.approx(79.6875)
    assert scored["total"] == 82.75
    assert scored["grade"] == "良好"


# ------------------------------------------------------------------ money by post (seed 004)

PAID_BY_FORMULA = {"备件经理", "备件计划", "备件库管", "索赔专员"}
# parts table: 出库毛利 75% → 50, 周转 6 → 100, 超长期 5% → 100, 供货 100% → 100:
# 定量 = (25·50 + 15·100 + 20·100 + 20·100) / 80 = 84.375; 定性 (90 + 80) / 2 = 85;
# total = 0.8 · 84.375 + 0.2 · 85 = 84.50 → 良好, 考核系数 1.0
PARTS_ROW = {
    "parts_margin_achievement": 75,
    "inventory_turnover": 6,
    "long_stock_share": 5,
    "supply_on_time_rate": 100,
    "five_s": 90,
    "daily_management": 80,
    "备件毛利额": 400_000,
    "附件及养护品毛利额": 100_000,
}


@pytest.mark.parametrize(
    ("role", "expected"),
    # (备件毛利额 + 附件及养护品毛利额) × 0.5% / 0.30% / 0.20% × 考核系数: 500,000 × … × 1.0
    [("备件经理", 2500.0), ("备件计划", 1500.0), ("备件计划员", 1500.0), ("备件库管", 1000.0)],
)
def test_parts_posts_paid_from_gross_profit_by_hand(scheme, role, expected):
    scored = score_table(facts([{**PARTS_ROW, "role": role}]), scheme).iloc[0]
    assert scored["total"] == 84.5 and scored["grade"] == "良好"
    assert scored["bonus"] == expected


def test_the_parts_managers_coefficient_follows_the_grade(scheme):
    # 出库毛利 100% → 100: 定量 100, total 80 + 17 = 97 → 优秀 → × 1.2: 500,000 × 0.5% × 1.2
    row = {**PARTS_ROW, "role": "备件经理", "parts_margin_achievement": 100}
    scored = score_table(facts([row]), scheme).iloc[0]
    assert scored["total"] == 97 and scored["bonus"] == 3000.0


def test_a_quality_inspector_paid_per_car_by_hand(scheme):
    # 完检 100% → 100, 返修台次 2 → 60, 一次修复 100% → 100, 返修率 1% → 100, 成本 20% → 100,
    # 0 parts damaged → 100: 定量 = (2000 + 600 + 1500 + 1500 + 1000 + 1000) / 80 = 95;
    # total = 76 + 17 = 93.00; money = (接车台数 400 × 2 − 返修台数 2 × 100) × 93 ÷ 100 = 558.
    row = {
        "role": "质检员",
        "inspection_achievement": 100,
        "rework_jobs": 2,
        "first_time_fix_rate": 100,
        "rework_rate": 1,
        "cost_control_rate": 20,
        "damaged_parts": 0,
        "five_s": 90,
        "daily_management": 80,
        "接车台数": 400,
    }
    scored = score_table(facts([row]), scheme).iloc[0]
    assert scored["total"] == 93 and scored["bonus"] == 558.0


def test_a_claims_specialist_paid_from_claims_by_hand(scheme):
    # 申报及时 95% → 75, 拒赔 2% → 80: 定量 77.5; total = 62 + 17 = 79.00 → 合格;
    # money = 索赔总额 300,000 × 1% × 部门净利润完成率 95% × 79 ÷ 100 = 2251.50.
    # The two money columns come as Excel writes them (kept as text by the import).
    row = {
        "role": "索赔专员",
        "claims_on_time_rate": 95,
        "claims_rejected_rate": 2,
        "five_s": 90,
        "daily_management": 80,
        "索赔总额": "300,000",
        "部门净利润完成率": "95%",
    }
    scored = score_table(facts([row]), scheme).iloc[0]
    assert scored["total"] == 79 and scored["grade"] == "合格"
    assert scored["bonus"] == 2251.5


def test_a_post_without_its_money_column_gets_no_money_and_a_message(scheme):
    rows = [
        {**PARTS_ROW, "role": "备件经理", "employee_id": "P1"},
        {**PARTS_ROW, "role": "备件库管", "employee_id": "P2", "附件及养护品毛利额": None},
    ]
    table = score_table(facts(rows), scheme)
    assert table["bonus"].iloc[0] == 2500.0 and pd.isna(table["bonus"].iloc[1])
    assert table.attrs["money_problems"] == [
        "备件库管: no number in 附件及养护品毛利额, so no money: P2 2026-10"
    ]


# ------------------------------------------------------------------ the demo dataset


@pytest.fixture(scope="module")
def report(tmp_path_factory, scheme):
    store = Store(tmp_path_factory.mktemp("s4") / "s4.duckdb")
    import_demo_4s(store)
    stored = store.facts()
    rules = load_rules(scheme)
    table, unreadable = with_inputs(score_table(stored, scheme), stored, rules)
    assert unreadable.empty
    return evaluate(table, rules), table


def test_the_shipped_files_are_what_the_generator_writes(tmp_path):
    written = generate_demo_4s(tmp_path)
    assert [p.name for p in written] == [f"{m}.csv" for m in MONTHS]
    for path in written:
        assert path.read_bytes() == (SAMPLE_4S_DIR / path.name).read_bytes(), path.name


def test_the_demo_is_deterministic_and_has_every_role():
    first, again = demo_frames(), demo_frames()
    assert all(first[m].equals(again[m]) for m in MONTHS)
    roles = set(pd.concat(first.values())["role"])
    assert {"服务顾问", "维修技师", "维修组长", "配件专员", "质检员"} | PAID_BY_FORMULA == roles


def test_the_demo_holds_the_seeds_worked_example(report):
    found, _ = report
    pay = found.pay[found.pay["name"] == "张三"].sort_values("period").set_index("period")
    assert pay.loc["2025-05":"2025-09", "pay"].tolist() == [3500, 3300, 3100, 3100, 3500]


def test_the_demo_rules_give_something_to_show(report):
    found, table = report
    assert table["total"].notna().all()
    assert set(found.teams["factor"]) == {1.0, 0.95, 0.9}
    ratios = found.nps.groupby(["year", "department"])["ratio"].first()
    expected = {
        (year, f"{d.name}售后部"): ratio
        for d, ratios_by_year in zip(DEALERS, [(120, 150), (100, 100), (0, 120)], strict=True)
        for year, ratio in zip((2025, 2026), ratios_by_year, strict=True)
    }
    assert ratios.to_dict() == expected
    assert not found.events.empty and (found.pay["cut"] > 0).any()
    paid = table[table["role"].isin(PAID_BY_FORMULA | {"质检员"})]
    assert paid["bonus"].notna().all()
    assert found.levels["level"].notna().all()
    assert found.notices == ()
