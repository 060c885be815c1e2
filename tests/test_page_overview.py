"""AppTest of the entry script and the overview page, figures checked against the engine."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from engine import paths
from engine.analysis.figures import company_means, departments_drawn, headline, movers, select
from engine.cli import scored
from engine.demo.dealer_4s import import_demo_4s
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.apptest import open_page


def metrics(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def test_first_start_imports_the_demo_months(tmp_path, monkeypatch):
    db = tmp_path / "fresh.duckdb"
    monkeypatch.setenv(paths.DB_ENV, str(db))
    at = open_page()
    assert not at.exception
    assert len(Store(db).periods()) == 12


def test_overview_figures_equal_the_engines(store_file):
    at = open_page()
    assert not at.exception
    scheme = load_scheme()
    table = scored(Store(store_file), scheme, "2026-10")
    before = scored(Store(store_file), scheme, "2026-09")
    now, then = headline(table, scheme), headline(before, scheme)
    shown = metrics(at)
    assert shown["人数"] == (str(len(table)), f"{len(table) - len(before):+d}")
    assert shown["平均分"] == (
        f"{now['mean_total']:.2f}",
        f"{now['mean_total'] - then['mean_total']:+.2f}",
    )
    assert shown["优秀占比"][0] == f"{now['share_best']:.1%}"
    top_mover = movers(table, before)["up"].iloc[0]
    assert top_mover["employee_id"] in at.dataframe[1].value.iloc[:, 0].tolist()


def test_department_filter_changes_the_figures(store_file):
    at = open_page(departments=["客服部"])
    assert not at.exception
    table = select(scored(Store(store_file), load_scheme(), "2026-10"), ["客服部"])
    assert metrics(at)["人数"][0] == str(len(table))


def test_filters_that_leave_no_one_show_a_message(store_file):
    at = open_page(departments=["客服部"], roles=["备件专员"])
    assert not at.exception
    assert "No one matches" in at.warning[0].value or "没有人员" in at.warning[0].value


def test_english_and_a_quarter(store_file):
    at = open_page(language="en", period_kind="quarter")
    assert not at.exception
    assert "Headcount" in metrics(at)
    assert at.title[0].value.endswith("2026-Q4")


def test_empty_store_without_demo_files_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DB_ENV, str(tmp_path / "empty.duckdb"))
    empty = tmp_path / "no_samples"
    empty.mkdir()
    monkeypatch.setattr(paths, "SAMPLE_DIR", empty)
    monkeypatch.setattr("engine.demo.aftersales.generate_demo", lambda *a, **k: [])
    at = open_page()
    assert not at.exception
    assert "No data yet" in at.info[0].value or "还没有数据" in at.info[0].value


def test_the_4s_demo_is_chosen_with_assess_demo(tmp_path, monkeypatch):
    db = tmp_path / "dealer.duckdb"
    monkeypatch.setenv(paths.DB_ENV, str(db))
    monkeypatch.setenv(paths.DEMO_ENV, "4s")
    at = open_page()
    assert not at.exception
    assert len(Store(db).periods()) == 18
    assert "4S" in at.caption[0].value
    at.switch_page("pages/rules.py").run()
    assert not at.exception


@pytest.fixture
def dealer_file(tmp_path, monkeypatch):
    store = Store(tmp_path / "s4.duckdb")
    import_demo_4s(store)
    monkeypatch.setenv(paths.DB_ENV, str(store.path))
    return store.path


def test_a_4s_store_opens_on_the_scheme_its_data_was_imported_under(dealer_file):
    at = open_page()
    assert not at.exception
    assert at.sidebar.selectbox(key="scheme_file").value == str(paths.DEALER_SCHEME)
    assert at.main.title[0].value == "总览 · 2026-06"
    assert not at.main.error


def test_the_after_sales_scheme_on_a_4s_store_is_refused_with_a_message(dealer_file):
    at = open_page(scheme_file=str(paths.DEFAULT_SCHEME), language="en")
    assert not at.exception
    message = at.main.error[0].value
    assert "aftersales finds only 2 of its 12 weighted KPIs" in message
    assert "imported for scheme dealer_4s" in message
    assert not at.main.metric  # nothing scored under the wrong scheme is shown


def test_a_partial_quarter_says_so_and_shows_its_months(store_file):
    at = open_page(period_kind="quarter")
    assert not at.exception
    assert at.title[0].value.endswith("2026-Q4")
    assert any("2026-Q4 不完整:数据只有 1 个月(2026-10)" in w.value for w in at.main.warning)
    picker = at.sidebar.selectbox(key="period_quarter")
    assert picker.format_func("2026-Q4") == "2026-Q4 · 1/3 个月(不完整)"
    assert picker.format_func("2026-Q3") == "2026-Q3 · 3 个月"
    assert any("上一期 2026-Q3(3 个月);本期 1 个月" in c.value for c in at.main.caption)
    # The comparison below warns that Q3 (3 months) is set against Q4 (1 month).
    assert any("两期长度不同" in w.value for w in at.main.warning)
    complete = open_page(period_kind="quarter", period_quarter="2026-Q3")
    assert not any("不完整" in w.value for w in complete.main.warning)


def test_two_months_of_a_department_side_by_side(store_file):
    at = open_page(compare_department="客服部")
    assert not at.exception
    store, scheme = Store(store_file), load_scheme()
    now, before = scored(store, scheme, "2026-10"), scored(store, scheme, "2026-09")
    from engine.analysis.compare import department_rank, people_moves

    mean_b, rank_b, count = department_rank(now, "客服部")
    shown = metrics(at)
    assert shown["平均分 2026-10"][0] == f"{mean_b:.2f}"
    assert shown["部门排名"][0] == f"{rank_b:.0f} / {count}"
    moves = people_moves(
        before[before["department"] == "客服部"], now[now["department"] == "客服部"], scheme
    )
    table = at.main.dataframe[-1].value
    assert len(table) == len(moves)
    assert table["变动"].iloc[0] in ("升级", "降级")
    assert any("客服部:谁变了" in m.value for m in at.main.markdown)
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    trend, grades, kpis = figures[0], figures[-2], figures[-1]
    bottom, top = trend["layout"]["yaxis"]["range"]
    assert top - bottom >= 20  # no cliff from a 0.5-point change
    assert grades["layout"]["yaxis"]["range"] == [0, 100]
    assert kpis["layout"]["yaxis"]["range"] == [0, 100]


def test_movers_and_department_trends_say_signal_or_usual_variation(store_file):
    at = open_page()
    assert not at.exception
    up, down = at.dataframe[1].value, at.dataframe[2].value
    words = {"信号", "常规波动", "历史不足"}
    assert set(up["变化性质"]) <= words and set(down["变化性质"]) <= words
    history = scored(Store(store_file), load_scheme(), "2026-10")
    assert len(up) and up["工号"].isin(history["employee_id"]).all()
    assert any("红圈为信号" in c.value for c in at.main.caption)


def test_the_trend_draws_the_departments_worth_a_look_by_hand():
    """Three departments, two drawn: the one with a signal first, then the farthest from the
    company's headcount-weighted mean (A 80 × 10 people, B 90 × 30, C 60 × 10: company 82)."""
    means = pd.DataFrame(
        {
            "period": ["2026-10"] * 3 + ["2026-09"] * 3,
            "department": ["A", "B", "C"] * 2,
            "mean_total": [80.0, 90.0, 60.0, 70.0, 70.0, 70.0],
            "headcount": [10, 30, 10] * 2,
        }
    )
    assert departments_drawn(means, [], ["2026-10"], 2) == ["C", "B"]  # 22 and 8 from 82
    assert departments_drawn(means, ["A"], ["2026-10"], 2) == ["A", "C"]
    assert departments_drawn(means, [], ["2026-10"], 3) == ["A", "B", "C"]  # few: all
    company = company_means(means).set_index("period")["mean_total"]
    assert company.to_dict() == {"2026-09": 70.0, "2026-10": 82.0}


def test_a_groups_many_departments_are_not_a_hundred_lines(tmp_path, monkeypatch):
    """109 departments: the chart draws the company's mean and 10 departments, and says how to
    see the others."""
    from bench.stores import GroupData, build_group_store

    db = tmp_path / "group.duckdb"
    build_group_store(str(db), GroupData(600, 3, load_scheme()), tmp_path, say=lambda _: None)
    monkeypatch.setenv(paths.DB_ENV, str(db))
    at = open_page("overview")
    assert not at.exception
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    [trend] = [f for f in figures if f["layout"]["yaxis"]["title"]["text"] == "平均分"]
    lines = {t["name"] for t in trend["data"] if t["mode"] != "markers"}
    assert "全公司" in lines and len(lines) == 11
    assert any("共 109 个部门" in c.value for c in at.main.caption)
    # Eleven names across under the chart, not a column beside it (half a phone's width).
    legend = trend["layout"]["legend"]
    assert legend["orientation"] == "h" and legend["y"] < 0
