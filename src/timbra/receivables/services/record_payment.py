"""record_payment: a payment received against PPD invoices, and the REP that reports it.

Every payment of a PPD invoice needs a CFDI type P with Pagos 2.0 (reference/cfdi.md §4.3).
One transaction records the payment, its applications (NumParcialidad and ImpSaldoAnt taken
from the invoice's earlier applications, under a row lock) and a draft REP invoice with its
serie and folio; on commit the REP enters the usual pipeline (seal → stamp → PDF → email).

Exactly once: a payment with `source`/`source_id` (an API Idempotency-Key or external id, a
gateway charge) exists at most once per org and mode, by unique constraint; parcialidad n of
an invoice is claimed at most once, by unique constraint (the lock just avoids the retry).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q

from timbra import jobs
from timbra.cfdi.build_pago import USO_CFDI_PAGOS
from timbra.customers.models import Customer
from timbra.domain import catalogs
from timbra.domain.money import currency_decimals, round_amount
from timbra.domain.payments import PaymentError, compute_pago
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.create import take_folio
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice, InvoiceDocument
from timbra.invoicing.seal import PAGO
from timbra.invoicing.transitions import record
from timbra.orgs.models import Org
from timbra.receivables import allocation
from timbra.receivables.allocation import Allocation, ApplicationInput, Terms
from timbra.receivables.models import PaymentApplication, ReceivedPayment
from timbra.receivables.rep import domain_payment
from timbra.receivables.selectors import in_currency, open_ppd_invoices, settings_for

MAX_ATTEMPTS = 3
FORMA_POR_DEFINIR = "99"


def record_payment(
    org: Org,
    *,
    customer: Customer,
    fecha_pago: datetime,
    forma_de_pago: str,
    monto: Decimal,
    moneda: str = "MXN",
    tipo_cambio: Decimal | None = None,
    applications: Sequence[ApplicationInput | tuple[Invoice, Decimal]] | None = None,
    reference: str = "",
    source: str = "",
    source_id: str = "",
    as_of: datetime,
    actor: str = "sistema",
) -> tuple[ReceivedPayment, bool]:
    """Record a payment of `customer` and queue its REP; returns (payment, created).

    `applications` splits it explicitly ([(invoice, imp_pagado)] in each invoice's currency,
    or `ApplicationInput` with an EquivalenciaDR); without them it pays the customer's oldest
    open PPD invoices first. Raises `InvoicingError` (Spanish message) for anything the SAT
    would not accept: PUE or unstamped invoices, another customer's invoice, more than is
    owed, a forma de pago 99, a missing tipo de cambio or equivalencia."""
    if customer.org_id != org.pk:
        raise InvoicingError("not_found", "No se encontró el cliente.")
    terms = _terms(forma_de_pago, moneda, tipo_cambio, monto, fecha_pago, reference, as_of=as_of)
    requested = None if applications is None else [_as_input(a) for a in applications]
    if source and (existing := _existing(org, customer.livemode, source, source_id)) is not None:
        return existing, False
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                payment = _record(org, customer, terms, requested, fecha_pago=fecha_pago,
                                  forma_de_pago=forma_de_pago, reference=reference, source=source,
                                  source_id=source_id, as_of=as_of, actor=actor)
            return payment, True
        except IntegrityError:
            # The same business fact recorded concurrently: that record is the answer.
            if source and (existing := _existing(org, customer.livemode, source, source_id)) is not None:
                return existing, False
            # Otherwise another payment claimed the parcialidad we computed: read again.
            if attempt == MAX_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _existing(org: Org, livemode: bool, source: str, source_id: str) -> ReceivedPayment | None:
    return ReceivedPayment.objects.filter(org=org, livemode=livemode, source=source, source_id=source_id).first()


def _as_input(item: ApplicationInput | tuple[Invoice, Decimal]) -> ApplicationInput:
    return item if isinstance(item, ApplicationInput) else ApplicationInput(invoice=item[0], imp_pagado=item[1])


def _terms(forma_de_pago: str, moneda: str, tipo_cambio: Decimal | None, monto: Decimal,
           fecha_pago: datetime, reference: str, *, as_of: datetime) -> Terms:
    """The payment's own fields, checked against Pagos 2.0 and the SAT catalogs."""
    if forma_de_pago == FORMA_POR_DEFINIR or catalogs.forma_pago(forma_de_pago, as_of=as_of.date()) is None:
        # Pagos20: FormaDePagoP is how it WAS paid, so "99 Por definir" is not allowed.
        raise InvoicingError("forma_de_pago_invalid", "Indica la forma en que se recibió el pago (catálogo "
                             "c_FormaPago, p. ej. 03 transferencia); «99 Por definir» no aplica a un pago.",
                             field="forma_de_pago")
    if moneda == "XXX" or catalogs.moneda(moneda, as_of=as_of.date()) is None:
        raise InvoicingError("moneda_invalid", "La moneda del pago no existe en el catálogo del SAT.",
                             field="moneda")
    if moneda == allocation.MXN:
        if tipo_cambio not in (None, Decimal(1)):
            raise InvoicingError("tipo_cambio_invalid", "Un pago en MXN no lleva tipo de cambio.",
                                 field="tipo_cambio")
        tipo_cambio = None
    elif tipo_cambio is None or tipo_cambio <= 0 or tipo_cambio != round_amount(tipo_cambio, 6):
        raise InvoicingError("tipo_cambio_required", f"Indica el tipo de cambio del pago en {moneda} (pesos por "
                             "unidad, hasta 6 decimales).", field="tipo_cambio")
    places = currency_decimals(moneda)
    if monto <= 0 or monto != round_amount(monto, places):
        raise InvoicingError("monto_invalid", f"El monto del pago debe ser mayor que cero, con hasta {places} "
                             f"decimales en {moneda}.", field="monto")
    if fecha_pago.tzinfo is None or fecha_pago > as_of:
        raise InvoicingError("fecha_pago_invalid", "La fecha de pago debe indicar su zona horaria y no puede "
                             "ser posterior a hoy.", field="fecha_pago")
    if len(reference) > 100 or "|" in reference:
        # Pagos20 NumOperacion: up to 100 characters, never "|" (the cadena original separator).
        raise InvoicingError("reference_invalid", "La referencia (número de operación) admite hasta 100 "
                             "caracteres y no puede contener «|».", field="reference")
    return Terms(monto=monto, moneda_p=moneda, tipo_cambio_p=tipo_cambio)


