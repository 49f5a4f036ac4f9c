"""Pre-stamp check: what a PAC would reject in an `InvoiceDraft`, found before sending it.

Codes are SAT's Matriz de errores CFDI 4.0 codes (CFDI40xxx) where one exists, the PAC
stamping-service codes of Anexo 20 for the time checks ("401": Fecha outside the 72-hour
window, "305": Fecha outside the CSD's validity), and snake_case names for rules SAT states
only in the Guía de llenado or that Timbra adds (it issues Ingreso/Egreso without complements).
What needs SAT's lists (RFC registered, name/CP/régimen match the CSF, c_ClaveProdServ,
c_CodigoPostal) is left to the PAC; formats are still checked here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from timbra.domain import catalogs
from timbra.domain.concept_rules import Parties, check_concepto
from timbra.domain.draft import Emisor, InvoiceDraft, Receptor
from timbra.domain.taxpayer import (
    NOMBRE_PUBLICO_EN_GENERAL,
    RFC_GENERICO_EXTRANJERO,
    RFC_GENERICO_NACIONAL,
    Problem,
    is_valid_rfc,
    normalize_nombre,
    persona_type,
    validate_fiscal_data,
)
from timbra.domain.text import text_problem

__all__ = ["Problem", "check_draft", "check_request"]

STAMP_WINDOW = timedelta(hours=72)
SUPPORTED_TIPOS = frozenset({"I", "E"})
FORMA_PAGO_POR_DEFINIR = "99"
_UUID_RE = re.compile(r"[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}")
# validate_fiscal_data's form fields -> the draft's attribute paths.
_RECEPTOR_FIELDS = {
    "rfc": "receptor.rfc",
    "nombre": "receptor.nombre",
    "regimen_fiscal": "receptor.regimen_fiscal_receptor",
    "codigo_postal": "receptor.domicilio_fiscal_receptor",
    "uso_cfdi": "receptor.uso_cfdi",
}


def check_draft(
    draft: InvoiceDraft,
    *,
    stamp_at: datetime,
    tz: ZoneInfo,
    csd_valid_from: datetime | None = None,
    csd_valid_to: datetime | None = None,
) -> list[Problem]:
    """Every rule the draft breaks; an empty list means the PAC should accept it locally-checked.

    `stamp_at` is when it will be sent (aware); `tz` is the zone of `lugar_expedicion`, since
    Fecha is naive local time there. The CSD bounds, when given, must be aware.
    """
    for name, value in (
        ("stamp_at", stamp_at),
        ("csd_valid_from", csd_valid_from),
        ("csd_valid_to", csd_valid_to),
    ):
        if value is not None and value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware")
    as_of = draft.fecha.date()
    return [
        *_check_fecha(draft.fecha, stamp_at, tz, csd_valid_from, csd_valid_to),
        *check_request(draft, as_of=as_of),
        *_check_emisor(draft.emisor, as_of),
        *_check_receptor(draft, as_of),
    ]


def check_request(draft: InvoiceDraft, *, as_of: date) -> list[Problem]:
    """The rules about what the caller asked for (lines, amounts, taxes, currency, payment terms),
    leaving out the time window and the emisor's and receptor's own data.

    `create_invoice` refuses a request that breaks these (the caller must change it), while a
    problem in the customer's or the org's data holds the invoice at sealing time until corrected.
    `as_of` is the date the catalogs are read at (the CFDI's Fecha)."""
    parties = _parties(draft)
    return [
        *_check_comprobante(draft, as_of),
        *_check_pago(draft, as_of),
        *_check_moneda(draft, as_of),
        *_check_relacionados(draft, as_of),
        *(p for i, c in enumerate(draft.conceptos) for p in check_concepto(c, f"conceptos[{i}]", parties, as_of)),
    ]


def _parties(draft: InvoiceDraft) -> Parties:
    entry = catalogs.moneda(draft.moneda)
    return Parties(
        emisor_rfc=draft.emisor.rfc,
        emisor_regimen=draft.emisor.regimen_fiscal,
        receptor_rfc=draft.receptor.rfc,
        receptor_regimen=draft.receptor.regimen_fiscal_receptor,
        lugar_expedicion=draft.lugar_expedicion,
        decimals=entry.decimales if entry is not None else None,
        is_global=draft.informacion_global is not None,
    )


def _check_fecha(
    fecha: datetime, stamp_at: datetime, tz: ZoneInfo, valid_from: datetime | None, valid_to: datetime | None
) -> Iterator[Problem]:
    if fecha.tzinfo is not None:
        yield Problem(
            "fecha_con_zona", "fecha", "La fecha del comprobante debe ser hora local, sin zona horaria."
        )
        return
    if fecha.microsecond:
        yield Problem("CFDI40101", "fecha", "La fecha del comprobante no lleva fracciones de segundo.")
    # Compare in UTC: aware datetimes sharing a tzinfo subtract as wall-clock time.
    issued = fecha.replace(tzinfo=tz).astimezone(UTC)
    now = stamp_at.astimezone(UTC)
    if issued > now:
        yield Problem("401", "fecha", "La fecha del comprobante es posterior al momento de timbrar.")
    elif now - issued > STAMP_WINDOW:
        yield Problem(
            "401",
            "fecha",
            "La fecha del comprobante tiene más de 72 horas; el PAC ya no la acepta. Actualízala.",
        )
    if (valid_from and issued < valid_from) or (valid_to and issued > valid_to):
        yield Problem(
            "305",
            "fecha",
            "La fecha del comprobante está fuera de la vigencia del certificado de sello digital (CSD).",
        )


def _check_comprobante(draft: InvoiceDraft, as_of: date) -> Iterator[Problem]:
    tipo = draft.tipo_de_comprobante
    if not catalogs.is_valid("tipo_de_comprobante", tipo, as_of=as_of):
        yield Problem(
            "CFDI40121", "tipo_de_comprobante", "El tipo de comprobante no existe en el catálogo del SAT."
        )
    elif tipo not in SUPPORTED_TIPOS:
        yield Problem(
            "tipo_de_comprobante_no_soportado", "tipo_de_comprobante", "Solo se emiten ingresos y egresos."
        )
    if not catalogs.is_valid("exportacion", draft.exportacion, as_of=as_of):
        yield Problem("CFDI40123", "exportacion", "La clave de exportación no existe en el catálogo del SAT.")
    elif draft.exportacion == "02":
        # Definitive export A1 needs the Comercio Exterior complement, which Timbra does not issue.
        yield Problem(
            "CFDI40122", "exportacion", "La exportación 02 requiere el complemento de comercio exterior."
        )
    if not catalogs.is_valid_codigo_postal(draft.lugar_expedicion):
        yield Problem(
            "codigo_postal_invalid", "lugar_expedicion", "El lugar de expedición debe ser un CP de 5 dígitos."
        )
    if not draft.conceptos:
        yield Problem("conceptos_required", "conceptos", "El comprobante necesita al menos un concepto.")
    for name, label in (("serie", "La serie"), ("folio", "El folio"), ("condiciones_de_pago", "Las condiciones de pago")):
        reason = text_problem(getattr(draft, name))
        if reason:
            yield Problem("texto_invalido", name, f"{label} {reason}")


def _check_pago(draft: InvoiceDraft, as_of: date) -> Iterator[Problem]:
    metodo, forma = draft.metodo_pago, draft.forma_pago
    if metodo is None:
        yield Problem("metodo_pago_required", "metodo_pago", "Indica el método de pago (PUE o PPD).")
    elif not catalogs.is_valid("metodo_pago", metodo, as_of=as_of):
        yield Problem("CFDI40124", "metodo_pago", "El método de pago no existe en el catálogo del SAT.")
    if forma is None:
        yield Problem("forma_pago_required", "forma_pago", "Indica la forma de pago.")
        return
    if catalogs.forma_pago(forma, as_of=as_of) is None:
        yield Problem("CFDI40104", "forma_pago", "La forma de pago no existe en el catálogo del SAT.")
    elif metodo == "PPD" and forma != FORMA_PAGO_POR_DEFINIR:
        yield Problem(
            "CFDI40105", "forma_pago", "Con método de pago PPD la forma de pago debe ser 99 Por definir."
        )
    elif metodo == "PUE" and forma == FORMA_PAGO_POR_DEFINIR:
        # Guía de llenado: PUE means paid (or due) in full now, so the forma is known.
        yield Problem(
            "forma_pago_99_con_pue",
            "forma_pago",
            "Con método de pago PUE indica la forma de pago real, no 99.",
        )


def _check_moneda(draft: InvoiceDraft, as_of: date) -> Iterator[Problem]:
    entry = catalogs.moneda(draft.moneda, as_of=as_of)
    if entry is None:
        yield Problem("CFDI40113", "moneda", "La moneda no existe en el catálogo del SAT.")
        return
    tc = draft.tipo_cambio
    if draft.moneda == "MXN":
        if tc is not None and tc != 1:
            yield Problem(
                "CFDI40114", "tipo_cambio", "Con moneda MXN el tipo de cambio debe omitirse o ser 1."
            )
    elif draft.moneda == "XXX":
        if tc is not None:
            yield Problem("CFDI40116", "tipo_cambio", "Con moneda XXX no se registra tipo de cambio.")
        # XXX ("no currency") is for Pago and Traslado; an invoice always has amounts.
        yield Problem("moneda_xxx_no_permitida", "moneda", "Una factura no puede emitirse en moneda XXX.")
    elif tc is None:
        yield Problem(
            "CFDI40115", "tipo_cambio", f"Con moneda {draft.moneda} el tipo de cambio es obligatorio."
        )
    elif tc <= 0 or tc != tc.quantize(Decimal("0.000001")):
        yield Problem(
            "CFDI40117", "tipo_cambio", "El tipo de cambio debe ser positivo y tener hasta 6 decimales."
        )
    step = Decimal(1).scaleb(-entry.decimales)
    for i, concepto in enumerate(draft.conceptos):
        if concepto.descuento is not None and concepto.descuento != concepto.descuento.quantize(step):
            yield Problem(
                "CFDI40112",
                f"conceptos[{i}].descuento",
                f"El descuento tiene más decimales de los que admite la moneda ({entry.decimales}).",
            )


def _check_emisor(emisor: Emisor, as_of: date) -> Iterator[Problem]:
    if not is_valid_rfc(emisor.rfc):
        yield Problem("rfc_invalid", "emisor.rfc", "El RFC del emisor no tiene un formato válido.")
    if not emisor.nombre.strip():
        yield Problem("nombre_required", "emisor.nombre", "Falta el nombre o razón social del emisor.")
    elif normalize_nombre(emisor.nombre) != emisor.nombre:
        yield Problem(
            "CFDI40139",
            "emisor.nombre",
            "El nombre del emisor debe ser el de su constancia, en mayúsculas y sin régimen capital: "
            f"{normalize_nombre(emisor.nombre)}.",
        )
    entry = catalogs.regimen(emisor.regimen_fiscal, as_of=as_of)
    persona = persona_type(emisor.rfc)
    if entry is None:
        yield Problem(
            "CFDI40140", "emisor.regimen_fiscal", "El régimen fiscal del emisor no existe en el catálogo."
        )
    elif (persona == "fisica" and not entry.aplica_fisica) or (persona == "moral" and not entry.aplica_moral):
        yield Problem(
            "CFDI40141",
            "emisor.regimen_fiscal",
            "El régimen fiscal del emisor no corresponde a su tipo de persona.",
        )


def _check_receptor(draft: InvoiceDraft, as_of: date) -> Iterator[Problem]:
    receptor = draft.receptor
    problems = validate_fiscal_data(
        receptor.rfc,
        receptor.nombre,
        receptor.regimen_fiscal_receptor,
        receptor.domicilio_fiscal_receptor,
        receptor.uso_cfdi,
        lugar_expedicion=draft.lugar_expedicion,
        as_of=as_of,
    )
    yield from (replace(problem, field=_RECEPTOR_FIELDS[problem.field]) for problem in problems)
    if receptor.uso_cfdi in {"CP01", "CN01"}:
        # CP01 belongs to the Pagos CFDI and CN01 to nómina, never to an Ingreso/Egreso.
        yield Problem(
            "uso_cfdi_tipo_incompatible", "receptor.uso_cfdi", "Ese uso de CFDI no aplica a una factura."
        )
    yield from _check_informacion_global(draft, as_of)
    yield from _check_extranjero(receptor, as_of)


# Emisor régimen allowed to report bimonthly (c_Periodicidad 05): Incorporación Fiscal (RIF).
REGIMEN_BIMESTRAL = "621"


def _check_informacion_global(draft: InvoiceDraft, as_of: date) -> Iterator[Problem]:
    """CFDI40130-CFDI40136 (Matriz de errores; reference/portal-csf-global.md §2.3)."""
    receptor, info = draft.receptor, draft.informacion_global
    publico = receptor.rfc == RFC_GENERICO_NACIONAL and receptor.nombre == NOMBRE_PUBLICO_EN_GENERAL
    if info is None:
        if publico:
            # XAXX + "PUBLICO EN GENERAL" is a global invoice: InformacionGlobal is mandatory.
            # A nominative XAXX invoice carries the customer's own name instead.
            yield Problem(
                "CFDI40130",
                "informacion_global",
                "PUBLICO EN GENERAL solo se usa en la factura global (con su información global: "
                "periodicidad, meses y año); en una factura a un cliente sin RFC escribe su nombre.",
            )
        return
    if not publico:
        yield Problem(
            "informacion_global_sin_publico_en_general",
            "informacion_global",
            "La información global solo va en la factura a XAXX010101000 PUBLICO EN GENERAL.",
        )
    field = "informacion_global"
    if not catalogs.is_valid("periodicidad", info.periodicidad, as_of=as_of):
        yield Problem("CFDI40131", f"{field}.periodicidad", "La periodicidad no existe en el catálogo del SAT.")
    elif info.periodicidad == "05" and draft.emisor.regimen_fiscal != REGIMEN_BIMESTRAL:
        yield Problem(
            "CFDI40132",
            f"{field}.periodicidad",
            "La periodicidad bimestral (05) solo la usa el régimen de incorporación fiscal (621).",
        )
    if not catalogs.is_valid("meses", info.meses, as_of=as_of):
        yield Problem("CFDI40133", f"{field}.meses", "El mes no existe en el catálogo del SAT.")
    elif info.periodicidad != "05" and not "01" <= info.meses <= "12":
        yield Problem("CFDI40134", f"{field}.meses", "Con periodicidad distinta de bimestral el mes va de 01 a 12.")
    elif info.periodicidad == "05" and not "13" <= info.meses <= "18":
        yield Problem("CFDI40135", f"{field}.meses", "Con periodicidad bimestral el bimestre va de 13 a 18.")
    if info.año not in (draft.fecha.year, draft.fecha.year - 1):
        yield Problem(
            "CFDI40136", f"{field}.año", "El año de la información global debe ser el de la fecha o el anterior."
        )


def _check_extranjero(receptor: Receptor, as_of: date) -> Iterator[Problem]:
    residencia, num_reg = receptor.residencia_fiscal, receptor.num_reg_id_trib
    field = "receptor.residencia_fiscal"
    if residencia is not None:
        if receptor.rfc != RFC_GENERICO_EXTRANJERO:
            yield Problem(
                "CFDI40151", field, "La residencia fiscal solo se registra con el RFC XEXX010101000."
            )
        elif residencia == "MEX":
            yield Problem("CFDI40152", field, "La residencia fiscal de un extranjero no puede ser MEX.")
        elif not catalogs.is_valid("pais", residencia, as_of=as_of):
            yield Problem("CFDI40150", field, "La residencia fiscal no existe en el catálogo de países.")
    if num_reg is None:
        return
    field = "receptor.num_reg_id_trib"
    if receptor.rfc != RFC_GENERICO_EXTRANJERO:
        yield Problem(
            "CFDI40154", field, "El número de registro tributario solo aplica a receptores extranjeros."
        )
    else:
        # NumRegIdTrib requires the Comercio Exterior complement, which Timbra does not issue.
        yield Problem(
            "CFDI40155", field, "El número de registro tributario requiere complemento de comercio exterior."
        )
    if residencia is None:
        yield Problem(
            "CFDI40153", "receptor.residencia_fiscal", "Con número de registro tributario indica el país."
        )


def _check_relacionados(draft: InvoiceDraft, as_of: date) -> Iterator[Problem]:
    if draft.tipo_de_comprobante == "E" and not draft.cfdi_relacionados:
        # Guía de llenado, CFDI de egreso: it relates the invoices it credits (TipoRelacion 01/03).
        yield Problem(
            "egreso_sin_cfdi_relacionado",
            "cfdi_relacionados",
            "Una nota de crédito debe relacionar la factura que afecta.",
        )
    for i, relacion in enumerate(draft.cfdi_relacionados):
        prefix = f"cfdi_relacionados[{i}]"
        if not catalogs.is_valid("tipo_relacion", relacion.tipo_relacion, as_of=as_of):
            yield Problem(
                "CFDI40137", f"{prefix}.tipo_relacion", "El tipo de relación no existe en el catálogo."
            )
        if not relacion.uuids or not all(_UUID_RE.fullmatch(uuid) for uuid in relacion.uuids):
            yield Problem(
                "uuid_relacionado_invalido", f"{prefix}.uuids", "Indica folios fiscales (UUID) válidos."
            )
