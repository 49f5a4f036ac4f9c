"""Build and seal a CFDI de Pagos (type P with Complemento de Pago 2.0, the "REP") with satcfdi.

Amounts come from `domain.payments.compute_pagos` (the one truth). satcfdi only serialises
them: its own `pago20.Pagos` would overwrite Monto with the unrounded sum of ImpPagado /
EquivalenciaDR, sum ImpuestosP without dividing by EquivalenciaDR (wrong for any foreign
currency) and leave Totales unrounded, and `Comprobante.pago_comprobantes` copies the
Pagos 1.0 key MetodoDePagoDR into each DoctoRelacionado (reference/cfdi.md gotcha 7). So
the Pagos node is handed over finished, and after serialising we read every amount back
from the XML and compare it with the domain's (`CfdiTotalsMismatch` if satcfdi ever writes
something else), as `cfdi.build` does for invoices.

The Comprobante itself is satcfdi's `Comprobante.pago`: Moneda XXX, SubTotal 0, Total 0,
Exportacion 01, one Concepto 84111506 / ACT / "Pago" with ValorUnitario 0 and ObjetoImp 01,
and the receptor's UsoCFDI forced to CP01 (Anexo 20, Guía de llenado del CFDI de pagos).
Fresh node dicts per call: satcfdi keeps references to them (gotcha 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from lxml import etree
from satcfdi.cfdi import CFDI
from satcfdi.create.cfd import cfdi40, pago20
from satcfdi.models import Signer

from timbra.cfdi.build import CfdiTotalsMismatch
from timbra.cfdi.xml import CFDI_NS, PAGOS_NS, cadena_original
from timbra.domain.draft import Emisor, Receptor
from timbra.domain.payments import (
    DoctoRelacionadoAmounts,
    PagoAmounts,
    PagosAmounts,
    Payment,
    compute_pagos,
    fecha_pago_local,
)
from timbra.domain.taxes import TaxLine

USO_CFDI_PAGOS = "CP01"  # c_UsoCFDI "Pagos": the only use a type-P CFDI accepts


class _PagosNode(CFDI):
    """satcfdi's pago20:Pagos element, holding amounts it does not compute."""

    tag = pago20.Pagos.tag


@dataclass(frozen=True)
class SealedPago:
    """A signed, not yet stamped, CFDI de Pagos: the exact bytes to send to the PAC."""

    xml: bytes
    sello: str
    no_certificado: str
    cadena_original: str
    amounts: PagosAmounts


def _tax_dr(line: TaxLine) -> dict[str, Any]:
    node_type = pago20.RetencionDR if line.retencion else pago20.TrasladoDR
    return node_type(
        base_dr=line.base,
        impuesto_dr=line.impuesto,
        tipo_factor_dr=line.tipo_factor,
        tasa_o_cuota_dr=line.tasa_o_cuota,
        importe_dr=line.importe,
    )


def _docto(dr: DoctoRelacionadoAmounts) -> pago20.DoctoRelacionado:
    document = dr.document
    impuestos = None
    if dr.traslados_dr or dr.retenciones_dr:
        impuestos = pago20.ImpuestosDR(
            retenciones_dr=[_tax_dr(r) for r in dr.retenciones_dr] or None,
            traslados_dr=[_tax_dr(t) for t in dr.traslados_dr] or None,
        )
    node = pago20.DoctoRelacionado(
        id_documento=document.uuid,
        serie=document.serie,
        folio=document.folio,
        moneda_dr=document.moneda_dr,
        equivalencia_dr=dr.equivalencia_dr,
        num_parcialidad=document.num_parcialidad,
        imp_saldo_ant=dr.imp_saldo_ant,
        imp_pagado=dr.imp_pagado,
        objeto_imp_dr=document.objeto_imp_dr,
        impuestos_dr=impuestos,
    )
    node["ImpSaldoInsoluto"] = dr.imp_saldo_insoluto  # pago20.Pagos would compute it; we do
    return node


