"""A real Huey consumer (`timbra worker --drain`) on each queue storage issues invoices end to end."""

from __future__ import annotations

import email
import email.policy
import json
import uuid

import pytest

from tests.e2e.conftest import REDIS_URL, Timbra, require

pytestmark = pytest.mark.slow

CREATE = """
import json
from decimal import Decimal
from django.utils import timezone
from timbra.orgs.models import Org
from timbra.invoicing.create import create_invoice
from timbra.invoicing.inputs import InvoiceInput, LineInput
demo = json.load(open("{home}/demo.json"))
org = Org.objects.get(pk=demo["org_id"])
for i in range({n}):
    create_invoice(org, InvoiceInput(customer_id=demo["customer_id"], forma_pago="04",
        lines=(LineInput(product_id=demo["product_id"], cantidad=Decimal(i + 1)),)),
        livemode=False, as_of=timezone.now())
"""

REPORT = """
import json
from timbra.invoicing.models import Invoice
print(json.dumps([[i.status, i.uuid, i.hold_message] for i in Invoice.objects.order_by("pk")]))
"""


def _issue_and_drain(timbra: Timbra, n: int = 3) -> list[list[str]]:
    timbra.run("init", "--demo")
    timbra.python(CREATE.format(home=timbra.home, n=n))
    timbra.run("worker", "--drain", "--idle", "3")
    return json.loads(timbra.python(REPORT).strip().splitlines()[-1])


def _assert_delivered(timbra: Timbra, rows: list[list[str]], n: int = 3) -> None:
    assert [r[0] for r in rows] == ["delivered"] * n, rows
    assert len({r[1] for r in rows}) == n
    emails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
              for p in (timbra.home / "outbox").glob("*.eml")]
    assert sorted(m["X-Timbra-Invoice"] for m in emails) == sorted(r[1] for r in rows)
    for message in emails:
        assert str(message["Subject"]).strip().startswith("Factura A-")
        names = sorted(part.get_filename() for part in message.iter_attachments())
        assert names[0].endswith(".pdf") and names[1].endswith(".xml")


def test_sqlite_queue_consumer_issues_invoices(tmp_path):
    timbra = Timbra(tmp_path, {})
    _assert_delivered(timbra, _issue_and_drain(timbra))


def test_postgres_queue_consumer_issues_invoices(tmp_path, postgres_database):
    timbra = Timbra(tmp_path, {"DATABASE_URL": postgres_database, "TIMBRA_QUEUE_URL": postgres_database})
    _assert_delivered(timbra, _issue_and_drain(timbra))


def test_redis_queue_consumer_issues_invoices(tmp_path):
    require("redis", 6379)
    timbra = Timbra(tmp_path, {"TIMBRA_QUEUE_URL": REDIS_URL, "TIMBRA_QUEUE_NAME": f"e2e-{uuid.uuid4().hex[:8]}"})
    _assert_delivered(timbra, _issue_and_drain(timbra))
