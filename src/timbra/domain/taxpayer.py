"""A taxpayer's fiscal identity as CFDI 4.0 needs it: RFC, nombre, régimen, CP and uso CFDI.

Since CFDI 4.0 the PAC checks the receptor against SAT's registry (RFC, exact name as on the
Constancia de Situación Fiscal without the régimen capital, CP, régimen) and checks UsoCFDI
against the régimen and the persona type (física/moral). `validate_fiscal_data` catches
locally everything that can be caught without SAT's lists; codes are SAT's Matriz de errores
CFDI 4.0 codes where one exists.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from timbra.domain import catalogs
from timbra.domain.text import text_problem

RFC_GENERICO_NACIONAL = "XAXX010101000"
RFC_GENERICO_EXTRANJERO = "XEXX010101000"
GENERIC_RFCS = frozenset({RFC_GENERICO_NACIONAL, RFC_GENERICO_EXTRANJERO})
NOMBRE_PUBLICO_EN_GENERAL = "PUBLICO EN GENERAL"
REGIMEN_SIN_OBLIGACIONES = "616"
USO_SIN_EFECTOS = "S01"

PersonaType = Literal["fisica", "moral"]

# tdCFDI t_RFC. The check digit is deliberately NOT verified: SAT issues RFCs whose homoclave
# fails the published algorithm (~1.5% of real RFCs in python-stdnum's experience).
_RFC_RE = re.compile(r"[A-Z&Ñ]{3,4}[0-9]{2}(0[1-9]|1[012])(0[1-9]|[12][0-9]|3[01])[A-Z0-9]{2}[0-9A]")
_RFC_NOISE = re.compile(r"[\s\-.]")


@dataclass(frozen=True)
class Problem:
    """Something SAT or the PAC would reject.

    `code` is stable: SAT's Matriz de errores code ("CFDI40158"), a PAC stamping code ("401"),
    or a snake_case name ("rfc_invalid") when SAT has none. `message` is for people (es-MX).
    """

    code: str
    field: str
    message: str


def normalize_rfc(raw: str) -> str:
    """Upper case, NFC (so a decomposed Ñ matches), without spaces, dashes or dots."""
    return _RFC_NOISE.sub("", unicodedata.normalize("NFC", raw).upper())


def is_valid_rfc(rfc: str) -> bool:
    """Whether `rfc` (already normalised) matches t_RFC and carries a real date."""
    if not _RFC_RE.fullmatch(rfc):
        return False
    yy, mm, dd = int(rfc[-9:-7]), int(rfc[-7:-5]), int(rfc[-5:-3])
    try:
        # 2000+yy accepts 29 Feb in every year divisible by 4, which covers 1900+yy too
        # except 1900 itself (not a leap year) — no living taxpayer was born then.
        date(2000 + yy, mm, dd)
    except ValueError:
        return False
    return True


def persona_type(rfc: str) -> PersonaType | None:
    """12 characters = persona moral, 13 = persona física (generic RFCs are 13); None if invalid."""
    if not is_valid_rfc(rfc):
        return None
    return "moral" if len(rfc) == 12 else "fisica"


def is_generic_rfc(rfc: str) -> bool:
    """XAXX010101000 (público en general) or XEXX010101000 (residente en el extranjero)."""
    return rfc in GENERIC_RFCS


def _accent_insensitive(word: str) -> str:
    vowels = {"A": "[AÁ]", "E": "[EÉ]", "I": "[IÍ]", "O": "[OÓ]", "U": "[UÚ]"}
    return "".join(vowels.get(ch, re.escape(ch)) for ch in word)


def _abbreviation(letters: str) -> str:
    # "SA" matches SA, S.A., S. A., S.A — each letter may carry a dot and be spaced out.
    return r"\s*".join(f"{re.escape(ch)}\\.?" for ch in letters)


def _suffix_pattern(suffix: str) -> str:
    words = suffix.split()
    if len(words) > 1 and all(len(w) > 3 or w in {"DE", "POR"} for w in words):
        return r"\s+".join(_accent_insensitive(w) for w in words)  # spelled-out form
    parts = [w if w in {"DE", "EN"} else _abbreviation(w) for w in words]
    return r"[\s,]*".join(parts)


# Régimen capital as written after a razón social. The CSF lists it separately and SAT's
# registry name omits it, so CFDI 4.0 rejects a Nombre that includes it (CFDI40145/CFDI40139).
_CAPITAL_SUFFIXES = (
    "SOCIEDAD ANONIMA PROMOTORA DE INVERSION DE CAPITAL VARIABLE",
    "SOCIEDAD ANONIMA BURSATIL DE CAPITAL VARIABLE",
    "SOCIEDAD ANONIMA DE CAPITAL VARIABLE",
    "SOCIEDAD DE RESPONSABILIDAD LIMITADA DE CAPITAL VARIABLE",
    "SOCIEDAD DE RESPONSABILIDAD LIMITADA",
    "SOCIEDAD POR ACCIONES SIMPLIFICADA DE CAPITAL VARIABLE",
    "SOCIEDAD POR ACCIONES SIMPLIFICADA",
    "SOCIEDAD ANONIMA",
    "SOCIEDAD CIVIL",
    "ASOCIACION CIVIL",
    "SAPIB DE CV", "SAPI DE CV", "SAB DE CV", "SAS DE CV", "SA DE CV",
    "SC DE RL DE CV", "SC DE RL", "SC DE CV", "SPR DE RL DE CV", "SPR DE RL", "SPR DE RI",
    "S DE RL DE CV", "S DE RL MI", "S DE RL", "S EN NC", "S EN CS", "S EN C",
    "SAPIB", "SAPI", "SAB", "SAS", "SCL", "SCS", "SPR", "IAP", "SA", "SC", "AC",
)  # fmt: skip
_SOFOM_TAIL = r"(?:[\s,]*SOFOM(?:[\s,]*E\.?\s*N?\.?\s*R\.?)?)?"
_CAPITAL_RE = re.compile(
    r"(?P<name>.*?\S)[\s,]+(?:"
    + "|".join(_suffix_pattern(s) for s in _CAPITAL_SUFFIXES)
    + r")"
    + _SOFOM_TAIL
    + r"[\s.,]*"
)


def normalize_nombre(raw: str) -> str:
    """The name as SAT's registry holds it: upper case, single spaces, no régimen capital.

    Only a trailing suffix separated by a space or comma is removed ("ACME, S.A. DE C.V." ->
    "ACME"), so names that merely contain the letters ("MESA DE CV", "SACV SERVICIOS") stay whole.
    Ñ, & and accents are kept as written (SAT compares against the CSF spelling).
    """
    name = " ".join(unicodedata.normalize("NFC", raw).upper().split())
    match = _CAPITAL_RE.fullmatch(name)
    return match.group("name").rstrip(" ,") if match else name


def validate_fiscal_data(
    rfc: str,
    nombre: str,
    regimen_fiscal: str,
    codigo_postal: str,
    uso_cfdi: str,
    *,
    lugar_expedicion: str | None = None,
    as_of: date | None = None,
) -> list[Problem]:
    """Check a receptor's data as the PAC would, as far as possible without SAT's lists.

    Values are checked as given (call `normalize_rfc` / `normalize_nombre` first on user input).
    `lugar_expedicion` enables the generic-RFC CP rule; `as_of` is the CFDI date for catalog
    vigencia (None: a customer form). Fields: rfc, nombre, regimen_fiscal, codigo_postal, uso_cfdi.
    """
    checks = (
        _check_rfc(rfc),
        _check_nombre(nombre, rfc),
        _check_codigo_postal(codigo_postal, rfc, lugar_expedicion),
        _check_regimen(regimen_fiscal, rfc, as_of),
        _check_uso(uso_cfdi, regimen_fiscal, rfc, as_of),
    )
    return [problem for problem in checks if problem is not None]


def _check_rfc(rfc: str) -> Problem | None:
    if is_valid_rfc(rfc):
        return None
    message = "El RFC no tiene un formato válido (12 caracteres persona moral, 13 persona física)."
    fixed = normalize_rfc(rfc)
    if fixed != rfc and is_valid_rfc(fixed):
        message = f"Escribe el RFC en mayúsculas y sin espacios ni guiones: {fixed}."
    return Problem("rfc_invalid", "rfc", message)


def _check_nombre(nombre: str, rfc: str) -> Problem | None:
    if not nombre.strip():
        return Problem("nombre_required", "nombre", "Escribe el nombre o razón social como en la constancia.")
    if reason := text_problem(nombre):
        return Problem("texto_invalido", "nombre", f"El nombre {reason}")
    if nombre == NOMBRE_PUBLICO_EN_GENERAL and rfc != RFC_GENERICO_NACIONAL:
        return Problem(
            "CFDI40146",
            "nombre",
            "El nombre PUBLICO EN GENERAL solo se usa con el RFC genérico XAXX010101000.",
        )
    expected = normalize_nombre(nombre)
    if expected != nombre:
        return Problem(
            "CFDI40145",
            "nombre",
            f"Escribe el nombre como en la Constancia de Situación Fiscal, en mayúsculas y sin el régimen "
            f"capital (p. ej. sin «SA DE CV»): {expected}.",
        )
    return None


def _check_codigo_postal(codigo_postal: str, rfc: str, lugar_expedicion: str | None) -> Problem | None:
    if not catalogs.is_valid_codigo_postal(codigo_postal):
        return Problem("codigo_postal_invalid", "codigo_postal", "El código postal debe tener 5 dígitos.")
    if is_generic_rfc(rfc) and lugar_expedicion is not None and codigo_postal != lugar_expedicion:
        return Problem(
            "CFDI40149",
            "codigo_postal",
            f"Con un RFC genérico, el código postal del receptor debe ser el del lugar de expedición "
            f"({lugar_expedicion}).",
        )
    return None


def _check_regimen(regimen_fiscal: str, rfc: str, as_of: date | None) -> Problem | None:
    entry = catalogs.regimen(regimen_fiscal, as_of=as_of)
    if entry is None:
        return Problem("CFDI40157", "regimen_fiscal", "El régimen fiscal no existe en el catálogo del SAT.")
    if is_generic_rfc(rfc) and regimen_fiscal != REGIMEN_SIN_OBLIGACIONES:
        return Problem(
            "CFDI40159",
            "regimen_fiscal",
            "Con un RFC genérico, el régimen fiscal debe ser 616 Sin obligaciones fiscales.",
        )
    persona = persona_type(rfc)
    if (persona == "fisica" and not entry.aplica_fisica) or (persona == "moral" and not entry.aplica_moral):
        kind = "física" if persona == "fisica" else "moral"
        return Problem(
            "CFDI40158",
            "regimen_fiscal",
            f"El régimen {regimen_fiscal} {entry.texto} no corresponde a una persona {kind}.",
        )
    return None


def _check_uso(uso_cfdi: str, regimen_fiscal: str, rfc: str, as_of: date | None) -> Problem | None:
    entry = catalogs.uso_cfdi(uso_cfdi, as_of=as_of)
    if entry is None:
        return Problem("CFDI40160", "uso_cfdi", "El uso de CFDI no existe en el catálogo del SAT.")
    if is_generic_rfc(rfc) and uso_cfdi != USO_SIN_EFECTOS:
        return Problem(
            "CFDI40161", "uso_cfdi", "Con un RFC genérico, el uso de CFDI debe ser S01 Sin efectos fiscales."
        )
    persona = persona_type(rfc)
    if (persona == "fisica" and not entry.aplica_fisica) or (persona == "moral" and not entry.aplica_moral):
        kind = "física" if persona == "fisica" else "moral"
        return Problem("CFDI40161", "uso_cfdi", f"El uso {uso_cfdi} no aplica a una persona {kind}.")
    if (
        catalogs.regimen(regimen_fiscal, as_of=as_of)
        and regimen_fiscal not in entry.regimenes_fiscales_receptores
    ):
        return Problem(
            "CFDI40161",
            "uso_cfdi",
            f"El uso {uso_cfdi} {entry.texto} no se permite con el régimen fiscal {regimen_fiscal}.",
        )
    return None
