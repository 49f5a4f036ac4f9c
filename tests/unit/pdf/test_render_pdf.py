"""What the representación impresa says: every SAT field, totals, sellos, QR, pages."""

from __future__ import annotations

import io
import os
import re
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

import zxingcpp
from PIL import Image
from pypdf import PdfReader
from satcfdi.cfdi import CFDI
from satcfdi.create.cfd import cfdi40

from timbra.cfdi.pdf import parse_cfdi, render_pdf, verification_url
from timbra.cfdi.pdf_document import SANDBOX_LEGEND

from .conftest import GOLDEN_DIR, UUID, CfdiSpec, build_cfdi, pdf_pages_text, pdf_text

CATALOG = {
    ("c_RegimenFiscal", "601"): "General de Ley Personas Morales",
    ("c_UsoCFDI", "G03"): "Gastos en general",
    ("c_FormaPago", "03"): "Transferencia electrónica de fondos",
    ("c_Moneda", "MXN"): "Peso Mexicano",
    ("c_Exportacion", "01"): "No aplica",
    ("c_ObjetoImp", "02"): "Sí objeto de impuesto.",
    ("c_ClaveUnidad", "E48"): "Unidad de servicio",
    ("c_ClaveProdServ", "81112100"): "Servicios de Internet",
}


def describe(catalog: str, code: str) -> str:
    return CATALOG[(catalog, code)]  # KeyError for unknown codes: the renderer shows the bare code


def compact(text: str) -> str:
    return "".join(text.split())


def flat(text: str) -> str:
    """Lines joined by single spaces, so a value wrapped inside its cell still matches."""
    return " ".join(text.split())


def test_every_field_the_sat_asks_for_is_printed(basic_xml: bytes, signer) -> None:
    # given a stamped one-concept invoice
    _, tfd = build_cfdi(signer, CfdiSpec())
    parsed = CFDI.from_string(basic_xml)
    # when it is rendered with catalog descriptions
    text = flat(pdf_text(render_pdf(basic_xml, descriptions=describe)))
    # then emisor, receptor, comprobante, concepto, totals and timbre data are all there
    for expected in [
        "ESCUELA KEMPER URGATE", "RFC: EKU9003173C9", "601 - General de Ley Personas Morales", "42501",
        "UNIVERSIDAD ROBOTICA ESPAÑOLA", "URE180429TM6", "86991", "G03 - Gastos en general",
        "A-123", "2026-11-20T10:00:00", "I - Ingreso", "03 - Transferencia electrónica de fondos",
        "PUE - Pago en una sola exhibición", "MXN - Peso Mexicano", "01 - No aplica",
        "81112100", "E48 - Unidad de servicio", "Suscripción mensual plan Pro — año 2026", "1,398.99",
        "02 - Sí objeto de impuesto.", "Traslado IVA (002) · Tasa 0.160000 (16%) · Base 1,398.99 · Importe 223.84",
        "Subtotal", "$1,398.99", "IVA trasladado 16%", "$223.84", "Total MXN", "$1,622.83",
        "MIL SEISCIENTOS VEINTIDÓS PESOS 83/100 M.N.",
        UUID, "2026-11-20T10:00:05", "SAT970701NN3", "30001000000500003416",
        "Sello digital del CFDI", "Sello digital del SAT",
        "Cadena original del complemento de certificación digital del SAT", "Página 1 de 1",
    ]:  # fmt: skip
        assert expected in text, expected
    # and both sellos and the TFD cadena original are printed whole (wrapped over several lines)
    assert compact(parsed["Sello"]) in compact(text)
    assert compact(parsed["Complemento"]["TimbreFiscalDigital"]["SelloSAT"]) in compact(text)
    assert compact(tfd.cadena_original()) in compact(text)


