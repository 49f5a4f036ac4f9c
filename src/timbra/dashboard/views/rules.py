"""Invoicing rules: the ordered list (move up/down), the editor and its "what would this charge produce?" panel."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from timbra.dashboard.access import Tenant, or_404, org_view, render_page
from timbra.dashboard.rule_forms import RateSourceForm, RuleForm, sample_choices
from timbra.dashboard.views.audit import history_of
from timbra.invoicing.errors import InvoicingError
from timbra.payments.rules.models import InvoicingRule, InvoicingSettings
from timbra.payments.rules.preview import Preview, preview_payment
from timbra.payments.rules.services import (
    create_rule,
    delete_rule,
    draft_rule,
    move_rule,
    rules_of,
    set_rate_source,
    update_rule,
)


def rule_or_404(tenant: Tenant, rule_id: int) -> InvoicingRule:
    """The org's rule in the current mode; another org's id is a 404."""
    return or_404(rules_of(tenant.org, livemode=tenant.livemode).filter(pk=rule_id).first(), "No se encontró la regla.")


@org_view
def rule_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    settings = InvoicingSettings.objects.filter(org=tenant.org).first()
    rates = RateSourceForm(initial={
        "exchange_rate_source": settings.exchange_rate_source if settings else InvoicingSettings.RATE_GATEWAY,
        "manual_rates": "\n".join(f"{k}={v}" for k, v in (settings.manual_rates if settings else {}).items()),
    })
    return render_page(request, tenant, "dashboard/rules/list.html",
                       {"rules": rules_of(tenant.org, livemode=tenant.livemode), "rates": rates, "nav": "rules"})


@org_view
def rule_new(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return _editor(request, tenant, None)


@org_view
def rule_edit(request: HttpRequest, tenant: Tenant, rule_id: int) -> HttpResponse:
    return _editor(request, tenant, rule_or_404(tenant, rule_id))


def _editor(request: HttpRequest, tenant: Tenant, rule: InvoicingRule | None) -> HttpResponse:
    """One form, two buttons: save the rule, or try it (unsaved) against a recent charge."""
    samples = sample_choices(tenant.org, livemode=tenant.livemode)
    initial = RuleForm.initial_for(rule) if rule else None
    form = RuleForm(request.POST or None, initial=initial, samples=samples)
    preview: Preview | None = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "preview":
            preview = _try(form, tenant, rule)
        elif (saved := _save(form, tenant, rule)) is not None:
            messages.success(request, f"Regla «{saved.name}» guardada.")
            return redirect("dashboard:rule_list")
    return render_page(request, tenant, "dashboard/rules/form.html",
                       {"form": form, "rule": rule, "preview": preview, "nav": "rules",
                        "history": history_of(tenant.org, "rule", rule.pk) if rule else []})


def _save(form: RuleForm, tenant: Tenant, rule: InvoicingRule | None) -> InvoicingRule | None:
    try:
        if rule is None:
            return create_rule(tenant.org, form.to_values(), livemode=tenant.livemode, as_of=timezone.now(),
                               actor=tenant.actor, source="dashboard")
        return update_rule(rule, form.to_values(), as_of=timezone.now(), actor=tenant.actor, source="dashboard")
    except InvoicingError as exc:
        form.attach(exc)
        return None


def _try(form: RuleForm, tenant: Tenant, rule: InvoicingRule | None) -> Preview | None:
    kind, _, pk = (form.cleaned_data["sample"] or "").partition(":")
    if not pk.isdigit():
        form.add_error("sample", "Elige un cobro o evento para probar la regla.")
        return None
    target: dict[str, Any] = {"payment_id" if kind == "p" else "event_id": int(pk)}
    try:
        draft = draft_rule(form.to_values(), rule_id=rule.pk if rule else None)
        return preview_payment(tenant.org, livemode=tenant.livemode, as_of=timezone.now(), draft=draft, **target)
    except InvoicingError as exc:
        form.attach(exc)
        return None


@require_POST
@org_view
def rule_move(request: HttpRequest, tenant: Tenant, rule_id: int, direction: str) -> HttpResponse:
    move_rule(rule_or_404(tenant, rule_id), -1 if direction == "subir" else 1, as_of=timezone.now())
    return redirect("dashboard:rule_list")


@require_POST
@org_view
def rule_delete(request: HttpRequest, tenant: Tenant, rule_id: int) -> HttpResponse:
    rule = rule_or_404(tenant, rule_id)
    delete_rule(rule, as_of=timezone.now(), actor=tenant.actor, source="dashboard")
    messages.success(request, f"Regla «{rule.name}» eliminada.")
    return redirect("dashboard:rule_list")


@require_POST
@org_view
def rule_rates(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = RateSourceForm(request.POST)
    if form.is_valid():
        try:
            set_rate_source(tenant.org, form.cleaned_data["exchange_rate_source"], form.cleaned_data["manual_rates"],
                            as_of=timezone.now())
        except InvoicingError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Fuente del tipo de cambio guardada.")
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("dashboard:rule_list")
