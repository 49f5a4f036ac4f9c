"""The representación impresa (PDF) of a CFDI 4.0.

`render_pdf(xml)` reads the stamped XML itself (`timbra.cfdi.xml.parse_xml`: no DTD, no entities,
no network), builds a small read model and hands it to `pdf_document` (what goes where), which
draws it with `pdf_layout`'s primitives on reportlab's canvas and the built-in Helvetica/Courier
fonts. Nothing here fetches a file or URL: customer text is only ever
drawn as plain strings (never parsed as markup) and the logo arrives as bytes, checked by Pillow.
See reference/reliability.md §3.6-3.7 (XML and PDF injection) and §4.3-4.5 (speed budget).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO

from lxml import etree
from PIL import Image, UnidentifiedImageError
from reportlab.lib.utils import ImageReader

from timbra.cfdi import pdf_document
from timbra.cfdi.pdf_pagos import Pagos, parse_pagos
from timbra.cfdi.sandbox_pac import SANDBOX_LEYENDA
from timbra.cfdi.xml import CFDI_NS, TFD_TAG, UnsafeXml, parse_xml

VERIFICA_CFDI = "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"
MAX_XML_BYTES = 16 * 1024 * 1024
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 4000  # px; checked from the header, before Pillow decodes a single pixel
LOGO_MAX_PIXELS = 8_000_000
LOGO_PREPARED_SIZE = (360, 120)  # px; ~200 dpi at the drawn size, keeps embedding under ~1 ms
_HEX_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_Q = f"{{{CFDI_NS}}}"

__all__ = [
    "Branding",
    "BrandingError",
    "Invoice",
    "PdfRenderError",
    "parse_cfdi",
    "render_pdf",
    "verification_url",
]

# Comprobante attributes the PDF prints, by read-model field (Anexo 20 names, snake_case).
_COMPROBANTE_ATTRS = {
    "serie": "Serie", "folio": "Folio", "fecha": "Fecha", "sello": "Sello", "no_certificado": "NoCertificado",
    "tipo_de_comprobante": "TipoDeComprobante", "forma_pago": "FormaPago", "metodo_pago": "MetodoPago",
    "condiciones_de_pago": "CondicionesDePago", "moneda": "Moneda", "tipo_cambio": "TipoCambio",
    "exportacion": "Exportacion", "lugar_expedicion": "LugarExpedicion", "subtotal": "SubTotal",
    "descuento": "Descuento", "total": "Total",
}  # fmt: skip


@dataclass(frozen=True)
class Emisor:
    rfc: str
    nombre: str
    regimen_fiscal: str


@dataclass(frozen=True)
class Receptor:
    rfc: str
    nombre: str
    domicilio_fiscal_receptor: str
    regimen_fiscal_receptor: str
    uso_cfdi: str
    residencia_fiscal: str = ""
    num_reg_id_trib: str = ""


@dataclass(frozen=True)
class Tax:
    """A traslado or retención, of a concepto or of the whole comprobante. Amounts as in the XML."""

    retencion: bool
    impuesto: str  # c_Impuesto: 001 ISR, 002 IVA, 003 IEPS
    tipo_factor: str  # Tasa | Cuota | Exento ("" in the comprobante's retenciones)
    tasa_o_cuota: str
    base: str
    importe: str


@dataclass(frozen=True)
class Concepto:
    clave_prod_serv: str
    no_identificacion: str
    cantidad: str
    clave_unidad: str
    unidad: str
    descripcion: str
    valor_unitario: str
    importe: str
    descuento: str
    objeto_imp: str
    taxes: tuple[Tax, ...]


@dataclass(frozen=True)
class Relacionados:
    tipo_relacion: str
    uuids: tuple[str, ...]


@dataclass(frozen=True)
class Timbre:
    version: str
    uuid: str
    fecha_timbrado: str
    rfc_prov_certif: str
    leyenda: str
    sello_cfd: str
    no_certificado_sat: str
    sello_sat: str

    def cadena_original(self) -> str:
        """Cadena original del complemento de certificación digital del SAT, as
        cadenaoriginal_TFD_1_1.xslt renders it: ||1.1|UUID|FechaTimbrado|RfcProvCertif|[Leyenda|]SelloCFD|NoCertificadoSAT||
        (the XSLT applies normalize-space to every value)."""
        values = [self.version, self.uuid, self.fecha_timbrado, self.rfc_prov_certif]
        values += [self.leyenda] if self.leyenda else []
        values += [self.sello_cfd, self.no_certificado_sat]
        return "||" + "|".join(" ".join(v.split()) for v in values) + "||"


@dataclass(frozen=True)
class Invoice:
    """What the representación impresa shows of one CFDI 4.0. Amounts are the XML's strings."""

    emisor: Emisor
    receptor: Receptor
    conceptos: tuple[Concepto, ...]
    traslados: tuple[Tax, ...]
    retenciones: tuple[Tax, ...]
    relacionados: tuple[Relacionados, ...]
    informacion_global: dict[str, str]
    timbre: Timbre | None
    pagos: Pagos | None = None  # the Complemento de Pago 2.0 of a CFDI tipo P (pdf_pagos)
    serie: str = ""
    folio: str = ""
    fecha: str = ""
    sello: str = ""
    no_certificado: str = ""
    tipo_de_comprobante: str = ""
    forma_pago: str = ""
    metodo_pago: str = ""
    condiciones_de_pago: str = ""
    moneda: str = ""
    tipo_cambio: str = ""
    exportacion: str = ""
    lugar_expedicion: str = ""
    subtotal: str = ""
    descuento: str = ""
    total: str = ""


