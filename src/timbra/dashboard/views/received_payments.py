"""Pagos recibidos: payments against PPD invoices, the form that records one, its page with the
REP (complemento de pago) and the void action.

Views stay thin: reads through receivables.selectors, writes through record_payment and
void_payment, whose InvoicingError (Spanish) is shown to the person. The org comes from the
session (org_view); another org's payment, customer or invoice id is a 404.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from timbra.customers.models import Customer
from timbra.dashboard.access import Tenant, or_404, org_view, render_page
from timbra.dashboard.receivable_forms import CustomerFilterForm, OpenInvoice, ReceivedPaymentForm
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice, InvoiceDocument
from timbra.receivables import selectors
from timbra.receivables.allocation import balances
from timbra.receivables.models import PaymentApplication, ReceivedPayment
from timbra.receivables.services.record_payment import record_payment
from timbra.receivables.services.void_payment import VOIDABLE_REP, void_payment

PAGE_SIZE = 25
SOURCE = "dashboard"
NAV = "received_payments"


def _customers(tenant: Tenant) -> Any:
    return Customer.objects.filter(org=tenant.org, livemode=tenant.livemode).order_by("nombre")


def payment_or_404(tenant: Tenant, payment_id: int) -> ReceivedPayment:
    """The org's payment in the current mode; another org's id is a 404."""
    return or_404(selectors.get_payment(tenant.org, payment_id, livemode=tenant.livemode), "No se encontró el pago.")


def open_invoices(tenant: Tenant, customer: Customer) -> list[OpenInvoice]:
    """The customer's stamped PPD invoices that still owe something, oldest first."""
    invoices = list(selectors.open_ppd_invoices(tenant.org, customer.pk, livemode=tenant.livemode))
    found = balances(invoices)
    rows = [OpenInvoice(i, selectors.in_currency(i.total - found[i.pk].paid, i.moneda)) for i in invoices]
    return [row for row in rows if row.balance > 0]


@org_view
def payment_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Payments received, newest first, with their REP's status and deadline; filter by customer."""
    form = CustomerFilterForm(request.GET or None, customers=_customers(tenant))
    payments = selectors.payments_for(tenant.org, livemode=tenant.livemode).prefetch_related("applications__invoice")
    if form.is_valid() and (customer := form.cleaned_data["cliente"]):
        payments = payments.filter(customer=customer)
    page = Paginator(payments, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.with_rep_deadlines(tenant.org, page.object_list)
    return render_page(request, tenant, "dashboard/receivables/list.html", {"form": form, "page": page, "nav": NAV})


def _chosen_customer(request: HttpRequest, tenant: Tenant) -> Customer | None:
    """The customer the form is for: posted, else ?cliente=; another org's id is a 404."""
    raw = request.POST.get("customer") if request.method == "POST" else request.GET.get("cliente")
    if not raw:
        return None
    if not raw.isdigit() or (customer := _customers(tenant).filter(pk=int(raw)).first()) is None:
        raise Http404("No se encontró el cliente.")
    return customer


def _initial(request: HttpRequest, customer: Customer, rows: list[OpenInvoice]) -> dict[str, Any]:
    """Prefill from the invoice page's link (?factura=): that invoice's balance, paid in full."""
    initial: dict[str, Any] = {"customer": customer.pk, "fecha_pago": timezone.localdate()}
    wanted = request.GET.get("factura", "")
    for row in rows:
        if str(row.invoice.pk) == wanted:
            initial.update({row.field_name: row.balance, "monto": row.balance, "moneda": row.invoice.moneda})
    return initial


@org_view
def payment_new(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Registrar pago: pick the customer (GET), then the payment and what it pays (POST)."""
    customers = _customers(tenant)
    customer = _chosen_customer(request, tenant)
    context: dict[str, Any] = {"nav": NAV, "customers": customers, "customer": customer, "form": None}
    if customer is None:
        return render_page(request, tenant, "dashboard/receivables/new.html", context)
    rows = open_invoices(tenant, customer)
    data = request.POST if request.method == "POST" else None
    form = ReceivedPaymentForm(data, customers=customers, open_invoices=rows, tz=ZoneInfo(tenant.org.timezone),
                               initial=None if data else _initial(request, customer, rows))
    context["form"] = form
    if data is not None and form.is_valid():
        now = timezone.now()
        try:
            payment, created = record_payment(
                tenant.org, customer=form.cleaned_data["customer"], fecha_pago=form.fecha_pago_at(now),
                forma_de_pago=form.cleaned_data["forma_de_pago"], monto=form.cleaned_data["monto"],
                moneda=form.cleaned_data["moneda"], tipo_cambio=form.cleaned_data["tipo_cambio"],
                applications=form.applications(), reference=form.cleaned_data["num_operacion"].strip(),
                source=SOURCE, source_id=f"form:{form.cleaned_data['token']}", as_of=now, actor=tenant.actor,
            )
        except InvoicingError as exc:
            form.attach(exc)
        else:
            if created:
                messages.success(request, "Pago registrado; su complemento de pago se sellará y timbrará en seguida.")
            else:
                messages.info(request, "Este pago ya estaba registrado: no se registró dos veces.")
            return redirect("dashboard:received_payment_detail", received_payment_id=payment.pk)
    return render_page(request, tenant, "dashboard/receivables/new.html", context)


def _has_files(invoice: Invoice | None) -> bool:
    return invoice is not None and InvoiceDocument.objects.filter(invoice=invoice, stamped_xml__isnull=False).exists()


@org_view
def payment_detail(request: HttpRequest, tenant: Tenant, received_payment_id: int) -> HttpResponse:
    """One payment: what it paid of each invoice and its REP with status and downloads."""
    payment = payment_or_404(tenant, received_payment_id)
    selectors.with_rep_deadlines(tenant.org, [payment])
    rep = payment.rep_invoice
    can_void = payment.status == ReceivedPayment.RECORDED and (rep is None or rep.status in VOIDABLE_REP)
    return render_page(request, tenant, "dashboard/receivables/detail.html", {
        "payment": payment, "applications": payment.applications.all(), "rep": rep,
        "rep_has_files": _has_files(rep), "can_void": can_void, "nav": NAV,
    })


@org_view
@require_POST
def payment_void(request: HttpRequest, tenant: Tenant, received_payment_id: int) -> HttpResponse:
    """Anular: cancel a payment recorded by mistake and discard its unstamped REP (with confirmation)."""
    payment = payment_or_404(tenant, received_payment_id)
    if request.POST.get("confirmar") != "si":
        messages.error(request, "Marca la casilla de confirmación para anular el pago.")
    else:
        try:
            void_payment(payment, actor=tenant.actor, as_of=timezone.now())
        except InvoicingError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Pago anulado: el saldo de sus facturas volvió a quedar pendiente.")
    return redirect("dashboard:received_payment_detail", received_payment_id=payment.pk)


def invoice_payments(invoice: Invoice) -> dict[str, Any]:
    """For the invoice page: a PPD invoice's balance and the payments applied to it."""
    if invoice.metodo_pago != "PPD" or invoice.tipo_de_comprobante != "I":
        return {}
    applications = (PaymentApplication.objects.filter(invoice=invoice)
                    .select_related("payment", "payment__rep_invoice").order_by("payment__fecha_pago", "pk"))
    return {"ppd": {"balance": selectors.in_currency(selectors.open_balance(invoice), invoice.moneda),
                    "status": selectors.payment_status(invoice), "applications": applications,
                    "can_pay": invoice.status in selectors.ISSUED}}
