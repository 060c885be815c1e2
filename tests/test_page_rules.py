"""AppTest of the Rules & pay page on the after-sales demo and on the 4S demo dataset."""

from __future__ import annotations

import pytest

from engine import paths
from engine.demo.dealer_4s import SCHEME_4S, import_demo_4s
from engine.rules.evaluate import evaluate, load_rules, with_inputs
from engine.schemes.scheme import load_scheme
from engine.scoring.score import score_table
from engine.store import Store
from tests.apptest import demo_store, open_page

DEALER = str(SCHEME_4S)


# Each store is built once, and made the app's store per test: two module-wide settings of
# $ASSESS_DB would leave the 4S store in place for the after-sales tests that follow.
@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Store:
    return Store(demo_store(tmp_path_factory.mktemp("rules")))


@pytest.fixture(scope="module")
def dealer_file(tmp_path_factory) -> Store:
    store = Store(tmp_path_factory.mktemp("rules_4s") / "s4.duckdb")
    import_demo_4s(store)
    return store


@pytest.fixture
def demo(demo_file, monkeypatch) -> Store:
    monkeypatch.setenv(paths.DB_ENV, str(demo_file.path))
    return demo_file


@pytest.fixture
def dealer(dealer_file, monkeypatch) -> Store:
    monkeypatch.setenv(paths.DB_ENV, str(dealer_file.path))
    return dealer_file


def engine_report(store: Store, scheme_file=None, as_of=None):
    scheme = load_scheme(scheme_file)
    rules = load_rules(scheme)
    facts = store.facts()
    return evaluate(with_inputs(score_table(facts, scheme), facts, rules)[0], rules, as_of)


def test_the_after_sales_demo_shows_flags_promotion_and_stars(demo):
    at = open_page("rules")
    assert not at.exception
    assert at.title[0].value == "规则与薪酬 · 2026-10"
    assert [t.label for t in at.tabs] == ["提醒与奖励", "不进则退薪酬", "技能等级", "晋升", "星级"]
    expected = engine_report(demo).events
    expected = expected[expected["period"] == "2026-10"]
    rewards, flags = (frame.value for frame in at.tabs[0].dataframe)
    assert sorted(rewards["工号"]) == sorted(
        expected.loc[expected["action"] == "reward", "employee_id"]
    )
    assert sorted(flags["工号"]) == sorted(
        expected.loc[expected["action"] == "flag", "employee_id"]
    )
    assert rewards["奖励金额"].tolist() == [200] * len(rewards)
    assert {m.label: m.value for m in at.metric}["本期提醒"] == str(
        int((expected["action"] == "flag").sum())
    )
    report = engine_report(demo)
    # 不进则退: the people whose pay is cut this month, pay = normal pay − cut
    cuts = at.tabs[1].dataframe[0].value
    cut_now = report.pay[(report.pay["period"] == "2026-10") & (report.pay["cut"] > 0)]
    assert sorted(cuts["工号"]) == sorted(cut_now["employee_id"]) and len(cuts) > 0
    assert (cuts["实发月薪"] == cuts["正常月薪"] - cuts["减薪"]).all()
    assert set(cuts["减薪"] % 200) == {0}
    # skill levels from points: monthly pay = opening points × 10 (seed 000 §5.2)
    levels = at.tabs[2].dataframe[0].value
    assert (levels["月薪"] == levels["年初积分"] * 10).all()
    assert sum(int(m.value) for m in at.tabs[2].metric) == len(levels)
    # promotion: the quarterly knowledge test is in the data, so it is judged, not missing
    promotion = at.tabs[3].dataframe[0].value
    assert set(promotion["晋升判断"]) <= {"可晋升", "差一项", "待核实(缺数据)", "未满足"}
    assert "可晋升" in set(promotion["晋升判断"])
    assert "专业知识考核通过" not in set(promotion["缺少数据的条件"])
    stars = at.tabs[4].dataframe[0].value
    assert set(stars["星级"]) <= {"★", "★★", "★★★", "★★★★", "★★★★★"}


def test_a_department_filter_and_english(demo):
    at = open_page("rules", departments=["客服部"], language="en")
    assert not at.exception
    assert at.title[0].value == "Rules & pay · 2026-10"
    promotion = at.tabs[3].dataframe[0].value
    assert set(promotion["Department"]) == {"客服部"}
    assert "Conditions without data" in promotion.columns


