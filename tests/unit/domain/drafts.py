"""Builders for `InvoiceDraft` test data: the SAT test issuer and a registered test receptor."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from timbra.domain.draft import Concepto, Emisor, InvoiceDraft, Receptor, TaxRate
from timbra.domain.tax_presets import PRESETS

IVA16 = PRESETS["IVA16"]
IVA8 = PRESETS["IVA8"]
IVA0 = PRESETS["IVA0"]
IVA_EXENTO = PRESETS["IVA_EXENTO"]
RET_IVA_2_3 = PRESETS["RET_IVA_2_3"]
RET_ISR_10 = PRESETS["RET_ISR_10"]
RET_ISR_RESICO = PRESETS["RET_ISR_RESICO"]

FECHA = datetime(2026, 11, 20, 10, 0, 0)
EMISOR = Emisor(rfc="EKU9003173C9", nombre="ESCUELA KEMPER URGATE", regimen_fiscal="601")
# A persona física in actividades profesionales (612): the issuer a persona moral retains ISR 10 %
# and two thirds of IVA from (LISR art. 106, LIVA art. 1-A).
EMISOR_HONORARIOS = Emisor(rfc="PEGJ8001011A1", nombre="JUAN PEREZ GARCIA", regimen_fiscal="612")
EMISOR_RESICO = Emisor(rfc="PEGJ8001011A1", nombre="JUAN PEREZ GARCIA", regimen_fiscal="626")
RECEPTOR = Receptor(
    rfc="URE180429TM6",
    nombre="UNIVERSIDAD ROBOTICA ESPAÑOLA",
    domicilio_fiscal_receptor="86991",
    regimen_fiscal_receptor="601",
    uso_cfdi="G03",
)


def concepto(
    valor_unitario: str | Decimal,
    *impuestos: TaxRate,
    cantidad: str | Decimal = "1",
    descuento: str | Decimal | None = None,
    objeto_imp: str | None = None,
    descripcion: str = "Suscripción mensual plataforma SaaS",
    tax_importes: tuple[Decimal | None, ...] = (),
) -> Concepto:
    """A service line; ObjetoImp 02 when it carries taxes, 01 otherwise."""
    return Concepto(
        clave_prod_serv="81112101",
        clave_unidad="E48",
        cantidad=Decimal(cantidad),
        descripcion=descripcion,
        valor_unitario=Decimal(valor_unitario),
        objeto_imp=objeto_imp or ("02" if impuestos else "01"),
        impuestos=tuple(impuestos),
        descuento=None if descuento is None else Decimal(descuento),
        unidad="Servicio",
        tax_importes=tax_importes,
    )


def draft(*conceptos: Concepto, **overrides: Any) -> InvoiceDraft:
    """An Ingreso PUE paid by transfer, in MXN, from the SAT test issuer."""
    base = InvoiceDraft(
        serie="A",
        folio="1001",
        fecha=FECHA,
        tipo_de_comprobante="I",
        lugar_expedicion="42501",
        moneda="MXN",
        emisor=EMISOR,
        receptor=RECEPTOR,
        conceptos=conceptos or (concepto("1000.00", IVA16),),
        forma_pago="03",
        metodo_pago="PUE",
    )
    return replace(base, **overrides)
