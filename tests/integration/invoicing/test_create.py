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


def test_the_database_itself_refuses_a_second_invoice_for_one_business_fact(org, customer, product):
    # given an invoice for Stripe charge ch_123 (issue 14 §4: the unique key proven without a race)
    from django.db import IntegrityError, transaction

    first = _create(org, customer, LineInput(product_id=product.pk), source="stripe", source_id="ch_123")
    copy = Invoice.objects.get(pk=first.pk)
    copy.pk = copy.uuid = None
    copy.folio = f"{copy.folio}-otro"  # a fresh folio: only the business key is left to collide
    # when a second row for the same (org, source, source_id) is inserted directly, bypassing the service
    with pytest.raises(IntegrityError, match="source|one_invoice_per_business_fact"), transaction.atomic():
        copy.save(force_insert=True)
    # then only the first exists
    assert Invoice.objects.filter(org=org, source="stripe", source_id="ch_123").count() == 1


def test_the_same_gateway_id_in_two_orgs_makes_one_invoice_each(org, customer, product):
    # given another org whose gateway charge happens to have the same id
    from tests.factories import make_customer, make_product

    other = make_org(rfc="URE180429TM6", nombre="UNIVERSIDAD ROBOTICA ESPAÑOLA")
    other_customer, other_product = make_customer(other, rfc="EWE1709045U0"), make_product(other)
    # when each org invoices "stripe ch_123"
    mine = _create(org, customer, LineInput(product_id=product.pk), source="stripe", source_id="ch_123")
    theirs = create_invoice(other, InvoiceInput(customer_id=other_customer.pk, forma_pago="04",
                                                lines=(LineInput(product_id=other_product.pk),),
                                                source="stripe", source_id="ch_123"),
                            livemode=False, as_of=other.created_at)
    # then each org has its own invoice, and a repeat in either org changes nothing
    assert mine.pk != theirs.pk and (mine.org_id, theirs.org_id) == (org.pk, other.pk)
    again = _create(org, customer, LineInput(product_id=product.pk), source="stripe", source_id="ch_123")
    assert again.pk == mine.pk and Invoice.objects.filter(source_id="ch_123").count() == 2
