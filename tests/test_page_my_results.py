"""我的绩效 · My results and the employee role: an employee account sees its own statements of
published months and nothing of anyone else, on every page and in every download."""

from __future__ import annotations

import copy
import io
import json
import os
import re
import time
from pathlib import Path

import pandas as pd
import pytest
import tomli_w
from streamlit.testing.v1 import AppTest

import ui.auth
import ui.page
from engine import paths
from engine.accounts import Access, add_user
from engine.cycle.close import make_move, propose
from engine.cycle.config import load_cycle
from engine.cycle.publication import published_months
from engine.intake.parse import parse_file
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.apptest import demo_store, open_page
from tests.conftest import SMALL_SCHEME
from tests.language import page_files
from tests.test_statement import pages_text

ME = Access("E001", "employee", (), "E001")
ADMIN = Access("boss", "admin")
OTHERS = ("李四", "王五", "E002", "E003")
# E001 in 2026-10: days 3 → band 4 of 5 = 80; 1 complaint → 100 − 20 = 80; CSAT 95 → 100.
# Quality 80, attitude 100, total 0.6 × 80 + 0.4 × 100 = 48 + 40 = 88.00 良好; +5 (季度之星) =
# 93.00 优秀, money 1,000. KPI points: 80 × 50% × 60% = 24, 24, 100 × 100% × 40% = 40.
# 2026-11 (approved, never published): days 5 → 60, 0 complaints → 100, CSAT 75 → 70: 76.00.
# 2026-12: days 2 → 100, 0 → 100, CSAT 95 → 100: 100.00 优秀, capped by the veto to 及格.
MONTHS = {
    "2026-10": [
        ("E001", "张三", "客服部", 3, 1, 95, 0),
        ("E002", "李四", "客服部", 1, 0, 95, 0),
        ("E003", "王五", "售后部", 9, 3, 60, 0),
    ],
    "2026-11": [
        ("E001", "张三", "客服部", 5, 0, 75, 0),
        ("E002", "李四", "客服部", 1, 0, 95, 0),
        ("E003", "王五", "售后部", 9, 3, 60, 0),
    ],
    "2026-12": [
        ("E001", "张三", "客服部", 2, 0, 95, 1),
        ("E002", "李四", "客服部", 1, 0, 95, 0),
        ("E003", "王五", "售后部", 9, 3, 60, 0),
    ],
}
HEADER = "工号,姓名,部门,班组,days,complaints,csat,accidents"


def small_scheme_file(folder: Path, show_rank: bool | None = None) -> Path:
    """The small hand-computable scheme, with names and a veto, as a scheme file."""
    data = copy.deepcopy(SMALL_SCHEME)
    data |= {"name_zh": "小方案", "name_en": "Small scheme", "version": 1}
    names = {"days": "处理天数", "complaints": "有效投诉", "csat": "满意度"}
    for kpi in data["kpis"]:
        kpi["name_zh"], kpi["name_en"] = names[kpi["id"]], kpi["id"]
    data["cycle"] = {
        "vetoes": [
            {"name_zh": "重大安全事故", "column": "accidents", "at_least": 1, "max_grade": "及格"}
        ]
    }
    if show_rank is not None:
        data["publication"] = {"show_rank": show_rank}
    file = folder / "small.toml"
    file.write_text(tomli_w.dumps(data), encoding="utf-8")
    return file


def close_month(store: Store, scheme, period: str, last: str) -> None:
    """Move a month on as the admin up to `last` (approve, publish or lock)."""
    moves = ["submit", "calibrate", "approve", "publish", "lock"]
    for action in moves[: moves.index(last) + 1]:
        make_move(store, load_cycle(), ADMIN, scheme, action, period)


@pytest.fixture
def small(tmp_path, monkeypatch) -> Store:
    """Three people over three months: 2026-10 published (E001 adjusted +5), 2026-11 approved
    only, 2026-12 published and locked (E001 vetoed); E001 has an employee account."""
    scheme_file = small_scheme_file(tmp_path)
    scheme = load_scheme(scheme_file)
    store = Store(tmp_path / "small.duckdb", user="boss")
    for period, people in MONTHS.items():
        lines = [HEADER, *(",".join(f"{v}" for v in (*p[:3], "一组", *p[3:])) for p in people)]
        store.import_file(parse_file("\n".join(lines).encode(), scheme, f"{period}.csv"))
    rows = pd.DataFrame(
        [{"employee_id": "E001", "points": "5", "grade": "", "reason": "季度之星", "row": 2}]
    )
    propose(store, load_cycle(), ADMIN, scheme, "2026-10", rows, "command line")
    close_month(store, scheme, "2026-10", "publish")
    close_month(store, scheme, "2026-11", "approve")
    close_month(store, scheme, "2026-12", "lock")
    monkeypatch.setenv(paths.DB_ENV, str(store.path))
    monkeypatch.setenv(paths.SCHEME_ENV, str(scheme_file))
    accounts = tmp_path / "accounts.toml"
    add_user("E001", "zhang-password", "employee", employee_id="E001", file=accounts)
    add_user("boss", "boss-password", "admin", file=accounts)
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(accounts))
    ui.auth.throttle.clear()
    return store


