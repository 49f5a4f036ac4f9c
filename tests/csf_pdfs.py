"""CSF-shaped PDFs built by the tests (reference/portal-csf-global.md §1.1): the page-1
identification card with the idCIF and the validator QR (an embedded image, as SAT's PDF has),
the two-column "Datos del domicilio" lines and the Regímenes table with Fecha Inicio / Fecha Fin."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

VALIDATOR = "https://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf?D1=10&D2=1&D3={id_cif}_{rfc}"


def qr_image(text: str) -> Image.Image:
    bitmap = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(
        scale=4, add_quiet_zones=True)
    return Image.fromarray(bitmap).convert("L") if not isinstance(bitmap, Image.Image) else bitmap


def _pdf(pages: list[list[str]], *, qr: str | None = None, text: bool = True) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=letter)
    for number, lines in enumerate(pages):
        if qr and number == 0:
            canvas.drawImage(ImageReader(qr_image(qr)), 420, 600, width=140, height=140)
        if text:
            y = 750
            for line in lines:
                canvas.setFont("Helvetica", 9)
                canvas.drawString(40, y, line)
                y -= 14
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def moral_lines(*, rfc: str = "EKU9003173C9", nombre: str = "ESCUELA KEMPER URGATE", cp: str = "42501",
                id_cif: str = "19010137431", regimenes: tuple[tuple[str, str, str], ...] = (
                    ("Régimen General de Ley Personas Morales", "01/01/2015", ""),)) -> list[list[str]]:
    card = ["CÉDULA DE IDENTIFICACIÓN FISCAL", f"RFC: {rfc}", "Nombre, denominación o razón social",
            f"{nombre}", f"idCIF: {id_cif}", "VALIDA TU INFORMACIÓN FISCAL"]
    body = ["CONSTANCIA DE SITUACIÓN FISCAL", "Lugar y Fecha de Emisión",
            "PACHUCA DE SOTO , HIDALGO A 10 DE FEBRERO DE 2026", "Datos de Identificación del Contribuyente:",
            f"RFC: {rfc}", f"Denominación/Razón Social: {nombre}",
            "Régimen Capital: SOCIEDAD ANONIMA DE CAPITAL VARIABLE", "Nombre Comercial:",
            "Estatus en el padrón: ACTIVO", "Datos del domicilio registrado",
            f"Código Postal:{cp} Tipo de Vialidad: CALLE", "Nombre de Vialidad: REFORMA Número Exterior: 10",
            "Regímenes:", "Régimen Fecha Inicio Fecha Fin",
            *(f"{text} {start} {end}".rstrip() for text, start, end in regimenes),
            "Obligaciones:", "Descripción de la Obligación Descripción Vencimiento Fecha Inicio Fecha Fin",
            f"Cadena Original Sello: ||2026/02/10|{rfc}|CONSTANCIA DE SITUACIÓN FISCAL|200001088888800000031||"]
    return [card, body]


def csf_moral(*, with_qr: bool = True, **kwargs: str) -> bytes:
    """A persona moral's CSF: text layer plus the QR (idCIF_RFC)."""
    rfc, id_cif = kwargs.get("rfc", "EKU9003173C9"), kwargs.get("id_cif", "19010137431")
    qr = VALIDATOR.format(id_cif=id_cif, rfc=rfc) if with_qr else None
    return _pdf(moral_lines(**kwargs), qr=qr)  # type: ignore[arg-type]


def csf_fisica(*, rfc: str = "CACX7605101P8", cp: str = "42501") -> bytes:
    """A persona física's CSF: names split in Nombre (s) / Primer / Segundo Apellido, two regímenes
    current and one ended."""
    body = ["CONSTANCIA DE SITUACIÓN FISCAL", "Datos de Identificación del Contribuyente:", f"RFC: {rfc}",
            "CURP: CACX760510MGTSHC04", "Nombre (s): XOCHILT", "Primer Apellido: CASAS",
            "Segundo Apellido: CHAVEZ", f"Código Postal:{cp} Tipo de Vialidad: CALLE", "Regímenes:",
            "Régimen Fecha Inicio Fecha Fin",
            "Régimen de Sueldos y Salarios e Ingresos Asimilados a Salarios 01/01/2010 31/12/2019",
            "Régimen de las Personas Físicas con Actividades Empresariales y Profesionales 01/01/2020",
            "Régimen Simplificado de Confianza 01/01/2022", "Obligaciones:"]
    return _pdf([body])


def scanned_csf(*, rfc: str = "EKU9003173C9", id_cif: str = "19010137431") -> bytes:
    """A 'scanned' CSF: no text layer, only the page image with the QR on it."""
    return _pdf([[]], qr=VALIDATOR.format(id_cif=id_cif, rfc=rfc), text=False)


def blank_scan() -> bytes:
    """A photo of something: an image, no text, no QR."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=letter)
    canvas.drawImage(ImageReader(Image.new("L", (200, 200), 200)), 100, 400, width=200, height=200)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def foreign_pdf() -> bytes:
    """A PDF that is not a CSF (a restaurant menu)."""
    return _pdf([["MENÚ DEL DÍA", "Sopa de tortilla $85", "Enchiladas suizas $140"]])
