"""Drawing the representación impresa on a reportlab canvas (Letter, built-in fonts only).

Why the canvas and not platypus Paragraphs: Paragraph parses its text as markup (<font>, <img
src=...>), so a customer's name could turn into an image fetch; drawString prints bytes as they are.
Layout is two passes: the content becomes fixed-height blocks, the blocks are cut into pages
(the conceptos table header repeats on each page), then every page is drawn knowing the page count
("Página 1 de 3"). Text goes through `pdf_text`, which keeps what Helvetica's WinAnsi encoding can
show (ñ, á, é, ü, ¿, —) and replaces the rest instead of printing black boxes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import zxingcpp
from reportlab.lib.colors import Color, HexColor, black, white
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

if TYPE_CHECKING:

    pass

Describe = Callable[[str, str], str]
PAGE_W, PAGE_H = letter
MARGIN = 28.0
CONTENT_W = PAGE_W - 2 * MARGIN
TOP = PAGE_H - MARGIN
GAP = 6.0
F, FB, MONO = "Helvetica", "Helvetica-Bold", "Courier"
GRAY, RULE = Color(0.38, 0.38, 0.38), Color(0.82, 0.82, 0.82)
LEGEND = "Este documento es una representación impresa de un CFDI versión 4.0."
QR_SIZE = 92.0  # pt, about 3.2 cm; Anexo 20's QR specification asks for at least 2.75 cm a side
TIPOS = {"I": "Ingreso", "E": "Egreso", "T": "Traslado", "N": "Nómina", "P": "Pago"}  # c_TipoDeComprobante
IMPUESTOS = {"001": "ISR", "002": "IVA", "003": "IEPS"}  # c_Impuesto
METODOS = {"PUE": "Pago en una sola exhibición", "PPD": "Pago en parcialidades o diferido"}  # c_MetodoPago
# Conceptos table: (title, width, right-aligned); widths add up to CONTENT_W.
COLUMNS = (
    ("Clave prod./serv.", 50, False), ("Cantidad", 42, True), ("Clave unidad", 44, False),
    ("Descripción", 186, False), ("Valor unitario", 62, True), ("Descuento", 50, True),
    ("Importe", 64, True), ("Objeto imp.", 58, False),
)  # fmt: skip
_CONTROL = {i: " " for i in (*range(32), *range(0x7F, 0xA0))}


def pdf_text(value: str) -> str:
    """`value` without control characters and with what WinAnsi lacks spelled in plain letters."""
    text = value.translate(_CONTROL)
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        # Compose first ("e" + combining acute -> "é"), then spell or replace what is left.
        return "".join(_winansi(ch) for ch in unicodedata.normalize("NFC", text))
    return text


def _winansi(ch: str) -> str:
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        plain = unicodedata.normalize("NFKD", ch).encode("cp1252", "ignore").decode("cp1252")
        return plain or "?"
    return ch


def wrap(value: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line (a URL, a sello) is cut where it overflows."""
    text = pdf_text(value)
    if stringWidth(text, font, size) <= width:
        return [text]
    # Type 1 fonts have no kerning here, so a line's width is the sum of its words' and spaces'.
    space = stringWidth(" ", font, size)
    lines: list[str] = []
    current, current_w = "", 0.0
    for word in text.split():
        word_w = stringWidth(word, font, size)
        if current and current_w + space + word_w <= width:
            current, current_w = f"{current} {word}", current_w + space + word_w
            continue
        if current:
            lines.append(current)
        while word_w > width:
            lo, hi = 1, len(word)  # longest prefix that fits, at least one character
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if stringWidth(word[:mid], font, size) <= width else (lo, mid - 1)
            lines.append(word[:lo])
            word = word[lo:]
            word_w = stringWidth(word, font, size)
        current, current_w = word, word_w
    return [*lines, current] if current else lines or [""]


