"""The invoice's PDF branding: the org's logo, prepared once and reused while it stays the same."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.factories import make_invoice
from timbra.invoicing.documents import branding_for
from timbra.invoicing.models import Invoice

pytestmark = pytest.mark.django_db


def png(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 100), color).save(buffer, "PNG")
    return buffer.getvalue()


def loaded(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_related("org").get(pk=invoice.pk)


def test_the_same_logo_is_prepared_once_and_a_new_one_is_used_right_away(org, customer, product):
    # given an invoice of an org with a logo
    invoice = make_invoice(org, customer, product=product)
    org.logo = png("red")
    org.save(update_fields=["logo"])
    first = branding_for(loaded(invoice))
    # when it is branded again, and then after the org uploads another logo
    again = branding_for(loaded(invoice))
    org.logo = png("blue")
    org.save(update_fields=["logo"])
    changed = branding_for(loaded(invoice))
    # then the prepared logo is reused until the logo changes, and the new one is used at once
    assert again is first
    assert changed is not first and changed.logo == png("blue")
