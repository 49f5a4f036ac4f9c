"""Issue 11 on the invoice page: cancel at the SAT, credit note by hand, ask the SAT, and the
«corregir» form (a held invoice is edited in place; a stamped one is corrected and substituted)."""

from __future__ import annotations

import uuid
from datetime import date
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from timbra.catalog.models import Product
from timbra.customers.models import Customer
from timbra.dashboard.access import Tenant, org_view, render_page
from timbra.dashboard.forms import InvoiceForm, LineFormSet, attach_error
from timbra.dashboard.forms_corrections import CancelForm, CreditNoteForm, as_lines, initial_from
from timbra.dashboard.views.invoices import invoice_or_404
from timbra.domain.cancellation import TIPO_RELACION_SUSTITUCION, acceptance_deadline
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.cancel import ISSUED, request_cancellation
from timbra.invoicing.credit_note import issue_credit_note
from timbra.invoicing.edit import edit_held_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.invoicing.sat_check import check_sat_status
from timbra.invoicing.substitute import substitute_invoice


def substitutes_for(invoice: Invoice) -> list[Invoice]:
    """Stamped invoices of the same customer that relate `invoice` as its substitute (TipoRelacion 04)."""
    rows = Invoice.objects.filter(org_id=invoice.org_id, livemode=invoice.livemode, customer_id=invoice.customer_id,
                                  status__in=ISSUED).exclude(pk=invoice.pk).exclude(related=[])
    return [row for row in rows if any(rel.get("tipo_relacion") == TIPO_RELACION_SUSTITUCION
                                       and invoice.uuid in (rel.get("uuids") or []) for rel in row.related)]


def correction_context(invoice: Invoice) -> dict[str, object]:
    """What the invoice page shows for issue 11 (forms only where they apply)."""
    issued = invoice.status in ISSUED and bool(invoice.uuid)
    ids = [s.pk for s in substitutes_for(invoice)] if issued else []
    return {
        "cancel_form": CancelForm(substitutes=Invoice.objects.filter(pk__in=ids)) if issued else None,
        "credit_form": CreditNoteForm(initial={"token": uuid.uuid4().hex})
        if issued and invoice.tipo_de_comprobante == "I" and invoice.credited < invoice.total else None,
        "can_correct": (issued and invoice.substitute_id is None and invoice.tipo_de_comprobante == "I")
        or (invoice.status == InvoiceStatus.HELD and invoice.tipo_de_comprobante == "I"),
        "can_check_sat": bool(invoice.uuid),
        "acceptance_deadline": _acceptance_deadline(invoice),
    }


def _acceptance_deadline(invoice: Invoice) -> date | None:
    if not (invoice.cancellation_needs_acceptance and invoice.cancellation_requested_at):
        return None
    return acceptance_deadline(invoice.cancellation_requested_at.astimezone(ZoneInfo(invoice.org.timezone)).date())


def _back(invoice: Invoice) -> HttpResponse:
    return redirect("dashboard:invoice_detail", invoice_id=invoice.pk)


@org_view
@require_POST
def invoice_cancel(request: HttpRequest, tenant: Tenant, invoice_id: int) -> HttpResponse:
    """Ask the SAT to cancel a stamped invoice with a motive (and its substitute for motive 01)."""
    invoice = invoice_or_404(tenant, invoice_id)
    form = CancelForm(request.POST, substitutes=Invoice.objects.filter(pk__in=[s.pk for s in substitutes_for(invoice)]))
    if not form.is_valid():
        messages.error(request, "Elige un motivo de cancelación válido.")
        return _back(invoice)
    try:
        request_cancellation(invoice, motivo=form.cleaned_data["motivo"], substitute=form.cleaned_data["substitute"],
                             actor=tenant.actor, as_of=timezone.now())
    except InvoicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Se pidió al SAT cancelar la factura {invoice.serie_folio}.")
    return _back(invoice)


