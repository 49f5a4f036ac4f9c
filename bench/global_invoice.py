"""Build, seal, stamp (sandbox PAC) and render one factura global of N receipts (issue 12 §4).

    python bench/global_invoice.py [N]        (N receipts, default 10000)

A throw-away SQLite installation (fresh TIMBRA_HOME), the SAT test issuer, N cash sales without
fiscal data in one month (amounts vary, a few by card so FormaPago has to be chosen). The sales
and their receipts are inserted in bulk (setup, not measured); then, measured:
  build   issue_due_global_invoices at the close: rules → one concepto per receipt → the invoice
  seal+stamp+pdf  process_invoice: pre-stamp rules, signed XML saved, sandbox PAC (XSD, sello,
          TimbreFiscalDigital), PDF rendered and stored
Prints each stage's wall and CPU seconds, the peak RSS of the process, and the XML and PDF sizes.
Goal: under 60 s and 500 MB for 10,000.
"""

from __future__ import annotations

import io
import os
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("TIMBRA_HOME", tempfile.mkdtemp(prefix="timbra-bench-global-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "timbra.settings"
os.environ.pop("TIMBRA_QUEUE_IMMEDIATE", None)

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.core.management import call_command  # noqa: E402
from pypdf import PdfReader  # noqa: E402

MX = ZoneInfo("America/Mexico_City")
# Sales in the previous month, the global issued now (the SAT test CSD is valid until 2027-05-18, and
# the sandbox PAC checks Fecha against the real clock).
NOW = datetime.now(MX)
SALES_DAY = (NOW.replace(day=1, hour=12, minute=0, second=0, microsecond=0) - timedelta(days=20))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(name: str, action):  # type: ignore[no-untyped-def]
    w0, c0 = time.perf_counter(), time.process_time()
    result = action()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(f"{name:<26} {wall:7.2f} s wall  {cpu:7.2f} s cpu   peak RSS so far {peak_rss_mb():6.1f} MB")
    return result, wall


def make_sales(n: int):  # type: ignore[no-untyped-def]
    from tests.factories import make_org

    from timbra.globalinvoice.models import Receipt
    from timbra.globalinvoice.services.receipts import open_receipt
    from timbra.payments.models import Payment
    from timbra.payments.services.external_payments import ExternalPaymentInput, record_external_payment

    org = make_org(as_of=SALES_DAY)
    first, _ = record_external_payment(org, ExternalPaymentInput(
        external_id="V-00001", amount=Decimal("116.00"), currency="MXN", paid_at=SALES_DAY, forma_pago="01",
        description="Venta de mostrador"), livemode=False, as_of=SALES_DAY)  # fmt: skip
    template = {f.attname: getattr(first, f.attname) for f in Payment._meta.concrete_fields if f.attname != "id"}
    rows = []
    for i in range(2, n + 1):
        amount = Decimal(58 + (i * 37) % 2900).quantize(Decimal("0.01"))
        rows.append(Payment(**{**template, "key": f"test:V-{i:05d}", "amount": amount,
                               "forma_pago": "04" if i % 17 == 0 else "01",
                               "lines": [{"descripcion": "Venta de mostrador", "cantidad": "1",
                                          "amount": str(amount), "price_id": "", "product_id": ""}],
                               "paid_at": SALES_DAY + timedelta(seconds=i)}))  # fmt: skip
    Payment.objects.bulk_create(rows, batch_size=1000)
    receipt = open_receipt(first, as_of=SALES_DAY)
    template = {f.attname: getattr(receipt, f.attname) for f in Receipt._meta.concrete_fields if f.attname != "id"}
    from timbra.globalinvoice.services.receipts import new_code

    Receipt.objects.bulk_create(
        [Receipt(**{**template, "payment_id": p.pk, "code": new_code(), "number": p.key, "amount": p.amount,
                    "forma_pago": p.forma_pago, "paid_at": p.paid_at})
         for p in Payment.objects.filter(org=org).exclude(pk=first.pk).only("pk", "key", "amount", "forma_pago",
                                                                             "paid_at")],
        batch_size=1000,
    )  # fmt: skip
    return org


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    call_command("migrate", verbosity=0)
    from timbra.globalinvoice.services.issue import issue_due_global_invoices
    from timbra.invoicing.models import Invoice, InvoiceDocument
    from timbra.invoicing.process import process_invoice
    from timbra.invoicing.warm import warm_up

    with time_machine.travel(SALES_DAY, tick=False):
        make_sales(n)
    warm_up()
    print(f"factura global of {n} receipts, python {sys.version.split()[0]}, setup peak RSS {peak_rss_mb():.1f} MB")
    now = datetime.now(MX)
    ids, build = timed("build (issue at close)", lambda: issue_due_global_invoices(as_of=now))
    invoices, pipeline = timed("seal + stamp + pdf", lambda: [process_invoice(pk, as_of=datetime.now(MX))
                                                              for pk in ids])
    total = build + pipeline
    for invoice in invoices:
        doc = InvoiceDocument.objects.get(invoice=invoice)
        invoice.refresh_from_db()
        if not doc.stamped_xml:
            print(f"  {invoice.serie_folio} {invoice.status}: {invoice.hold_code} {invoice.hold_message[:300]}")
            continue
        lines = Invoice.objects.get(pk=invoice.pk).lines.count()
        print(f"  {invoice.serie_folio} {invoice.status} UUID {invoice.uuid}: {lines} conceptos, total "
              f"{invoice.total} MXN, FormaPago {invoice.forma_pago}, XML {len(bytes(doc.stamped_xml)) / 1e6:.2f} MB, "
              f"PDF {len(bytes(doc.pdf)) / 1e6:.2f} MB, {len(PdfReader(io.BytesIO(bytes(doc.pdf))).pages)} pages")
    print(f"total {total:.1f} s (goal < 60 s), peak RSS {peak_rss_mb():.1f} MB (goal < 500 MB)")


if __name__ == "__main__":
    main()
