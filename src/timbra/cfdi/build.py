"""Turn an `InvoiceDraft` into a signed CFDI 4.0 with satcfdi.

Amounts come from `domain.taxes.compute_totals` (the one truth): each traslado and
retención is handed to satcfdi with its Base and Importe already computed, and after
satcfdi has summed everything we check its SubTotal, Descuento, tax totals and Total
against ours, so a satcfdi upgrade that changes its arithmetic fails loudly instead of
stamping different numbers.

satcfdi keeps references to the node dicts it is given and mutates them while computing
(reference/cfdi.md gotcha 2), so every node is created fresh here, per invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from lxml import etree
from satcfdi.create.cfd import cfdi40
from satcfdi.models import Signer

from timbra.cfdi.xml import cadena_original
from timbra.domain.draft import Concepto, InvoiceDraft
from timbra.domain.taxes import ConceptoAmounts, InvoiceTotals, TaxLine, compute_totals


class CfdiTotalsMismatch(RuntimeError):
    """satcfdi computed an amount different from `domain.taxes` (a bug, never data)."""


@dataclass(frozen=True)
class SealedCfdi:
    """A signed, not yet stamped, Comprobante: the exact bytes to send to the PAC."""

    xml: bytes
    sello: str
    no_certificado: str
    cadena_original: str
    totals: InvoiceTotals

    @property
    def total(self) -> Decimal:
        return self.totals.total

    @property
    def sub_total(self) -> Decimal:
        return self.totals.sub_total


def _tax_node(line: TaxLine) -> cfdi40.Traslado | cfdi40.Retencion:
    node_type = cfdi40.Retencion if line.retencion else cfdi40.Traslado
    return node_type(
        impuesto=line.impuesto,
        tipo_factor=line.tipo_factor,
        tasa_o_cuota=line.tasa_o_cuota,
        importe=line.importe,
        base=line.base,
    )


def _concepto(concepto: Concepto, amounts: ConceptoAmounts) -> cfdi40.Concepto:
    impuestos = None
    if amounts.traslados or amounts.retenciones:
        impuestos = cfdi40.Impuestos(
            traslados=[_tax_node(t) for t in amounts.traslados] or None,
            retenciones=[_tax_node(r) for r in amounts.retenciones] or None,
        )
    return cfdi40.Concepto(
        clave_prod_serv=concepto.clave_prod_serv,
        cantidad=concepto.cantidad,
        clave_unidad=concepto.clave_unidad,
        descripcion=concepto.descripcion,
        valor_unitario=concepto.valor_unitario,
        objeto_imp=concepto.objeto_imp,
        no_identificacion=concepto.no_identificacion,
        unidad=concepto.unidad,
        descuento=amounts.descuento,
        impuestos=impuestos,
    )


def _new_comprobante(draft: InvoiceDraft, totals: InvoiceTotals) -> cfdi40.Comprobante:
    if draft.fecha.tzinfo is not None:
        # Anexo 20: Fecha is the local time where the CFDI is issued, without offset.
        raise ValueError("InvoiceDraft.fecha debe ser hora local sin zona horaria")
    emisor, receptor = draft.emisor, draft.receptor
    return cfdi40.Comprobante(
        emisor=cfdi40.Emisor(rfc=emisor.rfc, nombre=emisor.nombre, regimen_fiscal=emisor.regimen_fiscal),
        lugar_expedicion=draft.lugar_expedicion,
        receptor=cfdi40.Receptor(
            rfc=receptor.rfc,
            nombre=receptor.nombre,
            domicilio_fiscal_receptor=receptor.domicilio_fiscal_receptor,
            regimen_fiscal_receptor=receptor.regimen_fiscal_receptor,
            uso_cfdi=receptor.uso_cfdi,
            residencia_fiscal=receptor.residencia_fiscal,
            num_reg_id_trib=receptor.num_reg_id_trib,
        ),
        conceptos=[_concepto(c, a) for c, a in zip(draft.conceptos, totals.conceptos, strict=True)],
        moneda=draft.moneda,
        tipo_de_comprobante=draft.tipo_de_comprobante,
        exportacion=draft.exportacion,
        serie=draft.serie,
        folio=draft.folio,
        forma_pago=draft.forma_pago,
        condiciones_de_pago=draft.condiciones_de_pago,
        tipo_cambio=draft.tipo_cambio,
        metodo_pago=draft.metodo_pago,
        cfdi_relacionados=[
            cfdi40.CfdiRelacionados(tipo_relacion=r.tipo_relacion, cfdi_relacionado=list(r.uuids))
            for r in draft.cfdi_relacionados
        ]
        or None,
        informacion_global=_informacion_global(draft),
        fecha=draft.fecha.replace(microsecond=0),
    )


def _informacion_global(draft: InvoiceDraft) -> cfdi40.InformacionGlobal | None:
    info = draft.informacion_global
    if info is None:
        return None
    return cfdi40.InformacionGlobal(periodicidad=info.periodicidad, meses=info.meses, ano=info.año)


def _fmt(value: object) -> str | None:
    return None if value is None else f"{value:f}" if isinstance(value, Decimal) else str(value)


def _check_totals(comprobante: cfdi40.Comprobante, totals: InvoiceTotals) -> None:
    impuestos = comprobante.get("Impuestos") or {}
    pairs = {
        "SubTotal": (comprobante["SubTotal"], totals.sub_total),
        "Descuento": (comprobante.get("Descuento"), totals.descuento),
        "TotalImpuestosTrasladados": (
            impuestos.get("TotalImpuestosTrasladados"),
            totals.total_impuestos_trasladados,
        ),
        "TotalImpuestosRetenidos": (
            impuestos.get("TotalImpuestosRetenidos"),
            totals.total_impuestos_retenidos,
        ),
        "Total": (comprobante["Total"], totals.total),
    }
    for index, (node, amounts) in enumerate(zip(comprobante["Conceptos"], totals.conceptos, strict=True)):
        pairs[f"Concepto[{index}].Importe"] = (node["Importe"], amounts.importe)
    wrong = {name: pair for name, pair in pairs.items() if _fmt(pair[0]) != _fmt(pair[1])}
    if wrong:
        raise CfdiTotalsMismatch(f"satcfdi y domain.taxes difieren: {wrong}")


def _unsigned(draft: InvoiceDraft) -> tuple[cfdi40.Comprobante, InvoiceTotals]:
    totals = compute_totals(draft)
    # satcfdi rounds the concepto Importe with Python's round(), which follows the decimal
    # context: half up here, as domain.money and SAT's Guía de llenado round (issue 10).
    with localcontext(rounding=ROUND_HALF_UP):
        comprobante = _new_comprobante(draft, totals)
    _check_totals(comprobante, totals)
    return comprobante, totals


def build_comprobante(draft: InvoiceDraft, signer: Signer) -> cfdi40.Comprobante:
    """The satcfdi Comprobante for `draft`, signed with `signer` (a fresh object each call)."""
    comprobante, _ = _unsigned(draft)
    comprobante.sign(signer)
    return comprobante


def seal(draft: InvoiceDraft, signer: Signer) -> SealedCfdi:
    """Build and sign `draft`: the exact XML bytes to persist before calling the PAC.

    Serialises once: NoCertificado (part of the cadena original) and Certificado go into
    the tree, the cadena is taken from that same tree with SAT's XSLT, and the Sello is
    set on it before writing the bytes.
    """
    comprobante, totals = _unsigned(draft)
    comprobante["NoCertificado"] = signer.certificate_number
    comprobante["Certificado"] = signer.certificate_base64()
    root = comprobante.to_xml(include_schema_location=True)
    cadena = cadena_original(root)
    sello = signer.sign_sha256(cadena.encode("utf-8"))
    root.set("Sello", sello)
    comprobante["Sello"] = sello
    return SealedCfdi(
        xml=etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
        sello=sello,
        no_certificado=signer.certificate_number,
        cadena_original=cadena,
        totals=totals,
    )
