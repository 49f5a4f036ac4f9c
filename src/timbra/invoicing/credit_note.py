"""issue_credit_note: a nota de crédito (Egreso, TipoRelacion 01) by hand, for any stamped Ingreso (issue 11 §4).

Partial or total, with the refund path's rules (invoicing/egreso.py): the amount is split over the
Ingreso's lines so each tax keeps its proportion, and the Egreso's own Total is the amount to the
cent. Exactly once per `key` (the API's Idempotency-Key or the dashboard form's token): the Egreso's
business key is (org, "credit_note", "<original id>:<key>"). In the same transaction the Ingreso's
`credited` grows by a conditional UPDATE that can never pass its Total, so credit notes (by hand
and from refunds) never add up to more than the invoice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction

from timbra.domain.money import round_amount
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.create import create_invoice
from timbra.invoicing.egreso import egreso_request, reserve_credit
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.invoicing.transitions import record

SOURCE = "credit_note"
ISSUED = (InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED)


class _Duplicate(Exception):
    """The key's Egreso already existed: undo this call's reservation."""


def issue_credit_note(original: Invoice, *, amount: Decimal | None, actor: str, as_of: datetime, key: str,
                      concept: str = "Bonificación") -> Invoice:
    """Create the Egreso for `amount` (None: what is left to credit) and queue it for stamping."""
    source_id = f"{original.pk}:{key}"
    if existing := Invoice.objects.filter(org_id=original.org_id, source=SOURCE, source_id=source_id).first():
        return existing
    if original.status not in ISSUED or not original.uuid or original.tipo_de_comprobante != "I":
        raise InvoicingError("not_creditable", "Solo una factura de ingreso timbrada (y no cancelada) admite nota de "
                             "crédito.")
    left = original.total - original.credited
    amount = left if amount is None else amount
    if amount <= 0 or amount != round_amount(amount, 2):
        raise InvoicingError("amount_invalid", "El importe de la nota de crédito debe ser mayor que cero y tener hasta "
                             "2 decimales.", field="amount")
    if amount > left:
        raise InvoicingError("exceeds_total", f"La nota de crédito de {amount} supera lo que queda por acreditar de la "
                             f"factura {original.serie_folio} ({left} de {original.total}).", field="amount")
    request = egreso_request(original, amount, label=concept.strip() or "Bonificación", source=SOURCE,
                             source_id=source_id, as_of=as_of)
    created: list[Invoice] = []
    try:
        with transaction.atomic():
            if not reserve_credit(original, amount):
                raise InvoicingError("exceeds_total", f"La nota de crédito de {amount} supera lo que queda por "
                                     f"acreditar de la factura {original.serie_folio}.", field="amount")
            egreso = create_invoice(original.org, request, livemode=original.livemode, as_of=as_of, actor=actor,
                                    in_transaction=created.append)
            if not created:
                raise _Duplicate
            record(original, "credit_note", as_of=as_of, actor=actor,
                   message=f"{actor} emitió la nota de crédito {egreso.serie_folio} por {amount} {original.moneda}.",
                   data={"credit_note_id": egreso.pk, "amount": str(amount)})
    except _Duplicate:
        return Invoice.objects.get(org_id=original.org_id, source=SOURCE, source_id=source_id)
    return egreso
