"""Pre-stamp checks of one Concepto: keys, text, amounts, ObjetoImp, taxes and retentions.

`domain.rules` runs these for every line. Codes are SAT's Matriz de errores CFDI 4.0 codes where
one exists and snake_case names where SAT states the rule only in the law or the Guía de llenado.

Retentions (reference/cfdi.md §4.7). The issuer writes them, but the law puts them on the payer:
* IVA 2/3 (10.6667 %, LIVA art. 1-A fr. II a, RLIVA art. 3): a persona moral paying a persona
  física for professional services, rent or commissions. Needs IVA trasladado on the same line.
* ISR 10 % (LISR arts. 106 and 116): a persona moral paying a persona física in régimen 612
  (honorarios, actividades profesionales) or 606 (arrendamiento).
* ISR 1.25 % (LISR art. 113-J): a persona moral paying a persona física in the RESICO (626).
* IVA 4 % (LIVA art. 1-A fr. II c): whoever receives ground freight (autotransporte terrestre de
  bienes) and is a persona moral or a persona física with business activity (612, 626). It looks
  odd next to the others but is allowed from an issuer of either persona type, because the
  carrier may be a company: the law ties it to the service, not to the issuer.
Público en general and foreign customers (generic RFCs) never retain. No retention of IVA may
exceed the IVA charged on the same line (2/3 of IVA 8 % would be 5.3333 %, not 10.6667 %).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from timbra.domain import catalogs
from timbra.domain.draft import IEPS, ISR, IVA, Concepto, TaxRate
from timbra.domain.money import round_amount
from timbra.domain.taxpayer import Problem, is_generic_rfc, persona_type
from timbra.domain.text import text_problem

IVA_FRONTERIZO = Decimal("0.080000")
RET_IVA_DOS_TERCIOS = Decimal("0.106667")
RET_IVA_AUTOTRANSPORTE = Decimal("0.040000")
RET_ISR_HONORARIOS = Decimal("0.100000")
RET_ISR_RESICO = Decimal("0.012500")
REGIMEN_RESICO = "626"
REGIMENES_HONORARIOS_ARRENDAMIENTO = frozenset({"606", "612"})
REGIMENES_ACTIVIDAD_EMPRESARIAL = frozenset({"612", "626"})
# t_Importe allows 18 integer digits; Timbra stores amounts as integer centavos (64-bit), and
# ValorUnitario / Cantidad as integer millionths, so these bounds keep every value exact.
MAX_IMPORTE = Decimal(10) ** 15
MAX_VALOR_UNITARIO = Decimal(10) ** 12
MAX_CANTIDAD = Decimal(10) ** 9


@dataclass(frozen=True)
class Parties:
    """What the line checks need from the rest of the comprobante."""

    emisor_rfc: str
    emisor_regimen: str
    receptor_rfc: str
    receptor_regimen: str
    lugar_expedicion: str
    decimals: int | None  # the currency's; None when the currency is unknown (checked elsewhere)
    is_global: bool = False  # the factura global (InformacionGlobal): 01010101 allowed, no retentions


def check_concepto(concepto: Concepto, prefix: str, parties: Parties, as_of: date) -> Iterator[Problem]:
    if parties.is_global and any(tax.retencion for tax in concepto.impuestos):
        # Guía de llenado del CFDI global: a concepto carries only Traslados.
        yield Problem("global_con_retenciones", f"{prefix}.impuestos",
                      "Una venta con retenciones no puede ir en la factura global; emítela a nombre del cliente.")
        return
    yield from _check_claves(concepto, prefix, as_of, is_global=parties.is_global)
    yield from _check_text(concepto, prefix)
    yield from _check_amounts(concepto, prefix, parties)
    yield from _check_objeto_imp(concepto, prefix, as_of)
    base = _base(concepto, parties.decimals)
    for j, tax in enumerate(concepto.impuestos):
        yield from _check_tax(tax, f"{prefix}.impuestos[{j}]", base, as_of)
    yield from _check_border_iva(concepto, prefix, parties)
    yield from _check_retenciones(concepto, prefix, parties)


def _check_claves(concepto: Concepto, prefix: str, as_of: date, *, is_global: bool) -> Iterator[Problem]:
    clave = concepto.clave_prod_serv
    if clave == catalogs.CLAVE_PROD_SERV_GLOBAL and not is_global:
        yield Problem(
            "clave_prod_serv_global", f"{prefix}.clave_prod_serv", "01010101 solo se usa en la factura global."
        )
    elif not catalogs.is_valid_clave_prod_serv(clave, global_invoice=is_global):
        yield Problem(
            "CFDI40162", f"{prefix}.clave_prod_serv", "La clave de producto o servicio debe tener 8 dígitos."
        )
    if not catalogs.is_valid_clave_unidad(concepto.clave_unidad, as_of=as_of):
        yield Problem(
            "CFDI40165", f"{prefix}.clave_unidad", "La clave de unidad no existe en el catálogo del SAT."
        )


_TEXT_FIELDS = (("descripcion", "La descripción"), ("unidad", "La unidad"),
                ("no_identificacion", "El número de identificación"))


def _check_text(concepto: Concepto, prefix: str) -> Iterator[Problem]:
    if not concepto.descripcion.strip():
        yield Problem("descripcion_required", f"{prefix}.descripcion", "El concepto necesita una descripción.")
    for name, label in _TEXT_FIELDS:
        reason = text_problem(getattr(concepto, name))
        if reason:
            yield Problem("texto_invalido", f"{prefix}.{name}", f"{label} {reason}")


def _check_amounts(concepto: Concepto, prefix: str, parties: Parties) -> Iterator[Problem]:
    cantidad, valor_unitario = concepto.cantidad, concepto.valor_unitario
    if cantidad <= 0:
        yield Problem("cantidad_not_positive", f"{prefix}.cantidad", "La cantidad debe ser mayor que cero.")
    elif cantidad >= MAX_CANTIDAD:
        yield Problem("importe_fuera_de_rango", f"{prefix}.cantidad",
                      f"La cantidad debe ser menor que {MAX_CANTIDAD:,}.")
    if valor_unitario <= 0:
        yield Problem("CFDI40166", f"{prefix}.valor_unitario", "El valor unitario debe ser mayor que cero.")
    elif valor_unitario >= MAX_VALOR_UNITARIO:
        yield Problem("importe_fuera_de_rango", f"{prefix}.valor_unitario",
                      f"El valor unitario debe ser menor que {MAX_VALOR_UNITARIO:,}.")
    importe = cantidad * valor_unitario
    if importe >= MAX_IMPORTE:
        yield Problem("importe_fuera_de_rango", f"{prefix}.importe",
                      f"El importe de la partida (cantidad × valor unitario) debe ser menor que {MAX_IMPORTE:,}.")
    descuento = concepto.descuento or Decimal(0)
    if descuento < 0:
        yield Problem("descuento_negativo", f"{prefix}.descuento", "El descuento no puede ser negativo.")
    elif parties.decimals is not None and descuento > round_amount(importe, parties.decimals):
        yield Problem("CFDI40169", f"{prefix}.descuento",
                      "El descuento no puede ser mayor que el importe de la partida (cantidad × valor unitario).")
    elif 0 < valor_unitario and parties.decimals is not None and round_amount(importe, parties.decimals) == 0:
        yield Problem("importe_cero", f"{prefix}.valor_unitario",
                      "El importe de la partida redondeado a los decimales de la moneda es cero: "
                      "aumenta la cantidad o el precio.")


def _base(concepto: Concepto, decimals: int | None) -> Decimal:
    """The tax Base as the CFDI will state it (rounded Importe minus Descuento)."""
    importe = concepto.cantidad * concepto.valor_unitario
    if decimals is not None:
        importe = round_amount(importe, decimals)
    return importe - (concepto.descuento or Decimal(0))


def _check_objeto_imp(concepto: Concepto, prefix: str, as_of: date) -> Iterator[Problem]:
    objeto, taxes, field = concepto.objeto_imp, concepto.impuestos, f"{prefix}.objeto_imp"
    traslados = {tax.impuesto for tax in taxes if not tax.retencion}
    if not catalogs.is_valid("objeto_imp", objeto, as_of=as_of):
        yield Problem("CFDI40170", field, "El objeto de impuesto no existe en el catálogo del SAT.")
    elif objeto == "02" and not taxes:
        yield Problem(
            "CFDI40171", field, "Con objeto de impuesto 02 el concepto debe desglosar sus impuestos."
        )
    elif objeto in {"01", "03", "04", "05"} and taxes:
        yield Problem(
            "CFDI40172", field,
            f"Con objeto de impuesto {objeto} el concepto no lleva impuestos, y la partida pide "
            f"{len(taxes)}: usa objeto de impuesto 02 para desglosarlos o quita los impuestos.",
        )
    elif objeto in {"06", "07", "08"} and IVA in traslados:
        yield Problem(
            "objeto_imp_incompatible", field, f"Con objeto de impuesto {objeto} no se traslada IVA."
        )
    elif objeto == "07" and IEPS not in traslados:
        yield Problem("objeto_imp_incompatible", field, "Con objeto de impuesto 07 se debe trasladar IEPS.")


def _check_tax(tax: TaxRate, field: str, base: Decimal, as_of: date) -> Iterator[Problem]:
    # Matriz de errores: Traslado codes CFDI40174-40179, Retencion codes CFDI40181-40185.
    code = _RETENCION_CODES if tax.retencion else _TRASLADO_CODES
    kind = "retenido" if tax.retencion else "trasladado"
    if base <= 0:
        yield Problem(
            code["base"], field,
            "La base del impuesto (importe menos descuento) debe ser mayor que cero: una partida "
            "descontada al 100 % o de importe cero no lleva impuestos.",
        )
    if not catalogs.impuesto_allowed(tax.impuesto, retencion=tax.retencion, as_of=as_of):
        yield Problem(
            code["impuesto"], f"{field}.impuesto", f"El impuesto {tax.impuesto} no puede ir {kind}."
        )
        return
    if not catalogs.is_valid("tipo_factor", tax.tipo_factor, as_of=as_of):
        yield Problem(
            code["tipo_factor"], f"{field}.tipo_factor", "El tipo factor no existe en el catálogo del SAT."
        )
    elif tax.tipo_factor == "Exento":
        if tax.retencion:
            yield Problem(code["exento"], f"{field}.tipo_factor", "Una retención no puede ser exenta.")
        elif tax.tasa_o_cuota is not None:
            yield Problem(
                code["exento"], f"{field}.tasa_o_cuota", "Un impuesto exento no lleva tasa ni cuota."
            )
    elif tax.tipo_factor != "Tasa":
        yield Problem(code["tipo_factor"], f"{field}.tipo_factor",
                      f"Timbra aún no emite impuestos con tipo factor {tax.tipo_factor}.")
    elif tax.tasa_o_cuota is None:
        yield Problem(code["sin_tasa"], f"{field}.tasa_o_cuota", "Indica la tasa o cuota del impuesto.")
    elif not catalogs.tasa_allowed(
        tax.impuesto, tax.tipo_factor, tax.tasa_o_cuota, tax.retencion, as_of=as_of
    ):
        name = catalogs.describe("impuesto", tax.impuesto)
        yield Problem(
            code["tasa"],
            f"{field}.tasa_o_cuota",
            f"La tasa o cuota {tax.tasa_o_cuota} de {name} {kind} no está en el catálogo c_TasaOCuota.",
        )


def _check_border_iva(concepto: Concepto, prefix: str, parties: Parties) -> Iterator[Problem]:
    for j, tax in enumerate(concepto.impuestos):
        if (tax.impuesto == IVA and not tax.retencion and tax.tasa_o_cuota == IVA_FRONTERIZO
                and catalogs.region_fronteriza(parties.lugar_expedicion) is None):
            # c_TasaOCuota's 0.080000 for IVA is the estímulo de la región fronteriza; c_CodigoPostal
            # marks the CPs that have it. The Matriz files a rate the catalog does not allow under
            # CFDI40179.
            yield Problem(
                "CFDI40179", f"{prefix}.impuestos[{j}].tasa_o_cuota",
                f"El IVA de 8 % solo aplica con el estímulo de la región fronteriza, y el lugar de expedición "
                f"(CP {parties.lugar_expedicion}) no está en la región fronteriza norte ni sur del catálogo "
                "c_CodigoPostal. Usa IVA 16 %.",
            )


def _check_retenciones(concepto: Concepto, prefix: str, parties: Parties) -> Iterator[Problem]:
    retenciones = [(j, t) for j, t in enumerate(concepto.impuestos) if t.retencion]
    if not retenciones:
        return
    iva = next((t for t in concepto.impuestos if t.impuesto == IVA and not t.retencion), None)
    iva_rate = iva.tasa_o_cuota if iva is not None and iva.tipo_factor == "Tasa" else None
    emisor = persona_type(parties.emisor_rfc)
    receptor = persona_type(parties.receptor_rfc)
    for j, tax in retenciones:
        field, rate = f"{prefix}.impuestos[{j}]", tax.tasa_o_cuota or Decimal(0)
        if tax.impuesto == IVA and not iva_rate:
            yield Problem("retencion_iva_sin_traslado", field,
                          "La partida retiene IVA pero no traslada IVA con tasa mayor que cero: solo se "
                          "retiene IVA que se cobra (LIVA art. 1-A).")
        elif tax.impuesto == IVA and iva_rate is not None and rate > iva_rate:
            yield Problem("retencion_iva_excede_traslado", field,
                          f"La partida retendría IVA a {_pct(rate)} y solo traslada IVA a {_pct(iva_rate)}: "
                          "la retención no puede exceder el IVA cobrado (con IVA 8 % las dos terceras "
                          "partes son 5.3333 %).")
        if is_generic_rfc(parties.receptor_rfc):
            yield Problem("retencion_receptor_generico", field,
                          "El público en general y los residentes en el extranjero no retienen impuestos: una "
                          "venta con retenciones se factura a nombre del cliente que retiene.")
            continue
        yield from _who_retains(tax, rate, field, emisor, receptor, parties)


def _who_retains(tax: TaxRate, rate: Decimal, field: str, emisor: str | None, receptor: str | None,
                 parties: Parties) -> Iterator[Problem]:
    if tax.impuesto == IVA and rate == RET_IVA_AUTOTRANSPORTE:
        if receptor == "fisica" and parties.receptor_regimen not in REGIMENES_ACTIVIDAD_EMPRESARIAL:
            yield Problem("retencion_receptor_no_retenedor", field,
                          "La retención de IVA de 4 % (autotransporte terrestre de bienes) la hace una persona "
                          "moral o una persona física con actividad empresarial; este receptor no retiene.")
        return
    if receptor == "fisica":
        yield Problem("retencion_receptor_no_retenedor", field,
                      "Solo una persona moral retiene ISR o dos terceras partes del IVA a quien le presta "
                      "servicios; el receptor es persona física: quita la retención.")
    if emisor == "moral":
        yield Problem("retencion_emisor_persona_moral", field,
                      "Las retenciones de ISR (10 % o 1.25 %) y de dos terceras partes del IVA aplican cuando "
                      "el emisor es persona física; una persona moral no las sufre.")
    elif tax.impuesto == ISR and rate == RET_ISR_RESICO and parties.emisor_regimen != REGIMEN_RESICO:
        yield Problem("retencion_resico_emisor_no_resico", field,
                      "La retención de ISR de 1.25 % es la del RESICO (LISR art. 113-J): el emisor debe tributar "
                      "en el régimen 626.")
    elif (tax.impuesto == ISR and rate == RET_ISR_HONORARIOS
          and parties.emisor_regimen not in REGIMENES_HONORARIOS_ARRENDAMIENTO):
        hint = " (en el RESICO la retención es de 1.25 %)" if parties.emisor_regimen == REGIMEN_RESICO else ""
        yield Problem("retencion_isr_regimen_emisor", field,
                      "La retención de ISR de 10 % aplica a honorarios (régimen 612) y arrendamiento (606)"
                      f"{hint}.")


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f} %"


_TRASLADO_CODES = {
    "base": "CFDI40174",
    "impuesto": "CFDI40175",
    "tipo_factor": "CFDI40176",
    "exento": "CFDI40177",
    "sin_tasa": "CFDI40178",
    "tasa": "CFDI40179",
}
_RETENCION_CODES = {
    "base": "CFDI40181",
    "impuesto": "CFDI40182",
    "tipo_factor": "CFDI40183",
    "exento": "CFDI40184",
    "sin_tasa": "CFDI40185",
    "tasa": "CFDI40185",
}
