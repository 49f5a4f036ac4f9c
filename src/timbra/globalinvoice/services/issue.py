"""issue_global_invoice: at a period's close, one CFDI to PUBLICO EN GENERAL for every receipt
of that period nobody claimed (per org, mode and currency).

The guarantees (reference/portal-csf-global.md §2; DESIGN "At most one CFDI per business fact"):
- The invoice's business key is (org, "global", "<mode>:<currency>:<period>:<part>") on the
  existing unique (org, source, source_id), so the sweeper, a retry or two workers end in one
  invoice per period and part; the loser gets the winner's invoice back.
- In the invoice's own transaction its receipts move open → in_global by compare-and-swap;
  if any of them was claimed meanwhile, everything rolls back and the global is recomputed.
- From then on it is an ordinary invoice: sealed (signed XML saved first), stamped, and
  re-queued by the sweeper if a worker dies between seal and stamp.

A period normally has one part. Receipts are split into parts of PART_SIZE (ordered by paid
time, then id) so no XML grows without bound; a receipt recorded after its period's global was
issued (a late webhook) goes into the next part of that same period.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Q

from timbra.customers.models import Customer
from timbra.domain import tax_presets
from timbra.domain.global_periods import period_from_key
from timbra.domain.invoicing_rules import PaymentFacts, Rule
from timbra.domain.taxpayer import NOMBRE_PUBLICO_EN_GENERAL, RFC_GENERICO_NACIONAL
from timbra.globalinvoice.models import Receipt
from timbra.globalinvoice.services.receipts import open_missing_receipts
from timbra.invoicing.create import create_invoice, prepare_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.invoicing.models import Invoice
from timbra.invoicing.transitions import record
from timbra.orgs.models import Org
from timbra.payments.models import Payment
from timbra.payments.rules.apply import build_request, decide, org_rules
from timbra.payments.rules.facts import payment_facts, payments_metadata

log = logging.getLogger(__name__)

SOURCE = "global"
PART_SIZE = 10_000
CLAVE_PROD_SERV = "01010101"  # "No existe en el catálogo": the global's only key
CLAVE_UNIDAD = "ACT"
PUBLICO_EXTERNAL_ID = "timbra:publico-en-general"
SAT_DEADLINE = timedelta(hours=24)  # guía del CFDI global rev. 1 (reference/portal-csf-global.md §2.6)


class _Raced(Exception):
    """A receipt of the part was claimed while the part was being written."""


class _Hold(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def source_id(*, livemode: bool, currency: str, period_key: str, part: int) -> str:
    return f"{'live' if livemode else 'test'}:{currency}:{period_key}:{part}"


def issue_due_global_invoices(*, as_of: datetime) -> list[int]:
    """Every (org, mode, currency, period) whose period has closed and still has open
    receipts gets its global invoice now. Idempotent: the periodic job and its own retries."""
    open_missing_receipts(as_of=as_of)
    groups = (
        Receipt.objects.filter(status=Receipt.OPEN, closes_at__lte=as_of)
        .values_list("org_id", "livemode", "currency", "period_key")
        .distinct()
        .order_by("org_id", "livemode", "currency", "period_key")
    )
    issued: list[int] = []
    for org_id, livemode, currency, period_key in list(groups):
        try:
            invoices = issue_global_invoice(
                org_id, livemode=livemode, currency=currency, period_key=period_key, as_of=as_of
            )
        except Exception:  # one org's trouble must not stop the others' globals
            log.exception("global invoice of org %s %s %s failed", org_id, currency, period_key)
            continue
        issued.extend(invoice.pk for invoice in invoices)
    return issued


def issue_global_invoice(
    org_id: int, *, livemode: bool, currency: str, period_key: str, as_of: datetime
) -> list[Invoice]:
    """The global invoice(s) of one org, mode, currency and period for its open receipts."""
    org = Org.objects.get(pk=org_id)
    for _ in range(5):
        try:
            return _issue(org, livemode=livemode, currency=currency, period_key=period_key, as_of=as_of)
        except _Raced:
            continue  # someone claimed a receipt meanwhile: recompute without it
    raise RuntimeError("the global invoice kept racing with autofactura")


def _issue(org: Org, *, livemode: bool, currency: str, period_key: str, as_of: datetime) -> list[Invoice]:
    receipts = list(
        Receipt.objects.filter(
            org=org, livemode=livemode, currency=currency, period_key=period_key, status=Receipt.OPEN
        )
        .select_related("payment__org", "payment__connection")
        .order_by("paid_at", "pk")
    )
    if not receipts:
        return []
    publico = publico_customer(org, livemode=livemode, as_of=as_of)
    rules = org_rules(receipts[0].payment)
    metadata = payments_metadata([receipt.payment for receipt in receipts])  # one query, not one per receipt
    ready: list[tuple[Receipt, list[LineInput], Decimal | None]] = []
    for receipt in receipts:
        try:
            facts = payment_facts(receipt.payment, metadata=metadata[receipt.payment_id])
            lines, rate = receipt_conceptos(receipt, publico, rules=rules, facts=facts, as_of=as_of)
        except _Hold as hold:
            _hold(receipt, hold.reason, as_of=as_of)
            continue
        ready.append((receipt, lines, rate))
    prefix = source_id(livemode=livemode, currency=currency, period_key=period_key, part=0)[:-1]
    part = Invoice.objects.filter(org=org, source=SOURCE, source_id__startswith=prefix).count() + 1
    invoices = []
    for start in range(0, len(ready), PART_SIZE):
        chunk = ready[start:start + PART_SIZE]
        invoices.append(_create_part(org, publico, chunk, livemode=livemode, currency=currency,
                                     period_key=period_key, part=part, as_of=as_of))  # fmt: skip
        part += 1
    return invoices


def receipt_conceptos(
    receipt: Receipt, publico: Customer, *, rules: list[Rule], as_of: datetime, facts: PaymentFacts | None = None
) -> tuple[list[LineInput], Decimal | None]:
    """The receipt's conceptos: one per tax set (guía: one per ticket; Odoo: and per tax set),
    valued at the receipt's subtotal as the nominative CFDI would state it."""
    payment = receipt.payment
    try:
        facts = facts or payment_facts(payment)
        outcome = decide(payment, rules, facts=facts)
        request = build_request(payment, outcome, customer_id=publico.pk, uso="S01", facts=facts)
        _, lines = prepare_invoice(payment.org, request, livemode=payment.livemode, as_of=as_of, customer=publico)
    except InvoicingError as exc:
        raise _Hold(f"No puede ir en la factura global: {exc.message}") from exc
    bases: dict[tuple[str, tuple[str, ...]], Decimal] = defaultdict(Decimal)
    for line in lines:
        if any(rate.retencion for rate in tax_presets.resolve(tuple(line.taxes))):
            raise _Hold(
                "Esta venta lleva retenciones y la factura global solo admite impuestos trasladados: "
                "emítela a nombre del cliente."
            )
        bases[(line.objeto_imp, tuple(line.taxes))] += line.importe - line.descuento
    conceptos = [
        LineInput(
            descripcion="Venta", cantidad=Decimal(1), unit_price=base, price_includes_taxes=False,
            clave_prod_serv=CLAVE_PROD_SERV, clave_unidad=CLAVE_UNIDAD, unidad="",
            objeto_imp=objeto_imp, taxes=taxes, no_identificacion=receipt.number,
        )  # fmt: skip
        for (objeto_imp, taxes), base in bases.items()
        if base > 0  # the guía: ValorUnitario > 0 (Odoo skips zero concepts too)
    ]
    if not conceptos:
        raise _Hold("El ticket no tiene importe: no puede ir en la factura global.")
    return conceptos, request.tipo_cambio


