"""Money received outside a connected gateway, reported by `POST /api/v1/payments`
(purpose "invoice") or `timbra import payments FILE.csv`, becomes an invoice the same way a
gateway charge does: Payment → invoicing rules → Ingreso PUE (issue 3).

Why a pseudo-connection rather than a nullable `Payment.connection`: every step after the
Payment (customer matching with the org's metadata keys, invoice defaults, the per-connection
lock that stops two creators of one customer) reads the connection. One internal
"external" connection per org and mode keeps that path single, with no `if connection is
None` branches and no migration. It has no signing secret and its provider has no webhook
route, so nothing can be delivered to it.

The business key is the caller's `external_id`, one key space for the API and CSV files
(a sale reported by both is still one invoice), prefixed with the mode because Payment and
Invoice keys do not include it. The provider is "external", not "api": POST /invoices
already keys its invoices on source "api".
"""

from __future__ import annotations

import json
import secrets as pysecrets
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

from timbra.customers.models import Customer
from timbra.domain import catalogs
from timbra.domain.concept_rules import MAX_IMPORTE
from timbra.invoicing.errors import InvoicingError, NotFound
from timbra.orgs.models import Org
from timbra.payments.gateways.base import CustomerData, MetadataKeys, NormalizedPayment, PaymentLine
from timbra.payments.models import GatewayConnection, Payment, WebhookEvent
from timbra.payments.services.invoice_payment import invoice_payment
from timbra.payments.services.record_payment import record_payment

EXTERNAL = "external"
REPORTED = "payment.reported"  # the inbox event type of a payment reported by API or CSV
MAX_EXTERNAL_ID = 190  # Invoice.source_id holds 200, with the "test:"/"live:" prefix

# Common names of payment methods → c_FormaPago (Anexo 20). PUE forbids 99 "Por definir".
FORMA_BY_METHOD = {
    "efectivo": "01", "cash": "01", "oxxo": "01",
    "cheque": "02", "check": "02",
    "transferencia": "03", "transfer": "03", "spei": "03", "bank_transfer": "03",
    "tarjeta_credito": "04", "credit_card": "04", "card/credit": "04", "card": "04", "tarjeta": "04",
    "monedero": "05", "wallet": "05",
    "tarjeta_debito": "28", "debit_card": "28", "card/debit": "28",
    "tarjeta_servicios": "29",
    "intermediario": "31", "paypal": "31", "mercadopago": "31", "mercado_pago": "31",
}  # fmt: skip


class ExternalIdConflict(InvoicingError):
    """The external_id already recorded a different payment (amount or currency)."""

    status_code = 409


@dataclass(frozen=True)
class ExternalPaymentInput:
    """One sale paid in full, as the caller describes it. `customer_id` names a Timbra
    customer; otherwise `customer` (RFC, name, email…) is matched or creates one."""

    external_id: str
    amount: Decimal
    currency: str
    paid_at: datetime
    forma_pago: str = ""
    method: str = ""
    exchange_rate: Decimal | None = None
    description: str = ""
    lines: tuple[PaymentLine, ...] = ()
    customer_id: int | None = None
    customer: CustomerData = CustomerData()
    metadata: dict[str, str] = field(default_factory=dict)


def record_external_payment(
    org: Org, data: ExternalPaymentInput, *, livemode: bool, as_of: datetime
) -> tuple[Payment, bool]:
    """Record the sale and invoice it (or leave it visibly waiting for fiscal data).
    Returns (payment, created): the same external_id never records or invoices twice."""
    key = payment_key(data.external_id, livemode=livemode)
    customer = _customer(org, data.customer_id, livemode=livemode)
    existing = Payment.objects.filter(org=org, provider=EXTERNAL, key=key).first()
    if existing is not None:
        # A retry: finish whatever an earlier attempt left undone (a crash between steps).
        _check_same(existing, data)
        _link_customer(existing, customer)
        # Storing the report is the one arbiter of "created" (issue 14 §1): a concurrent request
        # that recorded the payment but has not stored its report yet may lose it to this one,
        # and then this one is the request that created the sale.
        created = _record_report(existing, data, as_of=as_of)
        return _invoice(existing, as_of=as_of), created
    connection = external_connection(org, livemode=livemode, as_of=as_of)
    normalized = _normalize(data, key=key, livemode=livemode, connection=connection)
    payment = record_payment(connection, normalized, as_of=as_of)
    _check_same(payment, data)  # a concurrent request recorded this id first, with other data
    _link_customer(payment, customer)
    # Exactly one of two concurrent requests with this external_id stores the report: that one created it.
    created = _record_report(payment, data, as_of=as_of)
    return _invoice(payment, as_of=as_of), created


