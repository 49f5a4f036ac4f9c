"""Settings: org branding and logo, CSD upload, API keys."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.factories import MX, SAT_DIR
from timbra.orgs.models import ApiKey, Csd
from timbra.orgs.services import authenticate_key

pytestmark = pytest.mark.django_db
CERTS = SAT_DIR / "certs"


def png(size: tuple[int, int] = (120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#1F4E79").save(out, "PNG")
    return out.getvalue()


def settings_post(**overrides):
    return {"email": "facturas@kemper.example", "brand_color": "#0a7d5a", "default_serie": "f", **overrides}


def test_settings_show_the_fiscal_data_read_only(client_in, org):
    page = client_in.get(reverse("dashboard:settings")).content.decode()

    assert "EKU9003173C9" in page and "ESCUELA KEMPER URGATE" in page
    assert "601 – General de Ley Personas Morales" in page
    assert 'name="rfc"' not in page and 'name="nombre"' not in page


def test_save_email_colour_serie_and_logo(client_in, org):
    logo = SimpleUploadedFile("logo.png", png(), content_type="image/png")

    response = client_in.post(reverse("dashboard:settings"), settings_post(logo=logo))

    org.refresh_from_db()
    assert response.status_code == 302
    assert (org.brand_color, org.default_serie) == ("#0A7D5A", "F")
    assert bytes(org.logo) == png()
    assert client_in.get(reverse("dashboard:org_logo"))["Content-Type"] == "image/png"


@pytest.mark.parametrize(("upload", "message"), [
    (b"GIF89a not really", "El archivo no es una imagen PNG o JPEG válida."),
    (png()[:60], "El archivo no es una imagen PNG o JPEG válida."),
    (b"\x89PNG" + b"0" * (500 * 1024), "El logotipo pesa más de 500 KB."),
])
def test_bad_logo_is_refused_in_spanish(client_in, org, upload, message):
    logo = SimpleUploadedFile("logo.png", upload, content_type="image/png")

    response = client_in.post(reverse("dashboard:settings"), settings_post(logo=logo))

    org.refresh_from_db()
    assert message in response.content.decode()
    assert not org.logo and org.brand_color == "#1F4E79"


def test_csd_page_shows_number_and_validity(client_in, org):
    page = client_in.get(reverse("dashboard:csd")).content.decode()

    csd = Csd.objects.get(org=org)
    assert csd.no_certificado in page and "18/05/2027" in page
    assert "El CSD vence en" not in page


def test_csd_expiring_within_30_days_shows_a_warning(client_in, staff, org):
    with time_machine.travel(datetime(2027, 5, 1, 10, 0, tzinfo=MX), tick=False):
        client_in.force_login(staff)  # the session from November has expired by May
        page = client_in.get(reverse("dashboard:csd")).content.decode()

    assert "El CSD vence en 16 días" in page


def _csd_files(password: str) -> dict[str, object]:
    return {"cer": SimpleUploadedFile("EKU9003173C9.cer", (CERTS / "EKU9003173C9.cer").read_bytes()),
            "key": SimpleUploadedFile("EKU9003173C9.key", (CERTS / "EKU9003173C9.key").read_bytes()),
            "password": password}


def test_upload_the_sat_test_csd(client_in, org):
    Csd.objects.all().delete()

    response = client_in.post(reverse("dashboard:csd"), _csd_files("12345678a"), follow=True)

    csd = Csd.objects.get(org=org, active=True)
    assert csd.rfc == "EKU9003173C9"
    assert f"CSD {csd.no_certificado} cargado" in response.content.decode()


def test_wrong_csd_password_shows_the_error(client_in, org):
    Csd.objects.all().delete()

    response = client_in.post(reverse("dashboard:csd"), _csd_files("otra-contraseña"))

    assert response.status_code == 200
    assert "La contraseña de la llave privada es incorrecta." in response.content.decode()
    assert not Csd.objects.exists()


def test_api_key_token_is_shown_once(client_in, org, frozen):
    response = client_in.post(reverse("dashboard:api_keys"),
                              {"name": "Integración Stripe", "livemode": "test", "scopes": ["read", "write"]})

    page = response.content.decode()
    token = page.split('class="token mono" type="text" readonly value="', 1)[1].split('"', 1)[0]
    key = ApiKey.objects.get(org=org)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert token.startswith("sk_test_") and authenticate_key(token, as_of=datetime.now(MX)) == key
    assert key.secret_hash != token and token not in str(dict(client_in.session))
    assert token not in client_in.get(reverse("dashboard:api_keys")).content.decode()
    assert key.prefix in client_in.get(reverse("dashboard:api_keys")).content.decode()


def test_revoke_api_key(client_in, org):
    client_in.post(reverse("dashboard:api_keys"), {"name": "vieja", "livemode": "test", "scopes": ["read"]})
    key = ApiKey.objects.get(org=org)

    response = client_in.post(reverse("dashboard:api_key_revoke", args=[key.pk]), follow=True)

    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "quedó revocada" in response.content.decode()
