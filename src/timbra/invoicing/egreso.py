"""The Egreso (nota de crédito) for an amount given back on a stamped Ingreso: what it states.

Shared by gateway refunds (payments/services/credit_notes.py) and hand-made credit notes
(invoicing/credit_note.py). The Egreso relates the Ingreso (TipoRelacion 01), for the amount split
over the Ingreso's lines so each tax keeps its proportion, with the Ingreso's forma de pago, PUE and
uso G02 (domain/credit_notes.py); its own Total, computed exactly as the XML will state it, is the
amount to the cent. `credited` on the Ingreso is the cap every path reserves against.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import models
from django.db.models import F, Value

from timbra.domain import credit_notes, tax_presets
from timbra.domain.money import round_amount, to_minor
from timbra.invoicing.create import prepare_invoice
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.invoicing.models import Invoice, InvoiceLine


def egreso_request(original: Invoice, amount: Decimal, *, label: str, source: str, source_id: str,
                   as_of: datetime, receipt_number: str | None = None) -> InvoiceInput:
    """The Egreso for `amount` against the stamped `original`, whose Total is `amount`. Against a
    factura global, `receipt_number` picks the conceptos of that receipt only."""
    rows = original.lines.all()
    lines = list(rows.filter(no_identificacion=receipt_number) if receipt_number else rows)
    # Weights are what each line cost the customer (base × net factor), so each line's base,
    # and so each of its taxes, shrinks by the same proportion.
    weights = [(line.importe - line.descuento) * _factor(line) for line in lines]
    shares = credit_notes.allocate(amount, weights)

    def build(trial: list[Decimal]) -> InvoiceInput:
        return _request(original, lines, trial, label=label, source=source, source_id=source_id)

    request = build(shares)
    if _total(original, request, as_of) == amount:
        return request
    # Each line's ValorUnitario comes from its share, and SAT's rounding moves a line's total in
    # steps (1 or 2 cents with IVA 16 %), so the split can miss the amount by a cent or two.
    # Nudge the two largest shares by a few cents (closest first) until the Egreso's own Total,
    # computed exactly as the XML will state it, is what was given back.
    largest = sorted(range(len(shares)), key=lambda i: shares[i], reverse=True)[:2]
    steps = sorted(range(-3, 4), key=abs)
    nudges = sorted(((a, b) for a in steps for b in (steps if len(largest) > 1 else [0])),
                    key=lambda pair: abs(pair[0]) + abs(pair[1]))
    for nudge in nudges[1:]:
        trial = list(shares)
        for index, cents in zip(largest, nudge, strict=False):
            trial[index] += Decimal(cents) / 100
        candidate = build(trial)
        if _total(original, candidate, as_of) == amount:
            return candidate
    # Not reachable by any nudge (never seen): the reservation still caps what is credited.
    return request


def reserve_credit(original: Invoice, amount: Decimal) -> bool:
    """Add `amount` to what the Ingreso's Egresos total, unless that would pass its Total.

    The conditional UPDATE is the guarantee: two credit notes at once both re-check `credited`
    under the row's write lock, so the sum never passes the total."""
    ceiling = original.total - amount
    added = Value(to_minor(amount, 2), output_field=models.BigIntegerField())
    return bool(Invoice.objects.filter(pk=original.pk, credited__lte=ceiling).update(credited=F("credited") + added))


def _total(original: Invoice, request: InvoiceInput, as_of: datetime) -> Decimal:
    invoice, _ = prepare_invoice(original.org, request, livemode=original.livemode, as_of=as_of)
    return invoice.total


def _request(original: Invoice, lines: list[InvoiceLine], shares: list[Decimal], *, label: str, source: str,
             source_id: str) -> InvoiceInput:
    customer = original.customer
    return InvoiceInput(
        customer_id=original.customer_id,
        lines=tuple(_line(line, share, label) for line, share in zip(lines, shares, strict=True) if share > 0),
        metodo_pago="PUE",
        forma_pago=original.forma_pago,
        moneda=original.moneda,
        tipo_cambio=original.tipo_cambio,
        uso_cfdi=credit_notes.uso_cfdi(customer.rfc, customer.regimen_fiscal),
        send_email=original.send_email,
        tipo_de_comprobante="E",
        related=({"tipo_relacion": credit_notes.TIPO_RELACION, "uuids": [original.uuid]},),
        # An Egreso to PUBLICO EN GENERAL carries the global's InformacionGlobal (CFDI40130).
        informacion_global=original.informacion_global or None,
        source=source,
        source_id=source_id,
    )


def _factor(line: InvoiceLine) -> Decimal:
    return credit_notes.net_factor(tax_presets.resolve(tuple(line.taxes)))


def _line(line: InvoiceLine, share: Decimal, label: str) -> LineInput:
    rates = tax_presets.resolve(tuple(line.taxes))
    # `share` is what the customer got back for this line, taxes included. Without
    # retenciones the pipeline derives the ValorUnitario from it (Total = share to the cent,
    # as for the Ingreso); with them, from the line's net factor.
    gross = not credit_notes.has_retenciones(rates)
    price = share if gross else round_amount(share / credit_notes.net_factor(rates), 6)
    return LineInput(
        descripcion=f"{label}: {line.descripcion}"[:1000],
        cantidad=Decimal(1),
        unit_price=price,
        price_includes_taxes=gross,
        clave_prod_serv=credit_notes.CLAVE_PROD_SERV,
        clave_unidad=credit_notes.CLAVE_UNIDAD,
        unidad=credit_notes.UNIDAD,
        objeto_imp=line.objeto_imp,
        taxes=tuple(line.taxes),
    )
