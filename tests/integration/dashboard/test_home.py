"""Inicio (issue 13 §1): this month against last, where invoices stand, what ran by itself,
and the live status the invoice pages poll."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse

from tests.factories import NOW, make_invoice
from tests.integration.dashboard.conftest import hold
from timbra.dashboard import metrics
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.invoicing.transitions import record


def issued(invoice: Invoice, *, at, status=InvoiceStatus.DELIVERED, source: str = "stripe") -> Invoice:
    """Put a draft where the pipeline leaves it: stamped (and delivered) at `at`."""
    Invoice.objects.filter(pk=invoice.pk).update(status=status, stamped_at=at, status_changed_at=at,
                                                 source=source, source_id=f"ch_{invoice.pk}")
    invoice.refresh_from_db()
    return invoice


def test_home_compares_this_month_with_last_and_counts_the_automatic_work(org, customer, product):
    # given two invoices delivered this month by a gateway charge (one needed a person), one last month
    auto = issued(make_invoice(org, customer, product=product), at=NOW)
    touched = issued(make_invoice(org, customer, product=product), at=NOW)
    record(touched, "retry", as_of=NOW, actor="Ana López")
    issued(make_invoice(org, customer, product=product), at=NOW - timedelta(days=31))
    hold(make_invoice(org, customer, product=product))
    org.minutes_per_invoice = 6
    org.save(update_fields=["minutes_per_invoice"])

    # when the home figures are computed
    home = metrics.home(org, livemode=False, as_of=NOW)

    # then
    assert home.invoiced.this_month == auto.total * 2 and home.invoiced.last_month == auto.total
    assert home.invoiced.change_pct == 100
    assert (home.delivered_this_month, home.auto_delivered, home.auto_delivered_pct) == (2, 1, 50)
    assert home.documents_this_month == 2 and home.hours_saved == Decimal("0.2")
    assert dict((s, n) for s, _, n in home.by_status)["held"] == 1
    assert [r.code for r in home.held] == ["regimen_fiscal_invalid"]
    assert len(home.recurring_trend) == 12 and home.recurring_trend[-1].month == NOW.date().replace(day=1)


def test_home_page_shows_the_figures_and_a_server_rendered_chart(client_in, org, customer, product):
    issued(make_invoice(org, customer, product=product), at=NOW)

    page = client_in.get(reverse("dashboard:home")).content.decode()

    assert "Facturado este mes" in page and "Entregadas sin intervención" in page and "Horas ahorradas" in page
    assert "Timbres usados" in page and "MRR" in page and "Por facturar esta semana" in page
    assert '<svg class="chart"' in page and "100 %" in page


def test_hours_saved_setting_is_saved_from_the_settings_page(client_in, org):
    response = client_in.post(reverse("dashboard:settings"), {"email": "", "brand_color": "#1F4E79",
                                                              "default_serie": "A", "minutes_per_invoice": "9"})

    org.refresh_from_db()
    assert response.status_code == 302 and org.minutes_per_invoice == 9


def test_a_moving_invoice_status_polls_until_it_settles(client_in, org, customer, product):
    # given a draft on its way
    invoice = make_invoice(org, customer, product=product)
    url = reverse("dashboard:invoice_status", args=[invoice.pk])

    # then its page and its badge fragment poll
    assert f'hx-get="{url}"' in client_in.get(reverse("dashboard:invoice_detail", args=[invoice.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in client_in.get(url).content.decode()

    # when the pipeline delivers it, the fragment says so and stops polling
    issued(invoice, at=NOW)
    fragment = client_in.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "Entregada" in fragment and "hx-trigger" not in fragment


def test_another_orgs_invoice_status_is_a_404(client_in, foreign):
    assert client_in.get(reverse("dashboard:invoice_status", args=[foreign["invoice_id"]])).status_code == 404
