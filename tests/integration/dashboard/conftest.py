"""Dashboard fixtures: a staff user of `org`, a logged-in client, and a second org's objects."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tests.factories import NOW, make_customer, make_invoice, make_org, make_product
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.invoicing.transitions import move
from timbra.orgs.models import Membership, Org
from timbra.orgs.services import create_api_key


def make_staff(org: Org, username: str = "ana") -> User:
    user = User.objects.create_user(username, password="contraseña-segura-1", first_name="Ana", last_name="López")
    Membership.objects.create(user=user, org=org)
    return user


def hold(invoice: Invoice, message: str = "El régimen fiscal del receptor no coincide con su RFC.") -> Invoice:
    """Put a draft invoice on hold the way the sealing step does when the receptor is wrong."""
    return move(invoice, InvoiceStatus.HELD, as_of=NOW, kind="held", message=message,
                hold_code="regimen_fiscal_invalid", hold_message=message)


@pytest.fixture
def staff(org):
    return make_staff(org)


@pytest.fixture
def client_in(staff) -> Client:
    """A browser logged in as a member of `org` (test mode, the default)."""
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def invoice(org, customer, product):
    return make_invoice(org, customer, product=product)


@pytest.fixture
def foreign(db, frozen):
    """Another org with a customer, product, held invoice and API key: never visible to `org`."""
    other = make_org(rfc="URE180429TM6", nombre="UNIVERSIDAD ROBOTICA ESPAÑOLA", with_csd=False)
    customer = make_customer(other, rfc="EWE1709045U0")
    product = make_product(other)
    invoice = hold(make_invoice(other, customer, product=product))
    key, _ = create_api_key(other, name="ajena", livemode=False, as_of=timezone.now())
    return {"org": other, "invoice_id": invoice.pk, "customer_id": customer.pk, "product_id": product.pk,
            "key_id": key.pk}
