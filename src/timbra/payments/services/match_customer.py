"""Find or create the Timbra customer (receptor) of a payment.

Matching order (issue 3): the gateway customer id kept on Customer.external_id
("stripe:cus_…"), then the RFC, then the email. An existing Timbra customer wins over what
the gateway says: it was validated (and maybe corrected by a person or the portal), and
gateways carry no régimen or uso de CFDI. Otherwise a customer is created from the
gateway's data plus the metadata keys the org configured; when that is not enough the
payment waits for fiscal data: the portal's chase loop asks the payer for it (timbra.portal),
and the factura global takes the charge if it never comes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from timbra.customers.models import Customer
from timbra.customers.services import create_customer
from timbra.domain import catalogs
from timbra.domain.taxpayer import is_generic_rfc, is_valid_rfc, normalize_rfc
from timbra.invoicing.errors import InvoicingError
from timbra.payments.gateways.base import MetadataKeys
from timbra.payments.models import GatewayConnection, Payment


@dataclass(frozen=True)
class Match:
    """The receptor, or why there is none yet (Spanish). `uso_cfdi` overrides the customer's."""

    customer: Customer | None
    reason: str = ""
    uso_cfdi: str = ""


def match_customer(payment: Payment, *, as_of: datetime) -> Match:
    """The payment's customer in the payment's org and mode (never another org's)."""
    data: dict[str, str] = payment.fiscal_data or {}
    external_id = f"{payment.provider}:{payment.gateway_customer_id}" if payment.gateway_customer_id else ""
    rfc = normalize_rfc(data.get("rfc", ""))
    uso = data.get("uso_cfdi", "").strip().upper()
    uso = uso if catalogs.uso_cfdi(uso) else ""
    if payment.customer_id is not None:  # chosen explicitly (POST /payments, CSV import): no guessing
        return Match(payment.customer, uso_cfdi=uso if uso != payment.customer.uso_cfdi else "")
    found = _existing(payment, external_id=external_id, rfc=rfc, email=data.get("email", ""))
    if found is not None:
        _link(found, external_id, as_of=as_of)
        return Match(found, uso_cfdi=uso if uso != found.uso_cfdi else "")
    return _create(payment, data, external_id=external_id, rfc=rfc, uso=uso, as_of=as_of)


def _customers(payment: Payment) -> Any:
    return Customer.objects.filter(org_id=payment.org_id, livemode=payment.livemode)


def _existing(payment: Payment, *, external_id: str, rfc: str, email: str) -> Customer | None:
    customers = _customers(payment).order_by("pk")
    if external_id and (found := customers.filter(external_id=external_id).first()):
        return found
    if is_valid_rfc(rfc) and not is_generic_rfc(rfc) and (found := customers.filter(rfc=rfc).first()):
        return found
    email = email.strip().lower()
    if email:
        for candidate in customers.filter(emails__icontains=email):
            if email in (e.lower() for e in candidate.emails):
                return candidate
    return None


def _link(customer: Customer, external_id: str, *, as_of: datetime) -> None:
    if external_id and not customer.external_id:
        Customer.objects.filter(pk=customer.pk, external_id="").update(
            external_id=external_id, updated_at=as_of
        )


def _create(
    payment: Payment, data: dict[str, str], *, external_id: str, rfc: str, uso: str, as_of: datetime
) -> Match:
    missing = _missing(payment, data, rfc)
    if missing:
        return Match(None, reason="Faltan datos fiscales del cliente: " + "; ".join(missing) + ".")
    values = {
        "rfc": rfc,
        "nombre": data["nombre"],
        "codigo_postal": data["codigo_postal"],
        "regimen_fiscal": data["regimen_fiscal"].strip(),
        "uso_cfdi": uso or "G03",
        "emails": [data["email"]] if data.get("email") else [],
        "external_id": external_id,
    }
    try:
        with transaction.atomic():
            # One creator at a time per connection (a row lock on PostgreSQL; SQLite's IMMEDIATE
            # transactions already serialize writers), then look again: two events about one
            # new customer must not create it twice.
            GatewayConnection.objects.select_for_update().filter(pk=payment.connection_id).first()
            found = _existing(payment, external_id=external_id, rfc=rfc, email="")
            customer = found or create_customer(payment.org, values, livemode=payment.livemode, as_of=as_of)
    except InvoicingError as exc:
        return Match(None, reason=f"Los datos fiscales que trae el pago no son válidos: {exc.message}")
    return Match(customer)


def _missing(payment: Payment, data: dict[str, str], rfc: str) -> list[str]:
    keys = MetadataKeys.from_config(payment.connection.metadata_keys)
    missing = []
    if not rfc or is_generic_rfc(rfc):
        missing.append(f"RFC (tax id «mx_rfc» del cliente en Stripe o metadato «{keys.rfc}»)")
    if not data.get("nombre"):
        missing.append(f"nombre o razón social (metadato «{keys.nombre}»)")
    if not data.get("codigo_postal"):
        missing.append(f"código postal (dirección del cliente o metadato «{keys.codigo_postal}»)")
    if not data.get("regimen_fiscal"):
        missing.append(f"régimen fiscal (metadato «{keys.regimen_fiscal}» del cliente)")
    return missing