def test_the_basic_invoice_text_matches_the_golden_file(basic_xml: bytes) -> None:
    text = pdf_text(render_pdf(basic_xml, descriptions=describe))
    golden = GOLDEN_DIR / "pdf_basic.txt"
    if os.environ.get("TIMBRA_REGEN_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), "Falta tests/golden/pdf_basic.txt: genérelo con TIMBRA_REGEN_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")


def test_the_tfd_cadena_original_matches_satcfdi(signer) -> None:
    # given stamps with and without the optional Leyenda
    for leyenda in (None, "Timbre de prueba"):
        xml, tfd = build_cfdi(signer, CfdiSpec(leyenda=leyenda))
        # then our cadena equals the one satcfdi computes with SAT's XSLT
        assert parse_cfdi(xml).timbre.cadena_original() == tfd.cadena_original()


def test_the_verification_url_matches_satcfdi(basic_xml: bytes) -> None:
    assert verification_url(parse_cfdi(basic_xml)) == CFDI.from_string(basic_xml).verifica_url


def test_an_ampersand_in_an_rfc_is_percent_encoded_in_the_url(make_cfdi: Callable[..., bytes]) -> None:
    xml = make_cfdi(receptor_rfc="H&E951128469", receptor_nombre="HERRERIA & ELECTRICOS", receptor_cp="06002")
    url = verification_url(parse_cfdi(xml))
    assert "&rr=H%26E951128469&tt=" in url


def test_the_qr_drawn_decodes_to_the_verification_url(basic_xml: bytes) -> None:
    # given the rendered page
    pdf = render_pdf(basic_xml)
    content = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("latin-1")
    runs = [tuple(map(int, r)) for r in re.findall(r"(?<![\d.])(\d+) (\d+) (\d+) 1 re", content)]
    n = max(y for _, y, _ in runs) + 1
    # when the module rectangles are read back from the content stream and rasterised
    # (4 px per module, a 4-module quiet zone) like a phone camera would see them
    scale, quiet = 4, 4
    side = (n + 2 * quiet) * scale
    image = Image.new("L", (side, side), 255)
    for x, y, width in runs:
        row = n - 1 - y
        image.paste(0, ((x + quiet) * scale, (row + quiet) * scale,
                        (x + width + quiet) * scale, (row + 1 + quiet) * scale))
    decoded = zxingcpp.read_barcode(image)
    # then it is a QR with error correction M holding exactly the verification URL
    assert decoded is not None and decoded.format == zxingcpp.BarcodeFormat.QRCode
    assert decoded.text == verification_url(parse_cfdi(basic_xml))
    assert decoded.ec_level == "M"


def test_discounts_withholdings_foreign_currency_and_related_cfdis_are_printed(make_cfdi) -> None:
    # given a USD invoice with a discount, ISR and IVA withholdings and a related CFDI
    def with_retenciones() -> cfdi40.Impuestos:
        return cfdi40.Impuestos(
            traslados=cfdi40.Traslado(impuesto="002", tipo_factor="Tasa", tasa_o_cuota=Decimal("0.160000")),
            retenciones=[
                cfdi40.Retencion(impuesto="001", tipo_factor="Tasa", tasa_o_cuota=Decimal("0.100000")),
                cfdi40.Retencion(impuesto="002", tipo_factor="Tasa", tasa_o_cuota=Decimal("0.106667")),
            ],
        )

    related = "11111111-2222-3333-4444-555555555555"
    xml = make_cfdi(
        conceptos=[{"descripcion": "Consultoría", "valor_unitario": Decimal("250.00"), "cantidad": Decimal(2),
                    "descuento": Decimal("50.00"), "no_identificacion": "CONS-1", "impuestos": with_retenciones}],
        moneda="USD", tipo_cambio=Decimal("17.2345"), relacionados=[related],
    )  # fmt: skip
    # when rendered
    text = flat(pdf_text(render_pdf(xml)))
    # then each amount and the relation appear
    for expected in [
        "CONS-1", "Descuento", "$50.00", "ISR retenido", "$45.00", "IVA retenido", "$48.00",
        "Retención ISR (001) · Tasa 0.100000 (10%) · Base 450.00 · Importe 45.00",
        "Retención IVA (002) · Tasa 0.106667 (10.6667%) · Base 450.00 · Importe 48.00",
        "Total USD", "$429.00", "CUATROCIENTOS VEINTINUEVE DÓLARES 00/100 USD", "17.2345",
        "CFDI RELACIONADOS", "04", related,
    ]:  # fmt: skip
        assert expected in text, expected


def test_sixty_conceptos_flow_onto_numbered_pages_with_the_header_repeated(long_xml: bytes) -> None:
    # when a 60-concept invoice is rendered
    pages = pdf_pages_text(render_pdf(long_xml))
    # then it takes several pages, each numbered and carrying the CFDI's identity and the table header
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Página {number} de {len(pages)}" in page
        assert "EKU9003173C9" in page and UUID in page and "Descripción" in page
    # and every concepto is printed exactly once, the totals and the timbre only at the end
    everything = "\n".join(pages)
    for n in range(1, 61):
        assert everything.count(f"Concepto {n:02d}:") == 1
    assert "Total MXN" in pages[-1] and all("Total MXN" not in page for page in pages[:-1])
    assert "Sello digital del SAT" in pages[-1]


def test_a_description_longer_than_a_page_continues_on_the_next(make_cfdi) -> None:
    # given a concepto description far longer than Anexo 20 allows, with an unbreakable token
    words = " ".join(f"palabra{n:04d}" for n in range(900)) + " " + "X" * 400
    xml = make_cfdi(conceptos=[{"descripcion": words, "valor_unitario": Decimal("10.00")}])
    # when rendered / then nothing is lost and the pages are numbered
    pages = pdf_pages_text(render_pdf(xml))
    text = "\n".join(pages)
    assert len(pages) >= 2 and f"Página {len(pages)} de {len(pages)}" in pages[-1]
    assert all(f"palabra{n:04d}" in text for n in range(900))
    assert sum(len(run) for run in re.findall(r"^X{20,}$", text, re.MULTILINE)) == 400


def test_sandbox_stamps_say_plainly_they_have_no_fiscal_validity(long_xml: bytes, basic_xml: bytes) -> None:
    pages = pdf_pages_text(render_pdf(long_xml, sandbox=True))
    assert all(SANDBOX_LEGEND in page for page in pages)
    assert SANDBOX_LEGEND not in pdf_text(render_pdf(basic_xml))


def test_a_stamp_from_the_sandbox_pac_is_marked_even_without_the_flag(make_cfdi) -> None:
    # given a TFD carrying the Leyenda that Timbra's sandbox PAC signs into its stamps
    pages = pdf_pages_text(render_pdf(make_cfdi(leyenda=SANDBOX_LEGEND)))
    # then every page says it has no fiscal validity, and the Leyenda is in the timbre data
    assert all(SANDBOX_LEGEND in page for page in pages)
    assert "Leyenda" in pages[-1]


def test_without_descriptions_codes_are_printed_alone(basic_xml: bytes) -> None:
    text = pdf_text(render_pdf(basic_xml, descriptions=lambda catalog, code: ""))
    assert "Régimen fiscal: 601\n" in text and "Gastos en general" not in text


def test_the_same_xml_renders_the_same_bytes(basic_xml: bytes) -> None:
    assert render_pdf(basic_xml) == render_pdf(basic_xml)


def test_a_one_page_invoice_renders_well_within_the_cpu_budget(basic_xml: bytes) -> None:
    # Budget: 20 ms per one-page PDF on the 2-core box; CPU time with a 2.5x margin for noisy CI.
    render_pdf(basic_xml)
    times = []
    for _ in range(15):
        start = time.process_time()
        render_pdf(basic_xml)
        times.append(time.process_time() - start)
    assert statistics.median(times) < 0.050
