"""The representación impresa's content: headers, the conceptos table, receptor, comprobante,
relacionados, totals and timbre sections, and the page assembly (`draw_invoice`).

The drawing primitives (text that WinAnsi can show, wrapping, blocks, pagination, the QR) live in
`pdf_layout`; this module decides what goes where.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import TYPE_CHECKING

from reportlab import rl_config
from reportlab.lib.colors import black
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from timbra.cfdi.amount_words import amount_in_words
from timbra.cfdi.pdf_layout import (
    COLUMNS,
    CONTENT_W,
    FB,
    GAP,
    GRAY,
    IMPUESTOS,
    LEGEND,
    MARGIN,
    METODOS,
    MONO,
    PAGE_W,
    QR_SIZE,
    RULE,
    TIPOS,
    TOP,
    Block,
    Cell,
    Describe,
    F,
    Theme,
    draw_banners,
    draw_footer,
    draw_lines,
    draw_qr,
    draw_string,
    draw_watermark,
    grid,
    money,
    paginate,
    pdf_text,
    rate,
    section,
    wrap,
    wrap_mono,
)
from timbra.cfdi.pdf_pagos import pagos_blocks
from timbra.cfdi.sandbox_pac import SANDBOX_LEYENDA as SANDBOX_LEGEND

if TYPE_CHECKING:
    from reportlab.lib.utils import ImageReader

    from timbra.cfdi.pdf import Concepto, Invoice, Tax

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
        draw_lines(c, name, MARGIN, top - top_pad - 9, 12, FB, 10, theme.brand)
        draw_lines(c, detail_lines, MARGIN, top - top_pad - 12 * len(name) - 7, 9, F, 7.5, black)
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



def later_header(inv: Invoice, theme: Theme, *, draft: bool) -> Block:
    """Pages 2..n: who issued it and which CFDI this page belongs to."""
    serie_folio = "-".join(p for p in (inv.serie, inv.folio) if p)
    right = [f"Serie y folio: {serie_folio}"]
    right += [f"Folio fiscal: {inv.timbre.uuid}"] if inv.timbre and not draft else []
    name = wrap(inv.emisor.nombre, FB, 9, CONTENT_W - 220)[0]

    def draw(c: Canvas, top: float) -> None:
        draw_lines(c, [name], MARGIN, top - 9, 11, FB, 9, theme.brand)
        draw_lines(c, [f"RFC: {inv.emisor.rfc}"], MARGIN, top - 20, 9, F, 7.5, black)
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
                    draw_string(c, x + 2, top - 8 - 7 * i, line)
            x += width

    return Block(height, draw)


def _unidad(clave: str, unidad: str, width: float) -> list[str]:
    """The c_ClaveUnidad description, then the Unidad unless it only repeats it (an Egreso's
    "ACT Actividad" printed "Actividad" twice)."""
    lines = wrap(clave, F, 7, width)
    if unidad and unidad.casefold() not in clave.casefold():
        lines += wrap(unidad, F, 7, width)
    return lines


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
        _unidad(describe("c_ClaveUnidad", con.clave_unidad), con.unidad, w[2]),
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
                    draw_string(c, x + 2, top - 10 - 8.5 * i, line)
            x += width
        tax_x = MARGIN + sum(width for _, width, _ in COLUMNS[:3]) + 2
        draw_lines(c, taxes, tax_x, top - 4 - text_h - 5.5, 7.5, F, 6, GRAY)
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
        draw_lines(c, ["IMPORTE CON LETRA"], MARGIN + 3, top - 8, 9, FB, 6, GRAY)
        draw_lines(c, word_lines, MARGIN + 3, top - 17, 9, FB, 7.5, black)
        x = PAGE_W - MARGIN - box_w
        for i, (label, value) in enumerate(rows):
            draw_lines(c, [pdf_text(label)], x + 4, top - 9 - 12 * i, 0, F, 7.5, black)
            c.drawRightString(PAGE_W - MARGIN - 4, top - 9 - 12 * i, pdf_text(value))
        y = top - 12 * len(rows) - 2
        c.setFillColor(theme.brand)
        c.rect(x, y - 14, box_w, 14, stroke=0, fill=1)
        draw_lines(c, [f"Total {pdf_text(inv.moneda)}"], x + 4, y - 10, 0, FB, 8.5, theme.on_brand)
        c.drawRightString(PAGE_W - MARGIN - 4, y - 10, f"${money(inv.total)}")

    return Block(height, draw)


def _mono(label: str, value: str, x: float, width: float) -> tuple[float, Callable[[Canvas, float], None]]:
    lines = wrap_mono(value, 5.6, width)

    def draw(c: Canvas, top: float) -> None:
        draw_lines(c, [pdf_text(label)], x, top - 7, 0, FB, 6, GRAY)
        draw_lines(c, lines, x, top - 13.5, 6.4, MONO, 5.6, black)

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
    blocks += pagos_blocks(inv.pagos, describe, theme) if inv.pagos else []
    seal = seal_block(inv, theme, qr_url)
    return [*blocks, seal] if seal else blocks


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