class PdfRenderError(ValueError):
    """The XML cannot be printed as a CFDI 4.0 (message in Spanish, for a person)."""


class BrandingError(ValueError):
    """The issuer's branding (logo, colour, footer) is not acceptable (message in Spanish)."""


@dataclass(frozen=True)
class Branding:
    """How an issuer's PDFs look. Validated on construction, so a bad logo fails at upload time.

    `logo` is PNG or JPEG bytes (never a path or URL), at most 1 MiB and 4000 px a side; it is
    decoded and shrunk once here, so each PDF only embeds the prepared pixels.
    `color` is "#RRGGBB". `footer` is printed verbatim at the bottom of every page.
    """

    logo: bytes | None = None
    color: str = "#1F4E79"
    footer: str | None = None
    _logo_image: ImageReader | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.color, str) or not _HEX_COLOR.fullmatch(self.color):
            raise BrandingError(
                f"El color debe tener el formato #RRGGBB (por ejemplo #1F4E79), no {self.color!r}."
            )
        if self.footer is not None and len(self.footer) > 500:
            raise BrandingError("El pie de página admite como máximo 500 caracteres.")
        if self.logo is not None:
            object.__setattr__(self, "_logo_image", _prepare_logo(self.logo))


def _prepare_logo(logo: bytes) -> ImageReader:
    """Check the logo is a real PNG/JPEG of sane size and shrink it once for every later PDF."""
    invalid = BrandingError("El logotipo debe ser una imagen PNG o JPEG válida de máximo 1 MB.")
    too_big = BrandingError("El logotipo es demasiado grande: máximo 4000 × 4000 píxeles.")
    if not isinstance(logo, bytes | bytearray) or not logo or len(logo) > LOGO_MAX_BYTES:
        raise invalid
    try:
        image = Image.open(BytesIO(logo), formats=("PNG", "JPEG"))
        width, height = image.size
        # Decompression bombs: refuse on the declared size, before decoding.
        if max(width, height) > LOGO_MAX_SIDE or width * height > LOGO_MAX_PIXELS:
            raise too_big
        image.load()
    except BrandingError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own limit, hit while reading the header
        raise too_big from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise invalid from exc
    image.thumbnail(LOGO_PREPARED_SIZE)
    # Flatten transparency onto white (the logo sits on the white page) so reportlab needs no soft mask.
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    reader = ImageReader(flat)
    reader.getRGBData()  # decode once now; later renders only read the cached bytes
    return reader


