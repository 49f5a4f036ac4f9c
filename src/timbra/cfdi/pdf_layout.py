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
from io import BytesIO
from typing import TYPE_CHECKING

import segno
from reportlab import rl_config
from reportlab.lib.colors import Color, HexColor, black, white
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from timbra.cfdi.amount_words import amount_in_words
from timbra.cfdi.sandbox_pac import SANDBOX_LEYENDA as SANDBOX_LEGEND

if TYPE_CHECKING:
    from reportlab.lib.utils import ImageReader

    from timbra.cfdi.pdf import Concepto, Invoice, Tax

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
                c.drawString(cx, top - 7, pdf_text(cell.label))
                c.setFillColor(black)
                c.setFont(F, 7.5)
                for i, line in enumerate(lines):
                    c.drawString(cx, top - 15 - 9 * i, line)
            top -= h

    return Block(sum(heights) + 2, draw)


def section(title: str, body: Block, theme: Theme) -> Block:
    """A tinted title bar over `body`, framed."""

    def draw(c: Canvas, top: float) -> None:
        c.setFillColor(theme.tint)
        c.rect(MARGIN, top - 11, CONTENT_W, 11, stroke=0, fill=1)
        c.setFillColor(theme.brand)
        c.setFont(FB, 7)
        c.drawString(MARGIN + 3, top - 8, pdf_text(title))
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

    A fixed mask skips segno's evaluation of all eight masks (2.6 ms instead of 13-15 ms, see
    reference/reliability.md §4.3); any mask is a valid QR. The rectangles go in as one fill path in
    module units under a scale, which is several times cheaper than reportlab path objects.
    """
    matrix = segno.make_qr(url, error="m", mask=0, boost_error=False).matrix
    n = len(matrix)
    ops = []
    for row_index, row in enumerate(matrix):
        start = -1
        for col, dark in enumerate((*row, 0)):
            if dark and start < 0:
                start = col
            elif not dark and start >= 0:
                ops.append(f"{start} {n - 1 - row_index} {col - start} 1 re")
                start = -1
    c.saveState()
    c.translate(x, y)
    c.scale(size / n, size / n)
    c.setFillColor(black)
    c.addLiteral(" ".join(ops) + " f")
    c.restoreState()


def _known(describe: Describe, catalog: str, code: str, table: dict[str, str]) -> str:
    """The callable's description, else ours for the tiny fixed catalogs, else the bare code."""
    described = describe(catalog, code)
    if described != code or code not in table:
        return described
    return f"{code} - {table[code]}"


def first_header(inv: Invoice, describe: Describe, theme: Theme, logo: ImageReader | None, *,
                 draft: bool) -> Block:  # fmt: skip
    """Page 1: logo and emisor on the left; CFDI type, folios, dates and certificates on the right."""
    panel_w = 232.0
    left_w = CONTENT_W - panel_w - 10
    lw = lh = 0.0
    if logo is not None:
        iw, ih = logo.getSize()
        scale = min(150 / iw, 46 / ih)
        lw, lh = iw * scale, ih * scale
    name = wrap(inv.emisor.nombre, FB, 10, left_w)
    details = [
        f"RFC: {inv.emisor.rfc}",
        f"Régimen fiscal: {describe('c_RegimenFiscal', inv.emisor.regimen_fiscal)}",
        f"Lugar de expedición (C.P.): {inv.lugar_expedicion}",
    ]
    detail_lines = [line for d in details for line in wrap(d, F, 7.5, left_w)]
    panel = grid(_folio_cells(inv, draft), PAGE_W - MARGIN - panel_w, panel_w, 2)
    title = f"CFDI DE {TIPOS.get(inv.tipo_de_comprobante, inv.tipo_de_comprobante)}".upper()
    top_pad = lh + 6 if logo else 0.0

    def draw(c: Canvas, top: float) -> None:
        if logo is not None:
            c.drawImage(logo, MARGIN, top - lh, lw, lh)
        _lines(c, name, MARGIN, top - top_pad - 9, 12, FB, 10, theme.brand)
        _lines(c, detail_lines, MARGIN, top - top_pad - 12 * len(name) - 7, 9, F, 7.5, black)
        px = PAGE_W - MARGIN - panel_w
        c.setFillColor(theme.brand)
        c.rect(px, top - 14, panel_w, 14, stroke=0, fill=1)
        c.setFillColor(theme.on_brand)
        c.setFont(FB, 8.5)
        c.drawCentredString(px + panel_w / 2, top - 10, pdf_text(title))
        panel.draw(c, top - 14)
        c.setStrokeColor(RULE)
        c.rect(px, top - 14 - panel.height, panel_w, 14 + panel.height, stroke=1, fill=0)

    left_h = top_pad + 12 * len(name) + 9 * len(detail_lines)
    return Block(max(left_h, 14 + panel.height) + GAP, draw)