def _impuestos_p(pago: PagoAmounts) -> dict[str, Any] | None:
    impuestos: dict[str, Any] = {}
    if pago.retenciones_p:
        impuestos["RetencionesP"] = [
            {"ImpuestoP": r.impuesto, "ImporteP": r.importe} for r in pago.retenciones_p
        ]
    if pago.traslados_p:
        impuestos["TrasladosP"] = [
            {
                "BaseP": t.base,
                "ImpuestoP": t.impuesto,
                "TipoFactorP": t.tipo_factor,
                "TasaOCuotaP": t.tasa_o_cuota,
                "ImporteP": t.importe,
            }
            for t in pago.traslados_p
        ]
    return impuestos or None


def _pago(pago: PagoAmounts, tz: tzinfo | None) -> pago20.Pago:
    payment = pago.payment
    node = pago20.Pago(
        fecha_pago=fecha_pago_local(payment.fecha_pago, tz),
        forma_de_pago_p=payment.forma_de_pago_p,
        moneda_p=payment.moneda_p,
        monto=pago.monto,
        tipo_cambio_p=pago.tipo_cambio_p,
        num_operacion=payment.num_operacion,
        docto_relacionado=[_docto(dr) for dr in pago.documentos],
    )
    node["ImpuestosP"] = _impuestos_p(pago)
    return node


def _pagos_node(amounts: PagosAmounts, tz: tzinfo | None) -> _PagosNode:
    return _PagosNode(
        {
            "Version": pago20.Pagos.version,
            "Totales": dict(amounts.totales.attributes()),
            "Pago": [_pago(p, tz) for p in amounts.pagos],
        }
    )


def _comprobante(
    amounts: PagosAmounts,
    emisor: Emisor,
    receptor: Receptor,
    lugar_expedicion: str,
    serie: str | None,
    folio: str | None,
    fecha: datetime,
    tz: tzinfo | None,
) -> cfdi40.Comprobante:
    if fecha.tzinfo is not None:
        # Anexo 20: Fecha is the local time where the CFDI is issued, without offset.
        raise ValueError("La fecha del comprobante debe ser hora local sin zona horaria")
    return cfdi40.Comprobante.pago(
        emisor=cfdi40.Emisor(rfc=emisor.rfc, nombre=emisor.nombre, regimen_fiscal=emisor.regimen_fiscal),
        lugar_expedicion=lugar_expedicion,
        receptor=cfdi40.Receptor(
            rfc=receptor.rfc,
            nombre=receptor.nombre,
            domicilio_fiscal_receptor=receptor.domicilio_fiscal_receptor,
            regimen_fiscal_receptor=receptor.regimen_fiscal_receptor,
            uso_cfdi=USO_CFDI_PAGOS,
            residencia_fiscal=receptor.residencia_fiscal,
            num_reg_id_trib=receptor.num_reg_id_trib,
        ),
        complemento_pago=_pagos_node(amounts, tz),
        serie=serie,
        folio=folio,
        fecha=fecha.replace(microsecond=0),
    )


# --- read back what was written ----------------------------------------------------------------


def _expected(amounts: PagosAmounts) -> dict[str, Decimal]:
    """Every amount the XML must carry, keyed by where it is written."""
    expected = {f"Totales@{name}": value for name, value in amounts.totales.attributes().items()}
    for i, pago in enumerate(amounts.pagos):
        expected |= {f"Pago[{i}]@Monto": pago.monto, f"Pago[{i}]@TipoCambioP": pago.tipo_cambio_p}
        for j, dr in enumerate(pago.documentos):
            key = f"Pago[{i}]/DoctoRelacionado[{j}]"
            expected |= {
                f"{key}@ImpSaldoAnt": dr.imp_saldo_ant,
                f"{key}@ImpPagado": dr.imp_pagado,
                f"{key}@ImpSaldoInsoluto": dr.imp_saldo_insoluto,
                f"{key}@EquivalenciaDR": dr.equivalencia_dr,
            }
            for k, tax in enumerate((*dr.retenciones_dr, *dr.traslados_dr)):
                expected[f"{key}/Impuesto[{k}]@BaseDR"] = tax.base
                if tax.importe is not None:
                    expected[f"{key}/Impuesto[{k}]@ImporteDR"] = tax.importe
        for k, r in enumerate(pago.retenciones_p):
            expected[f"Pago[{i}]/RetencionP[{k}]@ImporteP"] = r.importe
        for k, t in enumerate(pago.traslados_p):
            expected[f"Pago[{i}]/TrasladoP[{k}]@BaseP"] = t.base
            if t.importe is not None:
                expected[f"Pago[{i}]/TrasladoP[{k}]@ImporteP"] = t.importe
    return expected


