"""Factura global: the period running now (receipts so far, total), a preview of the next global,
past globals, receipts held out of them, and the org's settings (periodicity, claim window,
what to do when a customer turns up after the global)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from timbra.dashboard.access import Tenant, org_view, render_page
from timbra.domain.global_periods import LABELS, allowed_periodicities
from timbra.globalinvoice import selectors
from timbra.globalinvoice.errors import GlobalInvoiceError
from timbra.globalinvoice.models import GlobalInvoiceSettings
from timbra.globalinvoice.services.configure import configure_global_invoice, ensure_settings


class GlobalSettingsForm(forms.Form):
    periodicity = forms.ChoiceField(label="Periodicidad")
    claim_days = forms.IntegerField(label="Días para que el cliente facture su ticket", min_value=0, max_value=60,
                                    help_text="Nunca después del cierre del periodo: ahí entra a la factura global.")
    after_global_policy = forms.ChoiceField(label="Si el cliente la pide después de la global",
                                            choices=GlobalInvoiceSettings.POLICIES)

    def __init__(self, *args: object, regimen_fiscal: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["periodicity"].choices = [  # type: ignore[attr-defined]
            (p.value, LABELS[p]) for p in allowed_periodicities(regimen_fiscal)
        ]


@org_view
def global_invoice(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    org, as_of = tenant.org, timezone.now()
    config = ensure_settings(org, as_of=as_of)
    form = GlobalSettingsForm(request.POST or None, regimen_fiscal=org.regimen_fiscal, initial={
        "periodicity": config.periodicity, "claim_days": config.claim_days,
        "after_global_policy": config.after_global_policy})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            configure_global_invoice(org, as_of=as_of, **form.cleaned_data)
        except GlobalInvoiceError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, "Ajustes de la factura global guardados. Aplican a los cobros nuevos.")
            return redirect("dashboard:global_invoice")
    past = selectors.past_globals(org, livemode=tenant.livemode)
    return render_page(request, tenant, "dashboard/global_invoice.html", {
        "nav": "global_invoice", "form": form, "config": config,
        "preview": selectors.preview_next(org, livemode=tenant.livemode, as_of=as_of),
        "past": [(invoice, selectors.period_label(invoice)) for invoice in past],
        "held": selectors.held_receipts(org, livemode=tenant.livemode),
        "portal_path": f"/portal/autofactura/{config.portal_slug}/",
    })  # fmt: skip
