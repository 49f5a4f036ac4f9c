"""Stamped CFDI 4.0 fixtures for the PDF tests, built and sealed with satcfdi.

The Comprobante is sealed with SAT's public test CSD (EKU9003173C9) and given a TimbreFiscalDigital
1.1 signed with the same key, standing in for a PAC. Every date, folio and UUID is fixed and RSA
PKCS#1 v1.5 signatures are deterministic, so the XML (and the PDF text) is the same on every run.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from satcfdi.create.cfd import cfdi40
from satcfdi.create.cfd.tfd11 import TimbreFiscalDigital
from satcfdi.models import Signer

REPO_ROOT = Path(__file__).resolve().parents[3]
SAT_DIR = REPO_ROOT.parent / "shared" / "sat"
GOLDEN_DIR = REPO_ROOT / "tests" / "golden"
TEST_PAC_RFC = "SAT970701NN3"  # SAT's own RFC, as satcfdi's tests use for RfcProvCertif
UUID = "5B8A3D2E-1F4C-4A6B-9C7D-0E1F2A3B4C5D"
FECHA = datetime(2026, 11, 20, 10, 0, 0)
FECHA_TIMBRADO = datetime(2026, 11, 20, 10, 0, 5)


class _TestPacSigner(Signer):
    """The test CSD acting as a PAC: its certificate has no "PAC<RFC>" OU, so satcfdi's
    `rfc_pac` would raise (reference/cfdi.md §1.5 gotcha 3); a fixed RFC stands in."""

    @property
    def rfc_pac(self) -> str:  # type: ignore[override]
        return TEST_PAC_RFC


@dataclass
class CfdiSpec:
    """What to put in the test CFDI; defaults give the one-concept 1,622.83 MXN invoice."""

    receptor_nombre: str = "UNIVERSIDAD ROBOTICA ESPAÑOLA"
    receptor_rfc: str = "URE180429TM6"
    receptor_cp: str = "86991"
    conceptos: Sequence[dict] = field(
        default_factory=lambda: [
            {"descripcion": "Suscripción mensual plan Pro — año 2026", "valor_unitario": Decimal("1398.99")}
        ]
    )
    moneda: str = "MXN"
    tipo_cambio: Decimal | None = None
    relacionados: Sequence[str] = ()
    stamped: bool = True
    signed: bool = True
    leyenda: str | None = None


def iva_16() -> cfdi40.Impuestos:
    # A fresh node per concepto: satcfdi writes Base/Importe into the dicts it is given (gotcha 2).
    return cfdi40.Impuestos(
        traslados=cfdi40.Traslado(impuesto="002", tipo_factor="Tasa", tasa_o_cuota=Decimal("0.160000"))
    )


def _concepto(item: dict) -> cfdi40.Concepto:
    return cfdi40.Concepto(
        clave_prod_serv=item.get("clave_prod_serv", "81112100"),
        cantidad=item.get("cantidad", Decimal(1)),
        clave_unidad=item.get("clave_unidad", "E48"),
        descripcion=item["descripcion"],
        valor_unitario=item["valor_unitario"],
        descuento=item.get("descuento"),
        no_identificacion=item.get("no_identificacion"),
        impuestos=item["impuestos"]() if "impuestos" in item else iva_16(),
    )


def build_cfdi(signer: Signer, spec: CfdiSpec) -> tuple[bytes, TimbreFiscalDigital | None]:
    """The XML bytes and, if stamped, satcfdi's TFD (for its cadena original)."""
    invoice = cfdi40.Comprobante(
        emisor=cfdi40.Emisor(rfc=signer.rfc, nombre="ESCUELA KEMPER URGATE", regimen_fiscal="601"),
        lugar_expedicion="42501",
        receptor=cfdi40.Receptor(
            rfc=spec.receptor_rfc,
            nombre=spec.receptor_nombre,
            domicilio_fiscal_receptor=spec.receptor_cp,
            regimen_fiscal_receptor="601",
            uso_cfdi="G03",
        ),
        conceptos=[_concepto(item) for item in spec.conceptos],
        serie="A",
        folio="123",
        forma_pago="03",
        metodo_pago="PUE",
        moneda=spec.moneda,
        tipo_cambio=spec.tipo_cambio,
        cfdi_relacionados=cfdi40.CfdiRelacionados("04", list(spec.relacionados))
        if spec.relacionados
        else None,
        fecha=FECHA,
    )
    if spec.signed:
        invoice.sign(signer)
    if not spec.stamped:
        return invoice.xml_bytes(), None
    pac = _TestPacSigner(signer.certificate, signer.key, check=False)
    tfd = TimbreFiscalDigital(
        proveedor=pac,
        uuid=UUID,
        fecha_timbrado=FECHA_TIMBRADO,
        sello_cfd=invoice["Sello"],
        leyenda=spec.leyenda,
    )
    invoice["Complemento"] = {"TimbreFiscalDigital": tfd}
    return invoice.xml_bytes(), tfd


@pytest.fixture(scope="session")
def signer() -> Signer:
    certs = SAT_DIR / "certs"
    return Signer.load(
        certificate=(certs / "EKU9003173C9.cer").read_bytes(),
        key=(certs / "EKU9003173C9.key").read_bytes(),
        password="12345678a",
    )


@pytest.fixture(scope="session")
def make_cfdi(signer: Signer) -> Callable[..., bytes]:
    """make_cfdi(**CfdiSpec fields) -> XML bytes."""

    def make(**kwargs: object) -> bytes:
        return build_cfdi(signer, CfdiSpec(**kwargs))[0]  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def basic_xml(make_cfdi: Callable[..., bytes]) -> bytes:
    return make_cfdi()


def sixty_conceptos() -> list[dict]:
    return [
        {
            "descripcion": f"Concepto {n:02d}: licencia de uso de software por usuario, periodo noviembre 2026",
            "valor_unitario": Decimal("100.00") + n,
            "cantidad": Decimal(n % 3 + 1),
            "no_identificacion": f"SKU-{n:03d}",
        }
        for n in range(1, 61)
    ]


@pytest.fixture(scope="session")
def long_xml(make_cfdi: Callable[..., bytes]) -> bytes:
    return make_cfdi(conceptos=sixty_conceptos())


def pdf_pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(pdf_pages_text(pdf))
