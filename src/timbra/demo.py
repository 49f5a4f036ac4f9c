"""The demo issuer: SAT's test CSD (EKU9003173C9), a test-mode API key, a customer and a
product, so a newcomer can issue a correctly sealed (sandbox-stamped) CFDI in a minute.

Idempotent: a second run reuses everything and re-prints the same credentials."""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from timbra.catalog.services import create_product
from timbra.csd.certificate import CsdError
from timbra.customers.services import create_customer
from timbra.orgs import csds
from timbra.orgs.models import Membership, Org
from timbra.orgs.services import create_api_key, create_org

DEMO_RFC = "EKU9003173C9"
DEMO_PASSWORD = "12345678a"  # SAT's published password for its public test CSD


def _demo_path() -> Any:
    return settings.TIMBRA_HOME / "demo.json"


def _write_private(path: Any, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False)
    os.replace(tmp, path)


def ensure_demo(*, as_of: datetime | None = None) -> dict[str, Any]:
    """Create the demo issuer once; return its credentials (also in TIMBRA_HOME/demo.json)."""
    as_of = as_of or timezone.now()
    path = _demo_path()
    if path.exists():
        info = json.loads(path.read_text())
        org = Org.objects.filter(pk=info.get("org_id"), rfc=DEMO_RFC).first()
        if org is not None:
            if "stripe_webhook_url" not in info:  # a demo made before the Stripe connection existed
                info |= _ensure_demo_stripe(org, as_of=as_of)
                _write_private(path, info)
            return info
    with transaction.atomic():
        org = create_org(rfc=DEMO_RFC, nombre="ESCUELA KEMPER URGATE", regimen_fiscal="601",
                         lugar_expedicion="42501", email="facturacion@kemper.example")
        _load_demo_csd(org, as_of=as_of)
        _, token = create_api_key(org, name="Demo (pruebas)", livemode=False, as_of=as_of)
        customer = create_customer(org, {
            "rfc": "URE180429TM6", "nombre": "UNIVERSIDAD ROBOTICA ESPAÑOLA", "regimen_fiscal": "601",
            "codigo_postal": "86991", "uso_cfdi": "G03", "emails": ["cuentas@robotica.example"],
        }, livemode=False, as_of=as_of)
        product = create_product(org, {
            "descripcion": "Suscripción mensual plataforma SaaS", "clave_prod_serv": "81112101",
            "clave_unidad": "E48", "unidad": "Servicio", "unit_price": Decimal("999.00"), "taxes": ["IVA16"],
        }, livemode=False, as_of=as_of)
        password = secrets.token_urlsafe(9)
        user = get_user_model().objects.create_user("demo", password=password, is_staff=False)
        # An administrator, not an owner: the demo login works without setting up a second factor.
        Membership.objects.create(user=user, org=org, role="admin")
        stripe_info = _ensure_demo_stripe(org, as_of=as_of)
    info = {
        "org_id": org.pk, "rfc": org.rfc, "api_key": token, "livemode": False,
        "customer_id": customer.pk, "product_id": product.pk,
        "username": "demo", "password": password, "base_url": settings.TIMBRA_BASE_URL,
        **stripe_info,
    }
    _write_private(path, info)
    return info


def _ensure_demo_stripe(org: Org, *, as_of: datetime) -> dict[str, str]:
    """A test-mode Stripe connection: its webhook URL and signing secret, for scripts to sign with."""
    from timbra.payments.models import GatewayConnection
    from timbra.payments.services.connections import connect_stripe, signing_secrets, webhook_url

    connection = GatewayConnection.objects.filter(org=org, provider="stripe", livemode=False).first()
    if connection is None or not signing_secrets(connection):
        connection = connect_stripe(org, signing_secret=f"whsec_{secrets.token_urlsafe(32)}", livemode=False,
                                    as_of=as_of)
    return {"stripe_webhook_url": webhook_url(connection), "stripe_signing_secret": signing_secrets(connection)[0]}


def _load_demo_csd(org: Org, *, as_of: datetime) -> None:
    cert_dir = settings.TIMBRA_SAT_DIR / "certs"
    cer, key = (cert_dir / "EKU9003173C9.cer").read_bytes(), (cert_dir / "EKU9003173C9.key").read_bytes()
    try:
        csds.upload_csd(org, cer=cer, key=key, password=DEMO_PASSWORD, as_of=as_of)
    except CsdError:
        # SAT's test CSD expires on 2027-05-18. After that the demo mints its own
        # CSD-shaped certificate for the same RFC so the sandbox keeps working.
        from timbra.csd.testca import mint_csd

        minted = mint_csd(DEMO_RFC, "ESCUELA KEMPER URGATE", valid_from=as_of - timedelta(days=1),
                          valid_to=as_of + timedelta(days=365 * 4), password=DEMO_PASSWORD)
        csds.upload_csd(org, cer=minted.cer, key=minted.key, password=DEMO_PASSWORD, as_of=as_of)