def render_pdf(
    stamped_xml: bytes,
    *,
    branding: Branding | None = None,
    descriptions: Callable[[str, str], str] | None = None,
    draft_watermark: str | None = None,
    sandbox: bool = False,
) -> bytes:
    """Render the representación impresa of a CFDI 4.0 as PDF bytes.

    `descriptions(catalog, code)` returns the SAT description of a catalog code (catalogs are named
    as in Anexo 20: "c_RegimenFiscal", "c_UsoCFDI", "c_FormaPago", "c_Moneda", "c_Exportacion",
    "c_ObjetoImp", "c_ClaveProdServ", "c_ClaveUnidad", "c_TipoRelacion", "c_Periodicidad",
    "c_Meses"); without it, or when it returns "" or raises LookupError, only the code is printed.
    With `draft_watermark` the XML may be unstamped: the text is printed across every page and the
    timbre data is left out. `sandbox=True` (implied by the sandbox PAC's Leyenda) marks every page
    with "Timbrado por el PAC de pruebas de Timbra: sin validez fiscal".
    Raises PdfRenderError for XML that is not a CFDI 4.0 (or is unstamped without a watermark).
    """
    if draft_watermark is not None and not draft_watermark.strip():
        # An empty mark would print an unstamped CFDI with nothing saying it is not valid.
        raise PdfRenderError("La marca de agua de la vista previa no puede estar vacía.")
    invoice = parse_cfdi(stamped_xml)
    if draft_watermark is None and invoice.timbre is None:
        raise PdfRenderError("El CFDI no está timbrado: solo puede imprimirse como vista previa.")
    return pdf_document.draw_invoice(
        invoice,
        describe=_describer(descriptions),
        color=(branding or Branding()).color,
        logo=branding._logo_image if branding else None,
        footer=branding.footer if branding else None,
        draft_watermark=draft_watermark,
        # Timbra's sandbox PAC signs this Leyenda into every stamp, so its PDFs are marked even if
        # the caller forgets the flag; no real PAC would write it.
        sandbox=sandbox or (invoice.timbre is not None and invoice.timbre.leyenda == SANDBOX_LEYENDA),
        qr_url=None if draft_watermark is not None or invoice.timbre is None else verification_url(invoice),
    )


def _describer(descriptions: Callable[[str, str], str] | None) -> Callable[[str, str], str]:
    def describe(catalog: str, code: str) -> str:
        if not code or descriptions is None:
            return code
        try:
            text = descriptions(catalog, code)
        except LookupError:
            return code
        return f"{code} - {text}" if text else code

    return describe


def verification_url(invoice: Invoice) -> str:
    """The SAT verification URL for the QR (Anexo 20, "código de barras bidimensional").

    Same format as satcfdi's `CFDI.verifica_url` (Total as written in the XML, last 8 characters of
    the Sello), except that an "&" inside an RFC (e.g. H&E951128469) is sent as %26: raw, it would
    end the query parameter and the SAT page would read a truncated RFC.
    """
    if invoice.timbre is None:
        raise PdfRenderError("El CFDI no está timbrado: no tiene folio fiscal para el código QR.")
    total = format(Decimal(invoice.total), "f")
    rfc_e = invoice.emisor.rfc.replace("&", "%26")
    rfc_r = invoice.receptor.rfc.replace("&", "%26")
    return (
        f"{VERIFICA_CFDI}?id={invoice.timbre.uuid}&re={rfc_e}&rr={rfc_r}&tt={total}&fe={invoice.sello[-8:]}"
    )


def parse_cfdi(xml: bytes) -> Invoice:
    """Read a CFDI 4.0 with the project's hardened parser (no entities, DTD, DOCTYPE or network)."""
    if not isinstance(xml, bytes) or len(xml) > MAX_XML_BYTES:
        raise PdfRenderError("El XML debe ser bytes de máximo 16 MB.")
    try:
        root = parse_xml(xml)
    except UnsafeXml as exc:
        raise PdfRenderError(f"El XML no es válido: {exc}") from exc
    if root.tag != f"{_Q}Comprobante" or root.get("Version") != "4.0":
        raise PdfRenderError('El XML no es un CFDI versión 4.0 (cfdi:Comprobante Version="4.0").')
    try:
        return _invoice(root)
    except (KeyError, InvalidOperation) as exc:
        raise PdfRenderError(
            f"Al CFDI le falta un dato obligatorio o trae un importe inválido: {exc}"
        ) from exc


def _req(node: etree._Element, name: str) -> str:
    value = node.get(name)
    if value is None:
        raise KeyError(f"{etree.QName(node).localname}@{name}")
    return value


