"""What every gateway adapter speaks: verified events in, normalized payments out.

Stripe today; Conekta and Mercado Pago plug in behind the same Protocol with their own
signature schemes. Adapters are pure apart from the optional `Lookups` they are given
(the gateway's API, or what the inbox already holds), so tests use fakes, not mocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol


class WebhookRejected(Exception):
    """The request is not a genuine, fresh event from the gateway. Nothing is stored."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class SignatureRejected(WebhookRejected):
    """Missing, malformed, wrong or stale signature (counted on the connection)."""


class PayloadRejected(WebhookRejected):
    """The body is not JSON or not an event."""


class MalformedEvent(PayloadRejected):
    """Correctly signed, but unreadable: stored as rejected (never lost), never processed."""


@dataclass(frozen=True)
class GatewayEvent:
    """One event as the gateway sent it. `data` is the event object, parsed with Decimal floats."""

    provider: str
    event_id: str
    event_type: str
    livemode: bool
    created: datetime | None
    api_version: str
    object_id: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class PaymentLine:
    """A line as charged: `amount` is what the customer paid for it (taxes included)."""

    descripcion: str
    cantidad: Decimal
    amount: Decimal
    price_id: str = ""
    product_id: str = ""


@dataclass(frozen=True)
class CustomerData:
    """What the gateway knows about the payer; any field may be empty."""

    gateway_customer_id: str = ""
    rfc: str = ""
    nombre: str = ""
    email: str = ""
    codigo_postal: str = ""
    regimen_fiscal: str = ""
    uso_cfdi: str = ""


SourceKind = Literal["invoice", "charge", "payment_intent"]
# A richer event about the same money may replace what a poorer one recorded, until invoiced.
SOURCE_RANK: dict[str, int] = {"payment_intent": 1, "charge": 2, "invoice": 3}


@dataclass(frozen=True)
class NormalizedPayment:
    """Money received, in the terms Timbra invoices in (Decimal, SAT codes)."""

    provider: str
    key: str  # the gateway's id for the money; the invoice's source_id
    source_kind: SourceKind
    livemode: bool
    currency: str
    amount: Decimal
    paid_at: datetime
    forma_pago: str
    payment_method: str
    lines: tuple[PaymentLine, ...]
    customer: CustomerData
    # False: the money belongs to a gateway invoice whose own event invoices it; this event
    # only adds facts (method, fees) to the payment. Never invoice the same money twice.
    invoiceable: bool = True
    method_known: bool = True  # False: forma_pago is a default (card funding not in the payload)
    charge_id: str = ""
    payment_intent_id: str = ""
    gateway_invoice_id: str = ""
    description: str = ""
    exchange_rate: Decimal | None = None
    fee: Decimal | None = None
    net: Decimal | None = None
    settlement_currency: str = ""
    balance_transaction_id: str = ""


RefundKind = Literal["refund", "dispute_lost"]
RefundStatus = Literal["succeeded", "pending", "failed", "canceled"]


@dataclass(frozen=True)
class NormalizedRefund:
    """Money given back for an earlier payment: a refund, or a dispute the business lost.

    It becomes one Egreso (nota de crédito) related (TipoRelacion 01) to the payment's
    Ingreso. `refund_id` is the gateway's id for this refund (Stripe `re_…`, a dispute's
    `dp_…`), unique per (org, provider); `payment_key` is the refunded money's
    NormalizedPayment.key when the event knows it, else the adapter fills `charge_id` /
    `payment_intent_id` and Timbra finds the payment by those. `amount` is positive, in
    `currency` (the payment's currency)."""

    provider: str
    refund_id: str
    livemode: bool
    currency: str
    amount: Decimal
    refunded_at: datetime
    status: RefundStatus = "succeeded"
    payment_key: str = ""
    charge_id: str = ""
    payment_intent_id: str = ""
    reason: str = ""  # the gateway's reason code ("requested_by_customer", "fraudulent", ...)
    kind: RefundKind = "refund"
    fee: Decimal | None = None  # what the gateway charged or gave back for the refund (reconciliation)
    net: Decimal | None = None
    settlement_currency: str = ""
    balance_transaction_id: str = ""


@dataclass(frozen=True)
class RefundBatch:
    """Everything an event says about the refunds of one payment (Stripe `charge.refunded`
    carries a list; Conekta's `order.refunded` too). `amount_refunded` is the gateway's running
    total for the payment, when it gives one: Timbra waits while the refunds it knows add up
    to less (their own events are still on their way)."""

    provider: str
    livemode: bool
    currency: str
    refunds: tuple[NormalizedRefund, ...]
    payment_key: str = ""
    charge_id: str = ""
    payment_intent_id: str = ""
    amount_refunded: Decimal | None = None


@dataclass(frozen=True)
class GatewayInvoiceVoided:
    """The gateway voided an invoice of its own (Stripe `invoice.voided`): its CFDI, if any,
    must be cancelled (motive 02) or, if not stamped yet, never issued."""

    provider: str
    livemode: bool
    gateway_invoice_id: str
    voided_at: datetime
    number: str = ""
    payment_key: str = ""  # the money that paid it, when the event says


DisputeStatus = Literal["open", "won", "lost"]