def _folio_cells(inv: Invoice, draft: bool) -> list[Cell]:
    cells = [
        Cell("Serie y folio", "-".join(p for p in (inv.serie, inv.folio) if p)),
        Cell("Fecha de emisión", inv.fecha),
    ]
    if inv.timbre is not None and not draft:
        t = inv.timbre
        cells += [Cell("Folio fiscal (UUID)", t.uuid, 2), Cell("Fecha de timbrado", t.fecha_timbrado),
                  Cell("No. de certificado del SAT", t.no_certificado_sat)]  # fmt: skip
    return [*cells, Cell("No. de certificado del emisor", inv.no_certificado)]


def _lines(c: Canvas, lines: Sequence[str], x: float, y: float, leading: float, font: str, size: float,
           color: Color) -> None:  # fmt: skip
    c.setFillColor(color)
    c.setFont(font, size)
    for i, line in enumerate(lines):
        c.drawString(x, y - leading * i, pdf_text(line))


def later_header(inv: Invoice, theme: Theme, *, draft: bool) -> Block:
    """Pages 2..n: who issued it and which CFDI this page belongs to."""
    serie_folio = "-".join(p for p in (inv.serie, inv.folio) if p)
    right = [f"Serie y folio: {serie_folio}"]
    right += [f"Folio fiscal: {inv.timbre.uuid}"] if inv.timbre and not draft else []
    name = wrap(inv.emisor.nombre, FB, 9, CONTENT_W - 220)[0]

    def draw(c: Canvas, top: float) -> None:
        _lines(c, [name], MARGIN, top - 9, 11, FB, 9, theme.brand)
        _lines(c, [f"RFC: {inv.emisor.rfc}"], MARGIN, top - 20, 9, F, 7.5, black)
        for i, text in enumerate(right):
            c.drawRightString(PAGE_W - MARGIN, top - 9 - 11 * i, pdf_text(text))
        c.setStrokeColor(theme.brand)
        c.line(MARGIN, top - 26, PAGE_W - MARGIN, top - 26)

    return Block(26 + GAP, draw)


def table_header(theme: Theme) -> Block:
    titles = [wrap(title, FB, 6, width - 4) for title, width, _ in COLUMNS]
    height = 5 + 7 * max(len(t) for t in titles)

    def draw(c: Canvas, top: float) -> None:
        c.setFillColor(theme.brand)
        c.rect(MARGIN, top - height, CONTENT_W, height, stroke=0, fill=1)
        x = MARGIN
        c.setFillColor(theme.on_brand)
        c.setFont(FB, 6)
        for lines, (_, width, right) in zip(titles, COLUMNS, strict=True):
            for i, line in enumerate(lines):
                if right:
                    c.drawRightString(x + width - 2, top - 8 - 7 * i, line)
                else:
                    c.drawString(x + 2, top - 8 - 7 * i, line)
            x += width

    return Block(height, draw)


