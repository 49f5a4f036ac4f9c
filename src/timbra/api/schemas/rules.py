"""Invoicing rules (issue 3): conditions and decisions, and the preview of a charge."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field

from timbra.api.schemas.common import InputSchema, LineAmountsOut, Money, TotalsOut, money
from timbra.domain.invoicing_rules import PLACEHOLDERS

TEMPLATE_HELP = "Plantilla de la descripción; marcadores: " + ", ".join("{" + p + "}" for p in PLACEHOLDERS)


class ConditionsIn(InputSchema):
    product_ids: list[str] = Field(default_factory=list, max_length=50,
                                   description="Ids de producto o precio de la pasarela (cualquiera de las partidas).")
    metadata: dict[str, str] = Field(default_factory=dict, description="Metadatos que deben coincidir exactamente.")
    description_contains: str = Field("", max_length=200, description="Texto en la descripción (sin distinguir "
                                      "mayúsculas).")
    currencies: list[str] = Field(default_factory=list, max_length=20, description="Monedas c_Moneda, p. ej. «USD».")
    amount_min: Money | None = Field(None, description="Importe mínimo (incluido), texto decimal.")
    amount_max: Money | None = Field(None, description="Importe máximo (incluido), texto decimal.")
    providers: list[str] = Field(default_factory=list, max_length=10, description="stripe, conekta, mercadopago, api.")
    transaction_types: list[str] = Field(default_factory=list, max_length=5,
                                         description="subscription (factura de suscripción) u one_off (cobro único).")


class DecisionIn(InputSchema):
    invoice: bool = Field(True, description="false: estos pagos no se facturan (quedan visibles como «No se factura»).")
    skip_reason: str = Field("", max_length=500, description="Motivo que se muestra cuando no se factura.")
    clave_prod_serv: str = Field("81112101", max_length=8)
    clave_unidad: str = Field("E48", max_length=3)
    unidad: str = Field("Servicio", max_length=20)
    description_template: str = Field("", max_length=1000, description=TEMPLATE_HELP)
    price_includes_taxes: bool = Field(True, description="El importe cobrado ya incluye los impuestos trasladados.")
    taxes: list[str] = Field(default_factory=lambda: ["IVA16"], max_length=4,
                             description="Impuestos predefinidos: IVA16, IVA8, IVA0, IVA_EXENTO, RET_IVA_2_3, "
                             "RET_ISR_10, …")
    objeto_imp: str = Field("02", max_length=2)
    serie: str = Field("", max_length=25, description="Vacío: la serie predeterminada de la organización.")
    uso_cfdi: str = Field("", max_length=4, description="Vacío: el uso del cliente.")
    send_email: bool = True


class RuleIn(InputSchema):
    name: str = Field(max_length=100)
    enabled: bool = True
    position: int | None = Field(None, ge=1, description="Solo al crear: lugar en la lista (1 = primera). "
                                 "Por omisión, al final.")
    conditions: ConditionsIn = Field(default_factory=ConditionsIn)
    decision: DecisionIn = Field(default_factory=DecisionIn)

    def values(self) -> dict[str, Any]:
        """The flat values the rules service takes."""
        return {"name": self.name, "enabled": self.enabled, "position": self.position,
                **self.conditions.model_dump(), **self.decision.model_dump()}


class ReorderIn(InputSchema):
    ids: list[int] = Field(max_length=500, description="Todas las reglas, en el nuevo orden.")


class PreviewIn(InputSchema):
    rule: RuleIn | None = Field(None, description="Regla sin guardar (o la edición de `rule_id`) a probar.")
    rule_id: int | None = Field(None, description="Regla guardada: con `rule`, `rule` la reemplaza en la prueba.")
    event_id: int | None = Field(None, description="Evento guardado de la pasarela.")
    payment_id: int | None = Field(None, description="Pago registrado (en lugar de `event_id`).")


class ConditionsOut(Schema):
    product_ids: list[str]
    metadata: dict[str, str]
    description_contains: str
    currencies: list[str]
    amount_min: str | None
    amount_max: str | None
    providers: list[str]
    transaction_types: list[str]


class DecisionOut(Schema):
    invoice: bool
    skip_reason: str
    clave_prod_serv: str
    clave_unidad: str
    unidad: str
    description_template: str
    price_includes_taxes: bool
    taxes: list[str]
    objeto_imp: str
    serie: str
    uso_cfdi: str
    send_email: bool


class RuleOut(Schema):
    id: int
    livemode: bool
    position: int
    name: str
    enabled: bool
    conditions: ConditionsOut
    decision: DecisionOut
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Any) -> RuleOut:
        """A stored rule with its conditions and decision as nested objects."""
        def fields(schema: type[Schema]) -> dict[str, Any]:
            return {name: getattr(row, name) for name in schema.model_fields}

        conditions = fields(ConditionsOut) | {"amount_min": money(row.amount_min), "amount_max": money(row.amount_max)}
        return cls.model_validate({
            **{name: getattr(row, name) for name in cls.model_fields if name not in ("conditions", "decision")},
            "conditions": conditions,
            "decision": fields(DecisionOut),
        })


class RuleListOut(Schema):
    data: list[RuleOut]


class PreviewLineOut(LineAmountsOut):
    descripcion: str
    clave_prod_serv: str
    clave_unidad: str
    unidad: str
    cantidad: str
    valor_unitario: str
    descuento: str
    importe: str
    objeto_imp: str
    taxes: list[str]


class PreviewInvoiceOut(TotalsOut):
    """The invoice that would be created (nothing is created by asking)."""

    serie: str
    uso_cfdi: str
    send_email: bool
    metodo_pago: str
    forma_pago: str
    moneda: str
    tipo_cambio: str | None
    customer_rfc: str
    customer_nombre: str
    lines: list[PreviewLineOut]
    subtotal: str
    descuento: str
    total_impuestos_trasladados: str
    total_impuestos_retenidos: str
    total: str

    @staticmethod
    def resolve_tipo_cambio(obj: Any) -> str | None:
        rate: Decimal | None = obj.tipo_cambio
        return None if rate is None else f"{rate.normalize():f}"


class MatchedRuleOut(Schema):
    id: int | None = Field(description="null: una regla sin guardar.")
    name: str


class PreviewPaymentOut(Schema):
    key: str = Field(description="Id del pago en la pasarela.")
    provider: str
    amount: str
    currency: str
    forma_pago: str
    payment_method: str
    description: str


class RulePreviewOut(Schema):
    would_invoice: bool
    code: str = Field(description="Si no se facturaría: código estable del motivo.")
    reason: str
    rule: MatchedRuleOut | None = Field(description="La regla que aplica; null = valores predeterminados.")
    explanation: list[str]
    payment: PreviewPaymentOut | None
    invoice: PreviewInvoiceOut | None