def test_the_4s_demo_shows_zhang_sans_pay_cut(dealer):
    at = open_page("rules", scheme_file=DEALER, period_month="2025-06")
    assert not at.exception
    assert [t.label for t in at.tabs] == ["提醒与奖励", "不进则退薪酬", "技能等级", "班组系数与NPS"]
    cuts = at.tabs[1].dataframe[0].value.set_index("姓名")
    assert cuts.loc["张三", "减薪"] == 200 and cuts.loc["张三", "实发月薪"] == 3300
    assert cuts.loc["张三", "原因"] == "2025-04、2025-05连续两个月无加分,开始减薪"
    at.selectbox(key="rules_pay_person").set_value("HZ008").run()
    assert not at.exception
    months = at.tabs[1].dataframe[1].value.set_index("月份")
    assert months.loc["2025-05":"2025-09", "实发月薪"].tolist() == [3500, 3300, 3100, 3100, 3500]


def test_the_4s_demo_shows_team_factors_and_the_nps_return(dealer):
    at = open_page("rules", scheme_file=DEALER)
    assert not at.exception
    money = at.tabs[3]
    teams, nps, commission = (frame.value for frame in money.dataframe)
    assert set(teams["月份"]) == {"2026-06"}
    assert set(teams["系数"]) <= {1.0, 0.95, 0.9}
    expected = engine_report(dealer, SCHEME_4S).nps
    assert len(nps) == int((expected["year"] == 2026).sum())
    assert set(nps["返还比例 %"]) == {100.0, 120.0, 150.0}
    assert (commission["本月发放"] + commission["NPS留存"] == commission["系数后提成"]).all()


def test_a_scheme_without_rules_says_so(demo, tmp_path, monkeypatch):
    scheme = tmp_path / "plain.toml"
    scheme.write_text(
        paths.DEFAULT_SCHEME.read_text(encoding="utf-8").replace(
            'id = "aftersales"', 'id = "plain"'
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr("ui.data.valid_schemes", lambda: {str(scheme): "plain"})
    at = open_page("rules", scheme_file=str(scheme))
    assert not at.exception
    assert "没有跨月规则" in at.info[0].value


def test_a_broken_rules_file_is_shown_as_an_error(demo, tmp_path, monkeypatch):
    (tmp_path / "aftersales.toml").write_text("[stars]\nachievement = 'nothing'\n", "utf-8")
    monkeypatch.setattr("engine.schemes.rules_spec.RULES_DIR", tmp_path)
    at = open_page("rules")
    assert not at.exception
    assert "无法使用" in at.error[0].value
    assert "column 'nothing' is neither" in at.code[0].value


def test_the_4s_demo_shows_the_reserve_released_in_january_and_forfeited(dealer):
    at = open_page("rules", scheme_file=DEALER, period_month="2026-01")
    assert not at.exception
    _, nps, commission = (frame.value for frame in at.tabs[3].dataframe)
    expected = engine_report(dealer, SCHEME_4S, "2026-01")
    released = expected.commission[expected.commission["period"] == "2026-01"]["released"]
    assert commission["已返还"].sum() == pytest.approx(released.sum()) and released.sum() > 0
    paid = (commission["本月发放"] + commission["已返还"]).round(2)  # to the cent
    assert (commission["实发"] == paid).all()
    assert set(nps["考核期"]) == {"2026"} and set(nps["返还状态"]) == {"待返还"}


def test_the_customer_service_rules_show_team_and_year_flags(demo, monkeypatch):
    monkeypatch.setenv(paths.DB_ENV, str(demo.path))  # the 4S tests point elsewhere
    scheme_file = str(paths.SCHEMES_DIR / "customer_service.toml")
    at = open_page("rules", scheme_file=scheme_file)
    assert not at.exception
    _, flags, team_flags = (frame.value for frame in at.tabs[0].dataframe)
    events = engine_report(demo, scheme_file).events
    now = events[events["period"] == "2026-10"]
    teams = now[now["scope"] == "team"]
    assert sorted(team_flags["班组"]) == sorted(teams["team"]) and len(teams) > 0
    assert set(team_flags["连续"]) == {"2 个季度"}
    years = flags[flags["规则"] == "年度不合格连续两年"]
    assert len(years) == int((now["rule"] == "failed_two_years").sum()) > 0
    assert set(years["连续"]) == {"2 年"}


def test_membership_of_ids_is_one_arrow_lookup_and_the_same_as_isin():
    # The rules page picks a million ladder checks and pay rows by id: `among` gives what
    # pandas' isin gives (which turns every wanted id into a Python object first).
    import numpy as np
    import pandas as pd

    from ui.data import among

    ids = pd.Series(["E1", "E2", None, "E3", "E2"], dtype="str")
    wanted = pd.Series(["E2", "E3", "E9"], dtype="str")
    assert among(ids, wanted).tolist() == [False, True, False, True, True]
    assert among(ids, np.array(["E1"], dtype=object)).tolist() == [True, False, False, False, False]
    assert among(ids.astype(object), ["E3"]).tolist() == [False, False, False, True, False]
    assert among(ids, []).tolist() == [False] * 5
