"""The paid invoice as its stamped CFDI states it: the source of a REP's DoctoRelacionado.

The REP must restate the original CFDI (its UUID, currency, Total and tax bases) — not what
our rows say today. So the stamped XML is read, not the invoice lines: a product price, a tax
preset or a rounding rule changed since the invoice was issued cannot change a REP.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from timbra.cfdi.xml import CFDI_NS, TFD_TAG, parse_xml
from timbra.domain.payments import OBJETO_IMP_DESGLOSE, PaidDocument
from timbra.domain.taxes import TaxLine
from timbra.invoicing.models import Invoice, InvoiceDocument

OBJETO_IMP_NO_OBJETO = "01"
_C = f"{{{CFDI_NS}}}"


def stamped_xml_of(invoice: Invoice) -> bytes:
    """The invoice's stamped CFDI bytes (the invoice must be stamped)."""
    xml = InvoiceDocument.objects.filter(invoice=invoice).values_list("stamped_xml", flat=True).first()
    if not xml:
        raise ValueError(f"invoice {invoice.pk} has no stamped XML")
    return bytes(xml)


def paid_document(stamped_xml: bytes, *, imp_saldo_ant: Decimal, num_parcialidad: int) -> PaidDocument:
    """The `PaidDocument` of a stamped Ingreso, for its parcialidad `num_parcialidad`."""
    root = parse_xml(stamped_xml)
    tfd = root.find(f"{_C}Complemento/{TFD_TAG}")
    if tfd is None:
        raise ValueError("the CFDI is not stamped (no TimbreFiscalDigital)")
    conceptos = root.findall(f"{_C}Conceptos/{_C}Concepto")
    taxes = _grouped_taxes(conceptos)
    return PaidDocument(
        uuid=str(tfd.get("UUID")).upper(),
        moneda_dr=str(root.get("Moneda")),
        total=Decimal(str(root.get("Total"))),
        imp_saldo_ant=imp_saldo_ant,
        num_parcialidad=num_parcialidad,
        objeto_imp_dr=_objeto_imp_dr(conceptos, taxes),
        taxes=taxes,
        serie=root.get("Serie"),
        folio=root.get("Folio"),
    )


def _objeto_imp_dr(conceptos: list[etree._Element], taxes: tuple[TaxLine, ...]) -> str:
    # Guía de llenado (pagos 2.0): ObjetoImpDR "02" when the document broke down taxes; else the
    # conceptos' common key (e.g. 03 or 04), or "01" No objeto de impuesto.
    if taxes:
        return OBJETO_IMP_DESGLOSE
    keys = {c.get("ObjetoImp") for c in conceptos}
    return str(keys.pop()) if len(keys) == 1 and None not in keys else OBJETO_IMP_NO_OBJETO


def _grouped_taxes(conceptos: list[etree._Element]) -> tuple[TaxLine, ...]:
    """The conceptos' traslados and retenciones grouped by (impuesto, tipo factor, tasa), with
    Base and Importe summed, as `domain.payments.document_taxes` groups an `InvoiceTotals`
    (the Comprobante-level summary has no Base for retenciones, so the conceptos are read)."""
    groups: dict[tuple[bool, str, str, Decimal | None], TaxLine] = {}
    for concepto in conceptos:
        for retencion, path in ((False, "Traslados/cfdi:Traslado"), (True, "Retenciones/cfdi:Retencion")):
            for node in concepto.iterfind(f"cfdi:Impuestos/cfdi:{path}", {"cfdi": CFDI_NS}):
                line = _tax_line(node, retencion)
                key = (retencion, line.impuesto, line.tipo_factor, line.tasa_o_cuota)
                prev = groups.get(key)
                if prev is not None:
                    importe = None if line.importe is None else (prev.importe or Decimal(0)) + line.importe
                    line = TaxLine(*key[1:], base=prev.base + line.base, importe=importe, retencion=retencion)
                groups[key] = line
    return tuple(groups.values())


def _tax_line(node: etree._Element, retencion: bool) -> TaxLine:
    tasa, importe = node.get("TasaOCuota"), node.get("Importe")
    return TaxLine(
        impuesto=str(node.get("Impuesto")),
        tipo_factor=str(node.get("TipoFactor")),
        tasa_o_cuota=None if tasa is None else Decimal(tasa),
        base=Decimal(str(node.get("Base"))),
        importe=None if importe is None else Decimal(importe),
        retencion=retencion,
    )