def wrap_mono(value: str, size: float, width: float) -> list[str]:
    """Courier is fixed-pitch (600/1000 em): a sello is cut every `n` characters."""
    n = max(1, int(width // (0.6 * size)))
    text = pdf_text(value)
    return [text[i : i + n] for i in range(0, len(text), n)] or [""]


def money(value: str) -> str:
    """ "1398.9900" -> "1,398.9900": thousands separated, decimals exactly as in the XML."""
    try:
        return format(Decimal(value), ",f")
    except (InvalidOperation, ValueError):
        return value


def rate(value: str) -> str:
    """TasaOCuota "0.160000" -> "16%", "0.106667" -> "10.6667%"."""
    try:
        return f"{(Decimal(value) * 100).normalize():f}%"
    except (InvalidOperation, ValueError):
        return value


@dataclass(frozen=True)
class Theme:
    brand: Color
    tint: Color
    on_brand: Color

    @classmethod
    def from_hex(cls, color: str) -> Theme:
        brand = HexColor(color)
        tint = Color(*(c + (1 - c) * 0.88 for c in (brand.red, brand.green, brand.blue)))
        luminance = 0.299 * brand.red + 0.587 * brand.green + 0.114 * brand.blue
        return cls(brand, tint, white if luminance < 0.6 else black)  # readable text on any brand colour


@dataclass(frozen=True)
class Block:
    """A piece of the page flow: its height and how to draw it below a top y."""

    height: float
    draw: Callable[[Canvas, float], None]
    table_row: bool = False


@dataclass(frozen=True)
class Cell:
    label: str
    value: str
    span: int = 1


def grid(cells: Sequence[Cell], x: float, width: float, columns: int) -> Block:
    """Label-over-value cells in `columns` columns; values wrap inside their cell."""
    col_w = width / columns
    rows: list[list[tuple[int, Cell, list[str]]]] = [[]]
    used = 0
    for cell in cells:
        span = min(cell.span, columns)
        if used + span > columns:
            rows.append([])
            used = 0
        rows[-1].append((used, cell, wrap(cell.value or "-", F, 7.5, span * col_w - 6)))
        used += span
    heights = [9 + max(len(lines) for _, _, lines in row) * 9 for row in rows if row]

    def draw(c: Canvas, top: float) -> None:
        for row, h in zip(rows, heights, strict=False):
            for col, cell, lines in row:
                cx = x + col * col_w + 3
                c.setFillColor(GRAY)
                c.setFont(FB, 6)
                draw_string(c, cx, top - 7, pdf_text(cell.label))
                c.setFillColor(black)
                c.setFont(F, 7.5)
                for i, line in enumerate(lines):
                    draw_string(c, cx, top - 15 - 9 * i, line)
            top -= h

    return Block(sum(heights) + 2, draw)


def section(title: str, body: Block, theme: Theme) -> Block:
    """A tinted title bar over `body`, framed."""

    def draw(c: Canvas, top: float) -> None:
        c.setFillColor(theme.tint)
        c.rect(MARGIN, top - 11, CONTENT_W, 11, stroke=0, fill=1)
        c.setFillColor(theme.brand)
        c.setFont(FB, 7)
        draw_string(c, MARGIN + 3, top - 8, pdf_text(title))
        body.draw(c, top - 11)
        c.setStrokeColor(RULE)
        c.rect(MARGIN, top - 11 - body.height, CONTENT_W, 11 + body.height, stroke=1, fill=0)

    return Block(11 + body.height + GAP, draw)


def paginate(blocks: Sequence[Block], first_top: float, next_top: float, bottom: float,
             table_header: Block) -> list[list[tuple[float, Block]]]:  # fmt: skip
    """Place blocks top-down, opening a page when one does not fit; table rows get the header first."""
    pages: list[list[tuple[float, Block]]] = [[]]
    y, header_on_page = first_top, False
    for block in blocks:
        needs_header = block.table_row and not header_on_page
        need = block.height + (table_header.height if needs_header else 0)
        if y - need < bottom and pages[-1]:
            pages.append([])
            y, header_on_page = next_top, False
            needs_header = block.table_row
        if needs_header:
            pages[-1].append((y, table_header))
            y -= table_header.height
            header_on_page = True
        pages[-1].append((y, block))
        y -= block.height
        header_on_page = header_on_page and block.table_row
    return pages


def draw_qr(c: Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR as vector rectangles, one per horizontal run of dark modules.

    zxing-cpp encodes it in C++ (error correction M, best mask: ~0.2 ms, where the pure-Python
    segno took 2.6 ms even with a fixed mask, reference/reliability.md §4.3). Its 1-pixel-per-module
    bitmap is scanned row by row for dark runs, and the rectangles go in as one fill path in module
    units under a scale, several times cheaper than reportlab path objects. Splitting each row
    on its light modules finds the dark runs in C (half the cost of a regex match object per run)."""
    bitmap = memoryview(
        zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(
            scale=1, add_quiet_zones=False
        )
    )
    n, modules = bitmap.shape[0], bitmap.tobytes()  # one byte per module: 0 dark, 255 light
    ops: list[str] = []
    for row in range(n):
        module_y, module_x = f" {n - 1 - row} ", 0
        for dark in modules[row * n : row * n + n].split(b"\xff"):  # a dark run (maybe empty), one light module
            if dark:
                ops.append(f"{module_x}{module_y}{len(dark)} 1 re")
            module_x += len(dark) + 1
    c.saveState()
    c.translate(x, y)
    c.scale(size / n, size / n)
    c.setFillColor(black)
    c.addLiteral(" ".join(ops) + " f")
    c.restoreState()



def draw_string(c: Canvas, x: float, y: float, text: str) -> None:
    """`c.drawString(x, y, text)`, the same bytes in the content stream at half the cost: drawString
    also measures the string (for right-to-left shaping, unused here: `pdf_text` keeps WinAnsi
    only) and throws the width away. A page draws some 80 strings."""
    t = c.beginText(x, y)
    t.textLine(text)
    c.drawText(t)


def draw_lines(c: Canvas, lines: Sequence[str], x: float, y: float, leading: float, font: str, size: float,
           color: Color) -> None:  # fmt: skip
    c.setFillColor(color)
    c.setFont(font, size)
    for i, line in enumerate(lines):
        draw_string(c, x, y - leading * i, pdf_text(line))



def draw_banners(c: Canvas, banners: Sequence[str], top: float) -> None:
    """The sandbox / preview notices, in red, right under the header of every page."""
    for i, text in enumerate(banners):
        y = top - 18 * i
        c.setFillColor(Color(1, 0.92, 0.92))
        c.setStrokeColor(Color(0.75, 0.1, 0.1))
        c.rect(MARGIN, y - 15, CONTENT_W, 14, stroke=1, fill=1)
        c.setFillColor(Color(0.75, 0.1, 0.1))
        c.setFont(FB, 8.5)
        c.drawCentredString(PAGE_W / 2, y - 11, pdf_text(text))


def draw_watermark(c: Canvas, watermark: str) -> None:
    """The preview text across the page diagonal, translucent so the content stays readable."""
    text = pdf_text(watermark)
    size = min(60.0, 780 * 10 / max(stringWidth(text, FB, 10), 1))
    c.saveState()
    c.translate(PAGE_W / 2, PAGE_H / 2)
    c.rotate(52)
    c.setFillColor(Color(0.75, 0.1, 0.1, alpha=0.16))
    c.setFont(FB, size)
    c.drawCentredString(0, -size / 3, text)
    c.restoreState()


def draw_footer(c: Canvas, lines: Sequence[str], number: int, total: int) -> None:
    y = MARGIN + 8 * len(lines) - 2
    c.setStrokeColor(RULE)
    c.line(MARGIN, y + 7, PAGE_W - MARGIN, y + 7)
    draw_lines(c, lines, MARGIN, y, 8, F, 6.5, GRAY)
    c.drawRightString(PAGE_W - MARGIN, y, f"Página {number} de {total}")