def concepto_blocks(con: Concepto, describe: Describe) -> list[Block]:
    """One table row per concepto; a description too long for a page continues in further rows."""
    w = [width - 4 for _, width, _ in COLUMNS]
    description = wrap(con.descripcion, F, 7, w[3])
    prod_serv = describe("c_ClaveProdServ", con.clave_prod_serv)
    if prod_serv != con.clave_prod_serv:
        description += wrap(f"({prod_serv})", F, 7, w[3])
    cells = [
        wrap(con.clave_prod_serv, F, 7, w[0]) + (wrap(con.no_identificacion, F, 7, w[0]) if con.no_identificacion else []),
        wrap(money(con.cantidad), F, 7, w[1]),
        wrap(describe("c_ClaveUnidad", con.clave_unidad), F, 7, w[2]) + (wrap(con.unidad, F, 7, w[2]) if con.unidad else []),
        description,
        wrap(money(con.valor_unitario), F, 7, w[4]),
        wrap(money(con.descuento), F, 7, w[5]) if con.descuento else [],
        wrap(money(con.importe), F, 7, w[6]),
        wrap(describe("c_ObjetoImp", con.objeto_imp), F, 7, w[7]),
    ]  # fmt: skip
    tax_w = CONTENT_W - sum(width for _, width, _ in COLUMNS[:3]) - 4
    taxes = [line for tax in con.taxes for line in wrap(_tax_line(tax), F, 6, tax_w)]
    max_lines = 50  # 50 × 8.5 pt fits the body of any page, banners and table header included
    chunks = [description[i : i + max_lines] for i in range(0, len(description), max_lines)] or [[]]
    blocks = []
    for i, chunk in enumerate(chunks):
        lines = [col if i == 0 else [] for col in cells]
        lines[3] = chunk
        blocks.append(_row_block(lines, taxes if i == len(chunks) - 1 else []))
    return blocks


def _tax_line(tax: Tax) -> str:
    kind = "Retención" if tax.retencion else "Traslado"
    name = IMPUESTOS.get(tax.impuesto, tax.impuesto)
    factor = {"Exento": "Exento", "Cuota": f"Cuota {tax.tasa_o_cuota}"}.get(
        tax.tipo_factor, f"{tax.tipo_factor} {tax.tasa_o_cuota} ({rate(tax.tasa_o_cuota)})"
    )
    importe = f" · Importe {money(tax.importe)}" if tax.importe else ""
    return f"{kind} {name} ({tax.impuesto}) · {factor} · Base {money(tax.base)}{importe}"


def _row_block(lines: list[list[str]], taxes: list[str]) -> Block:
    text_h = 8.5 * max(len(col) for col in lines)
    height = 4 + text_h + 7.5 * len(taxes) + 3

    def draw(c: Canvas, top: float) -> None:
        c.setFillColor(black)
        c.setFont(F, 7)
        x = MARGIN
        for col, (_, width, right) in zip(lines, COLUMNS, strict=True):
            for i, line in enumerate(col):
                if right:
                    c.drawRightString(x + width - 2, top - 10 - 8.5 * i, line)
                else:
                    c.drawString(x + 2, top - 10 - 8.5 * i, line)
            x += width
        tax_x = MARGIN + sum(width for _, width, _ in COLUMNS[:3]) + 2
        _lines(c, taxes, tax_x, top - 4 - text_h - 5.5, 7.5, F, 6, GRAY)
        c.setStrokeColor(RULE)
        c.line(MARGIN, top - height, PAGE_W - MARGIN, top - height)

    return Block(height, draw, table_row=True)


def receptor_block(inv: Invoice, describe: Describe, theme: Theme) -> Block:
    r = inv.receptor
    cells = [
        Cell("Nombre o razón social", r.nombre, 2), Cell("RFC", r.rfc), Cell("Domicilio fiscal (C.P.)", r.domicilio_fiscal_receptor),
        Cell("Régimen fiscal", describe("c_RegimenFiscal", r.regimen_fiscal_receptor), 2),
        Cell("Uso del CFDI", describe("c_UsoCFDI", r.uso_cfdi), 2),
    ]  # fmt: skip
    if r.residencia_fiscal or r.num_reg_id_trib:
        cells += [
            Cell("Residencia fiscal", r.residencia_fiscal),
            Cell("Núm. de registro tributario", r.num_reg_id_trib),
        ]
    return section("RECEPTOR", grid(cells, MARGIN, CONTENT_W, 4), theme)