@dataclass(frozen=True)
class DisputeUpdate:
    """A chargeback opened or closed. Lost: the disputed amount is refunded (an Egreso);
    won: only recorded."""

    provider: str
    livemode: bool
    dispute_id: str
    currency: str
    amount: Decimal
    status: DisputeStatus
    gateway_status: str  # the gateway's own word ("needs_response", "lost", "won", ...)
    at: datetime
    reason: str = ""
    payment_key: str = ""
    charge_id: str = ""
    payment_intent_id: str = ""
    fee: Decimal | None = None  # the dispute fee, when the gateway says (reconciliation)


@dataclass(frozen=True)
class CustomerUpdate:
    """New fiscal data of a gateway customer (Stripe `customer.updated`, `customer.tax_id.*`).
    Empty fields mean "not said"; `rfc_removed` means the gateway's RFC was deleted."""

    provider: str
    livemode: bool
    gateway_customer_id: str
    customer: CustomerData
    rfc_removed: bool = False


@dataclass(frozen=True)
class Skip:
    """The event produces no payment: `ignored` for good, or `waiting` for something missing."""

    status: Literal["ignored", "waiting"]
    reason: str  # Spanish, shown on the events page
    waiting_on: str = ""  # the gateway id whose news should wake a waiting event


# Everything `GatewayAdapter.normalize` may answer; process_event routes each kind.
Outcome = (
    NormalizedPayment
    | NormalizedRefund
    | RefundBatch
    | GatewayInvoiceVoided
    | DisputeUpdate
    | CustomerUpdate
    | Skip
)


class GatewayUnavailable(Exception):
    """The gateway's API could not answer now (network, 5xx, rate limit): retry later."""


@dataclass(frozen=True)
class MetadataKeys:
    """Metadata keys (configurable per connection) that carry what gateways have no field for."""

    rfc: str = "rfc"
    nombre: str = "razon_social"
    regimen_fiscal: str = "regimen_fiscal"
    uso_cfdi: str = "uso_cfdi"
    codigo_postal: str = "codigo_postal"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MetadataKeys:
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{k: str(v) for k, v in config.items() if k in known and v})


class Lookups(Protocol):
    """Answers an adapter may need beyond the event itself. Every method returns None when
    it cannot tell (no API key, object unknown); the adapter then waits or uses a default."""

    def charge(self, charge_id: str) -> Mapping[str, Any] | None: ...

    def payment_key_of_invoice(self, invoice_id: str) -> str | None:
        """The PaymentIntent (else charge) that paid the invoice."""
        ...

    def invoice_of_payment_intent(self, payment_intent_id: str) -> str | None | Literal[False]:
        """The invoice id, False when the payment has no invoice, None when unknown."""
        ...

    def balance_transaction(self, balance_transaction_id: str) -> Mapping[str, Any] | None: ...

    def customer(self, customer_id: str) -> Mapping[str, Any] | None:
        """The gateway's customer with its metadata and tax ids (régimen, uso de CFDI live there)."""
        ...


class NoLookups:
    """Lookups that never know anything (a connection without an API key, unit tests)."""

    def charge(self, charge_id: str) -> Mapping[str, Any] | None:
        return None

    def payment_key_of_invoice(self, invoice_id: str) -> str | None:
        return None

    def invoice_of_payment_intent(self, payment_intent_id: str) -> str | None | Literal[False]:
        return None

    def balance_transaction(self, balance_transaction_id: str) -> Mapping[str, Any] | None:
        return None

    def customer(self, customer_id: str) -> Mapping[str, Any] | None:
        return None


@dataclass
class ChainedLookups:
    """Ask each source in turn (the inbox first: free; then the gateway's API)."""

    sources: Sequence[Lookups] = field(default_factory=list)

    def charge(self, charge_id: str) -> Mapping[str, Any] | None:
        return next((r for s in self.sources if (r := s.charge(charge_id)) is not None), None)

    def payment_key_of_invoice(self, invoice_id: str) -> str | None:
        return next((r for s in self.sources if (r := s.payment_key_of_invoice(invoice_id))), None)

    def invoice_of_payment_intent(self, payment_intent_id: str) -> str | None | Literal[False]:
        for source in self.sources:
            answer = source.invoice_of_payment_intent(payment_intent_id)
            if answer is not None:
                return answer
        return None

    def balance_transaction(self, balance_transaction_id: str) -> Mapping[str, Any] | None:
        return next((r for s in self.sources if (r := s.balance_transaction(balance_transaction_id))), None)

    def customer(self, customer_id: str) -> Mapping[str, Any] | None:
        return next((r for s in self.sources if (r := s.customer(customer_id))), None)


class GatewayAdapter(Protocol):
    """One payment gateway: verify webhooks, read stored events, map them to payments."""

    provider: str

    def verify_and_parse(
        self, payload: bytes, header: str | None, secrets: Sequence[str], now: datetime
    ) -> GatewayEvent:
        """Check the signature against each secret (rotation) and the timestamp against `now`;
        raise SignatureRejected / PayloadRejected, else return the parsed event."""
        ...

    def parse_stored(self, payload: str) -> GatewayEvent:
        """Parse an event already verified and stored in the inbox."""
        ...

    def normalize(self, event: GatewayEvent) -> Outcome:
        """The payment (or refund, or lifecycle change) an event stands for, or why it stands
        for none (yet). The adapter is built per connection (metadata keys, lookups), so this
        takes only the event."""
        ...