_AMOUNT_ATTRIBUTES = frozenset(
    {"Monto", "TipoCambioP", "ImpSaldoAnt", "ImpPagado", "ImpSaldoInsoluto", "EquivalenciaDR"}
    | {"BaseDR", "ImporteDR", "BaseP", "ImporteP"}
)


def _written(pagos: etree._Element) -> dict[str, Decimal]:
    def p(tag: str) -> str:
        return f"{{{PAGOS_NS}}}{tag}"

    written = {f"Totales@{k}": Decimal(v) for k, v in pagos.find(p("Totales")).attrib.items()}
    for i, pago in enumerate(pagos.iterfind(p("Pago"))):
        nodes = [(f"Pago[{i}]", pago)]
        for j, dr in enumerate(pago.iterfind(p("DoctoRelacionado"))):
            nodes.append((f"Pago[{i}]/DoctoRelacionado[{j}]", dr))
            taxes = [*dr.iterfind(f"{p('ImpuestosDR')}/*/*")]
            nodes += [(f"Pago[{i}]/DoctoRelacionado[{j}]/Impuesto[{k}]", t) for k, t in enumerate(taxes)]
        for name in ("RetencionP", "TrasladoP"):
            nodes += [(f"Pago[{i}]/{name}[{k}]", el) for k, el in enumerate(pago.iter(p(name)))]
        for key, node in nodes:
            written |= {f"{key}@{a}": Decimal(v) for a, v in node.attrib.items() if a in _AMOUNT_ATTRIBUTES}
    return written


def _check_written(root: etree._Element, amounts: PagosAmounts) -> None:
    pagos = root.find(f"{{{CFDI_NS}}}Complemento/{{{PAGOS_NS}}}Pagos")
    written = _written(pagos)
    written |= {f"Comprobante@{a}": Decimal(root.get(a, "")) for a in ("SubTotal", "Total")}
    expected = _expected(amounts) | {"Comprobante@SubTotal": Decimal(0), "Comprobante@Total": Decimal(0)}
    wrong = {k: (written.get(k), v) for k, v in expected.items() if written.get(k) != v}
    wrong |= {k: (v, None) for k, v in written.items() if k not in expected}
    if wrong:
        raise CfdiTotalsMismatch(f"satcfdi y domain.payments difieren: {wrong}")


def build_pago(
    payments: Payment | Sequence[Payment],
    emisor: Emisor,
    receptor: Receptor,
    lugar_expedicion: str,
    serie: str | None,
    folio: str | None,
    fecha: datetime,
    signer: Signer,
    *,
    tz: tzinfo | None = None,
) -> SealedPago:
    """Build and sign the REP for `payments` (one pago20:Pago each), to persist before the PAC.

    `fecha` is the naive local time of issue at `lugar_expedicion`; `tz` expresses an aware
    FechaPago in local time (the org's zone). Raises `domain.payments.PaymentError` when the
    payment data contradict each other.
    """
    amounts = compute_pagos([payments] if isinstance(payments, Payment) else list(payments))
    comprobante = _comprobante(amounts, emisor, receptor, lugar_expedicion, serie, folio, fecha, tz)
    comprobante["NoCertificado"] = signer.certificate_number
    comprobante["Certificado"] = signer.certificate_base64()
    root = comprobante.to_xml(include_schema_location=True)
    _check_written(root, amounts)
    cadena = cadena_original(root)
    sello = signer.sign_sha256(cadena.encode("utf-8"))
    root.set("Sello", sello)
    return SealedPago(
        xml=etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
        sello=sello,
        no_certificado=signer.certificate_number,
        cadena_original=cadena,
        amounts=amounts,
    )
