"""Shared test data: the SAT test issuer and taxpayers, built through the real services."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from timbra.catalog.models import Product
from timbra.catalog.services import create_product
from timbra.csd.testca import mint_csd
from timbra.customers.models import Customer
from timbra.customers.services import create_customer
from timbra.invoicing.create import create_invoice
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.invoicing.models import Invoice
from timbra.orgs import csds
from timbra.orgs.models import Org
from timbra.orgs.services import create_org

SAT_DIR = Path(__file__).resolve().parents[2] / "shared" / "sat"
MX = ZoneInfo("America/Mexico_City")
# Inside the SAT test CSD's validity (2023-05-18 .. 2027-05-18).
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=MX)

RECEPTORES = {
    "URE180429TM6": ("UNIVERSIDAD ROBOTICA ESPAÑOLA", "601", "86991"),
    "EWE1709045U0": ("EDGAR WALDO ERDMANN", "601", "42501"),
    "H&E951128469": ("HERRERIA & ELECTRICOS", "601", "06002"),
}


# Personas físicas the sandbox PAC knows (src/timbra/sandbox/data/sandbox-personas-fisicas.csv).
HONORARIOS = {"rfc": "CACX7605101P8", "nombre": "XOCHILT CASAS CHAVEZ", "regimen_fiscal": "612"}
RESICO = {"rfc": "FUNK671228PH6", "nombre": "KARLA FUENTE NOLASCO", "regimen_fiscal": "626"}


def make_org(*, rfc: str = "EKU9003173C9", nombre: str = "ESCUELA KEMPER URGATE", with_csd: bool = True,
             as_of: datetime = NOW, regimen_fiscal: str = "601", lugar_expedicion: str = "42501") -> Org:
    """The SAT test issuer with SAT's test CSD; another RFC gets a CSD minted by the test CA."""
    org = create_org(rfc=rfc, nombre=nombre, regimen_fiscal=regimen_fiscal, lugar_expedicion=lugar_expedicion,
                     email="facturacion@kemper.example")
    if with_csd and rfc == "EKU9003173C9":
        certs = SAT_DIR / "certs"
        csds.upload_csd(org, cer=(certs / "EKU9003173C9.cer").read_bytes(),
                        key=(certs / "EKU9003173C9.key").read_bytes(), password="12345678a", as_of=as_of)
    elif with_csd:
        minted = mint_csd(rfc, nombre, valid_from=as_of - timedelta(days=30), valid_to=as_of + timedelta(days=1460),
                          password="12345678a")
        csds.upload_csd(org, cer=minted.cer, key=minted.key, password="12345678a", as_of=as_of)
    return org


def become_persona_fisica(org: Org, identity: dict[str, str] = HONORARIOS, *, as_of: datetime = NOW) -> Org:
    """Turn a test org into a persona física the sandbox knows (retentions are theirs: LISR art. 106,
    113-J), with a CSD minted for that RFC (uploading it makes it the active one)."""
    Org.objects.filter(pk=org.pk).update(**identity)
    org.refresh_from_db()
    minted = mint_csd(org.rfc, org.nombre, valid_from=as_of - timedelta(days=30), valid_to=as_of + timedelta(days=1460),
                      password="12345678a")
    csds.upload_csd(org, cer=minted.cer, key=minted.key, password="12345678a", as_of=as_of)
    return org


def make_customer(org: Org, *, rfc: str = "URE180429TM6", livemode: bool = False, emails: list[str] | None = None,
                  as_of: datetime = NOW, **overrides: str) -> Customer:
    nombre, regimen, cp = RECEPTORES.get(rfc, ("CLIENTE DE PRUEBA", "601", "86991"))
    data = {"rfc": rfc, "nombre": nombre, "regimen_fiscal": regimen, "codigo_postal": cp, "uso_cfdi": "G03",
            "emails": emails if emails is not None else ["cliente@example.com"], **overrides}
    return create_customer(org, data, livemode=livemode, as_of=as_of)


def make_product(org: Org, *, livemode: bool = False, as_of: datetime = NOW, **overrides: object) -> Product:
    data = {"descripcion": "Suscripción mensual plataforma SaaS", "clave_prod_serv": "81112101",
            "clave_unidad": "E48", "unidad": "Servicio", "unit_price": Decimal("999.00"), "taxes": ["IVA16"],
            **overrides}
    return create_product(org, data, livemode=livemode, as_of=as_of)


def make_invoice(org: Org, customer: Customer, *, product: Product | None = None, as_of: datetime = NOW,
                 livemode: bool = False, **overrides: object) -> Invoice:
    product = product or make_product(org, livemode=livemode, as_of=as_of)
    # PPD carries forma de pago 99 (CFDI40105): a PPD request with another forma is refused.
    overrides.setdefault("forma_pago", None if overrides.get("metodo_pago") == "PPD" else "04")
    request = InvoiceInput(customer_id=customer.pk, lines=(LineInput(product_id=product.pk, cantidad=Decimal(1)),),
                           **overrides)  # type: ignore[arg-type]
    return create_invoice(org, request, livemode=livemode, as_of=as_of)