def _create_part(
    org: Org, publico: Customer, chunk: list[tuple[Receipt, list[LineInput], Decimal | None]], *,
    livemode: bool, currency: str, period_key: str, part: int, as_of: datetime,
) -> Invoice:
    period = period_from_key(period_key)
    # Guía del CFDI global: FormaPago is that of the largest ticket ("99" never; ties: the first).
    by_amount = sorted(chunk, key=lambda item: item[0].amount, reverse=True)
    largest = next((item for item in by_amount if item[0].forma_pago != "99"), by_amount[0])
    request = InvoiceInput(
        customer_id=publico.pk,
        lines=tuple(line for _, lines, _ in chunk for line in lines),
        metodo_pago="PUE",
        forma_pago=largest[0].forma_pago,
        moneda=currency,
        tipo_cambio=largest[2],
        uso_cfdi="S01",
        send_email=False,  # nobody to send it to
        source=SOURCE,
        source_id=source_id(livemode=livemode, currency=currency, period_key=period_key, part=part),
        informacion_global=asdict(period.informacion_global()),
    )
    ids = [receipt.pk for receipt, _, _ in chunk]

    def take_receipts(invoice: Invoice) -> None:
        taken = Receipt.objects.filter(pk__in=ids, status=Receipt.OPEN).update(
            status=Receipt.IN_GLOBAL, global_invoice=invoice, status_reason="", updated_at=as_of
        )
        if taken != len(ids):
            raise _Raced
        Payment.objects.filter(receipt__pk__in=ids).update(
            status_reason=f"Incluido en la factura global {invoice.serie_folio} ({period.label()}).",
            updated_at=as_of,
        )
        record(invoice, "global_invoice", as_of=as_of, actor="factura global",
               message=f"Factura global del {period.label()}: {len(ids)} tickets (parte {part}).",
               data={"period": period_key, "part": part, "receipts": len(ids)})  # fmt: skip
        closed_at = datetime.combine(period.end, time(0), tzinfo=ZoneInfo(org.timezone))
        if as_of - closed_at > SAT_DEADLINE:
            record(invoice, "global_late", as_of=as_of, actor="factura global",
                   message=f"Emitida {as_of - closed_at} después del cierre del periodo: la guía del SAT pide "
                   "enviarla al PAC dentro de las 24 horas siguientes.")  # fmt: skip

    return create_invoice(org, request, livemode=livemode, as_of=as_of, actor="factura global",
                          in_transaction=take_receipts)  # fmt: skip


def _hold(receipt: Receipt, reason: str, *, as_of: datetime) -> None:
    Receipt.objects.filter(pk=receipt.pk, status=Receipt.OPEN).update(
        status=Receipt.HELD, status_reason=reason, updated_at=as_of
    )
    Payment.objects.filter(pk=receipt.payment_id).update(status_reason=reason, updated_at=as_of)


def publico_customer(org: Org, *, livemode: bool, as_of: datetime) -> Customer:
    """The org's PUBLICO EN GENERAL receptor (XAXX010101000, 616, S01, CP = LugarExpedicion)."""
    found = Customer.objects.filter(
        Q(org=org, livemode=livemode, external_id=PUBLICO_EXTERNAL_ID)
    ).order_by("pk").first()
    if found is not None:
        return found
    return Customer.objects.create(
        org=org, livemode=livemode, rfc=RFC_GENERICO_NACIONAL, nombre=NOMBRE_PUBLICO_EN_GENERAL,
        regimen_fiscal="616", codigo_postal=org.lugar_expedicion, uso_cfdi="S01",
        external_id=PUBLICO_EXTERNAL_ID, created_at=as_of, updated_at=as_of,
    )  # fmt: skip
