"""Signed CFDI 4.0 built with satcfdi directly, for the PAC tests (fresh nodes every call: satcfdi
keeps references to the dicts it is given, reference/cfdi.md §1 gotcha 2)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from satcfdi.create.cfd import cfdi40
from satcfdi.models import Signer

MEXICO_CITY = ZoneInfo("America/Mexico_City")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=MEXICO_CITY)
FECHA = datetime(2026, 11, 20, 9, 59, 0)  # naive: local time at LugarExpedicion 42501 (Hidalgo, Centro)


def sat_dir() -> Path:
    return Path(settings.TIMBRA_SAT_DIR)


@functools.cache
def eku_signer() -> Signer:
    """SAT's test CSD EKU9003173C9 (valid 2023-05-18 .. 2027-05-18)."""
    certs = sat_dir() / "certs"
    return Signer.load(
        certificate=(certs / "EKU9003173C9.cer").read_bytes(),
        key=(certs / "EKU9003173C9.key").read_bytes(),
        password="12345678a",
    )


@dataclass(frozen=True)
class CfdiSpec:
    """What varies between test CFDIs; defaults are the happy path against test-taxpayers.csv."""

    emisor_rfc: str = "EKU9003173C9"
    emisor_nombre: str = "ESCUELA KEMPER URGATE"
    emisor_regimen: str = "601"
    lugar_expedicion: str = "42501"
    receptor_rfc: str = "URE180429TM6"
    receptor_nombre: str = "UNIVERSIDAD ROBOTICA ESPAÑOLA"
    receptor_cp: str = "86991"
    receptor_regimen: str = "601"
    uso_cfdi: str = "G03"
    fecha: datetime = FECHA
    folio: str = "1"
    informacion_global: tuple[str, str, int] | None = None  # (Periodicidad, Meses, Año)

    def but(self, **changes: object) -> CfdiSpec:
        return replace(self, **changes)


def signed_cfdi(spec: CfdiSpec | None = None, signer: Signer | None = None) -> bytes:
    """A sealed Comprobante 4.0 (Ingreso, PUE, one concepto with IVA 16 %), as bytes."""
    spec = spec or CfdiSpec()
    comprobante = cfdi40.Comprobante(
        emisor=cfdi40.Emisor(
            rfc=spec.emisor_rfc, nombre=spec.emisor_nombre, regimen_fiscal=spec.emisor_regimen
        ),
        lugar_expedicion=spec.lugar_expedicion,
        receptor=cfdi40.Receptor(
            rfc=spec.receptor_rfc,
            nombre=spec.receptor_nombre,
            domicilio_fiscal_receptor=spec.receptor_cp,
            regimen_fiscal_receptor=spec.receptor_regimen,
            uso_cfdi=spec.uso_cfdi,
        ),
        conceptos=[
            cfdi40.Concepto(
                clave_prod_serv="81112101",
                cantidad=Decimal(1),
                clave_unidad="E48",
                descripcion="Suscripción mensual plataforma SaaS",
                valor_unitario=Decimal("999.00"),
                impuestos=cfdi40.Impuestos(
                    traslados=cfdi40.Traslado(
                        impuesto="002", tipo_factor="Tasa", tasa_o_cuota=Decimal("0.160000")
                    )
                ),
            )
        ],
        fecha=spec.fecha,
        informacion_global=(
            cfdi40.InformacionGlobal(*spec.informacion_global) if spec.informacion_global else None
        ),
        serie="A",
        folio=spec.folio,
        forma_pago="03",
        metodo_pago="PUE",
        moneda="MXN",
        tipo_de_comprobante="I",
        exportacion="01",
    )
    comprobante.sign(signer or eku_signer())
    return comprobante.xml_bytes()
