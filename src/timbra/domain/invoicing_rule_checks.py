"""Checks an invoicing rule must pass before it is saved: every decision against SAT's catalogs.

A rule that would produce a CFDI the PAC rejects is refused up front, with a stable code and
a Spanish message naming the field, instead of holding every payment it touches later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from timbra.domain import catalogs, tax_presets
from timbra.domain.invoicing_rules import (
    PLACEHOLDERS,
    PROVIDERS,
    TRANSACTION_TYPES,
    Conditions,
    Decision,
    unknown_placeholders,
)

# Anexo 20, Serie: 1 to 25 characters, no "|" (it separates the cadena original's fields).
_SERIE = re.compile(r"[^|]{1,25}")


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str


def check_rule(name: str, conditions: Conditions, decision: Decision) -> list[Problem]:
    """Every problem of a rule, in field order (empty: the rule can be saved)."""
    problems = []
    if not name.strip():
        problems.append(Problem("rule_name_required", "La regla necesita un nombre.", "name"))
    return problems + check_conditions(conditions) + check_decision(decision)


def check_conditions(c: Conditions) -> list[Problem]:
    problems = []
    for currency in c.currencies:
        if catalogs.moneda(currency) is None:
            problems.append(Problem("currency_invalid", f"«{currency}» no es una moneda del catálogo c_Moneda.",
                                    "conditions.currencies"))
    for bound, value in (("amount_min", c.amount_min), ("amount_max", c.amount_max)):
        if value is not None and value < 0:
            problems.append(Problem("amount_range_invalid", "El importe no puede ser negativo.",
                                    f"conditions.{bound}"))
    if c.amount_min is not None and c.amount_max is not None and c.amount_min > c.amount_max:
        problems.append(Problem("amount_range_invalid", "El importe mínimo es mayor que el máximo.",
                                "conditions.amount_max"))
    problems += [
        Problem("provider_invalid", f"Pasarela desconocida: «{p}». Opciones: {', '.join(PROVIDERS)}.",
                "conditions.providers")
        for p in c.providers if p not in PROVIDERS
    ]
    problems += [
        Problem("transaction_type_invalid",
                f"Tipo de transacción desconocido: «{t}». Opciones: {', '.join(TRANSACTION_TYPES)}.",
                "conditions.transaction_types")
        for t in c.transaction_types if t not in TRANSACTION_TYPES
    ]
    problems += [
        Problem("metadata_key_required", "Cada condición de metadato necesita una clave.", "conditions.metadata")
        for key, _ in c.metadata if not key.strip()
    ]
    return problems


def check_decision(d: Decision) -> list[Problem]:
    if not d.invoice:
        return []  # a skip rule decides nothing else
    problems = []
    if not catalogs.is_valid_clave_prod_serv(d.clave_prod_serv):
        problems.append(Problem("clave_prod_serv_invalid",
                                "La clave de producto o servicio (c_ClaveProdServ) debe tener 8 dígitos "
                                "y no puede ser 01010101 (reservada para la factura global).",
                                "decision.clave_prod_serv"))
    if not catalogs.is_valid_clave_unidad(d.clave_unidad):
        problems.append(Problem("clave_unidad_invalid",
                                f"«{d.clave_unidad}» no es una clave de unidad vigente del catálogo c_ClaveUnidad.",
                                "decision.clave_unidad"))
    if unknown := unknown_placeholders(d.description_template):
        problems.append(Problem("template_placeholder_unknown",
                                f"La plantilla usa {', '.join('{' + n + '}' for n in unknown)}; las disponibles son "
                                f"{', '.join('{' + n + '}' for n in PLACEHOLDERS)}.",
                                "decision.description_template"))
    if d.serie and not _SERIE.fullmatch(d.serie):
        problems.append(Problem("serie_invalid", "La serie admite de 1 a 25 caracteres, sin «|».", "decision.serie"))
    if d.uso_cfdi and catalogs.uso_cfdi(d.uso_cfdi) is None:
        problems.append(Problem("uso_cfdi_invalid", f"«{d.uso_cfdi}» no es un uso de CFDI vigente (c_UsoCFDI).",
                                "decision.uso_cfdi"))
    return problems + _check_taxes(d)


def _check_taxes(d: Decision) -> list[Problem]:
    if not catalogs.is_valid("objeto_imp", d.objeto_imp):
        return [Problem("objeto_imp_invalid", f"«{d.objeto_imp}» no es un objeto de impuesto del catálogo "
                        "c_ObjetoImp.", "decision.objeto_imp")]
    try:
        rates = tax_presets.resolve(d.taxes)
    except ValueError as exc:
        return [Problem("tax_invalid", str(exc), "decision.taxes")]
    if d.objeto_imp == "02" and not any(not r.retencion for r in rates):
        # CFDI40157-style: objeto de impuesto 02 needs at least one traslado.
        return [Problem("taxes_required", "Con objeto de impuesto 02 (sí objeto de impuesto) indica al menos un "
                        "impuesto trasladado, por ejemplo IVA 16 %.", "decision.taxes")]
    if d.objeto_imp != "02" and rates:
        return [Problem("taxes_not_allowed", f"Con objeto de impuesto {d.objeto_imp} la partida no lleva impuestos; "
                        "quítalos o usa 02.", "decision.taxes")]
    return []
