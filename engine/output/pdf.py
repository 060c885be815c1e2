"""A4 PDF documents with an embedded Chinese font: bordered tables that break across pages
cleanly, and the page furniture every printed form shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

# Noto Sans CJK as Debian's fonts-noto-cjk installs it (scripts/setup.sh); face 2 of each
# collection is Simplified Chinese. fpdf2 embeds only the glyphs a document uses (a subset).
FONT_DIR = Path("/usr/share/fonts/opentype/noto")
FONT_FILES = {"": FONT_DIR / "NotoSansCJK-Regular.ttc", "B": FONT_DIR / "NotoSansCJK-Bold.ttc"}
SIMPLIFIED_CHINESE = 2
FONT = "noto-sc"
MARGIN = 12.0
A4_WIDTH, A4_HEIGHT = 210.0, 297.0
BORDER_GREY = (120, 120, 120)
HEADING_FILL = (232, 236, 241)
GROUP_FILL = (245, 245, 245)
MUTED = (110, 110, 110)
CELL_PADDING = 1.2
LINE_FACTOR = 0.48  # line height in mm per point of font size (1.35 × 1 pt = 0.3528 mm)


class FontMissing(RuntimeError):
    """The Chinese font is not installed: scripts/setup.sh installs fonts-noto-cjk."""


@dataclass(frozen=True)
class Column:
    """A table column: heading, width in mm and alignment (L, C or R)."""

    title: str
    width: float
    align: str = "L"


class Document(FPDF):
    """An A4 page with the Chinese font loaded and a footer line (left text, page number)."""

    def __init__(self, footer_text: str = "", orientation: str = "P"):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        missing = [str(f) for f in FONT_FILES.values() if not f.exists()]
        if missing:
            raise FontMissing(
                f"中文字体缺失 / the Chinese font is missing: {', '.join(missing)} "
                "(install fonts-noto-cjk: scripts/setup.sh)"
            )
        for style, file in FONT_FILES.items():
            self.add_font(FONT, style, str(file), collection_font_number=SIMPLIFIED_CHINESE)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.c_margin = CELL_PADDING
        self.set_auto_page_break(True, MARGIN + 4)
        self.set_creator("绩效考核分析 · Performance-assessment dashboard")
        self.footer_text = footer_text
        self.page_label = ""
        self.set_font(FONT, "", 9)

    def footer(self) -> None:
        self.set_y(-MARGIN - 1)
        self.set_font(FONT, "", 7)
        self.set_text_color(*MUTED)
        self.cell(0, 4, self.footer_text, align="L")
        self.set_x(self.l_margin)
        label = self.page_label or f"{self.page_no()}"
        self.cell(0, 4, label, align="R")
        self.set_text_color(0, 0, 0)

    @property
    def content_width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    @property
    def bottom(self) -> float:
        return self.h - self.b_margin


def line_height(size: float) -> float:
    """The height of one line of text at a font size, in mm."""
    return size * LINE_FACTOR


def fitted_size(pdf: FPDF, text: str, width: float, size: float, smallest: float = 5.0) -> float:
    """The largest font size up to `size` at which the text fits the width on one line."""
    pdf.set_font_size(size)
    room = width - 2 * CELL_PADDING
    found = pdf.get_string_width(text)
    if found <= room or found == 0:
        return size
    return max(smallest, size * room / found)


def wrapped(pdf: FPDF, text: str, width: float) -> list[str]:
    """The lines a text takes in a cell of this width at the current font (remembered per
    document: the same standards and labels recur on every person's page)."""
    if not text:
        return [""]
    if pdf.get_string_width(text) <= width - 2 * pdf.c_margin:
        return [text]
    known = pdf.__dict__.setdefault("_wrapped", {})
    key = (text, width, pdf.font_style, pdf.font_size_pt)
    if key not in known:
        known[key] = pdf.multi_cell(width, 1, text, dry_run=True, output="LINES")
    return known[key]


def cell_text(
    pdf: FPDF, x: float, y: float, width: float, height: float, lines: list[str], align: str
) -> None:
    """Lines of text in a box (no border), vertically centred."""
    step = pdf.font_size * 1.35
    top = y + (height - step * len(lines)) / 2
    for number, text in enumerate(lines):
        pdf.set_xy(x, top + number * step)
        pdf.cell(width, step, text, align=align)


def table(
    pdf: Document,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str] | str],
    size: float = 8.0,
    bold_rows: Sequence[int] = (),
    fills: dict[int, tuple[int, int, int]] | None = None,
    repeat_heading: bool = True,
) -> None:
    """A bordered table with a shaded heading row; a row given as one string spans the table (a
    group heading). A row that would cross the page bottom goes to the next page, under the
    heading again, so no row is ever cut."""
    fills = fills or {}
    pdf.set_draw_color(*BORDER_GREY)
    pdf.set_line_width(0.2)

    spanning = [Column("", sum(c.width for c in columns), "L")]

    def row_height(cells: Sequence[str], style: str) -> tuple[float, list[list[str]]]:
        pdf.set_font(FONT, style, size)
        shape = spanning if len(cells) == 1 else columns
        lines = [wrapped(pdf, str(t), c.width) for t, c in zip(cells, shape, strict=True)]
        return max(len(x) for x in lines) * pdf.font_size * 1.35 + 2 * CELL_PADDING, lines

    def draw(cells: Sequence[str], style: str, fill: tuple[int, int, int] | None) -> None:
        height, lines = row_height(cells, style)
        if pdf.y + height > pdf.bottom:
            pdf.add_page()
            if repeat_heading:
                draw([c.title for c in columns], "B", HEADING_FILL)
            height, lines = row_height(cells, style)
        x, y = pdf.l_margin, pdf.y
        pdf.set_font(FONT, style, size)
        for column, text in zip(spanning if len(cells) == 1 else columns, lines, strict=True):
            if fill is not None:
                pdf.set_fill_color(*fill)
            pdf.rect(x, y, column.width, height, style="DF" if fill is not None else "D")
            cell_text(pdf, x, y, column.width, height, text, column.align)
            x += column.width
        pdf.set_xy(pdf.l_margin, y + height)

    draw([c.title for c in columns], "B", HEADING_FILL)
    for number, cells in enumerate(rows):
        cells = [cells] if isinstance(cells, str) else cells
        draw(cells, "B" if number in bold_rows else "", fills.get(number))
    pdf.set_font(FONT, "", 9)


def heading(pdf: Document, text: str, size: float = 11.0, gap: float = 2.0) -> None:
    """A section heading in bold, kept with at least a few lines of what follows."""
    if pdf.y + line_height(size) + 30 > pdf.bottom:
        pdf.add_page()
    pdf.ln(gap)
    pdf.set_font(FONT, "B", size)
    pdf.cell(0, line_height(size) + 1, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)


def paragraph(pdf: Document, text: str, size: float = 8.0, muted: bool = False) -> None:
    """Running text across the page width."""
    pdf.set_font(FONT, "", size)
    if muted:
        pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, line_height(size), text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "", 9)
