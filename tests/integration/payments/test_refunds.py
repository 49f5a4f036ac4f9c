"""Refunds become Egresos (notas de crédito) related to the charge's CFDI, exactly once
(issue 3; reference/reliability.md §2.2 E3): partial refunds add up and never exceed the
original, a refund before its charge or before its CFDI waits, duplicates collapse."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core import mail
from pypdf import PdfReader

from tests.sat_official import assert_valid_cfdi
from tests.unit.payments.stripe_events import event
from timbra import jobs
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.documents import ensure_pdf
from timbra.invoicing.models import Invoice
from timbra.invoicing.process import process_invoice
from timbra.payments.models import Payment, Refund, WebhookEvent
from timbra.payments.services import credit_notes
from timbra.payments.services.process_event import process_event
from timbra.payments.services.refunds import requeue_ready_refunds, wake_refunds_of_invoice

pytestmark = pytest.mark.django_db

CHARGE = "ch_3QhMa1LkdIwHu7ix0ChArG01"
FIRST, SECOND = "re_3QhMa1LkdIwHu7ix0ReFuN01", "re_3QhMa1LkdIwHu7ix0ReFuN02"


def _original() -> Invoice:
    return Invoice.objects.get(tipo_de_comprobante="I")


def _egresos() -> list[Invoice]:
    return list(Invoice.objects.filter(tipo_de_comprobante="E").order_by("pk"))


def _pdf_text(pdf: bytes) -> str:
    return " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def _refund_event(refund_id: str, amount: int, *, event_id: str) -> dict:
    """A refund.created event of the one-off charge for another refund."""
    return event("refund_created", event_id=event_id, id=refund_id, amount=amount, balance_transaction=None)


def test_a_partial_refund_makes_an_egreso_related_to_the_charges_cfdi(connection, deliver):
    # given a one-off charge of 580.00 (IVA 16 % included), invoiced and stamped
    deliver(connection, event("charge_succeeded_oneoff"))
    original = _original()
    assert original.status == InvoiceStatus.DELIVERED and original.uuid
    # when Stripe refunds 200.00 of it (charge.refunded with its refunds list)
    deliver(connection, event("charge_refunded_partial"))
    # then one Egreso for 200.00 with IVA in the same proportion, related 01 to the original
    [egreso] = _egresos()
    assert egreso.status == InvoiceStatus.DELIVERED and egreso.uuid
    assert (egreso.source, egreso.source_id) == ("stripe", f"refund:{FIRST}")
    assert egreso.related == [{"tipo_relacion": "01", "uuids": [original.uuid]}]
    assert (egreso.total, egreso.subtotal, egreso.total_traslados) == (
        Decimal("200.00"),
        Decimal("172.41"),
        Decimal("27.59"),
    )
    assert (egreso.forma_pago, egreso.metodo_pago, egreso.uso_cfdi, egreso.customer_id) == (
        original.forma_pago,
        "PUE",
        "G02",
        original.customer_id,
    )
    line = egreso.lines.get()
    assert (line.clave_prod_serv, line.clave_unidad, line.taxes) == ("84111506", "ACT", ["IVA16"])
    # and the stamped XML is a valid CFDI 4.0 Egreso with its CfdiRelacionados
    root = assert_valid_cfdi(bytes(egreso.document.stamped_xml))
    assert root.get("TipoDeComprobante") == "E"
    ns = {"cfdi": "http://www.sat.gob.mx/cfd/4"}
    relacionados = root.find("cfdi:CfdiRelacionados", ns)
    assert relacionados.get("TipoRelacion") == "01"
    assert relacionados.find("cfdi:CfdiRelacionado", ns).get("UUID") == original.uuid
    # and the refund, its fees and the payment's running total are kept
    refund = Refund.objects.get()
    assert (refund.status, refund.credit_note_id, refund.amount) == (Refund.CREDITED, egreso.pk, Decimal("200.00"))
    assert (refund.fee, refund.net, refund.balance_transaction_id) == (
        Decimal("0.00"),
        Decimal("-200.00"),
        "txn_3QhMa1LkdIwHu7ix0ReFuN01",
    )
    assert Payment.objects.get().refunded == Decimal("200.00")
    assert WebhookEvent.objects.get(event_type="charge.refunded").status == WebhookEvent.PROCESSED
    assert original.events.filter(kind="credit_note").count() == 1


def test_the_egreso_pdf_and_email_say_nota_de_credito(connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff"))
    deliver(connection, event("charge_refunded_partial"))
    [egreso] = _egresos()

    text = _pdf_text(ensure_pdf(egreso))
    assert "CFDI DE EGRESO" in text and _original().uuid in text and "84111506" in text
    email = mail.outbox[-1]
    assert email.subject.startswith("Nota de crédito") and "nota de crédito" in email.body
    assert _original().uuid in email.body


def test_partial_refunds_add_up_and_never_exceed_the_original(connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff"))
    deliver(connection, event("charge_refunded_partial"))  # 200.00, a day later
    deliver(connection, event("refund_created"))  # 380.00, two days later (modern API event)
    assert [e.total for e in _egresos()] == [Decimal("200.00"), Decimal("380.00")]
    assert Payment.objects.get().refunded == Decimal("580.00")
    # when one more peso would be refunded (more than the CFDI's total)
    deliver(connection, _refund_event("re_extra", 100, event_id="evt_extra"))
    # then it is held with a Spanish reason, never dropped, and no third Egreso exists
    extra = Refund.objects.get(refund_id="re_extra")
    assert extra.status == Refund.HELD and "supere el total" in extra.status_reason
    assert len(_egresos()) == 2 and Payment.objects.get().refunded == Decimal("580.00")
    assert _original().events.filter(kind="refund_held").count() == 1


def test_duplicate_refund_events_seconds_or_days_apart_make_one_egreso_per_refund(connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff"))
    refunded = event("charge_refunded_partial")
    deliver(connection, refunded)
    deliver(connection, refunded)  # the same delivery again: the inbox absorbs it
    # days later, the second refund's charge.refunded lists both refunds again
    both = event("charge_refunded_partial", event_id="evt_later", amount_refunded=58000)
    both["data"]["object"]["refunds"]["data"].append(event("refund_created")["data"]["object"])
    deliver(connection, both)
    deliver(connection, event("refund_created"))  # and the second refund's own event

    assert sorted(e.source_id for e in _egresos()) == [f"refund:{FIRST}", f"refund:{SECOND}"]
    assert Refund.objects.count() == 2 and Payment.objects.get().refunded == Decimal("580.00")
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {WebhookEvent.PROCESSED}


def test_a_refund_before_its_charge_waits_then_is_credited(connection, deliver):
    # when the refund arrives first
    deliver(connection, event("charge_refunded_partial"))
    waiting = WebhookEvent.objects.get()
    assert waiting.status == WebhookEvent.WAITING and waiting.waiting_on == CHARGE
    assert Refund.objects.count() == 0 and not _egresos()
    # then the charge arrives: it is invoiced, and the refund wakes and is credited
    deliver(connection, event("charge_succeeded_oneoff"))
    [egreso] = _egresos()
    assert egreso.related[0]["uuids"] == [_original().uuid]
    waiting.refresh_from_db()
    assert waiting.status == WebhookEvent.PROCESSED


def test_modern_charge_refunded_without_a_list_waits_for_the_refund_events(connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff"))
    bare = event("charge_refunded_partial", event_id="evt_bare", refunds=None)
    deliver(connection, bare)
    assert WebhookEvent.objects.get(event_id="evt_bare").status == WebhookEvent.WAITING
    assert not _egresos()

    deliver(connection, _refund_event(FIRST, 20000, event_id="evt_re1"))

    assert len(_egresos()) == 1
    assert WebhookEvent.objects.get(event_id="evt_bare").status == WebhookEvent.PROCESSED


@pytest.mark.parametrize("wake", ["after_stamp_hook", "sweeper"])
def test_a_refund_waits_for_the_original_cfdi_to_be_stamped(
    connection, deliver, monkeypatch, django_capture_on_commit_callbacks, wake
):
    # given the charge's invoice exists but its processing job was lost (still a draft)
    monkeypatch.setattr(jobs, "enqueue_on_commit", _drop_invoicing_jobs(jobs.enqueue_on_commit))
    deliver(connection, event("charge_succeeded_oneoff"))
    original = _original()
    assert original.status == InvoiceStatus.DRAFT
    # when the refund arrives it is recorded and waits, visibly
    deliver(connection, event("charge_refunded_partial"))
    refund = Refund.objects.get()
    assert refund.status == Refund.WAITING and "se timbre" in refund.status_reason
    assert WebhookEvent.objects.get(event_type="charge.refunded").status == WebhookEvent.WAITING
    assert requeue_ready_refunds(as_of=original.created_at) == 0  # nothing stamped yet
    # then once the original is stamped, the hook (or the sweeper) credits it
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        process_invoice(original.pk, as_of=original.created_at)
        if wake == "sweeper":
            assert requeue_ready_refunds(as_of=original.created_at) == 1
        else:
            assert wake_refunds_of_invoice(original.pk, as_of=original.created_at) == 1
    [egreso] = _egresos()
    assert egreso.related[0]["uuids"] == [Invoice.objects.get(pk=original.pk).uuid]
    assert WebhookEvent.objects.get(event_type="charge.refunded").status == WebhookEvent.PROCESSED
    assert requeue_ready_refunds(as_of=original.created_at) == 0  # idempotent


def _drop_invoicing_jobs(real):
    def enqueue_on_commit(name, **kwargs):
        if name != "invoicing.process":
            real(name, **kwargs)

    return enqueue_on_commit


def test_a_crash_while_crediting_leaves_nothing_half_done_and_a_rerun_finishes(connection, deliver, monkeypatch):
    deliver(connection, event("charge_succeeded_oneoff"))

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    # when the worker dies right after creating the Egreso, inside the transaction
    monkeypatch.setattr(credit_notes, "record", crash)
    deliver(connection, event("charge_refunded_partial"))  # the job fails (and its retries)
    # then nothing of the credit is left: no Egreso, the refund open, nothing reserved
    assert not _egresos() and Payment.objects.get().refunded == 0
    assert Refund.objects.get().status == Refund.PENDING
    event_row = WebhookEvent.objects.get(event_type="charge.refunded")
    assert event_row.status == WebhookEvent.FAILED
    # when the job runs again
    monkeypatch.undo()
    process_event(event_row.pk, as_of=event_row.received_at)
    process_event(event_row.pk, as_of=event_row.received_at)  # and once more
    # then exactly one Egreso
    assert len(_egresos()) == 1 and Payment.objects.get().refunded == Decimal("200.00")


def test_a_failed_refund_never_makes_a_cfdi(connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff"))
    failed = event("refund_created", event_id="evt_failed", status="failed")
    failed["type"] = "refund.failed"

    deliver(connection, failed)

    assert Refund.objects.get().status == Refund.VOID and not _egresos()
    assert "falló" in WebhookEvent.objects.get(event_id="evt_failed").reason


def test_a_pending_refund_is_credited_when_stripe_confirms_it(connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff"))
    deliver(connection, event("refund_created", event_id="evt_pending", status="pending"))
    assert Refund.objects.get().status == Refund.PENDING and not _egresos()

    confirmed = event("refund_created", event_id="evt_confirmed")
    confirmed["type"] = "charge.refund.updated"
    deliver(connection, confirmed)

    assert len(_egresos()) == 1
    assert WebhookEvent.objects.get(event_id="evt_pending").status == WebhookEvent.PROCESSED


def test_an_egreso_for_an_invoice_with_several_lines_and_retenciones_keeps_each_taxs_share(
    connection, customer, django_capture_on_commit_callbacks
):
    # given a stamped Ingreso from a persona física with a service under ISR/IVA retenciones and a
    # product with IVA 16 %
    from tests.factories import NOW, become_persona_fisica
    from timbra.invoicing.create import create_invoice
    from timbra.invoicing.inputs import InvoiceInput, LineInput
    from timbra.payments.services.credit_notes import credit_refund

    lines = (
        LineInput(descripcion="Consultoría", unit_price=Decimal("1000.00"), price_includes_taxes=False,
                  clave_prod_serv="80111600", clave_unidad="E48", objeto_imp="02",
                  taxes=("IVA16", "RET_ISR_10", "RET_IVA_2_3")),
        LineInput(descripcion="Licencia", unit_price=Decimal("500.00"), price_includes_taxes=False,
                  clave_prod_serv="43232300", clave_unidad="E48", objeto_imp="02", taxes=("IVA16",)),
    )  # fmt: skip
    become_persona_fisica(connection.org)
    with django_capture_on_commit_callbacks(execute=True):
        original = create_invoice(
            connection.org, InvoiceInput(customer_id=customer.pk, lines=lines, forma_pago="03"), livemode=False,
            as_of=NOW,
        )  # fmt: skip
    original.refresh_from_db()
    assert original.uuid and original.total == Decimal("1533.33")  # 1500 + 240 − 100 − 106.67
    payment = Payment.objects.create(
        org=connection.org, connection=connection, provider="stripe", key="pi_manual", currency="MXN",
        amount=original.total, forma_pago="03", paid_at=NOW, status=Payment.INVOICED, invoice=original,
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    refund = Refund.objects.create(
        org=connection.org, connection=connection, provider="stripe", refund_id="re_half", payment=payment,
        currency="MXN", amount=Decimal("766.66"), gateway_status="succeeded", refunded_at=NOW,
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    # when half of it is refunded
    with django_capture_on_commit_callbacks(execute=True):
        credit_refund(refund.pk, as_of=NOW)
    # then the Egreso keeps both lines' taxes, in proportion, and is a valid stamped CFDI
    [egreso] = _egresos()
    assert egreso.uuid and egreso.status == InvoiceStatus.DELIVERED
    assert [line.taxes for line in egreso.lines.all()] == [["IVA16", "RET_ISR_10", "RET_IVA_2_3"], ["IVA16"]]
    assert abs(egreso.total - Decimal("766.66")) <= Decimal("0.02")
    assert abs(egreso.total_retenciones - Decimal("103.33")) <= Decimal("0.01")  # half of 206.67
    assert abs(egreso.total_traslados - Decimal("120.00")) <= Decimal("0.01")  # half of 240.00
    assert assert_valid_cfdi(bytes(egreso.document.stamped_xml)).get("TipoDeComprobante") == "E"


def test_a_refund_of_a_payment_that_is_not_invoiced_needs_no_credit_note(connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff"))
    Payment.objects.update(status=Payment.NOT_INVOICED, invoice=None)  # as a "do not invoice" rule leaves it

    deliver(connection, event("charge_refunded_partial"))

    assert Refund.objects.get().status == Refund.VOID and not _egresos()
    assert WebhookEvent.objects.get(event_type="charge.refunded").status == WebhookEvent.PROCESSED
