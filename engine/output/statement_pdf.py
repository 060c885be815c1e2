"""The printed statement's pages (绩效考核表): a Statement (engine/output/statement.py) drawn as
the regulations' paper form lays it out (seed 004), one page a person at the largest size that
fits, as one PDF or a ZIP of one PDF each."""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Sequence
from datetime import datetime

from pypdf import PdfReader, PdfWriter

from engine.output.pdf import (
    FONT,
    GROUP_FILL,
    HEADING_FILL,
    MUTED,
    Column,
    Document,
    fitted_size,
    heading,
    line_height,
    table,
)
from engine.output.statement import CHOICE_EN, CHOICES, Interview, Statement, label

# Font sizes tried in turn until a person fits one A4 page; the write-in spaces of the interview
# record shrink with them. Below the smallest the statement continues on a second page.
LAYOUTS = ((8.0, 13.0), (7.0, 10.0), (6.5, 8.0), (6.0, 6.5))
SIGNERS = (
    ("受考核人", "Employee"),
    ("直接上级", "Direct manager"),
    ("部门负责人", "Head of department"),
    ("总经理审批", "General manager"),
)


def _number(value: float, shape: str = "{:.2f}") -> str:
    return "—" if value is None or math.isnan(value) else shape.format(value)


def _grid(pdf: Document, pairs: Sequence[tuple[str, str]], size: float) -> None:
    """Label / value pairs, three to a row, in bordered cells (the form's header)."""
    width = pdf.content_width / 3
    label_width, value_width = 17.0, width - 17.0
    height = line_height(size) + 3
    for start in range(0, len(pairs), 3):
        x, y = pdf.l_margin, pdf.y
        for name, value in pairs[start : start + 3]:
            pdf.set_fill_color(*HEADING_FILL)
            pdf.set_font(FONT, "B", size)
            pdf.set_xy(x, y)
            pdf.cell(label_width, height, name, border=1, fill=True, align="C")
            pdf.set_font(FONT, "", fitted_size(pdf, value, value_width, size + 1))
            pdf.cell(value_width, height, value, border=1, align="L")
            x += width
        pdf.set_xy(pdf.l_margin, y + height)


def _boxes(pdf: Document, cells: Sequence[tuple[str, str]], size: float) -> None:
    """A row of result boxes: a small label over a large value."""
    width = pdf.content_width / len(cells)
    height = line_height(size) + line_height(size + 4) + 3
    if pdf.y + height > pdf.bottom:
        pdf.add_page()
    x, y = pdf.l_margin, pdf.y
    for name, value in cells:
        pdf.rect(x, y, width, height)
        pdf.set_xy(x, y + 0.8)
        pdf.set_font(FONT, "", size)
        pdf.set_text_color(*MUTED)
        pdf.cell(width, line_height(size), name, align="C")
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(x, y + line_height(size) + 1.2)
        pdf.set_font(FONT, "B", fitted_size(pdf, value, width, size + 4))
        pdf.cell(width, line_height(size + 4), value, align="C")
        x += width
    pdf.set_xy(pdf.l_margin, y + height)


def _write_in(pdf: Document, title: str, text: str, size: float, space: float) -> None:
    """A bordered field of the interview record: its label and the text, or room to write."""
    pdf.set_font(FONT, "", size)
    lines = (
        pdf.multi_cell(pdf.content_width - 4, 1, text, dry_run=True, output="LINES") if text else []
    )
    height = max(space, line_height(size) * (len(lines) + 1) + 3)
    if pdf.y + height > pdf.bottom:
        pdf.add_page()
    x, y = pdf.l_margin, pdf.y
    pdf.rect(x, y, pdf.content_width, height)
    pdf.set_xy(x + 1.5, y + 1)
    pdf.set_font(FONT, "B", size)
    pdf.cell(0, line_height(size), title)
    pdf.set_font(FONT, "", size)
    for number, line in enumerate(lines):
        pdf.set_xy(x + 2, y + 1 + line_height(size) * (number + 1))
        pdf.cell(pdf.content_width - 4, line_height(size), line)
    pdf.set_xy(pdf.l_margin, y + height)