@org_view
@require_POST
def invoice_credit_note(request: HttpRequest, tenant: Tenant, invoice_id: int) -> HttpResponse:
    """Issue a credit note (Egreso, relación 01) by hand, partial or total."""
    invoice = invoice_or_404(tenant, invoice_id)
    form = CreditNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Revisa el importe de la nota de crédito.")
        return _back(invoice)
    try:
        note = issue_credit_note(invoice, amount=form.cleaned_data["amount"], concept=form.cleaned_data["concept"],
                                 actor=tenant.actor, as_of=timezone.now(), key=form.cleaned_data["token"])
    except InvoicingError as exc:
        messages.error(request, exc.message)
        return _back(invoice)
    messages.success(request, f"Nota de crédito {note.serie_folio} creada; se sellará y timbrará en seguida.")
    return redirect("dashboard:invoice_detail", invoice_id=note.pk)


@org_view
@require_POST
def invoice_sat_status(request: HttpRequest, tenant: Tenant, invoice_id: int) -> HttpResponse:
    """Ask the SAT status service about this CFDI now."""
    invoice = invoice_or_404(tenant, invoice_id)
    try:
        status = check_sat_status(invoice, as_of=timezone.now(), actor=tenant.actor)
    except InvoicingError as exc:
        messages.error(request, exc.message)
    else:
        detail = ", ".join(part for part in (status.estado, status.es_cancelable, status.estatus_cancelacion) if part)
        messages.success(request, f"El SAT dice: {detail or status.codigo_estatus}.")
    return _back(invoice)


@org_view
def invoice_correct(request: HttpRequest, tenant: Tenant, invoice_id: int) -> HttpResponse:
    """A held invoice: edit it and send it again. A stamped one: issue the corrected substitute, then
    the original is cancelled with motive 01 (one recoverable workflow)."""
    invoice = invoice_or_404(tenant, invoice_id)
    held = invoice.status == InvoiceStatus.HELD
    customers = Customer.objects.filter(org=tenant.org, livemode=tenant.livemode).order_by("nombre")
    if not held:
        customers = customers.filter(pk=invoice.customer_id)  # a substitute is for the same receptor
    products = Product.objects.filter(org=tenant.org, livemode=tenant.livemode).order_by("descripcion")
    data = request.POST if request.method == "POST" else None
    general, rows = initial_from(invoice)
    form = InvoiceForm(data, customers=customers, initial=general)
    lines = LineFormSet(data, prefix="lines", form_kwargs={"products": products}, initial=rows)
    if data is not None and form.is_valid() and lines.is_valid():
        request_input = form.to_input(as_lines([f.to_input() for f in lines.forms]))
        try:
            if held:
                edit_held_invoice(invoice, request_input, actor=tenant.actor, as_of=timezone.now(), retry=True)
                messages.success(request, f"Factura {invoice.serie_folio} corregida; se sella y timbra de nuevo.")
                return _back(invoice)
            created = substitute_invoice(invoice, request_input, actor=tenant.actor, as_of=timezone.now())
        except InvoicingError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, f"Sustituta {created.serie_folio} creada: al timbrarse se cancela "
                             f"{invoice.serie_folio} con motivo 01.")
            return redirect("dashboard:invoice_detail", invoice_id=created.pk)
    title = f"Corregir la factura {invoice.serie_folio}" if held else f"Corregir y sustituir {invoice.serie_folio}"
    intro = ("Corrige los datos y se vuelve a sellar y timbrar con el mismo folio." if held else
             "Se emite una factura nueva que sustituye a esta (relación 04); cuando quede timbrada, esta se cancela "
             "ante el SAT con el motivo 01.")
    return render_page(request, tenant, "dashboard/invoices/new.html",
                       {"form": form, "lines": lines, "nav": "invoices", "page_title": title, "page_intro": intro,
                        "submit_label": "Guardar y reintentar" if held else "Emitir sustituta", "invoice": invoice})
