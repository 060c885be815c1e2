"""The import checks' problems and notes in the reader's language. The engine words them in
English (the command line prints them, and tests hold them); each wording is matched here and
given in Chinese, and field ids in either language become the field's name."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from engine.cycle.config import STATE_NAMES
from engine.schemes.describe import UNIT_WORDS
from engine.schemes.scheme import Scheme
from ui.i18n import COLUMN_LABELS, action_name, language, one_language, tr, user_name

# (English wording as the engine writes it, the Chinese one); \1 … carry the details over.
# Longer and more specific wordings first: the first that matches a whole text is used.
CHINESE = [
    (
        r"the file has ([\d,]+) columns; at most ([\d,]+) are accepted",
        r"文件有 \1 列,最多接受 \2 列",
    ),
    (
        r"the file has ([\d,]+) bytes; at most ([\d,]+) are accepted",
        r"文件有 \1 字节,最多接受 \2 字节",
    ),
    (r"the file has ([\d,]+) rows; at most ([\d,]+) are accepted", r"文件有 \1 行,最多接受 \2 行"),
    (r"a line break \(CR\) inside the cell: remove it", "单元格内有换行符(CR):请删除"),
    (
        r"the last row ends after (\d+) of (\d+) cells and the file has no final line break: "
        r"the file looks cut short",
        r"最后一行只有 \1 个单元格(应有 \2 个),且文件末尾没有换行:文件似乎不完整",
    ),
    (
        r"the text does not read as Chinese GBK: .*",
        "文本不像中文 GBK:很多字符是生僻字,像是西文编码(Latin-1 / Windows-1252)的文件被当作 GBK"
        " 读取;请另存为 CSV UTF-8 后重新导入",
    ),
    (
        r"the text looks garbled \(characters such as (.*) that come from reading a file in the "
        r"wrong encoding\): check the file's encoding",
        r"文本似乎是乱码(出现 \1 这类用错误编码读取文件产生的字符):请检查文件编码",
    ),
    (r"the workbook unpacks to more than ([\d,]+) bytes", r"工作簿解压后超过 \1 字节"),
    (r"the sheet has more than ([\d,]+) rows", r"工作表超过 \1 行"),
    (
        r"a formula without a computed value: .*",
        "公式没有计算结果:工作簿从未计算过(请在 Excel 中打开并重新保存)",
    ),
    (
        r"the file is named \.xlsx but is not an Excel workbook .*",
        "文件名为 .xlsx 但不是 Excel 工作簿(是改了扩展名的 CSV 文件吗?):请在 Excel 中另存为"
        " .xlsx,或改名为 .csv",
    ),
    (r"the workbook cannot be read \((.*)\)", r"无法读取工作簿(\1)"),
    (
        r"the file is neither UTF-8 nor GBK/GB18030 text .*",
        "文件既不是 UTF-8 也不是 GBK/GB18030 文本(是 Excel .xls 文件吗?请另存为 .xlsx 或 CSV)",
    ),
    (r"the file cannot be read as CSV: (.*)", r"无法按 CSV 读取文件:\1"),
    (r"the file cannot be read \((.*)\)", r"无法读取文件(\1)"),
    (r"the file is empty", "文件为空"),
    (r"column ([A-Z]+) has values but no header", r"第 \1 列有数据但没有表头"),
    (r"the file has no data rows, only a header", "文件只有表头,没有数据行"),
    (
        r"the file has ([\d,]+) columns the scheme does not use, ([\d,]+) cells; at most "
        r"([\d,]+) such cells are kept: remove the columns not needed",
        r"文件有 \1 列考核方案不使用,共 \2 个单元格;最多保留 \3 个:请删除不需要的列",
    ),
    (
        r"the cell holds ([\d,]+) characters; at most ([\d,]+) are accepted",
        r"单元格有 \1 个字符,最多接受 \2 个",
    ),
    (
        r"holds an invisible control character \((.*)\): remove it",
        r"含有不可见的控制字符(\1):请删除",
    ),
    (
        r"zero-width \(invisible\) characters removed from (\d+) cell\(s\), the first in row (\d+)",
        r"已从 \1 个单元格中删除零宽(不可见)字符,第一个在第 \2 行",
    ),
    (r"not a number", "不是数字"),
    (r"not yes or no \(是/否\)", "不是“是”或“否”"),
    (r"hire date after the assessed month (\S+)", r"入职日期晚于考核月份 \1"),
    (r"the column '(.*)' appears (\d+) times", r"列“\1”出现了 \2 次"),
    (r"columns '(.*)' and '(.*)' both mean (\S+)", r"列“\1”和“\2”都对应 \3"),
    (r"the required column (\S+) \((\S+)\) is missing", r"缺少必需的列:\1"),
    (
        r"employee id appears more than once in this month \(first in row (\d+)\)",
        r"工号在本月出现多次(首次在第 \1 行)",
    ),
    (r"not a date \(use 2024-03-15\)", "不是日期(请写成 2024-03-15)"),
    (
        r"the month '(.*)' given for this file is not a month like 2026-10",
        r"为此文件指定的“\1”不是 2026-10 这样的月份",
    ),
    (r"not a month \(use 2026-10\)", "不是月份(请写成 2026-10)"),
    (
        r"the file holds more than one month \((.*)\): one file per month",
        r"文件包含多个月份(\1):每个文件只能有一个月",
    ),
    (r"month differs from (\S+)", r"月份与 \1 不同"),
    (
        r"the month is unknown: .*",
        "月份未知:请添加“月份”列,或把文件命名为 2026-10.csv 这样,或在导入时选择月份",
    ),
    (r"a percent sign in a column measured in (\w+)", r"以\1计量的列中出现百分号"),
    (r"a percent above 100", "百分比超过 100"),
    (r"above the rating scale (.*)", r"超出评分范围 \1"),
    (r"above the highest allowed (.*)", r"超过允许的最大值 \1"),
    (r"negative \w+", "不能为负数"),
    (r"below the lowest allowed (.*)", r"低于允许的最小值 \1"),
    (
        r"every value lies between 0 and 1: .*",
        "所有值都在 0 到 1 之间:这些是小数而不是百分数吗?(0.92 应写成 92)",
    ),
    (r"(.*): mean is ([\d.]+)× last month's", r"\1:均值是上月的 \2 倍"),
    (r"(\d+) employee\(s\) of last month are not in this file", r"上月的 \1 名员工不在此文件中"),
    (r"(\d+) employee\(s\) are new since last month", r"\1 名员工是上月之后新增的"),
    (r"(.*) is empty", r"\1 为空"),
]
ROSTER_NAMES = {
    "employee_id": ("工号", "Employee ID"),
    "hire_date": ("入职日期", "Hire date"),
    "period": ("月份", "Month"),
    "name": ("姓名", "Name"),
    "department": ("部门", "Department"),
    "team": ("班组", "Team"),
    "role": ("岗位", "Role"),
    "region": ("地区", "Region"),
}
# The English wordings that name a column the reader types in Chinese: said in English.
ENGLISH = [
    (
        r"the month is unknown: add a 月份/period column, (.*)",
        r"the month is unknown: add a month column, \1",
    ),
    (
        r"the required column (\S+) \((\S+)\) is missing",
        lambda m: f"the required column {ROSTER_NAMES.get(m[2], ('', m[2]))[1]} is missing",
    ),
]
_CHINESE = [(re.compile(f"^{english}$", re.S), chinese) for english, chinese in CHINESE]
_ENGLISH = [(re.compile(f"^{english}$", re.S), said) for english, said in ENGLISH]
UNIT_SAID = {"count": "次数", "rating": "评分"}
PROBLEM_HEADERS = {
    "file": ("文件", "File"),
    "row": ("行", "Row"),
    "column": ("列", "Column"),
    "value": ("值", "Value"),
    "problem": ("问题", "Problem"),
    "old": ("原值", "Before"),
    "new": ("新值", "After"),
}


def field_labels(scheme: Scheme, lang: str) -> dict[str, str]:
    """Field id (and in English a KPI's Chinese name) → the field's name in the language; plain
    words that are also ids (name, team) are left alone, they read as what they mean."""
    names = {f: ROSTER_NAMES[f][lang == "en"] for f in ROSTER_NAMES if "_" in f}
    names |= {k.id: k.label(lang) for k in scheme.kpis}
    if lang == "en":
        names |= {k.name_zh: k.name_en for k in scheme.kpis}
    return names


def in_language(text: str, scheme: Scheme, lang: str | None = None) -> str:
    """One engine wording in the language, its field ids as names."""
    lang = lang or language()
    text = one_language(text, lang)
    table = _CHINESE if lang == "zh" else _ENGLISH
    for pattern, said in table:
        if pattern.match(text):
            text = pattern.sub(said, text)
            break
    if lang == "zh":
        text = re.sub(
            r"以(\w+)计量",
            lambda m: f"以{UNIT_SAID.get(m.group(1)) or UNIT_WORDS.get(m.group(1), ('',))[0]}计量",
            text,
        )
    names = field_labels(scheme, lang)
    ids = sorted((n for n in names if n), key=len, reverse=True)
    swap = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, ids)) + r")(?![\w])")
    return swap.sub(lambda m: names[m.group(1)], text)


def _unit(unit: str) -> str:
    return UNIT_SAID.get(unit) or UNIT_WORDS.get(unit, (unit,))[0]


def problem_table(frame: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """A problem or note list as the reader sees it: wordings and field ids in the language,
    headers translated, missing cells blank."""
    lang = language()
    shown = frame.copy()
    for column in ("problem", "column"):
        if column in shown:
            texts = shown[column].fillna("").astype(str)
            distinct = texts.unique()
            said = {t: in_language(t, scheme, lang) for t in distinct}
            if column == "column":  # a field named by its id (adjustment files: points, reason)
                said |= {t: tr(*COLUMN_LABELS[t]) for t in distinct if t in COLUMN_LABELS}
            shown[column] = texts.map(said)
    if "row" in shown:
        shown["row"] = shown["row"].map(lambda r: "" if pd.isna(r) else str(int(r)))
    return shown.rename(columns={c: tr(*PROBLEM_HEADERS[c]) for c in shown if c in PROBLEM_HEADERS})


# Audit details the store and the app write in English, and their Chinese.
EVENT_DETAILS = [
    (r"(.*), (\d+) rows, replaces import (\d+)", r"\1,\2 行,替换导入 #\3"),
    (r"(.*), (\d+) rows", r"\1,\2 行"),
    (r"(.*), replaces import (\d+)", r"\1,替换导入 #\2"),
    (r"role (\w+)", r"角色 \1"),
    (r"wrong user name or password", "用户名或密码错误"),
    (r"wait (\d+) s", r"等待 \1 秒"),
    (r"account removed or changed", "账户已删除或更改"),
    (r"(.*): session expired or account changed", r"\1:登录已过期或账户已更改"),
]
_EVENT_DETAILS = [(re.compile(f"^{english}$", re.S), chinese) for english, chinese in EVENT_DETAILS]


# A month's move as engine.cycle.states writes it: "审批 approve: 2026-10 [部门] calibrated →
# approved[; reason]".
MOVE = re.compile(
    r"^(?P<zh>\S+) (?P<action>[a-z]+): (?P<period>\d{4}-\d{2})(?P<department> .+?)? "
    r"(?P<before>[a-z]+) → (?P<after>[a-z]+)(?P<reason>; .*)?$",
    re.S,
)


def move_text(detail: str, lang: str) -> str | None:
    """A month's move in the language (None when the text is not one)."""
    found = MOVE.match(detail)
    if found is None or found["before"] not in STATE_NAMES or found["after"] not in STATE_NAMES:
        return None
    side = 0 if lang == "zh" else 1
    name = found["zh"] if lang == "zh" else found["action"].capitalize()
    before, after = STATE_NAMES[found["before"]][side], STATE_NAMES[found["after"]][side]
    place = found["department"] or ""
    reason = found["reason"] or ""
    if lang == "zh":
        reason = reason.replace("; ", ";", 1)
        return f"{name}:{found['period']}{place} {before} → {after}{reason}"
    return f"{name}: {found['period']}{place} {before} → {after}{reason}"


def event_detail(detail: str, lang: str | None = None) -> str:
    """An audit detail in the language: one side of a "中文 / English" detail, a month's move,
    or an English one the app writes in Chinese."""
    lang = lang or language()
    moved = move_text(detail, lang)
    if moved is not None:
        return moved
    detail = one_language(detail, lang)
    if lang == "zh":
        for pattern, chinese in _EVENT_DETAILS:
            if pattern.match(detail):
                return pattern.sub(chinese, detail)
    return detail


EVENT_HEADERS = {
    "happened_at": ("时间", "Time"),
    "action": ("操作", "Action"),
    "import_id": ("导入编号", "Import"),
    "period": ("月份", "Month"),
    "detail": ("详情", "Detail"),
    "username": ("用户", "User"),
}


def shown_events(events: pd.DataFrame) -> pd.DataFrame:
    """The audit log as the reader sees it: actions, details and the system user in the
    language (details written "中文 / English" show one side), blanks for missing cells."""
    shown = events.copy()
    shown["action"] = shown["action"].map(action_name)
    shown["detail"] = shown["detail"].fillna("").map(lambda d: event_detail(d))
    shown["username"] = shown["username"].map(user_name)
    shown["period"] = shown["period"].fillna("")
    shown["import_id"] = shown["import_id"].map(lambda i: "" if pd.isna(i) else str(int(i)))
    return shown


def event_columns() -> dict:
    """Headers of the audit log's columns in the language."""
    headers = {c: tr(*names) for c, names in EVENT_HEADERS.items()}
    headers["happened_at"] = st.column_config.DatetimeColumn(
        headers["happened_at"], format="YYYY-MM-DD HH:mm:ss"
    )
    return headers
