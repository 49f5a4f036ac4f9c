"""Nothing a customer typed can make the renderer read a file or URL; bad input fails clearly."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.colors import black, white
from reportlab.lib.rl_accel import fp_str

from timbra.cfdi.pdf import Branding, BrandingError, PdfRenderError, render_pdf
from timbra.cfdi.pdf_layout import Theme, wrap
from timbra.cfdi.pdf_layout import pdf_text as winansi_text

from .conftest import UUID, pdf_pages_text, pdf_text

MALICIOUS_NAME = '<img src="file:///etc/passwd"/> <font size="40" color="red">GRANDE</font> &amp; <b>x</b>'
PREVIEW = "VISTA PREVIA — SIN VALIDEZ FISCAL"


def png_logo(size: tuple[int, int] = (300, 100), fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA" if fmt == "PNG" else "RGB", size, (31, 78, 121, 255)).save(buffer, fmt)
    return buffer.getvalue()


def test_markup_in_customer_text_is_printed_literally(make_cfdi: Callable[..., bytes]) -> None:
    # given a receptor name and a description made of reportlab/HTML markup
    xml = make_cfdi(
        receptor_nombre=MALICIOUS_NAME,
        conceptos=[{"descripcion": '<a href="https://evil.example/x">clic</a> <br/>', "valor_unitario": 1}],
    )
    # when rendered
    pdf = render_pdf(xml)
    text = " ".join(pdf_text(pdf).split())
    # then the markup is text on the page, and nothing was fetched, embedded or linked
    assert MALICIOUS_NAME in text
    assert '<a href="https://evil.example/x">clic</a> <br/>' in text
    assert b"root:" not in pdf and b"/URI" not in pdf and b"/Launch" not in pdf and b"/JavaScript" not in pdf
    assert not PdfReader(io.BytesIO(pdf)).pages[0].images


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/cfdi.dtd">',
    ],
)
def test_xml_with_a_doctype_is_refused(basic_xml: bytes, doctype: bytes) -> None:
    # given a stamped CFDI with a DOCTYPE (external entity, entity expansion, external DTD) spliced in
    declaration, rest = basic_xml.split(b"?>", 1)
    hostile = (
        declaration + b"?>" + doctype + rest.replace(b'Nombre="UNIVERSIDAD', b'Nombre="&x;UNIVERSIDAD', 1)
    )
    # when / then it is refused before anything is drawn
    with pytest.raises(PdfRenderError, match="DOCTYPE|no es válido"):
        render_pdf(hostile)


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (b"not xml at all", "no es válido"),
        (b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/3" Version="3.3"/>', "versión 4.0"),
        (b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0"/>', "obligatorio"),
        ("<str/>", "bytes"),
    ],
)
def test_input_that_is_not_a_cfdi_40_fails_with_a_spanish_reason(xml: object, message: str) -> None:
    with pytest.raises(PdfRenderError, match=message):
        render_pdf(xml)  # type: ignore[arg-type]


def test_an_unstamped_cfdi_is_refused_without_a_watermark(make_cfdi: Callable[..., bytes]) -> None:
    with pytest.raises(PdfRenderError, match="no está timbrado"):
        render_pdf(make_cfdi(stamped=False))


def test_a_preview_shows_the_watermark_and_leaves_out_the_timbre(make_cfdi: Callable[..., bytes]) -> None:
    # given a sealed but unstamped CFDI
    xml = make_cfdi(stamped=False)
    # when rendered as a preview
    pdf = render_pdf(xml, draft_watermark=PREVIEW)
    text = pdf_text(pdf)
    # then the watermark is on the page, the sello is there, and no timbre data or QR is
    assert text.count(PREVIEW) >= 2  # the banner and the diagonal watermark
    assert "Sello digital del CFDI" in text
    for absent in ("Folio fiscal", "Sello digital del SAT", "Cadena original", "Fecha de timbrado"):
        assert absent not in text
    assert b" 1 re " not in PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data()


def test_a_preview_of_an_unsigned_draft_or_a_stamped_cfdi_omits_the_timbre(
    make_cfdi, long_xml: bytes
) -> None:
    unsigned = pdf_text(render_pdf(make_cfdi(stamped=False, signed=False), draft_watermark=PREVIEW))
    assert PREVIEW in unsigned and "Sello digital" not in unsigned
    stamped = pdf_pages_text(render_pdf(long_xml, draft_watermark=PREVIEW))
    assert len(stamped) > 1 and all(PREVIEW in page and UUID not in page for page in stamped)


@pytest.mark.parametrize("mark", ["", "   "])
def test_an_empty_watermark_is_refused(make_cfdi: Callable[..., bytes], mark: str) -> None:
    with pytest.raises(PdfRenderError, match="marca de agua"):
        render_pdf(make_cfdi(stamped=False), draft_watermark=mark)


def test_logo_colour_and_footer_are_applied(long_xml: bytes) -> None:
    # given an issuer's branding
    branding = Branding(
        logo=png_logo(), color="#AA0000", footer="Gracias por su preferencia · soporte@acme.mx"
    )
    # when a multi-page invoice is rendered
    pdf = render_pdf(long_xml, branding=branding)
    reader = PdfReader(io.BytesIO(pdf))
    # then the logo is on the first page only, the brand colour fills the bands, the footer is on every page
    assert len(reader.pages[0].images) == 1 and not reader.pages[1].images
    assert f"{fp_str(170 / 255, 0, 0)} rg".encode() in reader.pages[0].get_contents().get_data()
    assert all("Gracias por su preferencia · soporte@acme.mx" in page for page in pdf_pages_text(pdf))


def test_a_jpeg_logo_is_accepted_and_shrunk_once() -> None:
    branding = Branding(logo=png_logo((2000, 800), "JPEG"))
    assert branding._logo_image is not None and branding._logo_image.getSize() == (300, 120)


@pytest.mark.parametrize(
    "logo",
    [
        b"this is not an image",
        b"GIF89a" + b"\x00" * 20,
        "/etc/passwd",
        b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>',
        png_logo()[:60],  # truncated
        b"",
    ],
)
def test_a_logo_that_is_not_a_png_or_jpeg_is_rejected_clearly(logo: object) -> None:
    with pytest.raises(BrandingError, match="PNG o JPEG"):
        Branding(logo=logo)  # type: ignore[arg-type]


def test_a_gif_logo_is_rejected_even_when_valid() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "GIF")
    with pytest.raises(BrandingError, match="PNG o JPEG"):
        Branding(logo=buffer.getvalue())


def test_a_logo_declaring_huge_dimensions_is_rejected_before_decoding() -> None:
    # given a PNG header claiming 30000 × 30000 pixels (a decompression bomb's calling card)
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0))
    bomb += chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b"")
    with pytest.raises(BrandingError, match="demasiado grande"):
        Branding(logo=bomb)


def test_a_logo_over_one_megabyte_is_rejected() -> None:
    with pytest.raises(BrandingError, match="1 MB"):
        Branding(logo=png_logo() + b"\x00" * (1024 * 1024))


@pytest.mark.parametrize("color", ["red", "#1F4E7", "#1F4E79;", "1F4E79", "#GGGGGG", ""])
def test_a_colour_that_is_not_hex_rrggbb_is_rejected(color: str) -> None:
    with pytest.raises(BrandingError, match="#RRGGBB"):
        Branding(color=color)


def test_text_on_the_brand_colour_stays_readable() -> None:
    assert Theme.from_hex("#1F4E79").on_brand == white
    assert Theme.from_hex("#FFF59D").on_brand == black


def test_characters_helvetica_cannot_show_are_replaced_not_boxed(make_cfdi: Callable[..., bytes]) -> None:
    # given a name with an emoji, CJK, a ligature letter, a combining accent and a tab
    xml = make_cfdi(receptor_nombre="Zoë Ñandú 🚀 漢字 Ǆ Jose\u0301\tfin")
    # when rendered / then what WinAnsi can show is kept, the rest is spelled plainly or "?"
    text = pdf_text(render_pdf(xml))
    assert "Zoë Ñandú ? ?? DZ José fin" in text
    assert "■" not in text


def test_wrapped_lines_never_overflow_their_width() -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    text = "Descripción con palabras normales y un token " + "ABCDEFGHIJ" * 30 + " y más texto al final"
    lines = wrap(text, "Helvetica", 7, 120)
    assert all(stringWidth(line, "Helvetica", 7) <= 120 for line in lines)
    assert "".join("".join(lines).split()) == "".join(winansi_text(text).split())
