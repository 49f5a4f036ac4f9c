"""The Complemento de Pago 2.0 (REP) on the representación impresa of a CFDI tipo P.

A REP's own Comprobante says almost nothing (one "Pago" concepto, Total 0, Moneda XXX): what the
customer and the accountant need is inside pago20:Pagos. `parse_pagos` reads it into a small read
model (amounts as the XML's strings, like `pdf.parse_cfdi`), and `pagos_blocks` lays it out with
`pdf_layout`'s primitives: per Pago its data (FechaPago, FormaDePagoP, MonedaP, TipoCambioP, Monto,
NumOperacion), one section per DoctoRelacionado (UUID, serie/folio, parcialidad, saldos,
ObjetoImpDR, ImpuestosDR), its ImpuestosP, and the complement's Totales.
One block per related document, so a payment of many invoices flows over pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from timbra.cfdi.pdf_layout import (
    CONTENT_W,
    IMPUESTOS,
    MARGIN,
    Block,
    Cell,
    Describe,
    Theme,
    grid,
    money,
    rate,
    section,
)
from timbra.cfdi.xml import CFDI_NS, PAGOS_NS

_P = f"{{{PAGOS_NS}}}"
# Optional bank data of a Pago (Anexo 20, Pagos 2.0), printed only when present.
_BANK = (("RfcEmisorCtaOrd", "RFC del banco ordenante"), ("NomBancoOrdExt", "Banco ordenante extranjero"),
         ("CtaOrdenante", "Cuenta ordenante"), ("RfcEmisorCtaBen", "RFC del banco beneficiario"),
         ("CtaBeneficiario", "Cuenta beneficiaria"), ("TipoCadPago", "Tipo de cadena de pago"))  # fmt: skip
# pago20:Totales attributes, in the XSD's order, with what a person reads.
_TOTALES = (
    ("TotalRetencionesIVA", "Total de retenciones de IVA"), ("TotalRetencionesISR", "Total de retenciones de ISR"),
    ("TotalRetencionesIEPS", "Total de retenciones de IEPS"),
    ("TotalTrasladosBaseIVA16", "Base de traslados de IVA 16%"), ("TotalTrasladosImpuestoIVA16", "IVA trasladado 16%"),
    ("TotalTrasladosBaseIVA8", "Base de traslados de IVA 8%"), ("TotalTrasladosImpuestoIVA8", "IVA trasladado 8%"),
    ("TotalTrasladosBaseIVA0", "Base de traslados de IVA 0%"), ("TotalTrasladosImpuestoIVA0", "IVA trasladado 0%"),
    ("TotalTrasladosBaseIVAExento", "Base de traslados exentos de IVA"),
    ("MontoTotalPagos", "Monto total de los pagos"),
)  # fmt: skip


@dataclass(frozen=True)
class PagoTax:
    """A TrasladoDR/RetencionDR or TrasladoP/RetencionP, the "DR"/"P" suffix dropped."""

    retencion: bool
    impuesto: str
    tipo_factor: str
    tasa_o_cuota: str
    base: str
    importe: str


@dataclass(frozen=True)
class DoctoRelacionado:
    id_documento: str
    serie: str
    folio: str
    moneda_dr: str
    equivalencia_dr: str
    num_parcialidad: str
    imp_saldo_ant: str
    imp_pagado: str
    imp_saldo_insoluto: str
    objeto_imp_dr: str
    taxes: tuple[PagoTax, ...]


@dataclass(frozen=True)
class Pago:
    fecha_pago: str
    forma_de_pago_p: str
    moneda_p: str
    tipo_cambio_p: str
    monto: str
    num_operacion: str
    bank: tuple[tuple[str, str], ...]  # (label, value) of the optional bank data present
    documentos: tuple[DoctoRelacionado, ...]
    taxes: tuple[PagoTax, ...]  # ImpuestosP


@dataclass(frozen=True)
class Pagos:
    totales: tuple[tuple[str, str], ...]  # (label, amount) in the XSD's order
    pagos: tuple[Pago, ...]


def parse_pagos(root: etree._Element) -> Pagos | None:
    """The pago20:Pagos of a parsed CFDI, or None when it has none. A missing required
    attribute raises KeyError, which `pdf.parse_cfdi` turns into a PdfRenderError."""
    node = root.find(f"{{{CFDI_NS}}}Complemento/{_P}Pagos")
    if node is None:
        return None
    totales = node.find(f"{_P}Totales")
    attrs = totales.attrib if totales is not None else {}
    return Pagos(
        totales=tuple((label, attrs[name]) for name, label in _TOTALES if name in attrs),
        pagos=tuple(_pago(p) for p in node.iterfind(f"{_P}Pago")),
    )


def _req(node: etree._Element, name: str) -> str:
    value = node.get(name)
    if value is None:
        raise KeyError(f"pago20:{etree.QName(node).localname}@{name}")
    return value


def _taxes(node: etree._Element | None, suffix: str) -> tuple[PagoTax, ...]:
    if node is None:
        return ()
    found = []
    for kind, retencion in (("Retenciones", True), ("Traslados", False)):
        for tax in node.iterfind(f"{_P}{kind}{suffix}/{_P}{kind[:-2] if retencion else kind[:-1]}{suffix}"):
            found.append(PagoTax(
                retencion=retencion, impuesto=_req(tax, f"Impuesto{suffix}"),
                tipo_factor=tax.get(f"TipoFactor{suffix}", ""), tasa_o_cuota=tax.get(f"TasaOCuota{suffix}", ""),
                base=tax.get(f"Base{suffix}", ""), importe=tax.get(f"Importe{suffix}", ""),
            ))  # fmt: skip
    return tuple(found)


def _docto(node: etree._Element) -> DoctoRelacionado:
    return DoctoRelacionado(
        id_documento=_req(node, "IdDocumento"), serie=node.get("Serie", ""), folio=node.get("Folio", ""),
        moneda_dr=_req(node, "MonedaDR"), equivalencia_dr=node.get("EquivalenciaDR", ""),
        num_parcialidad=_req(node, "NumParcialidad"), imp_saldo_ant=_req(node, "ImpSaldoAnt"),
        imp_pagado=_req(node, "ImpPagado"), imp_saldo_insoluto=_req(node, "ImpSaldoInsoluto"),
        objeto_imp_dr=_req(node, "ObjetoImpDR"), taxes=_taxes(node.find(f"{_P}ImpuestosDR"), "DR"),
    )  # fmt: skip


def _pago(node: etree._Element) -> Pago:
    return Pago(
        fecha_pago=_req(node, "FechaPago"), forma_de_pago_p=_req(node, "FormaDePagoP"),
        moneda_p=_req(node, "MonedaP"), tipo_cambio_p=node.get("TipoCambioP", ""), monto=_req(node, "Monto"),
        num_operacion=node.get("NumOperacion", ""),
        bank=tuple((label, node.get(name, "")) for name, label in _BANK if node.get(name)),
        documentos=tuple(_docto(d) for d in node.iterfind(f"{_P}DoctoRelacionado")),
        taxes=_taxes(node.find(f"{_P}ImpuestosP"), "P"),
    )  # fmt: skip


# --- layout ------------------------------------------------------------------------------------


def tax_text(tax: PagoTax) -> str:
    """'Traslado IVA (002) Tasa 16% · Base 499.500000 · Importe 79.920000', amounts as in the XML."""
    kind = "Retención" if tax.retencion else "Traslado"
    name = IMPUESTOS.get(tax.impuesto, tax.impuesto)
    factor = {"Exento": " · Exento", "Cuota": f" · Cuota {tax.tasa_o_cuota}", "": ""}.get(
        tax.tipo_factor, f" · {tax.tipo_factor} {rate(tax.tasa_o_cuota)}"
    )
    base = f" · Base {money(tax.base)}" if tax.base else ""
    importe = f" · Importe {money(tax.importe)}" if tax.importe else ""
    return f"{kind} {name} ({tax.impuesto}){factor}{base}{importe}"


def _pago_cells(pago: Pago, describe: Describe) -> list[Cell]:
    cells = [
        Cell("Fecha de pago", pago.fecha_pago), Cell("Forma de pago", describe("c_FormaPago", pago.forma_de_pago_p)),
        Cell("Moneda del pago", describe("c_Moneda", pago.moneda_p)), Cell("Tipo de cambio", pago.tipo_cambio_p),
        Cell("Monto", _amount(pago.monto, pago.moneda_p)),
        Cell("Número de operación", pago.num_operacion, 3),
    ]  # fmt: skip
    cells += [Cell(label, value, 2) for label, value in pago.bank]
    return cells + _tax_cells("Impuestos del pago (ImpuestosP)", pago.taxes)


def _tax_cells(label: str, taxes: Sequence[PagoTax]) -> list[Cell]:
    """One heading over every tax line (it used to repeat once per tax)."""
    return [Cell(label if i == 0 else "", tax_text(t), 4) for i, t in enumerate(taxes)]


def _amount(value: str, moneda: str) -> str:
    """'$1,000.00 USD': the currency always beside the sign (a USD REP showed a bare '$')."""
    return f"${money(value)} {moneda}"


def _docto_cells(dr: DoctoRelacionado, describe: Describe) -> list[Cell]:
    cells = [
        Cell("Folio fiscal (IdDocumento)", dr.id_documento, 2),
        Cell("Serie y folio", "-".join(p for p in (dr.serie, dr.folio) if p)),
        Cell("Núm. de parcialidad", dr.num_parcialidad),
        Cell("Moneda del documento", describe("c_Moneda", dr.moneda_dr)), Cell("Equivalencia", dr.equivalencia_dr),
        Cell("Objeto de impuesto", describe("c_ObjetoImp", dr.objeto_imp_dr), 2),
        Cell("Saldo anterior", _amount(dr.imp_saldo_ant, dr.moneda_dr)),
        Cell("Importe pagado", _amount(dr.imp_pagado, dr.moneda_dr)),
        Cell("Saldo insoluto", _amount(dr.imp_saldo_insoluto, dr.moneda_dr)),
    ]  # fmt: skip
    return cells + _tax_cells("Impuestos del documento (ImpuestosDR)", dr.taxes)


def pagos_blocks(pagos: Pagos, describe: Describe, theme: Theme) -> list[Block]:
    """Each Pago, then each of its related documents, then the Totales; every one a framed section."""
    blocks = []
    many = len(pagos.pagos) > 1
    for i, pago in enumerate(pagos.pagos, start=1):
        title = f"COMPLEMENTO DE PAGO: PAGO {i}" if many else "COMPLEMENTO DE PAGO: DATOS DEL PAGO"
        blocks.append(section(title, grid(_pago_cells(pago, describe), MARGIN, CONTENT_W, 4), theme))
        for j, dr in enumerate(pago.documentos, start=1):
            blocks.append(section(f"DOCUMENTO RELACIONADO {j} DE {len(pago.documentos)}" + (f" (PAGO {i})" if many else ""),
                                  grid(_docto_cells(dr, describe), MARGIN, CONTENT_W, 4), theme))  # fmt: skip
    if pagos.totales:
        # Pagos 2.0: the Totales are always in MXN, whatever the payments' currency.
        cells = [Cell(label, _amount(amount, "MXN")) for label, amount in pagos.totales]
        blocks.append(section("TOTALES DEL COMPLEMENTO DE PAGO", grid(cells, MARGIN, CONTENT_W, 4), theme))
    return blocks