def comprobante_block(inv: Invoice, describe: Describe, theme: Theme) -> Block:
    cells = [
        Cell("Tipo de comprobante", _known(describe, "c_TipoDeComprobante", inv.tipo_de_comprobante, TIPOS)),
        Cell("Forma de pago", describe("c_FormaPago", inv.forma_pago)),
        Cell("Método de pago", _known(describe, "c_MetodoPago", inv.metodo_pago, METODOS)),
        Cell("Moneda", describe("c_Moneda", inv.moneda)),
        Cell("Tipo de cambio", inv.tipo_cambio),
        Cell("Exportación", describe("c_Exportacion", inv.exportacion)),
    ]
    if inv.condiciones_de_pago:
        cells.append(Cell("Condiciones de pago", inv.condiciones_de_pago, 2))
    if g := inv.informacion_global:
        cells += [Cell("Información global: periodicidad", describe("c_Periodicidad", g.get("Periodicidad", ""))),
                  Cell("Meses", describe("c_Meses", g.get("Meses", ""))), Cell("Año", g.get("Año", ""))]  # fmt: skip
    return section("DATOS DEL COMPROBANTE", grid(cells, MARGIN, CONTENT_W, 4), theme)


def relacionados_block(inv: Invoice, describe: Describe, theme: Theme) -> Block:
    cells = []
    for rel in inv.relacionados:
        cells += [Cell("Tipo de relación", describe("c_TipoRelacion", rel.tipo_relacion)),
                  Cell("Folios fiscales (UUID) relacionados", ", ".join(rel.uuids), 3)]  # fmt: skip
    return section("CFDI RELACIONADOS", grid(cells, MARGIN, CONTENT_W, 4), theme)


def totals_block(inv: Invoice, theme: Theme) -> Block:
    """Importe con letra on the left; subtotal, descuento, each tax and the total on the right."""
    rows = [("Subtotal", f"${money(inv.subtotal)}")]
    rows += [("Descuento", f"${money(inv.descuento)}")] if inv.descuento else []
    for tax in (*inv.traslados, *inv.retenciones):
        name = IMPUESTOS.get(tax.impuesto, tax.impuesto)
        if tax.retencion:
            rows.append((f"{name} retenido", f"${money(tax.importe)}"))
        elif tax.tipo_factor == "Exento":
            rows.append((f"{name} exento (base ${money(tax.base)})", "Exento"))
        else:
            shown = rate(tax.tasa_o_cuota) if tax.tipo_factor == "Tasa" else f"cuota {tax.tasa_o_cuota}"
            rows.append((f"{name} trasladado {shown}", f"${money(tax.importe)}"))
    words_w, box_w = CONTENT_W - 232, 222.0
    try:
        words = "" if inv.moneda == "XXX" else amount_in_words(Decimal(inv.total), inv.moneda)
    except (ValueError, InvalidOperation):
        words = ""
    word_lines = wrap(words or "-", FB, 7.5, words_w - 6)
    height = max(16 + 14 * len(rows), 14 + 9 * len(word_lines)) + GAP

    def draw(c: Canvas, top: float) -> None:
        _lines(c, ["IMPORTE CON LETRA"], MARGIN + 3, top - 8, 9, FB, 6, GRAY)
        _lines(c, word_lines, MARGIN + 3, top - 17, 9, FB, 7.5, black)
        x = PAGE_W - MARGIN - box_w
        for i, (label, value) in enumerate(rows):
            _lines(c, [pdf_text(label)], x + 4, top - 9 - 12 * i, 0, F, 7.5, black)
            c.drawRightString(PAGE_W - MARGIN - 4, top - 9 - 12 * i, pdf_text(value))
        y = top - 12 * len(rows) - 2
        c.setFillColor(theme.brand)
        c.rect(x, y - 14, box_w, 14, stroke=0, fill=1)
        _lines(c, [f"Total {pdf_text(inv.moneda)}"], x + 4, y - 10, 0, FB, 8.5, theme.on_brand)
        c.drawRightString(PAGE_W - MARGIN - 4, y - 10, f"${money(inv.total)}")

    return Block(height, draw)


def _mono(label: str, value: str, x: float, width: float) -> tuple[float, Callable[[Canvas, float], None]]:
    lines = wrap_mono(value, 5.6, width)

    def draw(c: Canvas, top: float) -> None:
        _lines(c, [pdf_text(label)], x, top - 7, 0, FB, 6, GRAY)
        _lines(c, lines, x, top - 13.5, 6.4, MONO, 5.6, black)

    return 10 + 6.4 * len(lines), draw


