"""PAC answer codes → what Timbra tells the business, in Spanish (the held invoice's reason).

Three families reach us (reference/pacs-and-cancellation.md §2.4, §3.4, §5.3):

* SAT's PAC validations, the same numbers at every PAC: 301–308, 401–403.
* SAT's Matriz de errores for CFDI 4.0 (`CFDI40xxx`): the PAC's own text is already the SAT's
  Spanish message, so it is kept; Finkok sometimes wraps one inside a 301 ("[Error #CFDI40101] …")
  and `split_code` digs it out, because the specific code tells the business what to fix.
* Each PAC's own account and service codes (Finkok 70x, SW `AU`/`CO`, Diverza's HTTP 401/403).

`rejection()` builds the `PacRejected` for a code. Codes marked ⚠ in the reference (Finkok 300, 702,
703) are described as the PACs' public wikis describe them; the PAC's own message travels along, so a
wrong guess here never hides what the PAC said.
"""

from __future__ import annotations

import re

from timbra.cfdi.pac import PacRejected

AUTH = "pac_auth"  # Timbra's code for "the PAC refused the credentials", whatever the PAC's own code

# SAT's validation matrix for PACs (Anexo 20, "validaciones del PAC"), as Finkok and SW number them.
SAT_VALIDATIONS = {
    "301": "El XML no cumple con la estructura del Anexo 20 del SAT (XML mal formado).",
    "302": "El sello del CFDI no es válido (sello mal formado o inválido).",
    "303": "El sello no corresponde al emisor: el RFC del certificado no es el RFC del emisor.",
    "304": "El certificado de sello digital (CSD) del emisor está revocado o caduco.",
    "305": "La fecha de emisión no está dentro de la vigencia del CSD del emisor.",
    "306": "El CFDI se selló con una e.firma (FIEL) en lugar de un certificado de sello digital (CSD).",
    "307": "El CFDI contiene un timbre previo.",
    "308": "El certificado del emisor no fue firmado por el SAT.",
    "401": "La fecha de emisión está fuera de las 72 horas que permite el SAT.",
    "402": "El RFC del emisor no está en la lista de contribuyentes obligados (LCO) del SAT.",
    "403": "La fecha de emisión es anterior a la que admite el SAT.",
}

# The PACs' own codes. Finkok: wiki.finkok.com as quoted by phpcfdi/finkok; SW: developers.sw.com.mx
# "error-codes" (reference §3.4).
PAC_CODES = {
    "300": "El PAC rechazó el usuario o la contraseña configurados.",  # ⚠ Finkok stamp-side
    "603": "El PAC no tiene un timbre previo para este CFDI.",
    "702": "El RFC del emisor no está registrado en la cuenta del PAC; dalo de alta en tu cuenta del PAC.",  # ⚠
    "703": "La cuenta del emisor en el PAC está suspendida; revisa tu contrato o tus timbres disponibles.",  # ⚠
    "704": "La contraseña de la llave privada no es correcta.",
    "705": "El PAC no pudo leer la estructura del XML (revisa caracteres especiales como «&»).",
    "707": "El XML ya contiene un TimbreFiscalDigital: se envió un CFDI ya timbrado.",
    "708": "El PAC no pudo comunicarse con el SAT; se reintentará.",
    "711": "El PAC rechazó el certificado usado para cancelar.",
    "798": "Ya existe una solicitud de cancelación previa para este CFDI; el SAT pide esperar 72 horas.",
    "799": "Se excedió el número de solicitudes de cancelación permitidas para este CFDI.",
    "AU2000": "El PAC rechazó el usuario o la contraseña configurados.",
    "CFDI3307": "El identificador de timbrado (customid) ya se usó con otro XML: timbre duplicado.",
}

# Per-UUID cancellation answers (reference §5.3).
CANCEL_CODES = {
    "201": "Solicitud de cancelación recibida por el SAT (no es todavía la cancelación).",
    "202": "El CFDI ya tenía una solicitud de cancelación o ya estaba cancelado.",
    "203": "El UUID no corresponde al emisor que solicita la cancelación.",
    "204": "El CFDI no aplica para cancelación.",
    "205": "El SAT aún no conoce este UUID (puede tardar hasta 48 horas después del timbrado).",
    "207": "El motivo de cancelación no es válido.",
    "208": "La fecha de la solicitud es posterior al plazo para cancelar (declaración anual).",
    "no_cancelable": "El CFDI tiene documentos relacionados vigentes; cancélalos primero.",
}

_EMBEDDED_MATRIX_CODE = re.compile(r"\b(CFDI\d{5}|CRP\d{5}|CFDI33\d{3})\b")
_LEADING_CODE = re.compile(r"^\s*\[?(?:Error\s*#?)?\s*([A-Za-z]{0,6}\d{3,6}|no_cancelable)\]?\s*[.:\-–]?\s*(.*)$", re.DOTALL)


def split_code(text: str) -> tuple[str, str]:
    """("CODE", "message") from a PAC's "CODE - message" / "307. message" / "[Error #CFDI40101] …".

    A SAT matrix code inside the message wins over a generic leading 301 (Finkok's wrapping)."""
    text = (text or "").strip()
    match = _LEADING_CODE.match(text)
    code, message = (match.group(1), match.group(2).strip()) if match else ("", text)
    embedded = _EMBEDDED_MATRIX_CODE.search(text)
    if embedded and (not code or code in ("301", "302") or code == embedded.group(1)):
        code = embedded.group(1)
    return code, message or text


def describe(code: str, pac_message: str = "") -> str:
    """The Spanish reason for `code`, with the PAC's own words when they add something."""
    known = SAT_VALIDATIONS.get(code) or PAC_CODES.get(code) or CANCEL_CODES.get(code)
    pac_message = pac_message.strip()
    if known is None:
        return pac_message or "El PAC rechazó el CFDI sin dar una explicación."
    if pac_message and pac_message.rstrip(".").lower() not in known.lower():
        return f"{known} Respuesta del PAC: «{pac_message}»."
    return known


def rejection(code: str, pac_message: str = "") -> PacRejected:
    """The `PacRejected` for a PAC answer; the invoice is held with this code and message."""
    return PacRejected(code or "pac_rechazo", describe(code, pac_message))


def auth_rejection(pac_label: str, pac_message: str = "") -> PacRejected:
    """Bad credentials: held (retrying cannot help until someone fixes them), with Timbra's own code."""
    detail = f" Respuesta del PAC: «{pac_message.strip()}»." if pac_message.strip() else ""
    return PacRejected(
        AUTH,
        f"{pac_label} rechazó las credenciales configuradas (usuario, contraseña o token). "
        f"Corrígelas en la configuración del PAC y reintenta.{detail}",
    )
