"""invoicing.warm: what every invoice needs is loaded before the consumer forks its workers."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.factories import make_invoice
from timbra.cfdi import sandbox_checks, xml
from timbra.cfdi.sandbox_pac import _load_certificate
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.process import process_invoice
from timbra.invoicing.warm import warm_up

pytestmark = pytest.mark.django_db


def test_warm_up_compiles_the_schemas_and_loads_the_sandbox_key_without_touching_the_database(
    django_assert_num_queries,
):
    sandbox_checks.compiled_schema.cache_clear()
    xml._xslt.cache_clear()
    _load_certificate.cache_clear()

    # No query: the consumer closes its connections right after, and forks; nothing read here
    # may be tied to a database the workers would share.
    with django_assert_num_queries(0):
        warm_up()

    assert sandbox_checks.compiled_schema.cache_info().currsize == 1
    assert xml._xslt.cache_info().currsize == 2  # cadena original of the Comprobante and of the TFD
    assert _load_certificate.cache_info().currsize == 1


def test_a_warm_process_stamps_with_what_it_loaded(org, customer, product):
    warm_up()
    before = sandbox_checks.compiled_schema.cache_info()
    invoice = process_invoice(make_invoice(org, customer, product=product).pk, as_of=timezone.now())
    assert invoice.status == InvoiceStatus.DELIVERED
    after = sandbox_checks.compiled_schema.cache_info()
    assert after.misses == before.misses and after.hits > before.hits  # not compiled again
