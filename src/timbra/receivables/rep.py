"""Build and sign the REP (CFDI type P, Complemento de Pago 2.0) of one recorded payment.

Called by `invoicing.seal.seal_invoice` for invoices of type "P"; from there on the REP goes
through the same pipeline as any CFDI (saved signed bytes → sandbox/real PAC → PDF → email).

What the REP states, and where it comes from:
* Receptor: the customer's CURRENT fiscal data (a REP held for a wrong CP goes out once the
  customer is corrected), with UsoCFDI CP01 (Guía de llenado del CFDI de pagos).
* Pago: the payment as recorded (FechaPago in the org's zone, FormaDePagoP, MonedaP,
  TipoCambioP, Monto, NumOperacion).
* DoctoRelacionado: NumParcialidad, ImpSaldoAnt and ImpPagado fixed when the payment was
  recorded; UUID, currency, Total and the tax bases read from the ORIGINAL stamped CFDI
  (`receivables.original`), never recomputed from today's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from satcfdi.models import Signer

from timbra.cfdi.build_pago import USO_CFDI_PAGOS, build_pago
from timbra.domain.draft import Emisor, Receptor
from timbra.domain.payments import DocumentPayment, Payment, PaymentError
from timbra.domain.taxpayer import Problem, is_generic_rfc, validate_fiscal_data
from timbra.invoicing.drafts import local_fecha, receptor_for
from timbra.invoicing.models import Invoice
from timbra.invoicing.seal import SealedDocument, receptor_snapshot
from timbra.receivables.allocation import Allocation
from timbra.receivables.models import ReceivedPayment
from timbra.receivables.original import paid_document, stamped_xml_of

_RECEPTOR_FIELDS = {
    "rfc": "receptor.rfc",
    "nombre": "receptor.nombre",
    "regimen_fiscal": "receptor.regimen_fiscal_receptor",
    "codigo_postal": "receptor.domicilio_fiscal_receptor",
    "uso_cfdi": "receptor.uso_cfdi",
}


def domain_payment(payment: ReceivedPayment, allocations: Sequence[Allocation]) -> Payment:
    """The pure `domain.payments.Payment` for a payment and its applications.

    Raises `PaymentError` when the amounts cannot be reported (record_payment checks this
    before anything is saved, so a REP is never created that could not be built)."""
    documents = tuple(
        DocumentPayment(
            document=paid_document(
                stamped_xml_of(a.invoice), imp_saldo_ant=a.imp_saldo_ant, num_parcialidad=a.num_parcialidad
            ),
            imp_pagado=a.imp_pagado,
            equivalencia_dr=_plain(a.equivalencia_dr),
        )
        for a in allocations
    )
    return Payment(
        fecha_pago=payment.fecha_pago,
        forma_de_pago_p=payment.forma_de_pago_p,
        moneda_p=payment.moneda_p,
        monto=payment.monto,
        documents=documents,
        tipo_cambio_p=_plain(payment.tipo_cambio_p),
        num_operacion=payment.num_operacion or None,
    )


def _plain(value: Decimal | None) -> Decimal | None:
    """Without the storage scale's trailing zeros ("17.500000" → "17.5", "18.0000000000" → "18"),
    as the caller wrote it; never in exponent notation."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def allocations_of(payment: ReceivedPayment) -> list[Allocation]:
    """The stored applications of `payment`, as the REP reports them."""
    return [
        Allocation(invoice=a.invoice, imp_pagado=a.imp_pagado, equivalencia_dr=a.equivalencia_dr,
                   imp_saldo_ant=a.imp_saldo_ant, num_parcialidad=a.num_parcialidad)
        for a in payment.applications.select_related("invoice").order_by("position")
    ]


def seal_rep(invoice: Invoice, signer: Signer, *, as_of: datetime) -> SealedDocument | list[Problem]:
    """The signed REP of the payment `invoice` reports, or the problems that hold it."""
    payment = ReceivedPayment.objects.get(rep_invoice=invoice)
    org = invoice.org
    fecha = local_fecha(as_of, org.timezone)
    receptor = receptor_for(invoice)
    problems = _receptor_problems(receptor, lugar_expedicion=org.lugar_expedicion, fecha=fecha)
    if problems:
        return problems
    try:
        sealed = build_pago(
            domain_payment(payment, allocations_of(payment)),
            Emisor(rfc=org.rfc, nombre=org.nombre, regimen_fiscal=org.regimen_fiscal),
            receptor,
            org.lugar_expedicion,
            invoice.serie or None,
            invoice.folio or None,
            fecha,
            signer,
            tz=ZoneInfo(org.timezone),
        )
    except PaymentError as exc:
        return [Problem("pago_invalido", exc.field or "pago", exc.message)]
    return SealedDocument(xml=sealed.xml, fecha=fecha, receptor=receptor_snapshot(receptor))


def _receptor_problems(receptor: Receptor, *, lugar_expedicion: str, fecha: datetime) -> list[Problem]:
    """The receptor checks a PAC applies (domain.taxpayer), for UsoCFDI CP01.

    A generic RFC normally needs S01; a REP always carries CP01, so that one rule is skipped."""
    problems = validate_fiscal_data(
        receptor.rfc, receptor.nombre, receptor.regimen_fiscal_receptor, receptor.domicilio_fiscal_receptor,
        USO_CFDI_PAGOS, lugar_expedicion=lugar_expedicion, as_of=fecha.date(),
    )
    if is_generic_rfc(receptor.rfc):
        problems = [p for p in problems if p.field != "uso_cfdi"]
    return [Problem(p.code, _RECEPTOR_FIELDS.get(p.field, p.field), p.message) for p in problems]
