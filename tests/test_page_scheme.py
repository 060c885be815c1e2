"""AppTest of the scheme page: the standard in words, its versions, re-scoring under any version."""

from __future__ import annotations

import re

import pytest

from engine import paths
from engine.cli import scored
from engine.schemes import edit as scheme_edit
from engine.schemes import versions as scheme_versions
from engine.schemes.scheme import load_scheme, parse_scheme
from engine.store import Store
from tests.apptest import demo_store, open_page


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    db = demo_store(tmp_path)
    monkeypatch.setenv(paths.DB_ENV, str(db))
    return Store(db)


def tables(at) -> list:
    return [t.value for t in at.table]


def test_the_standard_reads_as_published(store):
    at = open_page("scheme")
    assert not at.exception
    assert at.title[0].value == "考核标准 · 售后服务人员月度考核方案"
    quality = tables(at)[0]
    rule = quality.set_index("考核指标").loc["故障处理天数", "计分标准"]
    assert rule.startswith("0–2天 → 5 分;2–4天 → 4 分;4–6天 → 3 分;6–8天 → 2 分;8天以上 → 1 分")
    grades = tables(at)[-1].set_index("等级")
    assert grades.loc["优秀", "总分范围"] == "≥ 90"
    assert grades.loc["良好", "奖金"] == "+500 元"
    versions = at.dataframe[-1].value
    assert versions["version"].tolist() == [1]


def test_an_adopted_version_is_in_use_and_the_old_one_rescores(store):
    scheme = load_scheme()
    stricter = parse_scheme(scheme_edit.with_cutoffs(scheme.raw, scheme, [95, 85, 75, 60]))
    scheme_versions.adopt(store, scheme, stricter, "stricter")
    at = open_page("scheme", language="en")
    assert not at.exception
    assert "Version v2 in use" in at.main.caption[0].value
    assert at.dataframe[-1].value["version"].tolist() == [2, 1]
    at.selectbox(key="scheme_version_choice").set_value(1).run()
    assert not at.exception
    before = scored(store, scheme, "2026-10")  # v1 is the file: the original results
    shown = {m.label: m.value for m in at.metric}
    assert shown["Headcount"] == str(len(before))
    assert shown["Mean total"] == f"{before['total'].mean():.2f}"
    assert shown["Money in total"] == f"{before['bonus'].sum():,.0f}"
    assert f"Excellent {(before['grade'] == '优秀').sum()} " in at.main.caption[-1].value


def test_the_posts_paid_by_a_formula_are_listed(store, monkeypatch):
    monkeypatch.setenv(paths.SCHEME_ENV, str(paths.SCHEMES_DIR / "dealer_4s.toml"))
    at = open_page("scheme")
    assert not at.exception
    formulas = next(t for t in tables(at) if "公式" in t.columns).set_index("岗位")["公式"]
    assert formulas["备件经理"] == "(备件毛利额 + 附件及养护品毛利额) × 0.5% × 考核系数"
    assert formulas["质检员"] == "(接车台数 × 2 − 返修台次 × 100) × 月度考核成绩 ÷ 100"
    assert "服务顾问" not in formulas.index


def test_a_scheme_weighed_per_role_shows_each_roles_weights(store, monkeypatch):
    """The 4S scheme weighs KPIs per role (its default plan gives 定量指标 0 %): each role that
    assesses a category gets a column of shares of the total, never a list of 0 % weights."""
    monkeypatch.setenv(paths.SCHEME_ENV, str(paths.SCHEMES_DIR / "dealer_4s.toml"))
    at = open_page("scheme")
    assert not at.exception
    quantitative = tables(at)[0].set_index("考核指标")["占总分(按岗位)"]
    # 服务顾问: 定量指标 80 % of the total, 入场台次达成率 18.75 % of it → 15.0 % of the total.
    assert quantitative["入场台次达成率"] == "服务顾问 15.0%"
    # 精品收入完成率: 服务顾问 18.75 % × 80 %, 维修技师 12.5 % × 80 %.
    assert quantitative["精品收入完成率"] == "服务顾问 15.0% · 维修技师 10.0%"
    assert quantitative["一次性修复率"] == "维修技师、质检员 15.0%"
    said = " ".join(quantitative)
    assert not re.search(r"(?<![\d.])0(\.0)?%", said) and "默认" not in said  # no 0 % weights
    assert "类别内权重" not in tables(at)[0].columns
    assert any(m.value == "**定量指标**(80%)" for m in at.markdown)


def test_the_versions_table_has_no_missing_cells(store):
    at = open_page("scheme")
    versions = at.dataframe[-1].value
    assert not versions.isna().any().any()  # drawn as "None" otherwise
