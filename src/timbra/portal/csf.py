"""Read a Constancia de Situación Fiscal (CSF) PDF: RFC, name, CP and current régimen(es).

An optional shortcut only (CFF art. 83 fr. IX, 2026: a CFDI may not be conditioned on the
CSF), so every failure is a clear Spanish message and the manual form. Sources, in order
(reference/portal-csf-global.md §1): the text layer (pypdf), matched on labels, never on line
positions (the two-column layout puts "Código Postal:72030 Tipo de Vialidad: CALLE" on one
line); then the QR image, whose validator URL carries "D3=<idCIF>_<RFC>" (zxing-cpp reads it
from the page's embedded image). The name never includes the régimen capital (CFDI40145). A
régimen text that maps to no catalog code is left for the person to choose: never guessed.
Nothing is fetched from SAT here (no network from the web process).
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from timbra.domain import catalogs
from timbra.domain.taxpayer import normalize_nombre, persona_type

MAX_BYTES = 5 * 1024 * 1024  # a SAT CSF is ~100 KB; bigger is not one
MAX_PAGES = 8
RFC_RE = r"[A-ZÑ&]{3,4}\d{6}[A-Z\d]{3}"
DATE_RE = r"\d{2}/\d{2}/\d{4}|\d{2}-\d{2}-\d{4}"

UNREADABLE = ("No pudimos abrir ese archivo como PDF. Sube el PDF de tu Constancia de Situación Fiscal tal como "
              "lo descargaste del SAT, o escribe tus datos abajo.")
NO_TEXT = ("No pudimos leer texto ni el código QR de ese PDF (¿es una foto o un escaneo?). Escribe tus datos "
           "abajo: con eso basta.")
NOT_A_CSF = ("Ese PDF no parece una Constancia de Situación Fiscal del SAT. Escribe tus datos abajo: con eso "
             "basta.")
TOO_BIG = "El archivo pesa más de 5 MB; una constancia del SAT pesa mucho menos. Escribe tus datos abajo."


class CsfError(Exception):
    """The file gave nothing usable; `message` is Spanish, for the customer."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class CsfData:
    """What the CSF says. Empty strings for what it did not say; `regimenes` are current codes."""

    rfc: str = ""
    nombre: str = ""
    regimen_capital: str = ""
    codigo_postal: str = ""
    regimenes: tuple[str, ...] = ()
    unmapped_regimenes: tuple[str, ...] = ()
    id_cif: str = ""
    from_qr: bool = False
    notes: list[str] = field(default_factory=list)

    def initial(self) -> dict[str, str]:
        """The form's pre-filled values (the first current régimen; the person confirms)."""
        values = {"rfc": self.rfc, "nombre": self.nombre, "codigo_postal": self.codigo_postal,
                  "regimen_fiscal": self.regimenes[0] if self.regimenes else ""}
        return {k: v for k, v in values.items() if v}


def read_csf(content: bytes) -> CsfData:
    """Extract the fiscal data from a CSF PDF; CsfError with a Spanish message when it cannot."""
    if len(content) > MAX_BYTES:
        raise CsfError("csf_too_big", TOO_BIG)
    pages = _pages(content)
    text = "\n".join(_text(page) for page in pages[:MAX_PAGES])
    qr = _qr(pages[:2]) if not re.search(r"RFC:\s*" + RFC_RE, _upper(text)) else _qr(pages[:1])
    if not text.strip() and qr is None:
        raise CsfError("csf_no_text", NO_TEXT)
    looks_like_csf = "SITUACION FISCAL" in _plain(text) or "IDCIF" in _plain(text)
    if text.strip() and not looks_like_csf and qr is None:
        raise CsfError("csf_not_a_csf", NOT_A_CSF)
    data = _from_text(text) if looks_like_csf else CsfData()
    if qr is not None:
        id_cif, rfc = qr
        if data.rfc and rfc != data.rfc:
            raise CsfError("csf_not_a_csf", NOT_A_CSF)  # the QR and the text disagree: not one document
        data = CsfData(**{**data.__dict__, "rfc": data.rfc or rfc, "id_cif": data.id_cif or id_cif, "from_qr": True})
    if not data.rfc:
        raise CsfError("csf_not_a_csf", NOT_A_CSF)
    return data


def _pages(content: bytes) -> list[Any]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        return list(reader.pages)
    except (PyPdfError, ValueError, TypeError, KeyError, OSError, NotImplementedError) as exc:
        raise CsfError("csf_unreadable", UNREADABLE) from exc


def _text(page: Any) -> str:
    try:
        return str(page.extract_text() or "")
    except Exception:  # a broken content stream: this page gives no text, others may
        return ""