def _record(org: Org, customer: Customer, terms: Terms, requested: list[ApplicationInput] | None, *,
            fecha_pago: datetime, forma_de_pago: str, reference: str, source: str, source_id: str,
            as_of: datetime, actor: str) -> ReceivedPayment:
    """Inside the transaction: lock, allocate, check, insert payment + applications + REP."""
    invoices = _lock_invoices(org, customer, requested)
    found = allocation.balances(invoices)
    if requested is None:
        allocations = allocation.automatic(invoices, terms, found)
    else:
        # The locked rows, not the caller's copies: those may be older than the lock.
        fresh = {invoice.pk: invoice for invoice in invoices}
        requested = [replace(item, invoice=fresh[item.invoice.pk]) for item in requested]
        allocations = allocation.explicit(requested, terms, found, customer)
    allocation.check_covers(allocations, terms, auto=requested is None)
    payment = ReceivedPayment(
        org=org, livemode=customer.livemode, customer=customer, fecha_pago=fecha_pago,
        forma_de_pago_p=forma_de_pago, moneda_p=terms.moneda_p, tipo_cambio_p=terms.tipo_cambio_p,
        monto=terms.monto, num_operacion=reference, source=source, source_id=source_id,
        created_by=actor, created_at=as_of,
    )
    _check_reportable(payment, allocations)
    payment.save(force_insert=True)
    rows = allocation.to_rows(allocations)
    for row in rows:
        row.payment = payment
    PaymentApplication.objects.bulk_create(rows)
    payment.rep_invoice = _create_rep(org, payment, as_of=as_of, actor=actor)
    payment.save(update_fields=["rep_invoice"])
    _note_on_invoices(payment, allocations, as_of=as_of, actor=actor)
    jobs.enqueue_on_commit("invoicing.process", invoice_id=payment.rep_invoice.pk)
    return payment


