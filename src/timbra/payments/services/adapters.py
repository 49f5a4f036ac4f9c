"""Build the gateway adapter for a connection, with the lookups it may use.

Lookups ask Timbra's own records first (free, and they make event order irrelevant: the
second event about a payment finds what the first one recorded), then the gateway's API
when the connection has a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from timbra.payments.gateways import clients
from timbra.payments.gateways.base import ChainedLookups, GatewayAdapter, Lookups, MetadataKeys, NoLookups
from timbra.payments.gateways.clients import ConektaApi, MercadoPagoApi
from timbra.payments.models import GatewayConnection, Payment
from timbra.payments.services import connections


class PaymentRecordLookups:
    """What earlier events of this connection already told us about a payment."""

    def __init__(self, connection: GatewayConnection) -> None:
        self._payments = Payment.objects.filter(org_id=connection.org_id, provider=connection.provider)

    def charge(self, charge_id: str) -> Mapping[str, Any] | None:
        return None  # the payment row itself already merges what its charge event said

    def payment_key_of_invoice(self, invoice_id: str) -> str | None:
        return self._payments.filter(gateway_invoice_id=invoice_id).values_list("key", flat=True).first()

    def invoice_of_payment_intent(self, payment_intent_id: str) -> str | None | Literal[False]:
        found = self._payments.filter(key=payment_intent_id).exclude(gateway_invoice_id="").first()
        return found.gateway_invoice_id if found else None  # absence proves nothing: unknown

    def balance_transaction(self, balance_transaction_id: str) -> Mapping[str, Any] | None:
        return None

    def customer(self, customer_id: str) -> Mapping[str, Any] | None:
        return None


def lookups_for(connection: GatewayConnection) -> Lookups:
    """Timbra's records, then the gateway's API if the connection has a key."""
    sources: list[Lookups] = [PaymentRecordLookups(connection)]
    key = connections.api_key(connection)
    if key and connection.provider == connections.STRIPE:
        from timbra.payments.gateways.stripe import StripeApiLookups

        sources.append(StripeApiLookups(key))
    return ChainedLookups(sources)


def adapter_for(connection: GatewayConnection, *, lookups: Lookups | None = None) -> GatewayAdapter:
    """The adapter of the connection's gateway, configured with its metadata keys. Passing
    `NoLookups()` means "never ask the gateway" (receiving a webhook)."""
    keys = MetadataKeys.from_config(connection.metadata_keys)
    if connection.provider == connections.STRIPE:
        from timbra.payments.gateways.stripe import StripeAdapter

        return StripeAdapter(keys=keys, lookups=lookups if lookups is not None else lookups_for(connection))
    if connection.provider == connections.CONEKTA:
        from timbra.payments.gateways.conekta import ConektaAdapter

        return ConektaAdapter(keys=keys)
    if connection.provider == connections.MERCADOPAGO:
        from timbra.payments.gateways.mercadopago import MercadoPagoAdapter

        offline = isinstance(lookups, NoLookups)
        return MercadoPagoAdapter(keys=keys, api=None if offline else mercadopago_api(connection))
    raise LookupError(f"no adapter for gateway {connection.provider!r}")


def mercadopago_api(connection: GatewayConnection) -> MercadoPagoApi | None:
    """Mercado Pago's API with the connection's access token (None without one)."""
    token = connections.api_key(connection)
    return clients.HttpMercadoPagoApi(token) if token else None


def conekta_api(connection: GatewayConnection) -> ConektaApi | None:
    """Conekta's API with the connection's private key (None without one)."""
    key = connections.api_key(connection)
    return clients.HttpConektaApi(key) if key else None
