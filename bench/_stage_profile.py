"""Run the real pipeline services in this process and time each stage (used by issue_burst.py)."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import django

django.setup()

from django.utils import timezone  # noqa: E402

from timbra import jobs  # noqa: E402
from timbra.cfdi import build  # noqa: E402
from timbra.delivery import eml_backend  # noqa: E402
from timbra.delivery.services import deliver_invoice  # noqa: E402
from timbra.invoicing import documents, pacs  # noqa: E402
from timbra.invoicing.create import create_invoice  # noqa: E402
from timbra.invoicing.inputs import InvoiceInput, LineInput  # noqa: E402
from timbra.invoicing.process import process_invoice  # noqa: E402
from timbra.orgs.models import Org  # noqa: E402

times: dict[str, list[float]] = defaultdict(list)


def timed(stage: str, fn):  # type: ignore[no-untyped-def]
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            times[stage].append((time.perf_counter() - start) * 1000)

    return wrapper


def main(n: int) -> None:
    jobs.enqueue = lambda *a, **k: None  # this process drives the stages itself
    build.seal = timed("build+seal", build.seal)
    pac = pacs.sandbox_pac()
    pac.stamp = timed("stamp", pac.stamp)  # type: ignore[method-assign]
    documents.render_pdf = timed("pdf", documents.render_pdf)
    backend = eml_backend.EmlFileBackend
    backend.send_messages = timed("email", backend.send_messages)  # type: ignore[method-assign]
    demo = json.loads((Path(os.environ["TIMBRA_HOME"]) / "demo.json").read_text())
    org = Org.objects.get(pk=demo["org_id"])
    request = InvoiceInput(customer_id=demo["customer_id"], forma_pago="04",
                           lines=(LineInput(product_id=demo["product_id"], cantidad=Decimal(1)),))
    total: list[float] = []
    for i in range(n + 5):
        start = time.perf_counter()
        invoice = create_invoice(org, request, livemode=False, as_of=timezone.now(), actor="bench")
        process_invoice(invoice.pk, as_of=timezone.now())
        deliver_invoice(invoice.pk, as_of=timezone.now())
        elapsed = (time.perf_counter() - start) * 1000
        if i < 5:  # warm-up: first XSD/XSLT compilation, key load
            for values in times.values():
                values.clear()
            continue
        total.append(elapsed)
    import statistics

    med = {stage: statistics.median(values) for stage, values in times.items()}
    med["database+rest"] = statistics.median(total) - sum(med.values())
    print(f"== stage profile: {n} invoices, one process, median ms per invoice ==")
    for stage in ("build+seal", "stamp", "pdf", "email", "database+rest"):
        print(f"  {stage:<14} {med[stage]:7.2f} ms")
    print(f"  {'total':<14} {statistics.median(total):7.2f} ms  → {1000 / statistics.median(total):.0f} invoices/s "
          "on one core")


if __name__ == "__main__":
    main(int(sys.argv[1]))