def _qr(pages: list[Any]) -> tuple[str, str] | None:
    """(idCIF, RFC) from the first QR holding a SAT validator URL ("D3=<idCIF>_<RFC>")."""
    import zxingcpp

    for page in pages:
        try:
            images = list(page.images)
        except Exception:
            continue
        for index in range(len(images)):
            try:  # broken images raise while read (pypdf docs): read them one by one
                image = images[index].image
                results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            except Exception:
                continue
            for result in results:
                found = _from_validator_url(result.text)
                if found is not None:
                    return found
    return None


def _from_validator_url(url: str) -> tuple[str, str] | None:
    # Only the D3 value is used: we never follow the host the PDF names.
    parts = parse_qs(urlsplit(url.strip()).query)
    match = re.fullmatch(r"(\d{5,20})_(" + RFC_RE + ")", (parts.get("D3") or [""])[0].upper())
    return (match.group(1), match.group(2)) if match else None


def _plain(text: str) -> str:
    """Upper case without accents, for finding labels (never for values)."""
    return "".join(c for c in unicodedata.normalize("NFD", text.upper()) if unicodedata.category(c) != "Mn")


def _upper(text: str) -> str:
    return unicodedata.normalize("NFC", text).upper()


def _label(text: str, label: str, value: str = r"[^\n]+?") -> str:
    """The value after `label:` on its line, up to the next "Label:" of a second column."""
    # Labels are Title Case ("Tipo de Vialidad:"), values upper case: "JUAN CARLOS Primer Apellido:".
    match = re.search(label + r"\s*:[ \t]*(" + value + r")(?:[ \t]*$|[ \t]{2,}|[ \t]*(?=[A-ZÁÉÍÓÚ][a-záéíóúñ][\w ()/.]{0,40}:))",
                      text, flags=re.MULTILINE)
    return match.group(1).strip() if match else ""


def _from_text(text: str) -> CsfData:
    text = unicodedata.normalize("NFC", text)
    rfc = _label(_upper(text), "RFC", RFC_RE)
    capital = _label(text, r"R[ée]gimen Capital")
    nombre = _label(text, r"Denominaci[óo]n\s*/\s*Raz[óo]n Social")
    if not nombre:
        parts = [_label(text, r"Nombre\s*\(s\)"), _label(text, "Primer Apellido"), _label(text, "Segundo Apellido")]
        nombre = " ".join(p for p in parts if p)
    nombre = normalize_nombre(nombre) if nombre else ""
    current, unmapped = _regimenes(text, rfc)
    return CsfData(rfc=rfc, nombre=nombre, regimen_capital=capital.upper(),
                   codigo_postal=_label(text, r"C[óo]digo Postal", r"\d{5}"),
                   regimenes=current, unmapped_regimenes=unmapped, id_cif=_label(text, "idCIF", r"\d{5,20}"))


def _regimenes(text: str, rfc: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Current régimen codes (rows without Fecha Fin) and the texts no catalog code matched."""
    plain = _plain(text)
    start = plain.find("REGIMENES:")
    if start < 0:
        return (), ()
    end = plain.find("OBLIGACIONES:", start)
    section = text[start:end if end > 0 else len(text)].splitlines()[1:]
    current: list[str] = []
    unmapped: list[str] = []
    for line in section:
        row = re.match(r"^\s*(?P<text>.*?[A-Za-zÁÉÍÓÚáéíóúñÑ].*?)\s+(?P<start>" + DATE_RE + r")"
                       r"(?:\s+(?P<end>" + DATE_RE + r"))?\s*$", line)
        if row is None or _plain(row["text"]).startswith("REGIMEN FECHA"):
            continue
        if row["end"]:
            continue  # a régimen that ended is not current
        code = regimen_code(row["text"], rfc)
        if code and code not in current:
            current.append(code)
        elif not code:
            unmapped.append(row["text"].strip())
    return tuple(current), tuple(unmapped)


def regimen_code(text: str, rfc: str = "") -> str:
    """The c_RegimenFiscal code whose description ends the CSF's text (the longest such), or ""."""
    wanted = _words(text)
    persona = persona_type(rfc) if rfc else None
    best = ("", 0)
    for code, description in catalogs.codes("regimen_fiscal"):
        words = _words(re.sub(r"^R[ée]gimen (de (las |los )?)?", "", description, flags=re.IGNORECASE))
        if words and wanted.endswith(words) and len(words) > best[1]:
            entry = catalogs.regimen(code)
            if entry is not None and persona is not None and not (
                    entry.aplica_fisica if persona == "fisica" else entry.aplica_moral):
                continue
            best = (code, len(words))
    return best[0]


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^A-Z0-9Ñ ]", " ", _plain(text)).split())
