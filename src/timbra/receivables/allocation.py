"""Which invoices a payment pays, how much of each, and at which parcialidad.

Runs inside `record_payment`'s transaction, after the invoices are locked, so the balances
and parcialidad numbers it reads cannot change under it (the unique constraint on
(invoice, num_parcialidad) is the guarantee behind the lock).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal, localcontext

from django.db.models import Max

from timbra.customers.models import Customer
from timbra.domain.money import currency_decimals, round_amount
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.receivables.models import PaymentApplication
from timbra.receivables.selectors import ISSUED, counted_applications

MXN = "MXN"
_PRECISION = 60


@dataclass(frozen=True)
class ApplicationInput:
    """An explicit application: pay `imp_pagado` (in the invoice's currency) of `invoice`.

    `equivalencia_dr`: units of the invoice's currency per unit of the payment's; needed only
    when they differ (an MXN invoice paid in USD defaults to the payment's tipo de cambio)."""

    invoice: Invoice
    imp_pagado: Decimal
    equivalencia_dr: Decimal | None = None


@dataclass(frozen=True)
class Terms:
    """The payment's own data, validated (see services.record_payment)."""

    monto: Decimal
    moneda_p: str
    tipo_cambio_p: Decimal | None


@dataclass(frozen=True)
class Allocation:
    """What one DoctoRelacionado will state."""

    invoice: Invoice
    imp_pagado: Decimal
    equivalencia_dr: Decimal | None
    imp_saldo_ant: Decimal
    num_parcialidad: int


@dataclass(frozen=True)
class Balance:
    paid: Decimal
    last_parcialidad: int


def balances(invoices: Sequence[Invoice]) -> dict[int, Balance]:
    """Paid so far and the last parcialidad of each invoice, from its counted applications."""
    rows = counted_applications(invoices)
    paid: dict[int, Decimal] = {}
    for invoice_id, amount in rows.values_list("invoice_id", "imp_pagado"):
        paid[invoice_id] = paid.get(invoice_id, Decimal(0)) + amount
    last = dict(rows.values("invoice_id").annotate(n=Max("num_parcialidad")).values_list("invoice_id", "n"))
    return {i.pk: Balance(paid.get(i.pk, Decimal(0)), last.get(i.pk) or 0) for i in invoices}


def check_payable(invoice: Invoice, customer: Customer) -> None:
    """Refuse (in Spanish) an invoice that cannot receive a payment with a REP."""
    name = invoice.serie_folio
    if invoice.customer_id != customer.pk:
        raise InvoicingError("invoice_other_customer", f"La factura {name} es de otro cliente: un pago se "
                             "aplica solo a facturas del mismo receptor.", field="applications")
    if invoice.tipo_de_comprobante != "I":
        raise InvoicingError("invoice_not_ingreso", f"El comprobante {name} no es una factura de ingreso; "
                             "solo las facturas de ingreso reciben pagos.", field="applications")
    if invoice.metodo_pago != "PPD":
        raise InvoicingError(
            "invoice_is_pue",
            f"La factura {name} es de pago en una sola exhibición (PUE): se considera pagada al emitirse y "
            "no lleva complemento de pago. Solo las facturas PPD (pago en parcialidades o diferido) "
            "reciben pagos.",
            field="applications",
        )
    if invoice.status not in ISSUED or not invoice.uuid:
        raise InvoicingError("invoice_not_stamped", f"La factura {name} no está timbrada: solo se registran "
                             "pagos de facturas timbradas.", field="applications")


def equivalencia_for(invoice: Invoice, terms: Terms, given: Decimal | None) -> Decimal | None:
    """EquivalenciaDR for `invoice` (None when it shares the payment's currency)."""
    if invoice.moneda == terms.moneda_p:
        if given not in (None, Decimal(1)):
            raise InvoicingError("equivalencia_invalid", "La equivalencia es 1 cuando la factura y el pago "
                                 "usan la misma moneda.", field="equivalencia_dr")
        return None
    if given is not None:
        if given <= 0:
            raise InvoicingError("equivalencia_invalid", "La equivalencia debe ser mayor que cero.",
                                 field="equivalencia_dr")
        return given
    if invoice.moneda == MXN and terms.tipo_cambio_p is not None:
        # Guía de llenado: EquivalenciaDR is how many units of MonedaDR one unit of MonedaP is
        # worth; for an MXN invoice that is the payment's TipoCambioP.
        return terms.tipo_cambio_p
    raise InvoicingError(
        "equivalencia_required",
        f"La factura {invoice.serie_folio} está en {invoice.moneda} y el pago en {terms.moneda_p}: indica la "
        f"equivalencia (cuántos {invoice.moneda} equivalen a 1 {terms.moneda_p}).",
        field="equivalencia_dr",
    )


def explicit(
    requested: Sequence[ApplicationInput], terms: Terms, found: dict[int, Balance], customer: Customer
) -> list[Allocation]:
    """The caller's own split of the payment, each amount checked against its open balance."""
    seen: set[int] = set()
    allocations = []
    for item in requested:
        invoice = item.invoice
        check_payable(invoice, customer)
        if invoice.pk in seen:
            raise InvoicingError("invoice_repeated", f"La factura {invoice.serie_folio} aparece dos veces en "
                                 "el pago.", field="applications")
        seen.add(invoice.pk)
        balance = found[invoice.pk]
        _check_amount(item.imp_pagado, invoice)
        open_ = invoice.total - balance.paid
        if item.imp_pagado > open_:
            raise InvoicingError(
                "overpayment",
                f"El importe aplicado a la factura {invoice.serie_folio} ({item.imp_pagado} {invoice.moneda}) "
                f"excede su saldo pendiente ({open_} {invoice.moneda}).",
                field="applications",
            )
        allocations.append(_allocation(item.invoice, item.imp_pagado,
                                       equivalencia_for(invoice, terms, item.equivalencia_dr), balance))
    return allocations


def automatic(invoices: Sequence[Invoice], terms: Terms, found: dict[int, Balance]) -> list[Allocation]:
    """Pay the oldest open invoices first until the payment is used up.

    Invoices in a currency the payment cannot be converted to without an explicit
    equivalencia are skipped (pay those with explicit applications)."""
    remaining = terms.monto
    allocations: list[Allocation] = []
    with localcontext(prec=_PRECISION):
        for invoice in invoices:
            balance = found[invoice.pk]
            open_ = invoice.total - balance.paid
            if open_ <= 0 or remaining <= 0:
                continue
            try:
                equivalencia = equivalencia_for(invoice, terms, None)
            except InvoicingError:
                continue
            factor = equivalencia or Decimal(1)
            payable = round_amount(remaining * factor, currency_decimals(invoice.moneda), rounding=ROUND_DOWN)
            amount = min(open_, payable)
            if amount <= 0:
                break
            allocations.append(_allocation(invoice, amount, equivalencia, balance))
            remaining -= amount / factor
    if not allocations:
        raise InvoicingError("no_open_invoices", "El cliente no tiene facturas PPD timbradas con saldo "
                             "pendiente a las que aplicar este pago.", field="applications")
    return allocations


def check_covers(allocations: Sequence[Allocation], terms: Terms, *, auto: bool) -> None:
    """The payment's Monto must equal what it pays, converted to its currency (within rounding).

    Pagos 2.0 has no place for money left unapplied: Monto ≥ Σ ImpPagado/EquivalenciaDR
    (truncated) is the PAC's rule, and more than that rounded up would be an overpayment."""
    places = currency_decimals(terms.moneda_p)
    with localcontext(prec=_PRECISION):
        applied = sum((a.imp_pagado / (a.equivalencia_dr or Decimal(1)) for a in allocations), Decimal(0))
    most = round_amount(applied, places, rounding=ROUND_CEILING)
    if terms.monto > most:
        where = "el saldo pendiente de las facturas PPD del cliente" if auto else "lo aplicado a las facturas"
        raise InvoicingError("overpayment", f"El pago de {terms.monto} {terms.moneda_p} excede {where} "
                             f"({most} {terms.moneda_p}). Un complemento de pago no puede llevar saldo a favor.",
                             field="monto")
    least = round_amount(applied, places, rounding=ROUND_DOWN)
    if terms.monto < least:
        raise InvoicingError("monto_short", f"El pago de {terms.monto} {terms.moneda_p} no alcanza para lo "
                             f"aplicado a las facturas ({least} {terms.moneda_p}).", field="monto")


def _check_amount(amount: Decimal, invoice: Invoice) -> None:
    places = currency_decimals(invoice.moneda)
    if amount <= 0:
        raise InvoicingError("amount_invalid", "El importe aplicado a cada factura debe ser mayor que cero.",
                             field="applications")
    if amount != round_amount(amount, places):
        raise InvoicingError("too_many_decimals", f"El importe aplicado a la factura {invoice.serie_folio} "
                             f"admite hasta {places} decimales en {invoice.moneda}.", field="applications")


def _allocation(invoice: Invoice, amount: Decimal, equivalencia: Decimal | None, balance: Balance) -> Allocation:
    return Allocation(
        invoice=invoice,
        imp_pagado=amount,
        equivalencia_dr=equivalencia,
        imp_saldo_ant=invoice.total - balance.paid,
        num_parcialidad=balance.last_parcialidad + 1,
    )


def to_rows(allocations: Sequence[Allocation]) -> list[PaymentApplication]:
    """Unsaved application rows (the caller sets `payment`)."""
    return [
        PaymentApplication(invoice=a.invoice, position=i, imp_pagado=a.imp_pagado,
                           num_parcialidad=a.num_parcialidad, imp_saldo_ant=a.imp_saldo_ant,
                           equivalencia_dr=a.equivalencia_dr)
        for i, a in enumerate(allocations, start=1)
    ]
