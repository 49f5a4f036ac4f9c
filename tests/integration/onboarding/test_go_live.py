"""The explicit switch to live: refused with every reason until a real PAC and a valid CSD."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.factories import MX, NOW, make_customer, make_invoice, make_org, make_product
from tests.in_test_pac import GOOD
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.errors import InvoicingError
from timbra.orgs.models import OrgEvent
from timbra.orgs.onboarding import go_live, go_test_only
from timbra.orgs.pac_settings import save_pac_settings

pytestmark = pytest.mark.django_db


def configure(org, *, name="finkok", credentials=GOOD, test_environment=False):
    save_pac_settings(org, name=name, credentials=credentials, test_environment=test_environment, actor="ana",
                      as_of=NOW)


def refusal(org, as_of=NOW) -> InvoicingError:
    with pytest.raises(InvoicingError) as caught:
        go_live(org, actor="ana", as_of=as_of)
    org.refresh_from_db()
    assert org.live_enabled_at is None
    assert caught.value.code == "live_refused"
    return caught.value


def test_without_pac_nor_csd_both_reasons_are_given(frozen):
    org = make_org(with_csd=False)

    error = refusal(org)

    assert "no tiene un certificado de sello digital" in error.message
    assert "Elige tu PAC" in error.message and error.field == "csd"


@pytest.mark.parametrize(("name", "credentials", "test_environment", "reason"), [
    ("sandbox", {}, True, "El PAC de pruebas de Timbra no da validez fiscal"),
    ("finkok", GOOD, True, "está en su ambiente de pruebas"),
])
def test_a_pac_without_fiscal_validity_is_refused(org, finkok, name, credentials, test_environment, reason):
    configure(org, name=name, credentials=credentials, test_environment=test_environment)

    assert reason in refusal(org).message


def test_an_expired_csd_is_refused(org, finkok):
    configure(org)

    error = refusal(org, as_of=datetime(2027, 6, 1, tzinfo=MX))

    assert "venció el 18/05/2027" in error.message and error.field == "csd"


def test_credentials_the_pac_rejects_are_refused(org, finkok):
    configure(org, credentials={"username": "kemper@example.com", "password": "equivocada-12345"})

    assert "El PAC rechazó las credenciales" in refusal(org).message


def test_a_real_pac_and_a_valid_csd_switch_to_live_once(org, finkok):
    configure(org)

    go_live(org, actor="ana", as_of=NOW)
    go_live(org, actor="ana", as_of=NOW)  # idempotent

    assert org.live_enabled_at == NOW
    assert list(OrgEvent.objects.filter(org=org, kind="live_enabled").values_list("actor", flat=True)) == ["ana"]


def test_live_invoices_wait_before_the_switch_and_stamp_with_the_org_pac_after(
        org, finkok, django_capture_on_commit_callbacks):
    configure(org)
    customer, product = make_customer(org, livemode=True), make_product(org, livemode=True)
    with django_capture_on_commit_callbacks(execute=True):
        waiting = make_invoice(org, customer, product=product, livemode=True)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.hold_code) == (InvoiceStatus.HELD, "pac_not_configured")

    with django_capture_on_commit_callbacks(execute=True):
        go_live(org, actor="ana", as_of=NOW)  # the waiting invoice goes out now
        stamped = make_invoice(org, customer, product=product, livemode=True)

    waiting.refresh_from_db()
    stamped.refresh_from_db()
    assert stamped.status == InvoiceStatus.DELIVERED and stamped.pac == "finkok"
    assert waiting.status == InvoiceStatus.DELIVERED and waiting.pac == "finkok"
    assert sorted(finkok[-1].stamps) == sorted([waiting.uuid, stamped.uuid])


def test_switching_live_off_makes_live_invoices_wait_again(org, finkok):
    configure(org)
    go_live(org, actor="ana", as_of=NOW)

    go_test_only(org, actor="ana", as_of=NOW)

    assert org.live_enabled_at is None
    with pytest.raises(InvoicingError) as caught:  # and while live, no PAC without validity
        go_live(org, actor="ana", as_of=NOW)
        configure(org, name="sandbox", credentials={}, test_environment=True)
    assert caught.value.code == "live_requires_real_pac"
