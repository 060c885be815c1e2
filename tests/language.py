"""Everything a page shows as text, gathered from an AppTest run, and the words in it that do not
belong to the chosen language (the language test and the browser test share these)."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
from google.protobuf.message import Message
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

from engine import paths
from engine.intake.parse import ROSTER_ALIASES
from engine.schemes.scheme import load_scheme

# Proto fields that hold what a reader sees: a widget's label, help and options, a text's body.
SHOWN_FIELDS = {"label", "body", "help", "placeholder", "options", "delta", "content", "text"}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]")
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_.-])[A-Za-z]{2,}(?![A-Za-z0-9_])")
# Latin words that are the same in a Chinese text: file kinds, units, names of things.
CHINESE_ALLOWED = {
    "CSV",
    "Excel",
    "XLSX",
    "xlsx",
    "csv",
    "UTF",
    "GBK",
    "GB",
    "BOM",
    "KPI",
    "NPS",
    "MB",
    "ID",
    "km",
    "min",
    "pp",
    "vs",
    "YYYY",
    "MM",
    "DD",
    "HH",
    "Q",
    "H",
    "sig",
    "PDF",
    "ZIP",
    "Fisher",  # Fisher's exact test: a name
    "Wilson",  # the Wilson interval
    "Welch",  # Welch's t interval
    "Beta",  # the beta-binomial model
    "rater",  # a scheme file's key, named where the page says how to set it
    "true",  # … and its value
    "Bonferroni",  # the Bonferroni correction: a name
    "CLI",
    "TOML",
    "OK",
    "README",  # a file's name
    "utf",  # utf-8, an encoding's standard name
}
NONE_DRAWN = "None (a missing cell)"
MIDNIGHT_DRAWN = "00:00:00 (a date drawn with its time)"
YEAR_DRAWN = "2,026 (a year drawn with a thousands separator)"
ENGLISH_MONTHS = "Oct 2026 (months plotly labels in English)"
DRAWING_FAULTS = (NONE_DRAWN, MIDNIGHT_DRAWN, YEAR_DRAWN, ENGLISH_MONTHS)
MONTH = re.compile(r"\d{4}-\d{2}(-\d{2})?$")
# Markdown directives that are not words: badges and colours (:gray-badge[…], :red[…]),
# Material icons (:material/lock:).
MARKDOWN_SYNTAX = re.compile(r":[a-z]+(-[a-z]+)*\[|:material/[a-z_]+:")
# The language switch names both languages on purpose: a reader of either must find it.
BOTH_LANGUAGES = ("语言 · Language", "中文", "English")


def page_files() -> list[str]:
    """Every page the entry script lists (app.PAGES), read from app.py without running it."""
    tree = ast.parse((paths.ROOT / "app.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES":
            return [Path(row[0]).stem for row in ast.literal_eval(node.value)]
    raise AssertionError("app.py has no PAGES list")


def internal_ids() -> set[str]:
    """Column ids of the engine and the schemes that a reader must never see."""
    ids = set(ROSTER_ALIASES) | {"source_row", "import_id", "sha256", "scheme_version"}
    for file in sorted(paths.SCHEMES_DIR.glob("*.toml")):
        if file.name == "grade_presets.toml":
            continue
        scheme = load_scheme(file)
        for kpi in scheme.kpis:
            ids |= {kpi.id, f"score_{kpi.id}"}
        ids |= {f"cat_{c.id}" for c in scheme.categories}
    return {i for i in ids if "_" in i}


def _proto_texts(message: Message) -> Iterator[str]:
    for descriptor, value in message.ListFields():
        if descriptor.name in SHOWN_FIELDS:
            if isinstance(value, str):
                yield value
            elif isinstance(value, Message):
                yield from _proto_texts(value)
            else:
                for item in value:
                    yield from [item] if isinstance(item, str) else _proto_texts(item)
        elif isinstance(value, Message) and descriptor.name not in {"arrow_data", "lazy_data"}:
            yield from _proto_texts(value)


def _table_texts(element) -> Iterator[str]:
    """A table's headers as shown (column_config labels first) and its text cells as drawn (a
    Styler's display values where it has them); the signs of a table drawn carelessly are
    reported as texts of their own: a missing cell (drawn "None"), a date column drawn with
    its midnight time, a year drawn with a thousands separator."""
    table = element.value
    config = json.loads(element.proto.columns or "{}")
    styler = element.proto.arrow_data.styler.display_values
    drawn = convert_arrow_bytes_to_pandas_df(styler) if styler else None
    for position, column in enumerate(table.columns):
        setting = config.get(str(column), config.get(f"col:{column}", {})) or {}
        if isinstance(setting, str):
            setting = {"label": setting}
        if setting.get("hidden"):
            continue
        yield str(setting.get("label") or column)
        values = table[column]
        cells = drawn.iloc[:, position] if drawn is not None else None
        if cells is None and values.isna().any() and not element.proto.placeholder:
            yield f"{NONE_DRAWN} in {column}"
        if pd.api.types.is_datetime64_any_dtype(values):
            times = values.dropna()
            kind = (setting.get("type_config") or {}).get("type")
            if len(times) and (times == times.dt.normalize()).all() and kind != "date":
                yield f"{MIDNIGHT_DRAWN} in {column}"
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            whole = values.dropna()
            years = len(whole) and whole.between(1900, 2200).all()
            if years and cells is not None and cells.astype(str).str.fullmatch(r"\d,\d{3}").any():
                yield f"{YEAR_DRAWN} in {column}"
        else:
            shown = (cells if cells is not None else values).dropna()
            yield from shown.astype(str).unique()[:400]


def _chart_texts(spec: str) -> Iterator[str]:
    """A plotly chart's titles, axis titles, tick labels, legend names and annotations."""
    figure = json.loads(spec)
    layout = figure.get("layout", {})
    for value in layout.values():
        if isinstance(value, dict):
            title = value.get("title")
            yield from _title(title)
            yield from map(str, value.get("ticktext", []) or [])
    yield from _title(layout.get("title"))
    for note in layout.get("annotations", []) or []:
        yield str(note.get("text", ""))
    for trace in figure.get("data", []):
        for axis in ("x", "y"):
            values = trace.get(axis)
            shape = layout.get(f"{axis}axis", {})
            months = isinstance(values, list) and values and MONTH.match(str(values[0]))
            if months and shape.get("type") != "category" and not shape.get("tickformat"):
                yield f"{ENGLISH_MONTHS} on the {axis} axis"
        if trace.get("showlegend", True) and trace.get("name"):
            yield str(trace["name"])
        for axis in ("x", "y"):
            values = trace.get(axis)
            if isinstance(values, list) and values and isinstance(values[0], str):
                yield from values
        if isinstance(trace.get("text"), list):
            yield from (str(t) for t in trace["text"] if isinstance(t, str))


