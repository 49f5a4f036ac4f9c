"""Stamps used per month and mode, in the org's timezone."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.factories import MX, NOW, make_invoice
from timbra.invoicing.models import Invoice
from timbra.orgs.selectors import StampMonth, stamps_per_month

pytestmark = pytest.mark.django_db


def test_stamped_cfdis_are_counted_per_local_month_and_mode(org, customer, product,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first, second, _ = (make_invoice(org, customer, product=product) for _ in range(3))
    make_invoice(org, customer, product=product)  # never stamped: not counted
    # 31 Oct 23:30 in Mexico City is already November in UTC: it belongs to October
    Invoice.objects.filter(pk=first.pk).update(stamped_at=datetime(2026, 10, 31, 23, 30, tzinfo=MX))
    Invoice.objects.filter(pk=second.pk).update(livemode=True)

    months = stamps_per_month(org, as_of=NOW, months=3)

    assert months == [StampMonth(date(2026, 11, 1), test=1, live=1), StampMonth(date(2026, 10, 1), test=1, live=0),
                      StampMonth(date(2026, 9, 1), test=0, live=0)]
