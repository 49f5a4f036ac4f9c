"""/invoicing-rules: how the org's gateway payments become CFDIs, and "what would this charge produce?"."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from timbra.api.auth import Caller, api_key, caller
from timbra.api.errors import ApiError
from timbra.api.idempotency import idempotent
from timbra.api.routers import ERRORS, WRITE_ERRORS
from timbra.api.schemas.rules import PreviewIn, ReorderIn, RuleIn, RuleListOut, RuleOut, RulePreviewOut
from timbra.invoicing.errors import found
from timbra.payments.rules.models import InvoicingRule
from timbra.payments.rules.preview import Preview, preview_payment
from timbra.payments.rules.services import (
    create_rule,
    delete_rule,
    draft_rule,
    reorder_rules,
    rules_of,
    update_rule,
)

router = Router(tags=["Reglas de facturación"], auth=api_key)


def get_rule(who: Caller, rule_id: int) -> InvoicingRule:
    return found(InvoicingRule.objects.filter(pk=rule_id, org=who.org, livemode=who.livemode).first(), "regla de facturación")


@router.get("/invoicing-rules", response={200: RuleListOut, **ERRORS}, summary="Listar reglas de facturación")
def list_rules(request: HttpRequest) -> RuleListOut:
    """Las reglas en el orden en que se prueban: la primera habilitada que coincide decide."""
    who = caller(request)
    return RuleListOut(data=[RuleOut.of(row) for row in rules_of(who.org, livemode=who.livemode)])


@router.post("/invoicing-rules", response={201: RuleOut, **WRITE_ERRORS}, summary="Crear una regla de facturación")
@idempotent()
def create(request: HttpRequest, payload: RuleIn) -> tuple[int, RuleOut]:
    """Crea una regla (al final de la lista, o en `position`). Cada decisión se valida contra los
    catálogos del SAT."""
    who = caller(request)
    return 201, RuleOut.of(create_rule(who.org, payload.values(), livemode=who.livemode, as_of=timezone.now(),
                                           actor=who.actor, source="api"))


@router.post("/invoicing-rules/reorder", response={200: RuleListOut, **WRITE_ERRORS},
             summary="Reordenar las reglas")
@idempotent()
def reorder(request: HttpRequest, payload: ReorderIn) -> RuleListOut:
    """`ids` debe nombrar todas las reglas del modo, cada una una vez, en el nuevo orden."""
    who = caller(request)
    rows = reorder_rules(who.org, payload.ids, livemode=who.livemode, as_of=timezone.now())
    return RuleListOut(data=[RuleOut.of(row) for row in rows])


@router.post("/invoicing-rules/preview", response={200: RulePreviewOut, **WRITE_ERRORS},
             summary="¿Qué factura produciría este cobro?")
@idempotent()
def preview(request: HttpRequest, payload: PreviewIn) -> RulePreviewOut:
    """Prueba una regla (guardada o sin guardar) contra un evento o pago guardado y devuelve la
    factura que se crearía, sin crear nada: partidas, impuestos, totales, serie, uso, envío y
    qué regla aplicó y por qué."""
    who = caller(request)
    if (payload.event_id is None) == (payload.payment_id is None):
        raise ApiError(422, "preview_target_required", "Indica `event_id` o `payment_id` (uno de los dos).",
                       field="event_id")
    rule_id = get_rule(who, payload.rule_id).pk if payload.rule_id is not None else None
    draft = draft_rule(payload.rule.values(), rule_id=rule_id) if payload.rule is not None else None
    result = preview_payment(who.org, livemode=who.livemode, as_of=timezone.now(), draft=draft,
                             position=payload.rule.position if payload.rule else None,
                             event_id=payload.event_id, payment_id=payload.payment_id)
    return RulePreviewOut.model_validate(preview_body(result))


@router.get("/invoicing-rules/{rule_id}", response={200: RuleOut, **ERRORS}, summary="Consultar una regla")
def retrieve(request: HttpRequest, rule_id: int) -> RuleOut:
    return RuleOut.of(get_rule(caller(request), rule_id))


@router.put("/invoicing-rules/{rule_id}", response={200: RuleOut, **WRITE_ERRORS}, summary="Reemplazar una regla")
@idempotent()
def update(request: HttpRequest, rule_id: int, payload: RuleIn) -> RuleOut:
    """Reemplaza condiciones y decisiones (lo no enviado toma su valor predeterminado). Para moverla
    usa /invoicing-rules/reorder. No cambia facturas ya creadas."""
    who = caller(request)
    return RuleOut.of(update_rule(get_rule(who, rule_id), payload.values(), as_of=timezone.now(),
                                  actor=who.actor, source="api"))


@router.delete("/invoicing-rules/{rule_id}", response={204: None, **ERRORS}, summary="Eliminar una regla")
def delete(request: HttpRequest, rule_id: int) -> Status[None]:
    who = caller(request)
    delete_rule(get_rule(who, rule_id), as_of=timezone.now(), actor=who.actor, source="api")
    return Status(204, None)


def preview_body(result: Preview) -> dict[str, Any]:
    """The preview as the API (and the dashboard) show it."""
    outcome, payment, invoice = result.outcome, result.payment, result.invoice
    return {
        "would_invoice": result.would_invoice,
        "code": result.code,
        "reason": result.reason,
        "rule": {"id": outcome.rule.id, "name": outcome.rule.name} if outcome and outcome.rule else None,
        "explanation": list(outcome.explanation) if outcome else [],
        "payment": None if payment is None else {
            "key": payment.key, "provider": payment.provider, "amount": f"{payment.amount:.2f}",
            "currency": payment.currency, "forma_pago": payment.forma_pago,
            "payment_method": payment.payment_method, "description": payment.description,
        },
        "invoice": None if invoice is None else SimpleNamespace(
            **{name: getattr(invoice, name) for name in (
                "serie", "send_email", "metodo_pago", "forma_pago", "moneda", "tipo_cambio",
                "subtotal", "descuento", "total_traslados", "total_retenciones", "total")},
            uso_cfdi=invoice.uso_cfdi or invoice.customer.uso_cfdi,  # blank on the invoice: the customer's
            customer_rfc=invoice.customer.rfc, customer_nombre=invoice.customer.nombre, lines=result.lines,
        ),
    }