def _checkbox(pdf: Document, x: float, y: float, side: float, ticked: bool) -> None:
    """A box of the form (□), with a tick drawn in it when chosen."""
    pdf.rect(x, y, side, side)
    if ticked:
        pdf.set_line_width(0.4)
        pdf.polyline(
            [
                (x + 0.2 * side, y + 0.5 * side),
                (x + 0.45 * side, y + 0.8 * side),
                (x + 0.85 * side, y + 0.15 * side),
            ]
        )
        pdf.set_line_width(0.2)


def _opinion(pdf: Document, s: Statement, size: float) -> None:
    """受考核人对考核结果意见:□接受 □不接受 □反对, the chosen one ticked, with its date."""
    height = line_height(size) + 3
    if pdf.y + height > pdf.bottom:
        pdf.add_page()
    x, y = pdf.l_margin, pdf.y
    pdf.rect(x, y, pdf.content_width, height)
    pdf.set_xy(x + 1.5, y + 1.5)
    pdf.set_font(FONT, "B", size)
    title = label("opinion", s.language)
    pdf.cell(pdf.get_string_width(title) + 2, line_height(size), title)
    pdf.set_font(FONT, "", size)
    side = line_height(size) * 0.75
    chosen = s.acknowledgement.choice if s.acknowledgement else None
    for choice in CHOICES:
        left = pdf.get_x() + 2
        _checkbox(pdf, left, y + 1.5 + (line_height(size) - side) / 2, side, choice == chosen)
        pdf.set_xy(left + side + 0.8, y + 1.5)
        word = choice if s.language == "zh" else CHOICE_EN[choice]
        pdf.cell(pdf.get_string_width(word) + 2, line_height(size), word)
    if s.acknowledgement and s.acknowledgement.at:
        when = f"({s.acknowledgement.at})"
        pdf.cell(pdf.get_string_width(when) + 2, line_height(size), when)
    pdf.set_xy(pdf.l_margin, y + height)


def _two_signatures(pdf: Document, s: Statement, size: float) -> None:
    """受考核人签名/日期 and 面谈人签名/日期, side by side, filled in when confirmed."""
    height = line_height(size) + 5
    if pdf.y + height > pdf.bottom:
        pdf.add_page()
    half = pdf.content_width / 2
    talk = s.interview or Interview()
    confirmed = label("confirmed", s.language)
    employee = talk.employee_confirmed_on and f"{s.name}{confirmed}{talk.employee_confirmed_on}"
    manager = talk.manager_confirmed_on and (
        f"{talk.interviewer}{confirmed}{talk.manager_confirmed_on}"
    )
    x, y = pdf.l_margin, pdf.y
    for offset, key, text in ((0, "employee_sign", employee), (half, "interviewer_sign", manager)):
        pdf.rect(x + offset, y, half, height)
        pdf.set_xy(x + offset + 1.5, y + 2.5)
        pdf.set_font(FONT, "B", size)
        title = label(key, s.language)
        pdf.cell(pdf.get_string_width(title) + 2, line_height(size), title)
        pdf.set_font(FONT, "", size)
        pdf.cell(half - pdf.get_string_width(title) - 6, line_height(size), text or "")
    pdf.set_xy(pdf.l_margin, y + height)


def _signature_blocks(pdf: Document, s: Statement, size: float, space: float) -> None:
    """受考核人 · 直接上级 · 部门负责人 · 总经理审批: each with room to sign and a date."""
    height = space + 2 * line_height(size) + 4
    if pdf.y + height > pdf.bottom:
        pdf.add_page()
    width = pdf.content_width / len(SIGNERS)
    x, y = pdf.l_margin, pdf.y
    for zh, en in SIGNERS:
        pdf.rect(x, y, width, height)
        pdf.set_xy(x + 1.5, y + 1)
        pdf.set_font(FONT, "B", size)
        pdf.cell(width - 3, line_height(size), zh if s.language == "zh" else en)
        pdf.set_font(FONT, "", size)
        pdf.set_xy(x + 1.5, y + height - 2 * line_height(size) - 1.5)
        pdf.cell(width - 3, line_height(size), label("sign", s.language))
        pdf.set_xy(x + 1.5, y + height - line_height(size) - 1)
        pdf.cell(width - 3, line_height(size), label("date", s.language))
        x += width
    pdf.set_xy(pdf.l_margin, y + height)


