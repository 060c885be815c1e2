"""End-to-end tests of `python -m engine`: each runs the command line in its own process."""

from __future__ import annotations

import codecs
import io
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from engine import paths
from engine.cli import scored
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.conftest import DUCKDB_ONLY

SCHEME = load_scheme(paths.DEFAULT_SCHEME)
REQUIRED_COLUMNS = [
    "employee_id",
    "name",
    "department",
    "team",
    "role",
    "period",
    "total",
    "grade",
    "rank",
    "dept_rank",
    "team_rank",
    "bonus",
]

OCTOBER = (
    "工号,姓名,部门,班组,岗位,客户满意度,工单达成率,故障处理天数,有效投诉次数\r\n"
    "E001,张三,售后服务部,售后一组,服务工程师,92%,95,1.5,0\r\n"
    "E002,=1+1,售后服务部,售后二组,服务工程师,85,80,3,1\r\n"
    "E003,王五,客服部,客服一组,客服专员,70,60,,2\r\n"
)
OCTOBER_FIXED = (
    "工号,姓名,部门,班组,岗位,客户满意度,工单达成率,故障处理天数,有效投诉次数\r\n"
    "E001,张三,售后服务部,售后一组,服务工程师,95,95,1.5,0\r\n"
    "E002,李四,售后服务部,售后二组,服务工程师,85,80,3,1\r\n"
)
NOVEMBER = (
    "employee_id,name,department,team,role,satisfaction,order_achievement,fault_days\r\n"
    "E001,张三,售后服务部,售后一组,服务工程师,75,70,7\r\n"
    "E002,=1+1,售后服务部,售后二组,服务工程师,90,100,1\r\n"
)
BAD = (
    "工号,姓名,部门,客户满意度,故障处理天数\r\n"
    "E001,张三,售后服务部,很好,1\r\n"
    "E002,李四,售后服务部,101,-2\r\n"
    "E001,王五,客服部,80,2\r\n"
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def cli(db: Path, *args: str | Path) -> subprocess.CompletedProcess:
    """Run `python -m engine ARGS` from the repository root on the store `db`."""
    env = {**os.environ, paths.DB_ENV: str(db), "PYTHONIOENCODING": "utf-8"}
    env.pop(paths.SCHEME_ENV, None)
    return subprocess.run(
        [sys.executable, "-m", "engine", *map(str, args)],
        cwd=paths.ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def monthly(store: Path, month: str) -> pd.DataFrame:
    """The month's scored table computed in this process, to compare the command's output with."""
    return scored(Store(store), SCHEME, month).set_index("employee_id").sort_index()


@pytest.fixture
def db(tmp_path: Path, db_target: str) -> Path | str:
    """A new store for the command: a DuckDB file in a folder still to be made, or a new
    PostgreSQL database."""
    return tmp_path / "store" / "cli.duckdb" if db_target.endswith(".duckdb") else db_target


@pytest.fixture(scope="module")
def scored_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A store holding October and November 2026, imported in one command."""
    folder = tmp_path_factory.mktemp("scored")
    store = folder / "scored.duckdb"
    files = [write(folder, "2026-10.csv", OCTOBER), write(folder, "2026-11.csv", NOVEMBER)]
    done = cli(store, "import", *files)
    assert done.returncode == 0, done.stderr
    return store, folder


# ------------------------------------------------------------------ import


def test_import_then_the_same_file_again(db: Path, tmp_path: Path) -> None:
    file = write(tmp_path, "2026-10.csv", OCTOBER)
    first = cli(db, "import", file)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "2026-10.csv: imported 2026-10, 3 rows"
    again = cli(db, "import", file)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "2026-10.csv: unchanged, 2026-10 already holds this exact file"


def test_a_bad_file_lists_every_problem_and_stores_nothing(db: Path, tmp_path: Path) -> None:
    bad = cli(db, "import", write(tmp_path, "2026-10.csv", BAD))
    assert bad.returncode == 2
    assert bad.stdout == ""
    first, *problems = bad.stderr.splitlines()
    assert first == "2026-10.csv: 5 problem(s), nothing stored"
    assert sorted(problems) == [
        "  2026-10.csv: row 2, column 客户满意度, value '很好': not a number",
        "  2026-10.csv: row 2, column 工号, value 'E001': employee id appears more than once in "
        "this month (first in row 2)",
        "  2026-10.csv: row 3, column 客户满意度, value '101': a percent above 100",
        "  2026-10.csv: row 3, column 故障处理天数, value '-2': negative days",
        "  2026-10.csv: row 4, column 工号, value 'E001': employee id appears more than once in "
        "this month (first in row 2)",
    ]
    rows = [int(line.split("row ")[1].split(",")[0]) for line in problems]
    assert rows == sorted(rows), "problems are listed in row order"
    history = cli(db, "history")
    assert history.returncode == 0
    assert history.stdout.strip() == "no imports yet"


def test_replace_restore_and_delete(db: Path, tmp_path: Path) -> None:
    assert cli(db, "import", write(tmp_path, "2026-10.csv", OCTOBER)).returncode == 0
    fixed = write(tmp_path, "2026-10 fixed.csv", OCTOBER_FIXED)
    refused = cli(db, "import", fixed)
    assert refused.returncode == 2
    assert refused.stderr.startswith(
        "refused: 2026-10 fixed.csv: 2026-10 already holds 2026-10.csv"
    )
    assert "--replace" in refused.stderr
    replaced = cli(db, "import", "--replace", fixed)
    assert replaced.returncode == 0, replaced.stderr
    assert replaced.stdout.strip() == "2026-10 fixed.csv: replaced 2026-10, 2 rows"

    restored = cli(db, "restore", "1")
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.strip() == "Restored import 1 (2026-10.csv) as 2026-10."
    deleted = cli(db, "delete", "1")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.startswith("Deleted import 1 (2026-10.csv)")

    history = cli(db, "history").stdout.splitlines()
    assert [line.split()[:4] for line in history] == [
        ["2", "2026-10", "replaced", "2"],
        ["1", "2026-10", "deleted", "3"],
    ]


# ------------------------------------------------------------------ score


def test_score_a_month_to_csv(scored_store: tuple[Path, Path]) -> None:
    store, folder = scored_store
    out = folder / "october.csv"
    done = cli(store, "score", "--period", "2026-10", "--out", out)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{out}: 3 rows for 2026-10"
    assert out.read_bytes().startswith(codecs.BOM_UTF8), "Excel needs the BOM to show Chinese"
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"employee_id": str})
    expected = [
        *REQUIRED_COLUMNS,
        *(f"score_{k}" for k in SCHEME.kpi_ids),
        *(f"cat_{c}" for c in SCHEME.category_ids),
    ]
    assert set(expected) <= set(table.columns), set(expected) - set(table.columns)
    assert table.columns[: len(REQUIRED_COLUMNS)].tolist() == REQUIRED_COLUMNS
    table = table.set_index("employee_id").sort_index()
    assert table.index.tolist() == ["E001", "E002", "E003"]
    assert set(table["period"]) == {"2026-10"}
    assert table["name"].tolist() == ["张三", "'=1+1", "王五"], "formula text is neutralised"
    assert table["department"].tolist() == ["售后服务部", "售后服务部", "客服部"]
    by_total = table["total"].rank(ascending=False, method="min").astype(int)
    assert table["rank"].tolist() == by_total.tolist()
    assert set(table["grade"]) <= set(SCHEME.grade_names)


def test_score_a_month_to_xlsx(scored_store: tuple[Path, Path]) -> None:
    store, folder = scored_store
    out = folder / "november.xlsx"
    done = cli(store, "score", "--period", "2026-11", "--out", out)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"PK"), "an xlsx file is a zip archive"
    table = pd.read_excel(out, engine="openpyxl", dtype={"employee_id": str})
    assert table.columns[: len(REQUIRED_COLUMNS)].tolist() == REQUIRED_COLUMNS
    table = table.set_index("employee_id").sort_index()
    assert table.index.tolist() == ["E001", "E002"]
    assert table["name"].tolist() == ["张三", "'=1+1"]
    expected = monthly(store, "2026-11")
    assert table["total"].tolist() == expected["total"].tolist()
    assert table["grade"].tolist() == expected["grade"].tolist()


def test_score_a_quarter_averages_the_months(scored_store: tuple[Path, Path]) -> None:
    store, _ = scored_store
    months = {month: monthly(store, month) for month in ("2026-10", "2026-11")}
    quarter = cli(store, "score", "--period", "2026-Q4")
    assert quarter.returncode == 0, quarter.stderr
    table = pd.read_csv(io.StringIO(quarter.stdout)).set_index("employee_id").sort_index()
    assert set(table["period"]) == {"2026-Q4"}
    assert table["months"].to_dict() == {"E001": 2, "E002": 2, "E003": 1}
    oct_total, nov_total = months["2026-10"]["total"], months["2026-11"]["total"]
    assert oct_total["E001"] != nov_total["E001"], "the two months differ, so the mean shows"
    for person in ("E001", "E002"):
        mean = (oct_total[person] + nov_total[person]) / 2
        assert table.loc[person, "total"] == pytest.approx(mean, abs=0.005)
    assert table.loc["E003", "total"] == oct_total["E003"]


def test_an_invalid_period_is_a_clear_error(scored_store: tuple[Path, Path]) -> None:
    store, _ = scored_store
    done = cli(store, "score", "--period", "2026-13")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip() == (
        "error: '2026-13' is not a period: use 2026-10, 2026-Q3, 2026-H1 or 2026"
    )


def test_the_4s_store_scored_with_the_after_sales_scheme_is_refused(tmp_path: Path) -> None:
    store = tmp_path / "s4.duckdb"
    assert cli(store, "demo", "--dataset", "4s", "--db", store).returncode == 0
    refused = cli(store, "score", "--period", "2026-06")
    assert refused.returncode == 2 and refused.stdout == ""
    assert "aftersales finds only 2 of its 12 weighted KPIs" in refused.stderr
    assert "imported for scheme dealer_4s" in refused.stderr
    assert "--scheme data/schemes/dealer_4s.toml" in refused.stderr
    dealer = cli(store, "score", "--period", "2026-06", "--scheme", paths.DEALER_SCHEME)
    assert dealer.returncode == 0, dealer.stderr
    assert (
        len(pd.read_csv(io.StringIO(dealer.stdout))) == 98
    )  # every row of data/sample_4s/2026-06.csv


# ------------------------------------------------------------------ schemes and a busy store


@DUCKDB_ONLY
def test_schemes_lists_the_after_sales_scheme(db: Path) -> None:
    done = cli(db, "schemes")
    assert done.returncode == 0, done.stdout
    line = next(x for x in done.stdout.splitlines() if "aftersales.toml" in x)
    assert line.startswith("ok      aftersales.toml: 售后服务人员月度考核方案")
    assert "3 categories, 12 KPIs" in line
    assert not db.exists(), "listing schemes does not create a store"


@DUCKDB_ONLY
def test_a_busy_store_is_a_one_line_message(db: Path) -> None:
    Store(db)
    code = textwrap.dedent(
        f"""
        import time, duckdb
        con = duckdb.connect({str(db)!r})
        print("holding", flush=True)
        time.sleep(20)
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        done = cli(db, "history", "--wait", "0.5")
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 3
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith(f"busy: The store {db.resolve()} is in use by another program")


def test_score_names_the_rows_a_money_formula_could_not_pay(tmp_path: Path) -> None:
    scheme = paths.SCHEMES_DIR / "dealer_4s.toml"
    month = write(
        tmp_path,
        "2026-07.csv",
        "工号,姓名,部门,岗位,售后5S评价,日常管理,备件毛利额,附件及养护品毛利额\r\n"
        "P1,甲,售后部,备件经理,90,80,400000,100000\r\n"
        "P2,乙,售后部,备件库管,90,80,400000,\r\n",
    )
    store = tmp_path / "s.duckdb"
    assert cli(store, "import", month, "--scheme", scheme).returncode == 0
    done = cli(store, "score", "--period", "2026-07", "--scheme", scheme)
    assert done.returncode == 0, done.stderr
    # total 85 (only the qualitative KPIs have values) → 良好 → 500,000 × 0.5% × 1.0
    table = pd.read_csv(io.StringIO(done.stdout), dtype={"employee_id": str})
    bonus = table.set_index("employee_id")["bonus"]
    assert bonus["P1"] == 2500.0 and pd.isna(bonus["P2"])
    assert done.stderr == (
        "money: 备件库管: no number in 附件及养护品毛利额, so no money: P2 2026-07\n"
    )
    inputs_end = table.columns.get_loc("computed_total")  # the month-closing columns follow
    assert table.columns[inputs_end - 5 : inputs_end].tolist() == [
        "parts_gross_profit",
        "care_gross_profit",
        "cars_inspected",
        "claims_total",
        "net_profit_completion",
    ]


# ------------------------------------------------------------------ the 4S reserve

DEALER = paths.SCHEMES_DIR / "dealer_4s.toml"
ADVISOR = (
    "employee_id,name,department,team,role,entry_achievement,repair_revenue_achievement,"
    "accessory_achievement,complaint_rate,renewal_achievement,five_s,daily_management,"
    "nps,nps_region_rank,nps_national_rank\r\n"
)
EVERY_TARGET_MET = "120,120,120,0,120,100,100"  # 100 points: 优秀, 2000 × 1.2 = 2400


@DUCKDB_ONLY
def test_score_writes_the_reserve_withheld_released_and_forfeited(db: Path, tmp_path: Path) -> None:
    # Seed 004: 5% of each month's commission is held back and returned in the first month of
    # the next year by the year's NPS (national top 3 → 150%); a leaver forfeits it.
    december = ADVISOR + "".join(
        f"{who},n,杭州宝诚售后部,前台组,服务顾问,{EVERY_TARGET_MET},90,5,1\r\n" for who in "AL"
    )
    january = ADVISOR + f"A,n,杭州宝诚售后部,前台组,服务顾问,{EVERY_TARGET_MET},,,\r\n"
    files = [write(tmp_path, "2025-12.csv", december), write(tmp_path, "2026-01.csv", january)]
    assert cli(db, "import", *files, "--scheme", DEALER).returncode == 0

    def score(period: str) -> pd.DataFrame:
        done = cli(db, "score", "--period", period, "--scheme", DEALER)
        assert done.returncode == 0, done.stderr
        return pd.read_csv(io.StringIO(done.stdout)).set_index("employee_id")

    reserve = ["bonus", "withheld", "released", "forfeited", "paid"]
    dec, jan, year = score("2025-12"), score("2026-01"), score("2026")
    assert list(jan.columns[10:16]) == [*reserve, "months"]
    assert dec[reserve].to_dict("index") == {
        "A": {"bonus": 2400, "withheld": 120, "released": 0, "forfeited": 0, "paid": 2280},
        "L": {"bonus": 2400, "withheld": 120, "released": 0, "forfeited": 120, "paid": 2280},
    }
    # January: 2400 − 120 held back + 120 × 150% = 180 returned
    assert jan.loc["A", reserve].tolist() == [2400, 120, 180, 0, 2460]
    assert year.loc["A", reserve].tolist() == [2400, 120, 180, 0, 2460]
    assert "withheld" not in score_columns_of_after_sales(db, tmp_path)


def score_columns_of_after_sales(db: Path, tmp_path: Path) -> list[str]:
    """The after-sales scheme's rules hold no reserve: its score has no reserve columns."""
    other = tmp_path / "after_sales.duckdb"
    assert cli(other, "import", write(tmp_path, "2026-11.csv", NOVEMBER)).returncode == 0
    done = cli(other, "score", "--period", "2026-11")
    return pd.read_csv(io.StringIO(done.stdout)).columns.tolist()


@DUCKDB_ONLY
def test_schemes_names_each_schemes_rules(db: Path) -> None:
    lines = cli(db, "schemes").stdout.splitlines()
    rules = {line.split()[1]: line.strip() for line in lines if line.startswith("        rules ")}
    assert rules["customer_service.toml:"].endswith(
        "failed_two_years (person, year), team_problems_two_quarters (team, quarter); ladder"
    )
    assert rules["dealer_4s.toml:"].endswith("reserve 5% paid with the NPS after each year")


def without_root_privileges() -> list[str]:
    """A command prefix under which file permissions apply: root ignores them unless it gives up
    the capabilities that override them (util-linux `setpriv`)."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: file permissions cannot be applied")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"]


def test_a_read_only_store_is_read_and_changes_are_refused(
    scored_store: tuple[Path, Path], tmp_path: Path
) -> None:
    store, folder = scored_store
    media = tmp_path / "media"
    media.mkdir()
    copy = media / "scored.duckdb"
    shutil.copy(store, copy)
    copy.chmod(0o444)
    media.chmod(0o555)
    env = {**os.environ, paths.DB_ENV: str(copy), "PYTHONIOENCODING": "utf-8"}

    def run(*args: str | Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*without_root_privileges(), sys.executable, "-m", "engine", *map(str, args)],
            cwd=paths.ROOT,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
        )

    try:
        for command in (["history"], ["score", "--period", "2026-10"]):
            done = run(*command)
            assert done.returncode == 0, done.stderr
            assert done.stdout == cli(store, *command).stdout
        for command in (["delete", "1"], ["import", folder / "2026-10.csv", "--replace"]):
            refused = run(*command)
            assert refused.returncode == 1
            assert "Traceback" not in refused.stderr
            assert refused.stderr.startswith(f"error: The store {copy} is read-only")
        assert list(media.iterdir()) == [copy], "nothing was written beside the store"
    finally:
        media.chmod(0o755)
        copy.chmod(0o644)


# ------------------------------------------------------------------ files that used to crash


def refused_and_nothing_stored(db: Path, done: subprocess.CompletedProcess) -> list[str]:
    """The problem lines of a refused import, after checking it stored nothing."""
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert cli(db, "history").stdout.strip() == "no imports yet"
    return done.stderr.splitlines()


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("1500-01-01", "not a date (use 2024-03-15)"),
        ("12.5", "not a date (use 2024-03-15)"),
        ("2027-01-01", "hire date after the assessed month 2026-10"),
    ],
)
@DUCKDB_ONLY
def test_a_hire_date_that_crashed_or_slipped_through_is_a_problem(
    db: Path, tmp_path: Path, written: str, reason: str
) -> None:
    text = "工号,姓名,部门,入职日期\r\nE001,张三,售后服务部,2020-03-15\r\n"
    text += f"E002,李四,售后服务部,{written}\r\n"
    done = cli(db, "import", write(tmp_path, "2026-10.csv", text))
    assert refused_and_nothing_stored(db, done) == [
        "2026-10.csv: 1 problem(s), nothing stored",
        f"  2026-10.csv: row 3, column 入职日期, value '{written}': {reason}",
    ]


@pytest.mark.parametrize("columns", [20_000, 100_000])
@DUCKDB_ONLY
def test_a_very_wide_file_is_refused_in_seconds(db: Path, tmp_path: Path, columns: int) -> None:
    header = "工号,姓名,部门," + ",".join(f"c{i}" for i in range(columns))
    row = "E001,张三,售后服务部," + ",".join("1" for _ in range(columns))
    start = time.perf_counter()
    done = cli(db, "import", write(tmp_path, "2026-10.csv", f"{header}\r\n{row}\r\n"))
    assert time.perf_counter() - start < 20  # Python starts in about 1–4 s here
    assert refused_and_nothing_stored(db, done)[1] == (
        f"  2026-10.csv: row 1, the file has {columns + 3:,} columns; at most 500 are accepted"
    )


@DUCKDB_ONLY
def test_a_corrupt_workbook_and_a_csv_named_xlsx_are_problems(db: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "2026-10.xlsx"
    truncated.write_bytes(b"PK\x03\x04" + bytes(200))
    lines = refused_and_nothing_stored(db, cli(db, "import", truncated))
    assert lines[1].startswith("  2026-10.xlsx: the workbook cannot be read")
    renamed = tmp_path / "2026-11.xlsx"
    renamed.write_bytes(OCTOBER.encode("utf-8"))
    lines = refused_and_nothing_stored(db, cli(db, "import", renamed))
    assert "not an Excel workbook" in lines[1]


@DUCKDB_ONLY
def test_text_in_a_rules_input_is_a_problem_and_nothing_is_stored(db: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(paths.SAMPLE_DIR / "2026-10.csv", dtype=str, keep_default_na=False)
    frame.loc[8 - 2, "减分"] = "abc"
    path = tmp_path / "2026-10.csv"
    path.write_bytes(frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8"))
    employee = frame.loc[8 - 2, "employee_id"]
    assert employee
    assert refused_and_nothing_stored(db, cli(db, "import", path)) == [
        "2026-10.csv: 1 problem(s), nothing stored",
        "  2026-10.csv: row 8, column 减分, value 'abc': not a number",
    ]


@DUCKDB_ONLY
def test_a_latin1_file_is_imported_with_a_note(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "2026-10.csv"
    text = "employee_id,name,department\r\nE1,Müller,Kundendienst Böblingen\r\n"
    path.write_bytes(text.encode("latin-1"))
    done = cli(db, "import", path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("  2026-10.csv: note: the text does not read as Chinese GBK")