def _title(title) -> Iterator[str]:
    if isinstance(title, dict):
        title = title.get("text")
    if title:
        yield str(title)


def shown_texts(at) -> list[str]:
    """Every text the run shows: texts, labels, options, tables and charts, sidebar included."""
    found: list[str] = []
    for block in (at.main, at.sidebar):
        for node in _nodes(block):
            kind = getattr(node, "type", "")
            proto = getattr(node, "proto", None)
            if kind in {"dataframe", "arrow_data_frame"}:
                found += _table_texts(node)
            elif kind == "plotly_chart":
                found += _chart_texts(proto.spec)
            elif isinstance(proto, Message):
                found += _proto_texts(proto)
    found += [t.proto.body for t in at.get("toast")]
    return [t for t in found if t and t.strip()]


def _nodes(block) -> Iterator:
    yield block
    for child in getattr(block, "children", {}).values():
        yield from _nodes(child)


def foreign(texts: Iterable[str], language: str, allowed: Iterable[str] = ()) -> list[str]:
    """The texts holding a word of the other language or an internal id, each with the word;
    the signs of a table or chart drawn carelessly count too."""
    ids = internal_ids()
    spared = sorted({*allowed, *BOTH_LANGUAGES}, key=len, reverse=True)
    spare = re.compile("|".join(re.escape(s) for s in spared if s))
    bad = []
    for text in texts:
        rest = spare.sub(" ", MARKDOWN_SYNTAX.sub(" ", text))
        hits = sorted(set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", rest)) & ids)
        if text.startswith(DRAWING_FAULTS) and (language == "zh" or ENGLISH_MONTHS not in text):
            hits.append(text)
        if language == "zh":
            hits += [w for w in LATIN_WORD.findall(rest) if w not in CHINESE_ALLOWED]
        elif CJK.search(rest):
            hits.append(CJK.search(rest).group(0))
        if hits:
            bad.append(f"{hits[:3]} in {text[:160]!r}")
    return sorted(set(bad))
