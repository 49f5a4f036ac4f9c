"""create_invoice: what is refused up front (a stable code and a Spanish message) and what it stores."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import make_org
from timbra.invoicing.create import create_invoice
from timbra.invoicing.errors import InvoicingError, NotFound
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.invoicing.models import Invoice

pytestmark = pytest.mark.django_db


def _create(org, customer, *lines: LineInput, **kw):
    request = InvoiceInput(customer_id=customer.pk, lines=lines, **{"forma_pago": "04", **kw})
    return create_invoice(org, request, livemode=False, as_of=org.created_at)


@pytest.mark.parametrize(("line", "kw", "code"), [
    (LineInput(cantidad=Decimal("1.1234567")), {}, "too_many_decimals"),
    (LineInput(cantidad=Decimal(0)), {}, "cantidad_invalid"),
    (LineInput(unit_price=Decimal(-1)), {}, "price_invalid"),
    (LineInput(), {"forma_pago": None}, "forma_pago_required"),
    (LineInput(), {"forma_pago": "99"}, "forma_pago_required"),
    (LineInput(), {"metodo_pago": "XYZ"}, "metodo_pago_invalid"),
    (LineInput(taxes=("IVA17",)), {}, "tax_invalid"),
])
def test_bad_requests_are_refused_with_a_stable_code(org, customer, product, line, kw, code):
    from dataclasses import replace

    with pytest.raises(InvoicingError) as error:
        _create(org, customer, replace(line, product_id=product.pk), **kw)
    assert error.value.code == code and error.value.message
    assert Invoice.objects.count() == 0


def test_another_orgs_customer_or_product_is_not_found(org, customer, product):
    other = make_org(rfc="EWE1709045U0", nombre="EDGAR WALDO ERDMANN", with_csd=False)
    with pytest.raises(NotFound):
        _create(other, customer, LineInput(product_id=product.pk))


def test_ppd_takes_forma_de_pago_99_when_none_is_given(org, customer, product):
    invoice = _create(org, customer, LineInput(product_id=product.pk), metodo_pago="PPD", forma_pago=None)
    assert (invoice.metodo_pago, invoice.forma_pago) == ("PPD", "99")


def test_ppd_with_another_forma_de_pago_is_refused_not_silently_replaced(org, customer, product):
    # issue 10, defect 5: 03 used to become 99 without a word to the caller
    with pytest.raises(InvoicingError) as refused:
        _create(org, customer, LineInput(product_id=product.pk), metodo_pago="PPD", forma_pago="03")
    assert (refused.value.code, refused.value.field) == ("CFDI40105", "forma_pago")


def test_folios_follow_each_other_per_serie(org, customer, product):
    folios = [_create(org, customer, LineInput(product_id=product.pk)).folio for _ in range(3)]
    other_serie = _create(org, customer, LineInput(product_id=product.pk), serie="b")
    assert folios == ["1", "2", "3"]
    assert (other_serie.serie, other_serie.folio) == ("B", "1")


def test_a_tax_inclusive_price_becomes_a_total_equal_to_the_price(org, customer):
    invoice = _create(org, customer, LineInput(descripcion="Plan anual", clave_prod_serv="81112101",
                                               clave_unidad="E48", unit_price=Decimal("1160.00"),
                                               price_includes_taxes=True, taxes=("IVA16",)))
    assert invoice.total == Decimal("1160.00")
    assert invoice.subtotal == Decimal("1000.00")


def test_the_same_business_fact_never_makes_two_invoices(org, customer, product):
    first = _create(org, customer, LineInput(product_id=product.pk), source="stripe", source_id="ch_123")
    again = _create(org, customer, LineInput(product_id=product.pk), source="stripe", source_id="ch_123")
    assert again.pk == first.pk and Invoice.objects.count() == 1