def payment_key(external_id: str, *, livemode: bool) -> str:
    """The Payment key (and invoice source_id) of an external id in a mode."""
    return f"{'live' if livemode else 'test'}:{external_id}"


def external_connection(org: Org, *, livemode: bool, as_of: datetime) -> GatewayConnection:
    """The org's internal connection for payments reported by API or CSV (created once)."""
    found = GatewayConnection.objects.filter(org=org, provider=EXTERNAL, livemode=livemode).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return GatewayConnection.objects.create(
                org=org, provider=EXTERNAL, livemode=livemode, webhook_token=pysecrets.token_urlsafe(24),
                created_at=as_of, updated_at=as_of,
            )
    except IntegrityError:  # another request created it first
        return GatewayConnection.objects.get(org=org, provider=EXTERNAL, livemode=livemode)


def resolve_forma_pago(forma_pago: str, method: str) -> str:
    """c_FormaPago from an explicit code, else from a payment method's common name."""
    code = (forma_pago or "").strip()
    if not code and method:
        code = FORMA_BY_METHOD.get(method.strip().lower().replace(" ", "_"), "")
        if not code:
            raise InvoicingError(
                "payment_method_unknown",
                f"No se reconoce el método de pago «{method}»; usa forma_de_pago con la clave del SAT "
                "(01 efectivo, 03 transferencia, 04 tarjeta de crédito, 28 tarjeta de débito…).",
                field="metodo",
            )
    if not code:
        raise InvoicingError("forma_pago_required", "Indica la forma de pago (forma_de_pago o metodo).",
                             field="forma_de_pago")
    if code == "99" or catalogs.forma_pago(code) is None:
        raise InvoicingError(
            "forma_pago_invalid",
            f"«{code}» no es una forma de pago válida para un pago recibido (catálogo c_FormaPago, no 99).",
            field="forma_de_pago",
        )
    return code


def _customer(org: Org, customer_id: int | None, *, livemode: bool) -> Customer | None:
    if customer_id is None:
        return None
    customer = Customer.objects.filter(pk=customer_id, org=org, livemode=livemode).first()
    if customer is None:
        raise NotFound("cliente")
    return customer


def _link_customer(payment: Payment, customer: Customer | None) -> None:
    """A customer chosen explicitly: match_customer uses it instead of guessing by RFC or email."""
    if customer is not None:
        Payment.objects.filter(pk=payment.pk, customer__isnull=True).exclude(status=Payment.INVOICED).update(
            customer=customer
        )
        payment.refresh_from_db(fields=["customer"])


def _normalize(
    data: ExternalPaymentInput, *, key: str, livemode: bool, connection: GatewayConnection
) -> NormalizedPayment:
    currency = data.currency.strip().upper()
    if data.amount <= 0 or data.amount != data.amount.quantize(Decimal("0.01")):
        raise InvoicingError("amount_invalid", f"El monto {data.amount} debe ser positivo y con hasta dos "
                             "decimales.", field="monto")
    if data.amount >= MAX_IMPORTE:  # no CFDI can carry it (issue 14 §1): refused before it is stored
        raise InvoicingError("importe_fuera_de_rango", f"El monto {data.amount} excede lo que un CFDI puede "
                             f"amparar (menos de {MAX_IMPORTE:,}).", field="monto")
    if currency != "MXN" and not data.exchange_rate:
        raise InvoicingError("tipo_cambio_required", f"Un pago en {currency} necesita tipo_cambio (pesos por "
                             "unidad).", field="tipo_cambio")
    return NormalizedPayment(
        provider=EXTERNAL, key=key, source_kind="charge", livemode=livemode, currency=currency,
        amount=data.amount, paid_at=data.paid_at,
        forma_pago=resolve_forma_pago(data.forma_pago, data.method),
        payment_method=(data.method or f"forma {data.forma_pago}")[:60],
        lines=_lines(data), customer=_customer_data(data, connection),
        description=data.description, exchange_rate=data.exchange_rate if currency != "MXN" else None,
    )


