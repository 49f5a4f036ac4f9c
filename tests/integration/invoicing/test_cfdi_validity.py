"""Every CFDI the pipeline produces is valid by SAT's own XSDs and XSLTs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import HONORARIOS, RESICO, make_customer, make_org
from tests.sat_official import assert_valid_cfdi, assert_valid_timbre
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.create import create_invoice
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.invoicing.models import InvoiceDocument
from timbra.invoicing.process import process_invoice
from timbra.sandbox.service import sandbox_certificate_pem

pytestmark = pytest.mark.django_db

SAAS = {"clave_prod_serv": "81112101", "clave_unidad": "E48", "descripcion": "Suscripción mensual"}

VARIANTS = {
    "pue_iva16": dict(forma_pago="04", lines=(LineInput(**SAAS, unit_price=Decimal("999.00"), taxes=("IVA16",)),)),
    "ppd_several_lines": dict(metodo_pago="PPD", lines=(
        LineInput(**SAAS, unit_price=Decimal("999.00"), taxes=("IVA16",)),
        LineInput(**SAAS, cantidad=Decimal(3), unit_price=Decimal("133.33"), taxes=("IVA16",)),
        LineInput(**SAAS, cantidad=Decimal("0.5"), unit_price=Decimal("10.01"), taxes=("IVA0",)),
    )),
    "price_includes_iva": dict(forma_pago="28", lines=(
        LineInput(**SAAS, unit_price=Decimal("1160.00"), price_includes_taxes=True, taxes=("IVA16",)),
    )),
    "frontera_and_exento": dict(forma_pago="03", lines=(
        LineInput(**SAAS, unit_price=Decimal(500), taxes=("IVA8",)),
        LineInput(**SAAS, unit_price=Decimal(250), taxes=("IVA_EXENTO",)),
    )),
    "honorarios_with_retentions": dict(forma_pago="03", lines=(
        LineInput(**SAAS, unit_price=Decimal(10000), taxes=("IVA16", "RET_IVA_2_3", "RET_ISR_10")),
    )),
    "resico_retention": dict(forma_pago="03", lines=(
        LineInput(**SAAS, unit_price=Decimal(10000), taxes=("IVA16", "RET_IVA_2_3", "RET_ISR_RESICO")),
    )),
    "usd_with_tipo_cambio": dict(forma_pago="04", moneda="USD", tipo_cambio=Decimal("18.2345"), lines=(
        LineInput(**SAAS, unit_price=Decimal("49.99"), taxes=("IVA16",)),
    )),
    "no_objeto_with_descuento": dict(forma_pago="01", lines=(
        LineInput(**SAAS, unit_price=Decimal(300), taxes=(), objeto_imp="01", descuento=Decimal(50)),
    )),
}


# Retentions are the persona física's (LISR arts. 106 and 113-J); IVA 8 % needs a border CP.
ISSUERS = {
    "honorarios_with_retentions": HONORARIOS,
    "resico_retention": RESICO,
    "frontera_and_exento": {"lugar_expedicion": "22000"},  # Tijuana: its own time zone, too
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_is_stamped_and_valid_by_sats_own_files(db, frozen, variant):
    org = make_org(**ISSUERS.get(variant, {}))
    customer = make_customer(org)
    invoice = create_invoice(org, InvoiceInput(customer_id=customer.pk, **VARIANTS[variant]),
                             livemode=False, as_of=org.created_at)
    stamped = process_invoice(invoice.pk, as_of=invoice.created_at)
    assert stamped.status == InvoiceStatus.DELIVERED, (stamped.hold_code, stamped.hold_message)
    xml = bytes(InvoiceDocument.objects.get(invoice=invoice).stamped_xml)
    root = assert_valid_cfdi(xml)
    assert assert_valid_timbre(xml, sandbox_certificate_pem()) == stamped.uuid
    # what Timbra stored is what the CFDI says
    assert Decimal(root.get("Total")) == stamped.total
    assert Decimal(root.get("SubTotal")) == stamped.subtotal