@pytest.fixture
def exported(monkeypatch) -> list[bytes]:
    """Every file the pages offer for download (CSV, XLSX, PDF), as bytes, made at once rather
    than on click."""
    files: list[bytes] = []
    lazy = ui.page.deferred_file

    def eager(make, *rest):
        content = lazy(make, *rest)()
        files.append(content)
        return lambda: content

    monkeypatch.setattr(ui.page, "deferred_file", eager)
    return files


def file_text(content: bytes) -> str:
    """A downloaded file's text: every sheet of a workbook, a PDF's pages, a CSV."""
    if content.startswith(b"PK"):
        sheets = pd.read_excel(io.BytesIO(content), sheet_name=None, header=None)
        return "\n".join(sheet.to_csv() for sheet in sheets.values())
    if content.startswith(b"%PDF"):
        return "\n".join(pages_text(content))
    return content.decode("utf-8-sig")


def signed_in(access: Access) -> dict:
    return {"access": access, "last_seen": time.time()}


def shown(at, exported: list[bytes] = ()) -> str:
    """Everything a run shows, main area and sidebar: text, metrics, tables, options, charts,
    expanders and every file offered for download."""
    parts = [
        str(e.value)
        for kind in ("markdown", "caption", "title", "header", "subheader", "text")
        for e in getattr(at, kind)
    ]
    alerts = ("info", "warning", "success", "error")
    parts += [str(e.value) for kind in alerts for e in at.get(kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [str(t.value) for t in at.get("table")]
    parts += [e.label for e in at.expander]
    for widget in (*at.selectbox, *at.multiselect, *at.radio):
        parts += [str(option) for option in widget.options]
    charts = at.get("plotly_chart")
    parts += [json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in charts]
    parts += [file_text(content) for content in exported]
    return "\n".join(parts)


def months_of(at: AppTest) -> list[str]:
    """The labels of the month expanders (the appeal form inside one is an expander too)."""
    return [e.label for e in at.expander if e.label[:4].isdigit()]


def my_results(**state) -> AppTest:
    at = open_page("my_results", **signed_in(ME), **state)
    assert not at.exception
    return at


def test_the_statement_shows_the_hand_computed_figures(small):
    at = my_results()
    assert at.main.title[0].value == "我的绩效"
    assert months_of(at) == ["2026-12 · 及格", "2026-10 · 优秀"]
    october = next(e for e in at.expander if e.label.startswith("2026-10"))
    metrics = {m.label: m.value for m in october.metric}
    assert metrics == {"总分": "93.00", "等级": "优秀", "奖金": "1,000.00"}
    kpis, categories = (d.value for d in october.dataframe)
    assert kpis["原始值"].tolist() == [3, 1, 95]
    assert kpis["指标得分"].tolist() == [80, 80, 100]
    assert kpis["贡献分"].tolist() == [24, 24, 40]
    assert categories["类别得分"].tolist() == [80, 100]
    assert categories["贡献分"].tolist() == [48, 40]
    lines = "\n".join(t.value for t in october.text)
    assert "加减分 +5.00(季度之星):计算总分 88.00 → 总分 93.00" in lines
    assert any("贡献分合计 88.00 = 计算总分 88.00" in c.value for c in october.caption)
    december = next(e for e in at.expander if e.label.startswith("2026-12"))
    assert {m.label: m.value for m in december.metric}["总分"] == "100.00"
    vetoed = "\n".join(t.value for t in december.text)
    assert "一票否决:重大安全事故 ≥ 1 → 及格,等级为「及格」" in vetoed
    assert "在岗" in december.caption[0].value


def test_an_unpublished_month_is_invisible_to_the_employee(small, exported):
    at = my_results()
    everything = shown(at, exported)
    assert not re.search(r"2026-11(?!-\d\d)", everything)  # the month, not a date in it
    assert "76.00" not in everything
    assert at.main.dataframe[0].value.iloc[:, 0].tolist() == ["2026-10", "2026-12"]


def test_unpublishing_hides_the_month_again_and_is_audited(small):
    scheme = load_scheme(paths.scheme_path())
    reason = "投诉数据有误,需重新核对"
    make_move(small, load_cycle(), ADMIN, scheme, "unpublish", "2026-10", reason=reason)
    at = my_results()
    assert months_of(at) == ["2026-12 · 及格"]
    assert "93.00" not in shown(at)
    log = small.events()
    row = log[log["action"].eq("month_unpublish")].iloc[0]
    assert row["username"] == "boss" and row["period"] == "2026-10" and reason in row["detail"]
    assert pd.notna(row["happened_at"])


def test_publishing_and_unpublishing_show_on_the_audit_page(small):
    scheme = load_scheme(paths.scheme_path())
    make_move(small, load_cycle(), ADMIN, scheme, "unpublish", "2026-10", reason="数据有误")
    at = open_page("audit", **signed_in(ADMIN))
    assert not at.exception
    log = at.main.dataframe[0].value
    moves = log[log["action"].isin(["month_publish", "month_unpublish"])]
    assert sorted(moves["period"]) == ["2026-10", "2026-10", "2026-12"]
    assert moves["detail"].str.contains("数据有误").sum() == 1
    assert set(moves["username"]) == {"boss"}


def test_the_months_out_are_published_ones_and_those_locked_after_publication(small):
    scheme = load_scheme(paths.scheme_path())
    for action in ("lock",):  # 2026-11: locked straight from approval, never shown
        make_move(small, load_cycle(), ADMIN, scheme, action, "2026-11")
    out = published_months(small.month_states(), small.events())
    assert out["period"].tolist() == ["2026-10", "2026-12"]
    assert set(out["published_by"]) == {"boss"}
    make_move(small, load_cycle(), ADMIN, scheme, "unlock", "2026-12", reason="更正")
    make_move(small, load_cycle(), ADMIN, scheme, "lock", "2026-12")  # from approved now
    out = published_months(small.month_states(), small.events())
    assert out["period"].tolist() == ["2026-10"]


def test_the_rank_shows_only_when_the_scheme_allows_it(small, tmp_path, monkeypatch):
    at = my_results()
    assert not [m for m in at.metric if m.label.startswith("排名")]
    assert "名次" not in shown(at) and "rank" not in shown(at)
    monkeypatch.setenv(paths.SCHEME_ENV, str(small_scheme_file(tmp_path, show_rank=True)))
    at = my_results()
    october = next(e for e in at.expander if e.label.startswith("2026-10"))
    ranks = {m.label: m.value for m in october.metric}["排名 公司/部门/班组"]
    assert ranks == "2 / 2 / 2"  # 93.00 after 李四's 100.00, over everyone in 客服部 一组


def test_other_accounts_have_no_my_results_page(small):
    at = open_page(**signed_in(ADMIN))
    with pytest.raises(ValueError):
        at.switch_page("pages/my_results.py").run()
    at = AppTest.from_file(str(paths.ROOT / "pages" / "my_results.py"), default_timeout=60)
    for key, value in signed_in(ADMIN).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception
    assert "员工账户" in at.info[0].value and not at.dataframe


@pytest.mark.parametrize("page", page_files())
def test_an_employee_sees_only_their_own_data_or_is_refused(small, exported, page):
    at = open_page(**signed_in(ME))
    assert not at.exception
    assert at.main.title[0].value == "我的绩效"  # an employee's first page
    if page in ("my_results", "scheme"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception
    else:
        with pytest.raises(ValueError):  # not in the navigation: no link, no address
            at.switch_page(f"pages/{page}.py").run()
        # The page's own code refuses too, when run without the entry script's navigation.
        at = AppTest.from_file(str(paths.ROOT / "pages" / f"{page}.py"), default_timeout=60)
        for key, value in signed_in(ME).items():
            at.session_state[key] = value
        at.run()
        assert not at.exception
        assert at.error, f"{page} did not refuse an employee"
    everything = shown(at, exported)
    assert not [other for other in OTHERS if other in everything], page
    assert not re.search(r"2026-11(?!-\d\d)", everything), page  # approved, not published
    assert "售后部" not in everything


def test_the_employees_sidebar_offers_no_scheme_period_or_filters(small):
    at = my_results()
    assert [r.label for r in at.sidebar.radio] == ["语言 · Language"]
    assert not at.sidebar.selectbox and not at.sidebar.multiselect
    assert "工号 E001" in at.sidebar.caption[0].value


def test_the_employees_downloads_hold_only_their_own_rows(small, exported):
    my_results()
    assert exported
    kinds = {content[:4] for content in exported}
    assert kinds >= {b"PK\x03\x04", b"%PDF"}
    for content in exported:
        text = file_text(content)
        assert not [other for other in OTHERS if other in text]
        if content.startswith(b"PK"):  # the stamp sheet names who exported it
            assert "E001" in text


def test_an_employee_of_the_demo_sees_nothing_until_a_month_is_published(tmp_path, monkeypatch):
    db = demo_store(tmp_path)
    monkeypatch.setenv(paths.DB_ENV, str(db))
    accounts = tmp_path / "accounts.toml"
    add_user("E0001", "e0001-password", "employee", employee_id="E0001", file=accounts)
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(accounts))
    me = Access("E0001", "employee", (), "E0001")
    at = open_page("my_results", **signed_in(me))
    assert not at.exception and "还没有已发布" in at.main.info[0].value
    close_month(Store(db, user="boss"), load_scheme(), "2026-10", "publish")
    ui.data.store_version_read_again()  # a move from elsewhere shows within 2 s; at once here
    at = open_page("my_results", **signed_in(me))
    assert not at.exception
    assert [label.split(" · ")[0] for label in months_of(at)] == ["2026-10"]
    others = {n for n in Store(db).facts(["2026-10"])["name"] if n not in "王刚英"}
    assert not [n for n in others if n in shown(at)]


def test_each_published_month_offers_its_statement_pdf_and_the_appeal_form(small):
    at = my_results()
    october = next(e for e in at.expander if e.label.startswith("2026-10"))
    labels = [b.label for b in october.get("download_button")]
    assert "下载本月考核表(PDF,可打印签字)" in labels
    assert "结果确认与申诉" in [h.value for h in october.subheader]


def test_two_months_open_for_an_answer_are_answered_one_by_one(small):
    """Two months published the same day both wait for the person's answer: each month has its
    own accept button and appeal form, and accepting one leaves the other open."""
    scheme = load_scheme(os.environ[paths.SCHEME_ENV])
    make_move(small, load_cycle(), ADMIN, scheme, "publish", "2026-11")
    at = my_results()
    assert not at.exception
    accept = sorted(b.key for b in at.button if str(b.key).startswith("ack_accept"))
    assert accept == ["ack_accept_2026-10", "ack_accept_2026-11"]
    at.button(key="ack_accept_2026-11").click().run()
    assert not at.exception
    answered = small.acknowledgements()
    assert answered[["period", "employee_id"]].values.tolist() == [["2026-11", "E001"]]
    assert [b.key for b in at.button if str(b.key).startswith("ack_accept")] == [
        "ack_accept_2026-10"
    ]


def test_a_missing_value_is_noted_beside_the_numbers(small):
    """The raw values stay numbers (one type per column, as the table draws it); a KPI the
    month's file left blank says 缺失 in the note."""
    scheme = load_scheme(os.environ[paths.SCHEME_ENV])
    lines = [HEADER, "E001,张三,客服部,一组,3,1,,0", "E002,李四,客服部,一组,1,0,95,0"]
    small.import_file(parse_file("\n".join(lines).encode(), scheme, "2027-01.csv"))
    close_month(small, scheme, "2027-01", "publish")
    at = my_results()
    january = next(e for e in at.expander if e.label.startswith("2027-01"))
    kpis = january.dataframe[0].value
    assert kpis["原始值"].tolist()[:2] == [3, 1] and pd.isna(kpis["原始值"].iloc[2])
    assert kpis["备注"].tolist() == ["", "", "缺失"]


def test_a_year_of_statements_is_drawn_and_earlier_months_are_picked(small, monkeypatch):
    """Ten years of published months must not draw ten years of statements on every run: the
    last 12 are drawn (and only their full rows read), an earlier one when picked."""
    scheme = load_scheme(os.environ[paths.SCHEME_ENV])
    for month in pd.period_range("2027-01", "2027-11", freq="M").astype(str):
        lines = [HEADER, "E001,张三,客服部,一组,3,1,95,0", "E002,李四,客服部,一组,1,0,95,0"]
        small.import_file(parse_file("\n".join(lines).encode(), scheme, f"{month}.csv"))
        close_month(small, scheme, month, "publish")
    read, kept_tables = [], Store.kept_tables

    def spied(self, scheme_id, keys, *args, **kwargs):
        read.extend(month for month, _ in keys)
        return kept_tables(self, scheme_id, keys, *args, **kwargs)

    monkeypatch.setattr(Store, "kept_tables", spied)
    talks, interviews = [], Store.interviews

    def counted(self, *args, **kwargs):
        talks.append(args)
        return interviews(self, *args, **kwargs)

    monkeypatch.setattr(Store, "interviews", counted)
    at = my_results()
    talks.clear()
    at.run()
    assert len(talks) == 1  # the twelve months' answers and interviews are read at once
    shown = months_of(at)
    assert len(shown) == 12 and shown[0].startswith("2027-11") and shown[-1].startswith("2026-12")
    assert sorted(set(read)) == [
        "2026-12",
        *pd.period_range("2027-01", "2027-11", freq="M").astype(str),
    ]
    earlier = at.selectbox(key="my_earlier_month")
    assert earlier.options == ["2026-10"] and earlier.value is None
    earlier.set_value("2026-10").run()
    assert not at.exception
    october = next(e for e in at.expander if e.label.startswith("2026-10"))
    assert {m.label: m.value for m in october.metric}["总分"] == "93.00"
