"""Invoice list, invoice page and the new-invoice form."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from timbra.catalog.models import Product
from timbra.customers.models import Customer
from timbra.dashboard.access import Tenant, or_404, org_view, render_page
from timbra.dashboard.forms import InvoiceFilterForm, InvoiceForm, LineForm, LineFormSet, attach_error
from timbra.dashboard.views.received_payments import invoice_payments
from timbra.domain.status import InvoiceStatus
from timbra.invoicing import selectors
from timbra.invoicing.create import create_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice, InvoiceDocument

PAGE_SIZE = 25
# States the pipeline leaves on its own within seconds: their badge polls (htmx) until it settles.
MOVING = (InvoiceStatus.DRAFT, InvoiceStatus.SEALED, InvoiceStatus.STAMPED)
_LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


def invoice_or_404(tenant: Tenant, invoice_id: int) -> Invoice:
    """The org's invoice in the current mode; anything else (another org's id) is a 404."""
    return or_404(selectors.get_invoice(tenant.org, invoice_id, livemode=tenant.livemode), "No se encontró la factura.")


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_RFC = re.compile(r"^[A-Za-zÑñ&]{3,4}\d{6}[A-Za-z0-9]{3}$")


def _search(invoices: QuerySet[Invoice], text: str) -> QuerySet[Invoice]:
    """A whole UUID, RFC or folio is matched exactly (indexed: years of history stay fast,
    issue 13); anything else is a piece of a UUID, an RFC or a name."""
    text = text.strip()
    if not text:
        return invoices
    if _UUID.match(text):
        return invoices.filter(uuid__in={text, text.upper(), text.lower()})
    if _RFC.match(text):
        return invoices.filter(customer__rfc=text.upper())
    match = Q(folio=text)
    serie, dash, folio = text.rpartition("-")
    if dash and serie and folio.isdigit():  # "A-12" as shown in the list
        match |= Q(serie__iexact=serie, folio=folio)
    if text.isdigit():  # a bare number is a folio, not a piece of an RFC
        return invoices.filter(match)
    match |= Q(uuid__icontains=text) | Q(customer__rfc__icontains=text) | Q(customer__nombre__icontains=text)
    return invoices.filter(match)


@org_view
def invoice_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The org's invoices, filtered by status and a free-text search."""
    form = InvoiceFilterForm(request.GET or None)
    invoices = selectors.invoices_for(tenant.org, livemode=tenant.livemode)
    if form.is_valid():
        if status := form.cleaned_data["status"]:
            invoices = invoices.filter(status=status)
        invoices = _search(invoices, form.cleaned_data["q"])
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    attention = selectors.needs_attention_count(tenant.org, livemode=tenant.livemode)
    return render_page(request, tenant, "dashboard/invoices/list.html",
                       {"form": form, "page": page, "attention_count": attention, "nav": "invoices",
                        "moving": MOVING})


@org_view
@require_GET
def invoice_status(request: HttpRequest, tenant: Tenant, invoice_id: int) -> HttpResponse:
    """The invoice's status badge alone: what the invoice and list pages poll (htmx) so a draft
    turns "Entregada" on screen without a reload."""
    invoice = invoice_or_404(tenant, invoice_id)
    response = render(request, "dashboard/invoices/_live_status.html", {"invoice": invoice, "moving": MOVING})
    response["Cache-Control"] = "no-store"
    return response


def _receptor(invoice: Invoice) -> dict[str, str]:
    """The receptor as sealed; before sealing, the customer's current data."""
    if invoice.receptor:
        return dict(invoice.receptor)
    customer = invoice.customer
    return {"rfc": customer.rfc, "nombre": customer.nombre, "regimen_fiscal": customer.regimen_fiscal,
            "codigo_postal": customer.codigo_postal, "uso_cfdi": invoice.uso_cfdi or customer.uso_cfdi}


@org_view
def invoice_detail(request: HttpRequest, tenant: Tenant, invoice_id: int) -> HttpResponse:
    """Invoice page: header, totals, receptor, lines, downloads, actions and the timeline."""
    from timbra.dashboard.views.invoice_corrections import correction_context  # it imports this module

    invoice = invoice_or_404(tenant, invoice_id)
    stamped = InvoiceDocument.objects.filter(invoice=invoice, stamped_xml__isnull=False).exists()
    context = {
        "invoice": invoice,
        "receptor": _receptor(invoice),
        "lines": invoice.lines.all(),
        "events": invoice.events.all(),
        "deliveries": invoice.deliveries.all(),
        "has_files": stamped,
        "can_retry": invoice.status == InvoiceStatus.HELD,
        "can_discard": invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.HELD),
        "nav": "invoices",
        "moving": MOVING,
        **invoice_payments(invoice),
        **correction_context(invoice),
    }
    return render_page(request, tenant, "dashboard/invoices/detail.html", context)


def _attach_create_error(form: InvoiceForm, lines: LineFormSet, positions: list[int], exc: InvoicingError) -> None:
    """Put create_invoice's message on the field it names; `lines[i]` is the i-th non-empty row."""
    match = _LINE_FIELD.match(exc.field)
    if match is None:
        attach_error(form, exc)
        return
    index, name = int(match.group(1)), match.group(2)
    line_form = lines.forms[positions[index]] if index < len(positions) else None
    if line_form is None:
        form.add_error(None, exc.message)
        return
    # The service numbers only the filled rows; say the row number the person sees.
    message = exc.message.replace(f"partida {index + 1}", f"partida {positions[index] + 1}")
    line_form.add_error(name if name in line_form.fields else None, message)


@org_view
def invoice_new(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """New invoice: customer, up to five lines, payment terms; create_invoice does the rest."""
    customers = Customer.objects.filter(org=tenant.org, livemode=tenant.livemode).order_by("nombre")
    products = Product.objects.filter(org=tenant.org, livemode=tenant.livemode).order_by("descripcion")
    data = request.POST if request.method == "POST" else None
    form = InvoiceForm(data, customers=customers)
    lines = LineFormSet(data, prefix="lines", form_kwargs={"products": products})
    if data is not None and form.is_valid() and lines.is_valid():
        line_forms: list[LineForm] = list(lines.forms)
        filled = [(i, f.to_input()) for i, f in enumerate(line_forms)]
        positions = [i for i, line in filled if line is not None]
        request_input = form.to_input([line for _, line in filled if line is not None])
        try:
            invoice = create_invoice(tenant.org, request_input, livemode=tenant.livemode,
                                     as_of=timezone.now(), actor=tenant.actor)
        except InvoicingError as exc:
            _attach_create_error(form, lines, positions, exc)
        else:
            messages.success(request, f"Factura {invoice.serie_folio} creada; se sellará y timbrará en seguida.")
            return redirect("dashboard:invoice_detail", invoice_id=invoice.pk)
    return render_page(request, tenant, "dashboard/invoices/new.html",
                       {"form": form, "lines": lines, "nav": "new",
                        "no_customers": not customers.exists()})