def _one(parent: etree._Element, path: str) -> etree._Element:
    node = parent.find(path)
    if node is None:
        raise KeyError(path.replace(_Q, "cfdi:"))
    return node


def _invoice(root: etree._Element) -> Invoice:
    emisor, receptor = _one(root, f"{_Q}Emisor"), _one(root, f"{_Q}Receptor")
    impuestos = root.find(f"{_Q}Impuestos")
    for required in ("SubTotal", "Total", "Moneda", "TipoDeComprobante"):
        _req(root, required)
    Decimal(root.get("Total", ""))  # fail on a broken total here, not halfway through drawing
    info_global = root.find(f"{_Q}InformacionGlobal")
    return Invoice(
        **{name: root.get(attr, "") for name, attr in _COMPROBANTE_ATTRS.items()},
        emisor=Emisor(_req(emisor, "Rfc"), emisor.get("Nombre", ""), _req(emisor, "RegimenFiscal")),
        receptor=Receptor(
            rfc=_req(receptor, "Rfc"),
            nombre=receptor.get("Nombre", ""),
            domicilio_fiscal_receptor=receptor.get("DomicilioFiscalReceptor", ""),
            regimen_fiscal_receptor=receptor.get("RegimenFiscalReceptor", ""),
            uso_cfdi=receptor.get("UsoCFDI", ""),
            residencia_fiscal=receptor.get("ResidenciaFiscal", ""),
            num_reg_id_trib=receptor.get("NumRegIdTrib", ""),
        ),
        informacion_global=dict(info_global.attrib) if info_global is not None else {},
        relacionados=tuple(
            Relacionados(_req(rel, "TipoRelacion"), tuple(_req(u, "UUID") for u in rel))
            for rel in root.iterfind(f"{_Q}CfdiRelacionados")
        ),
        conceptos=tuple(_concepto(c) for c in root.iterfind(f"{_Q}Conceptos/{_Q}Concepto")),
        traslados=_taxes(impuestos, "Traslados/{q}Traslado", retencion=False),
        retenciones=_taxes(impuestos, "Retenciones/{q}Retencion", retencion=True),
        timbre=_timbre(root.find(f"{_Q}Complemento/{TFD_TAG}")),
        pagos=parse_pagos(root),
    )


def _taxes(impuestos: etree._Element | None, path: str, *, retencion: bool) -> tuple[Tax, ...]:
    if impuestos is None:
        return ()
    return tuple(
        Tax(
            retencion=retencion,
            impuesto=_req(t, "Impuesto"),
            tipo_factor=t.get("TipoFactor", ""),
            tasa_o_cuota=t.get("TasaOCuota", ""),
            base=t.get("Base", ""),
            importe=t.get("Importe", ""),
        )
        for t in impuestos.iterfind(_Q + path.format(q=_Q))
    )


def _concepto(node: etree._Element) -> Concepto:
    impuestos = node.find(f"{_Q}Impuestos")
    return Concepto(
        clave_prod_serv=_req(node, "ClaveProdServ"),
        no_identificacion=node.get("NoIdentificacion", ""),
        cantidad=_req(node, "Cantidad"),
        clave_unidad=_req(node, "ClaveUnidad"),
        unidad=node.get("Unidad", ""),
        descripcion=_req(node, "Descripcion"),
        valor_unitario=_req(node, "ValorUnitario"),
        importe=_req(node, "Importe"),
        descuento=node.get("Descuento", ""),
        objeto_imp=node.get("ObjetoImp", ""),
        taxes=_taxes(impuestos, "Traslados/{q}Traslado", retencion=False)
        + _taxes(impuestos, "Retenciones/{q}Retencion", retencion=True),
    )


def _timbre(node: etree._Element | None) -> Timbre | None:
    if node is None:
        return None
    return Timbre(
        version=node.get("Version", "1.1"),
        uuid=_req(node, "UUID"),
        fecha_timbrado=_req(node, "FechaTimbrado"),
        rfc_prov_certif=_req(node, "RfcProvCertif"),
        leyenda=node.get("Leyenda", ""),
        sello_cfd=_req(node, "SelloCFD"),
        no_certificado_sat=_req(node, "NoCertificadoSAT"),
        sello_sat=_req(node, "SelloSAT"),
    )
