"""Customer use cases: create and update a receptor with validated fiscal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.validators import validate_email
from django.db import transaction
from django.forms import ValidationError

from timbra.customers.models import Customer
from timbra.domain.taxpayer import normalize_nombre, normalize_rfc, validate_fiscal_data
from timbra.invoicing.errors import InvoicingError
from timbra.orgs.audit import record_change
from timbra.orgs.models import Org

FISCAL_FIELDS = ("rfc", "nombre", "regimen_fiscal", "codigo_postal", "uso_cfdi")


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(data)
    if "rfc" in cleaned:
        cleaned["rfc"] = normalize_rfc(str(cleaned["rfc"]))
    if "nombre" in cleaned:
        cleaned["nombre"] = normalize_nombre(str(cleaned["nombre"]))
    if "emails" in cleaned:
        emails = [str(e).strip() for e in cleaned["emails"] or [] if str(e).strip()]
        for email in emails:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise InvoicingError("email_invalid", f"El correo «{email}» no es válido.", field="emails") from exc
        cleaned["emails"] = emails
    return cleaned


def _check(values: dict[str, Any], org: Org) -> None:
    problems = validate_fiscal_data(values["rfc"], values["nombre"], values["regimen_fiscal"],
                                    values["codigo_postal"], values["uso_cfdi"],
                                    lugar_expedicion=org.lugar_expedicion)
    if problems:
        raise InvoicingError(problems[0].code, " ".join(p.message for p in problems), field=problems[0].field)


AUDITED = (*FISCAL_FIELDS, "emails", "external_id")


def _audited(customer: Customer) -> dict[str, Any]:
    return {name: getattr(customer, name) for name in AUDITED}


def create_customer(org: Org, data: dict[str, Any], *, livemode: bool, as_of: datetime,
                    actor: str = "sistema", source: str = "job") -> Customer:
    """Create a customer; its RFC, name, régimen, CP and uso de CFDI must agree (SAT catalogs)."""
    values = _clean({"uso_cfdi": "G03", "emails": [], **data})
    _check(values, org)
    with transaction.atomic():
        customer = Customer.objects.create(org=org, livemode=livemode, created_at=as_of, updated_at=as_of,
                                           **{k: values[k] for k in AUDITED if k in values})
        record_change(org, "customer_created", f"Cliente dado de alta: {customer.nombre} ({customer.rfc}).",
                      object_type="customer", object_id=customer.pk, before={}, after=_audited(customer),
                      actor=actor, source=source, as_of=as_of)
    return customer


def update_customer(customer: Customer, data: dict[str, Any], *, as_of: datetime,
                    actor: str = "sistema", source: str = "job") -> Customer:
    """Update a customer (its fiscal data audited, before -> after). A corrected customer
    releases its held invoices on retry."""
    values = _clean(data)
    merged = {k: values.get(k, getattr(customer, k)) for k in FISCAL_FIELDS}
    _check(merged, customer.org)
    before = _audited(customer)
    for name, value in {**merged, **{k: v for k, v in values.items() if k in ("emails", "external_id")}}.items():
        setattr(customer, name, value)
    customer.updated_at = as_of
    with transaction.atomic():
        customer.save()
        record_change(customer.org, "customer_changed", f"Datos del cliente {customer.nombre} ({customer.rfc}) cambiados.",
                      object_type="customer", object_id=customer.pk, before=before, after=_audited(customer),
                      actor=actor, source=source, as_of=as_of)
    return customer