def _kpi_rows(s: Statement) -> tuple[list, list[int], dict[int, tuple[int, int, int]]]:
    """The KPI table's rows: each category's heading line, its KPIs, then the sum."""
    rows: list = []
    bold: list[int] = []
    fills: dict[int, tuple[int, int, int]] = {}
    for category in s.categories:
        bold.append(len(rows))
        fills[len(rows)] = GROUP_FILL
        if s.language == "zh":
            text = (
                f"{category.category} · 类别权重 {category.weight:g}% · "
                f"类别得分 {_number(category.score)} · 贡献分 {_number(category.points)}"
            )
        else:
            text = (
                f"{category.category} · weight {category.weight:g}% · "
                f"score {_number(category.score)} · points {_number(category.points)}"
            )
        rows.append(text)
        rows += [
            [
                line.kpi,
                line.standard,
                line.value,
                _number(line.score),
                _number(line.share),
                _number(line.points),
            ]
            for line in s.kpis
            if line.category == category.category
        ]
    bold.append(len(rows))
    shares = sum(line.share for line in s.kpis)
    rows.append(
        [label("total_row", s.language), "", "", "", _number(shares), _number(s.computed_total)]
    )
    return rows, bold, fills


def draw_statement(pdf: Document, s: Statement, size: float, space: float) -> None:
    """One person's statement from the top of the current page."""
    lang = s.language
    pdf.set_font(FONT, "B", size + 8)
    pdf.cell(
        0, line_height(size + 8) + 1, label("title", lang), align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font(FONT, "", size)
    pdf.set_text_color(*MUTED)
    pdf.cell(
        0,
        line_height(size),
        f"{s.scheme_name} · {s.scheme_label}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1.5)
    period = s.period + (f"({label('months', lang).format(n=s.months)})" if s.months > 1 else "")
    _grid(
        pdf,
        [
            (label("name", lang), s.name),
            (label("id", lang), s.employee_id),
            (label("period", lang), period),
            (label("department", lang), s.department),
            (label("team", lang), s.team or "—"),
            (label("role", lang), s.role or "—"),
        ],
        size,
    )
    heading(pdf, label("kpis", lang), size=size + 2, gap=1.5)
    fixed = 30 + 20 + 14 + 14 + 16
    columns = [
        Column(label("kpi", lang), 30),
        Column(label("standard", lang), pdf.content_width - fixed),
        Column(label("value", lang), 20, "R"),
        Column(label("score", lang), 14, "R"),
        Column(label("weight", lang), 14, "R"),
        Column(label("points", lang), 16, "R"),
    ]
    rows, bold, fills = _kpi_rows(s)
    table(pdf, columns, rows, size=size, bold_rows=bold, fills=fills)
    heading(pdf, label("result", lang), size=size + 2, gap=1.5)
    adjustment = "—" if math.isnan(s.adjustment) else f"{s.adjustment:+.2f}"
    _boxes(
        pdf,
        [
            (label("computed", lang), _number(s.computed_total)),
            (label("adjustment", lang), adjustment),
            (label("total", lang), _number(s.total)),
            (label("grade", lang), s.grade),
            (label("money", lang), _number(s.money, "{:,.2f}")),
            (label("rank", lang), s.rank),
        ],
        size,
    )
    pdf.ln(1)
    pdf.set_font(FONT, "", size)
    facts = [s.grade_rule]
    if s.status:
        facts.append(label("status", lang).format(status=s.status))
    closing = list(s.closing) or [label("none", lang)]
    pdf.multi_cell(0, line_height(size), " · ".join(facts), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(
        0,
        line_height(size),
        f"{label('closing', lang)}:" + " ".join(closing) + " ".join(["", *s.notes]),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    heading(pdf, label("interview", lang), size=size + 2, gap=1.5)
    talk = s.interview or Interview()
    plan = talk.plan + (f"({'、'.join(talk.plan_kpis)})" if talk.plan_kpis else "")
    _write_in(pdf, label("strengths", lang), talk.strengths, size, space)
    _write_in(pdf, label("improvements", lang), talk.improvements, size, space)
    _write_in(pdf, label("plan", lang), plan, size, space * 0.8)
    _opinion(pdf, s, size)
    comment = talk.employee_comment or (s.acknowledgement.comment if s.acknowledgement else "")
    _write_in(pdf, label("comment", lang), comment, size, space * 0.8)
    _two_signatures(pdf, s, size)
    heading(pdf, label("approval", lang), size=size + 2, gap=1.5)
    _signature_blocks(pdf, s, size, space)


def _footer(s: Statement, stamp: str) -> str:
    return f"{s.scheme_name} · {s.name} {s.employee_id} · {s.department} · {s.period} · {stamp}"


def _render(statements: Sequence[Statement], stamp: str) -> tuple[Document, list[int]]:
    """The statements in one document, a page per person (a second page only for a statement
    too long for one at the smallest legible size), and the page each person starts on."""
    stamp = stamp or datetime.now().strftime("%Y-%m-%d %H:%M")
    pdf, scratch = Document(), Document()  # each statement is tried for size on the scratch
    layouts: dict[tuple, tuple[float, float]] = {}
    starts = []
    for s in statements:
        # People with the same KPIs and the same free text take the same room: tried once.
        shape = (
            tuple(k.standard for k in s.kpis),
            s.closing,
            s.status,
            s.interview,
            s.acknowledgement,
        )
        if shape not in layouts:
            layouts[shape] = _layout(scratch, s)
        size, space = layouts[shape]
        pdf.add_page()  # closes the page before, with its own footer
        pdf.footer_text = _footer(s, stamp)
        starts.append(pdf.page)
        draw_statement(pdf, s, size, space)
    if not statements:
        pdf.add_page()
        pdf.cell(0, 10, "没有可打印的人员 · nobody to print")
    return pdf, starts


def statements_pdf(statements: Sequence[Statement], stamp: str = "") -> bytes:
    """One PDF with a page per person."""
    return bytes(_render(statements, stamp)[0].output())


def _layout(scratch: Document, s: Statement) -> tuple[float, float]:
    """The largest font size and write-in space at which the statement fits one page."""
    for size, space in LAYOUTS:
        scratch.add_page()
        start = scratch.page
        draw_statement(scratch, s, size, space)
        if scratch.page == start:
            return size, space
    return LAYOUTS[-1]


def file_name(s: Statement) -> str:
    """A statement's file name inside a ZIP: period, department, id and name."""
    unsafe = str.maketrans({c: "_" for c in '/\\:*?"<>|\0'})
    return f"{s.period}_{s.department}_{s.employee_id}_{s.name}.pdf".translate(unsafe)


def statements_zip(statements: Sequence[Statement], stamp: str = "") -> bytes:
    """A ZIP holding one PDF per person, cut from the one document (loading the font once)."""
    pdf, starts = _render(statements, stamp)
    whole = PdfReader(io.BytesIO(bytes(pdf.output())))
    ends = [*[start - 1 for start in starts[1:]], len(whole.pages)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for s, first, last in zip(statements, starts, ends, strict=True):
            part = PdfWriter()
            for number in range(first - 1, last):
                part.add_page(whole.pages[number])
            written = io.BytesIO()
            part.write(written)
            archive.writestr(file_name(s), written.getvalue())
    return buffer.getvalue()