def seal_block(inv: Invoice, theme: Theme, qr_url: str | None) -> Block | None:
    """QR, timbre data, both sellos and the TFD cadena original (only the Sello for a draft)."""
    t = inv.timbre if qr_url else None
    if t is None and not inv.sello:
        return None
    x = MARGIN + (QR_SIZE + 12 if t else 0) + 4
    width = PAGE_W - MARGIN - 4 - x
    parts: list[tuple[float, Callable[[Canvas, float], None]]] = []
    if t is not None:
        info = grid([Cell("Folio fiscal (UUID)", t.uuid, 2), Cell("Fecha de timbrado", t.fecha_timbrado),
                     Cell("No. de certificado del SAT", t.no_certificado_sat),
                     Cell("RFC del proveedor de certificación", t.rfc_prov_certif, 2)]
                    + ([Cell("Leyenda", t.leyenda, 2)] if t.leyenda else []), x - 3, width + 6, 4)  # fmt: skip
        parts.append((info.height, info.draw))
    parts.append(_mono("Sello digital del CFDI", inv.sello or "-", x, width))
    if t is not None:
        parts.append(_mono("Sello digital del SAT", t.sello_sat, x, width))
        parts.append(
            _mono(
                "Cadena original del complemento de certificación digital del SAT",
                t.cadena_original(),
                x,
                width,
            )
        )
    text_h = sum(h for h, _ in parts)

    def draw(c: Canvas, top: float) -> None:
        if t is not None and qr_url:
            draw_qr(c, qr_url, MARGIN + 6, top - 6 - QR_SIZE, QR_SIZE)
        y = top
        for h, part in parts:
            part(c, y)
            y -= h

    body = Block(max(text_h, QR_SIZE + 12 if t else 0) + 3, draw)
    return section("TIMBRE FISCAL DIGITAL" if t else "SELLO DIGITAL", body, theme)


def body_blocks(inv: Invoice, describe: Describe, theme: Theme, qr_url: str | None) -> list[Block]:
    blocks = [receptor_block(inv, describe, theme), comprobante_block(inv, describe, theme)]
    if inv.relacionados:
        blocks.append(relacionados_block(inv, describe, theme))
    for con in inv.conceptos:
        blocks += concepto_blocks(con, describe)
    blocks.append(Block(GAP, lambda c, top: None))
    blocks.append(totals_block(inv, theme))
    seal = seal_block(inv, theme, qr_url)
    return [*blocks, seal] if seal else blocks


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
    _lines(c, lines, MARGIN, y, 8, F, 6.5, GRAY)
    c.drawRightString(PAGE_W - MARGIN, y, f"Página {number} de {total}")


def draw_invoice(inv: Invoice, *, describe: Describe, color: str, logo: ImageReader | None, footer: str | None,
                 draft_watermark: str | None, sandbox: bool, qr_url: str | None) -> bytes:  # fmt: skip
    """Lay out and draw the whole document; returns the PDF bytes."""
    theme = Theme.from_hex(color)
    first = first_header(inv, describe, theme, logo, draft=draft_watermark is not None)
    later = later_header(inv, theme, draft=draft_watermark is not None)
    banners = [text for text in (SANDBOX_LEGEND if sandbox else "", draft_watermark or "") if text]
    foot = [LEGEND] + (wrap(footer, F, 6.5, CONTENT_W - 70) if footer else [])
    body = body_blocks(inv, describe, theme, qr_url)
    marks_h = 18.0 * len(banners)
    pages = paginate(body, TOP - first.height - marks_h, TOP - later.height - marks_h,
                     MARGIN + 8 * len(foot) + 10, table_header(theme))  # fmt: skip
    buffer = BytesIO()
    # Binary (zlib only) streams: reportlab's pure-Python ASCII85 wrapper cost ~3 ms per page.
    rl_config.useA85 = 0
    c = Canvas(buffer, pagesize=letter, invariant=1, pageCompression=1)
    c.setTitle(pdf_text(f"CFDI {inv.timbre.uuid if inv.timbre else inv.serie + inv.folio}"))
    c.setCreator("Timbra")
    for number, placed in enumerate(pages, start=1):
        header = first if number == 1 else later
        header.draw(c, TOP)
        draw_banners(c, banners, TOP - header.height)
        for y, block in placed:
            block.draw(c, y)
        draw_footer(c, foot, number, len(pages))
        if draft_watermark:
            draw_watermark(c, draft_watermark)
        c.showPage()
    c.save()
    return buffer.getvalue()