def _lines(data: ExternalPaymentInput) -> tuple[PaymentLine, ...]:
    if not data.lines:
        if not data.description.strip():
            raise InvoicingError("description_required", "Indica una descripción o las partidas (lines) del "
                                 "pago: es el concepto de la factura.", field="descripcion")
        return (PaymentLine(descripcion=data.description.strip(), cantidad=Decimal(1), amount=data.amount),)
    total = sum((line.amount for line in data.lines), Decimal(0))
    if total != data.amount:
        raise InvoicingError("lines_total_mismatch", f"Las partidas suman {total} y el pago es de "
                             f"{data.amount}: deben coincidir.", field="lines")
    return data.lines


def _customer_data(data: ExternalPaymentInput, connection: GatewayConnection) -> CustomerData:
    """The inline fiscal data, completed with the metadata keys the org configured."""
    keys = MetadataKeys.from_config(connection.metadata_keys)
    meta, given = data.metadata, data.customer
    return CustomerData(
        rfc=given.rfc or meta.get(keys.rfc, ""),
        nombre=given.nombre or meta.get(keys.nombre, ""),
        email=given.email,
        codigo_postal=given.codigo_postal or meta.get(keys.codigo_postal, ""),
        regimen_fiscal=given.regimen_fiscal or meta.get(keys.regimen_fiscal, ""),
        uso_cfdi=given.uso_cfdi or meta.get(keys.uso_cfdi, ""),
    )


def _record_report(payment: Payment, data: ExternalPaymentInput, *, as_of: datetime) -> bool:
    """Keep what the caller reported, like a gateway event in the inbox: the events page shows it,
    and the invoicing rules read its metadata from there as they do a gateway's. True if stored
    now, False if it already was (unique on the payment's key)."""
    body = {
        "id": payment.key, "type": REPORTED, "livemode": payment.livemode,
        "data": {"object": {
            "external_id": data.external_id, "amount": str(data.amount), "currency": payment.currency,
            "exchange_rate": None if data.exchange_rate is None else str(data.exchange_rate),
            "paid_at": data.paid_at.isoformat(), "forma_pago": payment.forma_pago, "method": data.method,
            "description": data.description, "customer_id": data.customer_id,
            "customer": {k: v for k, v in asdict(data.customer).items() if v},
            "lines": [_line_json(asdict(line)) for line in data.lines], "metadata": data.metadata,
        }},
    }  # fmt: skip
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(
                org_id=payment.org_id, connection_id=payment.connection_id, provider=EXTERNAL, event_id=payment.key,
                event_type=REPORTED, livemode=payment.livemode, object_id=payment.key,
                payload=json.dumps(body, ensure_ascii=False), received_at=as_of, status=WebhookEvent.PROCESSED,
                processed_at=as_of, attempts=1, payment=payment,
            )
    except IntegrityError:
        return False  # stored before (a concurrent request, or an earlier one)
    return True


def _invoice(payment: Payment, *, as_of: datetime) -> Payment:
    """Invoice (idempotent: the same invoice every time) and show the outcome on its inbox row."""
    payment = invoice_payment(payment.pk, as_of=as_of)
    WebhookEvent.objects.filter(connection_id=payment.connection_id, payment=payment).update(
        invoice_id=payment.invoice_id, reason=_summary(payment)
    )
    return payment


def _summary(payment: Payment) -> str:
    if payment.status == Payment.INVOICED:
        return "Pago reportado y facturado."
    return payment.status_reason or "Pago reportado."


def _line_json(line: dict[str, object]) -> dict[str, object]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in line.items()}


def _check_same(payment: Payment, data: ExternalPaymentInput) -> None:
    if payment.amount != data.amount or payment.currency != data.currency.strip().upper():
        raise ExternalIdConflict(
            "external_id_conflict",
            f"El external_id «{data.external_id}» ya registró un pago de {payment.amount} {payment.currency}; "
            "no se registra otro con datos distintos.",
            field="external_id",
        )