def _lock_invoices(org: Org, customer: Customer, requested: list[ApplicationInput] | None) -> list[Invoice]:
    """Lock the invoices the payment may touch (in id order: no deadlocks) and release the
    parcialidades of payments whose REP was cancelled since, so their numbers can be reused."""
    if requested is None:
        ids = list(open_ppd_invoices(org, customer.pk, livemode=customer.livemode).values_list("pk", flat=True))
    else:
        ids = [item.invoice.pk for item in requested]
    # Scoped to the org and mode: an id from elsewhere is simply not found.
    locked = Invoice.objects.select_for_update().filter(pk__in=ids, org=org, livemode=customer.livemode)
    by_id = {invoice.pk: invoice for invoice in locked.order_by("pk")}
    if len(by_id) != len(set(ids)):
        raise InvoicingError("not_found", "No se encontró la factura.", field="applications")
    PaymentApplication.objects.filter(invoice_id__in=ids, active=True).filter(
        Q(payment__status=ReceivedPayment.CANCELLED) | Q(payment__rep_invoice__status=InvoiceStatus.CANCELLED)
    ).update(active=False)
    return [by_id[pk] for pk in dict.fromkeys(ids)]


def _check_reportable(payment: ReceivedPayment, allocations: Sequence[Allocation]) -> None:
    """Refuse now what the REP builder would refuse later (e.g. a too-small payment whose tax
    base rounds to zero), so a REP is never created that could only be held."""
    try:
        compute_pago(domain_payment(payment, allocations))
    except PaymentError as exc:
        raise InvoicingError("pago_invalido", exc.message, field=exc.field or "") from exc


def _create_rep(org: Org, payment: ReceivedPayment, *, as_of: datetime, actor: str) -> Invoice:
    """The draft REP invoice (type P, serie from the org's REP settings, next folio)."""
    serie = settings_for(org).rep_serie
    rep = Invoice(
        org=org, livemode=payment.livemode, customer=payment.customer, status=InvoiceStatus.DRAFT,
        status_changed_at=as_of, source="receivables", source_id=str(payment.pk), serie=serie,
        folio=str(take_folio(org, serie)), tipo_de_comprobante=PAGO, metodo_pago="", forma_pago="",
        moneda="XXX", uso_cfdi=USO_CFDI_PAGOS, created_at=as_of,
    )
    rep.save(force_insert=True)
    InvoiceDocument.objects.create(invoice=rep)
    record(rep, "created", as_of=as_of, actor=actor, to_status=InvoiceStatus.DRAFT,
           message=f"Complemento de pago {rep.serie_folio} creado por {actor} para el pago de "
                   f"{in_currency(payment.monto, payment.moneda_p)} {payment.moneda_p}.")
    return rep


def _note_on_invoices(payment: ReceivedPayment, allocations: Sequence[Allocation], *, as_of: datetime,
                      actor: str) -> None:
    """One line on each paid invoice's timeline."""
    assert payment.rep_invoice is not None
    for a in allocations:
        saldo = in_currency(a.imp_saldo_ant - a.imp_pagado, a.invoice.moneda)
        record(a.invoice, "payment_recorded", as_of=as_of, actor=actor,
               message=f"Pago de {in_currency(a.imp_pagado, a.invoice.moneda)} {a.invoice.moneda} registrado (parcialidad {a.num_parcialidad}); "
                       f"saldo pendiente {saldo} {a.invoice.moneda}. Complemento {payment.rep_invoice.serie_folio}.",
               data={"payment_id": payment.pk, "num_parcialidad": a.num_parcialidad,
                     "imp_pagado": str(in_currency(a.imp_pagado, a.invoice.moneda)),
                     "imp_saldo_insoluto": str(saldo)})
