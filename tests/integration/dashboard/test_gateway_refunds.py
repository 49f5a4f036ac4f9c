"""A Cobro's refunds on its page (amounts, states and reasons in Spanish, credit notes, dispute),
"Reintentar" and "Descartar" on a held one (POST with CSRF), and held refunds in Requiere atención."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import NOW
from tests.integration.gateway_rows import make_gateway_rows
from tests.integration.refund_rows import FIRST, REFUSAL, egresos, held_by_creation_error, held_by_excess
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment, Refund

pytestmark = pytest.mark.django_db



def _detail(client: Client, refund: Refund) -> str:
    return client.get(reverse("dashboard:gateway_payment_detail", args=[refund.payment_id])).content.decode()


def _url(name: str, refund: Refund) -> str:
    return reverse(f"dashboard:gateway_refund_{name}", args=[refund.payment_id, refund.pk])


def test_the_payment_page_lists_its_refunds_with_state_reason_and_credit_note(client_in, stripe_webhook):
    refund = held_by_excess(stripe_webhook)
    credited = Refund.objects.get(refund_id=FIRST)

    html = _detail(client_in, refund)

    assert "Reembolsos y contracargos" in html and "re_extra" in html and FIRST in html
    assert "Nota de crédito emitida" in html and "Detenido" in html and "Exitoso" in html
    assert "supere el total" in html  # the held one's Spanish reason
    assert reverse("dashboard:invoice_detail", args=[credited.credit_note_id]) in html
    assert "$580.00 MXN</strong>" in html and "de $580.00 MXN (total de la factura" in html
    assert "requested_by_customer" in html  # Stripe's reason code
    assert html.count("Reintentar nota de crédito") == 1 and html.count('name="reason"') == 1


def test_the_payment_page_shows_its_dispute(client_in, stripe_webhook):
    held_by_excess(stripe_webhook)
    Payment.objects.update(dispute_id="dp_1QhMa1", dispute_status="needs_response", dispute_outcome="open",
                           dispute_amount=Decimal("580.00"), dispute_reason="fraudulent", dispute_updated_at=NOW)

    html = _detail(client_in, Refund.objects.get(refund_id="re_extra"))

    assert "Disputa" in html and "dp_1QhMa1" in html and "Requiere respuesta" in html and "fraudulent" in html


def test_retry_from_the_page_issues_the_credit_note_and_needs_csrf(staff, stripe_webhook):
    refund = held_by_creation_error(stripe_webhook)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)
    # without the token: refused, nothing changes
    assert browser.post(_url("retry", refund)).status_code == 403
    assert Refund.objects.get(pk=refund.pk).status == Refund.HELD
    # with it
    html = _detail(browser, refund)
    assert REFUSAL in html
    response = browser.post(_url("retry", refund), {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value},
                            follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("dashboard:gateway_payment_detail", args=[refund.payment_id])
    assert f"Se emitió la nota de crédito del reembolso {FIRST}." in page
    assert Refund.objects.get(pk=refund.pk).status == Refund.CREDITED and len(egresos(refund.connection)) == 1


def test_a_retry_that_still_exceeds_says_so(client_in, stripe_webhook):
    refund = held_by_excess(stripe_webhook)

    page = client_in.post(_url("retry", refund), follow=True).content.decode()

    assert "sigue detenido" in page and "supere el total" in page
    assert Refund.objects.get(pk=refund.pk).status == Refund.HELD and len(egresos(refund.connection)) == 2


def test_dismiss_from_the_page_records_the_reason_and_needs_one(client_in, stripe_webhook):
    refund = held_by_excess(stripe_webhook)
    # without a reason: refused in Spanish
    page = client_in.post(_url("dismiss", refund), {"reason": " "}, follow=True).content.decode()
    assert "Escribe por qué se descarta" in page and Refund.objects.get(pk=refund.pk).status == Refund.HELD
    # with one
    page = client_in.post(_url("dismiss", refund), {"reason": "Nota de crédito emitida en otro sistema"},
                          follow=True).content.decode()
    assert "quedó como resuelto a mano" in page and "Resuelto a mano por Ana López" in page
    original = Invoice.objects.get(tipo_de_comprobante="I")
    assert original.events.get(kind="refund_dismissed").actor == "Ana López"
    timeline = client_in.get(reverse("dashboard:invoice_detail", args=[original.pk])).content.decode()
    assert "Reembolso resuelto a mano" in timeline and "Nota de crédito emitida en otro sistema" in timeline
    # and a dismissed refund offers no more actions
    assert 'name="reason"' not in _detail(client_in, refund)


def test_held_refunds_appear_in_requiere_atencion(client_in, stripe_webhook):
    refund = held_by_excess(stripe_webhook)

    html = client_in.get(reverse("dashboard:attention")).content.decode()

    assert "Reembolso re_extra" in html and "supere el total" in html
    assert reverse("dashboard:gateway_payment_detail", args=[refund.payment_id]) in html
    Refund.objects.filter(pk=refund.pk).update(status=Refund.DISMISSED, updated_at=timezone.now())
    assert "re_extra" not in client_in.get(reverse("dashboard:attention")).content.decode()


def test_another_orgs_refund_is_404_and_untouched(client_in, foreign, org, stripe_webhook):
    rows = make_gateway_rows(foreign["org"])
    refund = Refund.objects.get(pk=rows["refund_id"])
    own = held_by_excess(stripe_webhook)
    for name in ("retry", "dismiss"):
        assert client_in.post(_url(name, refund), {"reason": "mío"}).status_code == 404
        # nor through one of its own payments: the refund must belong to that payment
        url = reverse(f"dashboard:gateway_refund_{name}", args=[own.payment_id, refund.pk])
        assert client_in.post(url, {"reason": "mío"}).status_code == 404
    assert Refund.objects.get(pk=refund.pk).status == Refund.HELD
    assert "re_ajeno" not in client_in.get(reverse("dashboard:attention")).content.decode()
