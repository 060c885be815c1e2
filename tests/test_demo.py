"""Tests for the demo data generator: determinism, file formats and plausible values."""

from pathlib import Path

import pandas as pd
import pytest

from engine.demo.aftersales import DEPARTMENTS, MONTHS, demo_frames, generate_demo
from engine.schemes.scheme import load_scheme

EXPECTED_NAMES = [
    "2025-11.csv",
    "2025-12.csv",
    "2026-01.csv",
    "2026-02.csv",
    "考核_2026年03月.csv",
    "2026-04.csv",
    "2026-05.csv",
    "2026-06.csv",
    "考核_2026年07月.csv",
    "2026-08.csv",
    "2026-09.csv",
    "2026-10.csv",
]
DEPARTMENT_NAMES = {"售后服务部", "客服部", "技术支持部", "备件部", "质检部", "呼叫中心"}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return generate_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return demo_frames()


def by_name(paths: list[Path], name: str) -> bytes:
    return next(p for p in paths if p.name == name).read_bytes()


def test_two_runs_write_identical_bytes(written: list[Path], tmp_path: Path) -> None:
    again = generate_demo(tmp_path)
    assert [p.name for p in again] == [p.name for p in written]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(again, written, strict=True))


def test_twelve_files_in_month_order(written: list[Path]) -> None:
    assert [p.name for p in written] == EXPECTED_NAMES
    assert list(demo_frames()) == list(MONTHS)


def test_gbk_month_is_not_utf8_and_has_chinese_headers(written: list[Path]) -> None:
    raw = by_name(written, "2026-02.csv")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("gb18030").startswith("工号,姓名,部门,班组,岗位,地区,入职日期,故障处理天数")


def test_bom_months_and_excel_line_endings(written: list[Path]) -> None:
    assert by_name(written, "2025-12.csv").startswith(b"\xef\xbb\xbfemployee_id,")
    assert by_name(written, "考核_2026年07月.csv").startswith("\ufeff工号,".encode())
    assert not by_name(written, "2025-11.csv").startswith(b"\xef\xbb\xbf")
    for path in written:
        text = path.read_bytes()
        assert text.endswith(b"\r\n")
        assert text.count(b"\n") == text.count(b"\r\n")


def test_quirky_months(written: list[Path]) -> None:
    may = pd.read_csv(written[6], encoding="utf-8-sig")
    assert may.columns[0] == "period"
    assert set(may["period"]) == {"2026-05"}
    april = pd.read_csv(written[5], dtype=str)
    assert april["satisfaction"].dropna().str.fullmatch(r"\d+(\.\d)?%").all()
    november = pd.read_csv(written[0], dtype=str)
    assert november["satisfaction"].dropna().str.fullmatch(r"\d+(\.\d)?").all()
    kpi_names = [k.name_zh for k in load_scheme().kpis]
    march = pd.read_csv(written[4])
    assert list(march.columns[7 : 7 + len(kpi_names)]) == kpi_names


def test_rule_columns_under_chinese_headers(written: list[Path]) -> None:
    """The rules across months find their inputs: points, plus and minus points, a quarterly
    knowledge test, major errors and promotion steps, under the same headers every month."""
    november = pd.read_csv(written[0], dtype=str)
    assert {"上年度积分", "工作业绩加分", "减分", "重大失误", "晋升级别"} <= set(november.columns)
    assert november["上年度积分"].notna().mean() > 0.9  # staff present at the start
    assert "知识考核" not in november  # tested in January, April, July and October only
    january = pd.read_csv(written[2], dtype=str)
    assert set(january["知识考核"]) == {"通过", "未通过"}
    assert set(january["晋升级别"]) == {"普通", "星级", "钻级", "皇冠级"}
    assert january["工作业绩加分"].isin(["0", "5", "10"]).all()


def test_headcount_and_departments(frames: dict[str, pd.DataFrame]) -> None:
    for frame in frames.values():
        assert 280 <= len(frame) <= 330
        assert frame["employee_id"].is_unique
        assert set(frame["department"]) == DEPARTMENT_NAMES
    assert {d.name for d in DEPARTMENTS} == DEPARTMENT_NAMES
    first, last = set(frames[MONTHS[0]]["employee_id"]), set(frames[MONTHS[-1]]["employee_id"])
    assert last - first, "new hires appear during the year"
    assert first - last, "some staff leave during the year"


def test_every_value_within_its_valid_range(frames: dict[str, pd.DataFrame]) -> None:
    rows = pd.concat(frames.values(), ignore_index=True)
    for kpi in load_scheme().kpis:
        low, high = kpi.valid_range
        values = rows[kpi.id].dropna().astype(float)
        assert values.between(low, high).all(), kpi.id


def test_customer_service_agents_leave_repair_kpis_blank(
    frames: dict[str, pd.DataFrame],
) -> None:
    rows = pd.concat(frames.values(), ignore_index=True)
    agents = rows["role"] == "客服专员"
    assert agents.any()
    assert rows.loc[agents, ["fault_days", "rework_rate"]].isna().all().all()
    assert rows.loc[~agents, "fault_days"].notna().mean() > 0.95
    others = [k.id for k in load_scheme().kpis if k.id not in ("fault_days", "rework_rate")]
    other_blanks = rows[others].isna().to_numpy().mean()
    assert 0.002 < other_blanks < 0.03
